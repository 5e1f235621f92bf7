//! A live poll over the video: question, options to vote for, a countdown in stream time, and
//! the server's tallies once this viewer voted or the poll closed.

use ivs_proto::overlay::Poll;
use ivs_proto::tally::PollCard;
use leptos::prelude::*;

use crate::hooks::use_polls::PollsStore;
use crate::i18n::{countdown, percent, t, tf, tn};

/// The poll card. Votes go to the backend when the app has one ([`PollsStore`] in context).
#[component]
pub fn PollCard(
    /// The poll from the cue.
    poll: Poll,
    /// Stream position of the cue that opened the poll.
    cue_start: f64,
    /// The current stream position.
    #[prop(into)]
    position: Signal<f64>,
    /// A `poll-close` cue ended the poll early.
    #[prop(into, optional)]
    closed_early: Signal<bool>,
) -> impl IntoView {
    let store = use_context::<PollsStore>();
    if let Some(analytics) = store.and_then(|s| s.analytics) {
        analytics.poll_seen(&poll.id);
    }
    let duration = poll.duration_secs;
    let remaining = {
        let poll = poll.clone();
        Signal::derive(move || poll.remaining_secs(cue_start, position.get()))
    };
    let id = StoredValue::new(poll.id.clone());
    let view_state = Memo::new(move |_| store.map(|s| s.view(&id.get_value())).unwrap_or_default());
    // Everything the card shows is decided here, in one plain value (`ivs_proto::tally::PollCard`).
    let card = Memo::new(move |_| {
        let votes_here = store.is_some_and(|s| s.can_vote_here());
        view_state.with(|v| PollCard::new(v, remaining.get(), duration, closed_early.get(), votes_here))
    });

    let options = poll
        .options
        .into_iter()
        .enumerate()
        .map(|(i, label)| {
            let mine = move || view_state.with(|v| v.my_vote == Some(i));
            let vote = move |_| {
                if let Some(store) = store {
                    store.vote(id.get_value(), i);
                }
            };
            let label_for_button = label.clone();
            view! {
                <li class="poll-option" class:mine=mine data-testid="poll-option">
                    <Show
                        when=move || card.with(|c| c.can_vote)
                        fallback=move || view! {
                            <span class="poll-bar" style:width=move || format!("{}%", card.with(|c| c.bar_percent(i)))></span>
                            <span class="poll-label" dir="auto">{label.clone()}</span>
                            <Show when=move || card.with(|c| c.show_results)>
                                <span class="poll-pct" data-testid="poll-percent">{move || percent(card.with(|c| c.bar_percent(i)) as f64)}</span>
                            </Show>
                        }
                    >
                        <button class="poll-choice" data-testid="poll-choice" on:click=vote>
                            <span class="poll-label" dir="auto">{label_for_button.clone()}</span>
                        </button>
                    </Show>
                </li>
            }
        })
        .collect_view();

    view! {
        <aside class="card poll-card" part="poll" data-testid="poll" data-poll-id=poll.id aria-label=t("poll.live")>
            <p class="card-kicker">{move || t(card.with(|c| c.kicker))}</p>
            <h2 class="poll-question" data-testid="poll-question" dir="auto">{poll.question}</h2>
            <ol class="poll-options" aria-live="polite">{options}</ol>
            <p class="poll-meta">
                <span data-testid="poll-total">{move || card.with(|c| c.total).map(|n| tn("poll.votes", n as f64, &[]))}</span>
                " "
                <span class="poll-notice" data-testid="poll-notice" role="status">{move || view_state.with(|v| v.notice.clone())}</span>
            </p>
            <div class="poll-timer" data-testid="poll-countdown">
                <div class="poll-timer-bar" style:width=move || format!("{}%", card.with(|c| c.timer_percent))></div>
                <span>{move || match card.with(|c| c.remaining_secs) {
                    Some(secs) => tf("card.left", &[("time", &countdown(secs))]),
                    None => t("card.closed"),
                }}</span>
            </div>
        </aside>
    }
}
