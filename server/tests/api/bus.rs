//! The bus between instances, over a real PostgreSQL: a flood of one topic leaves the caches fed
//! by the others alone, and a lost connection resets every cache of what it carried.

use std::sync::Arc;
use std::time::{Duration, Instant};

use hearth::bus::{self, Bus, Committed, Event, Subscription, Topic, topics::SchemaChanged};
use hearth::cache::BusCache;
use hearth::db::Db;
use serde::{Deserialize, Serialize};

use crate::helpers::{fresh_database, test_config};

/// A committed topic, sent in floods.
#[derive(Debug, Serialize, Deserialize)]
struct Flood {
    n: u32,
}

impl Topic for Flood {
    const NAME: &'static str = "test.flood";
    type Carrier = Committed;
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

#[tokio::test]
async fn a_flood_on_one_topic_leaves_the_caches_fed_by_another_alone() {
    let db = database().await;
    let bus = Bus::start(db.pg_config.clone()).await.unwrap();
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
async fn a_lost_connection_resets_every_cache_then_events_flow_again() {
    let db = database().await;
    let bus = Bus::start(db.pg_config.clone()).await.unwrap();
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
