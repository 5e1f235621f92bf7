//! The playback view: the video (made and owned by the player; placed here, never re-rendered), its state, prompts,
//! the offline slate and the overlays from timed metadata.

use ivs_proto::config::ViewerConfig;
use leptos::html::Div;
use leptos::prelude::*;

use super::playback_prompts::PlaybackPrompts;
use super::slate::Slate;
use super::status_badge::StatusBadge;
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::hooks::use_stream_status::StreamStatusStore;
use crate::lazy::{lazy, over_the_video, overlay_cards, product_tray};

/// The player with everything drawn over it.
#[component]
pub fn Viewer(
    /// Where to play from and how to start; `None` while it loads.
    #[prop(into)]
    config: Signal<Option<ViewerConfig>>,
) -> impl IntoView {
    let video_host = NodeRef::<Div>::new();
    let stage = NodeRef::<Div>::new();
    let player = expect_context::<UseIvsPlayerReturn>();
    player.start(video_host, config);
    let stream_status = use_context::<StreamStatusStore>();
    view! {
        <section class="viewer" data-testid="viewer">
            // The stage (what goes full screen) holds the video's frame and the cards, which sit
            // over the picture or, where it is small, in a panel under it (style/main.css).
            <div class="stage" node_ref=stage>
              <div class="frame">
                <div node_ref=video_host class="video-host"></div>
                <StatusBadge status=player.status />
                {move || stream_status.and_then(|s| s.live()).map(|stream| view! {
                    <span class="viewer-count" data-testid="viewer-count">{stream.watching()}</span>
                    {stream.starving().then(|| view! {
                        <p class="health-warning" data-testid="health-warning" role="status">
                            "The broadcast's connection is unstable — the picture may stutter."
                        </p>
                    })}
                })}
                {lazy(Some("player controls"), move || over_the_video(stage, config))}
                <Slate status=player.status fatal=player.fatal />
                <PlaybackPrompts
                    audio_blocked=player.audio_blocked
                    muted=player.muted
                    playback_blocked=player.playback_blocked
                />
              </div>
              {lazy(None, overlay_cards)}
            </div>
            {lazy(None, product_tray)}
        </section>
    }
}
