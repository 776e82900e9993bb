//! The bus between instances: typed events by topic, for cache invalidation and queue wake-ups
//! now, LiveQuery fan-out and push progress later.
//!
//! - **A topic is a Rust type** ([`Topic`]): its name on the wire, how it travels, and its
//!   payload (the type itself, through serde). Subscribers ask for one topic
//!   ([`Bus::subscribe`]) and get values of its type, decoded once per event on each instance.
//!   [`topics`] lists the topics of the foundations; a higher module may declare its own.
//! - **Committed topics** ([`Committed`]: cache invalidation, queue wake-ups) are
//!   published with [`publish`] inside the transaction that makes the change, through
//!   PostgreSQL's `NOTIFY`: every instance hears of it when, and only if, the transaction
//!   commits, also from CLI commands. They stay on PostgreSQL whatever else is configured: an
//!   event sent anywhere else, after the commit, is lost if the process stops between the two
//!   (a cache then stays stale), and one sent before it may announce a change that rolls back,
//!   or arrive before the change is visible, so that an instance reloads and keeps the old
//!   version. Their volume is small (admin changes, schema changes, logouts).
//! - **Fan-out topics** ([`FanOut`]: LiveQuery events, push progress) are sent with
//!   [`Bus::send`] after the commit, over the fan-out transport: Redis pub/sub when Hearth has
//!   Redis ([`redis::RedisTransport`]), else PostgreSQL as well. Their volume is high, and every
//!   committing transaction that notifies takes one database-wide lock in PostgreSQL, so they
//!   are kept off it when they can be; a lost one costs a client one event, never a stale cache.
//! - **Each topic has its own in-process channel**, bounded by [`Topic::CAPACITY`], and each
//!   subscriber its own place in it. A subscriber that falls behind gets [`Event::Reset`] (it
//!   missed events) and drops what it derived from that topic alone: a flood of one topic
//!   never reaches the caches fed by another. A transport that lost its connection announces
//!   [`Event::Reset`] on every topic it carries, once it reconnects.
//! - **A transport** ([`Transport`]) carries frames (`{"topic": ..., "payload": ...}`, the
//!   format of every version so far, so that instances of two versions share the bus during an
//!   upgrade) between instances: [`postgres::PgTransport`] and [`redis::RedisTransport`].
//!   PostgreSQL refuses `NOTIFY` payloads of 8,000 bytes or more: a larger frame is stored in
//!   `bus_payloads` by the same statement and its id is notified; each instance reads it back,
//!   and old rows are swept ([`postgres`]).

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, RwLock};

use deadpool_postgres::GenericClient;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::broadcast;
use tokio::task::AbortHandle;

use crate::error::DbError;

pub mod postgres;
pub mod redis;
pub mod topics;

/// How a topic's events travel between instances: [`Committed`] or [`FanOut`].
pub trait Carrier: Send + Sync + 'static {
    const KIND: CarrierKind;
}

/// Published in the database transaction that makes the change ([`publish`]), over PostgreSQL:
/// delivered when, and only if, it commits.
pub struct Committed;

/// Sent at once, outside any transaction ([`Bus::send`]), over the fan-out transport (Redis when
/// configured, else PostgreSQL).
pub struct FanOut;

impl Carrier for Committed {
    const KIND: CarrierKind = CarrierKind::Committed;
}

impl Carrier for FanOut {
    const KIND: CarrierKind = CarrierKind::FanOut;
}

/// A [`Carrier`] as a value: which topics a transport's reset concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CarrierKind {
    Committed,
    FanOut,
}

/// A topic: its payload type, with its name on the wire and how it travels.
pub trait Topic: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The name on the wire: unique, and never changed once shipped (instances of two versions
    /// share the bus during an upgrade).
    const NAME: &'static str;
    type Carrier: Carrier;
    /// How many events a subscriber may fall behind before it misses some and gets
    /// [`Event::Reset`].
    const CAPACITY: usize = 1024;
}

/// What a subscriber receives.
pub enum Event<T> {
    Message(Arc<T>),
    /// Events of this topic may have been missed (the transport reconnected, this subscriber
    /// fell behind, or an event could not be read): drop whatever was derived from them.
    Reset,
}

impl<T> Clone for Event<T> {
    fn clone(&self) -> Self {
        match self {
            Event::Message(message) => Event::Message(message.clone()),
            Event::Reset => Event::Reset,
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Message(message) => f.debug_tuple("Message").field(message).finish(),
            Event::Reset => f.write_str("Reset"),
        }
    }
}

/// One subscriber's events of one topic.
pub struct Subscription<T: Topic> {
    receiver: broadcast::Receiver<Event<T>>,
}

impl<T: Topic> Subscription<T> {
    /// The next event, or `None` once the bus is gone. A subscriber that fell more than
    /// [`Topic::CAPACITY`] events behind gets [`Event::Reset`], then the events that followed.
    pub async fn recv(&mut self) -> Option<Event<T>> {
        match self.receiver.recv().await {
            Ok(event) => Some(event),
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::debug!(topic = T::NAME, missed, "a bus subscriber fell behind: it starts over");
                Some(Event::Reset)
            }
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("bus over PostgreSQL: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    #[error("bus over PostgreSQL: {0}")]
    Pool(#[from] deadpool_postgres::PoolError),
    #[error("bus over Redis: {0}")]
    Redis(#[from] ::redis::RedisError),
}

/// What carries frames between instances. An implementation delivers every frame sent by any
/// instance (this one included) to every instance's [`Inbox`], and gets its connection back
/// through [`Inbox::reconnect`], which tells its topics' subscribers that events were lost.
pub trait Transport: Send + Sync + 'static {
    /// Its name, for logs.
    fn name(&self) -> &'static str;
    /// Starts receiving into `inbox`, reconnecting when the connection is lost. Resolves once
    /// receiving, so that no frame sent after it resolved is missed; the task it starts runs
    /// until aborted through the handle.
    fn receive(&self, inbox: Inbox) -> BoxFuture<'_, Result<AbortHandle, BusError>>;
    /// Sends one frame of the topic named `topic` now, outside any transaction.
    fn send<'a>(&'a self, topic: &'static str, frame: String) -> BoxFuture<'a, Result<(), BusError>>;
}

/// Publishes an event of a committed topic in the transaction of `client`: every instance
/// receives it when, and only if, that transaction commits (at once with an autocommit client).
pub async fn publish<T: Topic<Carrier = Committed>>(client: &impl GenericClient, event: &T) -> Result<(), DbError> {
    postgres::notify(client, T::NAME, &frame(event)).await?;
    Ok(())
}

/// The text that travels: `{"topic": ..., "payload": ...}`.
fn frame<T: Topic>(event: &T) -> String {
    #[derive(Serialize)]
    struct Frame<'a, T> {
        topic: &'static str,
        payload: &'a T,
    }
    serde_json::to_string(&Frame { topic: T::NAME, payload: event }).expect("bus topics serialise to JSON")
}

/// The in-process side: one channel per topic that has subscribers.
#[derive(Default)]
struct Hub {
    topics: RwLock<HashMap<&'static str, Arc<dyn Channel>>>,
}

trait Channel: Send + Sync {
    /// Whether anyone here listens (else its events need not be read at all).
    fn subscribed(&self) -> bool;
    fn deliver(&self, payload: &serde_json::Value);
    fn reset(&self);
    fn carrier(&self) -> CarrierKind;
    fn as_any(&self) -> &dyn Any;
}

struct TopicChannel<T: Topic>(broadcast::Sender<Event<T>>);

impl<T: Topic> Channel for TopicChannel<T> {
    fn subscribed(&self) -> bool {
        self.0.receiver_count() > 0
    }

    fn deliver(&self, payload: &serde_json::Value) {
        if !self.subscribed() {
            return;
        }
        let event = match T::deserialize(payload) {
            Ok(message) => Event::Message(Arc::new(message)),
            Err(err) => {
                // It may have been an invalidation: its subscribers start over.
                tracing::warn!(topic = T::NAME, error = %err, "unreadable bus event");
                Event::Reset
            }
        };
        let _ = self.0.send(event);
    }

    fn reset(&self) {
        let _ = self.0.send(Event::Reset);
    }

    fn carrier(&self) -> CarrierKind {
        <T::Carrier as Carrier>::KIND
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Hub {
    fn subscribe<T: Topic>(&self) -> Subscription<T> {
        let channel = {
            let known = self.topics.read().expect("not poisoned").get(T::NAME).cloned();
            match known {
                Some(channel) => channel,
                None => self
                    .topics
                    .write()
                    .expect("not poisoned")
                    .entry(T::NAME)
                    .or_insert_with(|| Arc::new(TopicChannel::<T>(broadcast::channel(T::CAPACITY).0)))
                    .clone(),
            }
        };
        let Some(channel) = channel.as_any().downcast_ref::<TopicChannel<T>>() else {
            panic!("two bus topics are named {:?}", T::NAME);
        };
        Subscription { receiver: channel.0.subscribe() }
    }

    fn channel(&self, topic: &str) -> Option<Arc<dyn Channel>> {
        self.topics.read().expect("not poisoned").get(topic).cloned()
    }
}

/// Where a transport hands what it receives.
#[derive(Clone)]
pub struct Inbox {
    hub: Arc<Hub>,
    /// The topics this transport carries, reset when it reconnects.
    carries: &'static [CarrierKind],
}

impl Inbox {
    /// One frame, as sent. Frames of topics nobody here subscribes to are dropped unread.
    pub fn deliver(&self, frame: &str) {
        #[derive(serde::Deserialize)]
        struct Frame<'a> {
            #[serde(borrow)]
            topic: std::borrow::Cow<'a, str>,
            payload: serde_json::Value,
        }
        match serde_json::from_str::<Frame>(frame) {
            Ok(frame) => {
                if let Some(channel) = self.hub.channel(&frame.topic) {
                    channel.deliver(&frame.payload);
                }
            }
            Err(err) => tracing::warn!(error = %err, "ignoring a malformed bus frame"),
        }
    }

    /// Events may have been missed (the connection was lost): every topic this transport
    /// carries starts over.
    pub fn reset(&self) {
        let topics = self.hub.topics.read().expect("not poisoned");
        for channel in topics.values().filter(|c| self.carries.contains(&c.carrier())) {
            channel.reset();
        }
    }

    /// Whether this instance has subscribers of `topic`: a transport may skip fetching the
    /// frames of other topics (those it carries by reference).
    pub fn wants(&self, topic: &str) -> bool {
        self.hub.channel(topic).is_some_and(|channel| channel.subscribed())
    }

    /// An event of `topic` was lost: its subscribers start over.
    pub fn reset_topic(&self, topic: &str) {
        if let Some(channel) = self.hub.channel(topic) {
            channel.reset();
        }
    }

    /// What a transport does once its connection is lost: resets its topics, calls `connect`
    /// until it succeeds (a second apart), and resets them again, since events sent meanwhile are
    /// lost and subscribers may have loaded, before they were sent, what those events replaced.
    pub async fn reconnect<C, E: fmt::Display, F: Future<Output = Result<C, E>>>(
        &self,
        transport: &'static str,
        mut connect: impl FnMut() -> F,
    ) -> C {
        tracing::warn!(transport, "bus connection lost; reconnecting");
        self.reset();
        let connected = loop {
            match connect().await {
                Ok(connected) => break connected,
                Err(err) => {
                    tracing::warn!(transport, error = %err, "bus reconnect failed");
                    // Backoff between attempts, not synchronisation.
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                }
            }
        };
        self.reset();
        connected
    }
}

/// The instance's bus: subscribe to topics, send fan-out events.
#[derive(Clone)]
pub struct Bus {
    hub: Arc<Hub>,
    fan_out: Arc<dyn Transport>,
    /// The transports' receiving tasks, stopped by [`Bus::stop`] before the database goes away.
    tasks: Arc<Mutex<Vec<AbortHandle>>>,
}

impl Bus {
    /// Every topic over PostgreSQL. Returns once listening, so that no event committed after
    /// this returns is missed.
    pub async fn start(target: crate::db::Target) -> Result<Bus, BusError> {
        Bus::start_with(target, None).await
    }

    /// Committed topics over PostgreSQL, fan-out topics over `fan_out` when given (else over
    /// PostgreSQL as well, on a channel and a listening connection of their own, so that they
    /// never delay the committed topics).
    pub async fn start_with(target: crate::db::Target, fan_out: Option<Arc<dyn Transport>>) -> Result<Bus, BusError> {
        let fan_out = fan_out.unwrap_or_else(|| Arc::new(postgres::PgTransport::fan_out(target.clone())));
        let committed: Arc<dyn Transport> = Arc::new(postgres::PgTransport::new(target));
        Bus::over(committed, Some(fan_out)).await
    }

    async fn over(committed: Arc<dyn Transport>, fan_out: Option<Arc<dyn Transport>>) -> Result<Bus, BusError> {
        let hub = Arc::new(Hub::default());
        let mut tasks = Vec::new();
        let fan_out = match fan_out {
            Some(fan_out) => {
                tasks.push(committed.receive(Inbox { hub: hub.clone(), carries: &[CarrierKind::Committed] }).await?);
                match fan_out.receive(Inbox { hub: hub.clone(), carries: &[CarrierKind::FanOut] }).await {
                    Ok(task) => tasks.push(task),
                    Err(err) => {
                        tasks.iter().for_each(AbortHandle::abort);
                        return Err(err);
                    }
                }
                tracing::info!(committed = committed.name(), fan_out = fan_out.name(), "bus started");
                fan_out
            }
            None => {
                tasks.push(committed.receive(Inbox { hub: hub.clone(), carries: &[CarrierKind::Committed, CarrierKind::FanOut] }).await?);
                committed
            }
        };
        Ok(Bus { hub, fan_out, tasks: Arc::new(Mutex::new(tasks)) })
    }

    /// Stops receiving (at shutdown).
    pub fn stop(&self) {
        for task in self.tasks.lock().expect("not poisoned").drain(..) {
            task.abort();
        }
    }

    /// This instance's events of one topic, from now on.
    pub fn subscribe<T: Topic>(&self) -> Subscription<T> {
        self.hub.subscribe()
    }

    /// Sends an event of a fan-out topic to every instance (this one included) now.
    pub async fn send<T: Topic<Carrier = FanOut>>(&self, event: &T) -> Result<(), BusError> {
        self.fan_out.send(T::NAME, frame(event)).await
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A transport within one process: what is sent is received at once.
    struct Loopback {
        inbox: Mutex<Option<Inbox>>,
    }

    impl Transport for Loopback {
        fn name(&self) -> &'static str {
            "loopback"
        }

        fn receive(&self, inbox: Inbox) -> BoxFuture<'_, Result<AbortHandle, BusError>> {
            *self.inbox.lock().unwrap() = Some(inbox);
            Box::pin(async { Ok(tokio::spawn(async {}).abort_handle()) })
        }

        fn send<'a>(&'a self, _topic: &'static str, frame: String) -> BoxFuture<'a, Result<(), BusError>> {
            self.inbox.lock().unwrap().as_ref().expect("receiving").deliver(&frame);
            Box::pin(async { Ok(()) })
        }
    }

    impl Loopback {
        fn inbox(&self) -> Inbox {
            self.inbox.lock().unwrap().clone().expect("receiving")
        }
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub(crate) struct Flood(pub u32);
    impl Topic for Flood {
        const NAME: &'static str = "test.flood";
        type Carrier = FanOut;
        const CAPACITY: usize = 16;
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub(crate) struct Quiet {
        pub key: String,
    }
    impl Topic for Quiet {
        const NAME: &'static str = "test.quiet";
        type Carrier = Committed;
    }

    /// A bus over two loopback transports (committed, fan-out) and its test handles.
    pub(crate) async fn test_bus() -> (Bus, Inbox, Inbox) {
        let committed = Arc::new(Loopback { inbox: Mutex::default() });
        let fan_out = Arc::new(Loopback { inbox: Mutex::default() });
        let bus = Bus::over(committed.clone(), Some(fan_out.clone())).await.unwrap();
        (bus, committed.inbox(), fan_out.inbox())
    }

    fn message<T>(event: Option<Event<T>>) -> Arc<T> {
        match event {
            Some(Event::Message(message)) => message,
            other => panic!("expected a message, got {}", if other.is_some() { "Reset" } else { "the end" }),
        }
    }

    #[tokio::test]
    async fn subscribers_get_their_topics_type_and_only_it() {
        let (bus, committed, _) = test_bus().await;
        let mut quiet = bus.subscribe::<Quiet>();
        let mut flood = bus.subscribe::<Flood>();
        bus.send(&Flood(7)).await.unwrap();
        committed.deliver(&frame(&Quiet { key: "k".into() }));
        assert_eq!(*message(flood.recv().await), Flood(7));
        assert_eq!(*message(quiet.recv().await), Quiet { key: "k".into() });
        assert!(quiet.receiver.is_empty() && flood.receiver.is_empty());
    }

    #[tokio::test]
    async fn a_lagging_subscriber_resets_itself_and_nobody_else() {
        let (bus, committed, _) = test_bus().await;
        let mut quiet = bus.subscribe::<Quiet>();
        let mut slow = bus.subscribe::<Flood>();
        let mut other = bus.subscribe::<Flood>();
        // Ten times the capacity, before any subscriber runs.
        for i in 0..160 {
            bus.send(&Flood(i)).await.unwrap();
        }
        committed.deliver(&frame(&Quiet { key: "after".into() }));
        // The quiet topic's subscriber sees its one event, no reset.
        assert_eq!(message(quiet.recv().await).key, "after");
        assert!(quiet.receiver.is_empty());
        // Both flood subscribers fell behind: each starts over, then reads the last events.
        assert!(matches!(slow.recv().await, Some(Event::Reset)));
        assert_eq!(*message(slow.recv().await), Flood(144));
        assert!(matches!(other.recv().await, Some(Event::Reset)));
    }

    #[tokio::test]
    async fn a_reconnect_resets_the_topics_of_its_transport() {
        let (bus, committed, fan_out) = test_bus().await;
        let mut quiet = bus.subscribe::<Quiet>();
        let mut flood = bus.subscribe::<Flood>();
        fan_out.reset();
        assert!(matches!(flood.recv().await, Some(Event::Reset)));
        assert!(quiet.receiver.is_empty(), "the committed topics did not travel over the fan-out transport");
        committed.reset();
        assert!(matches!(quiet.recv().await, Some(Event::Reset)));
        assert!(flood.receiver.is_empty());
    }

    #[tokio::test]
    async fn unreadable_payloads_reset_their_topic_and_malformed_frames_are_dropped() {
        let (bus, committed, _) = test_bus().await;
        let mut quiet = bus.subscribe::<Quiet>();
        committed.deliver(r#"{"topic":"test.quiet","payload":{"key":12}}"#);
        assert!(matches!(quiet.recv().await, Some(Event::Reset)));
        committed.deliver("not json");
        committed.deliver(r#"{"topic":"test.unknown","payload":1}"#);
        committed.deliver(r#"{"topic":"test.quiet","payload":{"key":"k","added":"later"}}"#);
        assert_eq!(message(quiet.recv().await).key, "k");
    }

    #[tokio::test]
    async fn an_inbox_wants_the_topics_with_subscribers_only() {
        let (bus, committed, _) = test_bus().await;
        assert!(!committed.wants(Quiet::NAME), "no channel yet");
        let quiet = bus.subscribe::<Quiet>();
        assert!(committed.wants(Quiet::NAME) && !committed.wants(Flood::NAME));
        drop(quiet);
        assert!(!committed.wants(Quiet::NAME), "its last subscriber is gone");
    }

    #[test]
    fn frames_keep_the_format_of_earlier_versions() {
        assert_eq!(frame(&Quiet { key: "k".into() }), r#"{"topic":"test.quiet","payload":{"key":"k"}}"#);
        assert_eq!(frame(&topics::AppChanged { application_id: "a1".into() }), r#"{"topic":"apps","payload":{"applicationId":"a1"}}"#);
        assert_eq!(frame(&topics::SessionChanged { app: 3, hash: "h".into() }), r#"{"topic":"sessions","payload":{"app":3,"hash":"h"}}"#);
        assert_eq!(frame(&topics::TaskQueued { kind: "job".into() }), r#"{"topic":"queue","payload":{"kind":"job"}}"#);
    }

    #[tokio::test]
    #[should_panic(expected = "two bus topics are named")]
    async fn two_topics_cannot_share_a_name() {
        #[derive(serde::Serialize, serde::Deserialize)]
        struct Impostor;
        impl Topic for Impostor {
            const NAME: &'static str = "test.quiet";
            type Carrier = Committed;
        }
        let (bus, _, _) = test_bus().await;
        let _quiet = bus.subscribe::<Quiet>();
        let _impostor = bus.subscribe::<Impostor>();
    }
}
