//! Sample overlays, and the demo timeline `dev` runs so a newcomer sees polls, products, quizzes,
//! notices and chat within a minute of opening the viewer.
//!
//! The timeline takes the production paths: overlays are published as a producer publishes them,
//! house accounts vote as viewers do, and they chat as any chat client does — a token from
//! `CreateChatToken`, then the Chat Messaging WebSocket.

use std::time::Duration;

use futures::SinkExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;

use crate::overlays::Venue;
use crate::App;

/// The overlays `ivs-site overlay <kind>` publishes.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Kind {
    Poll,
    Product,
    Quiz,
    Notice,
    Clear,
}

/// A sample overlay of each kind (`n` varies the content). A poll's id is the server's to give.
pub fn sample(kind: Kind, n: u64) -> serde_json::Value {
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
    match kind {
        Kind::Poll => {
            let (question, options) = &polls[pick(polls.len())];
            serde_json::json!({ "v": 1, "type": "poll", "question": question, "options": options, "duration": 25 })
        }
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
    }
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

/// A house account says `line` in the room, as any chat client would.
async fn say(app: &App, user: &str, name: &str, line: &str) -> anyhow::Result<()> {
    let request = crate::ivs::ChatTokenRequest {
        room_arn: app.config.chat.room_arn.clone(),
        user_id: user.to_owned(),
        attributes: [("displayName".to_owned(), name.to_owned())].into(),
        capabilities: vec!["SEND_MESSAGE".into()],
        session_minutes: 1,
    };
    let token = app.ivs.create_chat_token(request).await.map_err(|e| anyhow::anyhow!("CreateChatToken: {e}"))?;
    let endpoint = app.viewer_config["chatEndpoint"].as_str().unwrap_or_default();
    let mut request = endpoint.into_client_request()?;
    request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_str(&token.token)?);
    let (mut socket, _) = tokio::time::timeout(Duration::from_secs(5), tokio_tungstenite::connect_async(request)).await??;
    let frame = serde_json::json!({ "Action": "SEND_MESSAGE", "RequestId": format!("demo-{}", hex::encode(rand::random::<[u8; 4]>())), "Content": line });
    socket.send(Message::text(frame.to_string())).await?;
    // Give the room a moment to take the message before the connection closes.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = socket.close(None).await;
    Ok(())
}

/// Runs the demo timeline for as long as the server runs: a one-minute cycle of a notice, a
/// product, a poll the house accounts vote in, a quiz, another product and a clear, with chat
/// lines between.
pub async fn run(app: App) {
    let mut cycle = 0u64;
    let mut line = 0usize;
    loop {
        let start = tokio::time::Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let steps: [(u64, Kind); 6] = [(3, Kind::Notice), (6, Kind::Product), (10, Kind::Poll), (38, Kind::Quiz), (50, Kind::Product), (58, Kind::Clear)];
        for (secs, kind) in steps {
            while tokio::time::Instant::now() + Duration::from_secs(4) < at(secs) {
                tokio::time::sleep(Duration::from_secs(4)).await;
                let (user, name) = HOUSE[line % HOUSE.len()];
                if app.status.current().live {
                    if let Err(e) = say(&app, user, name, LINES[line % LINES.len()]).await {
                        tracing::debug!("demo chat: {e:#}");
                    }
                }
                line += 1;
            }
            tokio::time::sleep_until(at(secs)).await;
            let n = if matches!(kind, Kind::Product) { cycle * 2 + u64::from(secs > 30) } else { cycle };
            // On the channel, and on the stage when the site has one and someone is on it.
            let venues = if app.stage.is_some() { &[Venue::Channel, Venue::Stage][..] } else { &[Venue::Channel][..] };
            for &venue in venues {
                let published = match app.overlays.publish(sample(kind, n), venue).await {
                    Ok(answer) => answer,
                    Err(e) => {
                        tracing::debug!("demo ({venue:?}): {e}");
                        continue;
                    }
                };
                if let (Kind::Poll, Some(id)) = (kind, published.id) {
                    // The house accounts vote over the next seconds, so tallies move.
                    let app = app.clone();
                    tokio::spawn(async move {
                        for (i, (user, _)) in HOUSE.iter().enumerate() {
                            tokio::time::sleep(Duration::from_secs(3)).await;
                            let _ = app.overlays.vote(&id, user, false, (i * 2 + cycle as usize) % 3).await;
                        }
                    });
                }
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
        for kind in [Kind::Poll, Kind::Product, Kind::Quiz, Kind::Notice, Kind::Clear] {
            for n in 0..4 {
                let mut payload = sample(kind, n);
                if matches!(kind, Kind::Poll) {
                    payload["id"] = "poll-18f00000000-abcdef".into();
                }
                let text = payload.to_string();
                assert!(text.len() <= ivs_proto::MAX_METADATA_BYTES);
                parse_cue(&text).unwrap_or_else(|e| panic!("{kind:?}: {e}"));
            }
        }
    }
}
