//! The local stack's IVS Chat: the control plane through the official `aws-sdk-ivschat` client,
//! and the Chat Messaging WebSocket through a plain Rust WebSocket client, for every action,
//! event and error code, the limits and the expiries.

use std::time::{Duration, Instant};

use aws_sdk_ivschat::types::ChatTokenCapability;
use futures::{SinkExt, StreamExt};
use ivs_e2e::{http_with, ivschat_client, set_cookie, Stack, MODERATOR};
use serde_json::{json, Value};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

const DEFAULT_ROOM: &str = "arn:aws:ivschat:us-east-1:000000000000:room/local";

struct Client {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Connects with `token` as the subprotocol, as IVS Chat requires.
    async fn connect(stack: &Stack, token: &str) -> Self {
        let mut request = stack.chat.as_str().into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", token.parse().unwrap());
        let (socket, response) = tokio_tungstenite::connect_async(request).await.expect("WebSocket handshake");
        assert_eq!(response.headers()["sec-websocket-protocol"], token, "the room accepts the token as the subprotocol");
        Self { socket }
    }

    async fn send(&mut self, frame: Value) {
        self.socket.send(Message::text(frame.to_string())).await.unwrap();
    }

    async fn send_raw(&mut self, text: &str) {
        self.socket.send(Message::text(text)).await.unwrap();
    }

    /// The next JSON frame, within 3 s.
    async fn next(&mut self) -> Value {
        loop {
            match tokio::time::timeout(Duration::from_secs(3), self.socket.next()).await {
                Ok(Some(Ok(Message::Text(text)))) => return serde_json::from_str(&text).expect("JSON frame"),
                Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => continue,
                other => panic!("expected a frame, got {other:?}"),
            }
        }
    }

    /// Asserts nothing arrives for `ms`.
    async fn silent(&mut self, ms: u64) {
        if let Ok(frame) = tokio::time::timeout(Duration::from_millis(ms), self.socket.next()).await {
            panic!("expected silence, got {frame:?}");
        }
    }

    /// Waits for the room to close the connection; returns the close reason.
    async fn closed(&mut self, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.socket.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                Ok(Some(Ok(_))) => continue,
                Ok(None) | Ok(Some(Err(_))) => return String::new(),
                Err(_) => panic!("the connection was still open after {within:?}"),
            }
        }
    }
}

async fn token(stack: &Stack, room: &str, user: &str, capabilities: &[ChatTokenCapability]) -> String {
    ivschat_client(stack)
        .await
        .create_chat_token()
        .room_identifier(room)
        .user_id(user)
        .attributes("displayName", format!("{user} (display)"))
        .set_capabilities(Some(capabilities.to_vec()))
        .send()
        .await
        .expect("CreateChatToken")
        .token
        .expect("a token")
}

fn error_code<E: aws_sdk_ivschat::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("?").to_owned()
}

#[tokio::test]
async fn the_control_plane_speaks_ivschat_to_the_official_sdk() {
    let stack = Stack::builder().offline().start().unwrap();
    let client = ivschat_client(&stack).await;

    let rooms = client.list_rooms().send().await.unwrap();
    assert!(rooms.rooms().iter().any(|r| r.arn() == Some(DEFAULT_ROOM)), "the default room exists at start");

    let created = client.create_room().name("show-1").tags("team", "live").send().await.unwrap();
    assert_eq!(created.maximum_message_length(), Some(500), "documented default");
    assert_eq!(created.maximum_message_rate_per_second(), Some(10), "documented default");
    let arn = created.arn().unwrap().to_owned();
    assert!(arn.starts_with("arn:aws:ivschat:us-east-1:000000000000:room/"));
    assert!(created.create_time().is_some());
    let got = client.get_room().identifier(&arn).send().await.unwrap();
    assert_eq!(got.name(), Some("show-1"));
    assert_eq!(got.tags().unwrap()["team"], "live");
    let filtered = client.list_rooms().name("show-1").send().await.unwrap();
    assert_eq!(filtered.rooms().len(), 1);
    let page = client.list_rooms().max_results(1).send().await.unwrap();
    assert_eq!(page.rooms().len(), 1);
    let next = client.list_rooms().max_results(1).next_token(page.next_token().expect("a second page")).send().await.unwrap();
    assert_ne!(next.rooms()[0].arn(), page.rooms()[0].arn());

    let too_fast = client.create_room().maximum_message_rate_per_second(101).send().await.unwrap_err().into_service_error();
    assert_eq!(error_code(&too_fast), "ValidationException");
    let too_long = client.create_room().maximum_message_length(501).send().await.unwrap_err().into_service_error();
    assert_eq!(error_code(&too_long), "ValidationException");

    let issued = client.create_chat_token().room_identifier(&arn).user_id("ann").session_duration_in_minutes(30).send().await.unwrap();
    let now = aws_smithy_now();
    let token_left = issued.token_expiration_time().unwrap().secs() - now;
    let session_left = issued.session_expiration_time().unwrap().secs() - now;
    assert!((55..=61).contains(&token_left), "a token is valid for a minute: {token_left}s");
    assert!((29 * 60..=30 * 60 + 1).contains(&session_left), "the session lasts as asked: {session_left}s");
    let long = client.create_chat_token().room_identifier(&arn).user_id("ann").session_duration_in_minutes(181).send().await.unwrap_err();
    assert_eq!(error_code(&long.into_service_error()), "ValidationException");
    let no_room = client.create_chat_token().room_identifier(format!("{arn}x")).user_id("ann").send().await.unwrap_err();
    assert_eq!(error_code(&no_room.into_service_error()), "ResourceNotFoundException");
    let big = client.send_event().room_identifier(&arn).event_name("x").attributes("k", "v".repeat(1100)).send().await.unwrap_err();
    assert_eq!(error_code(&big.into_service_error()), "ValidationException");

    client.delete_room().identifier(&arn).send().await.unwrap();
    let gone = client.get_room().identifier(&arn).send().await.unwrap_err().into_service_error();
    assert_eq!(error_code(&gone), "ResourceNotFoundException");
    assert!(gone.is_resource_not_found_exception());
}

fn aws_smithy_now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn the_room_carries_every_action_event_and_error() {
    let stack = Stack::builder().offline().local_args(&["--chat-blocked-word", "forbidden"]).start().unwrap();
    let client = ivschat_client(&stack).await;
    let room = client.create_room().maximum_message_length(10).maximum_message_rate_per_second(3).send().await.unwrap();
    let room = room.arn().unwrap().to_owned();
    let all = [ChatTokenCapability::SendMessage, ChatTokenCapability::DeleteMessage, ChatTokenCapability::DisconnectUser];
    let mut ann = Client::connect(&stack, &token(&stack, &room, "ann", &[ChatTokenCapability::SendMessage]).await).await;
    let mut bob = Client::connect(&stack, &token(&stack, &room, "bob", &[]).await).await;
    let mut moderator = Client::connect(&stack, &token(&stack, &room, "mod", &all).await).await;

    // A message reaches everyone, the sender included; success is answered by nothing else.
    ann.send(json!({"Action": "SEND_MESSAGE", "RequestId": "r1", "Content": "héllo 👋", "Attributes": {"color": "teal"}})).await;
    let mut message_id = String::new();
    for client in [&mut ann, &mut bob, &mut moderator] {
        let frame = client.next().await;
        assert_eq!(frame["Type"], "MESSAGE");
        assert_eq!(frame["Content"], "héllo 👋");
        assert_eq!(frame["RequestId"], "r1");
        assert_eq!(frame["Attributes"]["color"], "teal");
        assert_eq!(frame["Sender"]["UserId"], "ann");
        assert_eq!(frame["Sender"]["Attributes"]["displayName"], "ann (display)", "attributes come from the token");
        assert!(frame["SendTime"].as_str().unwrap().ends_with('Z'));
        message_id = frame["Id"].as_str().unwrap().to_owned();
    }
    ann.silent(200).await;

    // 403: no capability.
    bob.send(json!({"Action": "SEND_MESSAGE", "RequestId": "b1", "Content": "hi"})).await;
    let error = bob.next().await;
    assert_eq!((error["Type"].as_str(), error["ErrorCode"].as_u64(), error["RequestId"].as_str()), (Some("ERROR"), Some(403), Some("b1")));
    assert!(error["Id"].is_string() && error["ErrorMessage"].is_string());
    bob.send(json!({"Action": "DELETE_MESSAGE", "Id": message_id})).await;
    assert_eq!(bob.next().await["ErrorCode"], 403);
    ann.send(json!({"Action": "DISCONNECT_USER", "UserId": "bob"})).await;
    assert_eq!(ann.next().await["ErrorCode"], 403);

    // 413: longer than the room's limit, counted in code points (10 fit, 11 do not).
    ann.send(json!({"Action": "SEND_MESSAGE", "RequestId": "long", "Content": "ééééééééééé"})).await;
    let error = ann.next().await;
    assert_eq!((error["ErrorCode"].as_u64(), error["RequestId"].as_str()), (Some(413), Some("long")));

    // 400: not JSON, an unknown action, a missing field.
    ann.send_raw("{not json").await;
    assert_eq!(ann.next().await["ErrorCode"], 400);
    ann.send(json!({"Action": "FLY", "RequestId": "f"})).await;
    let error = ann.next().await;
    assert_eq!((error["ErrorCode"].as_u64(), error["RequestId"].as_str()), (Some(400), Some("f")));
    ann.send(json!({"Action": "SEND_MESSAGE"})).await;
    assert_eq!(ann.next().await["ErrorCode"], 400);

    // 429: the room-wide rate (3/s here) — the fourth message within a second is refused.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for n in 0..4 {
        ann.send(json!({"Action": "SEND_MESSAGE", "RequestId": format!("burst{n}"), "Content": format!("m{n}")})).await;
    }
    // The refusal answers the request directly, the messages come through the room: their
    // relative order on the wire is not fixed, their content is.
    let mut messages = Vec::new();
    let mut refused = Vec::new();
    for _ in 0..4 {
        let frame = ann.next().await;
        match frame["ErrorCode"].as_u64() {
            Some(code) => refused.push((code, frame["RequestId"].as_str().unwrap_or_default().to_owned())),
            None => messages.push(frame["Content"].as_str().unwrap_or_default().to_owned()),
        }
    }
    assert_eq!(messages, ["m0", "m1", "m2"]);
    assert_eq!(refused, [(429, "burst3".to_owned())]);
    for _ in 0..3 {
        assert_eq!(bob.next().await["Type"], "MESSAGE");
        assert_eq!(moderator.next().await["Type"], "MESSAGE");
    }

    // DELETE_MESSAGE by a moderator: aws:DELETE_MESSAGE to everyone.
    moderator.send(json!({"Action": "DELETE_MESSAGE", "Id": message_id, "Reason": "spam", "RequestId": "d1"})).await;
    for client in [&mut ann, &mut bob, &mut moderator] {
        let event = client.next().await;
        assert_eq!(event["Type"], "EVENT");
        assert_eq!(event["EventName"], "aws:DELETE_MESSAGE");
        assert_eq!(event["Attributes"]["MessageId"], message_id.as_str());
        assert_eq!(event["Attributes"]["MessageID"], message_id.as_str(), "and the older name IVS still sends");
        assert_eq!(event["Attributes"]["Reason"], "spam");
    }

    // SendEvent from the control plane reaches the room.
    let sent = client.send_event().room_identifier(&room).event_name("app:poll").attributes("pollId", "p1").send().await.unwrap();
    let event = bob.next().await;
    assert_eq!((event["EventName"].as_str(), event["Id"].as_str()), (Some("app:poll"), sent.id()));
    assert_eq!(event["Attributes"]["pollId"], "p1");
    ann.next().await;
    moderator.next().await;

    // DISCONNECT_USER: the event to everyone, then the user's connection is closed.
    moderator.send(json!({"Action": "DISCONNECT_USER", "UserId": "ann", "Reason": "be nice"})).await;
    for client in [&mut bob, &mut moderator] {
        let event = client.next().await;
        assert_eq!(event["EventName"], "aws:DISCONNECT_USER");
        assert_eq!(event["Attributes"]["UserId"], "ann");
        assert_eq!(event["Attributes"]["Reason"], "be nice");
    }
    assert_eq!(ann.next().await["EventName"], "aws:DISCONNECT_USER");
    assert!(ann.closed(Duration::from_secs(2)).await.contains("be nice"));

    // The control plane's DeleteMessage and DisconnectUser do the same.
    client.delete_message().room_identifier(&room).id("abc").reason("r").send().await.unwrap();
    assert_eq!(bob.next().await["EventName"], "aws:DELETE_MESSAGE");
    moderator.next().await;
    client.disconnect_user().room_identifier(&room).user_id("bob").send().await.unwrap();
    assert_eq!(bob.next().await["EventName"], "aws:DISCONNECT_USER");
    bob.closed(Duration::from_secs(2)).await;
    moderator.next().await;

    // 406: the default room has a review handler here, which rejects the blocked word.
    let mut carl = Client::connect(&stack, &token(&stack, DEFAULT_ROOM, "carl", &[ChatTokenCapability::SendMessage]).await).await;
    carl.send(json!({"Action": "SEND_MESSAGE", "RequestId": "x", "Content": "a Forbidden word"})).await;
    assert_eq!(carl.next().await["ErrorCode"], 406);

    // 404: the room is deleted after the token was issued.
    let orphan = token(&stack, &room, "dan", &[]).await;
    client.delete_room().identifier(&room).send().await.unwrap();
    assert!(moderator.closed(Duration::from_secs(2)).await.contains("Room deleted"), "deleting a room closes its connections");
    let mut dan = Client::connect(&stack, &orphan).await;
    assert_eq!(dan.next().await["ErrorCode"], 404);
}

#[tokio::test]
async fn tokens_are_single_use_and_sessions_expire() {
    // One IVS minute lasts a second here, so expiry can be watched.
    let stack = Stack::builder().offline().local_args(&["--chat-minute-secs", "1"]).start().unwrap();
    let reused = ivschat_client(&stack)
        .await
        .create_chat_token()
        .room_identifier(DEFAULT_ROOM)
        .user_id("ann")
        .session_duration_in_minutes(1)
        .send()
        .await
        .unwrap()
        .token
        .unwrap();
    let mut first = Client::connect(&stack, &reused).await;
    let mut second = Client::connect(&stack, &reused).await;
    let error = second.next().await;
    assert_eq!((error["Type"].as_str(), error["ErrorCode"].as_u64()), (Some("ERROR"), Some(401)), "a token is used once");
    second.closed(Duration::from_secs(1)).await;

    let started = Instant::now();
    assert_eq!(first.closed(Duration::from_secs(3)).await, "Session expired");
    assert!(started.elapsed() < Duration::from_millis(1500), "closed when its one-minute session ended");

    let stale = token(&stack, DEFAULT_ROOM, "ann", &[]).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let mut late = Client::connect(&stack, &stale).await;
    assert_eq!(late.next().await["ErrorCode"], 401, "a token expires after its minute");

    // No token at all: the handshake is refused.
    let request = stack.chat.as_str().into_client_request().unwrap();
    assert!(tokio_tungstenite::connect_async(request).await.is_err());
}

#[tokio::test]
async fn the_site_backend_decides_who_a_viewer_is_and_what_it_may_do() {
    let stack = Stack::builder().offline().start().unwrap();
    let url = format!("{}/api/chat/token", stack.site);

    // A first visit: the page gives a new viewer, remembered by a signed, HttpOnly cookie; a token
    // request never makes one up.
    let (status, _, body) = http_with("POST", &url, &[], "").unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("reload the page to chat"), "{body}");
    let (status, head, _) = http_with("GET", &format!("{}/", stack.site), &[], "").unwrap();
    assert_eq!(status, 200);
    assert!(head.contains("httponly") && head.contains("samesite=lax"), "{head}");
    let cookie = set_cookie(&head).expect("an identity cookie");
    // It may send, no more.
    let (status, head, body) = http_with("POST", &url, &[("Cookie", &cookie)], "").unwrap();
    assert_eq!(status, 200, "{body}");
    assert!(set_cookie(&head).is_none(), "a known viewer keeps its cookie");
    let first: Value = serde_json::from_str(&body).unwrap();
    let user = first["userId"].as_str().unwrap().to_owned();
    assert!(user.starts_with("viewer-"));
    assert_eq!(first["capabilities"], json!(["SEND_MESSAGE"]));
    assert_eq!(first["maximumMessageLength"], 500);
    assert!(!first["displayName"].as_str().unwrap().is_empty());

    // The same cookie is the same viewer, with a new single-use token each time.
    let (_, head, body) = http_with("POST", &url, &[("Cookie", &cookie)], "").unwrap();
    let again: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(again["userId"], user.as_str());
    assert_ne!(again["token"], first["token"]);
    assert!(set_cookie(&head).is_none(), "a known viewer keeps its cookie");

    // A cookie the browser made up names nobody.
    let forged = format!("ivs_viewer={MODERATOR}.{}", "0".repeat(64));
    assert_eq!(http_with("POST", &url, &[("Cookie", &forged)], "").unwrap().0, 401);

    // Only the operator signs in as someone else, and the key never goes in an address: a key in
    // the address is refused (not tried), the form takes it in its body, a one-time link works once.
    let in_address = format!("{}/sign-in?user={MODERATOR}&key={}", stack.site, stack.sign_in_key);
    let (status, head, _) = http_with("GET", &in_address, &[], "").unwrap();
    assert!(status == 400 && set_cookie(&head).is_none(), "{status}");
    let form = |key: &str| {
        let body = format!("user={MODERATOR}&key={key}");
        let (status, head, _) = http_with("POST", &format!("{}/sign-in", stack.site), &[("Content-Type", "application/x-www-form-urlencoded")], &body).unwrap();
        (status, set_cookie(&head))
    };
    assert_eq!(form("guess"), (403, None));
    let (status, by_form) = form(&stack.sign_in_key);
    assert_eq!(status, 303);
    assert!(by_form.is_some());
    let link = stack.sign_in_url(MODERATOR);
    assert!(!link.contains(&stack.sign_in_key) && !link.contains("key="), "{link}");
    let (status, head, _) = http_with("GET", &link, &[], "").unwrap();
    assert_eq!(status, 303);
    let moderator_cookie = set_cookie(&head).unwrap();
    let (status, head, body) = http_with("GET", &link, &[], "").unwrap();
    assert!(status == 410 && set_cookie(&head).is_none(), "a link works once: {body}");
    let (_, _, body) = http_with("POST", &url, &[("Cookie", &moderator_cookie)], "").unwrap();
    let moderator: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(moderator["userId"], MODERATOR);
    assert_eq!(moderator["capabilities"], json!(["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"]));

    // The token works in the room, once.
    let mut client = Client::connect(&stack, moderator["token"].as_str().unwrap()).await;
    client.send(json!({"Action": "SEND_MESSAGE", "Content": "hello"})).await;
    let frame = client.next().await;
    assert_eq!(frame["Sender"]["UserId"], MODERATOR);
    assert_eq!(frame["Sender"]["Attributes"]["badge"], "moderator");
}

/// A message review handler's Lambda, stood in for by an HTTP endpoint (as `--chat-review-url`
/// reaches it): denies "nope", rewrites "rewrite me", answers "slow" too late; keeps what it
/// was asked and with which header.
async fn review_endpoint() -> (String, std::sync::Arc<std::sync::Mutex<Vec<(Value, String)>>>) {
    use axum::http::HeaderMap;
    let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let kept = asked.clone();
    let app = axum::Router::new().route(
        "/review",
        axum::routing::post(move |headers: HeaderMap, axum::Json(event): axum::Json<Value>| {
            let kept = kept.clone();
            async move {
                let secret = headers.get("x-review-secret").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                kept.lock().unwrap().push((event.clone(), secret));
                let answer = match event["Content"].as_str().unwrap_or_default() {
                    "nope" => json!({"ReviewResult": "DENY"}),
                    "rewrite me" => json!({"ReviewResult": "ALLOW", "Content": "rewritten", "Attributes": {"reviewed": "yes"}}),
                    "slow" => {
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        json!({"ReviewResult": "ALLOW"})
                    }
                    _ => json!({"ReviewResult": "ALLOW"}),
                };
                axum::Json(answer)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/review", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, asked)
}

#[tokio::test]
async fn the_review_handler_is_asked_about_each_message_as_ivs_asks_its_lambda() {
    let (url, asked) = review_endpoint().await;
    let stack = Stack::builder().offline().local_args(&["--chat-review-url", &url, "--chat-review-header", "x-review-secret: s3cret"]).start().unwrap();
    let mut ann = Client::connect(&stack, &token(&stack, DEFAULT_ROOM, "ann", &[ChatTokenCapability::SendMessage]).await).await;

    // Allowed as sent, with IVS's event: the message's id, the room, the sender and its address.
    ann.send(json!({"Action": "SEND_MESSAGE", "RequestId": "r1", "Content": "hello", "Attributes": {"color": "teal"}})).await;
    let message = ann.next().await;
    assert_eq!((message["Type"].as_str(), message["Content"].as_str()), (Some("MESSAGE"), Some("hello")));
    let (event, secret) = asked.lock().unwrap()[0].clone();
    assert_eq!(secret, "s3cret");
    assert_eq!(event["MessageId"], message["Id"], "the handler is told the id the message gets");
    assert_eq!((event["RoomArn"].as_str(), event["Sender"]["UserId"].as_str()), (Some(DEFAULT_ROOM), Some("ann")));
    assert_eq!((event["Attributes"]["color"].as_str(), event["Sender"]["Attributes"]["displayName"].as_str()), (Some("teal"), Some("ann (display)")));
    assert_eq!(event["Sender"]["Ip"], "127.0.0.1");

    // Denied: 406 to the sender alone.
    ann.send(json!({"Action": "SEND_MESSAGE", "RequestId": "r2", "Content": "nope"})).await;
    let error = ann.next().await;
    assert_eq!((error["ErrorCode"].as_u64(), error["RequestId"].as_str()), (Some(406), Some("r2")));
    // Rewritten: the room carries the handler's content and attributes.
    ann.send(json!({"Action": "SEND_MESSAGE", "RequestId": "r3", "Content": "rewrite me"})).await;
    let message = ann.next().await;
    assert_eq!((message["Content"].as_str(), message["Attributes"]["reviewed"].as_str()), (Some("rewritten"), Some("yes")));
    // Too late (over 200 ms): the room's fallbackResult, ALLOW by default.
    ann.send(json!({"Action": "SEND_MESSAGE", "RequestId": "r4", "Content": "slow"})).await;
    assert_eq!(ann.next().await["Content"], "slow");

    // A room made with fallbackResult DENY refuses what is not answered in time.
    let client = ivschat_client(&stack).await;
    let handler = aws_sdk_ivschat::types::MessageReviewHandler::builder()
        .uri("arn:aws:lambda:us-east-1:000000000000:function:review")
        .fallback_result(aws_sdk_ivschat::types::FallbackResult::Deny)
        .build();
    let room = client.create_room().message_review_handler(handler).send().await.unwrap().arn().unwrap().to_owned();
    let mut bob = Client::connect(&stack, &token(&stack, &room, "bob", &[ChatTokenCapability::SendMessage]).await).await;
    bob.send(json!({"Action": "SEND_MESSAGE", "RequestId": "b1", "Content": "slow"})).await;
    assert_eq!(bob.next().await["ErrorCode"], 406);
    bob.send(json!({"Action": "SEND_MESSAGE", "RequestId": "b2", "Content": "fine"})).await;
    assert_eq!(bob.next().await["Content"], "fine");
}
