//! Components in headless Chromium (wasm-bindgen-test): what they render from given data.
#![cfg(target_arch = "wasm32")]

use ivs_proto::overlay::{parse_cue, Overlay};
use ivs_proto::playback::{ErrorKind, PlayerState, Status};
use ivs_viewer::bindings::ivs::PlayerError;
use ivs_viewer::components::playback_prompts::PlaybackPrompts;
use ivs_viewer::components::poll_card::PollCard;
use ivs_viewer::components::product_card::ProductCard;
use ivs_viewer::components::slate::Slate;
use ivs_viewer::components::status_badge::StatusBadge;
use ivs_viewer::hooks::use_ivs_player::use_ivs_player;
use leptos::prelude::*;
use leptos::task::tick;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts `view` in a fresh container and returns the container.
fn mount<V: IntoView + 'static>(view: impl FnOnce() -> V + 'static) -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let container: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&container).unwrap();
    let handle = leptos::mount::mount_to(container.clone(), view);
    handle.forget();
    container
}

fn by_test_id(root: &HtmlElement, id: &str) -> Option<web_sys::Element> {
    root.query_selector(&format!("[data-testid=\"{id}\"]")).unwrap()
}

#[wasm_bindgen_test]
async fn poll_card_shows_markup_as_text_and_counts_down_in_stream_time() {
    let Overlay::Poll(poll) = parse_cue(r#"{"type":"poll","question":"<img src=x onerror=alert(1)>","options":["<b>a</b>","b"],"duration":20}"#).unwrap()
    else {
        panic!("not a poll")
    };
    let position = RwSignal::new(100.0);
    let root = mount(move || view! { <PollCard poll=poll cue_start=100.0 position=position /> });
    let question = by_test_id(&root, "poll-question").unwrap();
    assert_eq!(question.text_content().unwrap(), "<img src=x onerror=alert(1)>");
    assert!(root.query_selector("img").unwrap().is_none(), "markup is not parsed");
    assert!(root.query_selector("b").unwrap().is_none());
    assert_eq!(by_test_id(&root, "poll-countdown").unwrap().text_content().unwrap(), "0:20 left");
    position.set(112.2);
    tick().await;
    assert_eq!(by_test_id(&root, "poll-countdown").unwrap().text_content().unwrap(), "0:08 left");
    position.set(130.0);
    tick().await;
    assert_eq!(by_test_id(&root, "poll-countdown").unwrap().text_content().unwrap(), "Closed");
}

#[wasm_bindgen_test]
fn product_card_links_only_to_the_checked_url_and_can_be_dismissed() {
    let Overlay::Product(product) =
        parse_cue(r#"{"type":"product","title":"Mug <script>","price":"$12","imageUrl":"https://cdn.example/mug.png","url":"https://shop.example/mug"}"#)
            .unwrap()
    else {
        panic!("not a product")
    };
    let dismissed = RwSignal::new(false);
    let root = mount(move || view! { <ProductCard product=product on_dismiss=Callback::new(move |()| dismissed.set(true)) /> });
    assert_eq!(by_test_id(&root, "product-title").unwrap().text_content().unwrap(), "Mug <script>");
    let link = root.query_selector("a").unwrap().unwrap();
    assert_eq!(link.get_attribute("href").unwrap(), "https://shop.example/mug");
    assert_eq!(link.get_attribute("rel").unwrap(), "noopener noreferrer");
    assert_eq!(root.query_selector("img").unwrap().unwrap().get_attribute("src").unwrap(), "https://cdn.example/mug.png");
    root.query_selector(".card-close").unwrap().unwrap().unchecked_into::<HtmlElement>().click();
    assert!(dismissed.get_untracked());
}

#[wasm_bindgen_test]
async fn slate_and_badge_follow_the_status() {
    let status = RwSignal::new(Status::Player(PlayerState::Playing));
    let fatal = RwSignal::new(None::<PlayerError>);
    let root = mount(move || view! { <StatusBadge status=status /> <Slate status=status fatal=fatal /> });
    assert_eq!(by_test_id(&root, "status").unwrap().text_content().unwrap(), "Playing");
    assert!(by_test_id(&root, "slate").is_none(), "nothing covers a playing video");

    status.set(Status::Offline);
    tick().await;
    let slate = by_test_id(&root, "slate").unwrap();
    assert_eq!(slate.get_attribute("data-kind").unwrap(), "offline");
    assert!(slate.text_content().unwrap().contains(&ivs_viewer::i18n::t(ErrorKind::Offline.key())));
    assert_eq!(by_test_id(&root, "status").unwrap().text_content().unwrap(), "Offline");

    status.set(Status::Failed { kind: ErrorKind::NotAuthorized, retrying: false });
    tick().await;
    assert!(by_test_id(&root, "slate").unwrap().text_content().unwrap().contains("not authorised"));

    fatal.set(Some(PlayerError::Unsupported));
    tick().await;
    assert!(by_test_id(&root, "slate").unwrap().text_content().unwrap().contains("This browser can't play"));
}

#[wasm_bindgen_test]
async fn prompts_offer_play_when_autoplay_is_refused_and_unmute_when_only_sound_is() {
    let (audio_blocked, muted, playback_blocked) = (RwSignal::new(false), RwSignal::new(false), RwSignal::new(false));
    let root = mount(move || {
        // No SDK on this test page: the hook reports that and gives a handle without a player.
        let player = use_ivs_player();
        assert_eq!(player.fatal.get_untracked(), Some(PlayerError::SdkMissing));
        provide_context(player.handle);
        view! { <PlaybackPrompts audio_blocked=audio_blocked muted=muted playback_blocked=playback_blocked /> }
    });
    assert!(by_test_id(&root, "click-to-play").is_none() && by_test_id(&root, "unmute").is_none());

    playback_blocked.set(true);
    tick().await;
    let play = by_test_id(&root, "click-to-play").expect("a play button");
    assert_eq!(play.text_content().unwrap().trim(), "Play");
    play.unchecked_into::<HtmlElement>().click(); // no player: nothing happens, nothing breaks

    playback_blocked.set(false);
    audio_blocked.set(true);
    muted.set(true);
    tick().await;
    assert!(by_test_id(&root, "click-to-play").is_none());
    assert_eq!(by_test_id(&root, "unmute").expect("an unmute button").text_content().unwrap().trim(), "Tap to unmute");

    muted.set(false);
    tick().await;
    assert!(by_test_id(&root, "unmute").is_none(), "gone once unmuted");
}

#[wasm_bindgen_test]
fn chat_lines_are_text_with_only_checked_links_and_deletions_leave_a_placeholder() {
    use ivs_proto::chat::{Attributes, Sender, Subscribe};
    use ivs_proto::chat_session::ChatLog;
    use ivs_proto::config::ChatConfig;
    use ivs_viewer::components::chat_line::render_line;
    use ivs_viewer::hooks::use_chat::use_chat;

    let message = Subscribe::Message {
        id: "m1".into(),
        request_id: None,
        content: "<img src=x onerror=alert(1)> javascript:alert(1) https://example.com/x".into(),
        attributes: Attributes::new(),
        send_time: "2026-11-24T12:00:00Z".into(),
        sender: Sender { user_id: "u1".into(), attributes: Attributes::from([("displayName".into(), "<b>Ann</b>".into())]) },
    };
    let mut log = ChatLog::new(10);
    log.apply(&message);
    let line = log.lines().next().unwrap().clone();
    // A chat that never connects (nothing listens there): the line needs its handle only.
    let config = ChatConfig { endpoint: "ws://127.0.0.1:9".into(), token_url: "/no-token-here".into() };
    let root = mount(move || {
        let chat = use_chat(config);
        view! { <ol>{render_line(line, chat, || false, || false, || None)}</ol> }
    });
    let text = root.query_selector(".chat-text").unwrap().unwrap().text_content().unwrap();
    assert_eq!(text, "<img src=x onerror=alert(1)> javascript:alert(1) https://example.com/x");
    assert_eq!(root.query_selector(".chat-name").unwrap().unwrap().text_content().unwrap(), "<b>Ann</b>");
    assert!(root.query_selector("img, b").unwrap().is_none(), "markup is not parsed");
    let links = root.query_selector_all("a").unwrap();
    assert_eq!(links.length(), 1);
    let link: web_sys::Element = links.get(0).unwrap().unchecked_into();
    assert_eq!(link.get_attribute("href").as_deref(), Some("https://example.com/x"));
    assert!(link.get_attribute("rel").unwrap().contains("noopener"));
    assert!(by_test_id(&root, "chat-delete").is_none(), "no moderation without the capability");

    let deletion = Subscribe::Event {
        id: "e1".into(),
        request_id: None,
        event_name: "aws:DELETE_MESSAGE".into(),
        attributes: Attributes::from([("MessageId".into(), "m1".into())]),
        send_time: "2026-11-24T12:00:01Z".into(),
    };
    log.apply(&deletion);
    let deleted = log.lines().next().unwrap().clone();
    let config = ChatConfig { endpoint: "ws://127.0.0.1:9".into(), token_url: "/no-token-here".into() };
    let root = mount(move || {
        let chat = use_chat(config);
        view! { <ol>{render_line(deleted, chat, || true, || true, || None)}</ol> }
    });
    let placeholder = by_test_id(&root, "chat-deleted").unwrap().text_content().unwrap();
    assert!(placeholder.contains("Message removed by a moderator"));
    assert!(!placeholder.contains("javascript"), "the deleted text is gone");
}
