//! The past broadcasts page (`/past`): the site's recordings, newest first — a picture, when it
//! was, how long it lasted — each a link that replays it (`/?recording=<id>`). One still being
//! recorded says so and is not a link yet; one IVS could not record is shown as failed, not
//! left out. More are fetched a page at a time.

use ivs_proto::recordings::{duration_text, Recording, RecordingPage, RecordingState};
use ivs_proto::url::{encode_component, SafeUrl};
use leptos::prelude::*;

use crate::bindings::fetch::fetch_text;
use crate::bindings::intl::{date_time, iso_time, unit_words};
use crate::i18n::t;

/// The list, from the site's recordings endpoint `url`.
#[component]
pub fn PastBroadcasts(url: String) -> impl IntoView {
    let (items, set_items) = signal(Vec::<Recording>::new());
    let (next, set_next) = signal(None::<String>);
    let (loading, set_loading) = signal(false);
    let (problem, set_problem) = signal(None::<String>);
    let url = StoredValue::new(url);
    let load = move |before: Option<String>| {
        if loading.get_untracked() {
            return;
        }
        set_loading.set(true);
        let base = url.get_value();
        let address = match &before {
            Some(before) => format!("{base}?before={}", encode_component(before)),
            None => base,
        };
        let request = fetch_text(&address);
        leptos::task::spawn_local(async move {
            let answer = request.await.map_err(|e| e.to_string()).and_then(|text| serde_json::from_str::<RecordingPage>(&text).map_err(|e| e.to_string()));
            set_loading.try_set(false);
            match answer {
                Ok(page) => {
                    set_problem.try_set(None);
                    set_items.try_update(|items| items.extend(page.recordings));
                    set_next.try_set(page.next);
                }
                Err(why) => {
                    log::warn!("past broadcasts: {why}");
                    set_problem.try_set(Some(t("past.unavailable")));
                }
            }
        });
    };
    load(None);
    let empty = move || !loading.get() && problem.with(Option::is_none) && items.with(Vec::is_empty);
    view! {
        <section class="past" aria-labelledby="past-title" data-testid="past">
            <header class="past-head">
                <h1 id="past-title">{t("links.past")}</h1>
                <a class="past-live" href="/">{t("replay.watch_live")}</a>
            </header>
            <p class="past-status" role="status" data-testid="past-status">
                {move || problem.get().or_else(|| empty().then(|| t("past.empty")))}
            </p>
            <ul class="past-list" data-testid="past-list">
                <For each=move || items.get() key=|r| r.id.clone() children=|r| view! { <PastItem recording=r /> } />
            </ul>
            {move || {
                let more = next.get()?;
                Some(view! {
                    <button type="button" class="past-more" data-testid="past-more" disabled=loading on:click=move |_| load(Some(more.clone()))>
                        {t("past.more")}
                    </button>
                })
            }}
            {move || problem.with(Option::is_some).then(|| view! {
                <button type="button" class="past-more" on:click=move |_| load(next.get_untracked())>{t("past.retry")}</button>
            })}
        </section>
    }
}

/// One recording in the list.
#[component]
fn PastItem(recording: Recording) -> impl IntoView {
    let when = date_time(crate::i18n::locale(), recording.started_ms as f64);
    let iso = iso_time(recording.started_ms as f64);
    // "Broadcast of {when}", the date where the locale puts it.
    let title = t("past.broadcast_of");
    let (before, after) = title.split_once("{when}").map_or((title.clone(), String::new()), |(b, a)| (b.to_owned(), a.to_owned()));
    let duration = recording.duration_secs.map(duration_text);
    // Only a checked http(s) address becomes an image.
    let thumbnail = recording.thumbnail_url.as_deref().and_then(|u| SafeUrl::parse(u).ok()).map(|u| u.as_str().to_owned());
    let state = match recording.state {
        RecordingState::Ready => "ready",
        RecordingState::Recording => "recording",
        RecordingState::Failed => "failed",
    };
    let spoken = recording.duration_secs.map(spoken_duration);
    let body = {
        let (when, iso) = (when.clone(), iso.clone());
        move || {
            view! {
                <span class="past-picture" aria-hidden="true">
                    {thumbnail.clone().map(|src| view! { <img src=src alt="" loading="lazy" /> })}
                    {duration.clone().map(|d| view! { <span class="past-duration">{d}</span> })}
                </span>
                <span class="past-title">{before.clone()}<time datetime=iso.clone()>{when.clone()}</time>{after.clone()}</span>
                {spoken.clone().map(|s| view! { <span class="sr-only">{format!(", {s}")}</span> })}
            }
        }
    };
    view! {
        <li class="past-item" data-testid="past-item" data-state=state data-recording=recording.id.clone()>
            {match recording.state {
                RecordingState::Ready => {
                    // Its name is what it shows (the title), and how long it lasts, said.
                    let href = format!("/?recording={}", encode_component(&recording.id));
                    view! { <a class="past-card" href=href>{body()}</a> }.into_any()
                }
                RecordingState::Recording => view! {
                    <div class="past-card">{body()}<span class="past-note">{t("past.live_now")}</span></div>
                }
                .into_any(),
                RecordingState::Failed => view! {
                    <div class="past-card">{body()}<span class="past-note">{t("replay.failed")}</span></div>
                }
                .into_any(),
            }}
        </li>
    }
}

/// A duration as a screen reader should say it, in the viewer's language.
fn spoken_duration(secs: f64) -> String {
    let total = secs.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    let locale = crate::i18n::locale();
    let unit = |n: u64, unit: &str| unit_words(locale, n as f64, unit);
    match (h, m) {
        (0, 0) => unit(s, "second"),
        (0, m) => unit(m, "minute"),
        (h, 0) => unit(h, "hour"),
        (h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
    }
}
