//! The encoding ladder: how a broadcast's input becomes renditions — transcoded into a ladder
//! (`STANDARD`) or passed through as one rendition (`BASIC`), named the way IVS names its qualities.

use ivs_codecs::FRAME_RATE;

/// One rung of the encoding ladder: a rendition viewers (or their player's ABR) can pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rung {
    /// IVS-style name: height and frame rate, e.g. `360p30`.
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub video_kbps: u32,
}

/// The audio bitrate of every rendition.
pub const AUDIO_KBPS: u32 = 96;
/// The largest rendition transcoded here (a larger input is scaled down to it).
const MAX_TRANSCODE: (u32, u32) = (1280, 720);

/// What the broadcaster sends, as far as the ingest knows it when the broadcast starts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input {
    pub width: u32,
    pub height: u32,
    pub frame_rate: f64,
    pub video_kbps: u32,
    /// Whether the input has audio (silence is added when it has not).
    pub audio: bool,
}

/// How a broadcast's input becomes renditions.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub ladder: Vec<Rung>,
    /// Transcoded into `ladder` (`STANDARD`), or passed through as its one rung (`BASIC`).
    pub transcode: bool,
    pub audio: bool,
    /// Splice the wall-clock second in as CEA-608 captions (the built-in test stream).
    pub captions: bool,
}

impl Plan {
    /// A `STANDARD` channel: the input's size (at most 720p) and half of it, at 30 fps, as IVS
    /// transcodes a ladder.
    pub fn transcoded(input: &Input) -> Self {
        let scale =
            f64::min(1.0, f64::min(f64::from(MAX_TRANSCODE.0) / f64::from(input.width.max(2)), f64::from(MAX_TRANSCODE.1) / f64::from(input.height.max(2))));
        // Even sizes: the encoder needs them for 4:2:0.
        let even = |v: f64| ((v.round() as u32) & !1).max(2);
        let (width, height) = (even(f64::from(input.width) * scale), even(f64::from(input.height) * scale));
        let kbps = |h: u32| {
            if h > 360 {
                2500
            } else if h > 180 {
                1000
            } else {
                300
            }
        };
        let rung = |width: u32, height: u32| Rung { name: format!("{height}p{FRAME_RATE}"), width, height, video_kbps: kbps(height) };
        Self {
            ladder: vec![rung(width, height), rung(even(f64::from(width) / 2.0), even(f64::from(height) / 2.0))],
            transcode: true,
            audio: input.audio,
            captions: false,
        }
    }

    /// A `BASIC` channel: the input as it comes, one rendition.
    pub fn passed_through(input: &Input) -> Self {
        let rung = Rung {
            name: format!("{}p{}", input.height, input.frame_rate.round().max(1.0) as u32),
            width: input.width,
            height: input.height,
            video_kbps: input.video_kbps,
        };
        Self { ladder: vec![rung], transcode: false, audio: input.audio, captions: false }
    }

    /// With the wall-clock captions spliced in.
    pub fn with_captions(mut self) -> Self {
        self.captions = true;
        self
    }
}

/// Where the rendition named `rung` stands in `ladder`.
pub fn rung_index(ladder: &[Rung], rung: &str) -> Option<usize> {
    ladder.iter().position(|r| r.name == rung)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladders_follow_the_input_and_the_channel_type() {
        let input = Input { width: 1920, height: 1080, frame_rate: 59.94, video_kbps: 6000, audio: true };
        let standard = Plan::transcoded(&input);
        let names: Vec<&str> = standard.ladder.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["720p30", "360p30"]);
        assert_eq!((standard.ladder[0].width, standard.ladder[1].width), (1280, 640));
        let small = Plan::transcoded(&Input { width: 640, height: 360, ..input });
        assert_eq!(small.ladder.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["360p30", "180p30"]);
        let basic = Plan::passed_through(&input);
        assert_eq!((basic.ladder.len(), basic.ladder[0].name.as_str(), basic.transcode), (1, "1080p60", false));
        // Odd input sizes still give even renditions.
        let odd = Plan::transcoded(&Input { width: 853, height: 479, ..input });
        assert!(odd.ladder.iter().all(|r| r.width % 2 == 0 && r.height % 2 == 0), "{odd:?}");
    }
}
