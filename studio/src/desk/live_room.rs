//! The live room: is the stream on, how healthy, how many watch; alerts the moment something
//! needs the producer (STARVING, a limit breached, a failure); the broadcast's events in order;
//! the viewer count as a chart.

use ivs_proto::stream_events::Kind;
use ivs_proto::stream_status::Health;
use ivs_proto::studio::{chart_line, Alert, Moment};
use leptos::prelude::*;

use super::Desk;
use ivs_viewer::i18n::{clock, number};

const CHART_WIDTH: f64 = 600.0;
const CHART_HEIGHT: f64 = 120.0;

/// The live room's panel.
#[component]
pub fn LiveRoom() -> impl IntoView {
    let desk = expect_context::<Desk>();
    let overview = desk.overview;
    let state = move || {
        overview.with(|o| {
            let Some(o) = o else { return ("…".to_owned(), "unknown") };
            match (o.status.live, o.status.health) {
                (false, _) => ("Offline".to_owned(), "offline"),
                (true, Health::Starving) => ("Live — starving".to_owned(), "starving"),
                (true, _) => ("Live".to_owned(), "live"),
            }
        })
    };
    let viewers = move || overview.with(|o| o.as_ref().map(|o| number(o.status.viewer_count as f64)).unwrap_or_default());
    let since = move || {
        overview.with(|o| {
            let o = o.as_ref().filter(|o| o.status.live)?;
            Some(format!("since {}", clock(o.started_ms? as f64)))
        })
    };
    let alerts = move || overview.with(|o| o.as_ref().map(|o| o.alerts.clone()).unwrap_or_default());
    let timeline = move || overview.with(|o| o.as_ref().map(|o| o.timeline.clone()).unwrap_or_default());
    view! {
        <section class="studio-panel studio-live" aria-labelledby="studio-live-title" data-testid="studio-live">
            <h2 id="studio-live-title">"Live room"</h2>
            <p class="studio-state" data-testid="studio-state" data-state=move || state().1>
                <span class="studio-dot" aria-hidden="true"></span>
                <strong>{move || state().0}</strong>
                " · "
                <span data-testid="studio-viewers">{viewers}</span>
                " watching "
                {since}
            </p>
            <ul class="studio-alerts" data-testid="studio-alerts">
                {move || alerts().into_iter().map(|alert| view! { <li class="studio-alert" role="alert" data-testid="studio-alert">{alert_words(&alert)}</li> }).collect_view()}
            </ul>
            <ViewerChart />
            <h3>"This broadcast"</h3>
            <ol class="studio-timeline" data-testid="studio-timeline">
                {move || {
                    let moments = timeline();
                    if moments.is_empty() {
                        return view! { <li class="studio-note">"No broadcast yet."</li> }.into_any();
                    }
                    moments.iter().rev().take(50).map(|m| view! {
                        <li data-kind=m.kind.name()><time>{clock(m.time_ms as f64)}</time>" "{moment_words(m)}</li>
                    }).collect_view().into_any()
                }}
            </ol>
        </section>
    }
}

/// The viewer count over the last hour, drawn.
#[component]
fn ViewerChart() -> impl IntoView {
    let overview = expect_context::<Desk>().overview;
    let points = move || overview.with(|o| o.as_ref().map(|o| o.viewers.clone()).unwrap_or_default());
    let summary = move || {
        let points = points();
        let now = points.last().map_or(0, |p| p.count);
        let peak = points.iter().map(|p| p.count).max().unwrap_or(0);
        format!("Viewers over time: {} now, {} at the most.", number(now as f64), number(peak as f64))
    };
    let peak = move || number(points().iter().map(|p| p.count).max().unwrap_or(0).max(1) as f64);
    view! {
        <figure class="studio-chart" data-testid="studio-viewer-chart">
            <svg viewBox=format!("0 0 {CHART_WIDTH} {CHART_HEIGHT}") preserveAspectRatio="none" role="img" aria-label=summary>
                <polyline points=move || chart_line(&points(), CHART_WIDTH, CHART_HEIGHT) fill="none" stroke="currentColor" stroke-width="2" vector-effect="non-scaling-stroke" />
            </svg>
            <figcaption><span class="studio-chart-peak">{peak}</span>" "{summary}</figcaption>
        </figure>
    }
}

/// An alert as the producer reads it.
pub fn alert_words(alert: &Alert) -> String {
    match alert {
        Alert::Starving { since_ms } => format!(
            "STARVING since {}: the encoder sends less than real time, so viewers rebuffer. Check its upload bandwidth and CPU.",
            clock(*since_ms as f64)
        ),
        Alert::LimitBreach { at_ms, limit } => {
            let limit = if limit.is_empty() { "a channel limit" } else { limit.as_str() };
            format!("Limit breached at {}: {limit}. Lower the encoder's bitrate or resolution.", clock(*at_ms as f64))
        }
        Alert::StreamFailure { at_ms } => format!("The stream failed at {}; IVS ended it. Restart the encoder.", clock(*at_ms as f64)),
        Alert::RecordingFailure { at_ms } => format!("Recording failed at {}: this broadcast will not be replayable.", clock(*at_ms as f64)),
    }
}

fn moment_words(moment: &Moment) -> String {
    let words = match moment.kind {
        Kind::SessionCreated => "Session created",
        Kind::StreamStart => "Stream started",
        Kind::StreamEnd => "Stream ended",
        Kind::SessionEnded => "Session ended",
        Kind::StreamFailure => "Stream failed",
        Kind::StreamTakeover => "Another encoder took over",
        Kind::StarvationStart => "Starving (viewers rebuffer)",
        Kind::StarvationEnd => "Healthy again",
        Kind::RecordingStart => "Recording started",
        Kind::RecordingEnd => "Recording ended",
        Kind::RecordingFailure => "Recording failed",
        Kind::LimitBreach => "Limit breached",
    };
    match &moment.limit {
        Some(limit) => format!("{words}: {limit}"),
        None => words.to_owned(),
    }
}
