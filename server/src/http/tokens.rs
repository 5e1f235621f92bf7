//! Tokens the viewer asks for: a chat token (`CreateChatToken`) for the person in the cookie, and
//! a playback token for a private channel. The server decides who the person is and what they
//! may do; the request carries nothing else.

use ivs_proto::site::ErrorCode;
use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use ivs_proto::chat_session::ChatToken;
use ivs_proto::site::PlaybackTokenAnswer;

use super::error::{no_store, Answer, AppError};
use super::extract::{ClientAddress, KnownPerson, SameSite, ToChat};
use crate::clock::now_ms;
use crate::ivs::ChatTokenRequest;
use crate::App;

/// A chat token for the person in the cookie: `SEND_MESSAGE`, and moderation for moderators and
/// operators.
pub async fn chat(State(app): State<App>, _: SameSite, KnownPerson(person, _): KnownPerson<ToChat>, ClientAddress(address): ClientAddress) -> Answer {
    app.limits.token(Some(&person.user_id), address).map_err(|wait| AppError::too_many(wait, "chat tokens"))?;
    let mut capabilities = vec!["SEND_MESSAGE".to_owned()];
    let mut attributes = HashMap::from([("displayName".to_owned(), person.display_name.clone())]);
    // The site's operators run the show: they moderate its chat too.
    if person.moderator || person.operator {
        capabilities.extend(["DELETE_MESSAGE".to_owned(), "DISCONNECT_USER".to_owned()]);
        attributes.insert("badge".into(), "moderator".into());
    }
    let request = ChatTokenRequest {
        room_arn: app.config.chat.room_arn.clone(),
        user_id: person.user_id.clone(),
        attributes,
        capabilities: capabilities.clone(),
        session_minutes: app.config.chat.session_minutes,
    };
    // A token without slow mode's seconds is still a token: the room's events tell of it later.
    let slow_mode_secs = app.moderation.rules().await.map_or(0, |rules| rules.slow_mode_secs);
    let issued = app.ivs.create_chat_token(request).await.map_err(|e| {
        tracing::error!("CreateChatToken: {e}");
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "chat is unavailable right now; try again in a moment")
    })?;
    Ok(no_store(Json(ChatToken {
        token: issued.token,
        session_expiration_time: issued.session_expiration_time,
        user_id: person.user_id,
        display_name: person.display_name,
        capabilities,
        maximum_message_length: Some(app.max_message_length),
        slow_mode_secs,
    })))
}

/// A playback token for the private channel, bound to the origin of the page that plays: this
/// site's, or one of the embed origins'.
pub async fn playback(State(app): State<App>, _: SameSite, ClientAddress(address): ClientAddress, headers: HeaderMap) -> Answer {
    let signer = app.signer.as_ref().ok_or_else(|| AppError::new(StatusCode::NOT_FOUND, "the channel is not private"))?;
    let person = app.identity.person(&headers);
    let subscribers = &app.config.channel.subscribers;
    if !subscribers.is_empty() && !person.as_ref().is_some_and(|p| subscribers.contains(&p.user_id)) {
        return Err(AppError::new(StatusCode::FORBIDDEN, "this stream is for subscribers").with_code(ErrorCode::SubscribersOnly));
    }
    // Everyone may watch a channel without subscribers: someone with no identity yet is limited
    // by address alone (not in one bucket shared by every such viewer).
    app.limits.token(person.as_ref().map(|p| p.user_id.as_str()), address).map_err(|wait| AppError::too_many(wait, "playback tokens"))?;
    let now = (now_ms() / 1000) as u64;
    // The page that plays: this site's, or an embedding page (`<ivs-viewer site>` on an embed
    // origin), whose origin the player's requests carry and IVS checks the token against.
    let origin = super::cors::embed_origin(&app, &headers).unwrap_or_else(|| app.config.public_origin.clone());
    let (token, expires_at) = signer.issue(&app.config.channel.arn, &origin, now, app.config.channel.playback_token_ttl_secs);
    Ok(no_store(Json(PlaybackTokenAnswer { token, expires_at })))
}
