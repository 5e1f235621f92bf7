//! The REST-JSON kit every operation uses, as the AWS SDKs speak it (`POST /PutMetadata` with a
//! JSON body, errors named in `x-amzn-ErrorType`): the error answer, body parsing, paging and the
//! caller's identity. A leaf of the API layer: it imports none of the resources.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::account::Refusal;

/// An IVS error: HTTP status, type name and message.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
    /// Further members of the error body (`resourceId`, `fieldList`…).
    fields: serde_json::Map<String, Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into(), fields: serde_json::Map::new() }
    }

    /// Adds a member to the error body.
    pub fn with(mut self, name: &str, value: Value) -> Self {
        self.fields.insert(name.to_owned(), value);
        self
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "ValidationException", message)
    }

    pub fn not_found(arn: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", format!("ResourceNotFoundException: {arn} not found")).with("resourceId", arn.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "ConflictException", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "InternalServerException", message)
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Validation(message) => Self::validation(message),
            Refusal::NotFound(arn) => Self::not_found(&arn),
            Refusal::Conflict(message) => Self::conflict(message),
            Refusal::Quota(message) => Self::new(StatusCode::PAYMENT_REQUIRED, "ServiceQuotaExceededException", message),
            Refusal::NotBroadcasting => Self::new(StatusCode::NOT_FOUND, "ChannelNotBroadcasting", Refusal::NotBroadcasting.to_string()),
            Refusal::Throttled(message) => Self::new(StatusCode::TOO_MANY_REQUESTS, "ThrottlingException", message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = self.fields;
        body.insert("message".into(), self.message.clone().into());
        body.insert("exceptionMessage".into(), self.message.into());
        let body = Json(Value::Object(body));
        (self.status, [("x-amzn-ErrorType", self.kind)], body).into_response()
    }
}

/// An operation's answer.
pub type Answer = Result<Json<Value>, ApiError>;

/// The request body as `T`.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::validation(format!("invalid request body: {e}")))
}

/// The request body as `T`, or `T`'s default when there is none (operations whose every input
/// is optional).
pub fn parse_or_default<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, ApiError> {
    if body.is_empty() {
        Ok(T::default())
    } else {
        parse(body)
    }
}

/// The input of operations that name one resource: `{"arn": …}`.
#[derive(Deserialize)]
pub struct ArnInput {
    pub arn: String,
}

/// The input of batch operations: `{"arns": […]}`.
#[derive(Deserialize)]
pub struct ArnsInput {
    pub arns: Vec<String>,
}

/// The paging members of a List operation's input.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Paging {
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
}

/// One page of `items` from `next_token`, at most `max_results` (1 to 100, default 100), and the
/// token of the next page, as the List operations answer.
pub fn page<T: Clone>(items: &[T], paging: &Paging) -> Result<(Vec<T>, Option<String>), ApiError> {
    let max = paging.max_results.unwrap_or(100);
    if !(1..=100).contains(&max) {
        return Err(ApiError::validation("maxResults must be 1 to 100"));
    }
    let start = match paging.next_token.as_deref() {
        None | Some("") => 0,
        Some(token) => token.parse::<usize>().map_err(|_| ApiError::validation("nextToken is not valid"))?,
    };
    let page = items.iter().skip(start).take(max).cloned().collect();
    Ok((page, (start + max < items.len()).then(|| (start + max).to_string())))
}

/// A List answer: a page of `items` under `key`, and `nextToken` when there is more.
pub fn listed(key: &str, items: &[Value], paging: &Paging) -> Answer {
    let (items, next) = page(items, paging)?;
    let mut answer = json!({ key: items });
    if let Some(next) = next {
        answer["nextToken"] = next.into();
    }
    Ok(Json(answer))
}

/// A batch answer: each ARN found through `get` under `key`, the others as errors.
pub fn batch(key: &str, arns: &[String], what: &str, get: impl Fn(&str) -> Option<Value>) -> Answer {
    if arns.is_empty() || arns.len() > 50 {
        return Err(ApiError::validation(format!("arns must name 1 to 50 {what}")));
    }
    let (mut found, mut errors) = (Vec::new(), Vec::new());
    for arn in arns {
        match get(arn) {
            Some(resource) => found.push(resource),
            None => errors.push(json!({ "arn": arn, "code": "ResourceNotFoundException", "message": format!("{arn} not found") })),
        }
    }
    Ok(Json(json!({ key: found, "errors": errors })))
}

/// The access key the request was signed with ("anonymous" when unsigned). Signatures are
/// accepted as they come: the API only listens on loopback.
pub fn caller(headers: &HeaderMap) -> &str {
    // "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ivs/aws4_request, …"
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split("Credential=").nth(1))
        .and_then(|v| v.split('/').next())
        .unwrap_or("anonymous")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_the_token() {
        let items: Vec<u32> = (0..5).collect();
        let paging = |max, token: Option<&str>| Paging { max_results: max, next_token: token.map(str::to_owned) };
        assert_eq!(page(&items, &paging(Some(2), None)).unwrap(), (vec![0, 1], Some("2".into())));
        assert_eq!(page(&items, &paging(Some(2), Some("4"))).unwrap(), (vec![4], None));
        assert!(page(&items, &paging(Some(0), None)).is_err() && page(&items, &paging(None, Some("x"))).is_err());
    }
}
