//! The Chat Messaging WebSocket, as IVS defines it.
//!
//! A client connects with its chat token as the WebSocket subprotocol. A token works once, within
//! its minute; the connection then lasts the session the token was issued for and is closed when
//! that ends. Requests are JSON frames (`SEND_MESSAGE`, `DELETE_MESSAGE`, `DISCONNECT_USER`);
//! a request that works is answered by nothing but its effect (the message or event, sent to
//! everyone in the room), and one that fails by an `ERROR` frame to its sender alone.

use std::net::{IpAddr, SocketAddr};
use std::time::SystemTime;

use axum::extract::ConnectInfo;
use ivs_proto::moderation::{ReviewRequest, ReviewSender};

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, Extensions, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::{SinkExt, StreamExt};
use ivs_proto::chat::{message_length, ErrorCode, Publish, Sender, Subscribe};
use tokio::sync::broadcast::error::RecvError;

use super::{random_id, timestamp, Capability, Chat, ChatError, CloseReason, Grant, Joined, Reviewed, RoomSettings};

/// The most bytes a request frame may have.
const MAX_FRAME_BYTES: usize = 16 * 1024;
/// The most bytes of a message's attributes (keys and values).
const MAX_ATTRIBUTE_BYTES: usize = 1024;

/// The routes of the chat endpoint: a WebSocket at `/`.
pub fn router(chat: Chat) -> Router {
    Router::new().route("/", get(connect)).with_state(chat)
}

async fn connect(State(chat): State<Chat>, extensions: Extensions, headers: HeaderMap, ws: WebSocketUpgrade) -> Response {
    // The sender's address, for the review handler (when served with the peers' addresses).
    let ip = extensions.get::<ConnectInfo<SocketAddr>>().map(|ConnectInfo(peer)| peer.ip());
    let token = headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let Some(token) = token else {
        return (StatusCode::UNAUTHORIZED, "a chat token is required, as the WebSocket subprotocol").into_response();
    };
    // The connection joins its room before the handshake is answered: from the moment the client
    // is connected, it receives what the room carries (a message sent right away reaches it).
    let joined = chat.redeem(&token).and_then(|grant| {
        let joined = chat.join(&grant.room_arn, &grant.user_id)?;
        Ok((grant, joined))
    });
    ws.protocols([token]).max_message_size(MAX_FRAME_BYTES).on_upgrade(move |socket| session(chat, socket, joined, ip))
}

fn error_frame(code: ErrorCode, message: &str, request_id: Option<String>) -> Subscribe {
    Subscribe::Error { id: random_id(12), request_id, error_code: code.code(), error_message: message.to_owned() }
}

fn text(frame: &Subscribe) -> Message {
    Message::Text(serde_json::to_string(frame).expect("plain data always encodes").into())
}

fn close(reason: &str) -> Message {
    Message::Close(Some(CloseFrame { code: 1000, reason: Utf8Bytes::from(reason) }))
}

async fn session(chat: Chat, socket: WebSocket, joined: Result<(Grant, Joined), ChatError>, ip: Option<IpAddr>) {
    let (mut outgoing, mut incoming) = socket.split();
    let (grant, mut joined) = match joined {
        Ok(joined) => joined,
        Err(ChatError::TokenInvalid(why)) => {
            let _ = outgoing.send(text(&error_frame(ErrorCode::Unauthorized, why, None))).await;
            let _ = outgoing.send(Message::Close(Some(CloseFrame { code: 1008, reason: Utf8Bytes::from(why) }))).await;
            return;
        }
        // A valid token for a room deleted since it was issued.
        Err(ChatError::RoomNotFound(_)) => {
            let _ = outgoing.send(text(&error_frame(ErrorCode::NotFound, "The room does not exist", None))).await;
            let _ = outgoing.send(close("Room not found")).await;
            return;
        }
    };
    tracing::debug!(user = %grant.user_id, room = %grant.room_arn, "chat connection");
    let session_ends = tokio::time::Instant::now() + grant.session;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(session_ends) => {
                let _ = outgoing.send(close("Session expired")).await;
                break;
            }
            reason = joined.closed.recv() => {
                // What the room said before closing (the DISCONNECT_USER event itself) goes first.
                while let Ok(frame) = joined.frames.try_recv() {
                    if outgoing.send(Message::Text(Utf8Bytes::from(frame.as_ref()))).await.is_err() {
                        break;
                    }
                }
                let reason = match reason {
                    Some(CloseReason::Disconnected(why)) if !why.is_empty() => format!("Disconnected: {why}"),
                    Some(CloseReason::Disconnected(_)) => "Disconnected".to_owned(),
                    Some(CloseReason::RoomDeleted) | None => "Room deleted".to_owned(),
                };
                let _ = outgoing.send(close(&reason)).await;
                break;
            }
            frame = joined.frames.recv() => match frame {
                Ok(frame) => {
                    if outgoing.send(Message::Text(Utf8Bytes::from(frame.as_ref()))).await.is_err() {
                        break;
                    }
                }
                Err(RecvError::Lagged(missed)) => tracing::warn!(user = %grant.user_id, missed, "a slow chat connection missed frames"),
                Err(RecvError::Closed) => {
                    let _ = outgoing.send(close("Room deleted")).await;
                    break;
                }
            },
            request = incoming.next() => match request {
                Some(Ok(Message::Text(request))) => {
                    if let Some(error) = handle(&chat, &grant, &joined.settings, request.as_str(), ip).await {
                        if outgoing.send(text(&error)).await.is_err() {
                            break;
                        }
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    let _ = outgoing.send(text(&error_frame(ErrorCode::BadRequest, "Requests are JSON text frames", None))).await;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            },
        }
    }
}

/// Carries out one request; returns the error to send back, if any. A message waits for the
/// room's review handler, if it has one (as in IVS, within 200 ms).
async fn handle(chat: &Chat, grant: &Grant, settings: &RoomSettings, request: &str, ip: Option<IpAddr>) -> Option<Subscribe> {
    let raw: serde_json::Value = match serde_json::from_str(request) {
        Ok(raw) => raw,
        Err(_) => return Some(error_frame(ErrorCode::BadRequest, "The request is not valid JSON", None)),
    };
    let request_id = raw.get("RequestId").and_then(|v| v.as_str()).map(str::to_owned);
    let publish: Publish = match serde_json::from_value(raw) {
        Ok(publish) => publish,
        Err(e) => return Some(error_frame(ErrorCode::BadRequest, &format!("Invalid request: {e}"), request_id)),
    };
    let fail = |code: ErrorCode, message: &str| Some(error_frame(code, message, request_id.clone()));
    let allowed = |capability: Capability| grant.capabilities.contains(&capability);
    let room = grant.room_arn.as_str();
    match publish {
        Publish::SendMessage { content, attributes, .. } => {
            if !allowed(Capability::SendMessage) {
                return fail(ErrorCode::Forbidden, "The token does not allow SEND_MESSAGE");
            }
            if content.trim().is_empty() {
                return fail(ErrorCode::BadRequest, "Content must not be empty");
            }
            let attributes = attributes.unwrap_or_default();
            if message_length(&content) > settings.maximum_message_length {
                return fail(
                    ErrorCode::PayloadTooLarge,
                    &format!("Content is longer than the room's maximum of {} characters", settings.maximum_message_length),
                );
            }
            if attributes.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>() > MAX_ATTRIBUTE_BYTES {
                return fail(ErrorCode::PayloadTooLarge, "Attributes are larger than 1 KB");
            }
            match chat.admit_message(room) {
                Ok(true) => {}
                Ok(false) => return fail(ErrorCode::TooManyRequests, "The room's message rate limit is exceeded"),
                Err(_) => return fail(ErrorCode::NotFound, "The room does not exist"),
            }
            let id = random_id(12);
            let review = ReviewRequest {
                content,
                message_id: id.clone(),
                room_arn: room.to_owned(),
                attributes: attributes.into_iter().collect(),
                sender: ReviewSender {
                    user_id: grant.user_id.clone(),
                    attributes: grant.attributes.clone().into_iter().collect(),
                    ip: ip.map(|ip| ip.to_string()).unwrap_or_default(),
                },
            };
            let (content, attributes) = match chat.review(settings, review).await {
                Reviewed::Allow { content, attributes } => (content, attributes),
                Reviewed::Deny => return fail(ErrorCode::NotAcceptable, "The message was rejected by the room's message review handler"),
            };
            let frame = Subscribe::Message {
                id,
                request_id: request_id.clone(),
                content,
                attributes,
                send_time: timestamp(SystemTime::now()),
                sender: Sender { user_id: grant.user_id.clone(), attributes: grant.attributes.clone() },
            };
            chat.broadcast(room, &frame).err().and_then(|_| fail(ErrorCode::NotFound, "The room does not exist"))
        }
        Publish::DeleteMessage { id, reason, .. } => {
            if !allowed(Capability::DeleteMessage) {
                return fail(ErrorCode::Forbidden, "The token does not allow DELETE_MESSAGE");
            }
            if id.is_empty() {
                return fail(ErrorCode::BadRequest, "Id must not be empty");
            }
            chat.delete_message(room, &id, reason, request_id.clone()).err().and_then(|_| fail(ErrorCode::NotFound, "The room does not exist"))
        }
        Publish::DisconnectUser { user_id, reason, .. } => {
            if !allowed(Capability::DisconnectUser) {
                return fail(ErrorCode::Forbidden, "The token does not allow DISCONNECT_USER");
            }
            if user_id.is_empty() {
                return fail(ErrorCode::BadRequest, "UserId must not be empty");
            }
            chat.disconnect_user(room, &user_id, reason, request_id.clone()).err().and_then(|_| fail(ErrorCode::NotFound, "The room does not exist"))
        }
    }
}
