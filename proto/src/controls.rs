//! The player's controls, as decisions: which key does what, how far behind live the viewer is,
//! and the figures of the stats panel in words.

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

/// The shortcuts, as the help overlay lists them.
pub const SHORTCUTS: [(&str, &str); 10] = [
    ("K or Space", "Play or pause"),
    ("M", "Mute or unmute"),
    ("F", "Full screen"),
    ("↑ ↓", "Volume up or down"),
    ("← →", "Back or forward 5 s (recordings)"),
    ("C", "Captions on or off"),
    ("I", "Stats for nerds"),
    ("L", "Jump to live"),
    ("?", "This help"),
    ("Esc", "Close overlays and panels"),
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
    if x.is_finite() { x.max(0.0) } else { 0.0 }
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

/// A bitrate in words: `850 kbps`, `2.5 Mbps`.
pub fn bitrate(bits_per_second: f64) -> String {
    if !bits_per_second.is_finite() || bits_per_second <= 0.0 {
        return "—".into();
    }
    if bits_per_second >= 1_000_000.0 {
        let tenths = (bits_per_second / 100_000.0).round() as u64;
        format!("{}.{} Mbps", tenths / 10, tenths % 10)
    } else {
        format!("{} kbps", (bits_per_second / 1000.0).round() as u64)
    }
}

/// Seconds in words with one decimal: `1.4 s`.
pub fn seconds(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "—".into();
    }
    let tenths = (secs * 10.0).round() as u64;
    format!("{}.{} s", tenths / 10, tenths % 10)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(bitrate(2_480_000.0), "2.5 Mbps");
        assert_eq!(bitrate(850_400.0), "850 kbps");
        assert_eq!(bitrate(0.0), "—");
        assert_eq!(seconds(1.44), "1.4 s");
        assert_eq!(seconds(f64::INFINITY), "—");
    }
}
