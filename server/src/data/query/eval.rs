//! A parsed [`Where`] evaluated on one object in memory, with the SQL compiler's semantics (for
//! LiveQuery: is the object, before or after a change, one the query would find?).
//!
//! Every rule follows the SQL that `compile` builds, PostgreSQL being the reference: typed
//! equality is jsonb containment (an array field holds the value), `null` equality is "absent or
//! null", numbers compare as doubles, strings by bytes (`COLLATE "C"`), Parse dates by their ISO
//! text and the date columns as instants, geo through the formulas of `hearth_fn` and of
//! PostgreSQL's geometric operators. Conditions are three-valued as in SQL (`None` is NULL: a
//! comparison on a missing field), which decides what `$nor` keeps. What cannot be evaluated in
//! memory (`Where::check_live` refuses it) never matches.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::compile::Field;
use super::parse::{Arg, Cmp, Cond, Op, Test, Where};
use crate::data::value::FieldType;

/// Whether `object` (an object image: its stored fields, `objectId`, `createdAt` and
/// `updatedAt` as ISO strings, `ACL`) is one `w` finds.
pub fn matches(w: &Where, object: &Map<String, Value>) -> bool {
    all(w, object) == Some(true)
}

/// SQL's three-valued AND of the conditions (an empty list is TRUE).
fn all(w: &Where, object: &Map<String, Value>) -> Option<bool> {
    and(w.conds.iter().map(|c| cond(c, object)))
}

fn and(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = Some(true);
    for v in values {
        match v {
            Some(false) => return Some(false),
            None => out = None,
            Some(true) => {}
        }
    }
    out
}

fn or(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut out = Some(false);
    for v in values {
        match v {
            Some(true) => return Some(true),
            None => out = None,
            Some(false) => {}
        }
    }
    out
}

fn cond(c: &Cond, object: &Map<String, Value>) -> Option<bool> {
    match c {
        Cond::Or(subs) => {
            // The compiler answers it as an `$in`, which is never NULL (some equalities are).
            if let Some((field, values)) = super::compile::or_as_in(subs) {
                return in_list(field, &values, false, object);
            }
            or(subs.iter().map(|w| all(w, object)))
        }
        Cond::And(subs) => and(subs.iter().map(|w| all(w, object))),
        Cond::Nor(subs) => or(subs.iter().map(|w| all(w, object))).map(|b| !b),
        // Refused by `check_live`: it reads a join table.
        Cond::RelatedTo { .. } => Some(false),
        Cond::Field { field, test, .. } => match test {
            Test::Const(b) => Some(*b),
            Test::RelationHolds { .. } => Some(false),
            Test::Eq(arg) => equals(field, arg, object),
            Test::Ops(ops) => and(ops.iter().map(|op| operator(field, op, object))),
        },
    }
}

/// A data field's first segment: the image's built-in keys are columns, not data.
fn data_get<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    match key {
        "objectId" | "createdAt" | "updatedAt" | "ACL" => None,
        _ => object.get(key),
    }
}

/// The value at `path` as containment sees it (`data @> {"a": {"b": v}}`): through objects.
fn at_contained<'a>(object: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let mut x = data_get(object, path.first()?)?;
    for key in &path[1..] {
        x = x.as_object()?.get(key)?;
    }
    Some(x)
}

/// The value at `path` as `data -> key` / `data #> path` reads it: through objects, and
/// through arrays by index for a deeper path.
fn at_expr<'a>(object: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let mut x = data_get(object, path.first()?)?;
    for key in &path[1..] {
        x = match x {
            Value::Object(m) => m.get(key)?,
            Value::Array(items) => {
                let i: i64 = key.parse().ok()?;
                let i = if i < 0 { items.len() as i64 + i } else { i };
                items.get(usize::try_from(i).ok()?)?
            }
            _ => return None,
        };
    }
    Some(x)
}

fn column_date(object: &Map<String, Value>, field: &Field) -> Option<chrono::DateTime<chrono::Utc>> {
    let key = if matches!(field, Field::CreatedAt) { "createdAt" } else { "updatedAt" };
    object.get(key).and_then(Value::as_str).and_then(crate::data::value::parse_date)
}

fn object_id(object: &Map<String, Value>) -> &str {
    object.get("objectId").and_then(Value::as_str).unwrap_or_default()
}

fn equals(field: &Field, arg: &Arg, object: &Map<String, Value>) -> Option<bool> {
    match (field, arg) {
        (Field::ObjectId, Arg::Json(Value::String(id))) => Some(object_id(object) == id),
        (Field::ObjectId, _) => Some(false),
        (Field::CreatedAt | Field::UpdatedAt, Arg::Date(d)) => Some(column_date(object, field) == Some(*d)),
        (Field::Data { path, ty, indexed }, Arg::Json(v)) => {
            if v.is_null() {
                return Some(at_expr(object, path).is_none_or(Value::is_null));
            }
            let x = at_contained(object, path);
            if v.is_array() {
                return Some(x.is_some_and(|x| jsonb_eq(x, v) || x.as_array().is_some_and(|items| items.iter().any(|e| jsonb_eq(e, v)))));
            }
            let element = || x.is_some_and(|x| holds_element(x, v));
            let itself = || x.is_some_and(|x| contains(x, v));
            match ty {
                Some(FieldType::Array) => Some(element()),
                // The typed comparison of a schema index's field: NULL where the field is not set.
                Some(FieldType::String) if *indexed && v.is_string() => match x {
                    None | Some(Value::Null) => None,
                    Some(x) => Some(text_of(x).as_deref() == v.as_str()),
                },
                Some(FieldType::Number) if *indexed && v.is_number() => match x {
                    Some(Value::Number(n)) => Some(n.as_f64() == v.as_f64()),
                    _ => None,
                },
                Some(_) => Some(itself()),
                None => Some(itself() || element()),
            }
        }
        _ => Some(false),
    }
}

fn operator(field: &Field, op: &Op, object: &Map<String, Value>) -> Option<bool> {
    match op {
        Op::Eq(arg) => equals(field, arg, object),
        Op::Ne(Arg::Json(Value::Null)) => Some(exists(field, object)),
        Op::Ne(arg) => Some(equals(field, arg, object) != Some(true)),
        Op::Cmp(cmp, arg) => compare(field, *cmp, arg, object),
        Op::In { values, null } => in_list(field, values, *null, object),
        Op::Nin { values, null } => Some(in_list(field, values, *null, object) != Some(true)),
        Op::Exists(yes) => Some(exists(field, object) == *yes),
        Op::All(values) => {
            let Field::Data { path, .. } = field else { return Some(false) };
            Some(at_contained(object, path).and_then(Value::as_array).is_some_and(|x| contains_items(x, values)))
        }
        Op::AllRegex(patterns) => {
            let Field::Data { path, .. } = field else { return Some(false) };
            let items: &[Value] = at_expr(object, path).and_then(Value::as_array).map_or(&[], Vec::as_slice);
            let texts: Vec<String> = items.iter().filter(|e| !e.is_null()).map(jsonb_text).collect();
            Some(patterns.iter().all(|p| p.compiled().is_ok_and(|re| texts.iter().any(|t| re.is_match(t)))))
        }
        Op::ContainedBy(list) => {
            let Field::Data { path, .. } = field else { return Some(false) };
            match at_expr(object, path)? {
                Value::Array(x) => Some(contains_items(list, x)),
                _ => Some(false),
            }
        }
        Op::Regex(re) => {
            let re = re.compiled().ok()?;
            match field {
                Field::ObjectId => Some(re.is_match(object_id(object))),
                Field::Data { path, .. } => at_expr(object, path).and_then(Value::as_str).map(|s| re.is_match(s)),
                _ => None,
            }
        }
        // Refused by `check_live`: they read other rows or need PostgreSQL's text search.
        Op::Select { .. } | Op::InQuery { .. } | Op::Text { .. } => Some(false),
        Op::NearSphere { lat, lng, max_radians } => {
            let distance = geo_distance(data(field, object)?, *lat, *lng);
            match max_radians {
                None => Some(distance.is_some()),
                Some(max) => distance.map(|d| d <= *max),
            }
        }
        Op::WithinBox { sw, ne } => {
            let (x, y) = geo_point(data(field, object)?)?;
            let (low_x, high_x) = (sw.0.min(ne.0), sw.0.max(ne.0));
            let (low_y, high_y) = (sw.1.min(ne.1), sw.1.max(ne.1));
            Some(high_x >= x && low_x <= x && high_y >= y && low_y <= y)
        }
        Op::WithinPolygon(points) => Some(point_inside(geo_point(data(field, object)?)?, points) != 0),
        Op::CenterSphere { lat, lng, radians } => geo_distance(data(field, object)?, *lat, *lng).map(|d| d <= *radians),
        Op::GeoIntersects { lat, lng } => Some(point_inside((*lat, *lng), &geo_polygon(data(field, object)?)?) != 0),
    }
}

/// The value of a data field (`data #> path`), if set.
fn data<'a>(field: &Field, object: &'a Map<String, Value>) -> Option<&'a Value> {
    match field {
        Field::Data { path, .. } => at_expr(object, path),
        _ => None,
    }
}

fn exists(field: &Field, object: &Map<String, Value>) -> bool {
    match field {
        Field::Data { path, .. } => at_expr(object, path).is_some_and(|x| !x.is_null()),
        _ => true,
    }
}

fn ordered(o: Ordering, cmp: Cmp) -> bool {
    match cmp {
        Cmp::Lt => o == Ordering::Less,
        Cmp::Lte => o != Ordering::Greater,
        Cmp::Gt => o == Ordering::Greater,
        Cmp::Gte => o != Ordering::Less,
    }
}

fn compare(field: &Field, cmp: Cmp, arg: &Arg, object: &Map<String, Value>) -> Option<bool> {
    match (field, arg) {
        (Field::ObjectId, Arg::Json(Value::String(s))) => Some(ordered(object_id(object).as_bytes().cmp(s.as_bytes()), cmp)),
        (Field::CreatedAt | Field::UpdatedAt, Arg::Date(d)) => column_date(object, field).map(|x| ordered(x.cmp(d), cmp)),
        (Field::Data { path, ty, .. }, Arg::Json(v)) => {
            let x = at_expr(object, path);
            match v {
                Value::Number(n) => {
                    let (x, n) = (x?.as_f64()?, n.as_f64()?);
                    x.partial_cmp(&n).map(|o| ordered(o, cmp))
                }
                Value::String(s) => Some(ordered(x?.as_str()?.as_bytes().cmp(s.as_bytes()), cmp)),
                Value::Object(date) => {
                    let iso = date.get("iso").and_then(Value::as_str)?;
                    let stored_iso = || {
                        x.and_then(|x| x.as_object()?.get("iso")).and_then(text_of).map(|t| ordered(t.as_bytes().cmp(iso.as_bytes()), cmp))
                    };
                    if path.len() == 1 && matches!(ty, Some(FieldType::Date)) {
                        return stored_iso();
                    }
                    // `(x ->> '__type') = 'Date' AND (x ->> 'iso') < $n`.
                    let is_date = match x? {
                        Value::Object(m) => m.get("__type").and_then(text_of).map(|t| t == "Date"),
                        _ => None,
                    };
                    and([is_date, stored_iso()].into_iter())
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn in_list(field: &Field, values: &[Arg], null: bool, object: &Map<String, Value>) -> Option<bool> {
    match field {
        Field::ObjectId => Some(values.iter().any(|v| matches!(v, Arg::Json(Value::String(id)) if id == object_id(object)))),
        Field::CreatedAt | Field::UpdatedAt => {
            let x = column_date(object, field);
            Some(values.iter().any(|v| matches!(v, Arg::Date(d) if Some(*d) == x)))
        }
        Field::Data { path, ty, .. } => {
            let x = at_contained(object, path);
            let found = x.is_some_and(|x| {
                values.iter().filter_map(Arg::json).any(|v| {
                    let as_element = !v.is_array() && !matches!(ty, Some(t) if *t != FieldType::Array);
                    let itself = v.is_array() || !matches!(ty, Some(FieldType::Array));
                    (as_element && holds_element(x, v)) || (itself && contains(x, v))
                })
            });
            Some(found || (null && at_expr(object, path).is_none_or(Value::is_null)))
        }
    }
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

/// jsonb `=`: the same value (numbers by value, objects by their keys and values).
fn jsonb_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| jsonb_eq(a, b)),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| jsonb_eq(v, w))),
        _ => is_scalar(a) && is_scalar(b) && scalar_eq(a, b),
    }
}

/// jsonb `@>` below the top level: an object holds each key of `r` with a value holding `r`'s;
/// an array holds each element of `r` (a scalar among its scalars, a container in one of its
/// containers of the same kind); scalars are equal.
fn contains(l: &Value, r: &Value) -> bool {
    match (l, r) {
        (Value::Object(lm), Value::Object(rm)) => rm.iter().all(|(k, rv)| lm.get(k).is_some_and(|lv| contains(lv, rv))),
        (Value::Array(la), Value::Array(ra)) => contains_items(la, ra),
        _ => is_scalar(l) && is_scalar(r) && scalar_eq(l, r),
    }
}

/// An array's `@>` of another's items.
fn contains_items(la: &[Value], ra: &[Value]) -> bool {
    ra.iter().all(|re| holds(la, re))
}

/// An array's `@>` of `[re]`: a scalar among its scalars, a container in one of its containers
/// of the same kind.
fn holds(la: &[Value], re: &Value) -> bool {
    if is_scalar(re) {
        la.iter().any(|le| is_scalar(le) && scalar_eq(le, re))
    } else {
        la.iter().any(|le| std::mem::discriminant(le) == std::mem::discriminant(re) && contains(le, re))
    }
}

/// `x @> [v]`: `x` is an array holding `v`.
fn holds_element(x: &Value, v: &Value) -> bool {
    x.as_array().is_some_and(|la| holds(la, v))
}

/// `->>`: a string's text, any other value's JSON text, NULL for JSON null.
fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(jsonb_text(other)),
    }
}

/// A value as jsonb prints it: `{"a": 1, "bb": [1, 2]}`, keys shortest first then by bytes.
fn jsonb_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => format!("[{}]", items.iter().map(jsonb_json).collect::<Vec<_>>().join(", ")),
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes())));
            let parts: Vec<String> = keys.iter().map(|k| format!("{}: {}", Value::String((*k).clone()), jsonb_json(&m[*k]))).collect();
            format!("{{{}}}", parts.join(", "))
        }
        other => other.to_string(),
    }
}

fn jsonb_json(v: &Value) -> String {
    match v {
        Value::String(_) => v.to_string(),
        other => jsonb_text(other),
    }
}

/// `hearth_fn.geo_point`: a stored GeoPoint as (latitude, longitude).
fn geo_point(p: &Value) -> Option<(f64, f64)> {
    let m = p.as_object()?;
    if m.get("__type").and_then(Value::as_str) != Some("GeoPoint") {
        return None;
    }
    Some((m.get("latitude")?.as_f64()?, m.get("longitude")?.as_f64()?))
}

/// `hearth_fn.geo_distance`: the great-circle distance in radians (haversine), as the SQL
/// function computes it.
fn geo_distance(p: &Value, lat: f64, lng: f64) -> Option<f64> {
    let (plat, plng) = geo_point(p)?;
    let h = ((plat - lat).to_radians() / 2.0).sin().powf(2.0)
        + lat.to_radians().cos() * plat.to_radians().cos() * ((plng - lng).to_radians() / 2.0).sin().powf(2.0);
    Some(2.0 * h.sqrt().min(1.0).asin())
}

/// `hearth_fn.geo_polygon`: a stored Polygon's corners.
fn geo_polygon(p: &Value) -> Option<Vec<(f64, f64)>> {
    let m = p.as_object()?;
    if m.get("__type").and_then(Value::as_str) != Some("Polygon") {
        return None;
    }
    let coords = m.get("coordinates")?.as_array()?;
    let points: Option<Vec<(f64, f64)>> = coords.iter().map(|c| Some((c.get(0)?.as_f64()?, c.get(1)?.as_f64()?))).collect();
    points.filter(|p| !p.is_empty())
}

/// PostgreSQL's tolerance in geometric comparisons (`EPSILON` in `geo_decls.h`).
const EPSILON: f64 = 1.0e-06;

/// PostgreSQL's `point_inside` (`geo_ops.c`), behind `point <@ polygon` and `polygon @> point`:
/// 0 outside, 1 inside, 2 on the border, by counting crossings of the positive X axis.
fn point_inside(p: (f64, f64), plist: &[(f64, f64)]) -> i32 {
    const ON: i32 = i32::MAX;
    let Some(first) = plist.first() else { return 0 };
    let (x0, y0) = (first.0 - p.0, first.1 - p.1);
    let (mut prev_x, mut prev_y) = (x0, y0);
    let mut total = 0;
    for q in &plist[1..] {
        let (x, y) = (q.0 - p.0, q.1 - p.1);
        let cross = lseg_crossing(x, y, prev_x, prev_y);
        if cross == ON {
            return 2;
        }
        total += cross;
        (prev_x, prev_y) = (x, y);
    }
    let cross = lseg_crossing(x0, y0, prev_x, prev_y);
    if cross == ON {
        return 2;
    }
    total += cross;
    if total != 0 { 1 } else { 0 }
}

fn lseg_crossing(x: f64, y: f64, prev_x: f64, prev_y: f64) -> i32 {
    const ON: i32 = i32::MAX;
    let zero = |a: f64| a.abs() <= EPSILON;
    let gt = |a: f64, b: f64| a > b + EPSILON;
    let lt = |a: f64, b: f64| a + EPSILON < b;
    let ge = |a: f64, b: f64| a + EPSILON >= b;
    let le = |a: f64, b: f64| a <= b + EPSILON;
    if zero(y) {
        if zero(x) {
            ON
        } else if gt(x, 0.0) {
            if zero(prev_y) {
                return if gt(prev_x, 0.0) { 0 } else { ON };
            }
            if lt(prev_y, 0.0) { 1 } else { -1 }
        } else {
            if zero(prev_y) {
                return if lt(prev_x, 0.0) { 0 } else { ON };
            }
            0
        }
    } else {
        let y_sign = if gt(y, 0.0) { 1 } else { -1 };
        if zero(prev_y) {
            if lt(prev_x, 0.0) { 0 } else { y_sign }
        } else if (y_sign < 0 && lt(prev_y, 0.0)) || (y_sign > 0 && gt(prev_y, 0.0)) {
            0
        } else {
            if ge(x, 0.0) && gt(prev_x, 0.0) {
                return 2 * y_sign;
            }
            if lt(x, 0.0) && le(prev_x, 0.0) {
                return 0;
            }
            let z = (x - prev_x) * y - (y - prev_y) * x;
            if zero(z) {
                return ON;
            }
            if (y_sign < 0 && lt(z, 0.0)) || (y_sign > 0 && gt(z, 0.0)) {
                return 0;
            }
            2 * y_sign
        }
    }
}

/// The `regex` crate's form of a pattern `translate_regex` made for PostgreSQL (an ARE after a
/// `(?flags)` prefix), or why it cannot have one that matches exactly the same strings.
///
/// The flags map as PostgreSQL defines them: `p` (the default: `.` and `[^...]` stop at a
/// newline, `^`/`$` only at the ends), `s` (newline ordinary), `n` (`p` plus `^`/`$` at each
/// line) and `w` (`^`/`$` at each line, newline ordinary); `x` as it is. Classes and case follow
/// the C locale, the embedded cluster's (`initdb --no-locale`): `\d`, `\w`, `\s` are ASCII
/// classes and `i` folds ASCII letters only (each letter becomes both of its cases). Refused:
/// backreferences, lookaround and inline options, the ARE-only escapes (`\m \M \y \Y`, `\b` (a
/// backspace in an ARE), `\x`, `\u`, octal...), POSIX classes (`[[:alpha:]]`, collating
/// elements), what the `regex` crate reads as a nested class or set operation inside brackets,
/// and (with `i`) non-ASCII letters in the pattern.
pub(super) fn rust_regex(translated: &str) -> Result<regex::Regex, String> {
    const WORD: &str = "0-9A-Za-z_";
    const SPACE: &str = "\\t\\n\\x0B\\f\\r\\x20";
    let rest = translated.strip_prefix("(?").ok_or("the pattern has no options")?;
    let end = rest.find(')').ok_or("the pattern has no options")?;
    let (flags, body) = (&rest[..end], &rest[end + 1..]);
    let newline_sensitive = flags.contains('p') || flags.contains('n');
    let (case_insensitive, expanded) = (flags.contains('i'), flags.contains('x'));
    let mut modes = String::new();
    if flags.contains('s') || flags.contains('w') {
        modes.push('s');
    }
    if flags.contains('n') || flags.contains('w') {
        modes.push('m');
    }
    if expanded {
        modes.push('x');
    }
    let mut out = if modes.is_empty() { String::new() } else { format!("(?{modes})") };
    let not_newline = if newline_sensitive { "\\n" } else { "" };
    let chars: Vec<char> = body.chars().collect();
    let mut i = 0;
    // Inside brackets: whether negated, the items as written, and (with `i`) with letters in
    // their other case.
    let mut bracket: Option<(bool, String, String)> = None;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if case_insensitive && !c.is_ascii() && c.is_alphabetic() {
            return Err(format!("case-insensitive matching of {c} depends on the database's locale"));
        }
        if c == '\\' {
            let Some(e) = next else { return Err("the pattern ends with \\".into()) };
            let in_bracket = bracket.is_some();
            let piece: String = match e {
                'd' if in_bracket => "0-9".into(),
                'd' => "[0-9]".into(),
                'w' if in_bracket => WORD.into(),
                'w' => format!("[{WORD}]"),
                's' if in_bracket => SPACE.into(),
                's' => format!("[{SPACE}]"),
                'D' if !in_bracket => format!("[^0-9{not_newline}]"),
                'W' if !in_bracket => format!("[^{WORD}{not_newline}]"),
                'S' if !in_bracket => format!("[^{SPACE}]"),
                'n' | 't' | 'r' | 'f' | 'v' => format!("\\{e}"),
                'A' if !in_bracket => "\\A".into(),
                'Z' if !in_bracket => "\\z".into(),
                '<' | '>' => return Err(format!("\\{e} is not supported")),
                e if e.is_ascii_punctuation() => format!("\\{e}"),
                '1'..='9' => return Err("backreferences are not supported".into()),
                e => return Err(format!("\\{e} is not supported")),
            };
            match &mut bracket {
                Some((_, items, swapped)) => {
                    items.push_str(&piece);
                    swapped.push_str(&piece);
                }
                None => out.push_str(&piece),
            }
            i += 2;
            continue;
        }
        if let Some((negated, items, swapped)) = &mut bracket {
            match c {
                ']' => {
                    let head = if *negated { format!("^{not_newline}") } else { String::new() };
                    if case_insensitive {
                        out.push_str(&format!("[{head}[{items}][{swapped}]]"));
                    } else {
                        out.push_str(&format!("[{head}{items}]"));
                    }
                    bracket = None;
                    i += 1;
                    continue;
                }
                '[' if matches!(next, Some(':' | '.' | '=')) => return Err("POSIX bracket classes are not supported".into()),
                '[' => {
                    items.push_str("\\[");
                    swapped.push_str("\\[");
                }
                '&' | '-' | '~' if next == Some(c) => return Err(format!("{c}{c} in brackets is not supported")),
                ' ' | '\t' | '\n' | '#' if expanded => return Err("white space or # in brackets with the x option is not supported".into()),
                _ => {
                    items.push(c);
                    swapped.push(swap_case(c));
                }
            }
            i += 1;
            continue;
        }
        match c {
            '[' => {
                i += 1;
                let negated = chars.get(i) == Some(&'^');
                if negated {
                    i += 1;
                }
                let mut items = String::new();
                // A `]` first in brackets is itself.
                if chars.get(i) == Some(&']') {
                    items.push_str("\\]");
                    i += 1;
                }
                bracket = Some((negated, items.clone(), items));
                continue;
            }
            '(' if next == Some('?') => {
                if chars.get(i + 2) != Some(&':') {
                    return Err("lookaround and inline options are not supported".into());
                }
                out.push_str("(?:");
                i += 3;
                continue;
            }
            '{' => {
                // PostgreSQL refuses repetition counts above 255; the regex crate takes them.
                let bound: String = chars[i + 1..].iter().take_while(|c| c.is_ascii_digit() || **c == ',').collect();
                if chars.get(i + 1 + bound.len()) == Some(&'}') && bound.split(',').any(|n| n.parse::<u32>().is_ok_and(|n| n > 255)) {
                    return Err("repetition counts above 255 are not supported".into());
                }
                out.push(c);
            }
            c if case_insensitive && c.is_ascii_alphabetic() => out.push_str(&format!("[{}{}]", c, swap_case(c))),
            _ => out.push(c),
        }
        i += 1;
    }
    if bracket.is_some() {
        return Err("brackets are not closed".into());
    }
    regex::RegexBuilder::new(&out).size_limit(1 << 20).build().map_err(|e| e.to_string())
}

fn swap_case(c: char) -> char {
    if c.is_ascii_lowercase() { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn point_inside_agrees_with_postgresql_on_simple_shapes() {
        let square = [(0.0, 0.0), (0.0, 10.0), (10.0, 10.0), (10.0, 0.0)];
        assert_eq!(point_inside((5.0, 5.0), &square), 1);
        assert_eq!(point_inside((15.0, 5.0), &square), 0);
        assert_eq!(point_inside((0.0, 5.0), &square), 2);
        assert_eq!(point_inside((-1.0, -1.0), &square), 0);
    }

    #[test]
    fn containment_is_jsonb_containment() {
        assert!(contains(&json!([1, "a", {"x": 1, "y": 2}]), &json!(["a", {"x": 1}])));
        assert!(!contains(&json!([["a"]]), &json!(["a"])));
        assert!(!contains(&json!("a"), &json!(["a"])));
        assert!(contains(&json!(1.0), &json!(1)));
    }

    #[test]
    fn regexes_follow_postgresql_or_are_refused() {
        let ok = |p: &str| rust_regex(p).unwrap();
        assert!(!ok("(?p)a.b").is_match("a\nb"));
        assert!(ok("(?s)a.b").is_match("a\nb"));
        assert!(!ok("(?p)a[^x]b").is_match("a\nb"));
        assert!(ok("(?w)^b$").is_match("a\nb"));
        assert!(ok("(?pi)AB").is_match("ab"));
        assert!(ok("(?p)[]a]").is_match("]"));
        assert!(ok("(?p)\\d\\Z").is_match("a1"));
        // The C locale: ASCII classes, ASCII case folding.
        assert!(!ok("(?p)\\w").is_match("é") && !ok("(?p)\\s").is_match("\u{a0}") && !ok("(?pi)k").is_match("\u{212a}"));
        assert!(ok("(?pi)[a-c]").is_match("B") && !ok("(?pi)[^a]").is_match("A") && ok("(?pi)^[a-]+$").is_match("A-a"));
        assert!(ok("(?px)a\\sb").is_match("a b") && ok("(?pix)^ a [b] $").is_match("AB"));
        assert!(ok("(?p)^a{2,255}$").is_match("aa") && rust_regex("(?p)a{256}").is_err() && rust_regex("(?p)a{1,300}").is_err());
        for bad in ["(?p)(a)\\1", "(?p)a(?=b)", "(?p)\\mword", "(?p)[[:alpha:]]", "(?p)\\y", "(?pi)é", "(?p)[a&&b]", "(?p)\\x41"] {
            assert!(rust_regex(bad).is_err(), "{bad}");
        }
    }
}
