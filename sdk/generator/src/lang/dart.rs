//! The dart SDK.

use crate::ir::Api;
use crate::{Error, Files};

pub fn render(api: &Api) -> Result<Files, Error> {
    let mut files = Files::new();
    files.insert("README.md".into(), format!("# {} SDK\n", api.app.name));
    Ok(files)
}
