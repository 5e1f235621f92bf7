//! A video frame's picture size, read from a keyframe as a stage's publisher sends it: a VP8
//! keyframe's header, or an H.264 access unit's sequence parameter set. The local IVS checks it
//! against IVS's published-resolution limit (720p).

/// The size in a VP8 keyframe (RFC 6386 §9.1): the 3-byte frame tag with bit 0 clear, the start
/// code `9d 01 2a`, then width and height in 14 bits each. `None` for an interframe or what is not
/// VP8.
pub fn vp8_keyframe_size(frame: &[u8]) -> Option<(u32, u32)> {
    let header = frame.get(..10)?;
    if header[0] & 1 != 0 || header[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([header[6], header[7]]) & 0x3fff;
    let height = u16::from_le_bytes([header[8], header[9]]) & 0x3fff;
    Some((u32::from(width), u32::from(height)))
}

/// The size in the first sequence parameter set of an H.264 access unit in Annex B form (start
/// codes between NAL units, as WebRTC depacketisers give it), after the SPS's cropping. `None`
/// when there is no SPS or it does not read.
pub fn h264_frame_size(annex_b: &[u8]) -> Option<(u32, u32)> {
    nal_units(annex_b).find(|nal| nal.first().is_some_and(|h| h & 0x1f == 7)).and_then(sps_size)
}

/// The NAL units between start codes (`00 00 01`, or `00 00 00 01`).
fn nal_units(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1 {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let ends: Vec<usize> = starts.iter().skip(1).map(|&s| s - 3).chain(std::iter::once(data.len())).collect();
    starts.into_iter().zip(ends).map(move |(s, e)| {
        // A four-byte start code leaves a zero at the end of the unit before it.
        let mut end = e;
        while end > s && data[end - 1] == 0 {
            end -= 1;
        }
        &data[s..end]
    })
}

/// Reads bits most significant first from an RBSP (emulation-prevention bytes removed).
struct Bits {
    rbsp: Vec<u8>,
    at: usize,
}

impl Bits {
    fn new(nal_payload: &[u8]) -> Self {
        let mut rbsp = Vec::with_capacity(nal_payload.len());
        let mut zeros = 0;
        for &byte in nal_payload {
            if zeros >= 2 && byte == 3 {
                zeros = 0;
                continue;
            }
            zeros = if byte == 0 { zeros + 1 } else { 0 };
            rbsp.push(byte);
        }
        Self { rbsp, at: 0 }
    }

    fn bit(&mut self) -> Option<u32> {
        let byte = *self.rbsp.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |acc, _| Some((acc << 1) | self.bit()?))
    }

    /// An unsigned Exp-Golomb number (`ue(v)`), at most 32 bits long.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some(((1u64 << zeros) - 1 + u64::from(self.bits(zeros)?)).min(u64::from(u32::MAX)) as u32)
    }

    /// A signed Exp-Golomb number (`se(v)`); only skipped here.
    fn se(&mut self) -> Option<()> {
        self.ue().map(drop)
    }
}

/// The picture size an SPS (its NAL header byte first) describes (ITU-T H.264 §7.3.2.1.1).
fn sps_size(nal: &[u8]) -> Option<(u32, u32)> {
    let mut r = Bits::new(nal.get(1..)?);
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // seq_parameter_set_id
    let mut chroma_format = 1;
    if matches!(profile, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma_format = r.ue()?;
        if chroma_format == 3 {
            r.bit()?; // separate_colour_plane_flag
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? == 1 {
            let lists = if chroma_format == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            let cycle = r.ue()?;
            if cycle > 255 {
                return None;
            }
            for _ in 0..cycle {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = u64::from(r.ue()?) + 1;
    let height_units = u64::from(r.ue()?) + 1;
    let frame_mbs_only = u64::from(r.bit()?);
    if frame_mbs_only == 0 {
        r.bit()?; // mb_adaptive_frame_field_flag
    }
    r.bit()?; // direct_8x8_inference_flag
    let (mut left, mut right, mut top, mut bottom) = (0, 0, 0, 0);
    if r.bit()? == 1 {
        (left, right, top, bottom) = (u64::from(r.ue()?), u64::from(r.ue()?), u64::from(r.ue()?), u64::from(r.ue()?));
    }
    let (sub_width, sub_height) = match chroma_format {
        0 => (1, 1),
        1 => (2, 2),
        2 => (2, 1),
        _ => (1, 1),
    };
    let crop_x = sub_width;
    let crop_y = sub_height * (2 - frame_mbs_only);
    let width = (width_mbs * 16).checked_sub(crop_x * (left + right))?;
    let height = ((2 - frame_mbs_only) * height_units * 16).checked_sub(crop_y * (top + bottom))?;
    Some((u32::try_from(width).ok()?, u32::try_from(height).ok()?))
}

fn skip_scaling_list(r: &mut Bits, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            // delta_scale is se(v): read as ue and mapped.
            let code = i64::from(r.ue()?);
            let delta = if code % 2 == 1 { (code + 1) / 2 } else { -(code / 2) };
            next = (last + delta + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

/// Whether a picture of `width`×`height` is within 720p, in either orientation (IVS's limit on
/// what a stage participant publishes).
pub fn within_720p(width: u32, height: u32) -> bool {
    width.max(height) <= 1280 && width.min(height) <= 720
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap()).collect()
    }

    /// SPSs as x264 writes them (High and Constrained Baseline), with their emulation-prevention bytes.
    const SPS: [(&str, (u32, u32)); 8] = [
        ("67640028acd940780227e5c044000003000400000300083c60c658", (1920, 1080)),
        ("6764001facd9405005bb011000000300100000030020f1831960", (1280, 720)),
        ("6764001facd940b40a1b011000000300100000030020f1831960", (720, 1280)),
        ("67640016acd940a02ff97011000003000100000300020f162d96", (640, 360)),
        ("6742c028d900780227e5c044000003000400000300083c60c920", (1920, 1080)),
        ("6742c01fd9005005bb011000000300100000030020f1832480", (1280, 720)),
        ("6742c01fd900b40a1b011000000300100000030020f1832480", (720, 1280)),
        ("6742c016d900a02ff97011000003000100000300020f162e48", (640, 360)),
    ];

    #[test]
    fn an_h264_access_unit_tells_its_size_from_its_sps() {
        for (sps, size) in SPS {
            let mut unit = vec![0, 0, 0, 1, 0x09, 0xf0]; // an access unit delimiter first
            unit.extend([0, 0, 0, 1]);
            unit.extend(hex(sps));
            unit.extend([0, 0, 1, 0x68, 0xce, 0x38, 0x80, 0, 0, 1, 0x65, 0x88, 0x84]);
            assert_eq!(h264_frame_size(&unit), Some(size), "{sps}");
        }
        assert_eq!(h264_frame_size(&[0, 0, 1, 0x65, 0x88, 0x84]), None, "no SPS");
        assert_eq!(h264_frame_size(&[0, 0, 1, 0x67, 0x64]), None, "a cut SPS");
    }

    #[test]
    fn a_vp8_keyframe_tells_its_size() {
        // As libvpx wrote a 1920×1080 keyframe.
        assert_eq!(vp8_keyframe_size(&hex("706b029d012a80073804")), Some((1920, 1080)));
        assert_eq!(vp8_keyframe_size(&hex("716b029d012a80073804")), None, "an interframe");
        assert_eq!(vp8_keyframe_size(&hex("706b02000000")), None);
    }

    #[test]
    fn within_720p_either_way_round() {
        assert!(within_720p(1280, 720) && within_720p(720, 1280) && within_720p(640, 360));
        assert!(!within_720p(1920, 1080) && !within_720p(1080, 1920) && !within_720p(1281, 720));
    }

    #[test]
    fn hostile_bytes_never_panic() {
        let mut seed = 7u32;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (seed >> 16) as u8
                })
                .collect();
            let _ = vp8_keyframe_size(&bytes);
            let mut unit = vec![0, 0, 1, 0x67];
            unit.extend(&bytes);
            let _ = h264_frame_size(&unit);
        }
    }
}
