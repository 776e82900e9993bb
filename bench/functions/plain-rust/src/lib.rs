//! The benchmark's `noop` as a plain Rust cdylib (bench/functions/run.sh): no SDK and no
//! dependencies, written against Hearth's ABI v1 as `docs/functions.md` documents it, with the
//! standard library's allocator and Rust's default memory layout. Beside the SDK modules it shows
//! what a call costs a Rust module that does almost nothing.

#[link(wasm_import_module = "hearth")]
unsafe extern "C" {
    /// `hearth.answer(ptr, len)`: the call's JSON answer.
    fn answer(ptr: *const u8, len: usize);
}

/// Says the module speaks ABI v1.
#[unsafe(no_mangle)]
pub extern "C" fn hearth_abi_v1() {}

/// Memory for the request, never freed (the instance lives for one request).
#[unsafe(no_mangle)]
pub extern "C" fn hearth_alloc(len: i32) -> i32 {
    let buffer = Vec::<u8>::with_capacity(len.max(0) as usize).leak();
    buffer.as_mut_ptr() as i32
}

/// Answers the manifest request (`"kind":"manifest"`) with the one function `noop`, a call of
/// `noop` with `{"result":1}`, and anything else with error 141.
///
/// # Safety
///
/// `len` bytes at `ptr` are the request, where `hearth_alloc` said.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn hearth_handle(ptr: i32, len: i32) -> i32 {
    // SAFETY: the caller's contract.
    let request = unsafe { std::slice::from_raw_parts(ptr as *const u8, len.max(0) as usize) };
    let request = String::from_utf8_lossy(request);
    let reply = if request.contains(r#""kind":"manifest""#) {
        r#"{"functions":["noop"],"jobs":[],"triggers":[]}"#.to_string()
    } else if request.contains(r#""name":"noop""#) {
        format!(r#"{{"result":{}}}"#, 1)
    } else {
        r#"{"error":{"code":141,"message":"no such function"}}"#.to_string()
    };
    // SAFETY: the host reads `len` bytes at `ptr`, which are the reply's.
    unsafe { answer(reply.as_ptr(), reply.len()) };
    0
}
