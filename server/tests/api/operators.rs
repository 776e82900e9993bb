//! Parse's field operators are applied twice: in SQL by the stored write (`objects::update`), and
//! in memory by `data::ops::apply` (the object `beforeSave` sees, a change's "after" image). This
//! property test runs random operator sequences against PostgreSQL and checks, at every step,
//! that the in-memory application to the stored object gives exactly the object the SQL leaves.
//!
//! `HEARTH_OPERATOR_CASES` sets the number of sequences (10,000 by default), `HEARTH_OPERATOR_SEED`
//! the seed (a new one each run by default), `HEARTH_OPERATOR_CASE` runs one case of a seed. A
//! failure prints how to run its case again.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use hearth::data::Caller;
use hearth::data::hooks::{NoRules, NoSink, NoTriggers, Services};
use hearth::data::names::{ClassName, FieldName};
use hearth::data::objects::{self, Op, Write};
use hearth::data::schema::ClassSchema;

use crate::helpers::{As, TestServer, app_keys, call, run_database, test_config};

/// xorshift64*: small, seeded, good enough to pick values.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that neighbouring seeds start far apart (and never at 0).
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const FIELDS: [&str; 5] = ["f0", "f1", "f2", "f3", "f4"];

/// Numbers where jsonb and JSON in memory may part: integers and the same values as floats,
/// fractions, values past 2^53 where a float and an integer differ by one, large and tiny ones.
fn number(rng: &mut Rng) -> Value {
    match rng.below(16) {
        0..=4 => json!(rng.below(7) as i64 - 3),
        5 => json!(rng.pick(&[0.0, 1.0, 2.0, -1.0, 3.0])),
        6 => json!(rng.pick(&[0.5, 0.1, 0.2, -2.5, 1.5, 0.30000000000000004])),
        7 => json!(rng.pick(&[9_007_199_254_740_993_u64, 1_152_921_504_606_847_000, 10_000_000_000_000_000_001, u64::MAX])),
        8 => json!(rng.pick(&[9_007_199_254_740_992.0, 1_152_921_504_606_846_976.0, 1e16, 1e17, 1e19, 1e20])),
        9 => json!(rng.pick(&[i64::MIN, -9_007_199_254_740_993, i64::MAX])),
        10 => json!(rng.pick(&[1e300, -1e300, 1.5e-7, 5e-324, 1.7e-308])),
        11 => json!(-0.0),
        _ => json!(rng.below(3)),
    }
}

fn scalar(rng: &mut Rng) -> Value {
    match rng.below(10) {
        0..=3 => number(rng),
        4..=6 => json!(rng.pick(&["a", "b", "", "é", "a\"b", "1", "true", "null"])),
        7 => json!(rng.chance(50)),
        8 => Value::Null,
        _ => json!(rng.pick(&["x", "y"])),
    }
}

/// A value, nested up to `depth`: objects draw their keys from a few, so that one often has
/// more keys than another or the same key with another type (containment decides by both).
fn value(rng: &mut Rng, depth: u32) -> Value {
    if depth == 0 || rng.chance(55) {
        return scalar(rng);
    }
    if rng.chance(50) {
        let mut map = Map::new();
        for _ in 0..rng.below(4) {
            map.insert(rng.pick(&["a", "b", "c"]).to_string(), value(rng, depth - 1));
        }
        Value::Object(map)
    } else {
        Value::Array((0..rng.below(4)).map(|_| value(rng, depth - 1)).collect())
    }
}

/// Items for Add, AddUnique and Remove: often ones the field holds already (or holds a part of,
/// or holds as another spelling of the same number), so that containment is put to work.
fn items(rng: &mut Rng, stored: Option<&Value>) -> Vec<Value> {
    let held: Vec<Value> = stored.and_then(Value::as_array).cloned().unwrap_or_default();
    (0..rng.below(4))
        .map(|_| match (rng.below(6), held.is_empty()) {
            (0 | 1, false) => rng.pick(&held),
            (2, false) => {
                let whole = rng.pick(&held);
                part_of(rng, &whole)
            }
            _ => value(rng, 2),
        })
        .collect()
}

/// A value contained in `v` or close to it: an object with fewer keys, an array with fewer
/// elements, a number spelled otherwise.
fn part_of(rng: &mut Rng, v: &Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(map.iter().filter(|_| rng.chance(50)).map(|(k, v)| (k.clone(), v.clone())).collect()),
        Value::Array(list) => Value::Array(list.iter().filter(|_| rng.chance(50)).cloned().collect()),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => json!(i as f64),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() < 1e18 => json!(f as i64),
            _ => v.clone(),
        },
        other => other.clone(),
    }
}

/// One operator on a field, as a request spells it (Merge, which no request spells, apart).
fn operator(rng: &mut Rng, stored: Option<&Value>) -> Result<Value, Map<String, Value>> {
    Ok(match rng.below(12) {
        0 | 1 => value(rng, 3),
        2 => json!({"__op": "Delete"}),
        3 | 4 => {
            let amount = if rng.chance(30) { number(rng) } else { json!(rng.below(5) as i64 - 2) };
            // Past the double's range the SQL refuses the write (see `an_increment_past_the_doubles_range_is_refused`).
            let amount = if amount.as_f64().is_some_and(|a| a.abs() > 1e200) { json!(1) } else { amount };
            json!({"__op": "Increment", "amount": amount})
        }
        5 | 6 => json!({"__op": "Add", "objects": items(rng, stored)}),
        7 | 8 => json!({"__op": "AddUnique", "objects": items(rng, stored)}),
        9 | 10 => json!({"__op": "Remove", "objects": items(rng, stored)}),
        _ => {
            let mut map = Map::new();
            for _ in 0..rng.below(3) {
                let v = if rng.chance(30) { Value::Null } else { value(rng, 1) };
                map.insert(rng.pick(&["a", "b", "c"]).to_string(), v);
            }
            return Err(map);
        }
    })
}

/// A Merge operator on a field (made by `auth`, never parsed from a request).
type Merge = (String, Map<String, Value>);

/// A write on 1 to 4 of the fields: the body a request would carry, and Merge operators.
fn write_body(rng: &mut Rng, stored: &Map<String, Value>) -> (Map<String, Value>, Vec<Merge>) {
    let mut body = Map::new();
    let mut merges = Vec::new();
    let mut fields = FIELDS.to_vec();
    for _ in 0..1 + rng.below(4) {
        let field = fields.remove(rng.below(fields.len()));
        match operator(rng, stored.get(field)) {
            Ok(op) => _ = body.insert(field.to_string(), op),
            Err(merge) => merges.push((field.to_string(), merge)),
        }
    }
    (body, merges)
}

fn parse(body: &Map<String, Value>, merges: &[Merge], id: Option<&str>) -> Write {
    let mut write = Write::parse(body.clone(), id).expect("a generated write parses");
    for (field, map) in merges {
        write.ops.push((FieldName::parse(field).unwrap(), Op::Merge(map.clone())));
    }
    write
}

/// The object without what the server sets on every write.
fn fields_of(object: &Value) -> Map<String, Value> {
    let mut map = object.as_object().expect("an object").clone();
    map.remove("updatedAt");
    map
}

struct Failure {
    case: u64,
    step: usize,
    stored: Value,
    write: Value,
    memory: Value,
    sql: Value,
}

/// The objects as jsonb compares them (numbers by value, whatever their spelling): the same?
/// Both are first compared as they are; PostgreSQL settles it when they differ only in how a
/// number is written (`1e17` and `100000000000000000`).
async fn same(client: &deadpool_postgres::Object, memory: &Map<String, Value>, sql: &Map<String, Value>) -> bool {
    if memory == sql {
        return true;
    }
    let (memory, sql) = (Value::Object(memory.clone()), Value::Object(sql.clone()));
    client.query_one("SELECT $1::jsonb = $2::jsonb", &[&memory, &sql]).await.unwrap().get(0)
}

/// One sequence: a create, then up to four updates, each checked against the in-memory
/// application. Creates apply their operators in Rust too (`objects::create`): checked alike.
async fn run_case(caller: &Caller, schema: &ClassSchema, pool: &deadpool_postgres::Pool, seed: u64, case: u64) -> Result<(), Box<Failure>> {
    let mut rng = Rng::new(seed ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let client = pool.get().await.unwrap();
    let (body, merges) = write_body(&mut rng, &Map::new());
    let mut memory = Map::new();
    hearth::data::ops::apply(&mut memory, &parse(&body, &merges, None));
    let (created, after) = objects::create(&client, caller, schema, parse(&body, &merges, None), true).await.unwrap();
    let id = created["objectId"].as_str().unwrap().to_string();
    let mut stored = after.unwrap();
    for key in ["objectId", "createdAt", "updatedAt"] {
        memory.insert(key.into(), stored[key].clone());
    }
    let fail = |step: usize, stored: &Value, body: &Map<String, Value>, merges: &[Merge], memory: Map<String, Value>, sql: Value| {
        let mut write = Value::Object(body.clone());
        for (field, map) in merges {
            write[field] = json!({"__op": "Merge (not a request's)", "object": map});
        }
        Box::new(Failure { case, step, stored: stored.clone(), write, memory: Value::Object(memory), sql })
    };
    let read = objects::get(&client, caller, schema, &id).await.unwrap().into_value();
    if !same(&client, &fields_of(&Value::Object(memory.clone())), &fields_of(&read)).await {
        return Err(fail(0, &json!({}), &body, &merges, memory, read));
    }
    stored = read;
    for step in 1..=rng.below(5) {
        let (body, merges) = write_body(&mut rng, stored.as_object().unwrap());
        let mut memory = stored.as_object().unwrap().clone();
        hearth::data::ops::apply(&mut memory, &parse(&body, &merges, Some(&id)));
        // Both forms of the statement: with the images a change carries, and without (read back).
        let images = rng.chance(50);
        let (_, got) = objects::update(&client, caller, schema, &id, parse(&body, &merges, Some(&id)), images).await.unwrap();
        let sql: Value = match got.after {
            Some(after) => {
                assert_eq!(got.before.as_ref(), Some(&stored), "the before image is the object as stored");
                after
            }
            None => objects::get(&client, caller, schema, &id).await.unwrap().into_value(),
        };
        if !same(&client, &fields_of(&Value::Object(memory.clone())), &fields_of(&sql)).await {
            return Err(fail(step, &stored, &body, &merges, memory, sql));
        }
        stored = sql;
    }
    Ok(())
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| v.parse().unwrap_or_else(|_| panic!("{name} must be a number")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_in_memory_give_the_object_the_sql_stores() {
    let cases = env_u64("HEARTH_OPERATOR_CASES").unwrap_or(10_000);
    let seed = env_u64("HEARTH_OPERATOR_SEED")
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64);
    let only = env_u64("HEARTH_OPERATOR_CASE");

    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let (status, body) = call(&server, &app, As::Master, reqwest::Method::POST, "/schemas/Sequence", Some(json!({}))).await;
    assert_eq!(status, 200, "{body}");

    // The library's own write functions, on a pool of their own: no HTTP between the two.
    let config = test_config(run_database());
    let target = hearth::db::Target::parse(run_database(), None).unwrap();
    let pool = hearth::db::pool(&target, 4, hearth::db::PoolTimeouts::requests(&config.timeouts));
    let bus = hearth::bus::Bus::start(target).await.unwrap();
    let loaded =
        hearth::apps::get(&pool.get().await.unwrap(), &crate::helpers::test_keyring(), &app.id).await.unwrap().expect("the app exists");
    let services = Services {
        parse_url: "http://127.0.0.1/parse".into(),
        timeouts: config.timeouts,
        triggers: Arc::new(NoTriggers),
        classes: Arc::new(NoRules),
        changes: Arc::new(NoSink),
        schemas: hearth::data::schema::SchemaCache::new(pool.clone(), &bus, config.timeouts.wait),
        pool: pool.clone(),
    };
    let caller = Caller::master(Arc::new(loaded), Arc::new(services));
    // Any operator on any field: the schema's types (which refuse an Increment of a string
    // field before the SQL runs) are left out, so that the SQL meets every kind of value.
    let schema = ClassSchema {
        name: ClassName::parse("Sequence").unwrap(),
        fields: Default::default(),
        options: Default::default(),
        clp: hearth::data::schema::default_clp(),
        indexes: json!({}),
    };

    let started = std::time::Instant::now();
    let list: Vec<u64> = match only {
        Some(case) => vec![case],
        None => (0..cases).collect(),
    };
    // A few sequences at a time, each on its own connection.
    let workers = 3;
    let failures: Vec<Box<Failure>> = futures_util::future::join_all((0..workers).map(|w| {
        let (caller, schema, pool, list) = (&caller, &schema, &pool, &list);
        async move {
            let mut failures = Vec::new();
            for &case in list.iter().skip(w).step_by(workers) {
                if let Err(failure) = run_case(caller, schema, pool, seed, case).await {
                    failures.push(failure);
                    if failures.len() >= 3 {
                        break;
                    }
                }
            }
            failures
        }
    }))
    .await
    .into_iter()
    .flatten()
    .collect();
    eprintln!("{} operator sequences checked in {:?} (seed {seed})", list.len(), started.elapsed());
    bus.stop();
    server.shutdown().await;
    if let Some(first) = failures.iter().min_by_key(|f| f.case) {
        for f in &failures {
            eprintln!(
                "case {} step {}:\n  stored: {}\n  write:  {}\n  memory: {}\n  SQL:    {}",
                f.case, f.step, f.stored, f.write, f.memory, f.sql
            );
        }
        panic!(
            "ops::apply and the SQL disagree in {} case(s); run the first again with \
             HEARTH_OPERATOR_SEED={seed} HEARTH_OPERATOR_CASE={}",
            failures.len(),
            first.case
        );
    }
}

/// Past the double's range, PostgreSQL refuses the sum (in memory it would be infinite, which
/// JSON cannot hold): the client gets a Parse error and the object is left as it was.
#[tokio::test]
async fn an_increment_past_the_doubles_range_is_refused() {
    let server = TestServer::start().await;
    let app = app_keys(&server).await;
    let (status, created) = call(&server, &app, As::Master, reqwest::Method::POST, "/classes/Big", Some(json!({"n": 1e308}))).await;
    assert_eq!(status, 201, "{created}");
    let path = format!("/classes/Big/{}", created["objectId"].as_str().unwrap());
    let increment = json!({"n": {"__op": "Increment", "amount": 1e308}});
    let (status, body) = call(&server, &app, As::Master, reqwest::Method::PUT, &path, Some(increment)).await;
    assert_eq!((status, body["code"].clone()), (400, json!(102)), "{body}");
    let (status, body) = call(&server, &app, As::Master, reqwest::Method::GET, &path, None).await;
    assert_eq!((status, body["n"].as_f64()), (200, Some(1e308)), "{body}");
    server.shutdown().await;
}
