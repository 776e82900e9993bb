//! The rules of `_Installation` writes, as Parse Server has them.
