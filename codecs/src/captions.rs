//! Closed captions in the video, as broadcasters' encoders embed them and IVS passes them through:
//! CEA-608 byte pairs in H.264 SEI messages (ATSC A/53 `GA94` user data), one pair per frame.
//!
//! The local stream captions itself with the wall-clock second, one pop-on caption every two
//! seconds on the bottom row. Which pair a frame carries depends only on its frame number, so
//! every rendition carries the same captions at the same pictures.

/// A new caption every this many frames (two seconds at 30 fps).
pub const PERIOD_FRAMES: u64 = 60;
/// The most characters a 608 row holds.
const ROW_CHARS: usize = 32;

/// `byte` with odd parity in its top bit, as 608 sends every byte.
fn odd_parity(byte: u8) -> u8 {
    let b = byte & 0x7F;
    if b.count_ones().is_multiple_of(2) {
        b | 0x80
    } else {
        b
    }
}

/// A 608 control code: sent twice, as decoders expect (they drop the repeat).
fn control(first: u8, second: u8) -> [[u8; 2]; 2] {
    let pair = [odd_parity(first), odd_parity(second)];
    [pair, pair]
}

/// `c` in the 608 basic character set where it means the same as in ASCII.
fn basic(c: char) -> Option<u8> {
    let b = u8::try_from(c).ok().filter(|b| (0x20..0x7F).contains(b))?;
    // These code points are accented letters and symbols in 608, not their ASCII selves.
    (!matches!(b, 0x2A | 0x5C | 0x5E | 0x5F | 0x60 | 0x7B | 0x7C | 0x7D | 0x7E)).then_some(b)
}

/// The pairs that show `text` as a pop-on caption on row 15: resume caption loading, erase the
/// hidden memory, position, the characters, end of caption (which displays it).
pub fn pop_on(text: &str) -> Vec<[u8; 2]> {
    let chars: Vec<u8> = text.chars().map(|c| basic(c).unwrap_or(b'?')).take(ROW_CHARS).collect();
    let mut pairs = Vec::with_capacity(10 + chars.len() / 2);
    pairs.extend(control(0x14, 0x20)); // RCL
    pairs.extend(control(0x14, 0x2E)); // ENM
    pairs.extend(control(0x14, 0x60)); // PAC: row 15, column 0, white
    pairs.extend(chars.chunks(2).map(|c| [odd_parity(c[0]), odd_parity(c.get(1).copied().unwrap_or(0))]));
    pairs.extend(control(0x14, 0x2F)); // EOC
    pairs
}

/// An H.264 SEI NAL unit (Annex B, with its start code) carrying one field-1 608 pair.
pub fn sei_nal(pair: [u8; 2]) -> Vec<u8> {
    let user_data = [
        0xB5,
        0x00,
        0x31, // ITU-T T.35: United States, ATSC
        b'G',
        b'A',
        b'9',
        b'4',
        0x03,     // A/53 user data: cc_data
        0x40 | 1, // process_cc_data_flag, cc_count = 1
        0xFF,     // em_data
        0xFC,
        pair[0],
        pair[1], // marker bits, cc_valid, cc_type 0 (608 field 1)
        0xFF,    // marker bits
    ];
    let mut rbsp = vec![4, user_data.len() as u8]; // user_data_registered_itu_t_t35, size
    rbsp.extend_from_slice(&user_data);
    rbsp.push(0x80); // rbsp trailing bits
    let mut nal = vec![0, 0, 0, 1, 0x06];
    nal.extend(emulation_prevented(&rbsp));
    nal
}

/// `rbsp` with emulation prevention: no `00 00 0x` (x ≤ 3) inside a NAL unit.
fn emulation_prevented(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + 2);
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte <= 3 {
            out.push(3);
            zeros = 0;
        }
        out.push(byte);
        zeros = if byte == 0 { zeros + 1 } else { 0 };
    }
    out
}

/// What the local stream's caption says over one period: the wall-clock second it starts at.
pub fn clock_caption(wall_ms: i64) -> String {
    let time = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(wall_ms) * 1_000_000).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!("Local test stream, {:02}:{:02}:{:02} UTC", time.hour(), time.minute(), time.second())
}

/// The captions of a stream, frame by frame, keeping the current period's pairs.
#[derive(Debug, Default)]
pub struct Captioner {
    period: Option<u64>,
    pairs: Vec<[u8; 2]>,
}

impl Captioner {
    /// The pair frame `frame` (counted from the stream's first) carries, if any; `text` is asked
    /// for the caption of a period when it starts.
    pub fn pair(&mut self, frame: u64, text: impl FnOnce(u64) -> String) -> Option<[u8; 2]> {
        let period = frame / PERIOD_FRAMES;
        if self.period != Some(period) {
            self.period = Some(period);
            self.pairs = pop_on(&text(period));
        }
        self.pairs.get((frame % PERIOD_FRAMES) as usize).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_has_odd_parity() {
        for pair in pop_on("Local test stream, 12:34:56 UTC") {
            for byte in pair {
                assert_eq!(byte.count_ones() % 2, 1, "{byte:#04x}");
            }
        }
        assert_eq!(odd_parity(0x14), 0x94);
        assert_eq!(odd_parity(0x20), 0x20);
        assert_eq!(odd_parity(0x00), 0x80);
    }

    #[test]
    fn a_pop_on_caption_loads_positions_writes_and_displays() {
        let pairs = pop_on("Hi!");
        let plain: Vec<[u8; 2]> = pairs.iter().map(|p| [p[0] & 0x7F, p[1] & 0x7F]).collect();
        assert_eq!(
            plain,
            [[0x14, 0x20], [0x14, 0x20], [0x14, 0x2E], [0x14, 0x2E], [0x14, 0x60], [0x14, 0x60], [b'H', b'i'], [b'!', 0], [0x14, 0x2F], [0x14, 0x2F]]
        );
        // Characters 608 spells differently become '?'; a row holds 32.
        let odd = pop_on("a*b");
        assert_eq!([odd[6][0] & 0x7F, odd[6][1] & 0x7F], [b'a', b'?']);
        assert_eq!(pop_on(&"x".repeat(50)).len(), 6 + 16 + 2);
    }

    #[test]
    fn the_sei_is_an_a53_cc_message() {
        let nal = sei_nal([0x94, 0x20]);
        assert_eq!(&nal[..7], &[0, 0, 0, 1, 0x06, 4, 14]);
        assert_eq!(&nal[7..15], &[0xB5, 0x00, 0x31, b'G', b'A', b'9', b'4', 0x03]);
        assert_eq!(&nal[17..20], &[0xFC, 0x94, 0x20]);
        assert_eq!(nal.last(), Some(&0x80));
        // Zero runs are escaped so nothing inside can look like a start code.
        assert_eq!(emulation_prevented(&[0, 0, 1, 0, 0, 0, 0xFF]), [0, 0, 3, 1, 0, 0, 3, 0, 0xFF]);
        assert_eq!(emulation_prevented(&[0, 0, 4]), [0, 0, 4]);
    }

    #[test]
    fn the_captioner_sends_each_caption_once_per_period() {
        let mut captioner = Captioner::default();
        let mut asked = Vec::new();
        let sent: Vec<Option<[u8; 2]>> = (0..2 * PERIOD_FRAMES)
            .map(|frame| {
                captioner.pair(frame, |period| {
                    asked.push(period);
                    format!("caption {period}")
                })
            })
            .collect();
        assert_eq!(asked, [0, 1]);
        let per_period = pop_on("caption 0").len();
        assert_eq!(sent.iter().filter(|p| p.is_some()).count(), 2 * per_period);
        assert!(sent[per_period].is_none() && sent[PERIOD_FRAMES as usize].is_some());
        assert_eq!(clock_caption(45_296_000), "Local test stream, 12:34:56 UTC");
    }
}
