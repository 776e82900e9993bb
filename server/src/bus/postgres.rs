//! The bus over PostgreSQL: frames are notified on the channel `hearth_bus`, and each instance
//! keeps one connection that LISTENs to it (named `hearth-bus` in `pg_stat_activity`). Without
//! Redis, fan-out topics (LiveQuery events) travel on a channel and a listening connection of
//! their own (`hearth_fanout`, `hearth-bus-fanout`), so that a burst of them never delays the
//! committed topics' cache invalidations behind it.
//!
//! PostgreSQL refuses a `NOTIFY` payload of 8,000 bytes or more. A larger frame is carried by
//! reference rather than refused, since events that carry objects (LiveQuery's) outgrow the limit
//! on ordinary data: the statement that notifies also stores the frame in `bus_payloads` and
//! notifies `{"topic": ..., "ref": <its id>}` instead, in the same transaction, so the row exists
//! exactly when the notification is delivered. Each instance with subscribers of the topic reads
//! the row back before it delivers the frame, in order with the frames around it. Rows older than
//! [`KEEP`] are deleted by the instances, when they connect and then at most every [`SWEEP_EVERY`]
//! while references arrive; an instance that reads a reference too late (the row is gone) resets
//! that topic's subscribers. The table is unlogged: it is not written to the write-ahead log, and a
//! database crash empties it, after which every listener reconnects and resets anyway.

use std::time::{Duration, Instant};

use deadpool_postgres::GenericClient;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::task::AbortHandle;
use tokio_postgres::AsyncMessage;

use super::{BusError, Inbox, Transport};

/// The PostgreSQL channel carrying the committed topics.
const CHANNEL: &str = "hearth_bus";

/// The PostgreSQL channel carrying the fan-out topics when there is no Redis.
const FAN_OUT_CHANNEL: &str = "hearth_fanout";

/// The largest frame notified as it is (PostgreSQL needs the payload shorter than 8,000 bytes).
pub const INLINE_LIMIT: usize = 7_999;

/// How long a frame carried by reference is kept.
pub const KEEP: Duration = Duration::from_secs(600);

/// How often an instance reading references sweeps the old ones.
pub const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Notifies a frame in the transaction of `client` (by reference beyond [`INLINE_LIMIT`]).
pub(super) async fn notify(client: &impl GenericClient, topic: &str, frame: &str) -> Result<(), tokio_postgres::Error> {
    notify_on(client, CHANNEL, topic, frame).await
}

/// [`notify`] on a given channel.
async fn notify_on(client: &impl GenericClient, channel: &str, topic: &str, frame: &str) -> Result<(), tokio_postgres::Error> {
    if frame.len() <= INLINE_LIMIT {
        let statement = client.prepare_cached("SELECT pg_notify($1, $2)").await?;
        client.execute(&statement, &[&channel, &frame]).await?;
    } else {
        let statement = client
            .prepare_cached(
                r#"WITH stored AS (INSERT INTO bus_payloads (frame) VALUES ($2) RETURNING id)
                   SELECT pg_notify($1, '{"ref":' || id || ',"topic":' || to_json($3::text) || '}') FROM stored"#,
            )
            .await?;
        client.execute(&statement, &[&channel, &frame, &topic]).await?;
    }
    Ok(())
}

/// How a reference starts: `{"ref":<id>,"topic":<name>}`.
const REFERENCE_START: &str = "{\"ref\":";

/// A notification that names its frame's row.
#[derive(serde::Deserialize)]
struct Reference {
    topic: String,
    #[serde(rename = "ref")]
    id: i64,
}

/// PostgreSQL LISTEN/NOTIFY as a [`Transport`].
pub struct PgTransport {
    /// For the listening connection.
    target: crate::db::Target,
    /// Connections for frames sent outside a transaction (fan-out topics without Redis).
    senders: deadpool_postgres::Pool,
    /// The channel it listens to and sends on.
    channel: &'static str,
}

impl PgTransport {
    /// The committed topics' transport.
    pub fn new(target: crate::db::Target) -> PgTransport {
        PgTransport::on(target, CHANNEL, "hearth-bus")
    }

    /// The fan-out topics' transport when there is no Redis: its own channel and connection.
    pub fn fan_out(target: crate::db::Target) -> PgTransport {
        PgTransport::on(target, FAN_OUT_CHANNEL, "hearth-bus-fanout")
    }

    fn on(target: crate::db::Target, channel: &'static str, name: &str) -> PgTransport {
        let timeouts = crate::db::PoolTimeouts {
            statement: Duration::from_secs(10),
            idle_transaction: Duration::from_secs(10),
            wait: Duration::from_secs(5),
            acquire: Duration::from_secs(5),
        };
        let senders = crate::db::pool(&target, 2, timeouts);
        let mut target = target;
        target.config.application_name(name);
        PgTransport { target, senders, channel }
    }
}

impl Transport for PgTransport {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn receive(&self, inbox: Inbox) -> BoxFuture<'_, Result<AbortHandle, BusError>> {
        Box::pin(async move {
            let target = self.target.clone();
            let channel = self.channel;
            let first = listen(&target, channel, inbox.clone()).await?;
            let first_abort = first.abort_handle();
            let task = tokio::spawn(async move {
                // Aborting the supervisor must end the current listening task too.
                let mut _current = AbortOnDrop(first_abort);
                let mut session = first;
                loop {
                    let _ = session.await;
                    session = inbox.reconnect("postgres", || listen(&target, channel, inbox.clone())).await;
                    _current = AbortOnDrop(session.abort_handle());
                }
            });
            Ok(task.abort_handle())
        })
    }

    fn send<'a>(&'a self, topic: &'static str, frame: String) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            let client = self.senders.get().await?;
            notify_on(&client, self.channel, topic, &frame).await?;
            Ok(())
        })
    }
}

struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Connects and LISTENs; the returned task delivers what arrives and ends when the connection
/// does.
async fn listen(target: &crate::db::Target, channel: &str, inbox: Inbox) -> Result<tokio::task::JoinHandle<()>, tokio_postgres::Error> {
    let (client, mut connection) = target.config.connect(target.tls.clone()).await?;
    // The connection is read by a task of its own, so that it keeps being read while a
    // reference is fetched; notifications wait in order in the channel meanwhile.
    let (notifications, mut received) = tokio::sync::mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if notifications.send(n).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::warn!(error = %err, "bus connection error");
                    return;
                }
            }
        }
    });
    let reader = AbortOnDrop(reader.abort_handle());
    client.batch_execute(&format!("LISTEN {channel}")).await?;
    if let Err(err) = sweep(&client).await {
        tracing::warn!(error = %err, "cannot sweep old bus events");
    }
    Ok(tokio::spawn(async move {
        let _reader = reader;
        let mut swept = Instant::now();
        while let Some(notification) = received.recv().await {
            let text = notification.payload();
            // Frames start with their topic; references (written by `notify`) with their id.
            if !text.starts_with(REFERENCE_START) {
                inbox.deliver(text);
                continue;
            }
            let Ok(reference) = serde_json::from_str::<Reference>(text) else {
                tracing::warn!("ignoring a malformed bus reference");
                continue;
            };
            // Frames of topics nobody here follows are not read; old rows are swept all the same.
            if inbox.wants(&reference.topic) {
                match client.query_opt("SELECT frame FROM bus_payloads WHERE id = $1", &[&reference.id]).await {
                    Ok(Some(row)) => inbox.deliver(row.get(0)),
                    Ok(None) => {
                        tracing::warn!(topic = reference.topic, "a large bus event was swept before this instance read it");
                        inbox.reset_topic(&reference.topic);
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, "cannot read a large bus event");
                        // Whatever the cause, this event is lost: its topic starts over, and a
                        // lost connection ends this task below.
                        inbox.reset_topic(&reference.topic);
                        if client.is_closed() {
                            return;
                        }
                    }
                }
            }
            if swept.elapsed() >= SWEEP_EVERY {
                swept = Instant::now();
                if let Err(err) = sweep(&client).await {
                    tracing::warn!(error = %err, "cannot sweep old bus events");
                }
            }
        }
    }))
}

/// Deletes the frames carried by reference more than [`KEEP`] ago.
async fn sweep(client: &tokio_postgres::Client) -> Result<(), tokio_postgres::Error> {
    client.execute("DELETE FROM bus_payloads WHERE created_at < now() - make_interval(secs => $1)", &[&KEEP.as_secs_f64()]).await?;
    Ok(())
}
