//! Every route's answers, without a socket or IVS: the app is built with [`App::new`] from a test
//! double of IVS and an embedded store in a temporary directory, and requests go through the
//! router with `oneshot`. What a browser or a producer would be told is asserted: statuses, the
//! sentences and codes, the refusals of other sites' pages, body limits and cache headers. Kept
//! whole (over 500 lines): one router, one test double, every route beside the others.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::app::{App, Parts};
use crate::config::Config;
use crate::identity::Identity;
use crate::ivs::{
    Call, ChannelFacts, ChatTokenRequest, IssuedChatToken, IssuedStageToken, Ivs, IvsError, LiveStream, RoomFacts, StageFacts, StageParticipant,
    StageTokenRequest, StreamKey,
};

const ORIGIN: &str = "https://live.example.com";
const SHOP: &str = "https://shop.example";
const OPERATOR_KEY: &str = "operator-key-for-the-tests";
const EVENTS_SECRET: &str = "events-secret-for-the-tests";
const REVIEW_SECRET: &str = "the-review-secret-0123";

/// IVS as the tests want it: live or not, throttling or not; it remembers what it was asked.
#[derive(Default)]
struct FakeIvs {
    offline: Mutex<bool>,
    throttled: Mutex<bool>,
    /// The stage has no session.
    stage_idle: Mutex<bool>,
    /// The channel's stream keys (ARN, value); none made yet: one.
    keys: Mutex<Option<Vec<StreamKey>>>,
    calls: Mutex<Vec<String>>,
}

impl FakeIvs {
    fn called(&self, what: String) {
        self.calls.lock().unwrap().push(what);
    }
}

impl Ivs for FakeIvs {
    fn stream_keys<'a>(&'a self, _: &'a str) -> Call<'a, Vec<StreamKey>> {
        Box::pin(async move {
            let mut keys = self.keys.lock().unwrap();
            Ok(keys.get_or_insert_with(|| vec![StreamKey { arn: "key-0".into(), value: "sk_first".into() }]).clone())
        })
    }
    fn delete_stream_key<'a>(&'a self, arn: &'a str) -> Call<'a, ()> {
        Box::pin(async move {
            self.called(format!("DeleteStreamKey {arn}"));
            self.keys.lock().unwrap().get_or_insert_with(Vec::new).retain(|k| k.arn != arn);
            Ok(())
        })
    }
    fn create_stream_key<'a>(&'a self, _: &'a str) -> Call<'a, StreamKey> {
        Box::pin(async move {
            let mut keys = self.keys.lock().unwrap();
            let keys = keys.get_or_insert_with(Vec::new);
            let key = StreamKey { arn: format!("key-{}", keys.len() + 1), value: format!("sk_new_{}", keys.len() + 1) };
            keys.push(key.clone());
            Ok(key)
        })
    }
    fn get_channel<'a>(&'a self, _: &'a str) -> Call<'a, ChannelFacts> {
        Box::pin(async {
            Ok(ChannelFacts {
                playback_url: Some("https://play.example/x.m3u8".into()),
                authorized: false,
                ingest_endpoint: Some("abc.global-contribute.live-video.net".into()),
                recording_configuration_arn: None,
            })
        })
    }
    fn get_room<'a>(&'a self, _: &'a str) -> Call<'a, RoomFacts> {
        Box::pin(async { Ok(RoomFacts { maximum_message_length: Some(500) }) })
    }
    fn get_stream<'a>(&'a self, _: &'a str) -> Call<'a, LiveStream> {
        Box::pin(async move {
            if *self.offline.lock().unwrap() {
                return Err(IvsError::NotBroadcasting);
            }
            Ok(LiveStream { stream_id: "st-test".into(), healthy: true, viewer_count: 3 })
        })
    }
    fn put_metadata<'a>(&'a self, _: &'a str, metadata: &'a str) -> Call<'a, ()> {
        Box::pin(async move {
            if *self.throttled.lock().unwrap() {
                return Err(IvsError::Throttled);
            }
            self.called(format!("PutMetadata {metadata}"));
            Ok(())
        })
    }
    fn send_event<'a>(&'a self, _: &'a str, name: &'a str, _: std::collections::HashMap<String, String>) -> Call<'a, ()> {
        Box::pin(async move {
            self.called(format!("SendEvent {name}"));
            Ok(())
        })
    }
    fn create_chat_token(&self, request: ChatTokenRequest) -> Call<'_, IssuedChatToken> {
        Box::pin(async move {
            self.called(format!("CreateChatToken {} {}", request.user_id, request.capabilities.join(",")));
            Ok(IssuedChatToken { token: "chat-token".into(), session_expiration_time: "2030-01-01T00:00:00Z".into() })
        })
    }
    fn playback_key_pair_names(&self) -> Call<'_, Vec<String>> {
        Box::pin(async { Ok(Vec::new()) })
    }
    fn import_playback_key_pair<'a>(&'a self, _: &'a str, _: &'a str) -> Call<'a, ()> {
        Box::pin(async { Ok(()) })
    }
    fn get_stage<'a>(&'a self, _: &'a str) -> Call<'a, StageFacts> {
        Box::pin(async {
            let session = (!*self.stage_idle.lock().unwrap()).then(|| "st-session".to_owned());
            Ok(StageFacts { whip_url: Some("https://whip.example/whip".into()), active_session_id: session })
        })
    }
    fn create_participant_token(&self, request: StageTokenRequest) -> Call<'_, IssuedStageToken> {
        Box::pin(async move {
            self.called(format!("CreateParticipantToken {} {}", request.user_id, request.capabilities.join(",")));
            Ok(IssuedStageToken { token: "stage-token".into(), participant_id: "p-new".into(), expiration_time: "2030-01-01T00:00:00Z".into() })
        })
    }
    fn list_participants<'a>(&'a self, _: &'a str, _: &'a str) -> Call<'a, Vec<StageParticipant>> {
        Box::pin(async move {
            let participant =
                |id: &str, connected, published| StageParticipant { participant_id: id.into(), user_id: format!("user-{id}"), connected, published };
            let mut listed = vec![participant("p1", true, true), participant("p2", true, false), participant("p3", false, true)];
            if *self.offline.lock().unwrap() {
                listed.clear();
            }
            Ok(listed)
        })
    }
}

/// The app over a temporary directory (a built viewer of one page and one content-named file).
struct Site {
    app: App,
    ivs: Arc<FakeIvs>,
    dir: PathBuf,
}

impl Drop for Site {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Site {
    fn new() -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("ivs-site-routes-{}-{n}", std::process::id()));
        std::fs::create_dir_all(dir.join("dist")).unwrap();
        std::fs::write(dir.join("dist/index.html"), "<html><head><title>t</title></head><body></body></html>").unwrap();
        std::fs::write(dir.join("dist/main-0123456789abcdef.css"), "body{}").unwrap();
        let toml = format!(
            r#"
            public_origin = "{ORIGIN}"
            embed_origins = ["{SHOP}"]
            site_dir = "{dist}"
            data_dir = "{data}"
            [channel]
            arn = "arn:aws:ivs:us-east-1:000000000000:channel/local"
            [chat]
            room_arn = "arn:aws:ivschat:us-east-1:000000000000:room/local"
            review_secret = "{REVIEW_SECRET}"
            [identity]
            moderators = ["moderator"]
            sign_in_key = "the-sign-in-key"
            [operator]
            keys = ["{OPERATOR_KEY}"]
            [events]
            secret = "{EVENTS_SECRET}"
            [stage]
            arn = "arn:aws:ivs:us-east-1:000000000000:stage/show"
            hosts = ["host-1"]
            [recordings]
            base_url = "https://d111.cloudfront.net"
            "#,
            dist = dir.join("dist").display(),
            data = dir.join("data").display(),
        );
        let config = Config::parse(&toml, |_| None).unwrap();
        let ivs = Arc::new(FakeIvs::default());
        let parts = Parts {
            ivs: ivs.clone(),
            store: Arc::new(crate::store::embedded::Embedded::open(&config.data_dir).unwrap()),
            identity: Identity::load(&config.identity, &config.data_dir, true).unwrap(),
            signer: None,
            operator_keys: config.operator.keys.clone(),
            playback_url: "https://play.example/x.m3u8".into(),
            chat_endpoint: "wss://chat.example".into(),
            max_message_length: 500,
            stage_whip_url: Some("https://whip.example/whip".into()),
        };
        Self { app: App::new(config, parts), ivs, dir }
    }

    /// Sends `request` from a browser at 192.0.2.1.
    async fn send(&self, mut request: Request<Body>) -> Response {
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 5000))));
        self.app.router().oneshot(request).await.unwrap()
    }

    async fn get(&self, path: &str, cookie: Option<&str>) -> Response {
        let mut request = Request::get(path);
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// A POST from this site's own page (`Origin`), with `cookie` and `body`.
    async fn post(&self, path: &str, cookie: Option<&str>, body: impl Into<Body>) -> Response {
        self.post_with(path, &[(header::ORIGIN.as_str(), ORIGIN)], cookie, body).await
    }

    async fn post_with(&self, path: &str, headers: &[(&str, &str)], cookie: Option<&str>, body: impl Into<Body>) -> Response {
        let mut request = Request::post(path).header(header::CONTENT_TYPE, "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        self.send(request.body(body.into()).unwrap()).await
    }

    /// An operator's call with the operator key.
    async fn operator(&self, path: &str, body: &str) -> Response {
        let bearer = format!("Bearer {OPERATOR_KEY}");
        self.post_with(path, &[("authorization", bearer.as_str())], None, body.to_owned()).await
    }

    /// A newcomer's identity cookie, as the page gives it.
    async fn viewer(&self) -> String {
        let page = self.get("/", None).await;
        cookie_of(&page).expect("the page gives a newcomer an identity")
    }
}

fn header_of(response: &Response, name: header::HeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

fn cookie_of(response: &Response) -> Option<String> {
    header_of(response, header::SET_COOKIE).map(|c| c.split(';').next().unwrap_or_default().to_owned())
}

async fn json(response: Response) -> Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
}

#[tokio::test]
async fn the_page_inlines_the_configuration_with_its_policy_and_a_newcomers_identity() {
    let site = Site::new();
    let page = site.get("/", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    let csp = header_of(&page, header::CONTENT_SECURITY_POLICY).unwrap().to_owned();
    assert!(csp.contains("connect-src 'self' https://play.example wss://chat.example") && csp.ends_with("frame-ancestors 'none'"), "{csp}");
    assert_eq!(header_of(&page, header::CACHE_CONTROL), Some("no-cache"));
    assert_eq!(header_of(&page, header::X_CONTENT_TYPE_OPTIONS), Some("nosniff"));
    let cookie = header_of(&page, header::SET_COOKIE).unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("Secure"), "{cookie}");
    let body = json(page).await;
    assert!(body.as_str().unwrap().contains(r#"id="ivs-viewer-config">{"#), "{body}");
    // The embed route may be framed by the embed origins; a known viewer is given no second identity.
    let embed = site.get("/embed", Some(&site.viewer().await)).await;
    assert!(header_of(&embed, header::CONTENT_SECURITY_POLICY).unwrap().ends_with(&format!("frame-ancestors 'self' {SHOP}")));
    assert!(cookie_of(&embed).is_none());
    let config = json(site.get("/config.json", None).await).await;
    assert_eq!(config["chatTokenUrl"], "/api/chat/token");
    assert_eq!(config["playbackUrlOverrides"], serde_json::json!([]), "a link cannot repoint the site's pages unless it says so");
}

#[tokio::test]
async fn only_files_named_by_their_content_are_kept_for_a_year() {
    let site = Site::new();
    let file = site.get("/main-0123456789abcdef.css", None).await;
    assert_eq!((file.status(), header_of(&file, header::CACHE_CONTROL)), (StatusCode::OK, Some("public, max-age=31536000, immutable")));
    // A content name that is not there answers with the page, which must not stick.
    let missing = site.get("/main-fedcba9876543210.css", None).await;
    assert_eq!(header_of(&missing, header::CACHE_CONTROL), Some("no-cache"));
    assert!(header_of(&missing, header::CONTENT_TYPE).unwrap().starts_with("text/html"));
}

#[tokio::test]
async fn other_sites_pages_are_refused_before_anything_happens() {
    let site = Site::new();
    let cookie = site.viewer().await;
    for (path, headers) in [
        ("/api/chat/token", [("origin", "https://evil.example")]),
        ("/api/polls/poll-1/vote", [("sec-fetch-site", "cross-site")]),
        ("/api/playback-token", [("origin", "null")]),
        ("/sign-in", [("origin", "https://evil.example")]),
    ] {
        let refused = site.post_with(path, &headers, Some(&cookie), r#"{"option":0}"#).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{path}");
        assert_eq!(header_of(&refused, header::CACHE_CONTROL), Some("no-store"));
        let answer = json(refused).await;
        assert_eq!(answer["error"], "requests from other sites are refused");
        assert_eq!(answer["code"], "other_site", "a stable code beside the words");
    }
    assert!(site.ivs.calls.lock().unwrap().is_empty(), "IVS was never asked");
}

/// The `<ivs-viewer site>` element on an embed origin's page: its configuration comes with an
/// identity and the CORS headers that let it read it; it may vote and get tokens with that
/// identity; preflights are answered; an origin not listed gets neither headers nor service, and
/// the operator's routes are never offered across origins.
#[tokio::test]
async fn an_embed_origin_uses_the_viewers_api_across_origins_and_no_other() {
    let site = Site::new();
    let from_shop = |path: &str| Request::get(path).header(header::ORIGIN, SHOP).body(Body::empty()).unwrap();
    let config = site.send(from_shop("/config.json")).await;
    assert_eq!(config.status(), StatusCode::OK);
    assert_eq!(header_of(&config, header::ACCESS_CONTROL_ALLOW_ORIGIN), Some(SHOP));
    assert_eq!(header_of(&config, header::ACCESS_CONTROL_ALLOW_CREDENTIALS), Some("true"));
    assert!(header_of(&config, header::VARY).is_some_and(|v| v.contains("origin")));
    let cookie = cookie_of(&config).expect("an identity with the configuration");
    let set = header_of(&config, header::SET_COOKIE).unwrap();
    assert!(set.contains("SameSite=None") && set.contains("Secure") && set.contains("Partitioned"), "{set}");

    let preflight = site
        .send(Request::options("/api/polls/p/vote").header(header::ORIGIN, SHOP).header("access-control-request-method", "POST").body(Body::empty()).unwrap())
        .await;
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(header_of(&preflight, header::ACCESS_CONTROL_ALLOW_ORIGIN), Some(SHOP));
    assert!(header_of(&preflight, header::ACCESS_CONTROL_ALLOW_METHODS).is_some_and(|m| m.contains("POST")));

    let token = site.post_with("/api/chat/token", &[("origin", SHOP)], Some(&cookie), "").await;
    assert_eq!(token.status(), StatusCode::OK, "the shop's page gets a chat token for its visitor");
    assert_eq!(header_of(&token, header::ACCESS_CONTROL_ALLOW_ORIGIN), Some(SHOP));

    // Another origin: no CORS headers, no identity, no service.
    let other = site.send(Request::get("/config.json").header(header::ORIGIN, "https://evil.example").body(Body::empty()).unwrap()).await;
    assert_eq!(header_of(&other, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
    assert_eq!(cookie_of(&other), None);
    let refused = site.post_with("/api/chat/token", &[("origin", "https://evil.example")], Some(&cookie), "").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(header_of(&refused, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
    // The operator's routes are not the viewer's: no CORS even for the shop.
    let bearer = format!("Bearer {OPERATOR_KEY}");
    let publish = site.post_with("/api/overlays", &[("origin", SHOP), ("authorization", &bearer)], None, r#"{"type":"clear"}"#).await;
    assert_eq!(header_of(&publish, header::ACCESS_CONTROL_ALLOW_ORIGIN), None);
}

#[tokio::test]
async fn a_chat_token_is_for_the_person_in_the_cookie_and_moderators_get_moderation() {
    let site = Site::new();
    let anonymous = site.post("/api/chat/token", None, "").await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let answer = json(anonymous).await;
    assert_eq!((answer["error"].as_str(), answer["code"].as_str()), (Some("reload the page to chat"), Some("sign_in")));

    let viewer = site.viewer().await;
    let token = site.post("/api/chat/token", Some(&viewer), "").await;
    assert_eq!((token.status(), header_of(&token, header::CACHE_CONTROL)), (StatusCode::OK, Some("no-store")));
    let token = json(token).await;
    assert_eq!((token["token"].as_str(), token["capabilities"].as_array().map(Vec::len)), (Some("chat-token"), Some(1)));

    // Signed in with the sign-in key as a moderator: moderation too.
    let form = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ORIGIN, ORIGIN)
        .body(Body::from("user=moderator&key=the-sign-in-key"))
        .unwrap();
    let signed_in = site.send(form).await;
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let moderator = cookie_of(&signed_in).unwrap();
    let token = json(site.post("/api/chat/token", Some(&moderator), "").await).await;
    assert_eq!(token["capabilities"], serde_json::json!(["SEND_MESSAGE", "DELETE_MESSAGE", "DISCONNECT_USER"]));
    let calls = site.ivs.calls.lock().unwrap().clone();
    assert!(calls.iter().any(|c| c == "CreateChatToken moderator SEND_MESSAGE,DELETE_MESSAGE,DISCONNECT_USER"), "{calls:?}");
}

#[tokio::test]
async fn a_published_poll_takes_one_vote_per_person_and_says_why_not() {
    let site = Site::new();
    let published = site.operator("/api/overlays", r#"{"type":"poll","question":"Which?","options":["A","B"],"duration":30}"#).await;
    assert_eq!(published.status(), StatusCode::OK);
    let id = json(published).await["id"].as_str().unwrap().to_owned();
    let viewer = site.viewer().await;
    let path = format!("/api/polls/{id}/vote");
    let vote = |body: &'static str| site.post(&path, Some(&viewer), body);
    let counted = vote(r#"{"option":1}"#).await;
    assert_eq!(counted.status(), StatusCode::OK);
    assert_eq!(json(counted).await["counts"], serde_json::json!([0, 1]));
    let again = vote(r#"{"option":0}"#).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(json(again).await["myVote"], 1);
    assert_eq!(vote(r#"{"option":"x"}"#).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(site.post("/api/polls/no-such-poll/vote", Some(&viewer), r#"{"option":0}"#).await.status(), StatusCode::NOT_FOUND);
    let stranger = site.post(&format!("/api/polls/{id}/vote"), None, r#"{"option":0}"#).await;
    assert_eq!(stranger.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(stranger).await["error"], "reload the page to vote");
    // What is on screen now names the poll, with this viewer's vote.
    let state = json(site.get("/api/state", Some(&viewer)).await).await;
    assert_eq!(state["poll"]["myVote"], 1, "{state}");
    // Its result, for a replay: open still, so not cached; closed early, cached.
    let result = site.get(&format!("/api/polls/{id}"), None).await;
    assert_eq!(header_of(&result, header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(json(result).await, serde_json::json!({ "counts": [0, 1], "closed": false }));
    site.operator("/api/overlays", &format!(r#"{{"type":"poll-close","id":"{id}"}}"#)).await;
    let result = site.get(&format!("/api/polls/{id}"), None).await;
    assert_eq!(header_of(&result, header::CACHE_CONTROL), Some("no-store"), "votes in the grace after closing still count");
    assert_eq!(json(result).await["closed"], true);
    assert_eq!(site.get("/api/polls/no-such-poll", None).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused() {
    let site = Site::new();
    let viewer = site.viewer().await;
    let huge = format!(r#"{{"option":0,"pad":"{}"}}"#, "x".repeat(super::BODY_LIMIT));
    assert_eq!(site.post("/api/polls/poll-1/vote", Some(&viewer), huge.clone()).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(site.operator("/api/overlays", &huge).await.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn publishing_needs_the_operator_key_and_a_live_channel() {
    let site = Site::new();
    let notice = r#"{"type":"notice","text":"Hello"}"#;
    assert_eq!(site.post("/api/overlays", None, notice).await.status(), StatusCode::FORBIDDEN);
    let wrong = site.post_with("/api/overlays", &[("authorization", "Bearer nope")], None, notice).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(site.operator("/api/overlays", "not json").await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(site.operator("/api/overlays", r#"{"type":"nonsense"}"#).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(site.operator("/api/overlays", notice).await.status(), StatusCode::OK);
    *site.ivs.throttled.lock().unwrap() = true;
    assert_eq!(site.operator("/api/overlays", notice).await.status(), StatusCode::TOO_MANY_REQUESTS);
    *site.ivs.offline.lock().unwrap() = true;
    let offline = site.operator("/api/overlays", notice).await;
    assert_eq!(offline.status(), StatusCode::CONFLICT);
    assert!(json(offline).await["error"].as_str().unwrap().contains("not live"));
}

#[tokio::test]
async fn operator_calls_are_rate_limited_with_a_retry_after() {
    let site = Site::new();
    let mut last = None;
    for _ in 0..50 {
        let answer = site.operator("/api/sign-in-links", r#"{"user":"someone"}"#).await;
        if answer.status() == StatusCode::TOO_MANY_REQUESTS {
            last = Some(answer);
            break;
        }
    }
    let limited = last.expect("the operator rate is reached");
    assert!(header_of(&limited, header::RETRY_AFTER).is_some_and(|s| s.parse::<u64>().is_ok()));
}

#[tokio::test]
async fn a_one_time_link_signs_in_once() {
    let site = Site::new();
    let link = json(site.operator("/api/sign-in-links", r#"{"user":"moderator"}"#).await).await;
    let path = link["url"].as_str().unwrap().strip_prefix(ORIGIN).unwrap().to_owned();
    let followed = site.get(&path, None).await;
    assert_eq!(followed.status(), StatusCode::SEE_OTHER);
    assert!(cookie_of(&followed).is_some());
    assert_eq!(header_of(&followed, header::LOCATION), Some("/"), "a moderator goes on to the viewer");
    assert_eq!(site.get(&path, None).await.status(), StatusCode::GONE);
    let producer = json(site.operator("/api/sign-in-links", r#"{"user":"producer"}"#).await).await;
    let followed = site.get(producer["url"].as_str().unwrap().strip_prefix(ORIGIN).unwrap(), None).await;
    assert_eq!(header_of(&followed, header::LOCATION), Some("/studio"), "an operator goes on to the studio");
    assert_eq!(site.operator("/api/sign-in-links", r#"{"user":"has space"}"#).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(site.get("/sign-in?key=the-sign-in-key", None).await.status(), StatusCode::BAD_REQUEST, "a key in the address is refused");
}

#[tokio::test]
async fn events_need_the_secret_and_a_readable_body() {
    let site = Site::new();
    let event = r#"{"id":"e-1","detail-type":"IVS Stream State Change","source":"aws.ivs","account":"000000000000","time":"2026-01-01T00:00:00Z","region":"us-east-1","resources":["arn:aws:ivs:us-east-1:000000000000:channel/local"],"detail":{"event_name":"Stream Start","channel_name":"local","stream_id":"st-1"}}"#;
    assert_eq!(site.post_with("/api/events", &[], None, event).await.status(), StatusCode::UNAUTHORIZED);
    let secret = [(super::events::EVENTS_SECRET_HEADER, EVENTS_SECRET)];
    let taken = site.post_with("/api/events", &secret, None, event).await;
    assert_eq!(taken.status(), StatusCode::OK);
    assert_eq!(json(taken).await["taken"], true);
    assert_eq!(json(site.post_with("/api/events", &secret, None, event).await).await["taken"], false, "a duplicate");
    assert_eq!(site.post_with("/api/events", &secret, None, "{").await.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_public_channel_has_no_playback_tokens() {
    let site = Site::new();
    let answer = site.post("/api/playback-token", Some(&site.viewer().await), "").await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert_eq!(json(answer).await["error"], "the channel is not private");
}

#[tokio::test]
async fn the_stage_gives_viewers_subscribe_tokens_hosts_publish_ones_and_the_lineup() {
    let site = Site::new();
    let viewer = site.viewer().await;
    let answer = site.post("/api/stage/token", Some(&viewer), "").await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(header_of(&answer, header::CACHE_CONTROL), Some("no-store"));
    let token = json(answer).await;
    assert_eq!(token["capabilities"], serde_json::json!(["SUBSCRIBE"]));
    // Only who is connected and has published is in the line-up.
    assert_eq!(token["lineup"]["members"], serde_json::json!([{ "participantId": "p1", "userId": "user-p1" }]));

    let host = site.app.identity.cookie_for("host-1").split(';').next().unwrap().to_owned();
    let token = json(site.post("/api/stage/token", Some(&host), "").await).await;
    assert_eq!(token["capabilities"], serde_json::json!(["PUBLISH", "SUBSCRIBE"]));
    let calls = site.ivs.calls.lock().unwrap().clone();
    assert!(calls.contains(&"CreateParticipantToken host-1 PUBLISH,SUBSCRIBE".to_owned()), "{calls:?}");

    // Another site's page, and nobody known: refused.
    let other = site.post_with("/api/stage/token", &[("origin", "https://evil.example")], Some(&viewer), "").await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.post("/api/stage/token", None, "").await.status(), StatusCode::UNAUTHORIZED);

    // The page may reach the stage's media endpoint.
    let page = site.get("/", None).await;
    assert!(header_of(&page, header::CONTENT_SECURITY_POLICY).unwrap().contains("https://whip.example"));
}

#[tokio::test]
async fn a_stage_event_reads_the_lineup_again_and_pushes_a_change() {
    let site = Site::new();
    let lineup = json(site.get("/api/stage", None).await).await;
    assert_eq!(lineup["members"].as_array().map(Vec::len), Some(1));
    *site.ivs.offline.lock().unwrap() = true;
    let event = serde_json::json!({
        "version": "0", "id": "e1", "detail-type": "IVS Stage Update", "source": "aws.ivs", "account": "000000000000",
        "time": "2026-12-03T12:00:00Z", "region": "us-east-1", "resources": ["arn:aws:ivs:us-east-1:000000000000:stage/show"],
        "detail": { "session_id": "st-session", "event_name": "Participant Unpublished", "participant_id": "p1", "user_id": "user-p1" }
    });
    let answer = site.post_with("/api/events", &[("x-ivs-events-secret", EVENTS_SECRET)], None, event.to_string()).await;
    assert_eq!(json(answer).await["taken"], true);
    let lineup = json(site.get("/api/stage", None).await).await;
    assert_eq!(lineup["members"], serde_json::json!([]));
    let pushes = site.ivs.calls.lock().unwrap().iter().filter(|c| *c == "SendEvent app:stage-lineup").count();
    assert_eq!(pushes, 2, "the first reading and the change");
}

#[tokio::test]
async fn overlays_on_the_stage_travel_as_room_events_and_take_votes() {
    let site = Site::new();
    let poll = r#"{"type":"poll","question":"Who next?","options":["Ana","Ben"],"duration":30}"#;
    let published = site.operator("/api/overlays?on=stage", poll).await;
    assert_eq!(published.status(), StatusCode::OK);
    let id = json(published).await["id"].as_str().unwrap().to_owned();
    let calls = site.ivs.calls.lock().unwrap().clone();
    assert!(calls.contains(&"SendEvent app:stage-overlay".to_owned()), "{calls:?}");
    assert!(!calls.iter().any(|c| c.starts_with("PutMetadata")), "a stage has no timed metadata: {calls:?}");

    // A viewer who arrives on the stage's page finds the poll; the channel's screen is untouched.
    let viewer = site.viewer().await;
    assert_eq!(site.post(&format!("/api/polls/{id}/vote"), Some(&viewer), r#"{"option":1}"#).await.status(), StatusCode::OK);
    let state = json(site.get("/api/state?on=stage", Some(&viewer)).await).await;
    assert_eq!(state["poll"]["id"], id.as_str(), "{state}");
    assert_eq!(state["poll"]["counts"], serde_json::json!([0, 1]));
    assert_eq!(state["poll"]["myVote"], 1);
    assert!(json(site.get("/api/state", Some(&viewer)).await).await["poll"].is_null());

    // Refusals in words.
    let nowhere = site.get("/api/state?on=moon", None).await;
    assert_eq!(nowhere.status(), StatusCode::BAD_REQUEST);
    assert_eq!(site.operator("/api/overlays?on=moon", poll).await.status(), StatusCode::BAD_REQUEST);
    *site.ivs.stage_idle.lock().unwrap() = true;
    let idle = site.operator("/api/overlays?on=stage", poll).await;
    assert_eq!(idle.status(), StatusCode::CONFLICT);
    assert!(json(idle).await["error"].as_str().unwrap().contains("nobody is on the stage"));
}

fn recording_event(id: &str, time: &str, status: &str, prefix: &str, duration_ms: i64) -> String {
    serde_json::json!({
        "version": "0", "id": id, "detail-type": "IVS Recording State Change", "source": "aws.ivs", "account": "000000000000",
        "time": time, "region": "us-east-1", "resources": ["arn:aws:ivs:us-east-1:000000000000:channel/local"],
        "detail": { "channel_name": "local", "stream_id": "st-1", "recording_status": status, "recording_status_reason": if status.contains("Failure") { "S3 access denied" } else { "" },
            "recording_s3_bucket_name": "shows", "recording_s3_key_prefix": prefix, "recording_duration_ms": duration_ms }
    })
    .to_string()
}

#[tokio::test]
async fn recordings_are_listed_from_their_events_and_replayable_only_once_ended() {
    let site = Site::new();
    let secret = [(super::events::EVENTS_SECRET_HEADER, EVENTS_SECRET)];
    let first = "ivs/v1/000000000000/local/2026/12/3/10/0/RecOne";
    let second = "ivs/v1/000000000000/local/2026/12/3/11/0/RecTwo";
    let failed = "ivs/v1/000000000000/local/2026/12/3/12/0/RecBad";
    assert!(json(site.get("/api/recordings", None).await).await["recordings"].as_array().unwrap().is_empty());

    site.post_with("/api/events", &secret, None, recording_event("e1", "2026-12-03T10:00:00Z", "Recording Start", first, 0)).await;
    let listed = json(site.get("/api/recordings", None).await).await;
    assert_eq!(listed["recordings"][0]["state"], "recording");
    assert!(listed["recordings"][0]["playbackUrl"].is_null(), "not replayable before Recording End: {listed}");

    // The second broadcast's end arrives before its start; the first one ends.
    site.post_with("/api/events", &secret, None, recording_event("e2", "2026-12-03T11:30:00Z", "Recording End", second, 1_800_000)).await;
    site.post_with("/api/events", &secret, None, recording_event("e3", "2026-12-03T10:20:00Z", "Recording End", first, 1_200_000)).await;
    site.post_with("/api/events", &secret, None, recording_event("e4", "2026-12-03T11:00:00Z", "Recording Start", second, 0)).await;
    site.post_with("/api/events", &secret, None, recording_event("e5", "2026-12-03T12:00:05Z", "Recording Start Failure", failed, 0)).await;
    let answer = site.get("/api/recordings", None).await;
    assert_eq!(header_of(&answer, header::CACHE_CONTROL), Some("public, max-age=5"));
    let listed = json(answer).await;
    let states: Vec<(&str, &str)> =
        listed["recordings"].as_array().unwrap().iter().map(|r| (r["id"].as_str().unwrap(), r["state"].as_str().unwrap())).collect();
    assert_eq!(states, [("RecBad", "failed"), ("RecTwo", "ready"), ("RecOne", "ready")], "newest first, the failed one shown as failed");
    let one = json(site.get("/api/recordings/RecOne", None).await).await;
    assert_eq!(one["playbackUrl"], format!("https://d111.cloudfront.net/{first}/media/hls/master.m3u8"));
    assert_eq!(one["durationSecs"], 1200.0);
    assert_eq!(listed["recordings"][0]["reason"], "S3 access denied");

    // Paged.
    let page = json(site.get("/api/recordings?limit=2", None).await).await;
    let next = page["next"].as_str().expect("a next page").to_owned();
    let rest = json(site.get(&format!("/api/recordings?limit=2&before={next}"), None).await).await;
    assert_eq!(rest["recordings"][0]["id"], "RecOne");
    assert!(rest["next"].is_null());
    assert_eq!(site.get("/api/recordings?limit=many", None).await.status(), StatusCode::BAD_REQUEST);
    assert_eq!(site.get("/api/recordings/nope", None).await.status(), StatusCode::NOT_FOUND);
    // The page may fetch them (and their thumbnails: https already).
    let page = site.get("/", None).await;
    assert!(header_of(&page, header::CONTENT_SECURITY_POLICY).unwrap().contains("https://d111.cloudfront.net"));
    assert_eq!(json(site.get("/config.json", None).await).await["recordingsUrl"], "/api/recordings");
}

#[tokio::test]
async fn operators_read_and_replace_the_stream_key_and_nobody_else_sees_it() {
    let site = Site::new();
    assert_eq!(site.get("/api/stream-key", Some(&site.viewer().await)).await.status(), StatusCode::FORBIDDEN);
    let read = || Request::get("/api/stream-key").header("authorization", format!("Bearer {OPERATOR_KEY}")).body(Body::empty()).unwrap();
    let first = site.send(read()).await;
    assert_eq!(header_of(&first, header::CACHE_CONTROL), Some("no-store"));
    assert_eq!(json(first).await["value"], "sk_first");
    let rotated = json(site.operator("/api/stream-key/rotate", "").await).await;
    assert_ne!(rotated["value"], "sk_first");
    assert_eq!(json(site.send(read()).await).await["value"], rotated["value"], "one key, the new one");
    assert!(site.ivs.calls.lock().unwrap().contains(&"DeleteStreamKey key-0".to_owned()));
    assert_eq!(site.post("/api/stream-key/rotate", None, "").await.status(), StatusCode::FORBIDDEN);
}

/// An IVS event for the test channel, `seconds` into the broadcast `st-test` (the one GetStream tells of).
fn ivs_event(id: &str, seconds: u32, detail_type: &str, name: &str) -> String {
    serde_json::json!({
        "id": id, "detail-type": detail_type, "source": "aws.ivs", "account": "000000000000",
        "time": format!("2026-01-01T00:00:{seconds:02}Z"), "region": "us-east-1",
        "resources": ["arn:aws:ivs:us-east-1:000000000000:channel/local"],
        "detail": { "event_name": name, "channel_name": "local", "stream_id": "st-test" }
    })
    .to_string()
}

#[tokio::test]
async fn the_studio_is_for_operators_on_this_site_only() {
    let site = Site::new();
    let producer = site.app.identity.cookie_for("producer").split(';').next().unwrap().to_owned();
    let moderator = site.app.identity.cookie_for("moderator").split(';').next().unwrap().to_owned();
    let viewer = site.viewer().await;
    let poll = r#"{"type":"poll","question":"Which?","options":["A","B"],"duration":30}"#;
    // Every studio API refuses anyone else with 403: nobody, a viewer, a moderator.
    for cookie in [None, Some(viewer.as_str()), Some(moderator.as_str())] {
        for path in [
            "/api/studio",
            "/api/studio/channel",
            "/api/stream-key",
            "/api/studio/analytics",
            "/api/studio/analytics/offline",
            "/api/studio/analytics/offline/csv",
            "/api/studio/show",
            "/api/studio/chat",
        ] {
            let answer = site.get(path, cookie).await;
            assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{path} {cookie:?}");
        }
        for (path, body) in [
            ("/api/overlays", poll),
            ("/api/stream-key/rotate", ""),
            ("/api/sign-in-links", r#"{"user":"producer"}"#),
            ("/api/studio/show/intro/send", ""),
            ("/api/studio/show/keys/1", ""),
        ] {
            assert_eq!(site.post(path, cookie, body).await.status(), StatusCode::FORBIDDEN, "{path} {cookie:?}");
        }
    }
    // The operator, from this site's page; not from an embedding page or another site.
    for origin in [SHOP, "https://evil.example"] {
        let answer = site.post_with("/api/overlays", &[("origin", origin)], Some(&producer), poll).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{origin}");
        let answer = site.send(Request::get("/api/studio").header("origin", origin).header(header::COOKIE, &producer).body(Body::empty()).unwrap()).await;
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{origin}");
        assert!(header_of(&answer, header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none(), "never offered across origins");
    }
    let published = site.post("/api/overlays", Some(&producer), poll).await;
    assert_eq!(published.status(), StatusCode::OK);
    let id = json(published).await["id"].as_str().unwrap().to_owned();
    assert_eq!(json(site.get("/api/stream-key", Some(&producer)).await).await["value"], "sk_first");
    let channel = site.get("/api/studio/channel", Some(&producer)).await;
    assert_eq!(header_of(&channel, header::CACHE_CONTROL), Some("no-store"));
    let channel = json(channel).await;
    assert_eq!(channel["ingest"][0], "rtmps://abc.global-contribute.live-video.net:443/app/");
    assert_eq!(channel["ingest"][1], "rtmp://abc.global-contribute.live-video.net:1935/app/");

    // The live room: the poll on screen with its counts, the broadcast's events, a STARVING alert.
    let secret = [(super::events::EVENTS_SECRET_HEADER, EVENTS_SECRET)];
    for (n, (kind, name)) in [("IVS Stream State Change", "Stream Start"), ("IVS Stream Health Change", "Starvation Start")].into_iter().enumerate() {
        let event = ivs_event(&format!("e-{n}"), n as u32, kind, name);
        assert_eq!(site.post_with("/api/events", &secret, None, event).await.status(), StatusCode::OK);
    }
    let overview = site.get("/api/studio", Some(&producer)).await;
    assert_eq!(header_of(&overview, header::CACHE_CONTROL), Some("no-store"));
    let overview = json(overview).await;
    assert_eq!(overview["status"]["health"], "STARVING", "{overview}");
    assert_eq!(overview["alerts"][0]["kind"], "starving");
    assert_eq!(overview["timeline"].as_array().unwrap().iter().map(|m| m["kind"].as_str().unwrap()).collect::<Vec<_>>(), ["stream-start", "starvation-start"]);
    assert_eq!(overview["streamId"], "st-test");
    assert_eq!(overview["onScreen"]["poll"]["id"], id.as_str());
    assert_eq!(site.post(&format!("/api/polls/{id}/vote"), Some(&viewer), r#"{"option":1}"#).await.status(), StatusCode::OK);
    assert_eq!(json(site.get("/api/studio", Some(&producer)).await).await["onScreen"]["poll"]["counts"], serde_json::json!([0, 1]));

    // Closed early from the studio: the viewers' cue, and the poll's result says closed.
    let close = format!(r#"{{"type":"poll-close","id":"{id}"}}"#);
    assert_eq!(site.post("/api/overlays", Some(&producer), close).await.status(), StatusCode::OK);
    assert_eq!(json(site.get(&format!("/api/polls/{id}"), None).await).await["closed"], true);
}

#[tokio::test]
async fn viewers_report_playback_and_operators_read_it_by_broadcast() {
    let site = Site::new();
    let producer = site.app.identity.cookie_for("producer").split(';').next().unwrap().to_owned();
    let viewer = site.viewer().await;
    let report = r#"{"sample":1,"watchMs":30000,"presentMinutes":[0],"firstFrameMs":800,"rebuffers":1,"rebufferMs":3000,"errors":{"ErrorNetwork":1},"renditions":{"720p60":30000}}"#;
    // From this site's page with the person's cookie: taken (204). From elsewhere, or without a
    // person, or not a report: refused, and nothing is counted.
    assert_eq!(site.post_with("/api/analytics", &[("origin", "https://evil.example")], Some(&viewer), report).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(site.post("/api/analytics", None, report).await.status(), StatusCode::UNAUTHORIZED);
    let bad = site.post("/api/analytics", Some(&viewer), r#"{"watchMs":"a lot"}"#).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert!(json(bad).await["error"].as_str().unwrap().starts_with("not a report"));
    // Live (the events say so): the report goes into this broadcast's minute; so does a vote.
    let secret = [(super::events::EVENTS_SECRET_HEADER, EVENTS_SECRET)];
    assert_eq!(site.post_with("/api/events", &secret, None, ivs_event("e-0", 0, "IVS Stream State Change", "Stream Start")).await.status(), StatusCode::OK);
    assert_eq!(site.post("/api/analytics", Some(&viewer), report).await.status(), StatusCode::NO_CONTENT);
    let published = site.post("/api/overlays", Some(&producer), r#"{"type":"poll","question":"Which?","options":["A","B"],"duration":30}"#).await;
    let poll = json(published).await["id"].as_str().unwrap().to_owned();
    assert_eq!(site.post(&format!("/api/polls/{poll}/vote"), Some(&viewer), r#"{"option":0}"#).await.status(), StatusCode::OK);

    let overview = json(site.get("/api/studio/analytics", Some(&producer)).await).await;
    assert_eq!(overview["live"], "st-test");
    assert_eq!(overview["broadcasts"][0]["id"], "st-test", "{overview}");
    let series = json(site.get("/api/studio/analytics/st-test", Some(&producer)).await).await;
    let minute = &series["points"][0];
    assert_eq!((minute["viewers"].as_i64(), minute["rebuffers"].as_i64(), minute["votes"].as_i64()), (Some(1), Some(1), Some(1)), "{series}");
    assert_eq!(minute["errors"]["ErrorNetwork"], 1);
    assert_eq!(minute["firstFrameP50Ms"], 1000);
    let csv = site.get("/api/studio/analytics/st-test/csv", Some(&producer)).await;
    assert_eq!(header_of(&csv, header::CONTENT_TYPE), Some("text/csv; charset=utf-8"));
    assert_eq!(header_of(&csv, header::CONTENT_DISPOSITION), Some("attachment; filename=\"analytics-st-test.csv\""));
    let body = axum::body::to_bytes(csv.into_body(), usize::MAX).await.unwrap();
    let text = String::from_utf8(body.to_vec()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.lines().next().unwrap().ends_with("errors_ErrorNetwork,rendition_ms_720p60"));
    assert_eq!(site.get("/api/studio/analytics/..%2Fx", Some(&producer)).await.status(), StatusCode::NOT_FOUND);

    // A page reports once a minute (and as it is hidden): more from one person is refused.
    let refused = loop {
        let answer = site.post("/api/analytics", Some(&viewer), report).await;
        if answer.status() != StatusCode::NO_CONTENT {
            break answer;
        }
    };
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(header_of(&refused, header::RETRY_AFTER).is_some());
}

#[tokio::test]
async fn the_run_of_show_is_kept_checked_and_sent_by_hand_key_or_time() {
    let site = Site::new();
    let producer = site.app.identity.cookie_for("producer").split(';').next().unwrap().to_owned();
    let viewer = site.viewer().await;
    let put = |cookie: &str, body: String| {
        let request = Request::put("/api/studio/show").header(header::ORIGIN, ORIGIN).header(header::COOKIE, cookie).body(Body::from(body)).unwrap();
        site.send(request)
    };
    let soon = crate::clock::now_ms() + 300;
    let show = serde_json::json!({"items": [
        {"id": "intro", "overlay": {"type": "notice", "text": "Welcome", "duration": 10}, "trigger": {"kind": "manual"}},
        {"id": "poll-1", "overlay": {"type": "poll", "question": "Which?", "options": ["A", "B"], "duration": 30}, "trigger": {"kind": "key", "key": "1"}},
        {"id": "later", "overlay": {"type": "notice", "text": "Soon", "duration": 5}, "trigger": {"kind": "at", "atMs": soon}},
    ]});
    assert_eq!(put(&viewer, show.to_string()).await.status(), StatusCode::FORBIDDEN, "a viewer cannot");
    // An overlay the viewer would refuse: the list is refused in publishing's words, naming it.
    let mut bad = show.clone();
    bad["items"][1]["overlay"]["options"] = serde_json::json!(["A"]);
    let refused = put(&producer, bad.to_string()).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let words = json(refused).await["error"].as_str().unwrap().to_owned();
    assert!(words.starts_with("poll-1: the overlay is not valid"), "{words}");
    assert_eq!(json(site.get("/api/studio/show", Some(&producer)).await).await["items"], serde_json::json!([]), "nothing kept of a refused list");

    assert_eq!(put(&producer, show.to_string()).await.status(), StatusCode::OK);
    let kept = json(site.get("/api/studio/show", Some(&producer)).await).await;
    assert_eq!(kept["items"].as_array().unwrap().len(), 3);
    // By hand, by key (once), by time (the server's job).
    assert_eq!(site.post("/api/studio/show/intro/send", Some(&producer), "").await.status(), StatusCode::OK);
    let pressed = site.post("/api/studio/show/keys/1", Some(&producer), "").await;
    assert_eq!(pressed.status(), StatusCode::OK);
    let poll = json(pressed).await["id"].as_str().unwrap().to_owned();
    assert_eq!(json(site.get("/api/state", Some(&viewer)).await).await["poll"]["id"], poll.as_str(), "the key's poll is on screen");
    assert_eq!(site.post("/api/studio/show/keys/1", Some(&producer), "").await.status(), StatusCode::NOT_FOUND, "sent once");
    assert_eq!(site.post("/api/studio/show/nothing/send", Some(&producer), "").await.status(), StatusCode::NOT_FOUND);
    tokio::spawn(site.app.show.clone().run("test".into()));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let kept = json(site.get("/api/studio/show", Some(&producer)).await).await;
        let sent: Vec<bool> = kept["items"].as_array().unwrap().iter().map(|i| i["sentMs"].is_i64()).collect();
        if sent == [true, true, true] {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the timed overlay never went out: {kept}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The room's review handler asking about `content` from `user`, with IVS's event.
async fn ask(site: &Site, user: &str, badge: &str, content: &str, secret: &str) -> Response {
    let event = serde_json::json!({
        "Content": content, "MessageId": format!("m-{content}"), "RoomArn": "arn:aws:ivschat:us-east-1:000000000000:room/local",
        "Attributes": {}, "Sender": {"UserId": user, "Attributes": {"displayName": "Ann", "badge": badge}, "Ip": "192.0.2.9"}
    });
    site.post_with("/api/chat/review", &[("x-ivs-review-secret", secret)], None, event.to_string()).await
}

#[tokio::test]
async fn the_chat_desk_sets_rules_the_review_handler_applies_and_lists_what_they_held_back() {
    let site = Site::new();
    let producer = site.app.identity.cookie_for("producer").split(';').next().unwrap().to_owned();
    let viewer = site.viewer().await;
    let put = |cookie: &str, body: &str| {
        let request = Request::put("/api/studio/chat").header(header::ORIGIN, ORIGIN).header(header::COOKIE, cookie).body(Body::from(body.to_owned())).unwrap();
        site.send(request)
    };
    assert_eq!(put(&viewer, r#"{"words":["spoiler"]}"#).await.status(), StatusCode::FORBIDDEN, "a viewer cannot");
    let refused = put(&producer, r#"{"words":["!!!"],"slowModeSecs":5}"#).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert!(json(refused).await["error"].as_str().unwrap().contains("no letters or digits"));
    let desk = json(put(&producer, r#"{"words":[" spoiler ","Spoiler","free money"],"slowModeSecs":1}"#).await).await;
    assert_eq!(desk["rules"], serde_json::json!({"words": ["spoiler", "free money"], "slowModeSecs": 1}), "kept tidy");
    assert_eq!(desk["reviewing"], true);
    assert!(site.ivs.calls.lock().unwrap().iter().any(|c| c == "SendEvent app:chat-rules"), "the room is told");
    // A new chat token carries slow mode.
    let token = json(site.post("/api/chat/token", Some(&viewer), "").await).await;
    assert_eq!(token["slowModeSecs"], 1);

    // The room's review handler asks, with IVS's event and the review secret.
    assert_eq!(ask(&site, "ann", "", "hi", "wrong-secret-000000").await.status(), StatusCode::UNAUTHORIZED);
    let verdict = |answer: Value| answer["ReviewResult"].as_str().unwrap().to_owned();
    assert_eq!(verdict(json(ask(&site, "ann", "", "a SPOILER!", REVIEW_SECRET).await).await), "DENY");
    assert_eq!(verdict(json(ask(&site, "ann", "", "hello", REVIEW_SECRET).await).await), "ALLOW", "a word list hit does not start slow mode's clock");
    assert_eq!(verdict(json(ask(&site, "ann", "", "again", REVIEW_SECRET).await).await), "DENY", "slow mode: one message a second");
    assert_eq!(verdict(json(ask(&site, "bob", "", "hello", REVIEW_SECRET).await).await), "ALLOW", "each sender has a clock");
    assert_eq!(verdict(json(ask(&site, "mod", "moderator", "one", REVIEW_SECRET).await).await), "ALLOW");
    assert_eq!(verdict(json(ask(&site, "mod", "moderator", "two", REVIEW_SECRET).await).await), "ALLOW", "moderators are not slowed");
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(verdict(json(ask(&site, "ann", "", "again", REVIEW_SECRET).await).await), "ALLOW", "after slow mode's second");
    assert_eq!(site.post_with("/api/chat/review", &[("x-ivs-review-secret", REVIEW_SECRET)], None, "{}").await.status(), StatusCode::BAD_REQUEST);

    // The desk lists what was held back, newest first, with why.
    let desk = json(site.get("/api/studio/chat", Some(&producer)).await).await;
    let held = desk["held"].as_array().unwrap();
    assert_eq!(held.len(), 2);
    assert_eq!((held[0]["content"].as_str(), held[0]["word"].as_str()), (Some("again"), None));
    assert_eq!((held[1]["content"].as_str(), held[1]["word"].as_str(), held[1]["name"].as_str()), (Some("a SPOILER!"), Some("spoiler"), Some("Ann")));

    // Kept: a new app on the same store reads the same rules.
    let again = App::new(
        site.app.config.as_ref().clone(),
        Parts {
            ivs: site.ivs.clone(),
            store: site.app.store.clone(),
            identity: site.app.identity.clone(),
            signer: None,
            operator_keys: Vec::new(),
            playback_url: String::new(),
            chat_endpoint: String::new(),
            max_message_length: 500,
            stage_whip_url: None,
        },
    );
    assert_eq!(again.moderation.rules().await.unwrap().words, ["spoiler", "free money"]);
}

#[tokio::test]
async fn the_viewer_count_chart_is_the_pollers_on_every_instance_and_after_a_restart() {
    use crate::store::keys;
    let site = Site::new();
    let producer = site.app.identity.cookie_for("producer").split(';').next().unwrap().to_owned();
    // The instance holding the `status` lease polls GetStream (3 viewers here) and keeps the series.
    let poller = tokio::spawn(site.app.status.clone().run("instance-1".into(), std::time::Duration::from_millis(100)));
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    poller.abort();
    let kept: Value = serde_json::from_str(&site.app.store.get(keys::VIEWER_SERIES).await.unwrap().expect("the series is kept")).unwrap();
    assert_eq!(kept.as_array().and_then(|points| points.last()).map(|p| p["count"].clone()), Some(Value::from(3)), "{kept}");

    // Another instance (or this one restarted) draws the kept series, not one of its own.
    let now = crate::clock::now_ms();
    let earlier = serde_json::json!([{"timeMs": now - 120_000, "count": 4}, {"timeMs": now - 60_000, "count": 7}]);
    site.app.store.put(keys::VIEWER_SERIES, earlier.to_string()).await.unwrap();
    site.app.status.refresh().await.unwrap();
    let overview = json(site.get("/api/studio", Some(&producer)).await).await;
    let counts: Vec<i64> = overview["viewers"].as_array().unwrap().iter().filter_map(|p| p["count"].as_i64()).collect();
    assert_eq!(counts[..2], [4, 7], "{overview}");
}
