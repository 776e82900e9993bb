//! Hearth cloud functions in Rust: the guest side of Hearth's WebAssembly ABI, version 1
//! (`docs/functions.md` in the Hearth repository).
//!
//! A module is a `cdylib` crate built for `wasm32-unknown-unknown`. It writes one ordinary
//! function that registers its handlers on an [`App`], and names that function in [`export!`],
//! which defines the ABI's exports (`hearth_abi_v1`, `hearth_alloc`, `hearth_handle`):
//!
//! ```
//! use hearth_functions::{App, Error, Request, code};
//!
//! fn register(app: &mut App) {
//!     app.define("hello", |req: &Request| {
//!         let name: Option<String> = req.param("name")?;
//!         Ok(format!("Hello, {}!", name.as_deref().unwrap_or("world")))
//!     });
//!     app.before_save("Player", |_req, player| {
//!         match player.get("name").and_then(|n| n.as_str()) {
//!             Some(name) if !name.trim().is_empty() => Ok(()),
//!             _ => Err(Error::new(code::VALIDATION_ERROR, "a player needs a name")),
//!         }
//!     });
//! }
//!
//! hearth_functions::export!(register);
//! ```
//!
//! Every request is a fresh instance of the module: `register` runs once per request, then the
//! request's handler. Nothing is kept between requests, and memory is never given back (the
//! instance is dropped whole). Allocations come first from the free memory the module starts
//! with ([`allocator`]), so that a small request never grows the memory.
//!
//! Handlers answer a `Result`: `Ok` is the function's result (anything [`serde::Serialize`]), or
//! for triggers what they changed; `Err` is an [`Error`] with a Parse error code, which the
//! client receives as is. Any other error turned into an [`Error`] by `?` becomes code 141
//! (`SCRIPT_FAILED`), as an exception thrown in Parse Cloud Code does. A panic becomes a 141
//! error too, with the panic's message and place (see [`export!`]).
//!
//! What a handler may ask of Hearth (queries, saves, config, secrets, other functions, HTTP)
//! runs with the caller's rights: see [`Host`] and the functions beside it ([`find`], [`get`],
//! [`save`], ...). [`log`] writes to the app's function log.
//!
//! Build a module with `cargo build --release --target wasm32-unknown-unknown`, with the
//! release profile of the SDK's own `Cargo.toml` (small code, `panic = "abort"`) and a copy of
//! its `.cargo/config.toml` in the module's crate (a 128 KiB stack in linear memory instead of
//! Rust's default 1 MiB, so that each call's instance spans 192 KiB rather than over 1 MiB). On
//! other targets the crate builds too, so that handlers can be unit-tested with [`testing`].

mod abi;
pub mod allocator;
mod app;
mod error;
mod host;
pub mod log;
mod request;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use app::{App, LiveEvent};
pub use error::{Error, code};
pub use host::{Found, Host, HttpRequest, HttpResponse, Query, config, destroy, find, get, http_fetch, run, save, secret};
pub use request::Request;
pub use serde;
pub use serde_json::{self, Value, json};

/// A JSON object: a Parse object, a function's parameters, a query.
pub type Object = serde_json::Map<String, Value>;

/// What a handler returns.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// The module's allocator (see [`allocator`]): without the default feature `allocator`, the
/// module keeps Rust's standard one, or brings its own `#[global_allocator]`.
#[cfg(all(target_arch = "wasm32", feature = "allocator"))]
#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator::new();

#[doc(hidden)]
pub mod __private {
    pub use crate::abi::{alloc, handle};
}

/// Defines the module's ABI exports, with `register` (a `fn(&mut App)`) as the module's
/// handlers:
///
/// ```
/// fn register(app: &mut hearth_functions::App) {
///     app.define("ping", |_req| Ok("pong"));
/// }
/// hearth_functions::export!(register);
/// ```
///
/// Use it once, in the crate that is built as the `cdylib`. It expands to three
/// `#[unsafe(no_mangle)] extern "C"` functions: `hearth_abi_v1` (says the module speaks ABI v1),
/// `hearth_alloc` (memory for the request) and `hearth_handle` (which builds an [`App`], calls
/// `register`, runs the request's handler and answers through the host's `hearth.answer`).
///
/// On `wasm32`, `hearth_handle` first installs a panic hook: a panic answers a 141 error and
/// stops the call through `env.abort` (ABI v1's abort import, with the panic's message, file,
/// line and column), so that the client and the function log see
/// `the function aborted: panic: MESSAGE (FILE:LINE:COLUMN)` rather than a bare trap.
///
/// Rationale: a macro the module invokes, rather than exports hidden in the SDK or a symbol the
/// linker must find, keeps every export visible in the module's own crate, and a missing or
/// misspelt `register` is an ordinary compile error.
#[macro_export]
macro_rules! export {
    ($register:path) => {
        /// Hearth ABI version 1.
        #[unsafe(no_mangle)]
        pub extern "C" fn hearth_abi_v1() {}

        /// Memory for the request (Hearth writes it there).
        #[unsafe(no_mangle)]
        pub extern "C" fn hearth_alloc(len: i32) -> i32 {
            $crate::__private::alloc(len)
        }

        /// Handles the JSON request at `ptr`; the answer goes to `hearth.answer`.
        ///
        /// # Safety
        ///
        /// `ptr` and `len` are what Hearth wrote: `len` bytes at an address `hearth_alloc`
        /// returned.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn hearth_handle(ptr: i32, len: i32) -> i32 {
            // SAFETY: the host's contract, as above.
            unsafe { $crate::__private::handle(ptr, len, $register) }
        }
    };
}
