//! The bus between instances: small JSON events by topic, used for cache invalidation now and
//! LiveQuery fan-out later.
//!
//! This backend is PostgreSQL LISTEN/NOTIFY. Events are published with `pg_notify` inside the
//! transaction that makes the change, so they are delivered exactly when (and only if) it commits,
//! also from CLI commands run while servers are up. A listener that loses its connection
//! reconnects and announces [`Event::Reset`], after which every cache drops everything: a missed
//! event can never leave a stale entry behind.

use std::time::Duration;

use deadpool_postgres::GenericClient;
use futures_util::StreamExt;
use tokio::sync::broadcast;
use tokio_postgres::{AsyncMessage, NoTls};

use crate::error::DbError;

/// The PostgreSQL channel carrying every topic.
const CHANNEL: &str = "hearth_bus";

/// Topics. A closed list so that subscribers can match exhaustively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Topic {
    /// An app was created, changed or deleted; payload `{"applicationId": ...}`.
    Apps,
    /// An app's class schemas changed; payload `{"app": <internal app id>}`.
    Schema,
    /// A session ended (logout, revocation, deleted user); payload `{"app": id, "hash": token hash}`.
    Sessions,
    /// An app's roles changed (a `_Role` written or deleted); payload `{"app": id}`.
    Roles,
    /// An app's active function deployment changed; payload `{"app": id}`.
    Functions,
    /// Work was queued (`crate::queue`); payload `{"kind": ...}`.
    Queue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Message {
        topic: Topic,
        payload: serde_json::Value,
    },
    /// Events may have been missed: drop every cached entry.
    Reset,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    topic: Topic,
    payload: serde_json::Value,
}

/// Publishes an event; delivered to every instance when the surrounding transaction commits.
pub async fn publish(client: &impl GenericClient, topic: Topic, payload: &serde_json::Value) -> Result<(), DbError> {
    let text = serde_json::to_string(&Wire { topic, payload: payload.clone() }).expect("serialisable");
    client.execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &text]).await?;
    Ok(())
}

/// The receiving side: one LISTEN connection per instance, fanned out in process.
#[derive(Clone)]
pub struct Bus {
    sender: broadcast::Sender<Event>,
    /// The listening task, stopped by [`Bus::stop`] before the database goes away.
    task: std::sync::Arc<std::sync::Mutex<Option<tokio::task::AbortHandle>>>,
}

impl Bus {
    /// Starts listening in the background. Returns once the first LISTEN is in place, so that no
    /// event committed after this returns is missed.
    pub async fn start(pg_config: tokio_postgres::Config) -> Result<Bus, tokio_postgres::Error> {
        let (sender, _) = broadcast::channel(1024);
        let bus = Bus { sender, task: Default::default() };
        let first = listen(&pg_config, bus.sender.clone()).await?;
        let sender = bus.sender.clone();
        let first_abort = first.abort_handle();
        let task = tokio::spawn(async move {
            // Aborting the supervisor must end the current listening task too.
            struct AbortOnDrop(tokio::task::AbortHandle);
            impl Drop for AbortOnDrop {
                fn drop(&mut self) {
                    self.0.abort();
                }
            }
            let mut _current = AbortOnDrop(first_abort);
            let mut session = first;
            loop {
                let _ = session.await;
                tracing::warn!("bus connection lost; reconnecting");
                let _ = sender.send(Event::Reset);
                session = loop {
                    match listen(&pg_config, sender.clone()).await {
                        Ok(s) => {
                            _current = AbortOnDrop(s.abort_handle());
                            break s;
                        }
                        Err(err) => {
                            tracing::warn!(error = %err, "bus reconnect failed");
                            // Backoff between reconnection attempts, not synchronisation.
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                    }
                };
                let _ = sender.send(Event::Reset);
            }
        });
        *bus.task.lock().expect("not poisoned") = Some(task.abort_handle());
        Ok(bus)
    }

    /// Stops listening (at shutdown).
    pub fn stop(&self) {
        if let Some(task) = self.task.lock().expect("not poisoned").take() {
            task.abort();
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}

/// Connects and LISTENs; the returned task ends when the connection does.
async fn listen(
    pg_config: &tokio_postgres::Config,
    sender: broadcast::Sender<Event>,
) -> Result<tokio::task::JoinHandle<()>, tokio_postgres::Error> {
    let (client, mut connection) = pg_config.connect(NoTls).await?;
    let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<tokio_postgres::Client>();
    let task = tokio::spawn(async move {
        // Keeps the client alive as long as the connection is read.
        let mut _client = None;
        let mut ready = Some(ready_rx);
        loop {
            tokio::select! {
                message = messages.next() => match message {
                    Some(Ok(AsyncMessage::Notification(n))) => match serde_json::from_str::<Wire>(n.payload()) {
                        Ok(wire) => { let _ = sender.send(Event::Message { topic: wire.topic, payload: wire.payload }); }
                        Err(err) => tracing::warn!(error = %err, "ignoring a malformed bus event"),
                    },
                    Some(Ok(_)) => {}
                    Some(Err(err)) => { tracing::warn!(error = %err, "bus connection error"); break; }
                    None => break,
                },
                Ok(client) = async { ready.as_mut().expect("polled only while pending").await }, if ready.is_some() => {
                    _client = Some(client);
                    ready = None;
                }
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    let _ = ready_tx.send(client);
    Ok(task)
}
