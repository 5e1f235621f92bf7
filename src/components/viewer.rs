//! The playback view: the video (made and owned by the player; placed here, never re-rendered), its state, prompts,
//! the offline slate and the overlays from timed metadata.

use ivs_proto::config::ViewerConfig;
use ivs_proto::layout::{cards_place, CardsPlace};
use leptos::html::Div;
use leptos::prelude::*;

use super::playback_prompts::PlaybackPrompts;
use super::slate::Slate;
use super::status_badge::StatusBadge;
use crate::bindings::dom::{is_fullscreen, BottomWatch};
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::hooks::use_stream_status::StreamStatusStore;
use crate::i18n::{t, tn_compact};
use crate::lazy::{lazy, over_the_video, overlay_cards, product_tray};

/// The player with everything drawn over it.
#[component]
pub fn Viewer(
    /// Where to play from and how to start; `None` while it loads.
    #[prop(into)]
    config: Signal<Option<ViewerConfig>>,
    /// The page's own viewer: the cards go under the picture when the screen has room for them
    /// there. Without it (an embed, `<ivs-viewer>`) they stay within the player's box.
    #[prop(optional)]
    cards_under_when_room: bool,
) -> impl IntoView {
    let video_host = NodeRef::<Div>::new();
    let stage = NodeRef::<Div>::new();
    let frame = NodeRef::<Div>::new();
    let (cards_under, set_cards_under) = signal(false);
    if cards_under_when_room {
        let watch = StoredValue::new_local(None::<BottomWatch>);
        Effect::new(move |_| {
            let Some(frame) = frame.get() else { return };
            let place = move |bottom, height| set_cards_under.set(cards_place(bottom, height, is_fullscreen()) == CardsPlace::Under);
            watch.set_value(BottomWatch::new(frame.into(), place));
        });
        on_cleanup(move || drop(watch.try_update_value(Option::take)));
    }
    let player = expect_context::<UseIvsPlayerReturn>();
    player.start(video_host, config);
    let stream_status = use_context::<StreamStatusStore>();
    view! {
        <section class="viewer" data-testid="viewer">
            // The stage (what goes full screen) holds the video's frame and the cards, which sit
            // over the picture or, where it is small, in a panel under it (style/main.css).
            <div class="stage" class:cards-under=cards_under node_ref=stage>
              <div class="frame" node_ref=frame>
                <div node_ref=video_host class="video-host"></div>
                <div class="status-row">
                    <StatusBadge status=player.status />
                    {move || stream_status.and_then(|s| s.live()).map(|stream| view! {
                        <span class="viewer-count" data-testid="viewer-count">{tn_compact("stream.watching", stream.viewer_count as f64)}</span>
                    })}
                </div>
                {move || stream_status.and_then(|s| s.live()).map(|stream| view! {
                    {stream.starving().then(|| view! {
                        <p class="health-warning" data-testid="health-warning" role="status">
                            {t("stream.unstable")}
                        </p>
                    })}
                })}
                {lazy(Some("part.controls"), move || over_the_video(stage, config))}
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
