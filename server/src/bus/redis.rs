//! The bus over Redis pub/sub, for the fan-out topics when Hearth has Redis: every frame is
//! published on the channel `hearth:bus`, to which each instance keeps one subscribed
//! connection. Redis takes frames of any size (up to 512 MB), and spreads them without touching
//! the database. Committed topics never travel here (see [`super`]).

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use tokio::task::AbortHandle;

use super::{BusError, Inbox, Transport};

/// The Redis channel carrying every fan-out topic.
const CHANNEL: &str = "hearth:bus";

pub struct RedisTransport {
    client: redis::Client,
    /// Publishes; reconnects by itself.
    publisher: redis::aio::ConnectionManager,
}

impl RedisTransport {
    /// Connects the publishing side (the subscribing one connects in [`Transport::receive`]).
    pub async fn connect(url: &str) -> Result<RedisTransport, BusError> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(2)));
        let publisher = redis::aio::ConnectionManager::new_with_config(client.clone(), config).await?;
        Ok(RedisTransport { client, publisher })
    }
}

/// A connection subscribed to [`CHANNEL`], as a stream of its messages (ending when the
/// connection does).
async fn subscribe(client: &redis::Client) -> Result<redis::aio::PubSubStream, redis::RedisError> {
    let mut pubsub = client.get_async_pubsub().await?;
    pubsub.subscribe(CHANNEL).await?;
    Ok(pubsub.into_on_message())
}

impl Transport for RedisTransport {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn receive(&self, inbox: Inbox) -> BoxFuture<'_, Result<AbortHandle, BusError>> {
        Box::pin(async move {
            let client = self.client.clone();
            let mut messages = subscribe(&client).await?;
            let task = tokio::spawn(async move {
                loop {
                    while let Some(message) = messages.next().await {
                        match message.get_payload::<String>() {
                            Ok(frame) => inbox.deliver(&frame),
                            Err(err) => tracing::warn!(error = %err, "ignoring a malformed bus frame from Redis"),
                        }
                    }
                    messages = inbox.reconnect("redis", || subscribe(&client)).await;
                }
            });
            Ok(task.abort_handle())
        })
    }

    fn send<'a>(&'a self, _topic: &'static str, frame: String) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            let mut publisher = self.publisher.clone();
            redis::cmd("PUBLISH").arg(CHANNEL).arg(frame).query_async::<i64>(&mut publisher).await?;
            Ok(())
        })
    }
}
