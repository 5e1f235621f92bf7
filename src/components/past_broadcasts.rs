//! The past broadcasts page (`/past`): the site's recordings, newest first — a picture, when it
//! was, how long it lasted — each a link that replays it (`/?recording=<id>`). One still being
//! recorded says so and is not a link yet; one IVS could not record is shown as failed, not
//! left out. More are fetched a page at a time.

use ivs_proto::recordings::{duration_text, Recording, RecordingPage, RecordingState};
use ivs_proto::url::{encode_component, SafeUrl};
use leptos::prelude::*;

use crate::bindings::fetch::fetch_text;

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
                    set_problem.try_set(Some("The past broadcasts could not be loaded. Check your connection and try again.".into()));
                }
            }
        });
    };
    load(None);
    let empty = move || !loading.get() && problem.with(Option::is_none) && items.with(Vec::is_empty);
    view! {
        <section class="past" aria-labelledby="past-title" data-testid="past">
            <header class="past-head">
                <h1 id="past-title">"Past broadcasts"</h1>
                <a class="past-live" href="/">"Watch live"</a>
            </header>
            <p class="past-status" role="status" data-testid="past-status">
                {move || problem.get().or_else(|| empty().then(|| "No past broadcasts yet — they appear here once a broadcast ends.".to_owned()))}
            </p>
            <ul class="past-list" data-testid="past-list">
                <For each=move || items.get() key=|r| r.id.clone() children=|r| view! { <PastItem recording=r /> } />
            </ul>
            {move || {
                let more = next.get()?;
                Some(view! {
                    <button type="button" class="past-more" data-testid="past-more" disabled=loading on:click=move |_| load(Some(more.clone()))>
                        "Show older broadcasts"
                    </button>
                })
            }}
            {move || problem.with(Option::is_some).then(|| view! {
                <button type="button" class="past-more" on:click=move |_| load(next.get_untracked())>"Try again"</button>
            })}
        </section>
    }
}

/// One recording in the list.
#[component]
fn PastItem(recording: Recording) -> impl IntoView {
    let when = local_date(recording.started_ms);
    let iso = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(recording.started_ms as f64)).to_iso_string().as_string().unwrap_or_default();
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
                <span class="past-title">"Broadcast of "<time datetime=iso.clone()>{when.clone()}</time></span>
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
                    <div class="past-card">{body()}<span class="past-note">"Live now — replay it once it ends"</span></div>
                }
                .into_any(),
                RecordingState::Failed => view! {
                    <div class="past-card">{body()}<span class="past-note">"This broadcast could not be recorded"</span></div>
                }
                .into_any(),
            }}
        </li>
    }
}

/// `ms` as a date and time in the viewer's own language and time zone.
fn local_date(ms: i64) -> String {
    let options = js_sys::Object::new();
    for (key, value) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).to_locale_string("default", &options).as_string().unwrap_or_default()
}

/// A duration as a screen reader should say it.
fn spoken_duration(secs: f64) -> String {
    let total = secs.max(0.0).round() as u64;
    let (h, m, s) = (total / 3600, total / 60 % 60, total % 60);
    let unit = |n: u64, one: &str| if n == 1 { format!("1 {one}") } else { format!("{n} {one}s") };
    match (h, m) {
        (0, 0) => unit(s, "second"),
        (0, m) => unit(m, "minute"),
        (h, 0) => unit(h, "hour"),
        (h, m) => format!("{} {}", unit(h, "hour"), unit(m, "minute")),
    }
}
