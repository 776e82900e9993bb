//! Parse's typed values and the field types of a class schema.
//!
//! Values travel as Parse's JSON encodings (`{"__type": "Date", "iso": ...}` and so on) and are
//! stored in the same form in the object's `data` document, with dates normalised to
//! `YYYY-MM-DDTHH:MM:SS.mmmZ` so that text order is time order.

use serde_json::{Map, Value, json};

use super::DataError;

/// A field's type in a class schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    String,
    Number,
    Boolean,
    Date,
    Object,
    Array,
    Pointer(String),
    Relation(String),
    GeoPoint,
    Polygon,
    Bytes,
    File,
    Acl,
}

impl FieldType {
    /// The schema API form: `{"type": "Pointer", "targetClass": "_User"}`.
    pub fn to_json(&self) -> Value {
        match self {
            FieldType::Pointer(target) => json!({"type": "Pointer", "targetClass": target}),
            FieldType::Relation(target) => json!({"type": "Relation", "targetClass": target}),
            other => json!({"type": other.name()}),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            FieldType::String => "String",
            FieldType::Number => "Number",
            FieldType::Boolean => "Boolean",
            FieldType::Date => "Date",
            FieldType::Object => "Object",
            FieldType::Array => "Array",
            FieldType::Pointer(_) => "Pointer",
            FieldType::Relation(_) => "Relation",
            FieldType::GeoPoint => "GeoPoint",
            FieldType::Polygon => "Polygon",
            FieldType::Bytes => "Bytes",
            FieldType::File => "File",
            FieldType::Acl => "ACL",
        }
    }

    /// Parses the schema API form.
    pub fn from_json(value: &Value) -> Result<FieldType, DataError> {
        let bad = || DataError::IncorrectType(format!("invalid field type: {value}"));
        let name = value.get("type").and_then(Value::as_str).ok_or_else(bad)?;
        let target = || {
            value
                .get("targetClass")
                .and_then(Value::as_str)
                .map(|t| super::names::ClassName::parse(t).map(|c| c.as_str().to_string()))
                .ok_or_else(|| DataError::MissingTargetClass(name.to_string()))?
        };
        Ok(match name {
            "String" => FieldType::String,
            "Number" => FieldType::Number,
            "Boolean" => FieldType::Boolean,
            "Date" => FieldType::Date,
            "Object" => FieldType::Object,
            "Array" => FieldType::Array,
            "GeoPoint" => FieldType::GeoPoint,
            "Polygon" => FieldType::Polygon,
            "Bytes" => FieldType::Bytes,
            "File" => FieldType::File,
            "ACL" => FieldType::Acl,
            "Pointer" => FieldType::Pointer(target()?),
            "Relation" => FieldType::Relation(target()?),
            _ => return Err(DataError::IncorrectType(format!("invalid field type: {name}"))),
        })
    }

    /// A readable form for error messages: `Pointer<_User>`, `Number`.
    pub fn describe(&self) -> String {
        match self {
            FieldType::Pointer(t) => format!("Pointer<{t}>"),
            FieldType::Relation(t) => format!("Relation<{t}>"),
            other => other.name().to_string(),
        }
    }
}

/// The type a stored value has, or `None` for `null` (which fits any type). Validates the
/// shape of typed values and normalises dates in place.
pub fn type_of(value: &mut Value) -> Result<Option<FieldType>, DataError> {
    Ok(Some(match value {
        Value::Null => return Ok(None),
        Value::String(_) => FieldType::String,
        Value::Number(_) => FieldType::Number,
        Value::Bool(_) => FieldType::Boolean,
        Value::Array(items) => {
            for item in items.iter_mut() {
                validate_nested(item)?;
            }
            FieldType::Array
        }
        Value::Object(map) => match map.get("__type").and_then(Value::as_str) {
            None => {
                for (key, item) in map.iter_mut() {
                    if key.contains('$') || key.contains('.') {
                        return Err(DataError::InvalidNestedKey(key.clone()));
                    }
                    validate_nested(item)?;
                }
                FieldType::Object
            }
            Some("Date") => {
                normalise_date(map)?;
                FieldType::Date
            }
            Some("Pointer") => {
                let class = pointer_parts(map)?.0;
                FieldType::Pointer(class)
            }
            Some("GeoPoint") => {
                geo_point(map)?;
                FieldType::GeoPoint
            }
            Some("Polygon") => {
                polygon(map)?;
                FieldType::Polygon
            }
            Some("Bytes") => {
                match map.get("base64") {
                    Some(Value::String(_)) => {}
                    _ => return Err(DataError::IncorrectType("Bytes need a base64 string".into())),
                }
                FieldType::Bytes
            }
            Some("File") => {
                match map.get("name") {
                    Some(Value::String(_)) => {}
                    _ => return Err(DataError::IncorrectType("a File needs a name".into())),
                }
                // Hearth sets the URL on write (`data::files::set_urls`): a client's is not kept.
                map.retain(|k, _| k == "__type" || k == "name" || k == "url");
                FieldType::File
            }
            Some("Relation") => {
                let class = map
                    .get("className")
                    .and_then(Value::as_str)
                    .ok_or_else(|| DataError::IncorrectType("a Relation needs a className".into()))?;
                FieldType::Relation(class.to_string())
            }
            Some(other) => return Err(DataError::IncorrectType(format!("unknown __type {other:?}"))),
        },
    }))
}

/// Values nested in arrays and objects may be typed values too.
fn validate_nested(value: &mut Value) -> Result<(), DataError> {
    if value.is_object() || value.is_array() {
        type_of(value)?;
    }
    Ok(())
}

/// The class and id of a pointer.
pub fn pointer_parts(map: &Map<String, Value>) -> Result<(String, String), DataError> {
    let class = map.get("className").and_then(Value::as_str);
    let id = map.get("objectId").and_then(Value::as_str);
    match (class, id) {
        (Some(class), Some(id)) => {
            super::names::ClassName::parse(class)?;
            Ok((class.to_string(), id.to_string()))
        }
        _ => Err(DataError::IncorrectType("a Pointer needs className and objectId".into())),
    }
}

/// Latitude and longitude of a GeoPoint, checked against their ranges.
pub fn geo_point(map: &Map<String, Value>) -> Result<(f64, f64), DataError> {
    let lat = map.get("latitude").and_then(Value::as_f64);
    let lng = map.get("longitude").and_then(Value::as_f64);
    match (lat, lng) {
        (Some(lat), Some(lng)) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng) => Ok((lat, lng)),
        (Some(_), Some(_)) => {
            Err(DataError::InvalidGeoPoint("GeoPoint latitude must be within -90 and 90, longitude within -180 and 180".into()))
        }
        _ => Err(DataError::InvalidGeoPoint("a GeoPoint needs numeric latitude and longitude".into())),
    }
}

/// The [lat, lng] corners of a Polygon (at least three).
pub fn polygon(map: &Map<String, Value>) -> Result<Vec<(f64, f64)>, DataError> {
    let coords =
        map.get("coordinates").and_then(Value::as_array).ok_or_else(|| DataError::IncorrectType("a Polygon needs coordinates".into()))?;
    let points: Option<Vec<(f64, f64)>> = coords
        .iter()
        .map(|p| {
            let p = p.as_array()?;
            Some((p.first()?.as_f64()?, p.get(1)?.as_f64()?))
        })
        .collect();
    match points {
        Some(points) if points.len() >= 3 => Ok(points),
        _ => Err(DataError::IncorrectType("Polygon must have at least 3 values".into())),
    }
}

/// Normalises `{"__type":"Date","iso":...}` to millisecond UTC.
fn normalise_date(map: &mut Map<String, Value>) -> Result<(), DataError> {
    let iso = map.get("iso").and_then(Value::as_str).ok_or_else(|| DataError::IncorrectType("a Date needs iso".into()))?;
    let parsed = parse_date(iso).ok_or_else(|| DataError::IncorrectType(format!("invalid date {iso:?}")))?;
    map.insert("iso".into(), Value::String(format_date(parsed)));
    Ok(())
}

pub fn parse_date(iso: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(iso)
        .ok()
        .map(|d| d.with_timezone(&chrono::Utc))
        .or_else(|| chrono::NaiveDateTime::parse_from_str(iso, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|d| d.and_utc()))
}

/// `2024-01-02T03:04:05.678Z`: Parse's date form (milliseconds, UTC, `Z`).
pub fn format_date(date: chrono::DateTime<chrono::Utc>) -> String {
    date.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(mut v: Value) -> Result<Option<FieldType>, DataError> {
        type_of(&mut v)
    }

    #[test]
    fn types_of_values() {
        assert_eq!(t(json!("a")).unwrap(), Some(FieldType::String));
        assert_eq!(t(json!(1.5)).unwrap(), Some(FieldType::Number));
        assert_eq!(t(json!(null)).unwrap(), None);
        assert_eq!(
            t(json!({"__type": "Pointer", "className": "_User", "objectId": "x"})).unwrap(),
            Some(FieldType::Pointer("_User".into()))
        );
        assert_eq!(t(json!({"__type": "GeoPoint", "latitude": 1, "longitude": 2})).unwrap(), Some(FieldType::GeoPoint));
        assert!(t(json!({"__type": "GeoPoint", "latitude": 91, "longitude": 2})).is_err());
        assert!(t(json!({"__type": "Date"})).is_err());
        assert!(t(json!({"__type": "Nonsense"})).is_err());
        assert!(t(json!({"a": {"$where": 1}})).is_err());
        assert!(t(json!([{"__type": "Pointer"}])).is_err());
    }

    #[test]
    fn dates_are_normalised() {
        let mut v = json!({"__type": "Date", "iso": "2024-02-03T04:05:06+01:00"});
        assert_eq!(type_of(&mut v).unwrap(), Some(FieldType::Date));
        assert_eq!(v["iso"], "2024-02-03T03:05:06.000Z");
    }
}
