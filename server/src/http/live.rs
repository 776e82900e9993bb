//! The LiveQuery WebSocket (`ws://host/parse`, where the Parse SDKs look for it, and `/`): the
//! socket's side of a [`crate::live::conn::Conn`]. Frames are read and answered in order; events
//! queued by the dispatch are written between them; the server pings an idle client and closes
//! one that stops answering, one that does not `connect` in time, and one too slow to read
//! its events.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage as Message, CloseCode, CloseReason};

use super::State;
use crate::live::conn::{Conn, Reply};

/// The largest frame a client may send (a subscription's `where` is limited further by the
/// app's query limits).
pub const MAX_FRAME: usize = 1024 * 1024;

/// How often an idle connection is pinged; one that has not answered the last ping by the next
/// is closed.
pub const PING_EVERY: Duration = Duration::from_secs(10);

/// How long a socket may stay open without a `connect`.
pub const CONNECT_WITHIN: Duration = Duration::from_secs(10);

/// How long writing one frame may take before the client is taken for gone.
const WRITE_WITHIN: Duration = Duration::from_secs(10);

/// Whether a request asks for a WebSocket.
pub fn is_upgrade(ctx: &actix_web::guard::GuardContext) -> bool {
    ctx.head()
        .headers()
        .get(actix_web::http::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// The largest frame a socket may send before it has connected.
pub const MAX_FRAME_BEFORE_CONNECT: usize = 64 * 1024;

pub async fn upgrade(req: HttpRequest, body: web::Payload, state: web::Data<State>) -> actix_web::Result<HttpResponse> {
    // The handshake first: a bad one is refused before anything is counted.
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let address = super::extract::client_ip(&req, state.config.trust_proxy).map(|ip| ip.to_string());
    let live = state.live.clone();
    let Some((shared, queue)) = live.open(address) else {
        let error = crate::error::ApiError::new(
            crate::error::ParseCode::RATE_LIMITED,
            "Too many LiveQuery sockets from this address that have not connected",
        );
        return Ok(HttpResponse::TooManyRequests().json(error.body()));
    };
    let stream = stream.max_frame_size(MAX_FRAME).aggregate_continuations().max_continuation_size(MAX_FRAME);
    actix_web::rt::spawn(run(Conn::new(live, shared.clone()), shared, session, stream, queue));
    Ok(response)
}

fn close_reason(code: u16) -> CloseReason {
    CloseReason { code: CloseCode::from(code), description: None }
}

/// What became of a reply's frames.
enum Sent {
    All,
    /// The client is gone, or too slow to take a frame within [`WRITE_WITHIN`].
    Gone,
    /// The connection is being closed meanwhile (a client that stopped reading holds a write
    /// forever): the loop says why and closes.
    Closing,
}

/// Writes a ping or a pong; false when the client is gone, not reading, or being closed.
async fn control(write: impl std::future::Future<Output = Result<(), actix_ws::Closed>>, shared: &crate::live::ConnShared) -> bool {
    tokio::select! {
        written = tokio::time::timeout(WRITE_WITHIN, write) => matches!(written, Ok(Ok(()))),
        _ = shared.kill.notified() => {
            shared.kill.notify_one();
            true
        }
    }
}

/// Writes the frames of a reply.
async fn send(session: &mut actix_ws::Session, shared: &crate::live::ConnShared, reply: &Reply) -> Sent {
    for frame in &reply.frames {
        tokio::select! {
            written = tokio::time::timeout(WRITE_WITHIN, session.text(frame.clone())) => {
                if !matches!(written, Ok(Ok(()))) {
                    return Sent::Gone;
                }
            }
            _ = shared.kill.notified() => {
                shared.kill.notify_one();
                return Sent::Closing;
            }
        }
    }
    Sent::All
}

async fn run(
    mut conn: Conn,
    shared: std::sync::Arc<crate::live::ConnShared>,
    mut session: actix_ws::Session,
    mut stream: actix_ws::AggregatedMessageStream,
    mut queue: tokio::sync::mpsc::Receiver<crate::live::Outgoing>,
) {
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    let deadline = tokio::time::sleep(CONNECT_WITHIN);
    tokio::pin!(deadline);
    let mut answered = true;
    let close: Option<u16> = loop {
        tokio::select! {
            biased;
            _ = shared.kill.notified() => {
                let closing = shared.closing.lock().expect("not poisoned").clone();
                let (code, frame) = closing.unwrap_or((1000, String::new()));
                if !frame.is_empty() {
                    // Best effort: a client too slow to read gets it only if there is room.
                    let _ = tokio::time::timeout(Duration::from_secs(1), session.text(frame)).await;
                }
                break Some(code);
            }
            message = stream.recv() => {
                let reply = match message {
                    Some(Ok(Message::Text(text))) if conn.is_pending() && text.len() > MAX_FRAME_BEFORE_CONNECT => break Some(1009),
                    Some(Ok(Message::Text(text))) => conn.receive(&text).await,
                    Some(Ok(Message::Binary(_))) => Reply { frames: vec![crate::live::protocol::frames::error(1, "Frames must be text", true, None)], close: Some(1003) },
                    Some(Ok(Message::Ping(bytes))) => {
                        if !control(session.pong(&bytes), &shared).await { break None; }
                        continue;
                    }
                    Some(Ok(Message::Pong(_))) => { answered = true; continue; }
                    Some(Ok(Message::Close(_))) | None => break Some(1000),
                    Some(Err(actix_ws::ProtocolError::Overflow)) => break Some(1009),
                    Some(Err(_)) => break Some(1002),
                };
                match send(&mut session, &shared, &reply).await {
                    Sent::All if reply.close.is_some() => break reply.close,
                    Sent::All | Sent::Closing => {}
                    Sent::Gone => break None,
                }
            }
            item = queue.recv() => {
                let Some(item) = item else { break Some(1000) };
                if let crate::live::Outgoing::Frame(frame) = &item {
                    shared.queued.fetch_sub(frame.len(), std::sync::atomic::Ordering::Relaxed);
                }
                let reply = conn.outgoing(item).await;
                match send(&mut session, &shared, &reply).await {
                    Sent::All if reply.close.is_some() => break reply.close,
                    Sent::All | Sent::Closing => {}
                    Sent::Gone => break None,
                }
            }
            _ = ping.tick() => {
                if !answered { break Some(1001); }
                answered = false;
                if !control(session.ping(b""), &shared).await { break None; }
            }
            _ = &mut deadline, if !conn.is_connected() => {
                break Some(1008);
            }
        }
    };
    // Its subscriptions and counts go with it (also if this task panics: `Conn`'s drop).
    drop(conn);
    if let Some(code) = close {
        let _ = tokio::time::timeout(Duration::from_secs(1), session.close(Some(close_reason(code)))).await;
    }
}
