//! The benchmark's cloud code (bench/functions/run.sh) with Hearth's Rust guest SDK: the same
//! trivial function and trigger as `bench.ts` (AssemblyScript SDK) and `parse-cloud.js` (Parse
//! Server), written as a user of the SDK would.

use hearth_functions::{App, json};

hearth_functions::export!(register);

fn register(app: &mut App) {
    // A function that does nothing: answers the constant 1 (`{"result":1}` for the client).
    app.define("noop", |_req| Ok(1));
    // A trigger that sets one field on every save of BenchTriggered.
    app.before_save("BenchTriggered", |_req, object| {
        object.insert("triggered".into(), json!(true));
        Ok(())
    });
}
