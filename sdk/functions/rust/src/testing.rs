//! Runs a module's handlers outside WebAssembly, for unit tests (`cargo test` on the machine's
//! own target): a request in, the answer and the log lines out, with host calls answered by a
//! closure standing in for Hearth.
//!
//! ```
//! use hearth_functions::{App, json, testing};
//!
//! fn register(app: &mut App) {
//!     app.define("count", |_req| hearth_functions::Host::caller().count(&hearth_functions::Query::new("Note")));
//! }
//!
//! let outcome = testing::run(register, json!({"kind": "function", "name": "count", "params": {}}), |op| {
//!     assert_eq!(op["op"], "find");
//!     Ok(json!({"results": [], "count": 3}))
//! });
//! assert_eq!(outcome.answer, json!({"result": 3}));
//! ```

use serde_json::{Value, json};

use crate::log::Level;
use crate::{App, Error, Object, abi};

/// What a request gave.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The answer, as Hearth would receive it.
    pub answer: Value,
    /// The log lines written.
    pub logs: Vec<(Level, String)>,
}

/// Runs `request` (a request's JSON, `docs/functions.md`) as Hearth would: `register`, then the
/// handler. `host` answers each host call (`{"op": ..., ...}`) with its result or an error.
pub fn run(register: fn(&mut App), request: Value, mut host: impl FnMut(&Object) -> Result<Value, Error> + 'static) -> Outcome {
    abi::sys::HOST.with(|h| {
        *h.borrow_mut() = Some(Box::new(move |op: Value| match host(op.as_object().expect("host calls are objects")) {
            Ok(result) => json!({ "result": result }),
            Err(error) => error.to_answer(),
        }))
    });
    abi::sys::LOGS.with(|l| l.borrow_mut().clear());
    let answer = abi::respond(register, &serde_json::to_vec(&request).expect("JSON values serialise"));
    abi::sys::HOST.with(|h| h.borrow_mut().take());
    let logs = abi::sys::LOGS.with(|l| std::mem::take(&mut *l.borrow_mut()));
    let levels = [Level::Debug, Level::Info, Level::Warn, Level::Error];
    Outcome {
        answer: serde_json::from_slice(&answer).expect("answers are JSON"),
        logs: logs.into_iter().map(|(level, line)| (levels[level.clamp(0, 3) as usize], line)).collect(),
    }
}
