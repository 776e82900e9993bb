//! The agreement table of LiveQuery matching: each case's `where` is answered in memory
//! (`parse_where` + `eval::matches` on the object's image) and by PostgreSQL (a find through the
//! real compiler on a class holding only that object), and both must give the expected answer.
//! The refused cases are what `check_live` turns away (102).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use hearth::apps::settings::queries::QueryLimits;
use hearth::data::DataError;
use hearth::data::names::ClassName;
use hearth::data::query::{eval, parse};
use hearth::data::schema::{AppSchema, ClassSchema};
use hearth::data::value::FieldType;
use reqwest::Method as M;
use serde_json::{Map, Value, json};

use crate::helpers::{As, Keys, TestServer, app_keys, call};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    Match,
    NoMatch,
    /// `check_live` refuses the query (102).
    Refused,
}
use Expect::{Match, NoMatch, Refused};

fn gp(lat: f64, lng: f64) -> Value {
    json!({"__type": "GeoPoint", "latitude": lat, "longitude": lng})
}

fn ptr(class: &str, id: &str) -> Value {
    json!({"__type": "Pointer", "className": class, "objectId": id})
}

fn date(iso: &str) -> Value {
    json!({"__type": "Date", "iso": iso})
}

/// (the class's schema (fields, indexes) declared before the object is saved, object, where,
/// expected). In a `where`,
/// the strings `@createdAt` and `@objectId` stand for the saved object's own.
fn cases() -> Vec<(Value, Value, Value, Expect)> {
    let none = json!({});
    let nyc = json!({"g": gp(40.0, -74.0)});
    let square = json!({"poly": {"__type": "Polygon", "coordinates": [[0, 0], [0, 10], [10, 10], [10, 0]]}});
    let ptrs = json!({"p": ptr("Other", "x1"), "ps": [ptr("Other", "x1"), ptr("Other", "x2")]});
    let tags = json!({"tags": ["a", "b"]});
    let multiline = json!({"s": "a\nb"});
    let sub = json!({"className": "Other", "where": {}});
    let d = json!({"d": date("2024-05-01T10:00:00.000Z")});
    // Fields in a schema index compare through their typed expression, which is NULL where the
    // field is not set (so `$nor` drops the object), unlike containment.
    let indexed = json!({"fields": {"si": {"type": "String"}, "ni": {"type": "Number"}}, "indexes": {"si_ni": {"si": 1, "ni": 1}}});
    vec![
        (indexed.clone(), json!({"n": 1}), json!({"$nor": [{"si": "a"}]}), NoMatch),
        (indexed.clone(), json!({"n": 1}), json!({"$nor": [{"ni": 1}]}), NoMatch),
        (indexed.clone(), json!({"n": 1}), json!({"$nor": [{"$or": [{"si": "a"}, {"si": "b"}]}]}), Match),
        (indexed.clone(), json!({"n": 1}), json!({"si": {"$ne": "a"}}), Match),
        (indexed.clone(), json!({"si": "a", "ni": 2}), json!({"si": "a", "ni": 2.0}), Match),
        (indexed.clone(), json!({"si": "a", "ni": 2}), json!({"si": {"$in": ["a"]}, "ni": {"$gt": 1}}), Match),
        (indexed.clone(), json!({"si": "a", "ni": 2}), json!({"si": "b"}), NoMatch),
        // Numbers, strings, booleans.
        (none.clone(), json!({"n": 5}), json!({"n": 5}), Match),
        (none.clone(), json!({"n": 5}), json!({"n": 5.0}), Match),
        (none.clone(), json!({"n": 5}), json!({"n": "5"}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"n": {"$gt": 4}}), Match),
        (none.clone(), json!({"n": 5}), json!({"n": {"$lt": 5}}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"n": {"$lte": 5}}), Match),
        (none.clone(), json!({"n": 5}), json!({"n": {"$gte": 5.5}}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"n": {"$ne": 5}}), NoMatch),
        (none.clone(), json!({"s": "abc"}), json!({"s": "abc"}), Match),
        (none.clone(), json!({"s": "abc"}), json!({"s": {"$gt": "abb"}}), Match),
        (none.clone(), json!({"s": "B"}), json!({"s": {"$lt": "a"}}), Match),
        (none.clone(), json!({"s": "é"}), json!({"s": {"$gt": "z"}}), Match),
        (none.clone(), json!({"b": true}), json!({"b": true}), Match),
        (none.clone(), json!({"b": true}), json!({"b": false}), NoMatch),
        (none.clone(), json!({"b": true}), json!({"b": {"$ne": false}}), Match),
        // Mixed types: a comparison with another type is NULL (no match, even under $nor).
        (none.clone(), json!({"n": 5}), json!({"n": {"$lt": "z"}}), NoMatch),
        (none.clone(), json!({"s": "abc"}), json!({"s": {"$gt": 1}}), NoMatch),
        (none.clone(), json!({"x": "5"}), json!({"x": {"$eq": 5}}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"n": {"$eq": "5"}}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"$nor": [{"n": {"$lt": "z"}}]}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"$nor": [{"n": {"$lt": 1}}]}), Match),
        // objectId and the date columns.
        (none.clone(), json!({"n": 1}), json!({"objectId": "@objectId"}), Match),
        (none.clone(), json!({"n": 1}), json!({"objectId": {"$in": ["nope", "@objectId"]}}), Match),
        (none.clone(), json!({"n": 1}), json!({"objectId": {"$gt": ""}}), Match),
        (none.clone(), json!({"n": 1}), json!({"objectId": {"$regex": "^[A-Za-z0-9]+$"}}), Match),
        (none.clone(), json!({"n": 1}), json!({"createdAt": {"$gt": date("2000-01-01T00:00:00.000Z")}}), Match),
        (none.clone(), json!({"n": 1}), json!({"createdAt": {"$lt": "2000-01-01T00:00:00.000Z"}}), NoMatch),
        (none.clone(), json!({"n": 1}), json!({"createdAt": "@createdAt"}), Match),
        (none.clone(), json!({"n": 1}), json!({"createdAt": {"$in": ["@createdAt"]}}), Match),
        (none.clone(), json!({"n": 1}), json!({"updatedAt": {"$gte": "@createdAt"}}), Match),
        (none.clone(), json!({"n": 1}), json!({"createdAt": {"$ne": "@createdAt"}}), NoMatch),
        // Dates in data.
        (none.clone(), d.clone(), json!({"d": {"$gt": date("2024-01-01T00:00:00Z")}}), Match),
        (none.clone(), d.clone(), json!({"d": {"$lt": date("2024-05-01T10:00:00.000Z")}}), NoMatch),
        (none.clone(), d.clone(), json!({"d": {"$lte": date("2024-05-01T10:00:00.000Z")}}), Match),
        (none.clone(), d.clone(), json!({"d": date("2024-05-01T10:00:00Z")}), Match),
        (none.clone(), json!({"o": d.clone()}), json!({"o.d": {"$gte": date("2024-05-01T10:00:00.000Z")}}), Match),
        (none.clone(), json!({"o": {"d": "text"}}), json!({"o.d": {"$gte": date("2024-05-01T10:00:00.000Z")}}), NoMatch),
        // Pointers: equal by class and id, in lists, in arrays.
        (none.clone(), ptrs.clone(), json!({"p": ptr("Other", "x1")}), Match),
        (none.clone(), ptrs.clone(), json!({"p": ptr("Other", "x2")}), NoMatch),
        (none.clone(), ptrs.clone(), json!({"p": ptr("Another", "x1")}), NoMatch),
        (none.clone(), ptrs.clone(), json!({"p": {"$in": [ptr("Other", "x2"), ptr("Other", "x1")]}}), Match),
        (none.clone(), ptrs.clone(), json!({"p": {"$nin": [ptr("Other", "x1")]}}), NoMatch),
        (none.clone(), ptrs.clone(), json!({"ps": ptr("Other", "x2")}), Match),
        (none.clone(), ptrs.clone(), json!({"ps": {"$in": [ptr("Other", "x3")]}}), NoMatch),
        (none.clone(), ptrs.clone(), json!({"ps": {"$all": [ptr("Other", "x1"), ptr("Other", "x2")]}}), Match),
        // Arrays: $in/$nin on their elements, $all, $containedBy, exact equality.
        (none.clone(), tags.clone(), json!({"tags": "a"}), Match),
        (none.clone(), tags.clone(), json!({"tags": {"$in": ["c", "b"]}}), Match),
        (none.clone(), tags.clone(), json!({"tags": {"$nin": ["c"]}}), Match),
        (none.clone(), tags.clone(), json!({"tags": {"$nin": ["a"]}}), NoMatch),
        (none.clone(), tags.clone(), json!({"tags": {"$in": [["a", "b"]]}}), Match),
        (none.clone(), tags.clone(), json!({"tags": ["a", "b"]}), Match),
        (none.clone(), tags.clone(), json!({"tags": ["b", "a"]}), NoMatch),
        (none.clone(), tags.clone(), json!({"tags": {"$all": ["a", "b"]}}), Match),
        (none.clone(), tags.clone(), json!({"tags": {"$all": ["a", "z"]}}), NoMatch),
        (none.clone(), tags.clone(), json!({"tags": {"$containedBy": ["a", "b", "c"]}}), Match),
        (none.clone(), tags.clone(), json!({"tags": {"$containedBy": ["a"]}}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"n": {"$containedBy": [5]}}), NoMatch),
        (none.clone(), json!({"n": 5}), json!({"$nor": [{"zz": {"$containedBy": [5]}}]}), NoMatch),
        (none.clone(), json!({"list": [1, "a", null]}), json!({"list": {"$in": [null]}}), NoMatch),
        (none.clone(), json!({"list": [1, "a"]}), json!({"list": 1.0}), Match),
        // $exists and null.
        (none.clone(), json!({"a": null, "n": 5}), json!({"a": {"$exists": true}}), NoMatch),
        (none.clone(), json!({"a": null, "n": 5}), json!({"a": {"$exists": false}}), Match),
        (none.clone(), json!({"a": null, "n": 5}), json!({"a": null}), Match),
        (none.clone(), json!({"a": null, "n": 5}), json!({"zz": null}), Match),
        (none.clone(), json!({"a": null, "n": 5}), json!({"n": null}), NoMatch),
        (none.clone(), json!({"a": null, "n": 5}), json!({"n": {"$exists": true}}), Match),
        (none.clone(), json!({"a": null, "n": 5}), json!({"zz": {"$in": [null, 3]}}), Match),
        // $ne/$nin on missing fields keep the object.
        (none.clone(), json!({"n": 5}), json!({"zz": {"$ne": 1}}), Match),
        (none.clone(), json!({"n": 5}), json!({"zz": {"$nin": [1]}}), Match),
        (none.clone(), json!({"n": 5}), json!({"zz": {"$ne": null}}), NoMatch),
        (json!({"fields": {"zs": {"type": "String"}}}), json!({"n": 5}), json!({"zs": {"$ne": "x"}}), Match),
        // Regular expressions, each option, \Q...\E.
        (none.clone(), json!({"s": "Hello World"}), json!({"s": {"$regex": "^hello"}}), NoMatch),
        (none.clone(), json!({"s": "Hello World"}), json!({"s": {"$regex": "^hello", "$options": "i"}}), Match),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "^b"}}), NoMatch),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "^b", "$options": "m"}}), Match),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "a$", "$options": "m"}}), Match),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "a.b"}}), NoMatch),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "a.b", "$options": "s"}}), Match),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "a[^x]b"}}), NoMatch),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "a[^x]b", "$options": "s"}}), Match),
        (none.clone(), multiline.clone(), json!({"s": {"$regex": "^b$.", "$options": "ms"}}), NoMatch),
        (none.clone(), json!({"s": "Hello"}), json!({"s": {"$regex": "h e l l o # comment", "$options": "ix"}}), Match),
        (none.clone(), json!({"s": "a.b*c"}), json!({"s": {"$regex": "^\\Qa.b*\\Ec$"}}), Match),
        (none.clone(), json!({"s": "axbbc"}), json!({"s": {"$regex": "^\\Qa.b*\\Ec$"}}), NoMatch),
        (none.clone(), json!({"s": "x12"}), json!({"s": {"$regex": "\\d{2}$"}}), Match),
        (none.clone(), json!({"s": "x1"}), json!({"s": {"$regex": "x\\D"}}), NoMatch),
        (none.clone(), json!({"s": "a]"}), json!({"s": {"$regex": "a[]]"}}), Match),
        (none.clone(), json!({"s": 5}), json!({"s": {"$regex": "5"}}), NoMatch),
        (none.clone(), json!({"tags": ["apple", "banana"]}), json!({"tags": {"$all": [{"$regex": "^ap"}, {"$regex": "^ba"}]}}), Match),
        (none.clone(), json!({"tags": ["apple", "banana"]}), json!({"tags": {"$all": [{"$regex": "^ap"}, {"$regex": "^c"}]}}), NoMatch),
        // Nested keys.
        (none.clone(), json!({"o": {"a": {"b": 1}}}), json!({"o.a.b": 1}), Match),
        (none.clone(), json!({"o": {"a": {"b": 1}}}), json!({"o.a.b": {"$gt": 0}}), Match),
        (none.clone(), json!({"o": {"a": {"b": 1}}}), json!({"o.a.c": {"$exists": false}}), Match),
        (none.clone(), json!({"o": {"a": {"b": 1}}}), json!({"o.a": {"b": 1}}), Match),
        (none.clone(), json!({"o": {"a": {"b": 1, "c": 2}}}), json!({"o": {"a": {"b": 1}}}), Match),
        (none.clone(), json!({"o": {"list": [1, 2]}}), json!({"o.list": 2}), Match),
        // Equality is containment, through objects only; other operators read `#>`, which indexes arrays.
        (none.clone(), json!({"o": {"list": [1, 2]}}), json!({"o.list.1": 2}), NoMatch),
        (none.clone(), json!({"o": {"list": [1, 2]}}), json!({"o.list.1": {"$gte": 2}}), Match),
        (none.clone(), json!({"o": {"list": [1, 2]}}), json!({"o.list.-1": {"$gte": 2}}), Match),
        (none.clone(), json!({"o": {"list": [1, 2]}}), json!({"o.list.5": {"$exists": false}}), Match),
        (none.clone(), json!({"o": {"a": 1}}), json!({"o.b.c": null}), Match),
        (none.clone(), json!({"o": {"a": 1}}), json!({"o.a": {"$in": [1, 2]}}), Match),
        (none.clone(), json!({"o": {"a": [3, 4]}}), json!({"o.a": {"$nin": [4]}}), NoMatch),
        (none.clone(), json!({"o": {"a": [3, 4]}}), json!({"o.a": {"$all": [3]}}), Match),
        // More mixed shapes.
        (none.clone(), ptrs.clone(), json!({"p": {"$in": ["x1"]}}), NoMatch),
        (none.clone(), ptrs.clone(), json!({"p.objectId": "x1"}), Match),
        (none.clone(), json!({"n": 5}), json!({"n": {"$in": [5.0, 6]}}), Match),
        (none.clone(), json!({"n": 5}), json!({"n": {"$all": [5]}}), NoMatch),
        (none.clone(), tags.clone(), json!({"tags": {"$ne": ["a", "b"]}}), NoMatch),
        (none.clone(), tags.clone(), json!({"tags": {"$ne": "c"}}), Match),
        (none.clone(), d.clone(), json!({"d": {"$in": [date("2024-05-01T10:00:00.000Z")]}}), Match),
        (none.clone(), json!({"n": 1}), json!({"createdAt": {"$in": [date("2000-01-01T00:00:00.000Z")]}}), NoMatch),
        (none.clone(), square.clone(), json!({"poly": {"$nearSphere": gp(5.0, 5.0)}}), NoMatch),
        (none.clone(), nyc.clone(), json!({"g": {"$geoIntersects": {"$point": gp(40.0, -74.0)}}}), NoMatch),
        (none.clone(), json!({"s": "a/b@c"}), json!({"s": {"$regex": "a\\/b\\@c"}}), Match),
        (none.clone(), json!({"s": "a-b"}), json!({"s": {"$regex": "^[a\\-]+b$"}}), Match),
        (none.clone(), json!({"s": "word here"}), json!({"s": {"$regex": "\\w+\\s\\S"}}), Match),
        // Classes and case follow the C locale (the embedded cluster's): ASCII only.
        (none.clone(), json!({"s": "é"}), json!({"s": {"$regex": "^\\w$"}}), NoMatch),
        (none.clone(), json!({"s": "a\u{a0}b"}), json!({"s": {"$regex": "a\\sb"}}), NoMatch),
        (none.clone(), json!({"s": "a b"}), json!({"s": {"$regex": "a\\sb", "$options": "x"}}), Match),
        (none.clone(), json!({"s": "Straße"}), json!({"s": {"$regex": "^s", "$options": "i"}}), Match),
        (none.clone(), json!({"s": "\u{212a}"}), json!({"s": {"$regex": "k", "$options": "i"}}), NoMatch),
        (none.clone(), json!({"s": "ABC-"}), json!({"s": {"$regex": "^[a-c-]+$", "$options": "i"}}), Match),
        (none.clone(), json!({"s": "A"}), json!({"s": {"$regex": "[^a]", "$options": "i"}}), NoMatch),
        (none.clone(), json!({"s": "١"}), json!({"s": {"$regex": "\\d"}}), NoMatch),
        // $or, $and, $nor.
        (none.clone(), json!({"n": 5, "s": "a"}), json!({"$or": [{"n": 1}, {"n": 5}]}), Match),
        (none.clone(), json!({"n": 5, "s": "a"}), json!({"$or": [{"n": 1}, {"s": "a"}]}), Match),
        (none.clone(), json!({"n": 5, "s": "a"}), json!({"$and": [{"n": 5}, {"s": "b"}]}), NoMatch),
        (none.clone(), json!({"n": 5, "s": "a"}), json!({"$nor": [{"n": 1}, {"s": "b"}]}), Match),
        (none.clone(), json!({"n": 5, "s": "a"}), json!({"$nor": [{"n": 5}]}), NoMatch),
        (none.clone(), json!({"n": 5, "s": "a"}), json!({"$or": [{"$and": [{"n": 5}, {"s": "a"}]}, {"zz": 1}]}), Match),
        // Geo: New York at (40, -74); (40.5, -74) is 55.6 km (34.5 miles, 0.00873 radians) away.
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0)}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistance": 0.01}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistance": 0.008}}), NoMatch),
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistanceInRadians": 0.009}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistanceInKilometers": 60}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistanceInKilometers": 50}}), NoMatch),
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistanceInMiles": 40}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistanceInMiles": 30}}), NoMatch),
        (none.clone(), json!({"n": 1}), json!({"$nor": [{"g": {"$nearSphere": gp(40.5, -74.0), "$maxDistance": 1}}]}), NoMatch),
        (none.clone(), json!({"n": 1}), json!({"g": {"$nearSphere": gp(40.5, -74.0)}}), NoMatch),
        (none.clone(), nyc.clone(), json!({"g": {"$within": {"$box": [gp(39.0, -75.0), gp(41.0, -73.0)]}}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$within": {"$box": [gp(41.0, -75.0), gp(42.0, -73.0)]}}}), NoMatch),
        (none.clone(), nyc.clone(), json!({"g": {"$within": {"$box": [gp(39.0, -73.0), gp(41.0, -75.0)]}}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$geoWithin": {"$polygon": [[39, -75], [39, -73], [41, -73], [41, -75]]}}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$geoWithin": {"$polygon": [gp(39.0, -75.0), gp(39.0, -73.0), gp(41.0, -73.0)]}}}), Match), // on the border
        (
            none.clone(),
            nyc.clone(),
            json!({"g": {"$geoWithin": {"$polygon": [gp(39.0, -75.0), gp(39.0, -74.5), gp(41.0, -75.0)]}}}),
            NoMatch,
        ),
        (
            none.clone(),
            nyc.clone(),
            json!({"g": {"$geoWithin": {"$polygon": [gp(39.0, -75.0), gp(39.0, -73.0), gp(41.0, -73.0), gp(41.0, -75.0)]}}}),
            Match,
        ),
        (none.clone(), nyc.clone(), json!({"g": {"$geoWithin": {"$centerSphere": [[-74.0, 40.5], 0.01]}}}), Match),
        (none.clone(), nyc.clone(), json!({"g": {"$geoWithin": {"$centerSphere": [[-74.0, 40.5], 0.001]}}}), NoMatch),
        (none.clone(), nyc.clone(), json!({"g": {"$geoWithin": {"$centerSphere": [gp(40.5, -74.0), 0.01]}}}), Match),
        (none.clone(), square.clone(), json!({"poly": {"$geoIntersects": {"$point": gp(5.0, 5.0)}}}), Match),
        (none.clone(), square.clone(), json!({"poly": {"$geoIntersects": {"$point": gp(20.0, 5.0)}}}), NoMatch),
        (none.clone(), square.clone(), json!({"poly": {"$geoIntersects": {"$point": gp(0.0, 5.0)}}}), Match),
        // Refused: other rows, full-text search, regexes PostgreSQL and the regex crate read differently.
        (
            json!({"fields": {"rel": {"type": "Relation", "targetClass": "Other"}}}),
            json!({"n": 1}),
            json!({"rel": ptr("Other", "x1")}),
            Refused,
        ),
        (
            json!({"fields": {"rel": {"type": "Relation", "targetClass": "Other"}}}),
            json!({"n": 1}),
            json!({"$relatedTo": {"object": ptr("Other", "x1"), "key": "rel"}}),
            Refused,
        ),
        (none.clone(), ptrs.clone(), json!({"p": {"$inQuery": sub.clone()}}), Refused),
        (none.clone(), ptrs.clone(), json!({"p": {"$notInQuery": sub.clone()}}), Refused),
        (none.clone(), ptrs.clone(), json!({"n": {"$select": {"query": sub.clone(), "key": "n"}}}), Refused),
        (none.clone(), ptrs.clone(), json!({"n": {"$dontSelect": {"query": sub.clone(), "key": "n"}}}), Refused),
        (none.clone(), json!({"s": "x"}), json!({"s": {"$text": {"$search": {"$term": "x"}}}}), Refused),
        (none.clone(), json!({"s": "x"}), json!({"$or": [{"s": {"$text": {"$search": {"$term": "x"}}}}]}), Refused),
        (none.clone(), json!({"s": "aa"}), json!({"s": {"$regex": "(a)\\1"}}), Refused),
        (none.clone(), json!({"s": "ab"}), json!({"s": {"$regex": "a(?=b)"}}), Refused),
        (none.clone(), json!({"s": "ab"}), json!({"s": {"$regex": "a(?!c)"}}), Refused),
        (none.clone(), json!({"s": "a b"}), json!({"s": {"$regex": "\\ma"}}), Refused),
        (none.clone(), json!({"s": "a b"}), json!({"s": {"$regex": "a\\y"}}), Refused),
        (none.clone(), json!({"s": "a"}), json!({"s": {"$regex": "[[:alpha:]]"}}), Refused),
        (none.clone(), json!({"tags": ["aa"]}), json!({"tags": {"$all": [{"$regex": "(a)\\1"}]}}), Refused),
    ]
}

/// `@createdAt`/`@objectId` replaced by the saved object's own.
fn substitute(w: &Value, image: &Map<String, Value>) -> Value {
    match w {
        Value::String(s) if s == "@createdAt" || s == "@objectId" => image[&s[1..]].clone(),
        Value::String(s) if s.contains("@objectId") => Value::String(s.replace("@objectId", image["objectId"].as_str().unwrap())),
        Value::Array(items) => Value::Array(items.iter().map(|i| substitute(i, image)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), substitute(v, image))).collect()),
        other => other.clone(),
    }
}

/// The class's schema as the server has it, for the in-memory parser.
async fn schema_of(server: &TestServer, app: &Keys, class: &str) -> AppSchema {
    let (status, body) = call(server, app, As::Master, M::GET, &format!("/schemas/{class}"), None).await;
    assert_eq!(status, 200, "{body}");
    let fields: BTreeMap<String, FieldType> = body["fields"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(name, _)| !["objectId", "createdAt", "updatedAt", "ACL"].contains(&name.as_str()))
        .map(|(name, spec)| (name.clone(), FieldType::from_json(spec).unwrap()))
        .collect();
    let thing = ClassSchema {
        name: ClassName::parse(class).unwrap(),
        fields,
        options: BTreeMap::new(),
        clp: json!({}),
        indexes: body.get("indexes").cloned().unwrap_or(json!({})),
    };
    AppSchema { classes: HashMap::from([(class.to_string(), Arc::new(thing))]) }
}

#[tokio::test]
async fn memory_and_sql_agree_on_every_case() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let mut failures = Vec::new();
    for (i, (declared, object, where_, expected)) in cases().into_iter().enumerate() {
        let class = format!("LiveMatch{i}");
        let mut schema = declared.as_object().unwrap().clone();
        schema.insert("className".into(), json!(class));
        let (status, body) = call(&server, &app, As::Master, M::POST, &format!("/schemas/{class}"), Some(Value::Object(schema))).await;
        assert_eq!(status, 200, "case {i}: {body}");
        let (status, body) = call(&server, &app, As::Master, M::POST, &format!("/classes/{class}"), Some(object.clone())).await;
        assert_eq!(status, 201, "case {i}: {body}");
        let id = body["objectId"].as_str().unwrap().to_string();
        let (status, image) = call(&server, &app, As::Master, M::GET, &format!("/classes/{class}/{id}"), None).await;
        assert_eq!(status, 200, "case {i}: {image}");
        let image = image.as_object().unwrap().clone();
        let where_ = substitute(&where_, &image);
        let schema = schema_of(&server, &app, &class).await;
        let parsed = parse::parse_where(&schema, &ClassName::parse(&class).unwrap(), &where_, &QueryLimits::default())
            .unwrap_or_else(|e| panic!("case {i}: {where_} does not parse: {e:?}"));
        if expected == Refused {
            match parsed.check_live() {
                Err(DataError::InvalidQuery(message)) => assert!(!message.is_empty()),
                other => failures.push(format!("case {i}: {where_} must be refused for LiveQuery, got {other:?}")),
            }
            continue;
        }
        if let Err(e) = parsed.check_live() {
            failures.push(format!("case {i}: {where_} refused for LiveQuery: {e:?}"));
            continue;
        }
        let want = expected == Match;
        let memory = eval::matches(&parsed, &image);
        let (status, found) =
            call(&server, &app, As::Master, M::GET, &format!("/classes/{class}?where={}", urlencode(&where_.to_string())), None).await;
        assert_eq!(status, 200, "case {i}: {where_}: {found}");
        let sql = found["results"].as_array().unwrap().iter().any(|o| o["objectId"] == json!(id));
        if memory != want || sql != want {
            failures.push(format!("case {i}: {where_} on {object}: expected {want}, memory {memory}, SQL {sql}"));
        }
    }
    assert!(failures.is_empty(), "{} disagreements:\n{}", failures.len(), failures.join("\n"));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}
