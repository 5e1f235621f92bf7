//! The overlay composer: a form for a poll, a quiz, a product card or a notice, published now (or
//! added to the run of show) —
//! the site server checks it with the viewer's own rules (`proto::overlay::parse_cue`) and says
//! which field is wrong; and what viewers have on screen — the poll's live tallies as bars,
//! closed early with one press, everything cleared with another.
//!
//! As it is typed, the draft is read by the viewer's own cue reader and drawn by the viewer's own
//! card components (the preview), or the reader's reason is shown; publishing is checked again by
//! the server, which has the last word.

use ivs_proto::overlay::{limits, parse_cue, Overlay};
use ivs_proto::studio::{Draft, ShowItem, Trigger};
use ivs_proto::tally::percentages;
use leptos::prelude::*;

use super::show_desk::RunOfShow;
use super::{publish, Desk};
use ivs_viewer::i18n::number;

/// What the composer makes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Poll,
    Quiz,
    Product,
    Notice,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Poll, Kind::Quiz, Kind::Product, Kind::Notice];

    fn label(self) -> &'static str {
        match self {
            Kind::Poll => "Poll",
            Kind::Quiz => "Quiz",
            Kind::Product => "Product",
            Kind::Notice => "Notice",
        }
    }
}

/// A labelled text input bound to `value`.
#[component]
fn Field(label: &'static str, value: RwSignal<String>, #[prop(optional)] kind: &'static str, #[prop(optional)] testid: &'static str) -> impl IntoView {
    let kind = if kind.is_empty() { "text" } else { kind };
    view! {
        <label class="studio-field">
            <span>{label}</span>
            <input type=kind data-testid=testid prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev)) />
        </label>
    }
}

/// The choices of a poll or a quiz: 2 to 5 inputs, one more added or the last taken away.
#[component]
fn Choices(
    label: &'static str,
    choices: [RwSignal<String>; limits::MAX_OPTIONS],
    count: RwSignal<usize>,
    #[prop(optional)] correct: Option<RwSignal<usize>>,
) -> impl IntoView {
    view! {
        <fieldset class="studio-choices">
            <legend>{label}</legend>
            {choices.into_iter().enumerate().map(|(i, choice)| view! {
                <Show when=move || i < count.get()>
                    <div class="studio-choice">
                        {correct.map(|correct| view! {
                            <input type="radio" name="studio-correct" aria-label=format!("Answer {} is correct", i + 1)
                                prop:checked=move || correct.get() == i on:change=move |_| correct.set(i) />
                        })}
                        <input type="text" aria-label=format!("{label} {}", i + 1) data-testid=format!("studio-choice-{i}")
                            prop:value=move || choice.get() on:input=move |ev| choice.set(event_target_value(&ev)) />
                    </div>
                </Show>
            }).collect_view()}
            <div class="studio-row">
                <button type="button" class="studio-button" disabled=move || { count.get() >= limits::MAX_OPTIONS } on:click=move |_| count.update(|n| *n += 1)>"Add a choice"</button>
                <button type="button" class="studio-button" disabled=move || { count.get() <= limits::MIN_OPTIONS } on:click=move |_| {
                    count.update(|n| *n -= 1);
                    if let Some(correct) = correct {
                        correct.update(|c| *c = (*c).min(count.get_untracked() - 1));
                    }
                }>"Remove the last"</button>
            </div>
        </fieldset>
    }
}

/// The composer's form.
#[component]
pub fn Composer() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let kind = RwSignal::new(Kind::Poll);
    let question = RwSignal::new(String::new());
    let choices: [RwSignal<String>; limits::MAX_OPTIONS] = std::array::from_fn(|_| RwSignal::new(String::new()));
    let count = RwSignal::new(limits::MIN_OPTIONS);
    let correct = RwSignal::new(0usize);
    let duration = RwSignal::new("30".to_owned());
    let title = RwSignal::new(String::new());
    let price = RwSignal::new(String::new());
    let image_url = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let text = RwSignal::new(String::new());
    let (outcome, set_outcome) = signal(None::<Result<String, String>>);
    let (busy, set_busy) = signal(false);
    // Now, or into the run of show: at a key, at a time, or by hand later.
    let when = RwSignal::new("now".to_owned());
    let key = RwSignal::new("1".to_owned());
    let at = RwSignal::new(String::new());
    let run = expect_context::<RunOfShow>();

    let draft = move || -> Result<Draft, String> {
        let secs = || duration.get_untracked().trim().parse::<f64>().map_err(|_| "The duration is a number of seconds.".to_owned());
        let list = || choices[..count.get_untracked()].iter().map(|c| c.get_untracked()).collect::<Vec<_>>();
        Ok(match kind.get_untracked() {
            Kind::Poll => Draft::Poll { question: question.get_untracked(), options: list(), duration_secs: secs()? },
            Kind::Quiz => Draft::Quiz { question: question.get_untracked(), answers: list(), correct_index: correct.get_untracked(), duration_secs: secs()? },
            Kind::Product => {
                Draft::Product { title: title.get_untracked(), price: price.get_untracked(), image_url: image_url.get_untracked(), url: url.get_untracked() }
            }
            Kind::Notice => Draft::Notice { text: text.get_untracked(), duration_secs: secs()? },
        })
    };
    // The overlay as viewers would take it, read by the viewer's own cue reader as it is typed.
    let preview = Memo::new(move |_| {
        kind.track();
        question.track();
        count.track();
        correct.track();
        duration.track();
        title.track();
        price.track();
        image_url.track();
        url.track();
        text.track();
        choices.iter().for_each(|c| c.track());
        draft().and_then(|draft| parse_cue(&draft.to_json()).map_err(|e| ivs_proto::capitalise(&e.to_string())))
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let draft = match draft() {
            Ok(draft) => draft,
            Err(why) => {
                set_outcome.set(Some(Err(why)));
                return;
            }
        };
        let what = kind.get_untracked().label();
        if when.get_untracked() != "now" {
            let trigger = match when.get_untracked().as_str() {
                "key" => Trigger::Key { key: key.get_untracked() },
                "at" => match at_today(&at.get_untracked()) {
                    Ok(at_ms) => Trigger::At { at_ms },
                    Err(why) => {
                        set_outcome.set(Some(Err(why)));
                        return;
                    }
                },
                _ => Trigger::Manual,
            };
            let mut show = run.show.get_untracked().unwrap_or_default();
            let id = (1..).map(|n| format!("{}-{n}", what.to_lowercase())).find(|id| show.items.iter().all(|item| &item.id != id)).expect("a free name");
            let overlay = serde_json::from_str(&draft.to_json()).expect("a draft is JSON");
            show.items.push(ShowItem { id: id.clone(), overlay, trigger, sent_ms: None });
            set_busy.set(true);
            set_outcome.set(None);
            leptos::task::spawn_local(async move {
                let result = run.keep(show, format!("{what} added to the run of show as {id}.")).await;
                set_busy.try_set(false);
                set_outcome.try_set(Some(result));
            });
            return;
        }
        set_busy.set(true);
        set_outcome.set(None);
        leptos::task::spawn_local(async move {
            let result = publish(&draft.to_json()).await.map(|_| format!("{what} published."));
            set_busy.try_set(false);
            set_outcome.try_set(Some(result));
            desk.refresh();
        });
    };
    let timed = move || matches!(kind.get(), Kind::Poll | Kind::Quiz | Kind::Notice);
    view! {
        <section class="studio-panel studio-composer" aria-labelledby="studio-composer-title" data-testid="studio-composer">
            <h2 id="studio-composer-title">"Publish an overlay"</h2>
            <div class="studio-kinds" role="radiogroup" aria-label="Kind of overlay">
                {Kind::ALL.into_iter().map(|k| view! {
                    <label class="studio-kind">
                        <input type="radio" name="studio-kind" data-testid=format!("studio-kind-{}", k.label().to_lowercase())
                            prop:checked=move || kind.get() == k
                            on:change=move |_| {
                                kind.set(k);
                                duration.set(if k == Kind::Notice { "10" } else { "30" }.to_owned());
                                set_outcome.set(None);
                            } />
                        {k.label()}
                    </label>
                }).collect_view()}
            </div>
            <form class="studio-form" on:submit=submit novalidate>
                {move || match kind.get() {
                    Kind::Poll => view! {
                        <Field label="Question" value=question testid="studio-question" />
                        <Choices label="Option" choices=choices count=count />
                    }.into_any(),
                    Kind::Quiz => view! {
                        <Field label="Question" value=question testid="studio-question" />
                        <Choices label="Answer" choices=choices count=count correct=correct />
                    }.into_any(),
                    Kind::Product => view! {
                        <Field label="Title" value=title testid="studio-title" />
                        <Field label="Price" value=price testid="studio-price" />
                        <Field label="Picture (https address)" value=image_url kind="url" testid="studio-image" />
                        <Field label="Link (https address)" value=url kind="url" testid="studio-link" />
                    }.into_any(),
                    Kind::Notice => view! { <Field label="Text" value=text testid="studio-text" /> }.into_any(),
                }}
                <Show when=timed>
                    <Field label="Seconds on screen" value=duration kind="number" testid="studio-duration" />
                </Show>
                <label class="studio-field">
                    <span>"When"</span>
                    <select class="studio-select" data-testid="studio-when" on:change=move |ev| when.set(event_target_value(&ev))>
                        <option value="now" selected=true>"Now"</option>
                        <option value="key">"At a key press (run of show)"</option>
                        <option value="at">"At a time (run of show)"</option>
                        <option value="manual">"Later, by hand (run of show)"</option>
                    </select>
                </label>
                <Show when=move || when.get() == "key">
                    <label class="studio-field">
                        <span>"Key"</span>
                        <select class="studio-select" data-testid="studio-key" on:change=move |ev| key.set(event_target_value(&ev))>
                            {(1..=9).map(|n| view! { <option value=n.to_string() selected=n == 1>{n}</option> }).collect_view()}
                        </select>
                    </label>
                </Show>
                <Show when=move || when.get() == "at">
                    <Field label="Time (today, this browser's clock)" value=at kind="time" testid="studio-at" />
                </Show>
                <div class="studio-row">
                    <button type="submit" class="studio-button studio-primary" data-testid="studio-publish" disabled=busy>
                        {move || if when.get() == "now" { "Publish now" } else { "Add to the run of show" }}
                    </button>
                </div>
                <p class="studio-outcome" role="status" aria-live="polite" data-testid="studio-outcome"
                    class:studio-error=move || outcome.with(|o| matches!(o, Some(Err(_))))>
                    {move || outcome.get().map(|o| o.unwrap_or_else(|e| e))}
                </p>
            </form>
            <CardPreview preview=preview />
        </section>
    }
}

/// What viewers have on screen now: the poll with its tallies (closed early from here), the
/// product card and the quiz; and one press to clear them.
#[component]
pub fn OnScreen() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let (outcome, set_outcome) = signal(None::<String>);
    let send = move |overlay: String, done: &'static str| {
        set_outcome.set(None);
        leptos::task::spawn_local(async move {
            let said = match publish(&overlay).await {
                Ok(_) => done.to_owned(),
                Err(why) => why,
            };
            set_outcome.try_set(Some(said));
            desk.refresh();
        });
    };
    // The poll on screen: its id, question, options, counts and whether it closed.
    let poll = Memo::new(move |_| {
        desk.overview.with(|o| {
            let state = o.as_ref()?.on_screen.poll.as_ref()?;
            let Ok(Overlay::Poll(poll)) = parse_cue(&state.cue) else { return None };
            Some((state.id.clone(), poll.question, poll.options, state.counts.clone(), state.closed))
        })
    });
    let others = move || {
        desk.overview.with(|o| {
            let Some(o) = o.as_ref() else { return Vec::new() };
            let mut lines = Vec::new();
            // The cues as the viewers read them (the server checked them with the same reader).
            if let Some(Ok(Overlay::Product(product))) = o.on_screen.product.as_ref().map(|c| parse_cue(&c.cue)) {
                lines.push(format!("Product: {} ({})", product.title, product.price));
            }
            if let Some(Ok(Overlay::Quiz(quiz))) = o.on_screen.quiz.as_ref().map(|c| parse_cue(&c.cue)) {
                lines.push(format!("Quiz: {}", quiz.question));
            }
            lines
        })
    };
    view! {
        <section class="studio-panel studio-on-screen" aria-labelledby="studio-on-screen-title" data-testid="studio-on-screen">
            <h2 id="studio-on-screen-title">"On screen"</h2>
            {move || match poll.get() {
                None => view! { <p class="studio-note">"No poll on screen."</p> }.into_any(),
                Some((id, question, options, counts, closed)) => {
                    let total: u64 = counts.iter().sum();
                    let shares = percentages(&counts);
                    view! {
                        <div class="studio-poll" data-testid="studio-poll" data-closed=closed.to_string()>
                            <p class="studio-poll-question">{question}</p>
                            <ul class="studio-bars">
                                {options.into_iter().enumerate().map(|(i, option)| {
                                    let count = counts.get(i).copied().unwrap_or(0);
                                    let share = shares.get(i).copied().unwrap_or(0);
                                    view! {
                                        <li class="studio-bar" data-testid="studio-bar" data-count=count.to_string()>
                                            <span class="studio-bar-fill" style:width=format!("{share}%")></span>
                                            <span class="studio-bar-label">{option}</span>
                                            <span class="studio-bar-count">{format!("{} · {share}%", number(count as f64))}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <p class="studio-note" data-testid="studio-poll-total">
                                {if total == 1 { "1 vote".to_owned() } else { format!("{} votes", number(total as f64)) }}{closed.then_some(" · closed")}
                            </p>
                            {(!closed).then(|| {
                                let close = format!(r#"{{"type":"poll-close","id":{}}}"#, serde_json::Value::from(id));
                                view! {
                                    <button type="button" class="studio-button" data-testid="studio-close-poll"
                                        on:click=move |_| send(close.clone(), "Poll closed.")>"Close the poll now"</button>
                                }
                            })}
                        </div>
                    }.into_any()
                }
            }}
            <ul class="studio-others">{move || others().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
            <div class="studio-row">
                <button type="button" class="studio-button" data-testid="studio-clear"
                    on:click=move |_| send(r#"{"type":"clear"}"#.to_owned(), "Cleared.")>"Clear the screen"</button>
            </div>
            <p class="studio-outcome" role="status" data-testid="studio-on-screen-outcome">{outcome}</p>
        </section>
    }
}

/// `HH:MM` today on this browser's clock, in ms since the epoch; not a time already past.
fn at_today(hh_mm: &str) -> Result<i64, String> {
    let bad = || "The time is hours and minutes, as 20:30.".to_owned();
    let (h, m) = hh_mm.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.get(..2).unwrap_or(m).parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    let date = js_sys::Date::new_0();
    date.set_hours(h);
    date.set_minutes(m);
    date.set_seconds(0);
    date.set_milliseconds(0);
    let at = date.get_time();
    if at < js_sys::Date::now() {
        return Err("That time has passed today.".to_owned());
    }
    Ok(at as i64)
}

/// The overlay drawn by the viewer's own card components, as viewers will see it when it opens
/// (not interactive here: `inert`); or why viewers would not take it yet.
#[component]
fn CardPreview(preview: Memo<Result<Overlay, String>>) -> impl IntoView {
    use ivs_viewer::components::{notice_banner::NoticeBanner, poll_card::PollCard, product_card::ProductCard, quiz_card::QuizCard};
    let opened = Signal::derive(|| 0.0);
    view! {
        <h3>"How viewers will see it"</h3>
        {move || match preview.get() {
            Ok(overlay) => {
                let card = match overlay {
                    Overlay::Poll(poll) => view! { <PollCard poll=poll cue_start=0.0 position=opened /> }.into_any(),
                    Overlay::Quiz(quiz) => view! {
                        <QuizCard quiz=quiz cue_start=0.0 position=opened choice=Signal::derive(|| None) on_choose=Callback::new(|_| {}) score=RwSignal::new(Default::default()) />
                    }
                    .into_any(),
                    Overlay::Product(product) => view! { <ProductCard product=product on_dismiss=Callback::new(|()| {}) /> }.into_any(),
                    Overlay::Notice(notice) => view! { <NoticeBanner notice=notice cue_start=0.0 position=opened /> }.into_any(),
                    Overlay::PollClose { .. } | Overlay::Clear => ().into_any(),
                };
                view! { <div class="studio-card-preview" data-testid="studio-card-preview" inert=true>{card}</div> }.into_any()
            }
            Err(why) => view! { <p class="studio-note" data-testid="studio-card-preview-problem">"Not yet as viewers would take it: " {why}</p> }.into_any(),
        }}
    }
}
