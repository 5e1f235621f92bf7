//! The root component: loads the configuration and shows the viewer, or a clear error.

use ivs_proto::playback::{PlayerState, Status};
use leptos::prelude::*;

use crate::bindings::messages::in_frame;
use crate::components::clip_button::{ClipSource, ClipSourceSignal};
use crate::components::rewind::RewindSource;
use crate::components::viewer::Viewer;
use crate::config::{Loaded, Source};
use crate::hooks::use_ivs_player::{use_ivs_player, UseIvsPlayerReturn};
use crate::hooks::use_overlay_board::OverlayBoard;
use crate::hooks::use_polls::{provide_polls, PollsStore};
use crate::hooks::use_stage::provide_stage;
use crate::hooks::use_stream_status::provide_stream_status;
use crate::i18n::t;
use crate::lazy::{chat_panel, embed_api, embed_builder, lazy, past_broadcasts, stage_board, stage_view};
use ivs_proto::site::ErrorCode;

/// The whole app: the viewer, or on `/embed-code` the embed code generator.
#[component]
pub fn App() -> impl IntoView {
    if crate::config::is_embed_code() {
        return view! { <main class="app">{lazy(Some("part.embed_builder"), embed_builder)}</main> }.into_any();
    }
    if crate::config::is_stage() {
        return StagePage().into_any();
    }
    if crate::config::is_past() {
        return PastPage().into_any();
    }
    ViewerPage().into_any()
}

/// The configuration, once read or fetched (the request goes out now).
pub fn load_config() -> ReadSignal<Option<Loaded>> {
    let (loaded, set_loaded) = signal(None::<Loaded>);
    match crate::config::load() {
        Source::Inline(config) => set_loaded.set(Some(*config)),
        Source::Fetching(request) => leptos::task::spawn_local(async move { set_loaded.set(Some(request.await)) }),
    }
    loaded
}

/// What every view of a channel shares, as context: `player` (and its handle), the overlay board
/// it feeds, the stream's status and the polls (returned). The page and `<ivs-viewer>` both start so.
pub fn provide_channel(player: UseIvsPlayerReturn) -> PollsStore {
    provide_context(player);
    provide_context(player.handle);
    provide_context(player.analytics);
    OverlayBoard::provide_for_player(&player);
    provide_polls(provide_stream_status())
}

/// The viewer page (and the embed route).
#[component]
fn ViewerPage() -> impl IntoView {
    // Start-up order matters for time to first frame: the configuration request goes out first,
    // then the player is created (its worker boots meanwhile), then the view mounts; the stream
    // loads the moment the configuration and the <video> are both there.
    let loaded = load_config();
    let player = use_ivs_player();
    let polls = provide_channel(player);
    let config = Signal::derive(move || loaded.get().and_then(Result::ok));
    Effect::new(move |_| polls.set_votes_url(config.with(|c| c.as_ref().and_then(|c| c.votes_url.clone()))));
    Effect::new(move |_| polls.set_results_url(config.with(|c| c.as_ref().and_then(|c| c.poll_results_url.clone()))));
    let error = move || loaded.get().and_then(Result::err).map(|e| e.words());
    let chat = Memo::new(move |_| config.with(|c| c.as_ref().and_then(|c| c.chat.clone())));
    let embed = crate::config::is_embed();
    // Clips are cut from the live broadcast or the replay, where the site makes them.
    let clip_source = Signal::derive(move || {
        config.with(|c| {
            let c = c.as_ref()?;
            if c.clip.is_some() {
                return None;
            }
            Some(ClipSource { url: c.clips_url.clone()?, recording_id: c.replay.as_ref().map(|r| r.recording_id.clone()) })
        })
    });
    provide_context(ClipSourceSignal(clip_source));
    // A live channel may be rewound into the broadcast so far, where the site keeps recordings.
    provide_context(RewindSource(Signal::derive(move || {
        config.with(|c| c.as_ref().filter(|c| c.replay.is_none() && c.clip.is_none()).and_then(|c| c.recordings_url.clone()))
    })));
    let playing_clip = Memo::new(move |_| config.with(|c| c.as_ref().is_some_and(|c| c.clip.is_some())));
    // A replay starts where its link says (`&t=`), once the recording plays.
    let replay = Memo::new(move |_| config.with(|c| c.as_ref().and_then(|c| c.replay.clone())));
    Effect::new(move |done: Option<bool>| {
        if done == Some(true) {
            return true;
        }
        let Some(start) = replay.with(|r| r.as_ref().map(|r| r.start_secs)) else { return false };
        let Some(start) = start else { return true };
        if !matches!(player.status.get(), Status::Player(PlayerState::Playing | PlayerState::Ready)) {
            return false;
        }
        player.handle.seek_to(start);
        true
    });
    let embed_origins = Memo::new(move |_| config.with(|c| c.as_ref().map(|c| c.embed_origins.clone())));
    view! {
        <main class="app" class:with-chat=move || chat.with(Option::is_some) class:embed=embed>
            {move || embed_origins.get().filter(|allowlist| !allowlist.is_empty() && in_frame()).map(|allowlist| {
                lazy(None, move || embed_api(allowlist.clone()))
            })}
            <Show
                when=move || error().is_none()
                fallback=move || view! { <p class="app-error" role="alert" data-testid="config-error">{error()}</p> }
            >
                {move || (replay.with(Option::is_some) || playing_clip.get()).then(|| view! {
                    <nav class="replay-bar" aria-label=t("replay.bar") data-testid="replay-bar">
                        <span class="replay-label">{t(if playing_clip.get_untracked() { "replay.clip" } else { "replay.label" })}</span>
                        <a href="/">{t("replay.watch_live")}</a>
                        <a href="/past">{t("replay.all")}</a>
                    </nav>
                })}
                <Viewer config=config cards_under_when_room=!embed />
                {move || chat.get().map(|chat| lazy(Some("part.chat"), move || chat_panel(chat.clone())))}
                {move || (!embed && replay.with(Option::is_none) && !playing_clip.get()).then(|| view! { <SiteLinks config=config on=Page::Channel /> })}
            </Show>
        </main>
    }
}

/// The past broadcasts page (`/past`).
#[component]
fn PastPage() -> impl IntoView {
    let loaded = load_config();
    let config = Signal::derive(move || loaded.get().and_then(Result::ok));
    let error = move || match loaded.get() {
        Some(Err(e)) => Some(e.words()),
        Some(Ok(config)) if config.recordings_url.is_none() => Some(t("replay.none")),
        _ => None,
    };
    let url = Memo::new(move |_| config.with(|c| c.as_ref().and_then(|c| c.recordings_url.clone())));
    view! {
        <main class="app past-page">
            <Show
                when=move || error().is_none()
                fallback=move || view! { <p class="app-error" role="alert" data-testid="config-error">{error()}</p> }
            >
                {move || url.get().map(|url| lazy(Some("part.past"), move || past_broadcasts(url.clone())))}
            </Show>
        </main>
    }
}

/// The stage page (`/stage`): the participants who publish on the site's real-time stage, the
/// polls and overlays shown on it under them, and the chat (through which the line-up's changes
/// and the overlays arrive) beside them.
#[component]
fn StagePage() -> impl IntoView {
    let loaded = load_config();
    provide_stage();
    OverlayBoard::provide_for_stage();
    let stream_status = provide_stream_status();
    let polls = provide_polls(stream_status);
    let config = Signal::derive(move || loaded.get().and_then(Result::ok));
    Effect::new(move |_| polls.set_votes_url(config.with(|c| c.as_ref().and_then(|c| c.votes_url.clone()))));
    let error = move || match loaded.get() {
        Some(Err(e)) => Some(e.words()),
        Some(Ok(config)) if config.stage_token_url.is_none() => Some(t(ErrorCode::NoStage.key())),
        _ => None,
    };
    let token_url = Memo::new(move |_| config.with(|c| c.as_ref().and_then(|c| c.stage_token_url.clone())));
    let chat = Memo::new(move |_| config.with(|c| c.as_ref().and_then(|c| c.chat.clone())));
    view! {
        <main class="app stage-page" class:with-chat=move || chat.with(Option::is_some)>
            <Show
                when=move || error().is_none()
                fallback=move || view! { <p class="app-error" role="alert" data-testid="config-error">{error()}</p> }
            >
                <div class="stage-main">
                    {move || token_url.get().map(|url| lazy(Some("part.stage"), move || stage_view(url.clone())))}
                    {lazy(Some("part.overlays"), move || stage_board(config))}
                </div>
                {move || chat.get().map(|chat| lazy(Some("part.chat"), move || chat_panel(chat.clone())))}
                <SiteLinks config=config on=Page::Stage />
            </Show>
        </main>
    }
}

/// Which of the site's pages [`SiteLinks`] is on.
#[derive(Clone, Copy, PartialEq)]
enum Page {
    Channel,
    Stage,
}

/// The site's other pages, under the page (never above the picture, which would move it): the
/// channel, the stage and the past broadcasts, each only where the site has it.
#[component]
fn SiteLinks(config: Signal<Option<ivs_proto::config::ViewerConfig>>, on: Page) -> impl IntoView {
    let links = move || {
        config.with(|c| {
            let Some(c) = c.as_ref() else { return Vec::new() };
            let mut links = Vec::new();
            if on != Page::Channel {
                links.push(("/", "links.channel"));
            }
            if on != Page::Stage && c.stage_token_url.is_some() {
                links.push(("/stage", "links.stage"));
            }
            if c.recordings_url.is_some() {
                links.push(("/past", "links.past"));
            }
            links
        })
    };
    move || {
        let links = links();
        (!links.is_empty()).then(|| {
            view! {
                <nav class="site-links" aria-label=t("links.label") data-testid="site-links">
                    {links.into_iter().map(|(href, label)| view! { <a href=href>{t(label)}</a> }).collect_view()}
                </nav>
            }
        })
    }
}
