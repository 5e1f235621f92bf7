//! A quiz over the video: pick an answer while it is open; when it closes, see whether it was
//! right, and the running score.

use ivs_proto::overlay::{Quiz, Score};
use leptos::prelude::*;

use crate::i18n::{countdown, number, t, tf};

/// The quiz card.
#[component]
pub fn QuizCard(
    /// The quiz from the cue.
    quiz: Quiz,
    /// Stream position of the cue that opened it.
    cue_start: f64,
    /// The current stream position.
    #[prop(into)]
    position: Signal<f64>,
    /// The viewer's answer so far.
    #[prop(into)]
    choice: Signal<Option<usize>>,
    /// Called with the answer the viewer picks.
    on_choose: Callback<usize>,
    /// The viewer's running score, updated when this quiz closes.
    score: RwSignal<Score>,
) -> impl IntoView {
    let remaining = {
        let quiz = quiz.clone();
        Signal::derive(move || quiz.remaining_secs(cue_start, position.get()))
    };
    let closed = Memo::new(move |_| remaining.get() <= 0.0);
    let correct = quiz.correct_index;
    {
        let quiz = quiz.clone();
        Effect::new(move |_| {
            if closed.get() {
                score.update(|s| s.record(&quiz, choice.get_untracked()));
            }
        });
    }
    let result = move || match (closed.get(), choice.get()) {
        (false, _) => String::new(),
        (true, Some(c)) if c == correct => t("quiz.correct"),
        (true, Some(_)) => t("quiz.wrong"),
        (true, None) => t("quiz.times_up"),
    };
    let answers = quiz
        .answers
        .into_iter()
        .enumerate()
        .map(|(i, answer)| {
            let state = move || match (closed.get(), choice.get()) {
                (true, _) if i == correct => "right",
                (true, Some(c)) if c == i => "wrong",
                (false, Some(c)) if c == i => "chosen",
                _ => "",
            };
            view! {
                <li>
                    <button
                        class="quiz-answer"
                        data-testid="quiz-answer"
                        dir="auto"
                        data-state=state
                        aria-pressed=move || (choice.get() == Some(i)).to_string()
                        disabled=move || closed.get() || choice.get().is_some()
                        on:click=move |_| on_choose.run(i)
                    >
                        {answer}
                    </button>
                </li>
            }
        })
        .collect_view();
    view! {
        <aside class="card quiz-card" part="quiz" data-testid="quiz" aria-label=t("quiz.title")>
            <p class="card-kicker">{t("quiz.title")}</p>
            <h2 class="poll-question" data-testid="quiz-question" dir="auto">{quiz.question}</h2>
            <ol class="quiz-answers">{answers}</ol>
            <p class="poll-meta" aria-live="polite">
                <span class="quiz-result" data-testid="quiz-result">{result}</span>
                " "
                <span data-testid="quiz-score">
                    {move || score.with(|s| if s.answered == 0 { String::new() } else { tf("quiz.score", &[("correct", &number(s.correct as f64)), ("answered", &number(s.answered as f64))]) })}
                </span>
            </p>
            <div class="poll-timer" data-testid="quiz-countdown">
                <span>{move || if closed.get() { t("card.closed") } else { tf("card.left", &[("time", &countdown(remaining.get()))]) }}</span>
            </div>
        </aside>
    }
}
