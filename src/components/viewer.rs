//! The playback view: the video (made and owned by the player; placed here, never re-rendered), its state, prompts,
//! the offline slate and the overlays from timed metadata.

use ivs_proto::config::ViewerConfig;
use ivs_proto::overlay::Score;
use leptos::html::Div;
use leptos::prelude::*;

use super::controls::Controls;
use super::notice_banner::NoticeBanner;
use super::playback_prompts::PlaybackPrompts;
use super::poll_card::PollCard;
use super::product_card::ProductCard;
use super::product_tray::ProductTray;
use super::quiz_card::QuizCard;
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
    let stage = NodeRef::<Div>::new();
    let player = expect_context::<UseIvsPlayerReturn>();
    player.start(video_host, config);
    // A viewer who arrives mid-poll gets what is on screen from the backend, once.
    let polls = use_context::<PollsStore>();
    if let Some(polls) = polls {
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
    let quiz = Signal::derive(move || player.board.with(|b| b.quiz.clone()));
    let notice = Signal::derive(move || player.board.with(|b| b.notice.clone()));
    let tray = Signal::derive(move || player.board.with(|b| b.tray.clone()));
    let quiz_choice = Signal::derive(move || player.board.with(|b| b.quiz_choice));
    let poll_closed = Signal::derive(move || player.board.with(|b| b.poll_closed));
    let score = RwSignal::new(Score::default());
    let dismiss_product = Callback::new(move |()| player.board.update(|b| b.dismiss_product()));
    let choose = Callback::new(move |answer: usize| {
        let position = player.position.get_untracked();
        player.board.update(|b| b.choose(answer, position));
    });

    view! {
        <section class="viewer" data-testid="viewer">
            <div class="stage" node_ref=stage>
                <div node_ref=video_host class="video-host"></div>
                <StatusBadge status=player.status />
                {move || polls.and_then(|p| p.stream.get()).filter(|s| s.live).map(|stream| view! {
                    <span class="viewer-count" data-testid="viewer-count">{stream.watching()}</span>
                    {stream.starving().then(|| view! {
                        <p class="health-warning" data-testid="health-warning" role="status">
                            "The broadcast's connection is unstable — the picture may stutter."
                        </p>
                    })}
                })}
                {move || notice.get().map(|(notice, cue_start)| view! {
                    <NoticeBanner notice=notice cue_start=cue_start position=player.position />
                })}
                <div class="overlays" data-testid="overlays">
                    {move || poll.get().map(|(poll, cue_start)| view! {
                        <PollCard poll=poll cue_start=cue_start position=player.position closed_early=poll_closed />
                    })}
                    {move || quiz.get().map(|(quiz, cue_start)| view! {
                        <QuizCard quiz=quiz cue_start=cue_start position=player.position choice=quiz_choice on_choose=choose score=score />
                    })}
                    {move || product.get().map(|product| view! {
                        <ProductCard product=product on_dismiss=dismiss_product />
                    })}
                </div>
                <Controls stage=stage />
                <Slate status=player.status fatal=player.fatal />
                <PlaybackPrompts
                    audio_blocked=player.audio_blocked
                    muted=player.muted
                    playback_blocked=player.playback_blocked
                />
            </div>
            <ProductTray products=tray />
        </section>
    }
}
