//! The studio's view of the live broadcast, as plain values: what happened (a timeline of IVS's
//! events), what needs the producer's attention now (alerts), and how many watched over time —
//! folded from the events the site server keeps, so the page only draws them.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::stream_events::{Kind, Session, StreamEvent};
use crate::stream_status::StreamStatus;
use crate::tally::OverlayState;

/// How long a limit breach stays an alert after IVS reported it.
pub const LIMIT_ALERT_MS: i64 = 5 * 60 * 1000;
/// How far apart the viewer count's points are.
pub const VIEWER_POINT_MS: i64 = 5_000;
/// How many points the viewer count keeps (an hour).
pub const VIEWER_POINTS: usize = 720;

/// One thing that happened to the broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Moment {
    pub time_ms: i64,
    pub kind: Kind,
    /// A limit breach's limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// What the producer should look at now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Alert {
    /// The encoder sends less than real time: viewers rebuffer (`STARVING`).
    #[serde(rename_all = "camelCase")]
    Starving { since_ms: i64 },
    /// A channel limit was exceeded (bitrate, resolution…) in the last minutes.
    #[serde(rename_all = "camelCase")]
    LimitBreach { at_ms: i64, limit: String },
    /// The stream failed (IVS ended it).
    #[serde(rename_all = "camelCase")]
    StreamFailure { at_ms: i64 },
    /// This broadcast's recording failed.
    #[serde(rename_all = "camelCase")]
    RecordingFailure { at_ms: i64 },
}

/// The studio's live room: `GET /api/studio`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub status: StreamStatus,
    /// The broadcast the events tell of (the live one, or the last).
    pub stream_id: Option<String>,
    pub started_ms: Option<i64>,
    /// Its events, oldest first.
    pub timeline: Vec<Moment>,
    pub alerts: Vec<Alert>,
    /// What viewers have on screen, with the poll's counts.
    pub on_screen: OverlayState,
    /// The viewer count, oldest first.
    pub viewers: Vec<ViewerPoint>,
    /// The server's clock, for "how long ago".
    pub now_ms: i64,
}

/// The viewer count at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ViewerPoint {
    pub time_ms: i64,
    pub count: u64,
}

/// The events of `session` (and the channel's events without a stream id, such as limit breaches,
/// from its start on), oldest first.
pub fn timeline(events: &[StreamEvent], channel_arn: &str, session: &Session) -> Vec<Moment> {
    let mut moments: Vec<Moment> = events
        .iter()
        .filter(|e| e.channel_arn == channel_arn)
        .filter(|e| match &e.stream_id {
            Some(id) => *id == session.stream_id,
            None => e.time_ms >= session.started_ms,
        })
        .map(|e| Moment { time_ms: e.time_ms, kind: e.kind, limit: e.limit.clone() })
        .collect();
    moments.sort_by_key(|m| (m.time_ms, m.kind == Kind::StarvationEnd));
    moments
}

/// What needs attention at `now_ms`, given a broadcast's `timeline` and whether it is `live`.
pub fn alerts(timeline: &[Moment], live: bool, now_ms: i64) -> Vec<Alert> {
    let mut alerts = Vec::new();
    let starving_since =
        timeline.iter().rev().find(|m| matches!(m.kind, Kind::StarvationStart | Kind::StarvationEnd)).filter(|m| m.kind == Kind::StarvationStart);
    if let (true, Some(start)) = (live, starving_since) {
        alerts.push(Alert::Starving { since_ms: start.time_ms });
    }
    for moment in timeline.iter().rev() {
        match moment.kind {
            Kind::LimitBreach if now_ms - moment.time_ms <= LIMIT_ALERT_MS => {
                alerts.push(Alert::LimitBreach { at_ms: moment.time_ms, limit: moment.limit.clone().unwrap_or_default() })
            }
            Kind::StreamFailure => alerts.push(Alert::StreamFailure { at_ms: moment.time_ms }),
            Kind::RecordingFailure => alerts.push(Alert::RecordingFailure { at_ms: moment.time_ms }),
            _ => {}
        }
    }
    alerts
}

/// The viewer count over the last hour, one point per [`VIEWER_POINT_MS`] (kept by the site
/// server as a list of points).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ViewerSeries {
    points: VecDeque<ViewerPoint>,
}

impl ViewerSeries {
    /// Notes `count` at `time_ms`: a new point once the last is [`VIEWER_POINT_MS`] old, else the
    /// last point takes the newer count.
    pub fn record(&mut self, time_ms: i64, count: u64) {
        match self.points.back_mut() {
            Some(last) if time_ms < last.time_ms => return,
            Some(last) if time_ms - last.time_ms < VIEWER_POINT_MS => last.count = count,
            _ => self.points.push_back(ViewerPoint { time_ms, count }),
        }
        while self.points.len() > VIEWER_POINTS {
            self.points.pop_front();
        }
    }

    /// The points since `since_ms`, oldest first.
    pub fn since(&self, since_ms: i64) -> Vec<ViewerPoint> {
        self.points.iter().filter(|p| p.time_ms >= since_ms).copied().collect()
    }
}

/// `points` drawn in a `width` × `height` box (y down, 0 at the top), the time across and the
/// count up, the highest count (at least 1) at the top: an SVG polyline's `points`.
pub fn chart_line(points: &[ViewerPoint], width: f64, height: f64) -> String {
    let values: Vec<(i64, f64)> = points.iter().map(|p| (p.time_ms, p.count as f64)).collect();
    crate::analytics::polyline(&values, width, height, 1.0)
}

/// An overlay as the studio's composer has it, before it is published: the form's fields.
#[derive(Debug, Clone, PartialEq)]
pub enum Draft {
    Poll { question: String, options: Vec<String>, duration_secs: f64 },
    Quiz { question: String, answers: Vec<String>, correct_index: usize, duration_secs: f64 },
    Product { title: String, price: String, image_url: String, url: String },
    Notice { text: String, duration_secs: f64 },
}

impl Draft {
    /// The overlay as the site server's publishing route takes it (blank choices left out).
    pub fn to_json(&self) -> String {
        let choices = |list: &[String]| list.iter().map(|c| c.trim()).filter(|c| !c.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let value = match self {
            Draft::Poll { question, options, duration_secs } => {
                serde_json::json!({ "type": "poll", "question": question.trim(), "options": choices(options), "duration": duration_secs })
            }
            Draft::Quiz { question, answers, correct_index, duration_secs } => serde_json::json!({
                "type": "quiz", "question": question.trim(), "answers": choices(answers), "correctIndex": correct_index, "duration": duration_secs
            }),
            Draft::Product { title, price, image_url, url } => {
                serde_json::json!({ "type": "product", "title": title.trim(), "price": price.trim(), "imageUrl": image_url.trim(), "url": url.trim() })
            }
            Draft::Notice { text, duration_secs } => serde_json::json!({ "type": "notice", "text": text.trim(), "duration": duration_secs }),
        };
        value.to_string()
    }
}

/// The most overlays a run of show holds.
pub const SHOW_ITEMS: usize = 50;

/// When an overlay of the run of show goes out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Trigger {
    /// At this moment (ms since the epoch), by the server, whoever has the studio open.
    #[serde(rename_all = "camelCase")]
    At { at_ms: i64 },
    /// When the producer presses this key (`1` to `9`) in the studio.
    Key { key: String },
    /// Only when the producer sends it.
    Manual,
}

/// One overlay of the run of show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowItem {
    /// The studio's name for it (letters, digits, `-`, at most 32).
    pub id: String,
    /// The overlay as publishing takes it.
    pub overlay: serde_json::Value,
    pub trigger: Trigger,
    /// When it went out, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_ms: Option<i64>,
}

/// The run of show: overlays prepared before the broadcast, each sent at its time, at a key
/// press, or by hand (`GET`/`PUT /api/studio/show`), kept by the server across restarts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Show {
    pub items: Vec<ShowItem>,
}

/// Why a run of show is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShowError {
    #[error("a run of show holds at most {SHOW_ITEMS} overlays")]
    TooMany,
    #[error("an overlay's name is letters, digits and -, at most 32: {0:?}")]
    BadId(String),
    #[error("two overlays are named {0:?}")]
    SameId(String),
    #[error("a key is one of 1 to 9: {0:?}")]
    BadKey(String),
    #[error("key {0} is given to two overlays not yet sent")]
    SameKey(String),
    #[error("{id}: {why}")]
    Overlay { id: String, why: String },
}

impl Show {
    /// Checks the list; `overlay` checks one overlay as publishing would (the server's words).
    pub fn check(&self, overlay: impl Fn(&serde_json::Value) -> Result<(), String>) -> Result<(), ShowError> {
        if self.items.len() > SHOW_ITEMS {
            return Err(ShowError::TooMany);
        }
        let mut ids = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for item in &self.items {
            let plain = !item.id.is_empty() && item.id.len() <= 32 && item.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
            if !plain {
                return Err(ShowError::BadId(item.id.clone()));
            }
            if !ids.insert(item.id.as_str()) {
                return Err(ShowError::SameId(item.id.clone()));
            }
            if let Trigger::Key { key } = &item.trigger {
                if !matches!(key.as_bytes(), [b'1'..=b'9']) {
                    return Err(ShowError::BadKey(key.clone()));
                }
                if item.sent_ms.is_none() && !keys.insert(key.as_str()) {
                    return Err(ShowError::SameKey(key.clone()));
                }
            }
            overlay(&item.overlay).map_err(|why| ShowError::Overlay { id: item.id.clone(), why })?;
        }
        Ok(())
    }

    /// The overlays whose time has come at `now_ms` and that have not gone out, earliest first.
    pub fn due(&self, now_ms: i64) -> Vec<&ShowItem> {
        let mut due: Vec<&ShowItem> =
            self.items.iter().filter(|item| item.sent_ms.is_none() && matches!(item.trigger, Trigger::At { at_ms } if at_ms <= now_ms)).collect();
        due.sort_by_key(|item| match item.trigger {
            Trigger::At { at_ms } => at_ms,
            _ => i64::MAX,
        });
        due
    }

    /// The overlay key `key` sends: the one not yet sent that has it.
    pub fn for_key(&self, key: &str) -> Option<&ShowItem> {
        self.items.iter().find(|item| item.sent_ms.is_none() && matches!(&item.trigger, Trigger::Key { key: k } if k == key))
    }

    /// Notes that `id` went out at `now_ms`.
    pub fn mark_sent(&mut self, id: &str, now_ms: i64) {
        if let Some(item) = self.items.iter_mut().find(|item| item.id == id) {
            item.sent_ms = Some(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARN: &str = "arn:aws:ivs:us-west-2:123456789012:channel/abc";

    fn event(id: &str, second: u32, detail_type: &str, name: &str, stream: Option<&str>) -> StreamEvent {
        let mut detail = serde_json::json!({ "event_name": name, "limit_name": "Ingest Bitrate" });
        if let Some(stream) = stream {
            detail["stream_id"] = stream.into();
        }
        let body = serde_json::json!({
            "version": "0", "id": id, "detail-type": detail_type, "source": "aws.ivs", "account": "123456789012",
            "time": format!("2026-11-29T10:00:{second:02}Z"), "region": "us-west-2", "resources": [ARN], "detail": detail
        });
        StreamEvent::parse(body.to_string().as_bytes()).unwrap()
    }

    fn session(events: &[StreamEvent]) -> Session {
        crate::stream_events::fold(events, ARN).unwrap()
    }

    #[test]
    fn the_timeline_is_the_newest_broadcasts_events_in_order() {
        let events = vec![
            event("old", 1, "IVS Stream State Change", "Stream Start", Some("st-old")),
            event("b", 12, "IVS Stream Health Change", "Starvation Start", Some("st-new")),
            event("a", 10, "IVS Stream State Change", "Stream Start", Some("st-new")),
            event("limit-before", 5, "IVS Limit Breach", "", None),
            event("limit", 14, "IVS Limit Breach", "", None),
        ];
        let session = session(&events);
        let kinds: Vec<(i64, Kind)> = timeline(&events, ARN, &session).iter().map(|m| (m.time_ms % 60_000 / 1000, m.kind)).collect();
        assert_eq!(kinds, [(10, Kind::StreamStart), (12, Kind::StarvationStart), (14, Kind::LimitBreach)]);
        assert_eq!(timeline(&events, ARN, &session)[2].limit.as_deref(), Some("Ingest Bitrate"));
    }

    #[test]
    fn alerts_say_what_is_wrong_now() {
        let mut events = vec![
            event("a", 10, "IVS Stream State Change", "Stream Start", Some("st-1")),
            event("b", 12, "IVS Stream Health Change", "Starvation Start", Some("st-1")),
            event("c", 20, "IVS Limit Breach", "", Some("st-1")),
        ];
        let at = |events: &[StreamEvent], now_after_secs: i64| {
            let session = session(events);
            let line = timeline(events, ARN, &session);
            let now = line[0].time_ms + now_after_secs * 1000;
            alerts(&line, session.live, now)
        };
        let start = events[0].time_ms;
        assert_eq!(at(&events, 15), [Alert::Starving { since_ms: start + 2000 }, Alert::LimitBreach { at_ms: start + 10_000, limit: "Ingest Bitrate".into() }]);
        // A limit breach is old news after five minutes; starving until it ends.
        assert_eq!(at(&events, 10 + 301), [Alert::Starving { since_ms: start + 2000 }]);
        events.push(event("d", 25, "IVS Stream Health Change", "Starvation End", Some("st-1")));
        assert_eq!(at(&events, 10 + 301), []);
        // Failures stay said; an ended broadcast is not starving.
        events.push(event("e", 30, "IVS Stream Health Change", "Starvation Start", Some("st-1")));
        events.push(event("f", 31, "IVS Stream State Change", "Stream Failure", Some("st-1")));
        assert_eq!(at(&events, 10 + 301), [Alert::StreamFailure { at_ms: start + 21_000 }]);
    }

    #[test]
    fn the_viewer_count_keeps_one_point_per_five_seconds_for_an_hour() {
        let mut series = ViewerSeries::default();
        series.record(0, 1);
        series.record(1_000, 2);
        series.record(5_000, 3);
        series.record(4_000, 9); // out of order: ignored
        assert_eq!(series.since(0), [ViewerPoint { time_ms: 0, count: 2 }, ViewerPoint { time_ms: 5_000, count: 3 }]);
        for i in 2..2000 {
            series.record(i * VIEWER_POINT_MS, i as u64);
        }
        let all = series.since(0);
        assert_eq!(all.len(), VIEWER_POINTS);
        assert_eq!(all.last().unwrap().count, 1999);
        assert_eq!(series.since(1999 * VIEWER_POINT_MS).len(), 1);
    }

    #[test]
    fn the_chart_spans_its_box() {
        let points = [ViewerPoint { time_ms: 0, count: 0 }, ViewerPoint { time_ms: 5_000, count: 4 }, ViewerPoint { time_ms: 10_000, count: 2 }];
        assert_eq!(chart_line(&points, 100.0, 50.0), "0.0,50.0 50.0,0.0 100.0,25.0");
        assert_eq!(chart_line(&points[..1], 100.0, 50.0), "100.0,50.0", "one point at the right edge, zero at the bottom");
        assert_eq!(chart_line(&[], 100.0, 50.0), "");
    }

    #[test]
    fn a_draft_becomes_the_cue_the_viewers_rules_read() {
        use crate::overlay::{parse_cue, Overlay, OverlayError};
        let check = |draft: Draft| parse_cue(&draft.to_json());
        let poll = Draft::Poll { question: " Which? ".into(), options: vec!["A".into(), " ".into(), "B".into()], duration_secs: 30.0 };
        let Ok(Overlay::Poll(checked)) = check(poll) else { panic!("a poll") };
        assert_eq!((checked.question.as_str(), checked.options.len()), ("Which?", 2), "blank choices left out");
        let one_option = Draft::Poll { question: "Which?".into(), options: vec!["A".into(), "".into()], duration_secs: 30.0 };
        assert!(matches!(check(one_option), Err(OverlayError::Field { field: "options", .. })));
        let forever = Draft::Notice { text: "Hi".into(), duration_secs: 9999.0 };
        assert!(matches!(check(forever), Err(OverlayError::Field { field: "duration", .. })));
        let script =
            Draft::Product { title: "Mug".into(), price: "$12".into(), image_url: "https://shop.example/m.jpg".into(), url: "javascript:alert(1)".into() };
        assert!(matches!(check(script), Err(OverlayError::Field { field: "url", .. })));
        let quiz = Draft::Quiz { question: "2+2?".into(), answers: vec!["3".into(), "4".into()], correct_index: 1, duration_secs: 20.0 };
        assert!(matches!(check(quiz), Ok(Overlay::Quiz(q)) if q.correct_index == 1));
    }

    #[test]
    fn the_overview_travels_as_json() {
        let overview = Overview {
            status: StreamStatus { live: true, health: crate::stream_status::Health::Starving, viewer_count: 3 },
            stream_id: Some("st-1".into()),
            started_ms: Some(1),
            timeline: vec![Moment { time_ms: 1, kind: Kind::StarvationStart, limit: None }],
            alerts: vec![Alert::Starving { since_ms: 1 }],
            on_screen: OverlayState::default(),
            viewers: vec![ViewerPoint { time_ms: 1, count: 3 }],
            now_ms: 2,
        };
        let json = serde_json::to_value(&overview).unwrap();
        assert_eq!(json["alerts"][0], serde_json::json!({ "kind": "starving", "sinceMs": 1 }));
        assert_eq!(json["timeline"][0]["kind"], "starvation-start");
        assert_eq!(serde_json::from_value::<Overview>(json).unwrap(), overview);
    }
}

#[cfg(test)]
mod show_tests {
    use super::*;

    fn item(id: &str, trigger: Trigger) -> ShowItem {
        ShowItem { id: id.into(), overlay: serde_json::json!({"type": "notice", "text": id}), trigger, sent_ms: None }
    }

    #[test]
    fn a_run_of_show_is_checked_and_says_what_is_due() {
        let ok = |_: &serde_json::Value| Ok(());
        let show = Show {
            items: vec![
                item("intro", Trigger::At { at_ms: 2_000 }),
                item("poll-1", Trigger::Key { key: "1".into() }),
                item("early", Trigger::At { at_ms: 1_000 }),
                item("spare", Trigger::Manual),
            ],
        };
        assert_eq!(show.check(ok), Ok(()));
        assert_eq!(show.due(1_500).iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["early"]);
        assert_eq!(show.due(5_000).iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["early", "intro"]);
        assert_eq!(show.for_key("1").map(|i| i.id.as_str()), Some("poll-1"));
        let mut sent = show.clone();
        sent.mark_sent("early", 1_000);
        sent.mark_sent("poll-1", 1_200);
        assert_eq!(sent.due(5_000).iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["intro"], "each goes out once");
        assert_eq!(sent.for_key("1"), None);
        // What is refused, and why.
        let with = |extra: ShowItem| Show { items: [show.items.clone(), vec![extra]].concat() };
        assert_eq!(with(item("intro", Trigger::Manual)).check(ok), Err(ShowError::SameId("intro".into())));
        assert_eq!(with(item("other", Trigger::Key { key: "1".into() })).check(ok), Err(ShowError::SameKey("1".into())));
        assert_eq!(with(item("zero", Trigger::Key { key: "0".into() })).check(ok), Err(ShowError::BadKey("0".into())));
        assert_eq!(with(item("a b", Trigger::Manual)).check(ok), Err(ShowError::BadId("a b".into())));
        let refuse = |_: &serde_json::Value| Err("the notice has no text".to_owned());
        assert_eq!(show.check(refuse).unwrap_err().to_string(), "intro: the notice has no text");
        let many = Show { items: (0..=SHOW_ITEMS).map(|n| item(&format!("n{n}"), Trigger::Manual)).collect() };
        assert_eq!(many.check(ok), Err(ShowError::TooMany));
        // As the studio and the server write it.
        let json = serde_json::to_value(&show.items[0]).unwrap();
        assert_eq!(json["trigger"], serde_json::json!({"kind": "at", "atMs": 2000}));
    }
}
