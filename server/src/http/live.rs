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

pub async fn upgrade(req: HttpRequest, body: web::Payload, state: web::Data<State>) -> actix_web::Result<HttpResponse> {
    let (response, session, stream) = actix_ws::handle(&req, body)?;
    let address = super::extract::client_ip(&req, state.config.trust_proxy).map(|ip| ip.to_string());
    let live = state.live.clone();
    let (shared, queue) = live.open(address);
    let stream = stream.max_frame_size(MAX_FRAME).aggregate_continuations().max_continuation_size(MAX_FRAME);
    actix_web::rt::spawn(run(Conn::new(live, shared.clone()), shared, session, stream, queue));
    Ok(response)
}

fn close_reason(code: u16) -> CloseReason {
    CloseReason { code: CloseCode::from(code), description: None }
}

/// Writes the frames of a reply; false when the client is gone (or too slow to take them).
async fn send(session: &mut actix_ws::Session, reply: &Reply) -> bool {
    for frame in &reply.frames {
        match tokio::time::timeout(WRITE_WITHIN, session.text(frame.clone())).await {
            Ok(Ok(())) => {}
            _ => return false,
        }
    }
    true
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
                    Some(Ok(Message::Text(text))) => conn.receive(&text).await,
                    Some(Ok(Message::Binary(_))) => Reply { frames: vec![crate::live::protocol::frames::error(1, "Frames must be text", true, None)], close: Some(1003) },
                    Some(Ok(Message::Ping(bytes))) => {
                        if session.pong(&bytes).await.is_err() { break None; }
                        continue;
                    }
                    Some(Ok(Message::Pong(_))) => { answered = true; continue; }
                    Some(Ok(Message::Close(_))) | None => break Some(1000),
                    Some(Err(actix_ws::ProtocolError::Overflow)) => break Some(1009),
                    Some(Err(_)) => break Some(1002),
                };
                if !send(&mut session, &reply).await { break None; }
                if reply.close.is_some() { break reply.close; }
            }
            item = queue.recv() => {
                let Some(item) = item else { break Some(1000) };
                let reply = conn.outgoing(item).await;
                if !send(&mut session, &reply).await { break None; }
                if reply.close.is_some() { break reply.close; }
            }
            _ = ping.tick() => {
                if !answered { break Some(1001); }
                answered = false;
                if session.ping(b"").await.is_err() { break None; }
            }
            _ = &mut deadline, if !conn.is_connected() => {
                break Some(1008);
            }
        }
    };
    conn.end();
    if let Some(code) = close {
        let _ = tokio::time::timeout(Duration::from_secs(1), session.close(Some(close_reason(code)))).await;
    }
}
