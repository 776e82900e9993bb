//! The raw ABI, version 1: the `hearth` imports, what [`export!`](crate::export)'s exports call,
//! and the panic hook. Outside WebAssembly the imports are replaced by a stand-in that
//! [`testing`](crate::testing) drives.

use serde_json::Value;

use crate::{App, Request};

/// `hearth_alloc`: memory for the request, never freed (the instance lives for one request).
pub fn alloc(len: i32) -> i32 {
    let buffer = Vec::<u8>::with_capacity(len.max(0) as usize).leak();
    buffer.as_mut_ptr() as usize as i32
}

/// `hearth_handle`: parses the request at `ptr`, runs `register` and the request's handler, and
/// answers through `hearth.answer`. Always returns 0.
///
/// # Safety
///
/// `len` bytes at `ptr` must be readable (Hearth writes the request where `hearth_alloc` said).
pub unsafe fn handle(ptr: i32, len: i32, register: fn(&mut App)) -> i32 {
    #[cfg(target_arch = "wasm32")]
    std::panic::set_hook(Box::new(sys::on_panic));
    // SAFETY: the caller's contract.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len.max(0) as usize) };
    let answer = respond(register, bytes);
    sys::answer(&answer);
    0
}

/// The answer to one request (JSON bytes).
pub(crate) fn respond(register: fn(&mut App), request: &[u8]) -> Vec<u8> {
    let answer = match serde_json::from_slice::<Value>(request) {
        Ok(Value::Object(raw)) => {
            let mut app = App::new();
            register(&mut app);
            app.handle(&Request::from_json(raw))
        }
        Ok(_) => crate::Error::script("the request is not a JSON object").to_answer(),
        Err(e) => crate::Error::script(format!("the request is not JSON: {e}")).to_answer(),
    };
    serde_json::to_vec(&answer).expect("JSON values serialise")
}

/// A host call: the JSON operation in, the JSON answer (`{"result"}` or `{"error"}`) out.
pub(crate) fn call(op: &[u8]) -> Vec<u8> {
    sys::call(op)
}

/// A line for the function log (level 0 debug, 1 info, 2 warn, 3 error).
pub(crate) fn log(level: i32, message: &str) {
    sys::log(level, message);
}

#[cfg(target_arch = "wasm32")]
mod sys {
    mod host {
        #[link(wasm_import_module = "hearth")]
        unsafe extern "C" {
            pub fn log(level: i32, ptr: *const u8, len: usize);
            pub fn answer(ptr: *const u8, len: usize);
            pub fn call(ptr: *const u8, len: usize) -> i32;
            pub fn take(ptr: *mut u8);
        }

        #[link(wasm_import_module = "env")]
        unsafe extern "C" {
            /// AssemblyScript's abort, which ABI v1 allows: strings in AssemblyScript's layout
            /// (UTF-16, the byte length in the 4 bytes before).
            pub fn abort(message: *const u8, file: *const u8, line: u32, column: u32);
        }
    }

    pub fn log(level: i32, message: &str) {
        // SAFETY: the host reads `len` bytes at `ptr`, which are the message's.
        unsafe { host::log(level, message.as_ptr(), message.len()) }
    }

    pub fn answer(bytes: &[u8]) {
        // SAFETY: as above.
        unsafe { host::answer(bytes.as_ptr(), bytes.len()) }
    }

    pub fn call(op: &[u8]) -> Vec<u8> {
        // SAFETY: the host reads `op`, then writes exactly the length it returned into a buffer
        // of that capacity.
        unsafe {
            let len = host::call(op.as_ptr(), op.len()).max(0) as usize;
            let mut out = Vec::with_capacity(len);
            host::take(out.as_mut_ptr());
            out.set_len(len);
            out
        }
    }

    /// The panic hook: answers a 141 error, then stops the call through `env.abort` with the
    /// panic's message and place (Hearth reports `the function aborted: ...`, code 141). With
    /// `panic = "abort"` a panic cannot be caught, so the call ends here either way.
    pub fn on_panic(info: &std::panic::PanicHookInfo<'_>) {
        let message = match (info.payload().downcast_ref::<&str>(), info.payload().downcast_ref::<String>()) {
            (Some(s), _) => s,
            (_, Some(s)) => s.as_str(),
            _ => "panic",
        };
        let (file, line, column) = info.location().map_or(("", 0, 0), |l| (l.file(), l.line(), l.column()));
        let error = crate::Error::script(format!("panic: {message} ({file}:{line}:{column})"));
        answer(&serde_json::to_vec(&error.to_answer()).unwrap_or_default());
        let (message, file) = (assemblyscript_string(&format!("panic: {message}")), assemblyscript_string(file));
        // SAFETY: both point 4 bytes into buffers laid out as the host reads them.
        unsafe { host::abort(message.as_ptr().add(4), file.as_ptr().add(4), line, column) }
    }

    /// A string as AssemblyScript lays it out: its UTF-16 byte length (u32, little-endian), then
    /// the UTF-16 units; the string's address is 4 bytes in. Long strings are cut (the host reads
    /// 4 KiB at most).
    fn assemblyscript_string(text: &str) -> Vec<u8> {
        let units: Vec<u16> = text.encode_utf16().take(2000).collect();
        let mut bytes = Vec::with_capacity(4 + units.len() * 2);
        bytes.extend_from_slice(&((units.len() * 2) as u32).to_le_bytes());
        for unit in units {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }
}

/// Outside WebAssembly: a stand-in for the host, for unit tests ([`crate::testing`]).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod sys {
    use std::cell::RefCell;

    use serde_json::{Value, json};

    type HostFn = Box<dyn FnMut(Value) -> Value>;

    thread_local! {
        pub static HOST: RefCell<Option<HostFn>> = RefCell::new(None);
        pub static LOGS: RefCell<Vec<(i32, String)>> = const { RefCell::new(Vec::new()) };
        pub static ANSWER: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    }

    pub fn log(level: i32, message: &str) {
        LOGS.with(|logs| logs.borrow_mut().push((level, message.to_string())));
    }

    pub fn answer(bytes: &[u8]) {
        ANSWER.with(|a| *a.borrow_mut() = Some(bytes.to_vec()));
    }

    pub fn call(op: &[u8]) -> Vec<u8> {
        let op: Value = serde_json::from_slice(op).expect("host calls are JSON");
        let mut host = HOST.with(|h| h.borrow_mut().take());
        let answer = match host.as_mut() {
            Some(host) => host(op),
            None => json!({"error": {"code": 141, "message": "no host outside WebAssembly (hearth_functions::testing::run provides one)"}}),
        };
        HOST.with(|h| *h.borrow_mut() = host);
        serde_json::to_vec(&answer).expect("JSON values serialise")
    }
}
