//! The bus between instances, over a real PostgreSQL and a real Redis: a flood of one topic
//! leaves the caches fed by the others alone, events larger than a NOTIFY travel by reference
//! and only when their transaction commits, a lost connection resets every cache of what it
//! carried, and fan-out topics travel over Redis when there is one.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth::bus::{self, Bus, Committed, Event, FanOut, Subscription, Topic, redis::RedisTransport, topics::SchemaChanged};
use hearth::cache::BusCache;
use hearth::db::Db;
use serde::{Deserialize, Serialize};

use crate::helpers::{Redis, fresh_database, test_config};

/// A committed topic, sent in floods.
#[derive(Debug, Serialize, Deserialize)]
struct Flood {
    n: u32,
}

impl Topic for Flood {
    const NAME: &'static str = "test.flood";
    type Carrier = Committed;
}

/// A committed topic with large events.
#[derive(Debug, Serialize, Deserialize)]
struct Big {
    text: String,
}

impl Topic for Big {
    const NAME: &'static str = "test.big";
    type Carrier = Committed;
}

/// A fan-out topic.
#[derive(Debug, Serialize, Deserialize)]
struct Progress {
    text: String,
}

impl Topic for Progress {
    const NAME: &'static str = "test.progress";
    type Carrier = FanOut;
}

/// A database of this test's own (the bus is per database), migrated.
async fn database() -> Db {
    Db::open_and_migrate(&test_config(&fresh_database())).await.expect("open the test database")
}

/// A schema cache (by app id) holding apps 1, 2 and 3.
fn schema_cache(bus: &Bus) -> BusCache<i64, ()> {
    let cache = BusCache::new(bus, 100, |e: &SchemaChanged| e.app);
    for app in 1..=3 {
        cache.insert(app, Arc::new(()), cache.generation());
    }
    cache
}

/// The next event, within ten seconds.
async fn next<T: Topic>(events: &mut Subscription<T>) -> Event<T> {
    tokio::time::timeout(Duration::from_secs(10), events.recv()).await.expect("an event within ten seconds").expect("the bus runs")
}

fn message<T>(event: Event<T>) -> Arc<T> {
    match event {
        Event::Message(message) => message,
        Event::Reset => panic!("expected a message, got a reset"),
    }
}

/// Polls `check` until it holds, for at most ten seconds (events arrive asynchronously).
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::task::yield_now().await;
    }
}

/// The frames stored by reference.
async fn stored(db: &Db) -> Vec<String> {
    let client = db.pool.get().await.unwrap();
    client.query("SELECT frame FROM bus_payloads ORDER BY id", &[]).await.unwrap().iter().map(|r| r.get(0)).collect()
}

#[tokio::test]
async fn a_flood_on_one_topic_leaves_the_caches_fed_by_another_alone() {
    let db = database().await;
    let bus = Bus::start(db.target.clone()).await.unwrap();
    let schemas = schema_cache(&bus);
    // A subscriber of the flooded topic that stops reading.
    let mut stalled = bus.subscribe::<Flood>();
    // Five times a topic's capacity in one transaction, delivered in one burst at its commit,
    // then one schema event.
    let mut client = db.pool.get().await.unwrap();
    let tx = client.transaction().await.unwrap();
    for n in 0..5_000 {
        bus::publish(&tx, &Flood { n }).await.unwrap();
    }
    bus::publish(&tx, &SchemaChanged { app: 1 }).await.unwrap();
    tx.commit().await.unwrap();
    eventually("the schema event reaches the cache", || schemas.get(&1).is_none()).await;
    assert!(schemas.get(&2).is_some() && schemas.get(&3).is_some(), "the flood of another topic reset the schema cache");
    // The stalled subscriber missed events: it is told so, then reads on.
    assert!(matches!(next(&mut stalled).await, Event::Reset));
    assert!(message(next(&mut stalled).await).n > 0);
    bus.stop();
    db.close().await;
}

#[tokio::test]
async fn events_larger_than_a_notify_travel_by_reference_when_their_transaction_commits() {
    let db = database().await;
    let (one, two) = (Bus::start(db.target.clone()).await.unwrap(), Bus::start(db.target.clone()).await.unwrap());
    let (mut on_one, mut on_two) = (one.subscribe::<Big>(), two.subscribe::<Big>());
    let large = |c: char| c.to_string().repeat(20_000);
    let mut client = db.pool.get().await.unwrap();
    // Rolled back: neither delivered nor stored.
    let tx = client.transaction().await.unwrap();
    bus::publish(&tx, &Big { text: large('a') }).await.unwrap();
    tx.rollback().await.unwrap();
    // Committed: delivered whole to every instance, in order with the small events around it.
    let tx = client.transaction().await.unwrap();
    bus::publish(&tx, &Big { text: "before".into() }).await.unwrap();
    bus::publish(&tx, &Big { text: large('b') }).await.unwrap();
    bus::publish(&tx, &Big { text: "after".into() }).await.unwrap();
    tx.commit().await.unwrap();
    for events in [&mut on_one, &mut on_two] {
        assert_eq!(message(next(events).await).text, "before", "the rolled-back event was not delivered");
        assert_eq!(message(next(events).await).text, large('b'));
        assert_eq!(message(next(events).await).text, "after");
    }
    let frames = stored(&db).await;
    assert_eq!(frames.len(), 1, "only the committed large event was stored");
    assert!(frames[0].starts_with(r#"{"topic":"test.big","payload":{"text":"bbb"#));
    // At the limit: the largest frame a NOTIFY takes goes as it is, one byte more by reference.
    let overhead = r#"{"topic":"test.big","payload":{"text":""}}"#.len();
    for size in [bus::postgres::INLINE_LIMIT, bus::postgres::INLINE_LIMIT + 1] {
        bus::publish(&client, &Big { text: "x".repeat(size - overhead) }).await.unwrap();
        assert_eq!(message(next(&mut on_two).await).text.len(), size - overhead);
    }
    assert_eq!(stored(&db).await.len(), 2);
    // Without Redis, fan-out events go over PostgreSQL the same way.
    let mut progress = two.subscribe::<Progress>();
    one.send(&Progress { text: large('c') }).await.unwrap();
    assert_eq!(message(next(&mut progress).await).text, large('c'));
    assert_eq!(stored(&db).await.len(), 3);
    drop(client);
    one.stop();
    two.stop();
    db.close().await;
}

#[tokio::test]
async fn a_reference_read_too_late_resets_its_topic_alone_and_old_ones_are_swept() {
    let db = database().await;
    let client = db.pool.get().await.unwrap();
    client
        .batch_execute("INSERT INTO bus_payloads (created_at, frame) VALUES (now() - interval '1 day', 'old'), (now(), 'recent')")
        .await
        .unwrap();
    // A bus sweeps when it connects.
    let bus = Bus::start(db.target.clone()).await.unwrap();
    assert_eq!(stored(&db).await, ["recent"]);
    let schemas = schema_cache(&bus);
    let mut big = bus.subscribe::<Big>();
    // A reference whose row is gone (swept while this instance lagged), then a schema event.
    client.batch_execute(r#"SELECT pg_notify('hearth_bus', '{"ref":-1,"topic":"test.big"}')"#).await.unwrap();
    bus::publish(&client, &SchemaChanged { app: 1 }).await.unwrap();
    assert!(matches!(next(&mut big).await, Event::Reset), "the lost event's topic starts over");
    eventually("the schema event reaches the cache", || schemas.get(&1).is_none()).await;
    assert_eq!(schemas.len(), 2, "the lost event of another topic reset the schema cache");
    drop(client);
    bus.stop();
    db.close().await;
}

#[tokio::test]
async fn a_lost_connection_resets_every_cache_then_events_flow_again() {
    let db = database().await;
    let bus = Bus::start(db.target.clone()).await.unwrap();
    let schemas = schema_cache(&bus);
    let mut flood = bus.subscribe::<Flood>();
    let client = db.pool.get().await.unwrap();
    let ended: i64 = client
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'hearth-bus' AND datname = current_database()",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(ended, 1, "one listening connection");
    eventually("the schema cache is dropped", || schemas.is_empty()).await;
    assert!(matches!(next(&mut flood).await, Event::Reset), "reset when the connection was lost");
    assert!(matches!(next(&mut flood).await, Event::Reset), "reset again once listening again");
    bus::publish(&client, &Flood { n: 7 }).await.unwrap();
    assert_eq!(message(next(&mut flood).await).n, 7);
    drop(client);
    bus.stop();
    db.close().await;
}

#[tokio::test]
async fn fan_out_topics_travel_over_redis_whose_loss_resets_them_alone() {
    let redis = Redis::start();
    let db = database().await;
    let over_redis = async || {
        let fan_out = RedisTransport::connect(&redis.url).await.unwrap();
        Bus::start_with(db.target.clone(), Some(Arc::new(fan_out))).await.unwrap()
    };
    let (one, two) = (over_redis().await, over_redis().await);
    let schemas = schema_cache(&two);
    let (mut progress, mut own) = (two.subscribe::<Progress>(), one.subscribe::<Progress>());
    // Every instance, the sender too, gets a fan-out event; large ones too, with nothing stored
    // in PostgreSQL.
    let large = "p".repeat(100_000);
    one.send(&Progress { text: large.clone() }).await.unwrap();
    assert_eq!(message(next(&mut progress).await).text, large);
    assert_eq!(message(next(&mut own).await).text, large);
    two.send(&Progress { text: "from two".into() }).await.unwrap();
    assert_eq!(message(next(&mut own).await).text, "from two");
    assert_eq!(message(next(&mut progress).await).text, "from two");
    assert!(stored(&db).await.is_empty(), "the fan-out event went over PostgreSQL");
    // Committed topics still travel over PostgreSQL.
    let client = db.pool.get().await.unwrap();
    bus::publish(&client, &SchemaChanged { app: 1 }).await.unwrap();
    eventually("the schema event reaches the cache", || schemas.get(&1).is_none()).await;
    // Redis drops the subscribed connections: the fan-out topics start over, then flow again;
    // the caches fed over PostgreSQL keep what they hold.
    let mut admin = redis::Client::open(redis.url.as_str()).unwrap().get_multiplexed_async_connection().await.unwrap();
    let killed: i64 = redis::cmd("CLIENT").arg("KILL").arg("TYPE").arg("pubsub").query_async(&mut admin).await.unwrap();
    assert_eq!(killed, 2);
    assert!(matches!(next(&mut progress).await, Event::Reset), "reset when the connection was lost");
    assert!(matches!(next(&mut progress).await, Event::Reset), "reset again once subscribed again");
    one.send(&Progress { text: "again".into() }).await.unwrap();
    assert_eq!(message(next(&mut progress).await).text, "again");
    assert_eq!(schemas.len(), 2, "the loss of Redis reset a cache fed over PostgreSQL");
    drop(client);
    one.stop();
    two.stop();
    db.close().await;
}
