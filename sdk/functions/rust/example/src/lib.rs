//! An example module: functions with parameters, a function that fails with a Parse error, data
//! calls with the caller's rights, triggers that change and refuse writes, LiveQuery hooks, and a
//! job. The Rust
//! twin of the AssemblyScript SDK's `examples/demo.ts`, used by Hearth's end-to-end tests
//! (`tests/e2e/functions*.test.js`).
//!
//! Build: `cargo build --release --target wasm32-unknown-unknown` (in `sdk/functions/rust`).

use hearth_functions::{App, Error, Host, HttpRequest, Object, Query, Request, Value, code, json, log};
use serde::Deserialize;

hearth_functions::export!(register);

fn register(app: &mut App) {
    app.define("hello", hello)
        .define("add", add)
        .define("fail", |_req| -> Result<(), Error> { Err(Error::script("this function always fails")) })
        .define("failWithCode", |_req| -> Result<(), Error> { Err(Error::new(code::OPERATION_FORBIDDEN, "not today")) })
        .define("panic", |req| -> Result<(), Error> { panic!("asked to panic with {}", req.params().len()) })
        .define("whoami", |req| Ok(json!({"user": req.user_id(), "master": req.master(), "installationId": req.installation_id()})))
        .define("countNotes", count_notes)
        .define("addNote", add_note)
        .define("getNote", |req| {
            let id: String = req.param("id")?.unwrap_or_default();
            hearth_functions::get("Note", &id)
        })
        .define("configValue", |_req| Ok(hearth_functions::config()?.remove("greeting")))
        .define("secretValue", |_req| hearth_functions::secret("apiToken"))
        .define("callHello", |_req| hearth_functions::run("hello", &json!({"name": "nested"})))
        .define("fetch", |req| {
            let url: String = req.param("url")?.unwrap_or_default();
            let response = hearth_functions::http_fetch(&HttpRequest::get(&url))?;
            Ok(json!({"status": response.status, "body": response.body}))
        });

    app.before_save("Player", before_save_player)
        .after_save("Player", |req| {
            let entry = json!({"player": req.object().get("objectId"), "name": req.object().get("name")});
            Host::master().save("PlayerLog", entry.as_object().expect("an object"))?;
            Ok(())
        })
        .before_delete("Player", |req| {
            if req.object().get("protected") == Some(&Value::Bool(true)) {
                return Err(Error::validation("protected players cannot be deleted"));
            }
            Ok(())
        })
        .after_delete("Player", |req| {
            let entry = json!({"deleted": req.object().get("objectId")});
            Host::master().save("PlayerLog", entry.as_object().expect("an object"))?;
            Ok(())
        });

    // Find and login triggers (declared in the manifest; see docs/functions.md for when Hearth
    // calls them): hidden scores are never found, and their `secret` key never shown.
    app.before_find("Score", |_req, query| {
        let condition = query.entry("where").or_insert_with(|| json!({}));
        if let Some(condition) = condition.as_object_mut() {
            condition.insert("hidden".into(), json!({"$ne": true}));
        }
        Ok(())
    })
    .after_find("Score", |_req, objects| {
        for object in objects.iter_mut().filter_map(Value::as_object_mut) {
            object.remove("secret");
        }
        Ok(())
    })
    .before_login(|req| match req.object().get("banned") {
        Some(Value::Bool(true)) => Err(Error::new(code::OPERATION_FORBIDDEN, "this account is banned")),
        _ => Ok(()),
    });

    // LiveQuery hooks: devices marked banned cannot connect; subscriptions to scores never see
    // hidden ones (as finds do not); live events never carry `secret`, and a score that turns
    // hidden leaves without an event.
    app.before_connect(|req| match req.installation_id() {
        Some(id) if id.starts_with("banned-") => Err(Error::new(code::OPERATION_FORBIDDEN, "this device may not connect")),
        _ => Ok(()),
    })
    .before_subscribe("Score", |_req, query| {
        let condition = query.entry("where").or_insert_with(|| json!({}));
        if let Some(condition) = condition.as_object_mut() {
            condition.insert("hidden".into(), json!({"$ne": true}));
        }
        Ok(())
    })
    .after_live_query_event("Score", |req, event| {
        event.send = !(req.event() == "leave" && event.object.get("hidden") == Some(&Value::Bool(true)));
        event.object.remove("secret");
        if let Some(original) = &mut event.original {
            original.remove("secret");
        }
        Ok(())
    });

    app.job("tidy", |_req| {
        log::info("tidying");
        Ok("tidied")
    });
}

fn hello(req: &Request) -> Result<String, Error> {
    let name: Option<String> = req.param("name")?;
    log::info("hello called");
    Ok(format!("Hello, {}!", name.as_deref().unwrap_or("world")))
}

#[derive(Deserialize)]
struct AddParams {
    a: f64,
    b: f64,
}

/// Typed parameters: anything but two numbers is a 142 error.
fn add(req: &Request) -> Result<f64, Error> {
    let AddParams { a, b } = req.params_as().map_err(|_| Error::validation("a and b must be numbers"))?;
    Ok(a + b)
}

/// Counts notes with the caller's rights (what the caller may not count, it cannot), or with
/// master rights when asked.
fn count_notes(req: &Request) -> Result<u64, Error> {
    let master = req.param::<bool>("master")?.unwrap_or(false);
    Host::use_master_key(master).count(&Query::new("Note"))
}

/// Saves with the caller's rights (refused where the caller is refused).
fn add_note(req: &Request) -> Result<Object, Error> {
    let text: String = req.param("text")?.unwrap_or_default();
    let mut note = Object::new();
    note.insert("text".into(), json!(text));
    hearth_functions::save("Note", &note)
}

/// Names are trimmed and capitalised; an empty name is refused; `score` is at most 1000.
fn before_save_player(_req: &Request, player: &mut Object) -> Result<(), Error> {
    let name = player.get("name").and_then(Value::as_str).unwrap_or_default().trim();
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err(Error::validation("a player needs a name"));
    };
    let name = first.to_uppercase().chain(chars).collect::<String>();
    player.insert("name".into(), json!(name));
    if player.get("score").and_then(Value::as_f64).is_some_and(|s| s > 1000.0) {
        player.insert("score".into(), json!(1000));
    }
    Ok(())
}
