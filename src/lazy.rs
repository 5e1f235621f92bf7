//! The parts of the viewer fetched when first needed rather than with the page.
//!
//! The page's wasm holds the core: the player, its state, the slate and the prompts. Each
//! `#[wasm_split(part)]` function below is an entry into code that `scripts/finish-wasm.sh` moves
//! into a file of its own (`split_<part>-<hash>.wasm`, with whatever only that part uses); calling it
//! fetches that file once, then runs the function. A part that cannot be fetched says so in the
//! page and is tried again after a backoff — the rest of the viewer goes on.

use std::future::Future;
use std::time::Duration;

use ivs_proto::backoff::Backoff;
use ivs_proto::config::{ChatConfig, ViewerConfig};
use ivs_proto::embed::Allowlist;
use leptos::html::Div;
use leptos::prelude::*;

use crate::i18n::{t, tf};
#[cfg(feature = "split")]
use leptos::wasm_split::{wasm_split, SplitLoaderError};
use send_wrapper::SendWrapper;

use gloo_timers::future::sleep;

/// A part's file could not be fetched or instantiated.
#[derive(Debug, Clone, Copy)]
pub struct NotLoaded;

/// One part: with the `split` feature (the site's build), a `#[wasm_split]` entry into a file of
/// its own, fetched on the first call; without it (the npm package's single module), the same
/// function, ready at once.
macro_rules! part {
    ($split:ident, $(#[doc = $doc:literal])* pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[doc = $doc])*
        #[cfg(feature = "split")]
        #[wasm_split($split, fallible, wasm_split_path = ::leptos::wasm_split)]
        pub fn $name($($arg: $ty),*) -> Result<AnyView, NotLoaded> $body

        $(#[doc = $doc])*
        #[cfg(not(feature = "split"))]
        pub async fn $name($($arg: $ty),*) -> Result<AnyView, NotLoaded> $body
    };
}

#[cfg(feature = "split")]
impl From<SplitLoaderError> for NotLoaded {
    fn from(_: SplitLoaderError) -> Self {
        NotLoaded
    }
}

part! { chat,
    /// The chat beside the video.
    pub fn chat_panel(config: ChatConfig) {
        use crate::components::chat_panel::ChatPanel;
        Ok(view! { <ChatPanel config=config /> }.into_any())
    }
}

part! { stage,
    /// What is drawn over the video: the notice from timed metadata (and the reading of cues), the
    /// control bar with the captions, and the keyboard shortcuts.
    pub fn over_the_video(stage: NodeRef<Div>, config: Signal<Option<ViewerConfig>>) {
        use crate::components::controls::Controls;
        use crate::components::overlays::NoticeOverlay;
        Ok(view! {
            <NoticeOverlay config=config />
            <Controls stage=stage />
        }
        .into_any())
    }
}

part! { stage,
    /// The poll, quiz and product cards: over the picture, or in a panel under it on small screens
    /// (in the same file).
    pub fn overlay_cards() {
        use crate::components::overlays::OverlayCards;
        Ok(view! { <OverlayCards /> }.into_any())
    }
}

part! { stage,
    /// The tray of recent products under the video (in the same file).
    pub fn product_tray() {
        use crate::components::overlays::Tray;
        Ok(view! { <Tray /> }.into_any())
    }
}

part! { stage,
    /// A real-time stage's overlays under its grid — the notice, the cards and the tray, from the
    /// room's `app:stage-overlay` events (in the same file as the channel's overlays).
    pub fn stage_board(config: Signal<Option<ViewerConfig>>) {
        use crate::components::overlays::{NoticeOverlay, OverlayCards, Tray};
        Ok(view! {
            <div class="stage-board" data-testid="stage-board">
                <NoticeOverlay config=config />
                <OverlayCards />
                <Tray />
            </div>
        }
        .into_any())
    }
}

part! { embed,
    /// The embed API, for a viewer in a host page's iframe (nothing to show).
    pub fn embed_api(allowlist: Allowlist) {
        use crate::hooks::use_embed_api::use_embed_api;
        use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
        use crate::hooks::use_polls::PollsStore;
        use_embed_api(allowlist, expect_context::<UseIvsPlayerReturn>(), use_context::<PollsStore>());
        Ok(().into_any())
    }
}

part! { realtime,
    /// The real-time stage page's grid (`/stage`), in a file of its own: the channel's viewers never
    /// fetch it.
    pub fn stage_view(token_url: String) {
        use crate::components::stage_view::StageView;
        Ok(view! { <StageView token_url=token_url /> }.into_any())
    }
}

part! { recordings,
    /// The past broadcasts page (`/past`), in a file of its own.
    pub fn past_broadcasts(url: String) {
        use crate::components::past_broadcasts::PastBroadcasts;
        Ok(view! { <PastBroadcasts url=url /> }.into_any())
    }
}

part! { embed_code,
    /// The embed code generator page (`/embed-code`).
    pub fn embed_builder() {
        use crate::components::embed_builder::EmbedBuilder;
        Ok(view! { <EmbedBuilder /> }.into_any())
    }
}

/// Shows what `load` builds once its part has arrived — nothing before. While the part cannot be
/// fetched it is tried again (1 s, doubling, up to 30 s, jittered), and when `what` names it, a
/// line says that it could not be loaded yet.
pub fn lazy<F, Fut>(what: Option<&'static str>, load: F) -> impl IntoView
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = Result<AnyView, NotLoaded>> + 'static,
{
    let (failing, set_failing) = signal(false);
    let view = Suspend::new(SendWrapper::new(async move {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        loop {
            match load().await {
                Ok(view) => {
                    set_failing.set(false);
                    return view;
                }
                Err(NotLoaded) => {
                    log::warn!("could not fetch {}; trying again", what.unwrap_or("a part of the viewer"));
                    set_failing.set(what.is_some());
                    sleep(backoff.next_delay(js_sys::Math::random())).await;
                }
            }
        }
    }));
    view! {
        {move || failing.get().then(|| view! {
            <p class="lazy-error" role="status" data-testid="lazy-error">
                {tf("part.failed", &[("part", &what.map(t).unwrap_or_default())])}
            </p>
        })}
        {view}
    }
}
