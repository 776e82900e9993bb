//! A `POST /push` body (or the `push` host call's) read into a [`PushRequest`], with Parse
//! Server's checks in its order and its messages (error 115), and Hearth's own where Parse has
//! none (device types no provider takes, payloads a provider would refuse). Nothing is recorded
//! or queued for a push refused here.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::PushError;
use crate::data::schema::js_text;
use crate::data::value::format_date;

/// When a push is due.
#[derive(Debug, Clone, PartialEq)]
pub enum PushTime {
    /// At one instant everywhere.
    At(DateTime<Utc>),
    /// At this wall-clock time in each installation's `timeZone` (a `push_time` without a zone).
    Local(NaiveDateTime),
}

impl PushTime {
    /// As `_PushStatus.pushTime` keeps it: an instant with `Z`, a local time without.
    pub fn text(&self) -> String {
        match self {
            PushTime::At(at) => format_date(*at),
            PushTime::Local(naive) => naive.format("%Y-%m-%dT%H:%M:%S%.3f").to_string(),
        }
    }

    /// Reads a stored `pushTime` back.
    pub fn from_text(text: &str) -> Option<PushTime> {
        parse_time_text(text)
    }
}

/// A push as asked, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct PushRequest {
    /// The installations targeted (`channels` made into `{"channels": {"$in": [...]}}`).
    pub where_: Value,
    /// Parse's `data`, as given.
    pub data: Map<String, Value>,
    /// What the push does to each installation's badge first.
    pub badge: Option<Badge>,
    /// None: now.
    pub push_time: Option<PushTime>,
    pub expiration_time: Option<DateTime<Utc>>,
    /// Seconds after the push is due.
    pub expiration_interval: Option<f64>,
    /// A saved audience this push used (`_Audience`).
    pub audience_id: Option<String>,
}

/// A push's `badge`: a value to set, or an increment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Badge {
    Set(f64),
    Increment(f64),
}

/// The longest `expiration_interval`, in seconds.
pub const MAX_INTERVAL: f64 = 315_360_000.0;

/// The device types each provider delivers to.
pub const APPLE_TYPES: &[&str] = &["ios", "osx", "tvos", "watchos"];
pub const FCM_TYPES: &[&str] = &["android", "fcm"];

fn misconfigured(message: impl Into<String>) -> PushError {
    PushError::Misconfigured(message.into())
}

/// Reads a push body. `supported` says whether a device type named in the `where` has a provider.
pub fn parse(body: &Map<String, Value>, supported: &dyn Fn(&str) -> bool) -> Result<PushRequest, PushError> {
    // Target: channels or a query, not both.
    let given = |key: &str| body.get(key).filter(|v| !v.is_null());
    let where_ = match (given("where"), given("channels")) {
        (Some(_), Some(_)) => return Err(misconfigured("Channels and query can not be set at the same time.")),
        (Some(w @ Value::Object(_)), None) => w.clone(),
        (Some(_), None) => return Err(PushError::Data(crate::data::DataError::InvalidQuery("where must be an object".into()))),
        (None, Some(Value::Array(channels))) if channels.iter().all(Value::is_string) => json!({ "channels": { "$in": channels } }),
        (None, Some(_)) => return Err(misconfigured("channels must be an array of strings")),
        (None, None) => return Err(misconfigured("Sending a push requires either \"channels\" or a \"where\" query.")),
    };
    for device_type in named_device_types(&where_) {
        if !supported(&device_type) {
            return Err(misconfigured(format!("{device_type} is not supported push type.")));
        }
    }
    let data = match body.get("data") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(data)) => data.clone(),
        Some(_) => return Err(misconfigured("data must be an object")),
    };
    let expiration_time = match body.get("expiration_time") {
        None | Some(Value::Null) => None,
        Some(value) => match time_of(value) {
            Some(PushTime::At(at)) => Some(at),
            // A time without a zone is read as UTC (the server's zone in Parse Server's images).
            Some(PushTime::Local(naive)) => Some(Utc.from_utc_datetime(&naive)),
            None => return Err(misconfigured(format!("{} is not valid time.", js_text(value)))),
        },
    };
    let expiration_interval = match body.get("expiration_interval") {
        None | Some(Value::Null) => None,
        // At most about ten years: an expiry must stay a time.
        Some(Value::Number(n)) if n.as_f64().is_some_and(|n| n > 0.0 && n <= MAX_INTERVAL) => n.as_f64(),
        Some(_) => return Err(misconfigured("expiration_interval must be a number greater than 0")),
    };
    if expiration_time.is_some() && expiration_interval.is_some() {
        return Err(misconfigured("Both expiration_time and expiration_interval cannot be set"));
    }
    let push_time = match body.get("push_time") {
        None | Some(Value::Null) => None,
        Some(value) => match time_of(value) {
            Some(time) => Some(time),
            None => return Err(misconfigured(format!("{} is not valid time.", js_text(value)))),
        },
    };
    let badge = match data.get("badge") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            badge_of(value)
                .ok_or_else(|| misconfigured("Invalid value for badge, expected number or 'Increment' or {increment: number}"))?,
        ),
    };
    let audience_id = match body.get("audience_id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.is_empty() && id.len() <= 64 => Some(id.clone()),
        Some(_) => return Err(misconfigured("audience_id must be an objectId")),
    };
    Ok(PushRequest { where_, data, badge, push_time, expiration_time, expiration_interval, audience_id })
}

/// A badge as Parse Server reads it: `"Increment"` (any case), `{"__op": "Increment", "amount": n}`,
/// or a number.
pub fn badge_of(value: &Value) -> Option<Badge> {
    match value {
        Value::String(s) if s.eq_ignore_ascii_case("increment") => Some(Badge::Increment(1.0)),
        Value::Object(op) if op.get("__op").and_then(Value::as_str).is_some_and(|o| o.eq_ignore_ascii_case("increment")) => {
            op.get("amount").and_then(Value::as_f64).filter(|n| n.is_finite() && *n != 0.0).map(Badge::Increment)
        }
        Value::Number(n) => n.as_f64().filter(|n| n.is_finite()).map(Badge::Set),
        _ => None,
    }
}

/// A time as Parse Server reads `push_time` and `expiration_time`: a number of seconds since the
/// epoch, or a date string; a string without a zone is a local time.
fn time_of(value: &Value) -> Option<PushTime> {
    // Years PostgreSQL and every computation on the time can hold.
    let sane = |time: PushTime| {
        let year = match &time {
            PushTime::At(at) => chrono::Datelike::year(at),
            PushTime::Local(naive) => chrono::Datelike::year(naive),
        };
        (1900..=9999).contains(&year).then_some(time)
    };
    any_time(value).and_then(sane)
}

fn any_time(value: &Value) -> Option<PushTime> {
    match value {
        Value::Number(n) => {
            let ms = n.as_f64().filter(|s| s.is_finite()).map(|s| s * 1000.0)?;
            if ms.abs() > 8.64e15 {
                return None;
            }
            Utc.timestamp_millis_opt(ms as i64).single().map(PushTime::At)
        }
        Value::String(s) => parse_time_text(s),
        _ => None,
    }
}

fn parse_time_text(text: &str) -> Option<PushTime> {
    let text = text.trim();
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(PushTime::At(at.with_timezone(&Utc)));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Some(PushTime::At(at.with_timezone(&Utc)));
        }
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, format) {
            return Some(PushTime::Local(naive));
        }
    }
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        // JavaScript reads a date alone as midnight UTC.
        return Some(PushTime::At(Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0)?)));
    }
    None
}

/// The device types a `where` names at its top level (`deviceType: "ios"`, `{"$eq": ...}`,
/// `{"$in": [...]}`), to refuse those no provider delivers to.
fn named_device_types(where_: &Value) -> Vec<String> {
    let mut types = Vec::new();
    let mut add = |value: &Value| match value {
        Value::String(s) => types.push(s.clone()),
        Value::Object(ops) => {
            if let Some(Value::String(s)) = ops.get("$eq") {
                types.push(s.clone());
            }
            if let Some(Value::Array(items)) = ops.get("$in") {
                types.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
            }
        }
        _ => {}
    };
    if let Some(value) = where_.get("deviceType") {
        add(value);
    }
    if let Some(value) = where_.get("pushType") {
        add(value);
    }
    types
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn refusal(v: Value) -> String {
        match parse(&body(v), &|t| t != "blackberry") {
            Err(PushError::Misconfigured(m)) => m,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn parse_server_checks_and_messages() {
        assert_eq!(refusal(json!({"where": {}, "channels": ["a"]})), "Channels and query can not be set at the same time.");
        assert_eq!(refusal(json!({"data": {}})), "Sending a push requires either \"channels\" or a \"where\" query.");
        assert_eq!(refusal(json!({"channels": ["a"], "expiration_time": true})), "true is not valid time.");
        assert_eq!(refusal(json!({"channels": ["a"], "push_time": "soon"})), "soon is not valid time.");
        assert_eq!(refusal(json!({"channels": ["a"], "push_time": {}})), "[object Object] is not valid time.");
        assert_eq!(refusal(json!({"channels": ["a"], "push_time": "-262143-01-01T00:00:00"})), "-262143-01-01T00:00:00 is not valid time.");
        assert_eq!(
            refusal(json!({"channels": ["a"], "push_time": "+262142-12-31T23:59:59Z"})),
            "+262142-12-31T23:59:59Z is not valid time."
        );
        assert_eq!(refusal(json!({"channels": ["a"], "expiration_interval": 0})), "expiration_interval must be a number greater than 0");
        assert_eq!(refusal(json!({"channels": ["a"], "expiration_interval": "1"})), "expiration_interval must be a number greater than 0");
        assert_eq!(refusal(json!({"channels": ["a"], "expiration_interval": 1e16})), "expiration_interval must be a number greater than 0");
        assert_eq!(
            refusal(json!({"channels": ["a"], "expiration_interval": 5, "expiration_time": "2030-01-01T00:00:00Z"})),
            "Both expiration_time and expiration_interval cannot be set"
        );
        assert_eq!(
            refusal(json!({"channels": ["a"], "data": {"badge": "x"}})),
            "Invalid value for badge, expected number or 'Increment' or {increment: number}"
        );
        assert_eq!(refusal(json!({"where": {"deviceType": "blackberry"}})), "blackberry is not supported push type.");
        assert_eq!(refusal(json!({"where": {"deviceType": {"$in": ["ios", "blackberry"]}}})), "blackberry is not supported push type.");
    }

    #[test]
    fn times_are_read_as_parse_reads_them() {
        let r =
            parse(&body(json!({"channels": ["a"], "push_time": 1_900_000_000, "expiration_time": "2030-03-01T10:00:00.000Z"})), &|_| true)
                .unwrap();
        assert_eq!(r.push_time, Some(PushTime::At(Utc.timestamp_opt(1_900_000_000, 0).unwrap())));
        assert_eq!(r.expiration_time.map(format_date).as_deref(), Some("2030-03-01T10:00:00.000Z"));
        let local = parse(&body(json!({"channels": ["a"], "push_time": "2030-03-01T09:30:00"})), &|_| true).unwrap();
        let Some(PushTime::Local(naive)) = local.push_time else { panic!("a local time") };
        assert_eq!(PushTime::Local(naive).text(), "2030-03-01T09:30:00.000");
        assert_eq!(PushTime::from_text("2030-03-01T09:30:00.000"), Some(PushTime::Local(naive)));
        let offset = parse(&body(json!({"channels": ["a"], "push_time": "2030-03-01T09:30:00+02:00"})), &|_| true).unwrap();
        assert_eq!(offset.push_time.map(|t| t.text()).as_deref(), Some("2030-03-01T07:30:00.000Z"));
    }

    #[test]
    fn badges_and_channels() {
        let r = parse(&body(json!({"channels": ["a", "b"], "data": {"badge": "increment", "alert": "hi"}})), &|_| true).unwrap();
        assert_eq!(r.where_, json!({"channels": {"$in": ["a", "b"]}}));
        assert_eq!(r.badge, Some(Badge::Increment(1.0)));
        assert_eq!(badge_of(&json!({"__op": "Increment", "amount": 3})), Some(Badge::Increment(3.0)));
        assert_eq!(badge_of(&json!(7)), Some(Badge::Set(7.0)));
        assert_eq!(badge_of(&json!([1])), None);
    }
}
