//! How playback goes for this viewer, reported to the site (`analyticsUrl`): the player's events
//! added up by `ivs_proto::analytics::Collector`, sent with `navigator.sendBeacon` every
//! `analyticsEveryMs` while something happened and once more as the page is hidden or left.
//!
//! Events are collected from the player's creation on (the first frame may come before the
//! configuration); when the configuration says the site takes no reports, or this page is not in
//! the site's sample, what was collected is dropped and nothing more is. A report holds figures
//! only: the site knows the viewer by the cookie it already gave.

use std::collections::HashSet;

use gloo_timers::callback::Interval;
use ivs_proto::analytics::Collector;
use ivs_proto::config::AnalyticsConfig;
use ivs_proto::playback::PlayerState;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::bindings::dom::Listener;

/// How often the rendition playing is looked at (the SDK tells of a switch only by its readout).
const LOOK_EVERY_MS: u32 = 5_000;

/// Reporting, once the site asked for it.
struct Reporting {
    url: String,
    every_ms: f64,
    last_sent: f64,
    /// Looks at the rendition, and reports when it is time.
    _timer: Interval,
    /// `pagehide` and `visibilitychange`: the last report of a page going away.
    _leaving: Vec<Listener>,
}

struct State {
    collector: Option<Collector>,
    reporting: Option<Reporting>,
    polls_seen: HashSet<String>,
}

/// A copyable handle on this page's analytics (in context: chat and polls tell it what the
/// viewer did).
#[derive(Clone, Copy)]
pub struct Analytics(StoredValue<State, LocalStorage>);

fn now() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.now())
}

impl Analytics {
    /// Collecting from now on; nothing is sent before [`Analytics::start`].
    pub fn new() -> Self {
        let origin = web_sys::window().and_then(|w| w.performance()).map_or(0.0, |p| p.time_origin());
        Self(StoredValue::new_local(State { collector: Some(Collector::new(1.0, origin)), reporting: None, polls_seen: HashSet::new() }))
    }

    fn with(&self, f: impl FnOnce(&mut Collector)) {
        self.0.try_update_value(|state| state.collector.as_mut().map(f));
    }

    /// The player's state.
    pub fn state(&self, state: PlayerState) {
        let at = now();
        self.with(|c| c.state(at, state == PlayerState::Playing, state == PlayerState::Buffering));
        if state == PlayerState::Playing {
            // The start-up script marks the first frame when it played the stream before the app
            // ran; else the first `Playing` is the first frame.
            let first = first_frame_mark().unwrap_or(at);
            self.with(|c| c.first_frame(first));
        }
    }

    /// The rendition playing.
    pub fn rendition(&self, name: &str) {
        let at = now();
        self.with(|c| c.rendition(at, name));
    }

    /// An error of IVS's type `kind` (`ErrorNetwork`…).
    pub fn error(&self, kind: &str) {
        self.with(|c| c.error(kind));
    }

    pub fn chat_sent(&self) {
        self.with(Collector::chat_sent);
    }

    /// A poll on screen (each poll counts once).
    pub fn poll_seen(&self, id: &str) {
        let new = self.0.try_update_value(|state| state.polls_seen.insert(id.to_owned())).unwrap_or(false);
        if new {
            self.with(Collector::poll_seen);
        }
    }

    pub fn voted(&self) {
        self.with(Collector::voted);
    }

    /// Reports as `config` says (`None`: the site takes none — what was collected is dropped),
    /// if this page is in the site's sample; `rendition` reads the rendition playing.
    pub fn start(&self, config: Option<&AnalyticsConfig>, rendition: impl Fn() -> Option<String> + 'static) {
        let Some(config) = config.filter(|c| js_sys::Math::random() < c.sample) else {
            self.0.update_value(|state| state.collector = None);
            return;
        };
        let handle = *self;
        self.0.update_value(|state| {
            if let Some(collector) = state.collector.as_mut() {
                // What was collected stands for as many viewers as the sample says.
                collector.set_sample(config.sample);
                if let Some(early) = collector.take(now()) {
                    send(&config.url, &early);
                }
            }
        });
        let timer = Interval::new(LOOK_EVERY_MS, move || {
            if let Some(name) = rendition() {
                handle.rendition(&name);
            }
            let due = handle.0.try_with_value(|s| s.reporting.as_ref().is_some_and(|r| now() - r.last_sent >= r.every_ms)).unwrap_or(false);
            if due {
                handle.report();
            }
        });
        let leaving = |event| {
            Listener::new(web_sys::window()?.unchecked_into(), event, false, move |_| {
                let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.visibility_state() == web_sys::VisibilityState::Hidden);
                if event == "pagehide" || hidden {
                    handle.report();
                }
            })
        };
        let leaving = ["pagehide", "visibilitychange"].into_iter().filter_map(leaving).collect();
        self.0.update_value(|state| {
            state.reporting = Some(Reporting { url: config.url.clone(), every_ms: config.every_ms as f64, last_sent: now(), _timer: timer, _leaving: leaving });
        });
    }

    /// Sends what was collected since the last report, if anything.
    pub fn report(&self) {
        self.0.try_update_value(|state| {
            let (Some(collector), Some(reporting)) = (state.collector.as_mut(), state.reporting.as_mut()) else { return };
            reporting.last_sent = now();
            if let Some(report) = collector.take(reporting.last_sent) {
                send(&reporting.url, &report);
            }
        });
    }
}

impl Default for Analytics {
    fn default() -> Self {
        Self::new()
    }
}

/// The first frame as `js/boot.js` marked it (ms after the page started).
fn first_frame_mark() -> Option<f64> {
    let entries = web_sys::window()?.performance()?.get_entries_by_name("boot:first-frame");
    entries.get(0).dyn_into::<web_sys::PerformanceEntry>().ok().map(|e| e.start_time())
}

/// Sends `report` to `url` with the page's cookies, surviving the page going away; a text body, so
/// the browser sends it across origins without asking first (`<ivs-viewer site>`).
fn send(url: &str, report: &ivs_proto::analytics::Report) {
    let body = report.to_json();
    let Some(window) = web_sys::window() else { return };
    if window.navigator().send_beacon_with_opt_str(url, Some(&body)).unwrap_or(false) {
        // When the page last reported (one mark kept), for whoever looks at its timeline.
        if let Some(performance) = window.performance() {
            performance.clear_marks_with_mark_name("analytics:sent");
            let _ = performance.mark("analytics:sent");
        }
    }
}
