//! How playback went for viewers, per broadcast, from their pages' reports: viewers per minute,
//! time to first frame (p50, p95), the rebuffering ratio, errors, the rendition mix, chat messages
//! and votes per minute — each a drawn chart with its figures in words beside it (a screen
//! reader's, and a phone's when the chart is small). The live broadcast is shown while there is
//! one, a past one when chosen; its minutes download as CSV.

use std::time::Duration;

use ivs_proto::analytics::{polyline, Broadcast, Point, Series, OFFLINE};
use leptos::prelude::*;

use ivs_viewer::bindings::fetch::fetch_text;
use ivs_viewer::bindings::intl::date_time;
use ivs_viewer::i18n::{clock, locale, number, percent};

/// How often the figures are read again (they are kept per minute).
const EVERY: Duration = Duration::from_secs(10);
const WIDTH: f64 = 600.0;
const HEIGHT: f64 = 100.0;

#[derive(serde::Deserialize, Clone, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
struct Overview {
    live: Option<String>,
    broadcasts: Vec<Broadcast>,
}

/// The analytics panel.
#[component]
pub fn AnalyticsDesk() -> impl IntoView {
    let (overview, set_overview) = signal(Overview::default());
    // The broadcast the producer chose; `None`: the live one, else the latest.
    let chosen = RwSignal::new(None::<String>);
    let (series, set_series) = signal(None::<Result<Series, String>>);
    let shown = Memo::new(move |_| chosen.get().or_else(|| overview.with(|o| o.live.clone().or_else(|| o.broadcasts.first().map(|b| b.id.clone())))));
    let read = move || {
        let request = fetch_text("/api/studio/analytics");
        leptos::task::spawn_local(async move {
            match request.await.map(|text| serde_json::from_str::<Overview>(&text)) {
                Ok(Ok(read)) => {
                    if overview.try_with_untracked(|o| *o != read) == Some(true) {
                        set_overview.try_set(read);
                    }
                }
                Ok(Err(e)) => log::warn!("analytics: {e}"),
                Err(e) => log::warn!("analytics: {e}"),
            }
            let Some(Some(id)) = shown.try_get_untracked() else { return };
            let request = fetch_text(&format!("/api/studio/analytics/{id}"));
            let read = match request.await {
                Ok(text) => serde_json::from_str::<Series>(&text).map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            };
            set_series.try_set(Some(read.map_err(|why| format!("The figures cannot be read: {why}"))));
        });
    };
    Effect::new(move |_| {
        shown.track();
        read();
    });
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::sleep(EVERY).await;
            if shown.try_get_untracked().is_none() {
                break;
            }
            read();
        }
    });
    let label = move |b: &Broadcast, live: Option<&str>| {
        let name = if b.id == OFFLINE { "While offline".to_owned() } else { format!("Broadcast {}", b.id) };
        if live == Some(b.id.as_str()) {
            format!("{name} (live now)")
        } else {
            format!("{name}, until {}", date_time(locale(), b.last_minute_ms as f64 + 60_000.0))
        }
    };
    let choose = move |ev: leptos::ev::Event| chosen.set(Some(event_target_value(&ev)));
    view! {
        <section class="studio-panel studio-analytics" aria-labelledby="studio-analytics-title" data-testid="studio-analytics">
            <h2 id="studio-analytics-title">"How playback goes"</h2>
            {move || overview.with(|o| {
                if o.broadcasts.is_empty() {
                    return view! { <p class="studio-note">"No viewer has reported yet: figures appear a minute after people watch."</p> }.into_any();
                }
                let current = shown.get();
                view! {
                    <label class="studio-field">
                        <span>"Broadcast"</span>
                        <select class="studio-select" on:change=choose data-testid="analytics-broadcast">
                            {o.broadcasts.iter().map(|b| {
                                let selected = current.as_deref() == Some(b.id.as_str());
                                view! { <option value=b.id.clone() selected=selected>{label(b, o.live.as_deref())}</option> }
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any()
            })}
            {move || match series.get() {
                None => None,
                Some(Err(why)) => Some(view! { <p class="studio-error" role="alert">{why}</p> }.into_any()),
                Some(Ok(series)) => Some(view! { <Charts series=series /> }.into_any()),
            }}
        </section>
    }
}

/// One chart: a line per series of (minute, value), the figures in words.
#[component]
fn Chart(
    testid: &'static str,
    title: &'static str,
    /// (class, points) per line.
    lines: Vec<(&'static str, Vec<(i64, f64)>)>,
    /// The top of the scale (at least the highest value).
    top: f64,
    words: String,
) -> impl IntoView {
    view! {
        <figure class="studio-chart" data-testid=testid>
            <h3>{title}</h3>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=words.clone()>
                {lines.into_iter().map(|(class, points)| view! {
                    <polyline class=class points=polyline(&points, WIDTH, HEIGHT, top) fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" />
                }).collect_view()}
            </svg>
            <figcaption data-testid=format!("{testid}-words")>{words}</figcaption>
        </figure>
    }
}

fn line(points: &[Point], value: impl Fn(&Point) -> Option<f64>) -> Vec<(i64, f64)> {
    points.iter().filter_map(|p| value(p).map(|v| (p.minute_ms, v))).collect()
}

fn ms(value: Option<u64>) -> String {
    value.map_or_else(|| "—".to_owned(), |ms| format!("{} s", number((ms as f64 / 100.0).round() / 10.0)))
}

/// A broadcast's charts.
#[component]
fn Charts(series: Series) -> impl IntoView {
    let points = series.points.clone();
    if points.is_empty() {
        return view! { <p class="studio-note">"No reports for this broadcast yet."</p> }.into_any();
    }
    let total = series.total.clone();
    let span = format!("{} to {}", clock(points[0].minute_ms as f64), clock(points[points.len() - 1].minute_ms as f64 + 60_000.0));
    let viewers_now = points.last().map_or(0, |p| p.viewers);
    let viewers = format!("Viewers, {span}: {} in the last minute, {} at the most.", number(viewers_now as f64), number(total.viewers as f64));
    let first_frame = format!("Time to first frame: p50 {}, p95 {} over the broadcast.", ms(total.first_frame_p50_ms), ms(total.first_frame_p95_ms));
    let worst = points.iter().map(|p| p.rebuffer_ratio).fold(0.0, f64::max);
    let rebuffering = format!(
        "Rebuffering: {} of viewing time stalled over the broadcast, {} in the worst minute; {} {}.",
        percent(total.rebuffer_ratio * 100.0),
        percent(worst * 100.0),
        number(total.rebuffers as f64),
        if total.rebuffers == 1 { "stall" } else { "stalls" }
    );
    let error_total: i64 = total.errors.values().sum();
    let errors = if error_total == 0 {
        "Errors: none.".to_owned()
    } else {
        let kinds = total.errors.iter().map(|(kind, n)| format!("{kind} {}", number(*n as f64))).collect::<Vec<_>>().join(", ");
        format!("Errors: {} ({kinds}).", number(error_total as f64))
    };
    let shares = series.rendition_shares();
    let mix = if shares.is_empty() {
        "Renditions: none reported yet.".to_owned()
    } else {
        let parts = shares.iter().map(|(name, share)| format!("{name} {}", percent((share * 1000.0).round() / 10.0))).collect::<Vec<_>>().join(", ");
        format!("Renditions by time played: {parts}.")
    };
    let seen = total.polls_seen.max(1) as f64;
    let talk = format!(
        "Chat messages: {}; votes: {} ({} of the polls viewers saw were voted in).",
        number(total.chat_messages as f64),
        number(total.votes as f64),
        percent((total.polls_voted as f64 / seen * 1000.0).round() / 10.0)
    );
    let csv = format!("/api/studio/analytics/{}/csv", series.broadcast);
    let mut offset = 0.0;
    let bars: Vec<_> = shares
        .iter()
        .enumerate()
        .map(|(n, (name, share))| {
            let (x, width) = (offset, share * WIDTH);
            offset += width;
            view! { <rect class=format!("studio-mix-{}", n % 4) x=format!("{x:.1}") y="0" width=format!("{width:.1}") height="24"><title>{name.clone()}</title></rect> }
        })
        .collect();
    view! {
        <div class="studio-charts">
            <Chart testid="analytics-viewers" title="Viewers per minute" lines=vec![("studio-line", line(&points, |p| Some(p.viewers as f64)))] top=1.0 words=viewers />
            <Chart
                testid="analytics-first-frame"
                title="Time to first frame"
                lines=vec![
                    ("studio-line", line(&points, |p| p.first_frame_p50_ms.map(|v| v as f64))),
                    ("studio-line studio-line-2", line(&points, |p| p.first_frame_p95_ms.map(|v| v as f64))),
                ]
                top=1000.0
                words=first_frame
            />
            <Chart testid="analytics-rebuffering" title="Rebuffering" lines=vec![("studio-line", line(&points, |p| Some(p.rebuffer_ratio * 100.0)))] top=1.0 words=rebuffering />
            <Chart testid="analytics-errors" title="Errors per minute" lines=vec![("studio-line", line(&points, |p| Some(p.errors.values().sum::<i64>() as f64)))] top=1.0 words=errors />
            <figure class="studio-chart studio-mix" data-testid="analytics-renditions">
                <h3>"Rendition mix"</h3>
                <svg viewBox=format!("0 0 {WIDTH} 24") preserveAspectRatio="none" role="img" aria-label=mix.clone()>{bars}</svg>
                <figcaption data-testid="analytics-renditions-words">{mix}</figcaption>
            </figure>
            <Chart
                testid="analytics-talk"
                title="Chat messages and votes per minute"
                lines=vec![
                    ("studio-line", line(&points, |p| Some(p.chat_messages as f64))),
                    ("studio-line studio-line-2", line(&points, |p| Some(p.votes as f64))),
                ]
                top=1.0
                words=talk
            />
            <p><a class="studio-button studio-link" href=csv download data-testid="analytics-csv">"Download the minutes (CSV)"</a></p>
        </div>
    }
    .into_any()
}
