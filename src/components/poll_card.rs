//! A live poll over the video: question, options and a countdown in stream time.

use ivs_proto::overlay::{format_countdown, Poll};
use leptos::prelude::*;

/// The poll card. Voting arrives with the server-side tally.
#[component]
pub fn PollCard(
    /// The poll from the cue.
    poll: Poll,
    /// Stream position of the cue that opened the poll.
    cue_start: f64,
    /// The current stream position.
    #[prop(into)]
    position: Signal<f64>,
) -> impl IntoView {
    let duration = poll.duration_secs;
    let remaining = {
        let poll = poll.clone();
        Signal::derive(move || poll.remaining_secs(cue_start, position.get()))
    };
    let closed = move || remaining.get() <= 0.0;
    let fill = move || format!("width: {:.1}%", remaining.get() / duration * 100.0);
    let options = poll.options.into_iter().map(|option| view! { <li class="poll-option">{option}</li> }).collect_view();
    view! {
        <aside class="card poll-card" data-testid="poll" data-poll-id=poll.id aria-label="Live poll">
            <p class="card-kicker">{move || if closed() { "Poll closed" } else { "Live poll" }}</p>
            <h2 class="poll-question" data-testid="poll-question">{poll.question}</h2>
            <ol class="poll-options">{options}</ol>
            <div class="poll-timer" data-testid="poll-countdown">
                <div class="poll-timer-bar" style=fill></div>
                <span>{move || if closed() { "Closed".to_owned() } else { format!("{} left", format_countdown(remaining.get())) }}</span>
            </div>
        </aside>
    }
}
