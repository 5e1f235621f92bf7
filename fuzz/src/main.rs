//! `ivs-fuzz`: every parser of outside data under millions of hostile inputs, on the stable
//! toolchain.
//!
//! For each target, inputs are made by mutating the seeds in `fuzz/corpus/<target>/` (bit flips,
//! random bytes, insertions and deletions, repeated runs, splices of two seeds, tokens of the
//! format) and fed to the parser. A panic, an input that takes over a second, or one that
//! allocates over 64 MiB at once is a finding: the input is written to `fuzz/findings/<target>/`
//! and the run fails. Each target prints how many inputs it ran and how fast.
//!
//! `cargo run --release -p ivs-fuzz -- [--count N] [--seed S] [target…]`
//!
//! One cohesive thing, kept whole (just over 500 lines): the mutator and the table of targets.

use std::alloc::{GlobalAlloc, Layout, System};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use ivs_codecs::ts::{self, Pmt, PACKET_LEN, PAT_PID};
use ivs_codecs::{captions, frame_size, rtmp, segmenter};
use ivs_local::control::playback_auth;

/// A broadcaster's first messages, as a seed: `connect`, `createStream`, `publish`, metadata and
/// a video message, chunked as a client chunks them.
fn rtmp_seed() -> Vec<u8> {
    use rtmp::{encode, encode_amf, Amf};
    let text = |s: &str| Amf::String(s.into());
    let mut wire = encode(3, rtmp::COMMAND, 0, &encode_amf(&[text("connect"), Amf::Number(1.0), Amf::Object(vec![("app".into(), text("app"))])]));
    wire.extend(encode(3, rtmp::COMMAND, 0, &encode_amf(&[text("createStream"), Amf::Number(2.0), Amf::Null])));
    wire.extend(encode(4, rtmp::COMMAND, 1, &encode_amf(&[text("publish"), Amf::Number(3.0), Amf::Null, text("sk_us-east-1_key"), text("live")])));
    let metadata = Amf::Object(vec![("width".into(), Amf::Number(1280.0)), ("height".into(), Amf::Number(720.0))]);
    wire.extend(encode(4, rtmp::DATA, 1, &encode_amf(&[text("@setDataFrame"), text("onMetaData"), metadata])));
    wire.extend(encode(6, rtmp::VIDEO, 1, &[0x17, 0, 0, 0, 0, 1, 0x64, 0, 0x1F]));
    wire
}

/// The start of a live transport stream, as the transcoder writes one: PAT, PMT (one H.264
/// stream), then video PES packets, a keyframe every fifteenth, 30 fps.
fn ts_seed() -> Vec<u8> {
    const VIDEO: u16 = 0x100;
    const PMT_PID: u16 = 0x1000;
    let pmt = Pmt { program_number: 1, pcr_pid: VIDEO, streams: vec![(0x1B, VIDEO, vec![])] };
    let mut wire = Vec::new();
    wire.extend(ts::section_packet(PAT_PID, &mut 0, &ts::encode_pat(1, PMT_PID)));
    wire.extend(ts::section_packet(PMT_PID, &mut 0, &pmt.encode()));
    for frame in 0..32u64 {
        let pts = frame * 3000;
        let mut p = [0xFFu8; PACKET_LEN];
        p[..6].copy_from_slice(&[0x47, 0x40 | (VIDEO >> 8) as u8, VIDEO as u8, 0x30 | (frame % 16) as u8, 1, if frame % 15 == 0 { 0x40 } else { 0 }]);
        p[6..15].copy_from_slice(&[0, 0, 1, 0xE0, 0, 0, 0x80, 0x80, 5]);
        p[15..20].copy_from_slice(&[
            0x21 | ((pts >> 29) as u8 & 0x0E),
            (pts >> 22) as u8,
            0x01 | ((pts >> 14) as u8 & 0xFE),
            (pts >> 7) as u8,
            0x01 | ((pts << 1) as u8 & 0xFE),
        ]);
        // An access unit delimiter, where captions are spliced in after.
        p[20..26].copy_from_slice(&[0, 0, 0, 1, 0x09, 0xF0]);
        wire.extend(p);
    }
    wire
}

/// Counts the largest single allocation, so an input that makes a parser allocate without bound
/// is seen: over [`ALLOCATION_LIMIT`] it is a finding; over [`HARD_LIMIT`] the allocation fails
/// and the run stops there ("memory allocation failed") rather than taking the machine down.
struct Watchful;

static LARGEST: AtomicUsize = AtomicUsize::new(0);
const ALLOCATION_LIMIT: usize = 64 << 20;
const HARD_LIMIT: usize = 1 << 30;

unsafe impl GlobalAlloc for Watchful {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.fetch_max(layout.size(), Ordering::Relaxed);
        if layout.size() > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: the caller's layout is passed on unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LARGEST.fetch_max(new_size, Ordering::Relaxed);
        if new_size > HARD_LIMIT {
            return std::ptr::null_mut();
        }
        // SAFETY: as for `alloc`; `ptr` and `layout` are the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Watchful = Watchful;

/// The site server's JWT check, set up once.
fn site_identity() -> ivs_site::identity::Identity {
    let config = ivs_site::config::IdentityConfig {
        cookie_secret: Some("07".repeat(32)),
        jwt: Some(ivs_site::config::Jwt {
            cookie: "site_session".into(),
            hs256_secret: Some(SITE_SECRET.into()),
            public_key: None,
            issuer: None,
            audience: None,
            user_claim: "sub".into(),
            name_claim: "name".into(),
            moderator_claim: "moderator".into(),
            host_claim: "host".into(),
            operator_claim: "operator".into(),
        }),
        ..Default::default()
    };
    ivs_site::identity::Identity::load(&config, Path::new("/nonexistent"), false).expect("a valid identity configuration")
}

const SITE_SECRET: &str = "the-fuzzed-site-secret-of-32-chars!";

/// A parser under test.
struct Target {
    name: &'static str,
    /// Tokens of its format, spliced into inputs.
    dictionary: &'static [&'static str],
    /// Seeds made here, besides the corpus's (they need a key made at run time, say).
    made_seeds: Vec<Vec<u8>>,
    run: Box<dyn Fn(&[u8])>,
}

const CHANNEL: &str = "arn:aws:ivs:us-east-1:000000000000:channel/local";

/// A playback token as a site signs it.
fn playback_token(key: &p384::ecdsa::SigningKey, claims: serde_json::Value) -> String {
    use base64::Engine;
    use p384::ecdsa::signature::Signer;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let signed = format!("{}.{}", b64(br#"{"alg":"ES384","typ":"JWT"}"#), b64(claims.to_string().as_bytes()));
    let signature: p384::ecdsa::Signature = key.sign(signed.as_bytes());
    format!("{signed}.{}", b64(&signature.to_bytes()))
}

/// The local IVS's key pairs with one imported, and tokens signed by it.
fn playback_keys() -> (playback_auth::KeyPairs, Vec<Vec<u8>>) {
    use p384::pkcs8::{EncodePublicKey, LineEnding};
    let key = p384::ecdsa::SigningKey::from_bytes(&[7u8; 48].into()).expect("a valid scalar");
    let pairs = playback_auth::KeyPairs::load(None);
    let pem = key.verifying_key().to_public_key_pem(LineEnding::LF).expect("a P-384 key encodes");
    let _ = pairs.import(&pem, "fuzz", Default::default(), "arn:aws:ivs:us-east-1:000000000000:playback-key/");
    let seeds = [
        serde_json::json!({ "aws:channel-arn": CHANNEL, "aws:access-control-allow-origin": "https://site.example", "exp": 4102444800u64 }),
        serde_json::json!({ "aws:channel-arn": CHANNEL, "exp": 1 }),
        serde_json::json!({ "aws:channel-arn": "arn:aws:ivs:us-east-1:000000000000:channel/other", "exp": 4102444800u64 }),
    ]
    .into_iter()
    .map(|claims| playback_token(&key, claims).into_bytes())
    .collect();
    (pairs, seeds)
}

fn text(input: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(input)
}

fn targets() -> Vec<Target> {
    let json: &[&str] = &["{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0", "\\u0000", "\\ud800", "\"type\"", "\"poll\"", "\"options\""];
    let identity = site_identity();
    let (playback_pairs, playback_seeds) = playback_keys();
    vec![
        Target {
            name: "rtmp",
            dictionary: &["\x02", "\x03", "\x08", "\x0a", "\x00\x00\x09", "\x04", "\x7f\x7f\x7f", "connect", "publish", "onMetaData"],
            made_seeds: vec![rtmp_seed()],
            run: Box::new(|input| {
                let mut decoder = rtmp::Decoder::default();
                for piece in input.chunks(97) {
                    decoder.push(piece);
                    while let Ok(Some(message)) = decoder.next_message() {
                        if matches!(message.type_id, rtmp::COMMAND | rtmp::DATA) {
                            drop(rtmp::decode_amf(&message.payload));
                        }
                    }
                }
                drop(rtmp::decode_amf(input));
            }),
        },
        Target {
            name: "ts",
            dictionary: &["\x47", "\x47\x40\x00", "\x00\x00\x01", "\x00\x00\x00\x01\x09", "\x1b", "\x15", "ID3 ", "\x7f\x7f\x7f\x7f"],
            made_seeds: vec![ts_seed()],
            run: Box::new(|input| {
                // Whole packets, each with its sync byte, so the segmenter reads past the header.
                let mut segmenter = segmenter::Segmenter::new(0.5, 0, 1_700_000_000_000, 0).with_captions();
                segmenter.push_metadata("{\"type\":\"notice\"}".into());
                for chunk in input.chunks(PACKET_LEN) {
                    let mut packet = [0xFFu8; PACKET_LEN];
                    packet[..chunk.len()].copy_from_slice(chunk);
                    packet[0] = 0x47;
                    drop(segmenter.push_packet(&packet));
                }
                drop(segmenter.finish());
                let _ = ts::Packet::parse(input);
                drop(Pmt::parse(input));
                let _ = ts::pes_pts(input);
            }),
        },
        Target {
            name: "captions",
            dictionary: &["\x47", "\x00\x00\x01", "\x00\x00\x00\x01\x09", "GA94", "\x14\x2c"],
            made_seeds: vec![ts_seed()[2 * PACKET_LEN..3 * PACKET_LEN].to_vec()],
            run: Box::new(|input| {
                // A caption spliced into a hostile video packet, and a hostile caption's text.
                let text = String::from_utf8_lossy(input);
                let pairs = captions::pop_on(&text);
                let pair = pairs.first().copied().unwrap_or([0x80, 0x80]);
                drop(ts::splice_nal(input, &captions::sei_nal(pair), input.first().copied().unwrap_or(0)));
            }),
        },
        Target {
            // What a stage's publisher sends as a keyframe: its size, for the 720p limit.
            name: "frame-size",
            dictionary: &["\x00\x00\x01\x67", "\x00\x00\x00\x01", "\x00\x00\x03", "\x64\x00\x1f"],
            made_seeds: vec![
                b"\x00\x00\x00\x01\x67\x64\x00\x1f\xac\xd9\x40\x50\x05\xbb\x01\x10\x00\x00\x03\x00\x10\x00\x00\x03\x00\x20\xf1\x83\x19\x60".to_vec(),
                b"\x70\x6b\x02\x9d\x01\x2a\x80\x07\x38\x04".to_vec(),
            ],
            run: Box::new(|input| {
                let _ = frame_size::h264_frame_size(input);
                let _ = frame_size::vp8_keyframe_size(input);
            }),
        },
        Target {
            name: "cue",
            dictionary: &[
                "{\"type\":\"poll\"",
                "\"options\":[",
                "\"duration\":",
                "\"imageUrl\":\"javascript:",
                "N4Ig",
                "\"v\":2",
                "\"id\":",
                "\"correctIndex\":",
            ],
            made_seeds: Vec::new(),
            run: Box::new(|input| drop(ivs_proto::overlay::parse_cue(&text(input)))),
        },
        Target {
            // The same cues as one public sample sends them: lz-string, base64.
            name: "cue-lz",
            dictionary: &["+", "/", "=", "A", "N4Ig", "\\u0000"],
            made_seeds: seeds(&Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/cue"))
                .iter()
                .map(|json| lz_str::compress_to_base64(String::from_utf8_lossy(json).as_ref()).into_bytes())
                .collect(),
            run: Box::new(|input| drop(ivs_proto::overlay::parse_cue(&text(input)))),
        },
        Target {
            name: "playback-jwt",
            dictionary: &[".", "eyJ", "-", "_", "eyJhbGciOiJFUzM4NCJ9", "eyJhbGciOiJub25lIn0"],
            made_seeds: playback_seeds,
            run: Box::new(move |input| {
                drop(playback_pairs.check(Some(&text(input)), CHANNEL, Some("https://site.example")));
            }),
        },
        Target {
            name: "chat-frame",
            dictionary: &[
                "\"Type\":\"MESSAGE\"",
                "\"Type\":\"EVENT\"",
                "\"Type\":\"ERROR\"",
                "\"Sender\":{",
                "\"Attributes\":{",
                "\"ErrorCode\":",
                "\"SendTime\":",
            ],
            made_seeds: Vec::new(),
            run: Box::new(|input| {
                if let Ok(frame) = ivs_proto::chat::Subscribe::parse(&text(input)) {
                    if let ivs_proto::chat::Subscribe::Event { event_name, attributes, .. } = &frame {
                        drop(ivs_proto::room_event::RoomEvent::parse(event_name, attributes));
                    }
                }
            }),
        },
        Target {
            name: "event",
            dictionary: &[
                "\"detail-type\":",
                "\"source\":\"aws.ivs\"",
                "\"resources\":[",
                "\"time\":\"2026-",
                "\"event_name\":",
                "\"stream_id\":\"st-",
                "T25:61:61Z",
            ],
            made_seeds: Vec::new(),
            run: Box::new(|input| {
                let events: Vec<_> = ivs_proto::stream_events::StreamEvent::parse(input).into_iter().collect();
                drop(ivs_proto::stream_events::fold(&events, "arn:aws:ivs:us-east-1:000000000000:channel/local"));
            }),
        },
        Target {
            name: "site-config",
            dictionary: &["[channel]", "[chat]", "[votes]", "[identity.jwt]", "arn = ", "= \"", "= [", "\n", "'''", "\"\"\"", "= 9999999999999999999"],
            made_seeds: Vec::new(),
            run: Box::new(|input| drop(ivs_site::config::Config::parse(&text(input), |_| None))),
        },
        Target {
            name: "site-jwt",
            dictionary: &[".", "eyJ", "-", "_", "=", "eyJhbGciOiJub25lIn0", "eyJhbGciOiJIUzI1NiJ9"],
            made_seeds: Vec::new(),
            run: Box::new(move |input| {
                let mut headers = axum::http::HeaderMap::new();
                if let Ok(value) = axum::http::HeaderValue::from_bytes(&[b"Bearer ".as_slice(), input].concat()) {
                    headers.insert(axum::http::header::AUTHORIZATION, value);
                    drop(identity.person(&headers));
                }
            }),
        },
        Target {
            name: "chat-token",
            dictionary: json,
            made_seeds: Vec::new(),
            run: Box::new(|input| drop(ivs_proto::chat_session::ChatToken::parse(&text(input)))),
        },
        Target {
            name: "viewer-config",
            dictionary: &["\"playbackUrl\":\"", "https://", "javascript:", "\"chatEndpoint\":", "\"embedOrigins\":[", "\"muted\":"],
            made_seeds: Vec::new(),
            run: Box::new(|input| drop(ivs_proto::config::ViewerConfig::from_json(&text(input)))),
        },
        Target {
            name: "embed-command",
            dictionary: &["\"type\":\"ivs-viewer:command\"", "\"command\":", "\"volume\":", "\"quality\"", "NaN"],
            made_seeds: Vec::new(),
            run: Box::new(|input| drop(ivs_proto::embed::parse_command(&text(input)))),
        },
        Target {
            // What a stage's viewer reads from the network: the line-up room event, a token's claims.
            name: "stage",
            dictionary: &["\"participantId\":\"", "\"userId\":", "\"whip_url\":\"", "https://", "eyJ", ".", "[{", "}]"],
            made_seeds: Vec::new(),
            run: Box::new(|input| {
                let text = text(input).into_owned();
                let attributes = ivs_proto::chat::Attributes::from([("members".to_owned(), text.clone()), ("sessionId".to_owned(), "st-x".to_owned())]);
                drop(ivs_proto::stage::Lineup::from_attributes(&attributes));
                drop(ivs_proto::stage::TokenClaims::read(&text));
                if let Ok(claims) = ivs_proto::stage::TokenClaims::read(&format!("h.{}.s", text.trim())) {
                    drop(claims.subscribe_url(&text));
                }
            }),
        },
    ]
}

/// One mutation of `input`.
fn mutate(rng: &mut StdRng, input: &mut Vec<u8>, seeds: &[Vec<u8>], dictionary: &[&str]) {
    let at = |rng: &mut StdRng, len: usize| if len == 0 { 0 } else { rng.random_range(0..=len) };
    match rng.random_range(0..8) {
        0 if !input.is_empty() => {
            let i = rng.random_range(0..input.len());
            input[i] ^= 1 << rng.random_range(0..8);
        }
        1 if !input.is_empty() => {
            let i = rng.random_range(0..input.len());
            input[i] = rng.random();
        }
        2 => {
            let i = at(rng, input.len());
            let byte = *[0u8, b'"', b'\\', b'{', b'[', 0xff, 0xc3, b'\n'].get(rng.random_range(0..8)).unwrap_or(&0);
            input.insert(i, byte);
        }
        3 if !input.is_empty() => {
            let from = rng.random_range(0..input.len());
            let to = (from + rng.random_range(1..=16)).min(input.len());
            input.drain(from..to);
        }
        4 if !input.is_empty() => {
            // A run repeated: deep nesting, long strings.
            let from = rng.random_range(0..input.len());
            let to = (from + rng.random_range(1..=8)).min(input.len());
            let run = input[from..to].to_vec();
            let times = rng.random_range(1..=64);
            let i = at(rng, input.len());
            input.splice(i..i, run.iter().copied().cycle().take(run.len() * times));
        }
        5 if !seeds.is_empty() => {
            let other = &seeds[rng.random_range(0..seeds.len())];
            let cut = at(rng, input.len());
            let from = at(rng, other.len());
            input.truncate(cut);
            input.extend_from_slice(&other[from..]);
        }
        6 if !dictionary.is_empty() => {
            let token = dictionary[rng.random_range(0..dictionary.len())];
            let i = at(rng, input.len());
            input.splice(i..i, token.bytes());
        }
        _ => {
            let cut = at(rng, input.len());
            input.truncate(cut);
        }
    }
    // Inputs stay within what a transport would deliver.
    input.truncate(64 * 1024);
}

fn seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir).map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
    files.sort();
    let seeds: Vec<Vec<u8>> = files.iter().filter_map(|f| std::fs::read(f).ok()).collect();
    if seeds.is_empty() {
        vec![b"{}".to_vec()]
    } else {
        seeds
    }
}

/// What one target's run found.
struct Run {
    secs: f64,
    slowest: Duration,
    findings: usize,
}

/// Feeds `target` `count` inputs mutated from `seeds`; findings are written into `findings_dir`.
fn fuzz(target: &Target, seeds: &[Vec<u8>], count: u64, seed: u64, findings_dir: &Path) -> Run {
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let (mut slowest, mut findings) = (Duration::ZERO, 0);
    let mut input = Vec::new();
    for n in 0..count {
        // Now and then start again from a seed, so inputs stay near the format.
        if n % 16 == 0 {
            input = seeds[rng.random_range(0..seeds.len())].clone();
        }
        for _ in 0..rng.random_range(1..=4) {
            mutate(&mut rng, &mut input, seeds, target.dictionary);
        }
        LARGEST.store(0, Ordering::Relaxed);
        let one = Instant::now();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input)));
        let took = one.elapsed();
        slowest = slowest.max(took);
        let why = match outcome {
            Err(_) => Some("panic"),
            Ok(()) if took > Duration::from_secs(1) => Some("hang"),
            Ok(()) if LARGEST.load(Ordering::Relaxed) > ALLOCATION_LIMIT => Some("allocation"),
            Ok(()) => None,
        };
        if let Some(why) = why {
            findings += 1;
            let _ = std::fs::create_dir_all(findings_dir);
            let path = findings_dir.join(format!("{why}-{n}.bin"));
            let _ = std::fs::write(&path, &input);
            eprintln!("{}: {why} on input {n}, kept in {}", target.name, path.display());
        }
    }
    Run { secs: started.elapsed().as_secs_f64(), slowest, findings }
}

fn main() -> std::process::ExitCode {
    let mut count: u64 = 10_000_000;
    let mut seed: u64 = 1;
    let mut wanted = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--count" => count = args.next().and_then(|n| n.replace('_', "").parse().ok()).expect("--count N"),
            "--seed" => seed = args.next().and_then(|n| n.parse().ok()).expect("--seed S"),
            name => wanted.push(name.to_owned()),
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Findings are reported once, by this harness, not by the default hook on every panic.
    std::panic::set_hook(Box::new(|_| {}));
    let mut failed = false;
    for target in targets().into_iter().filter(|t| wanted.is_empty() || wanted.iter().any(|w| w == t.name)) {
        let mut seeds = seeds(&root.join("corpus").join(target.name));
        if !target.made_seeds.is_empty() {
            seeds.retain(|s| s != b"{}");
            seeds.extend(target.made_seeds.iter().cloned());
        }
        let run = fuzz(&target, &seeds, count, seed, &root.join("findings").join(target.name));
        println!(
            "{:<14} {count} inputs in {:.1} s: {:.0} inputs/s, slowest {:.2} ms, {} seeds, findings: {}",
            target.name,
            run.secs,
            count as f64 / run.secs,
            run.slowest.as_secs_f64() * 1000.0,
            seeds.len(),
            run.findings
        );
        failed |= run.findings > 0;
    }
    if failed {
        std::process::ExitCode::FAILURE
    } else {
        std::process::ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_planted_bug_is_found_and_its_input_kept() {
        // A "parser" that panics on a byte its seeds never hold, and one that allocates too much.
        let target = Target { name: "planted", dictionary: &["{"], made_seeds: Vec::new(), run: Box::new(|input| assert!(!input.contains(&0xff))) };
        let dir = std::env::temp_dir().join(format!("ivs-fuzz-test-{}", std::process::id()));
        let run = fuzz(&target, &[b"{\"a\":1}".to_vec()], 20_000, 1, &dir);
        assert!(run.findings > 0);
        let kept: Vec<_> = std::fs::read_dir(&dir).unwrap().filter_map(|e| std::fs::read(e.unwrap().path()).ok()).collect();
        assert!(!kept.is_empty() && kept.iter().all(|input| input.contains(&0xff)), "the inputs that failed are kept");
        let greedy = Target {
            name: "greedy",
            dictionary: &[],
            made_seeds: Vec::new(),
            run: Box::new(|input| drop(Vec::<u8>::with_capacity(input.len().min(300) << 20))),
        };
        assert!(fuzz(&greedy, &[vec![b'x'; 200]], 50, 1, &dir).findings > 0, "an outsized allocation is a finding");
        let _ = std::fs::remove_dir_all(dir);
    }
}
