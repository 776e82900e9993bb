//! Parse's `where` JSON read into a tree ([`Where`]): the one definition of what a query may say.
//!
//! The parser refuses what the SQL compiler cannot compile, with the same codes and messages
//! (102 `InvalidQuery`, 105 `InvalidFieldName`/`InvalidKeyName`, 107 `InvalidJson`, and the
//! value errors of `data::value`), and normalises values the way the compiler binds them (dates
//! in Parse's form, typed values checked). The SQL compiler compiles from this tree, so a
//! `where` the parser refuses never reaches PostgreSQL; [`super::eval`] evaluates the same tree
//! on an object in memory, with the SQL's semantics, for LiveQuery subscriptions.

use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::compile::{self, CONTAINMENT_IN_MAX, Field, MAX_DEPTH, date_param, geo, has_nul, normalised, normalised_array};
use crate::apps::settings::queries::QueryLimits;
use crate::data::DataError;
use crate::data::names::{ClassName, FieldName};
use crate::data::schema::AppSchema;
use crate::data::value::{self, FieldType};

/// A parsed `where`: every condition must hold (an empty one matches every object).
#[derive(Debug, Clone, Default)]
pub struct Where {
    pub conds: Vec<Cond>,
}

/// One key of a `where` object.
#[derive(Debug, Clone)]
pub enum Cond {
    Or(Vec<Where>),
    And(Vec<Where>),
    Nor(Vec<Where>),
    /// `$relatedTo`: the objects a relation of another object holds (a join table).
    RelatedTo {
        class: ClassName,
        object_id: String,
        key: FieldName,
    },
    /// A condition on one field: `key` as written, `field` what it refers to.
    Field {
        key: String,
        field: Field,
        test: Test,
    },
}

/// What a field's condition asks.
#[derive(Debug, Clone)]
pub enum Test {
    /// A condition decided without looking at the object: a value holding U+0000, which no
    /// stored text has (`true` for `$ne`/`$nin`, `false` otherwise).
    Const(bool),
    /// Equality with a pointer on a relation field: the objects whose relation holds it.
    RelationHolds { object_id: String },
    /// Equality with a plain value (normalised), as `{"key": value}`.
    Eq(Arg),
    /// An object of operators, all of which must hold.
    Ops(Vec<Op>),
}

/// A value an operator compares with: JSON in its stored form, or an instant for the
/// `createdAt`/`updatedAt` columns.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Json(Value),
    Date(DateTime<Utc>),
}

impl Arg {
    pub fn json(&self) -> Option<&Value> {
        match self {
            Arg::Json(v) => Some(v),
            Arg::Date(_) => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Lte,
    Gt,
    Gte,
}

/// One operator of a field's condition, its argument checked and normalised.
#[derive(Debug, Clone)]
pub enum Op {
    Eq(Arg),
    /// `$ne`; `Ne(Arg::Json(Value::Null))` means "exists".
    Ne(Arg),
    /// A comparison: with a number, a string or a Date (`{"__type": "Date", "iso"}` in Parse's
    /// form) on a data field, a string on `objectId`, an instant on the date columns.
    Cmp(Cmp, Arg),
    /// `$in`: the values (`null` items dropped) and whether `null` was among them.
    In {
        values: Vec<Arg>,
        null: bool,
    },
    Nin {
        values: Vec<Arg>,
        null: bool,
    },
    Exists(bool),
    /// `$all` of values: the field (an array) contains each.
    All(Vec<Value>),
    /// `$all` of `{"$regex"}` items (`containsAllStartingWith`): each matches an element.
    AllRegex(Vec<Regex>),
    ContainedBy(Vec<Value>),
    Regex(Regex),
    Select {
        query: Box<SubQuery>,
        key: String,
        negate: bool,
    },
    InQuery {
        query: Box<SubQuery>,
        negate: bool,
    },
    Text {
        term: String,
        language: String,
    },
    /// `$nearSphere`, with `$maxDistance*` converted to radians.
    NearSphere {
        lat: f64,
        lng: f64,
        max_radians: Option<f64>,
    },
    /// `$within: {$box: [sw, ne]}`, corners as (latitude, longitude).
    WithinBox {
        sw: (f64, f64),
        ne: (f64, f64),
    },
    /// `$geoWithin: {$polygon}`: the corners as given ((latitude, longitude) for GeoPoints).
    WithinPolygon(Vec<(f64, f64)>),
    /// `$geoWithin: {$centerSphere: [[lng, lat], radians]}`.
    CenterSphere {
        lat: f64,
        lng: f64,
        radians: f64,
    },
    /// `$geoIntersects: {$point}` on a Polygon field.
    GeoIntersects {
        lat: f64,
        lng: f64,
    },
}

/// A sub-query of `$select`/`$inQuery`: another class, its `where` as sent (its access checks
/// read it) and parsed.
#[derive(Debug, Clone)]
pub struct SubQuery {
    pub class: ClassName,
    pub raw: Value,
    pub where_: Where,
}

/// A `$regex` as the compiler sends it to PostgreSQL (`translate_regex`), with its in-memory
/// form compiled once, on first use.
#[derive(Debug, Clone)]
pub struct Regex {
    pub translated: String,
    compiled: Arc<OnceLock<Result<regex::Regex, String>>>,
}

impl Regex {
    fn new(translated: String) -> Regex {
        Regex { translated, compiled: Arc::new(OnceLock::new()) }
    }

    /// The pattern for the `regex` crate, or why it would not match exactly what PostgreSQL's
    /// ARE matches.
    pub fn compiled(&self) -> Result<&regex::Regex, &str> {
        self.compiled.get_or_init(|| super::eval::rust_regex(&self.translated)).as_ref().map_err(String::as_str)
    }
}

/// Parses `where_` on `class`, first held to `limits` (as a find's `where` is).
pub fn parse_where(schema: &AppSchema, class: &ClassName, where_: &Value, limits: &QueryLimits) -> Result<Where, DataError> {
    limits.check_where(where_)?;
    parse_tree(schema, class, where_)
}

/// Parses `where_` on `class` without the app's size limits (the caller checked them).
pub fn parse_tree(schema: &AppSchema, class: &ClassName, where_: &Value) -> Result<Where, DataError> {
    Parser::new(schema).parse(class, where_, 0)
}

pub(super) struct Parser<'a> {
    schema: &'a AppSchema,
}

impl<'a> Parser<'a> {
    pub(super) fn new(schema: &'a AppSchema) -> Parser<'a> {
        Parser { schema }
    }

    /// Parses a `where` found `depth` levels down (`$or` items and sub-queries count).
    pub(super) fn parse(&self, class: &ClassName, where_: &Value, depth: usize) -> Result<Where, DataError> {
        if depth > MAX_DEPTH {
            return Err(DataError::InvalidQuery("query is nested too deeply".into()));
        }
        let map = match where_ {
            Value::Object(map) => map,
            Value::Null => return Ok(Where::default()),
            _ => return Err(DataError::InvalidQuery("where must be a JSON object".into())),
        };
        let mut conds = Vec::with_capacity(map.len());
        for (key, cond) in map {
            let parsed = match key.as_str() {
                "$or" | "$and" | "$nor" => {
                    let items = cond
                        .as_array()
                        .filter(|a| !a.is_empty())
                        .ok_or_else(|| DataError::InvalidQuery("Bad $or format - use an array value.".to_string()))?;
                    let subs: Vec<Where> = items.iter().map(|w| self.parse(class, w, depth + 1)).collect::<Result<_, _>>()?;
                    match key.as_str() {
                        "$or" => Cond::Or(subs),
                        "$and" => Cond::And(subs),
                        _ => Cond::Nor(subs),
                    }
                }
                "$relatedTo" => related_to(cond)?,
                k if k.starts_with('$') => return Err(DataError::InvalidKeyName(k.to_string())),
                _ => {
                    let field = compile::field_of(self.schema, class, key)?;
                    let test = self.test(&field, cond, depth)?;
                    Cond::Field { key: key.clone(), field, test }
                }
            };
            conds.push(parsed);
        }
        Ok(Where { conds })
    }

    fn test(&self, field: &Field, cond: &Value, depth: usize) -> Result<Test, DataError> {
        // Stored text never holds U+0000 (PostgreSQL refuses it), so a value with one matches nothing.
        if has_nul(cond) {
            return Ok(Test::Const(cond.as_object().is_some_and(|m| m.keys().any(|k| k == "$ne" || k == "$nin"))));
        }
        if let Field::Data { ty: Some(FieldType::Relation(_)), .. } = field
            && let Some(map) = cond.as_object()
            && map.get("__type").and_then(Value::as_str) == Some("Pointer")
        {
            let (_, object_id) = value::pointer_parts(map)?;
            return Ok(Test::RelationHolds { object_id });
        }
        let ops = match cond {
            Value::Object(map) if map.keys().any(|k| k.starts_with('$')) => map,
            _ => return Ok(Test::Eq(equality(field, cond)?)),
        };
        let mut parsed = Vec::with_capacity(ops.len());
        for (op, arg) in ops {
            let o = match op.as_str() {
                "$eq" => Op::Eq(equality(field, arg)?),
                "$ne" => match arg {
                    Value::Null => Op::Ne(Arg::Json(Value::Null)),
                    _ => Op::Ne(equality(field, arg)?),
                },
                "$lt" | "$lte" | "$gt" | "$gte" => {
                    let cmp = match op.as_str() {
                        "$lt" => Cmp::Lt,
                        "$lte" => Cmp::Lte,
                        "$gt" => Cmp::Gt,
                        _ => Cmp::Gte,
                    };
                    Op::Cmp(cmp, comparison(field, op, arg)?)
                }
                "$in" | "$nin" => {
                    let (values, null) = in_list(field, arg)?;
                    if op == "$in" { Op::In { values, null } } else { Op::Nin { values, null } }
                }
                "$exists" => match arg {
                    Value::Bool(b) => Op::Exists(*b),
                    _ => return Err(DataError::InvalidQuery("$exists: must be a boolean".into())),
                },
                "$all" => all(field, arg)?,
                "$containedBy" => {
                    let list = arg.as_array().ok_or_else(|| DataError::InvalidQuery("$containedBy: must be an array".into()))?;
                    data_only(field, "$containedBy")?;
                    Op::ContainedBy(as_items(normalised_array(list)?))
                }
                "$regex" => regex(field, arg, ops.get("$options"))?,
                "$options" => {
                    if !ops.contains_key("$regex") {
                        return Err(DataError::InvalidQuery("$options needs $regex".into()));
                    }
                    continue;
                }
                "$select" | "$dontSelect" => self.select(field, arg, op == "$dontSelect", depth)?,
                "$inQuery" | "$notInQuery" => self.in_query(field, arg, op == "$notInQuery", depth)?,
                "$text" => text(field, arg)?,
                "$nearSphere" => near(field, arg, ops)?,
                "$maxDistance" | "$maxDistanceInRadians" | "$maxDistanceInKilometers" | "$maxDistanceInMiles" => {
                    if !ops.contains_key("$nearSphere") {
                        return Err(DataError::InvalidQuery(format!("{op} needs $nearSphere")));
                    }
                    continue;
                }
                "$within" => within_box(field, arg)?,
                "$geoWithin" => geo_within(field, arg)?,
                "$geoIntersects" => {
                    let point = arg
                        .get("$point")
                        .ok_or_else(|| DataError::InvalidQuery("bad $geoIntersect value; $point should be GeoPoint".into()))?;
                    let (lat, lng) = geo(point)?;
                    data_only(field, "$geoIntersects")?;
                    Op::GeoIntersects { lat, lng }
                }
                other => return Err(DataError::InvalidQuery(format!("bad constraint: {other}"))),
            };
            parsed.push(o);
        }
        Ok(Test::Ops(parsed))
    }

    fn select(&self, field: &Field, arg: &Value, negate: bool, depth: usize) -> Result<Op, DataError> {
        let bad = || DataError::InvalidQuery("improper usage of $select".into());
        let query = arg.get("query").ok_or_else(bad)?;
        let key = arg.get("key").and_then(Value::as_str).ok_or_else(bad)?;
        let class = ClassName::parse(query.get("className").and_then(Value::as_str).ok_or_else(bad)?)?;
        let sub_field = compile::field_of(self.schema, &class, key)?;
        if matches!(sub_field, Field::CreatedAt | Field::UpdatedAt) {
            return Err(bad());
        }
        let raw = query.get("where").cloned().unwrap_or(Value::Null);
        let where_ = self.parse(&class, &raw, depth + 1)?;
        if matches!(field, Field::CreatedAt | Field::UpdatedAt) {
            return Err(bad());
        }
        Ok(Op::Select { query: Box::new(SubQuery { class, raw, where_ }), key: key.to_string(), negate })
    }

    fn in_query(&self, field: &Field, arg: &Value, negate: bool, depth: usize) -> Result<Op, DataError> {
        let bad = || DataError::InvalidQuery("improper usage of $inQuery".into());
        let class = ClassName::parse(arg.get("className").and_then(Value::as_str).ok_or_else(bad)?)?;
        data_only(field, "$inQuery")?;
        let raw = arg.get("where").cloned().unwrap_or(Value::Null);
        let where_ = self.parse(&class, &raw, depth + 1)?;
        Ok(Op::InQuery { query: Box::new(SubQuery { class, raw, where_ }), negate })
    }
}

/// The items of a JSON array made by `normalised_array`.
fn as_items(list: Value) -> Vec<Value> {
    match list {
        Value::Array(items) => items,
        other => vec![other],
    }
}

fn related_to(arg: &Value) -> Result<Cond, DataError> {
    let bad = || DataError::InvalidQuery("improper usage of $relatedTo".into());
    let object = arg.get("object").and_then(Value::as_object).ok_or_else(bad)?;
    let (owner_class, object_id) = value::pointer_parts(object)?;
    let class = ClassName::parse(&owner_class)?;
    let key = FieldName::parse(arg.get("key").and_then(Value::as_str).ok_or_else(bad)?)?;
    Ok(Cond::RelatedTo { class, object_id, key })
}

/// Refuses an operator that only applies to data fields on a built-in column.
fn data_only(field: &Field, op: &str) -> Result<(), DataError> {
    match field {
        Field::Data { .. } => Ok(()),
        _ => Err(DataError::InvalidQuery(format!("{op} cannot be used on objectId, createdAt or updatedAt"))),
    }
}

/// The argument of an equality: an instant on the date columns, the value itself on
/// `objectId` (only a string can match), the normalised value on a data field.
fn equality(field: &Field, value: &Value) -> Result<Arg, DataError> {
    match field {
        Field::ObjectId => Ok(Arg::Json(value.clone())),
        Field::CreatedAt | Field::UpdatedAt => Ok(Arg::Date(date_param(value)?)),
        Field::Data { .. } if value.is_null() => Ok(Arg::Json(Value::Null)),
        Field::Data { .. } => Ok(Arg::Json(normalised(value)?)),
    }
}

fn comparison(field: &Field, op: &str, value: &Value) -> Result<Arg, DataError> {
    match field {
        Field::ObjectId => {
            let id = value.as_str().ok_or_else(|| DataError::InvalidQuery(format!("bad {op} value")))?;
            Ok(Arg::Json(Value::String(id.to_string())))
        }
        Field::CreatedAt | Field::UpdatedAt => Ok(Arg::Date(date_param(value)?)),
        Field::Data { path, ty, .. } => {
            let date = |value: &Value| -> Result<Arg, DataError> {
                let iso = value::format_date(date_param(value)?);
                Ok(Arg::Json(serde_json::json!({"__type": "Date", "iso": iso})))
            };
            if path.len() == 1 && matches!(ty, Some(FieldType::Date)) && value.is_object() {
                return date(value);
            }
            match value {
                Value::Number(n) => Ok(Arg::Json(Value::from(n.as_f64().unwrap_or(0.0)))),
                Value::String(_) => Ok(Arg::Json(value.clone())),
                Value::Object(map) if map.get("__type").and_then(Value::as_str) == Some("Date") => date(value),
                _ => Err(DataError::InvalidQuery(format!("bad {op} value: {value}"))),
            }
        }
    }
}

fn in_list(field: &Field, list: &Value) -> Result<(Vec<Arg>, bool), DataError> {
    let items = list.as_array().ok_or_else(|| DataError::InvalidJson("bad $in value".into()))?;
    match field {
        Field::ObjectId => Ok((items.iter().filter(|i| i.is_string()).cloned().map(Arg::Json).collect(), false)),
        Field::CreatedAt | Field::UpdatedAt => Ok((items.iter().map(|i| date_param(i).map(Arg::Date)).collect::<Result<_, _>>()?, false)),
        Field::Data { .. } => {
            let mut values = Vec::with_capacity(items.len());
            let mut null = false;
            for item in items {
                if item.is_null() {
                    null = true;
                } else {
                    values.push(normalised(item)?);
                }
            }
            // A long list of pointers is compared by class and id (see the compiler's `in_pointers`).
            if values.len() > CONTAINMENT_IN_MAX && values.iter().all(|v| v.get("__type").and_then(Value::as_str) == Some("Pointer")) {
                for v in &values {
                    value::pointer_parts(v.as_object().expect("a pointer is an object"))?;
                }
            }
            Ok((values.into_iter().map(Arg::Json).collect(), null))
        }
    }
}

fn all(field: &Field, list: &Value) -> Result<Op, DataError> {
    let items = list.as_array().ok_or_else(|| DataError::InvalidQuery("$all: must be an array".into()))?;
    data_only(field, "$all")?;
    if items.iter().any(|i| i.get("$regex").is_some()) {
        let patterns = items
            .iter()
            .map(|item| {
                let pattern = item
                    .get("$regex")
                    .and_then(Value::as_str)
                    .ok_or_else(|| DataError::InvalidQuery("$all: every element must be a $regex".into()))?;
                Ok(Regex::new(compile::translate_regex(pattern, "")?))
            })
            .collect::<Result<_, DataError>>()?;
        return Ok(Op::AllRegex(patterns));
    }
    Ok(Op::All(as_items(normalised_array(items)?)))
}

fn regex(field: &Field, pattern: &Value, options: Option<&Value>) -> Result<Op, DataError> {
    let pattern = pattern.as_str().ok_or_else(|| DataError::InvalidQuery("$regex: must be a string".into()))?;
    let options = match options {
        None => "",
        Some(Value::String(o)) => o.as_str(),
        Some(_) => return Err(DataError::InvalidQuery("$options: must be a string".into())),
    };
    let translated = compile::translate_regex(pattern, options)?;
    if matches!(field, Field::CreatedAt | Field::UpdatedAt) {
        return Err(DataError::InvalidQuery("$regex cannot be used on dates".into()));
    }
    Ok(Op::Regex(Regex::new(translated)))
}

fn text(field: &Field, arg: &Value) -> Result<Op, DataError> {
    let search = arg
        .get("$search")
        .and_then(Value::as_object)
        .ok_or_else(|| DataError::InvalidQuery("bad $text: $search, should be object".into()))?;
    let term =
        search.get("$term").and_then(Value::as_str).ok_or_else(|| DataError::InvalidQuery("bad $text: $term, should be string".into()))?;
    let language = match search.get("$language") {
        None => "english".to_string(),
        Some(Value::String(l)) => l.to_ascii_lowercase(),
        Some(_) => return Err(DataError::InvalidQuery("bad $text: $language, should be string".into())),
    };
    if !language.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(DataError::InvalidQuery("bad $text: $language".into()));
    }
    data_only(field, "$text")?;
    Ok(Op::Text { term: term.to_string(), language })
}

/// The `$maxDistance*` keys and the sphere's radius in their unit (radians, km, miles); the
/// first present is the one used.
pub(super) const MAX_DISTANCES: [(&str, f64); 4] =
    [("$maxDistance", 1.0), ("$maxDistanceInRadians", 1.0), ("$maxDistanceInKilometers", 6371.0), ("$maxDistanceInMiles", 3958.8)];

fn near(field: &Field, arg: &Value, ops: &serde_json::Map<String, Value>) -> Result<Op, DataError> {
    let (lat, lng) = geo(arg)?;
    data_only(field, "$nearSphere")?;
    let max = MAX_DISTANCES.iter().find_map(|(key, radius)| ops.get(*key).map(|v| v.as_f64().map(|d| d / radius)));
    match max {
        None => Ok(Op::NearSphere { lat, lng, max_radians: None }),
        Some(Some(max)) => Ok(Op::NearSphere { lat, lng, max_radians: Some(max) }),
        Some(None) => Err(DataError::InvalidQuery("$maxDistance must be a number".into())),
    }
}

fn within_box(field: &Field, arg: &Value) -> Result<Op, DataError> {
    let corners = arg
        .get("$box")
        .and_then(Value::as_array)
        .filter(|b| b.len() == 2)
        .ok_or_else(|| DataError::InvalidQuery("bad $within: $box, should be an array of 2 GeoPoints".into()))?;
    let (sw, ne) = (geo(&corners[0])?, geo(&corners[1])?);
    if sw.0 > ne.0 {
        return Err(DataError::InvalidQuery("GeoBox: the southwest corner must be south of the northeast corner".into()));
    }
    data_only(field, "$within")?;
    Ok(Op::WithinBox { sw, ne })
}

fn geo_within(field: &Field, arg: &Value) -> Result<Op, DataError> {
    data_only(field, "$geoWithin")?;
    if let Some(points) = arg.get("$polygon") {
        let points: Vec<(f64, f64)> = match points {
            Value::Array(items) => items
                .iter()
                .map(|p| match p {
                    Value::Array(pair) if pair.len() == 2 => {
                        Ok((pair[0].as_f64().unwrap_or(f64::NAN), pair[1].as_f64().unwrap_or(f64::NAN)))
                    }
                    other => geo(other),
                })
                .collect::<Result<_, _>>()?,
            Value::Object(map) => value::polygon(map)?,
            _ => {
                return Err(DataError::InvalidQuery(
                    "bad $geoWithin value; $polygon should be Polygon object or Array of Parse.GeoPoint's".into(),
                ));
            }
        };
        if points.len() < 3 || points.iter().any(|(a, b)| !a.is_finite() || !b.is_finite()) {
            return Err(DataError::InvalidQuery("bad $geoWithin value; Polygon must have at least 3 values".into()));
        }
        return Ok(Op::WithinPolygon(points));
    }
    if let Some(sphere) = arg.get("$centerSphere").and_then(Value::as_array).filter(|s| s.len() == 2) {
        let (lat, lng) = match &sphere[0] {
            Value::Array(pair) if pair.len() == 2 => (pair[1].as_f64(), pair[0].as_f64()),
            other => geo(other).map(|(a, b)| (Some(a), Some(b)))?,
        };
        let (Some(lat), Some(lng), Some(radians)) = (lat, lng, sphere[1].as_f64()) else {
            return Err(DataError::InvalidQuery("bad $geoWithin value; $centerSphere should be [[lng, lat], radius]".into()));
        };
        return Ok(Op::CenterSphere { lat, lng, radians });
    }
    Err(DataError::InvalidQuery("bad $geoWithin value".into()))
}

/// Why a LiveQuery subscription cannot use an operator: it needs other rows, or PostgreSQL.
fn not_live(what: &str) -> DataError {
    DataError::InvalidQuery(format!("{what} is not supported in LiveQuery subscriptions"))
}

impl Where {
    /// Refuses (102) what [`super::eval::matches`] cannot evaluate exactly as the SQL does:
    /// conditions that read other rows (`$relatedTo`, `$inQuery`, `$notInQuery`, `$select`,
    /// `$dontSelect`, any condition on a relation field), `$text` (PostgreSQL's full-text
    /// search) and regular expressions the `regex` crate would read differently from
    /// PostgreSQL (see `eval::rust_regex`).
    pub fn check_live(&self) -> Result<(), DataError> {
        for cond in &self.conds {
            match cond {
                Cond::Or(subs) | Cond::And(subs) | Cond::Nor(subs) => {
                    for sub in subs {
                        sub.check_live()?;
                    }
                }
                Cond::RelatedTo { .. } => return Err(not_live("$relatedTo")),
                Cond::Field { key, field, test } => {
                    if let Field::Data { ty: Some(FieldType::Relation(_)), .. } = field {
                        return Err(not_live(&format!("A condition on the relation field {key}")));
                    }
                    let Test::Ops(ops) = test else { continue };
                    for op in ops {
                        let regexes = match op {
                            Op::Select { negate: false, .. } => return Err(not_live("$select")),
                            Op::Select { negate: true, .. } => return Err(not_live("$dontSelect")),
                            Op::InQuery { negate: false, .. } => return Err(not_live("$inQuery")),
                            Op::InQuery { negate: true, .. } => return Err(not_live("$notInQuery")),
                            Op::Text { .. } => return Err(not_live("$text")),
                            Op::Regex(r) => std::slice::from_ref(r),
                            Op::AllRegex(rs) => rs.as_slice(),
                            _ => continue,
                        };
                        for r in regexes {
                            r.compiled().map_err(|e| DataError::InvalidQuery(format!("Invalid regular expression: {e}")))?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// The top-level conditions `field == scalar` (a string, a number or a boolean, on a
    /// one-segment data field or `objectId`) that every matching object satisfies, as
    /// (key, value). Numbers come as `f64` JSON numbers (`1` as `1.0`): compare an object's
    /// values the same way. A data field matches when it equals the value or, being an array,
    /// holds it (as in SQL).
    pub fn equalities(&self) -> Vec<(String, Value)> {
        let mut out = Vec::new();
        for cond in &self.conds {
            let Cond::Field { key, field, test } = cond else { continue };
            match field {
                Field::ObjectId => {}
                Field::Data { path, ty, .. } if path.len() == 1 && !matches!(ty, Some(FieldType::Relation(_))) => {}
                _ => continue,
            }
            let args: Vec<&Arg> = match test {
                Test::Eq(arg) => vec![arg],
                Test::Ops(ops) => ops.iter().filter_map(|op| if let Op::Eq(arg) = op { Some(arg) } else { None }).collect(),
                _ => continue,
            };
            for arg in args {
                let value = match arg {
                    Arg::Json(Value::String(s)) => Value::String(s.clone()),
                    Arg::Json(Value::Bool(b)) if !matches!(field, Field::ObjectId) => Value::Bool(*b),
                    Arg::Json(Value::Number(n)) if !matches!(field, Field::ObjectId) => Value::from(n.as_f64().unwrap_or(0.0)),
                    _ => continue,
                };
                out.push((key.clone(), value));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet, HashMap};

    use serde_json::json;

    use super::*;
    use crate::data::schema::ClassSchema;

    fn schema() -> AppSchema {
        let class = ClassName::parse("Thing").unwrap();
        let fields = BTreeMap::from([
            ("rel".to_string(), FieldType::Relation("Thing".into())),
            ("p".to_string(), FieldType::Pointer("Thing".into())),
        ]);
        let thing = ClassSchema { name: class, fields, options: BTreeMap::new(), clp: json!({}), indexes: json!({}) };
        AppSchema { classes: HashMap::from([("Thing".to_string(), std::sync::Arc::new(thing))]) }
    }

    fn live(w: Value) -> Result<Where, DataError> {
        let parsed = parse_where(&schema(), &ClassName::parse("Thing").unwrap(), &w, &QueryLimits::default())?;
        parsed.check_live()?;
        Ok(parsed)
    }

    /// Every operator the compiler knows (each `"$..."` literal of compile.rs) is here, with a
    /// `where` using it and whether LiveQuery evaluates it (`eval` has an arm for every `Op`, the
    /// compiler checks that) or refuses it: an operator added to the compiler without a place
    /// here fails this test.
    #[test]
    fn every_compiler_operator_is_evaluated_or_refused() {
        let point = json!({"__type": "GeoPoint", "latitude": 1, "longitude": 2});
        let sub = json!({"className": "Thing", "where": {}});
        let cases: Vec<(&str, Value, bool)> = vec![
            ("$or", json!({"$or": [{"a": 1}, {"b": 2}]}), true),
            ("$and", json!({"$and": [{"a": 1}]}), true),
            ("$nor", json!({"$nor": [{"a": 1}]}), true),
            (
                "$relatedTo",
                json!({"$relatedTo": {"object": {"__type": "Pointer", "className": "Thing", "objectId": "x"}, "key": "rel"}}),
                false,
            ),
            ("$eq", json!({"a": {"$eq": 1}}), true),
            ("$ne", json!({"a": {"$ne": 1}}), true),
            ("$lt", json!({"a": {"$lt": 1}}), true),
            ("$lte", json!({"a": {"$lte": 1}}), true),
            ("$gt", json!({"a": {"$gt": 1}}), true),
            ("$gte", json!({"a": {"$gte": 1}}), true),
            ("$in", json!({"a": {"$in": [1]}}), true),
            ("$nin", json!({"a": {"$nin": [1]}}), true),
            ("$exists", json!({"a": {"$exists": true}}), true),
            ("$all", json!({"a": {"$all": [1]}}), true),
            ("$regex", json!({"a": {"$regex": "^x"}}), true),
            ("$options", json!({"a": {"$regex": "^x", "$options": "i"}}), true),
            ("$containedBy", json!({"a": {"$containedBy": [1]}}), true),
            ("$select", json!({"a": {"$select": {"query": sub, "key": "b"}}}), false),
            ("$dontSelect", json!({"a": {"$dontSelect": {"query": sub, "key": "b"}}}), false),
            ("$inQuery", json!({"p": {"$inQuery": sub}}), false),
            ("$notInQuery", json!({"p": {"$notInQuery": sub}}), false),
            ("$text", json!({"a": {"$text": {"$search": {"$term": "x"}}}}), false),
            ("$nearSphere", json!({"g": {"$nearSphere": point}}), true),
            ("$maxDistance", json!({"g": {"$nearSphere": point, "$maxDistance": 1}}), true),
            ("$maxDistanceInRadians", json!({"g": {"$nearSphere": point, "$maxDistanceInRadians": 1}}), true),
            ("$maxDistanceInKilometers", json!({"g": {"$nearSphere": point, "$maxDistanceInKilometers": 1}}), true),
            ("$maxDistanceInMiles", json!({"g": {"$nearSphere": point, "$maxDistanceInMiles": 1}}), true),
            ("$within", json!({"g": {"$within": {"$box": [point, point]}}}), true),
            ("$box", json!({"g": {"$within": {"$box": [point, point]}}}), true),
            ("$geoWithin", json!({"g": {"$geoWithin": {"$centerSphere": [[2, 1], 0.1]}}}), true),
            ("$polygon", json!({"g": {"$geoWithin": {"$polygon": [[0, 0], [0, 1], [1, 1]]}}}), true),
            ("$centerSphere", json!({"g": {"$geoWithin": {"$centerSphere": [[2, 1], 0.1]}}}), true),
            ("$geoIntersects", json!({"g": {"$geoIntersects": {"$point": point}}}), true),
            ("$point", json!({"g": {"$geoIntersects": {"$point": point}}}), true),
            ("$search", json!({"a": {"$text": {"$search": {"$term": "x"}}}}), false),
            ("$term", json!({"a": {"$text": {"$search": {"$term": "x"}}}}), false),
            ("$language", json!({"a": {"$text": {"$search": {"$term": "x", "$language": "en"}}}}), false),
            ("$score", json!({"a": 1}), true),
            ("$or→$in", json!({"$or": [{"a": 1}, {"a": 2}]}), true),
            ("relation", json!({"rel": {"__type": "Pointer", "className": "Thing", "objectId": "x"}}), false),
        ];
        let known: BTreeSet<&str> = cases.iter().map(|(op, _, _)| *op).collect();
        let source = include_str!("compile.rs");
        let source = &source[..source.find("#[cfg(test)]").unwrap_or(source.len())];
        for literal in source.split('"').skip(1).step_by(2) {
            if literal.starts_with('$') && literal.len() > 1 && literal[1..].chars().all(|c| c.is_ascii_alphabetic()) {
                assert!(known.contains(literal), "the compiler knows {literal}: evaluate or refuse it in LiveQuery, and add it here");
            }
        }
        for (op, w, evaluated) in cases {
            match live(w.clone()) {
                Ok(parsed) => {
                    assert!(evaluated, "{op} must be refused: {w}");
                    let _ = super::super::eval::matches(&parsed, &serde_json::Map::new());
                }
                Err(e) => {
                    assert!(!evaluated, "{op} must be evaluated: {w}: {e}");
                    assert!(matches!(e, DataError::InvalidQuery(_)), "{op}: {e:?}");
                }
            }
        }
    }

    #[test]
    fn a_parsed_where_is_shared_between_threads() {
        fn shareable<T: Clone + std::fmt::Debug + Send + Sync + 'static>() {}
        shareable::<Where>();
    }

    #[test]
    fn equalities_are_the_top_level_scalar_equalities() {
        let w = live(json!({"room": "a", "n": {"$eq": 2}, "objectId": "x", "b.c": 1, "$or": [{"z": 1}], "t": {"$gt": 1}})).unwrap();
        assert_eq!(w.equalities(), vec![("room".into(), json!("a")), ("n".into(), json!(2.0)), ("objectId".into(), json!("x"))]);
    }
}
