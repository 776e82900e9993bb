//! The Parse LiveQuery wire protocol: the client's operations, checked the way Parse Server's
//! request schema checks them (the same messages, code 1), and the server's frames.

use serde_json::{Map, Value};

/// A client operation, once checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    Connect(Connect),
    Subscribe(Subscribe),
    /// `update`: a subscription replaced in place (no `unsubscribed`).
    Update(Subscribe),
    Unsubscribe {
        request_id: i64,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Connect {
    pub application_id: String,
    pub javascript_key: Option<String>,
    pub master_key: Option<String>,
    pub client_key: Option<String>,
    pub windows_key: Option<String>,
    pub rest_api_key: Option<String>,
    pub session_token: Option<String>,
    pub installation_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subscribe {
    pub request_id: i64,
    pub class_name: String,
    pub where_: Value,
    pub keys: Option<Vec<String>>,
    pub watch: Option<Vec<String>>,
    pub session_token: Option<String>,
}

/// A frame the server refuses before any work: Parse's code 1 and the message its schema
/// validator gives.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid(pub String);

const OPS: [&str; 4] = ["connect", "subscribe", "unsubscribe", "update"];
const CONNECT_FIELDS: [&str; 9] =
    ["op", "applicationId", "javascriptKey", "masterKey", "clientKey", "windowsKey", "restAPIKey", "sessionToken", "installationId"];
const SUBSCRIBE_FIELDS: [&str; 4] = ["op", "requestId", "query", "sessionToken"];
const QUERY_FIELDS: [&str; 4] = ["className", "where", "keys", "watch"];

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn wrong_type(v: &Value, expected: &str) -> Invalid {
    Invalid(format!("Invalid type: {} (expected {expected})", type_name(v)))
}

fn check_fields(map: &Map<String, Value>, allowed: &[&str], required: &[&str]) -> Result<(), Invalid> {
    if let Some(missing) = required.iter().find(|r| !map.contains_key(**r)) {
        return Err(Invalid(format!("Missing required property: {missing}")));
    }
    if map.keys().any(|k| !allowed.contains(&k.as_str())) {
        return Err(Invalid("Additional properties not allowed".into()));
    }
    Ok(())
}

fn string(map: &Map<String, Value>, key: &str) -> Result<Option<String>, Invalid> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(wrong_type(other, "string")),
    }
}

fn request_id(map: &Map<String, Value>) -> Result<i64, Invalid> {
    match map.get("requestId") {
        Some(Value::Number(n)) => n.as_i64().ok_or_else(|| Invalid("requestId must be an integer".into())),
        Some(other) => Err(wrong_type(other, "number")),
        None => Err(Invalid("Missing required property: requestId".into())),
    }
}

/// The most entries `keys` or `watch` may have before the app (and its query limits) is known.
const MAX_NAMES: usize = 1_000;

/// `keys` and `watch`: at least one string, each once.
fn names(query: &Map<String, Value>, key: &str) -> Result<Option<Vec<String>>, Invalid> {
    let Some(value) = query.get(key) else { return Ok(None) };
    let items = value.as_array().ok_or_else(|| wrong_type(value, "array"))?;
    if items.is_empty() {
        return Err(Invalid("Array is too short (0), minimum 1".into()));
    }
    if items.len() > MAX_NAMES {
        return Err(Invalid(format!("Array is too long ({}), maximum {MAX_NAMES}", items.len())));
    }
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let name = item.as_str().ok_or_else(|| wrong_type(item, "string"))?;
        if !seen.insert(name) {
            return Err(Invalid("Array items are not unique".into()));
        }
        out.push(name.to_string());
    }
    Ok(Some(out))
}

/// Reads one client frame. `Ok(None)`: not JSON at all, which Parse Server ignores.
pub fn parse(text: &str) -> Result<Option<Request>, Invalid> {
    let Ok(value) = serde_json::from_str::<Value>(text) else { return Ok(None) };
    let Value::Object(map) = value else { return Err(wrong_type(&value, "object")) };
    let op = match map.get("op") {
        None => return Err(Invalid("Missing required property: op".into())),
        Some(Value::String(op)) if OPS.contains(&op.as_str()) => op.as_str(),
        Some(Value::String(op)) => return Err(Invalid(format!("No enum match for: {}", Value::String(op.clone())))),
        Some(other) => return Err(wrong_type(other, "string")),
    };
    match op {
        "connect" => {
            check_fields(&map, &CONNECT_FIELDS, &["op", "applicationId"])?;
            Ok(Some(Request::Connect(Connect {
                application_id: string(&map, "applicationId")?.unwrap_or_default(),
                javascript_key: string(&map, "javascriptKey")?,
                master_key: string(&map, "masterKey")?,
                client_key: string(&map, "clientKey")?,
                windows_key: string(&map, "windowsKey")?,
                rest_api_key: string(&map, "restAPIKey")?,
                session_token: string(&map, "sessionToken")?,
                installation_id: string(&map, "installationId")?,
            })))
        }
        "unsubscribe" => {
            check_fields(&map, &["op", "requestId"], &["op", "requestId"])?;
            Ok(Some(Request::Unsubscribe { request_id: request_id(&map)? }))
        }
        _ => {
            check_fields(&map, &SUBSCRIBE_FIELDS, &["op", "requestId", "query"])?;
            let request_id = request_id(&map)?;
            let query = match map.get("query") {
                Some(Value::Object(query)) => query,
                Some(other) => return Err(wrong_type(other, "object")),
                None => unreachable!("checked above"),
            };
            check_fields(query, &QUERY_FIELDS, &["className", "where"])?;
            let class_name = string(query, "className")?.unwrap_or_default();
            let where_ = match query.get("where") {
                Some(w @ Value::Object(_)) => w.clone(),
                Some(other) => return Err(wrong_type(other, "object")),
                None => unreachable!("checked above"),
            };
            let subscribe = Subscribe {
                request_id,
                class_name,
                where_,
                keys: names(query, "keys")?,
                watch: names(query, "watch")?,
                session_token: string(&map, "sessionToken")?,
            };
            Ok(Some(if op == "update" { Request::Update(subscribe) } else { Request::Subscribe(subscribe) }))
        }
    }
}

/// The frames the server sends.
pub mod frames {
    use serde_json::{Value, json};

    /// The head every frame of a client starts with: `{"op":<op>,"clientId":..,"installationId":..`
    /// (the object is left open for what follows).
    pub fn head(op: &str, client_id: &str, installation_id: Option<&str>) -> String {
        let mut out = String::with_capacity(96);
        out.push_str("{\"op\":\"");
        out.push_str(op);
        out.push_str("\",\"clientId\":");
        out.push_str(&Value::String(client_id.to_string()).to_string());
        if let Some(installation) = installation_id {
            out.push_str(",\"installationId\":");
            out.push_str(&Value::String(installation.to_string()).to_string());
        }
        out
    }

    pub fn connected(client_id: &str, installation_id: Option<&str>) -> String {
        let mut out = head("connected", client_id, installation_id);
        out.push('}');
        out
    }

    /// `subscribed` or `unsubscribed`.
    pub fn subscription(op: &str, client_id: &str, installation_id: Option<&str>, request_id: i64) -> String {
        let mut out = head(op, client_id, installation_id);
        out.push_str(&format!(",\"requestId\":{request_id}}}"));
        out
    }

    /// An event (`create`, `enter`, `update`, `leave`, `delete`) with its object(s), already
    /// serialised (they are shared by the subscribers who see the same).
    pub fn event(
        op: &str,
        client_id: &str,
        installation_id: Option<&str>,
        request_id: i64,
        object: &str,
        original: Option<&str>,
    ) -> String {
        let mut out = head(op, client_id, installation_id);
        out.reserve(object.len() + original.map_or(0, str::len) + 48);
        out.push_str(&format!(",\"requestId\":{request_id},\"object\":"));
        out.push_str(object);
        if let Some(original) = original {
            out.push_str(",\"original\":");
            out.push_str(original);
        }
        out.push('}');
        out
    }

    /// Parse's error frame. With `reconnect`, the SDK opens a new socket (the server closes
    /// this one).
    pub fn error(code: i32, message: &str, reconnect: bool, request_id: Option<i64>) -> String {
        json!({"op": "error", "error": message, "code": code, "reconnect": reconnect, "requestId": request_id}).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(text: &str) -> String {
        parse(text).unwrap_err().0
    }

    #[test]
    fn parse_servers_messages_for_bad_frames() {
        assert_eq!(parse("not json").unwrap(), None);
        assert_eq!(invalid(r#"{"op":"foo"}"#), r#"No enum match for: "foo""#);
        assert_eq!(invalid(r#"{"foo":1}"#), "Missing required property: op");
        assert_eq!(invalid(r#"[1]"#), "Invalid type: array (expected object)");
        assert_eq!(invalid(r#"{"op":1}"#), "Invalid type: number (expected string)");
        assert_eq!(invalid(r#"{"op":"connect"}"#), "Missing required property: applicationId");
        assert_eq!(invalid(r#"{"op":"connect","applicationId":"a","extra":1}"#), "Additional properties not allowed");
        assert_eq!(invalid(r#"{"op":"connect","applicationId":5}"#), "Invalid type: number (expected string)");
        assert_eq!(invalid(r#"{"op":"subscribe","query":{"className":"A","where":{}}}"#), "Missing required property: requestId");
        assert_eq!(
            invalid(r#"{"op":"subscribe","requestId":"1","query":{"className":"A","where":{}}}"#),
            "Invalid type: string (expected number)"
        );
        assert_eq!(invalid(r#"{"op":"subscribe","requestId":1,"query":{"className":"A"}}"#), "Missing required property: where");
        assert_eq!(
            invalid(r#"{"op":"subscribe","requestId":1,"query":{"className":"A","where":[]}}"#),
            "Invalid type: array (expected object)"
        );
        assert_eq!(
            invalid(r#"{"op":"subscribe","requestId":1,"query":{"className":"A","where":{},"order":"x"}}"#),
            "Additional properties not allowed"
        );
        assert_eq!(
            invalid(r#"{"op":"subscribe","requestId":1,"query":{"className":"A","where":{},"keys":[]}}"#),
            "Array is too short (0), minimum 1"
        );
        assert_eq!(
            invalid(r#"{"op":"subscribe","requestId":1,"query":{"className":"A","where":{},"keys":["a","a"]}}"#),
            "Array items are not unique"
        );
        assert_eq!(invalid(r#"{"op":"unsubscribe"}"#), "Missing required property: requestId");
    }

    #[test]
    fn what_the_js_sdk_sends_is_read() {
        let connect = parse(r#"{"op":"connect","applicationId":"app","javascriptKey":"js","sessionToken":"r:1","installationId":"i"}"#)
            .unwrap()
            .unwrap();
        let Request::Connect(c) = connect else { panic!() };
        assert_eq!((c.application_id.as_str(), c.javascript_key.as_deref(), c.session_token.as_deref()), ("app", Some("js"), Some("r:1")));
        let sub = parse(
            r#"{"op":"subscribe","requestId":3,"query":{"className":"M","where":{"a":1},"keys":["t"],"watch":["t"]},"sessionToken":"r:1"}"#,
        )
        .unwrap()
        .unwrap();
        let Request::Subscribe(s) = sub else { panic!() };
        assert_eq!(
            (s.request_id, s.class_name.as_str(), s.keys.as_deref(), s.session_token.as_deref()),
            (3, "M", Some(&["t".to_string()][..]), Some("r:1"))
        );
        assert_eq!(parse(r#"{"op":"unsubscribe","requestId":3}"#).unwrap(), Some(Request::Unsubscribe { request_id: 3 }));
    }

    #[test]
    fn frames_are_parse_servers() {
        let f: Value = serde_json::from_str(&frames::event("update", "c1", Some("i1"), 2, r#"{"a":1}"#, Some(r#"{"a":0}"#))).unwrap();
        assert_eq!(
            f,
            serde_json::json!({"op": "update", "clientId": "c1", "installationId": "i1", "requestId": 2, "object": {"a": 1}, "original": {"a": 0}})
        );
        let f: Value = serde_json::from_str(&frames::connected("c1", None)).unwrap();
        assert_eq!(f, serde_json::json!({"op": "connected", "clientId": "c1"}));
        let f: Value = serde_json::from_str(&frames::error(4, "Key in request is not valid", true, None)).unwrap();
        assert_eq!(
            f,
            serde_json::json!({"op": "error", "error": "Key in request is not valid", "code": 4, "reconnect": true, "requestId": null})
        );
    }
}
