//! The player's controls, as decisions: which key does what, what the play and mute buttons do
//! and say, whether the bar shows the live readout or a seek bar, what the quality menu shows,
//! how far behind live the viewer is, and the figures of the stats panel in words. The control
//! bar's views only wire these to the player.

/// What a key press asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shortcut {
    TogglePlay,
    ToggleMute,
    ToggleFullscreen,
    VolumeUp,
    VolumeDown,
    SeekBack,
    SeekForward,
    ToggleCaptions,
    ToggleStats,
    ToggleHelp,
    JumpToLive,
    /// Closes whatever overlay or panel is open.
    Dismiss,
}

/// The shortcuts, as the help overlay lists them: the keys, and the key of what they do
/// (`locales/*.json`).
pub const SHORTCUTS: [(&str, &str); 10] = [
    ("K / Space", "help.play_pause"),
    ("M", "help.mute"),
    ("F", "help.fullscreen"),
    ("↑ ↓", "help.volume"),
    ("← →", "help.seek"),
    ("C", "help.captions"),
    ("I", "help.stats"),
    ("L", "help.live"),
    ("?", "help.help"),
    ("Esc", "help.close_all"),
];

/// The shortcut for `key` (a `KeyboardEvent.key`), unless the viewer is typing (`in_text`) or
/// holds a modifier (the browser's own shortcuts win).
pub fn shortcut(key: &str, in_text: bool, modifier: bool) -> Option<Shortcut> {
    if modifier {
        return None;
    }
    if key == "Escape" {
        return Some(Shortcut::Dismiss);
    }
    if in_text {
        return None;
    }
    Some(match key {
        "k" | "K" | " " => Shortcut::TogglePlay,
        "m" | "M" => Shortcut::ToggleMute,
        "f" | "F" => Shortcut::ToggleFullscreen,
        "ArrowUp" => Shortcut::VolumeUp,
        "ArrowDown" => Shortcut::VolumeDown,
        "ArrowLeft" => Shortcut::SeekBack,
        "ArrowRight" => Shortcut::SeekForward,
        "c" | "C" => Shortcut::ToggleCaptions,
        "i" | "I" => Shortcut::ToggleStats,
        "?" => Shortcut::ToggleHelp,
        "l" | "L" => Shortcut::JumpToLive,
        _ => return None,
    })
}

/// A volume step from `volume` (0–1), in tenths.
pub fn step_volume(volume: f64, up: bool) -> f64 {
    let tenths = (volume * 10.0).round() + if up { 1.0 } else { -1.0 };
    (tenths / 10.0).clamp(0.0, 1.0)
}

/// Latency a live stream normally has; beyond this plus a margin the viewer is "behind live".
pub const BEHIND_LIVE_AFTER_SECS: f64 = 6.0;
/// How far short of the buffered edge "go live" lands, so playback does not stall on arrival.
const LIVE_EDGE_MARGIN_SECS: f64 = 1.0;

fn finite(x: f64) -> f64 {
    if x.is_finite() {
        x.max(0.0)
    } else {
        0.0
    }
}

/// How far behind live the viewer is: the player's measured latency where it has one, and at
/// least the stream it has already loaded ahead of the picture (a live player loads up to the
/// edge, so what lies ahead is a lower bound — and the only measure a stream without IVS's
/// timing gives).
pub fn distance_from_live(latency_secs: f64, buffer_ahead_secs: f64) -> f64 {
    finite(latency_secs).max(finite(buffer_ahead_secs))
}

/// How many whole seconds behind live to show, if the viewer is noticeably behind.
pub fn behind_live(distance_secs: f64) -> Option<u64> {
    (distance_secs.is_finite() && distance_secs > BEHIND_LIVE_AFTER_SECS).then(|| distance_secs.round() as u64)
}

/// Where "go live" seeks to: near the end of what is loaded, when that is far ahead of the
/// picture; `None` when the stream must be loaded again from its live edge instead.
pub fn live_edge_seek(position_secs: f64, buffer_ahead_secs: f64) -> Option<f64> {
    (position_secs.is_finite() && buffer_ahead_secs.is_finite() && buffer_ahead_secs > BEHIND_LIVE_AFTER_SECS)
        .then_some(position_secs + buffer_ahead_secs - LIVE_EDGE_MARGIN_SECS)
}

/// A figure of the stats panel, for the viewer to write in its locale (`Intl`'s units).
#[derive(Debug, Clone, PartialEq)]
pub enum Figure {
    /// Nothing known: a dash.
    Unknown,
    /// As is (a rendition's name).
    Text(String),
    /// `width × height` pixels.
    Size(u32, u32),
    /// Bits per second: written in kbps under 1 Mbps, else in Mbps with one decimal.
    Bitrate(f64),
    /// Seconds, one decimal.
    Seconds(f64),
    Count(u64),
}

/// A bitrate as a figure, or unknown when the player reports none.
pub fn bitrate(bits_per_second: f64) -> Figure {
    if bits_per_second.is_finite() && bits_per_second > 0.0 {
        Figure::Bitrate(bits_per_second)
    } else {
        Figure::Unknown
    }
}

/// Seconds as a figure, or unknown when not a duration.
pub fn seconds(secs: f64) -> Figure {
    if secs.is_finite() && secs >= 0.0 {
        Figure::Seconds(secs)
    } else {
        Figure::Unknown
    }
}

/// What a click on the play button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlayAction {
    Play,
    Pause,
}

/// The play button, from whether the player says it is playing and whether the video is paused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayButton {
    pub action: PlayAction,
    /// The pause icon and name while playing, play otherwise.
    pub shows_pause: bool,
    /// The key of its name (`locales/*.json`).
    pub label: &'static str,
}

impl PlayButton {
    pub fn new(playing: bool, paused: bool) -> Self {
        // Paused but not yet told (the state follows the video a moment later): a click plays.
        let action = if paused || !playing { PlayAction::Play } else { PlayAction::Pause };
        Self { action, shows_pause: playing, label: if playing { "controls.pause" } else { "controls.play" } }
    }
}

/// The key of the mute button's name.
pub fn mute_label(muted: bool) -> &'static str {
    if muted {
        "controls.unmute"
    } else {
        "controls.mute"
    }
}

/// What the volume slider shows: nothing while muted.
pub fn volume_shown(muted: bool, volume: f64) -> f64 {
    if muted {
        0.0
    } else {
        volume
    }
}

/// Whether moving the volume slider to `volume` should unmute (turning it up means "I want sound").
pub fn unmutes(volume: f64, muted: bool) -> bool {
    muted && volume > 0.0
}

/// The key of the full-screen button's name.
pub fn fullscreen_label(on: bool) -> &'static str {
    if on {
        "controls.exit_fullscreen"
    } else {
        "controls.fullscreen"
    }
}

/// What the middle of the bar shows: a live stream's readout, or a recording's seek bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timeline {
    /// Live; `behind` whole seconds behind when noticeably so (then "go live" is offered).
    Live { behind: Option<u64> },
    /// A recording (VOD) this many seconds long.
    Recording { duration: f64 },
}

impl Timeline {
    /// From the player: a finite, positive duration is a recording; a live stream's distance from
    /// live is its latency or what it has loaded ahead (see [`distance_from_live`]).
    pub fn new(duration: f64, live: bool, latency: f64, buffer_ahead: f64) -> Self {
        if duration.is_finite() && duration > 0.0 {
            return Self::Recording { duration };
        }
        Self::Live { behind: if live { behind_live(distance_from_live(latency, buffer_ahead)) } else { None } }
    }

    /// How many whole seconds behind live the picture is, when noticeably so.
    pub fn behind_secs(self) -> Option<u64> {
        match self {
            Self::Live { behind } => behind,
            Self::Recording { .. } => None,
        }
    }

    /// Whether "go live" is offered.
    pub fn behind(self) -> bool {
        matches!(self, Self::Live { behind: Some(_) })
    }

    /// A recording's length, if this is one.
    pub fn duration(self) -> Option<f64> {
        match self {
            Self::Recording { duration } => Some(duration),
            Self::Live { .. } => None,
        }
    }
}

/// The quality menu: which entry is selected (`auto` or a rendition's name) and what the auto
/// entry names (`Auto (360p30)`: what the player picked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualityMenu {
    pub selected: String,
    pub auto_playing: Option<String>,
}

impl QualityMenu {
    /// From whether the player chooses (`auto`) and the rendition playing.
    pub fn new(auto: bool, playing: Option<&str>) -> Self {
        let playing = playing.filter(|name| !name.is_empty());
        let selected = match playing {
            Some(name) if !auto => name.to_owned(),
            _ => "auto".to_owned(),
        };
        Self { selected, auto_playing: playing.filter(|_| auto).map(str::to_owned) }
    }
}

/// The renditions to list: what the player lists now, or — while it lists none (buffering,
/// switching) — what it listed before.
pub fn listed_qualities(previous: Option<&[String]>, now: Vec<String>) -> Vec<String> {
    if now.is_empty() {
        previous.map(<[String]>::to_vec).unwrap_or_default()
    } else {
        now
    }
}

/// What the stats panel is given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatsInput {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub quality: String,
    pub bitrate: f64,
    pub buffer: f64,
    pub live: bool,
    pub latency: f64,
    pub dropped_frames: Option<u64>,
}

/// The stats panel's rows: the key of each one's name (`locales/*.json`), and its figure.
pub fn stats_rows(input: &StatsInput) -> [(&'static str, Figure); 6] {
    [
        ("stats.resolution", input.width.zip(input.height).filter(|(w, h)| *w > 0 && *h > 0).map_or(Figure::Unknown, |(w, h)| Figure::Size(w, h))),
        ("stats.quality", if input.quality.is_empty() { Figure::Unknown } else { Figure::Text(input.quality.clone()) }),
        ("stats.bitrate", bitrate(input.bitrate)),
        ("stats.buffer", seconds(input.buffer)),
        // The player measures latency on IVS streams; elsewhere it reports none.
        ("stats.latency", Some(input.latency).filter(|l| input.live && *l > 0.0).map_or(Figure::Unknown, seconds)),
        ("stats.dropped_frames", input.dropped_frames.map_or(Figure::Unknown, Figure::Count)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_play_button_follows_the_player_and_the_video() {
        assert_eq!(PlayButton::new(true, false), PlayButton { action: PlayAction::Pause, shows_pause: true, label: "controls.pause" });
        assert_eq!(PlayButton::new(false, true).action, PlayAction::Play);
        assert_eq!(PlayButton::new(false, false).label, "controls.play", "buffering: a click asks to play");
        // The video paused a moment before the player says so: the click plays.
        assert_eq!(PlayButton::new(true, true).action, PlayAction::Play);
        assert_eq!((mute_label(true), mute_label(false)), ("controls.unmute", "controls.mute"));
        assert_eq!((volume_shown(true, 0.7), volume_shown(false, 0.7)), (0.0, 0.7));
        assert!(unmutes(0.3, true) && !unmutes(0.0, true) && !unmutes(0.3, false));
        assert_eq!(fullscreen_label(true), "controls.exit_fullscreen");
    }

    #[test]
    fn the_timeline_is_live_or_a_recording() {
        assert_eq!(Timeline::new(f64::INFINITY, true, 2.0, 1.0), Timeline::Live { behind: None });
        assert_eq!(Timeline::new(f64::NAN, true, 0.0, 1.0).behind_secs(), None);
        let behind = Timeline::new(f64::INFINITY, true, 0.0, 12.4);
        assert_eq!((behind.behind_secs(), behind.behind()), (Some(12), true));
        assert_eq!(Timeline::new(0.0, false, 0.0, 20.0), Timeline::Live { behind: None }, "not live: never behind");
        let vod = Timeline::new(190.0, false, 0.0, 3.0);
        assert_eq!((vod.duration(), vod.behind()), (Some(190.0), false));
    }

    #[test]
    fn the_quality_menu_names_what_auto_picked() {
        assert_eq!(QualityMenu::new(true, Some("360p30")), QualityMenu { selected: "auto".into(), auto_playing: Some("360p30".into()) });
        assert_eq!(QualityMenu::new(false, Some("180p30")), QualityMenu { selected: "180p30".into(), auto_playing: None });
        assert_eq!(QualityMenu::new(false, None).selected, "auto");
        assert_eq!(QualityMenu::new(true, Some("")).auto_playing, None);
        let kept = vec!["360p30".to_owned(), "180p30".to_owned()];
        assert_eq!(listed_qualities(Some(&kept), Vec::new()), kept, "kept while the player lists none");
        assert_eq!(listed_qualities(Some(&kept), vec!["720p30".into()]), ["720p30"]);
        assert!(listed_qualities(None, Vec::new()).is_empty());
    }

    #[test]
    fn the_stats_rows_in_words() {
        let rows = stats_rows(&StatsInput {
            width: Some(640),
            height: Some(360),
            quality: "360p30".into(),
            bitrate: 1_200_000.0,
            buffer: 1.44,
            live: true,
            latency: 2.0,
            dropped_frames: Some(3),
        });
        let values: Vec<Figure> = rows.iter().map(|(_, v)| v.clone()).collect();
        assert_eq!(
            values,
            [
                Figure::Size(640, 360),
                Figure::Text("360p30".into()),
                Figure::Bitrate(1_200_000.0),
                Figure::Seconds(1.44),
                Figure::Seconds(2.0),
                Figure::Count(3)
            ]
        );
        let empty = stats_rows(&StatsInput { live: false, latency: 2.0, ..Default::default() });
        assert!(empty.iter().filter(|(name, _)| *name != "stats.buffer").all(|(_, v)| *v == Figure::Unknown), "{empty:?}");
    }

    #[test]
    fn keys_map_to_shortcuts_unless_typing() {
        assert_eq!(shortcut("k", false, false), Some(Shortcut::TogglePlay));
        assert_eq!(shortcut(" ", false, false), Some(Shortcut::TogglePlay));
        assert_eq!(shortcut("M", false, false), Some(Shortcut::ToggleMute));
        assert_eq!(shortcut("ArrowUp", false, false), Some(Shortcut::VolumeUp));
        assert_eq!(shortcut("?", false, false), Some(Shortcut::ToggleHelp));
        assert_eq!(shortcut("k", true, false), None, "typing in the chat is typing");
        assert_eq!(shortcut("Escape", true, false), Some(Shortcut::Dismiss), "Escape works everywhere");
        assert_eq!(shortcut("f", false, true), None, "Ctrl+F is the browser's");
        assert_eq!(shortcut("x", false, false), None);
        assert_eq!(shortcut("l", false, false), Some(Shortcut::JumpToLive));
        assert_eq!(shortcut("l", true, false), None);
        assert_eq!(SHORTCUTS.len(), 10);
    }

    #[test]
    fn volume_steps_and_live_distance() {
        assert_eq!(step_volume(0.5, true), 0.6);
        assert_eq!(step_volume(1.0, true), 1.0);
        assert_eq!(step_volume(0.04, false), 0.0);
        assert_eq!(behind_live(2.5), None);
        assert_eq!(behind_live(12.4), Some(12));
        assert_eq!(behind_live(f64::NAN), None);
        // The player's latency, or what it has loaded ahead, whichever says further.
        assert_eq!(distance_from_live(2.0, 1.5), 2.0);
        assert_eq!(distance_from_live(0.0, 11.5), 11.5);
        assert_eq!(distance_from_live(f64::NAN, f64::INFINITY), 0.0);
        assert_eq!(behind_live(distance_from_live(0.0, 11.6)), Some(12));
        // Go live seeks within what is loaded when far behind, else reloads at the edge.
        assert_eq!(live_edge_seek(10.0, 11.5), Some(20.5));
        assert_eq!(live_edge_seek(10.0, 1.5), None);
        assert_eq!(live_edge_seek(f64::NAN, 11.5), None);
    }

    #[test]
    fn figures_in_words() {
        assert_eq!(bitrate(2_480_000.0), Figure::Bitrate(2_480_000.0));
        assert_eq!(bitrate(0.0), Figure::Unknown);
        assert_eq!(bitrate(f64::NAN), Figure::Unknown);
        assert_eq!(seconds(1.44), Figure::Seconds(1.44));
        assert_eq!(seconds(f64::INFINITY), Figure::Unknown);
    }
}
