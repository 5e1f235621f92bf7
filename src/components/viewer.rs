//! The playback view: the video (made and owned by the player; placed here, never re-rendered), its state, prompts,
//! the offline slate and the overlays from timed metadata.

use ivs_proto::config::ViewerConfig;
use leptos::html::Div;
use leptos::prelude::*;

use super::playback_prompts::PlaybackPrompts;
use super::poll_card::PollCard;
use super::product_card::ProductCard;
use super::slate::Slate;
use super::status_badge::StatusBadge;
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::hooks::use_polls::PollsStore;

/// The player with everything drawn over it.
#[component]
pub fn Viewer(
    /// Where to play from and how to start; `None` while it loads.
    #[prop(into)]
    config: Signal<Option<ViewerConfig>>,
) -> impl IntoView {
    let video_host = NodeRef::<Div>::new();
    let player = expect_context::<UseIvsPlayerReturn>();
    player.start(video_host, config);
    // A viewer who arrives mid-poll gets what is on screen from the backend, once.
    if let Some(polls) = use_context::<PollsStore>() {
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let Some(url) = config.with(|c| c.as_ref().map(|c| c.state_url.clone())) else { return false };
            if let Some(url) = url {
                polls.load_state(&url, player.board, player.position.into());
            }
            true
        });
    }

    let poll = Signal::derive(move || player.board.with(|b| b.poll.clone()));
    let product = Signal::derive(move || player.board.with(|b| b.product.clone()));
    let dismiss_product = Callback::new(move |()| player.board.update(|b| b.dismiss_product()));

    view! {
        <section class="viewer" data-testid="viewer">
            <div class="stage">
                <div node_ref=video_host class="video-host"></div>
                <StatusBadge status=player.status />
                <div class="overlays" data-testid="overlays">
                    {move || poll.get().map(|(poll, cue_start)| view! {
                        <PollCard poll=poll cue_start=cue_start position=player.position />
                    })}
                    {move || product.get().map(|product| view! {
                        <ProductCard product=product on_dismiss=dismiss_product />
                    })}
                </div>
                <Slate status=player.status fatal=player.fatal />
                <PlaybackPrompts
                    audio_blocked=player.audio_blocked
                    muted=player.muted
                    playback_blocked=player.playback_blocked
                />
            </div>
        </section>
    }
}
