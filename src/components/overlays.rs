//! Everything the overlays draw, from the board in context (the player's, or a real-time
//! stage's: see `crate::hooks::use_overlay_board`): over the video the notice banner; the poll,
//! the quiz and the product card over the picture where it is large, in a panel
//! under it where it is small (a phone in portrait, a small embed: the stage's own width decides,
//! in CSS); under everything the tray of earlier products. It also reads the cues onto the
//! board, and asks the backend what is on screen for a viewer who arrives late.
//! (Fetched apart from the page's core: see `crate::lazy`.)

use ivs_proto::config::ViewerConfig;
use ivs_proto::overlay::{parse_cue, Score};
use leptos::prelude::*;

use super::notice_banner::NoticeBanner;
use super::poll_card::PollCard;
use super::product_card::ProductCard;
use super::product_tray::ProductTray;
use super::quiz_card::QuizCard;
use crate::hooks::use_overlay_board::OverlayBoard;
use crate::hooks::use_polls::PollsStore;

/// The notice (inside the video's frame, on a channel), and the reading of cues onto the board in
/// context.
#[component]
pub fn NoticeOverlay(
    /// The viewer's configuration (where to ask what is on screen); `None` while it loads.
    config: Signal<Option<ViewerConfig>>,
) -> impl IntoView {
    let board = expect_context::<OverlayBoard>();
    // Cues onto the board, in the order they came (see `OverlayBoard::pending_cues`).
    Effect::new(move |_| {
        board.pending_cues.track();
        let cues = board.pending_cues.try_update_untracked(std::mem::take).unwrap_or_default();
        for (text, start) in cues {
            match parse_cue(&text) {
                Ok(overlay) => board.board.update(|b| b.apply(overlay, start)),
                Err(reason) => log::warn!("ignored a timed-metadata cue: {reason}"),
            }
        }
    });
    // A viewer who arrives mid-poll gets what is on screen from the backend, once.
    if let Some(polls) = use_context::<PollsStore>() {
        Effect::new(move |done: Option<bool>| {
            if done == Some(true) {
                return true;
            }
            let Some(url) = config.with(|c| c.as_ref().map(|c| c.state_url.clone())) else { return false };
            if let Some(url) = url {
                polls.load_state(&board.state_url(&url), board.board, board.position);
            }
            true
        });
    }
    let notice = Signal::derive(move || board.board.with(|b| b.notice.clone()));
    view! {
        {move || notice.get().map(|(notice, cue_start)| view! {
            <NoticeBanner notice=notice cue_start=cue_start position=board.position />
        })}
    }
}

/// The interactive cards — poll, quiz, product — for the board in context.
#[component]
pub fn OverlayCards() -> impl IntoView {
    let board = expect_context::<OverlayBoard>();
    let poll = Signal::derive(move || board.board.with(|b| b.poll.clone()));
    // Replaying, a past poll shows how it ended.
    if let Some(polls) = use_context::<PollsStore>() {
        Effect::new(move |_| {
            if let Some((poll, _)) = poll.get() {
                polls.load_result(&poll.id);
            }
        });
    }
    let product = Signal::derive(move || board.board.with(|b| b.product.clone()));
    let quiz = Signal::derive(move || board.board.with(|b| b.quiz.clone()));
    let quiz_choice = Signal::derive(move || board.board.with(|b| b.quiz_choice));
    let poll_closed = Signal::derive(move || board.board.with(|b| b.poll_closed));
    let score = RwSignal::new(Score::default());
    let dismiss_product = Callback::new(move |()| board.board.update(|b| b.dismiss_product()));
    let choose = Callback::new(move |answer: usize| {
        let position = board.position.get_untracked();
        board.board.update(|b| b.choose(answer, position));
    });

    view! {
        <div class="overlays" data-testid="overlays">
            {move || poll.get().map(|(poll, cue_start)| view! {
                <PollCard poll=poll cue_start=cue_start position=board.position closed_early=poll_closed />
            })}
            {move || quiz.get().map(|(quiz, cue_start)| view! {
                <QuizCard quiz=quiz cue_start=cue_start position=board.position choice=quiz_choice on_choose=choose score=score />
            })}
            {move || product.get().map(|product| view! {
                <ProductCard product=product on_dismiss=dismiss_product />
            })}
        </div>
    }
}

/// The tray of earlier products, for the board in context.
#[component]
pub fn Tray() -> impl IntoView {
    let board = expect_context::<OverlayBoard>();
    let tray = Signal::derive(move || board.board.with(|b| b.tray.clone()));
    view! { <ProductTray products=tray /> }
}
