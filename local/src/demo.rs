//! Sample overlays, and the demo timeline `dev` runs so a newcomer sees polls, products, quizzes,
//! notices and chat activity within a minute of opening the viewer.
//!
//! The timeline sends its overlays through the stack's own AWS-compatible `PutMetadata`, exactly
//! as a broadcaster's backend would; its chat lines and votes come from a few house accounts.

use std::time::{Duration, SystemTime};

use ivs_proto::chat::{Attributes, Sender, Subscribe};

use crate::chat::{random_id, timestamp, DEFAULT_ROOM_ARN};
use crate::AppState;

/// The overlays `ivs-local overlay <kind>` fires.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Kind {
    Poll,
    PollClose,
    Product,
    Quiz,
    Notice,
    Clear,
}

/// A sample payload of each kind (`n` varies the content).
pub fn sample(kind: Kind, n: u64) -> String {
    let products = [
        ("Stream mug", "$12", "https://shop.example.com/mug"),
        ("Cozy hoodie", "$45", "https://shop.example.com/hoodie"),
        ("Desk plant", "$18", "https://shop.example.com/plant"),
    ];
    let polls = [
        ("Which feature should we build next?", vec!["Dark mode", "Mobile app", "API v2"]),
        ("What should we play next?", vec!["Puzzle game", "Racing", "Strategy"]),
    ];
    let quizzes = [
        ("Which protocol carries the chat?", vec!["WebSocket", "SMTP", "FTP"], 0),
        ("What does HLS stand for?", vec!["High Level Stream", "HTTP Live Streaming"], 1),
    ];
    let pick = |len: usize| (n as usize) % len;
    let value = match kind {
        Kind::Poll => {
            let (question, options) = &polls[pick(polls.len())];
            serde_json::json!({ "v": 1, "type": "poll", "id": format!("demo-poll-{n}"), "question": question, "options": options, "duration": 25 })
        }
        Kind::PollClose => serde_json::json!({ "v": 1, "type": "poll-close", "id": format!("demo-poll-{n}") }),
        Kind::Product => {
            let (title, price, url) = products[pick(products.len())];
            serde_json::json!({ "v": 1, "type": "product", "title": title, "price": price, "imageUrl": format!("{url}.png"), "url": url })
        }
        Kind::Quiz => {
            let (question, answers, correct) = &quizzes[pick(quizzes.len())];
            serde_json::json!({ "v": 1, "type": "quiz", "id": format!("demo-quiz-{n}"), "question": question, "answers": answers, "correctIndex": correct, "duration": 15 })
        }
        Kind::Notice => serde_json::json!({ "v": 1, "type": "notice", "text": "Welcome! Vote in the poll and say hi in the chat.", "duration": 8 }),
        Kind::Clear => serde_json::json!({ "v": 1, "type": "clear" }),
    };
    value.to_string()
}

const HOUSE: [(&str, &str); 3] = [("house-ada", "Ada (demo)"), ("house-bo", "Bo (demo)"), ("house-cy", "Cy (demo)")];
const LINES: [&str; 8] = [
    "Hi everyone!",
    "The picture looks great today",
    "Voted — go dark mode",
    "Where can I get that mug?",
    "Is this low latency? Feels instant",
    "Quiz time!",
    "Greetings from the demo timeline",
    "Docs are at https://docs.aws.amazon.com/ivs/",
];

fn say(state: &AppState, n: usize) {
    let (user, name) = HOUSE[n % HOUSE.len()];
    let frame = Subscribe::Message {
        id: random_id(12),
        request_id: None,
        content: LINES[n % LINES.len()].to_owned(),
        attributes: Attributes::new(),
        send_time: timestamp(SystemTime::now()),
        sender: Sender { user_id: user.into(), attributes: Attributes::from([("displayName".to_owned(), name.to_owned())]) },
    };
    let _ = state.chat.broadcast(DEFAULT_ROOM_ARN, &frame);
}

/// Runs the demo timeline for as long as the stack runs: a one-minute cycle.
pub async fn run(state: AppState, api: String) {
    let mut cycle = 0u64;
    let mut line = 0usize;
    loop {
        let start = tokio::time::Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let steps: [(u64, Option<Kind>); 6] =
            [(3, Some(Kind::Notice)), (6, Some(Kind::Product)), (10, Some(Kind::Poll)), (38, Some(Kind::Quiz)), (50, Some(Kind::Product)), (58, Some(Kind::Clear))];
        for (secs, kind) in steps {
            // Chat lines every few seconds until this step.
            while tokio::time::Instant::now() + Duration::from_secs(4) < at(secs) {
                tokio::time::sleep(Duration::from_secs(4)).await;
                say(&state, line);
                line += 1;
            }
            tokio::time::sleep_until(at(secs)).await;
            let Some(kind) = kind else { continue };
            if !state.channel.is_live() {
                continue;
            }
            let n = if matches!(kind, Kind::Product) { cycle * 2 + u64::from(secs > 30) } else { cycle };
            if let Err(e) = crate::client::put_metadata_quiet(&api, &sample(kind, n)).await {
                tracing::warn!("demo: {e:#}");
            }
            if matches!(kind, Kind::Poll) {
                // The house accounts vote over the next seconds, so tallies move.
                let state = state.clone();
                tokio::spawn(async move {
                    for (i, (user, _)) in HOUSE.iter().enumerate() {
                        tokio::time::sleep(Duration::from_secs(3)).await;
                        let _ = state.polls.vote(&format!("demo-poll-{cycle}"), user, (i * 2 + cycle as usize) % 3).await;
                    }
                });
            }
        }
        tokio::time::sleep_until(at(60)).await;
        cycle += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ivs_proto::overlay::parse_cue;

    #[test]
    fn every_sample_is_a_valid_overlay_within_the_limit() {
        for kind in [Kind::Poll, Kind::PollClose, Kind::Product, Kind::Quiz, Kind::Notice, Kind::Clear] {
            for n in 0..4 {
                let payload = sample(kind, n);
                assert!(payload.len() <= ivs_proto::MAX_METADATA_BYTES);
                parse_cue(&payload).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            }
        }
    }
}
