//! The `ivschat` control plane, REST-JSON as the AWS SDKs speak it: `CreateRoom`, `GetRoom`,
//! `ListRooms`, `DeleteRoom`, `CreateChatToken`, `SendEvent`, `DeleteMessage`, `DisconnectUser`,
//! with IVS Chat's fields, defaults, limits and error shapes.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use ivs_proto::chat::Attributes;
use serde::Deserialize;
use serde_json::{json, Value};

use super::kit::{parse, ApiError};
use crate::chat::{Capability, Chat, ChatError, RoomSettings, RoomView};

/// The routes of the chat control plane.
pub fn router(chat: Chat) -> Router {
    Router::new()
        .route("/CreateRoom", post(create_room))
        .route("/GetRoom", post(get_room))
        .route("/ListRooms", post(list_rooms))
        .route("/DeleteRoom", post(delete_room))
        .route("/CreateChatToken", post(create_chat_token))
        .route("/SendEvent", post(send_event))
        .route("/DeleteMessage", post(delete_message))
        .route("/DisconnectUser", post(disconnect_user))
        .with_state(chat)
}

impl From<ChatError> for ApiError {
    fn from(e: ChatError) -> Self {
        match e {
            ChatError::RoomNotFound(id) => ApiError::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", format!("Room {id} not found"))
                .with("resourceId", id.into())
                .with("resourceType", "ROOM".into()),
            ChatError::TokenInvalid(why) => ApiError::new(StatusCode::FORBIDDEN, "AccessDeniedException", why),
        }
    }
}

/// A `ValidationException` naming the field at fault.
fn invalid(field: &str, message: impl Into<String>) -> ApiError {
    let message = message.into();
    ApiError::validation(format!("{field}: {message}"))
        .with("reason", "FIELD_VALIDATION_FAILED".into())
        .with("fieldList", json!([{ "name": field, "message": message }]))
}

fn check_range(field: &str, value: u64, min: u64, max: u64) -> Result<(), ApiError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(invalid(field, format!("must be between {min} and {max}, got {value}")))
    }
}

/// A string field of `min` to `max` characters.
fn check_length(field: &str, value: &str, min: usize, max: usize) -> Result<(), ApiError> {
    let count = value.chars().count();
    match (min, (min..=max).contains(&count)) {
        (_, true) => Ok(()),
        (0, false) => Err(invalid(field, format!("must be at most {max} characters"))),
        (_, false) => Err(invalid(field, format!("must be {min} to {max} characters"))),
    }
}

/// An optional moderation reason: at most 256 characters.
fn check_reason(reason: Option<&String>) -> Result<(), ApiError> {
    reason.map_or(Ok(()), |r| check_length("reason", r, 0, 256))
}

fn check_attributes(attributes: &Attributes) -> Result<(), ApiError> {
    let bytes: usize = attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
    if bytes > 1024 {
        return Err(invalid("attributes", format!("must be at most 1 KB in total, got {bytes} bytes")));
    }
    Ok(())
}

fn room_json(room: &RoomView, full: bool) -> Value {
    let mut value = json!({
        "arn": room.arn,
        "id": room.id,
        "name": room.settings.name,
        "createTime": room.create_time,
        "updateTime": room.update_time,
        "tags": room.settings.tags,
        "loggingConfigurationIdentifiers": room.settings.logging_configuration_identifiers,
    });
    if let Some(handler) = &room.settings.message_review_handler {
        value["messageReviewHandler"] = handler.clone();
    }
    if full {
        value["maximumMessageLength"] = room.settings.maximum_message_length.into();
        value["maximumMessageRatePerSecond"] = room.settings.maximum_message_rate_per_second.into();
    }
    value
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateRoomInput {
    name: Option<String>,
    maximum_message_length: Option<u64>,
    maximum_message_rate_per_second: Option<u64>,
    message_review_handler: Option<Value>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    logging_configuration_identifiers: Vec<String>,
}

async fn create_room(State(chat): State<Chat>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: CreateRoomInput = parse(&body)?;
    let mut settings = RoomSettings::default();
    if let Some(name) = input.name {
        if name.len() > 128 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(invalid("name", "must be at most 128 characters of a-z, A-Z, 0-9, - and _"));
        }
        settings.name = name;
    }
    if let Some(length) = input.maximum_message_length {
        check_range("maximumMessageLength", length, 1, 500)?;
        settings.maximum_message_length = length as usize;
    }
    if let Some(rate) = input.maximum_message_rate_per_second {
        check_range("maximumMessageRatePerSecond", rate, 1, 100)?;
        settings.maximum_message_rate_per_second = rate as u32;
    }
    if input.tags.len() > 50 {
        return Err(invalid("tags", "at most 50 tags"));
    }
    if input.logging_configuration_identifiers.len() > 3 {
        return Err(invalid("loggingConfigurationIdentifiers", "at most 3 identifiers"));
    }
    settings.message_review_handler = input.message_review_handler;
    settings.tags = input.tags;
    settings.logging_configuration_identifiers = input.logging_configuration_identifiers;
    let room = chat.create_room(settings);
    tracing::info!(arn = %room.arn, "CreateRoom");
    Ok(Json(room_json(&room, true)))
}

#[derive(Deserialize)]
struct IdentifierInput {
    identifier: String,
}

async fn get_room(State(chat): State<Chat>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: IdentifierInput = parse(&body)?;
    Ok(Json(room_json(&chat.get_room(&input.identifier)?, true)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListRoomsInput {
    max_results: Option<u64>,
    next_token: Option<String>,
    name: Option<String>,
}

async fn list_rooms(State(chat): State<Chat>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: ListRoomsInput = if body.is_empty() { ListRoomsInput { max_results: None, next_token: None, name: None } } else { parse(&body)? };
    let max = input.max_results.unwrap_or(50);
    check_range("maxResults", max, 1, 50)?;
    let start: usize = match &input.next_token {
        Some(token) => token.parse().map_err(|_| invalid("nextToken", "is not a token this API issued"))?,
        None => 0,
    };
    let rooms: Vec<RoomView> = chat.list_rooms().into_iter().filter(|r| input.name.as_ref().is_none_or(|n| &r.settings.name == n)).collect();
    let page: Vec<Value> = rooms.iter().skip(start).take(max as usize).map(|r| room_json(r, false)).collect();
    let mut out = json!({ "rooms": page });
    if start + (max as usize) < rooms.len() {
        out["nextToken"] = (start + max as usize).to_string().into();
    }
    Ok(Json(out))
}

async fn delete_room(State(chat): State<Chat>, body: Bytes) -> Result<StatusCode, ApiError> {
    let input: IdentifierInput = parse(&body)?;
    chat.delete_room(&input.identifier)?;
    tracing::info!(room = %input.identifier, "DeleteRoom");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateChatTokenInput {
    room_identifier: String,
    user_id: String,
    #[serde(default)]
    attributes: Attributes,
    #[serde(default)]
    capabilities: Vec<String>,
    session_duration_in_minutes: Option<u64>,
}

async fn create_chat_token(State(chat): State<Chat>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: CreateChatTokenInput = parse(&body)?;
    check_length("userId", &input.user_id, 1, 128)?;
    check_attributes(&input.attributes)?;
    let minutes = input.session_duration_in_minutes.unwrap_or(60);
    check_range("sessionDurationInMinutes", minutes, 1, 180)?;
    let mut capabilities = Vec::new();
    for name in &input.capabilities {
        let capability: Capability = serde_json::from_value(Value::String(name.clone()))
            .map_err(|_| invalid("capabilities", format!("{name} is not one of SEND_MESSAGE, DELETE_MESSAGE, DISCONNECT_USER")))?;
        if !capabilities.contains(&capability) {
            capabilities.push(capability);
        }
    }
    let issued = chat.create_token(&input.room_identifier, input.user_id, input.attributes, capabilities, minutes as u32)?;
    Ok(Json(json!({
        "token": issued.token,
        "tokenExpirationTime": issued.token_expiration_time,
        "sessionExpirationTime": issued.session_expiration_time,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SendEventInput {
    room_identifier: String,
    event_name: String,
    #[serde(default)]
    attributes: Attributes,
}

async fn send_event(State(chat): State<Chat>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: SendEventInput = parse(&body)?;
    check_length("eventName", &input.event_name, 1, 100)?;
    check_attributes(&input.attributes)?;
    let id = chat.send_event(&input.room_identifier, &input.event_name, input.attributes, None)?;
    Ok(Json(json!({ "id": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DeleteMessageInput {
    room_identifier: String,
    id: String,
    reason: Option<String>,
}

async fn delete_message(State(chat): State<Chat>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: DeleteMessageInput = parse(&body)?;
    check_length("id", &input.id, 1, 12)?;
    check_reason(input.reason.as_ref())?;
    let id = chat.delete_message(&input.room_identifier, &input.id, input.reason, None)?;
    Ok(Json(json!({ "id": id })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DisconnectUserInput {
    room_identifier: String,
    user_id: String,
    reason: Option<String>,
}

async fn disconnect_user(State(chat): State<Chat>, body: Bytes) -> Result<Json<Value>, ApiError> {
    let input: DisconnectUserInput = parse(&body)?;
    check_length("userId", &input.user_id, 1, 128)?;
    check_reason(input.reason.as_ref())?;
    chat.disconnect_user(&input.room_identifier, &input.user_id, input.reason, None)?;
    Ok(Json(json!({})))
}
