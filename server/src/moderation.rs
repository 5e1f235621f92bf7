//! The chat's house rules (`ivs_proto::moderation`): kept in the store, so every instance and a
//! restart share them; told to viewers as a room event when they change; applied to each message
//! when the room's message review handler asks (`POST /api/chat/review`). Slow mode's clock is a
//! lease per sender in the store (one message holds it for the slow mode's seconds), so it holds
//! across instances. What the rules held back is listed for the desk (the latest 50, per instance).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ivs_proto::moderation::{ChatDesk, ChatRules, Held, ReviewAnswer, ReviewRequest, RulesError, Verdict, EVENT_CHAT_RULES};

use crate::room::Room;
use crate::store::{keys, Store, StoreError};

/// How many held messages the desk lists.
const HELD_KEPT: usize = 50;
/// How long an instance trusts the rules it read (another instance may have changed them).
const RULES_FRESH: Duration = Duration::from_secs(2);

/// Why rules were not changed.
#[derive(Debug, thiserror::Error)]
pub enum RulesFailure {
    #[error(transparent)]
    Invalid(#[from] RulesError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The rules and what they held back; cheap to clone.
#[derive(Clone)]
pub struct Moderation {
    store: Arc<dyn Store>,
    room: Room,
    /// Whether a review handler is set up to ask this server (`chat.review_secret`).
    reviewing: bool,
    read: Arc<Mutex<Option<(Instant, ChatRules)>>>,
    held: Arc<Mutex<VecDeque<Held>>>,
}

impl Moderation {
    pub fn new(store: Arc<dyn Store>, room: Room, reviewing: bool) -> Self {
        Self { store, room, reviewing, read: Arc::default(), held: Arc::default() }
    }

    /// The rules in force (read at most every 2 s).
    pub async fn rules(&self) -> Result<ChatRules, StoreError> {
        if let Some((at, rules)) = self.read.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
            if at.elapsed() < RULES_FRESH {
                return Ok(rules.clone());
            }
        }
        let rules = match self.store.get(keys::CHAT_RULES).await? {
            // Kept by this server; a value that no longer reads is no rules rather than no chat.
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => ChatRules::default(),
        };
        *self.read.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), rules.clone()));
        Ok(rules)
    }

    /// Replaces the rules (checked and tidied) and tells the room about slow mode.
    pub async fn set_rules(&self, rules: ChatRules) -> Result<ChatRules, RulesFailure> {
        let rules = rules.checked()?;
        let json = serde_json::to_string(&rules).map_err(StoreError::new)?;
        self.store.put(keys::CHAT_RULES, json).await?;
        *self.read.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), rules.clone()));
        if let Err(e) = self.room.push(EVENT_CHAT_RULES, rules.to_attributes()).await {
            // Viewers joining from now on learn it with their token.
            tracing::warn!("the chat rules could not be told to the room: {e}");
        }
        Ok(rules)
    }

    /// The answer to IVS's question about one message, at `now_ms`.
    pub async fn review(&self, request: &ReviewRequest, now_ms: i64) -> Result<ReviewAnswer, StoreError> {
        let rules = self.rules().await?;
        let moderator = request.sender.attributes.get("badge").is_some_and(|b| b == "moderator");
        let word = match rules.review(&request.content, moderator) {
            Verdict::Allow => return Ok(ReviewAnswer::allow()),
            Verdict::Word(word) => Some(word),
            // Slow mode's clock: a lease on the sender's name, taken by this message.
            Verdict::Paced(secs) => {
                let holder = if request.message_id.is_empty() { format!("{now_ms}-{}", rand::random::<u64>()) } else { request.message_id.clone() };
                if self.store.lease(&format!("slow:{}", request.sender.user_id), &holder, Duration::from_secs(secs.into())).await? {
                    return Ok(ReviewAnswer::allow());
                }
                None
            }
        };
        let name = request.sender.attributes.get("displayName").cloned().unwrap_or_default();
        let mut held = self.held.lock().unwrap_or_else(|p| p.into_inner());
        held.push_front(Held { at_ms: now_ms, user_id: request.sender.user_id.clone(), name, content: request.content.clone(), word });
        held.truncate(HELD_KEPT);
        Ok(ReviewAnswer::deny())
    }

    /// What the desk shows.
    pub async fn desk(&self) -> Result<ChatDesk, StoreError> {
        let held = self.held.lock().unwrap_or_else(|p| p.into_inner()).iter().cloned().collect();
        Ok(ChatDesk { rules: self.rules().await?, reviewing: self.reviewing, held })
    }
}
