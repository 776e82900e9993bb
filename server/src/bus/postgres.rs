//! The bus over PostgreSQL: frames are notified on the channel `hearth_bus`, and each instance
//! keeps one connection that LISTENs to it (named `hearth-bus` in `pg_stat_activity`).

use std::time::Duration;

use deadpool_postgres::GenericClient;
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::task::AbortHandle;
use tokio_postgres::{AsyncMessage, NoTls};

use super::{BusError, Inbox, Transport};

/// The PostgreSQL channel carrying every topic.
const CHANNEL: &str = "hearth_bus";

/// Notifies a frame in the transaction of `client`.
pub(super) async fn notify(client: &impl GenericClient, frame: &str) -> Result<(), tokio_postgres::Error> {
    let statement = client.prepare_cached("SELECT pg_notify($1, $2)").await?;
    client.execute(&statement, &[&CHANNEL, &frame]).await?;
    Ok(())
}

/// PostgreSQL LISTEN/NOTIFY as a [`Transport`].
pub struct PgTransport {
    /// For the listening connection.
    config: tokio_postgres::Config,
    /// Connections for frames sent outside a transaction (fan-out topics without a transport of their own).
    senders: deadpool_postgres::Pool,
}

impl PgTransport {
    pub fn new(config: tokio_postgres::Config) -> PgTransport {
        let timeouts = crate::db::PoolTimeouts {
            statement: Duration::from_secs(10),
            idle_transaction: Duration::from_secs(10),
            wait: Duration::from_secs(5),
        };
        let senders = crate::db::pool(&config, 2, timeouts);
        let mut config = config;
        config.application_name("hearth-bus");
        PgTransport { config, senders }
    }
}

impl Transport for PgTransport {
    fn name(&self) -> &'static str {
        "postgres"
    }

    fn receive(&self, inbox: Inbox) -> BoxFuture<'_, Result<AbortHandle, BusError>> {
        Box::pin(async move {
            let config = self.config.clone();
            let first = listen(&config, inbox.clone()).await?;
            let first_abort = first.abort_handle();
            let task = tokio::spawn(async move {
                // Aborting the supervisor must end the current listening task too.
                let mut _current = AbortOnDrop(first_abort);
                let mut session = first;
                loop {
                    let _ = session.await;
                    session = inbox.reconnect("postgres", || listen(&config, inbox.clone())).await;
                    _current = AbortOnDrop(session.abort_handle());
                }
            });
            Ok(task.abort_handle())
        })
    }

    fn send<'a>(&'a self, _topic: &'static str, frame: String) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            let client = self.senders.get().await?;
            notify(&client, &frame).await?;
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
async fn listen(config: &tokio_postgres::Config, inbox: Inbox) -> Result<tokio::task::JoinHandle<()>, tokio_postgres::Error> {
    let (client, mut connection) = config.connect(NoTls).await?;
    // The connection is read by a task of its own, which also runs the client's statements.
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
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    Ok(tokio::spawn(async move {
        // The connection lasts as long as its client.
        let (_reader, _client) = (reader, client);
        while let Some(notification) = received.recv().await {
            inbox.deliver(notification.payload());
        }
    }))
}
