//! Real-time stages (IVS Real-Time Streaming): the stages of this account, their sessions, the
//! participants of each session and what each did — the state behind `CreateStage`,
//! `CreateParticipantToken`, `ListStageSessions`, `ListParticipants`, `ListParticipantEvents`…
//!
//! The media side (`media/whip.rs`, `media/sfu.rs`) reports what participants do (joined,
//! published, subscribed, left); this type turns it into sessions, participant records, the
//! participant's event list and `IVS Stage Update` events. A session starts with the first
//! participant to join and ends once no participant has been connected for `session_idle`, as IVS
//! ends one a while after the last participant leaves. Everything is kept across restarts.
//!
//! One cohesive thing, kept whole (with its tests, over 500 lines): the lifecycle of a stage's
//! sessions and participants; the records and how the API shows them are `stage_records.rs`.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::participant_tokens::{now_secs, Claims, TokenSigner};
use super::stage_records::{event, stage_update};
pub use super::stage_records::{EventRecord, IssuedToken, ParticipantFilter, ParticipantRecord, ParticipantState, SessionRecord, StageRecord, TokenRequest};
use crate::account::{self, random_id, Refusal, Service};
use crate::clock::now_ms;
use crate::store::JsonFile;

/// The most participants publishing on one stage at once (IVS: 12, not adjustable).
pub const MAX_PUBLISHERS: usize = 12;

/// The most participants subscribing on one stage at once (IVS's default quota).
pub const MAX_SUBSCRIBERS: usize = 10_000;
/// The most stages in an account (IVS's default quota).
pub const MAX_STAGES: usize = 1_000;
/// Sessions kept per stage, newest first; older ones are forgotten.
const SESSIONS_KEPT: usize = 50;

#[derive(Default, Serialize, Deserialize)]
struct Registry {
    stages: Vec<StageRecord>,
    sessions: Vec<SessionRecord>,
}

/// Sends one `IVS Stage Update` (the stage's ARN, the detail).
pub type Notify = Arc<dyn Fn(&str, Value) + Send + Sync>;

/// The stages of this account; cheap to clone.
#[derive(Clone)]
pub struct Stages {
    registry: JsonFile<Registry>,
    /// The built-in stage's ARN (it cannot be deleted).
    builtin: String,
    signer: TokenSigner,
    /// The media endpoint tokens name (`whip_url`).
    whip_url: String,
    /// The events endpoint tokens name (`events_url`).
    events_url: String,
    session_idle: Duration,
    notify: Notify,
}

impl Stages {
    /// The stages kept in `dir` (`stages.json`, the token key `stage-token-key.pem`); in memory
    /// without one.
    pub fn load(dir: Option<PathBuf>, builtin: &str, whip_url: &str, events_url: &str, session_idle: Duration, notify: Notify) -> Self {
        let registry = JsonFile::<Registry>::load(dir.as_ref().map(|d| d.join("stages.json")), "the stages");
        {
            // Media connections do not outlive the process: whoever was connected has left.
            let mut kept = registry.lock();
            if !kept.stages.iter().any(|s| s.arn == builtin) {
                kept.stages.insert(0, StageRecord { arn: builtin.to_owned(), name: "local".into(), tags: BTreeMap::new() });
            }
            let now = now_ms();
            for session in kept.sessions.iter_mut().filter(|s| s.end_ms.is_none()) {
                for p in session.participants.iter_mut().filter(|p| p.state == ParticipantState::Connected) {
                    p.state = ParticipantState::Disconnected;
                    p.publishing = false;
                    p.connections = 0;
                    p.events.push(EventRecord { name: "LEFT".into(), time_ms: now, remote_participant_id: None, error_code: None });
                }
                session.idle_since_ms.get_or_insert(now);
            }
            registry.save(&kept);
        }
        let signer = TokenSigner::load(dir.as_ref().map(|d| d.join("stage-token-key.pem")).as_deref());
        Self { registry, builtin: builtin.to_owned(), signer, whip_url: whip_url.to_owned(), events_url: events_url.to_owned(), session_idle, notify }
    }

    fn lock(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock()
    }

    /// The signer media requests' tokens are checked with.
    pub fn signer(&self) -> &TokenSigner {
        &self.signer
    }

    pub fn get(&self, arn: &str) -> Option<StageRecord> {
        self.lock().stages.iter().find(|s| s.arn == arn).cloned()
    }

    pub fn find(&self, arn: &str) -> Result<StageRecord, Refusal> {
        self.get(arn).ok_or_else(|| Refusal::not_found(arn))
    }

    pub fn list(&self) -> Vec<StageRecord> {
        self.lock().stages.clone()
    }

    /// A new stage, with a token for each of `tokens`.
    pub fn create(&self, name: &str, tags: BTreeMap<String, String>, tokens: &[TokenRequest]) -> Result<(StageRecord, Vec<IssuedToken>), Refusal> {
        if !account::valid_name(name) {
            return Err(Refusal::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
        }
        if tokens.len() > 12 {
            return Err(Refusal::validation("participantTokenConfigurations has at most 12 members"));
        }
        tokens.iter().try_for_each(validate_request)?;
        let stage = StageRecord { arn: account::arn(Service::Ivs, "stage", &random_id(12)), name: name.to_owned(), tags };
        {
            let mut registry = self.lock();
            if registry.stages.len() >= MAX_STAGES {
                return Err(Refusal::Quota(format!("an account has at most {MAX_STAGES} stages")));
            }
            registry.stages.push(stage.clone());
            self.registry.save(&registry);
        }
        let issued = tokens.iter().map(|t| self.issue(&stage, t)).collect();
        Ok((stage, issued))
    }

    /// Renames stage `arn`.
    pub fn update(&self, arn: &str, name: Option<&str>) -> Result<StageRecord, Refusal> {
        if let Some(name) = name {
            if !account::valid_name(name) {
                return Err(Refusal::validation("name must be at most 128 of A-Z a-z 0-9 - _"));
            }
        }
        let mut registry = self.lock();
        let stage = registry.stages.iter_mut().find(|s| s.arn == arn).ok_or_else(|| Refusal::not_found(arn))?;
        if let Some(name) = name {
            stage.name = name.to_owned();
        }
        let updated = stage.clone();
        self.registry.save(&registry);
        Ok(updated)
    }

    /// Deletes stage `arn` (not the built-in one); its active session ends (the media side disconnects its participants).
    pub fn delete(&self, arn: &str) -> Result<(), Refusal> {
        if arn == self.builtin {
            return Err(Refusal::conflict("the local IVS's built-in stage cannot be deleted"));
        }
        let ended = {
            let mut registry = self.lock();
            if !registry.stages.iter().any(|s| s.arn == arn) {
                return Err(Refusal::not_found(arn));
            }
            registry.stages.retain(|s| s.arn != arn);
            let ended: Vec<String> = registry.sessions.iter().filter(|s| s.stage_arn == arn && s.end_ms.is_none()).map(|s| s.session_id.clone()).collect();
            registry.sessions.retain(|s| s.stage_arn != arn);
            self.registry.save(&registry);
            ended
        };
        for session_id in ended {
            (self.notify)(arn, json!({ "session_id": session_id, "event_name": "Session Ended" }));
        }
        Ok(())
    }

    pub fn tags(&self, arn: &str) -> Option<BTreeMap<String, String>> {
        self.get(arn).map(|s| s.tags)
    }

    /// Changes stage `arn`'s tags; `None` when no stage has this ARN.
    pub fn update_tags(&self, arn: &str, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Option<Result<(), Refusal>> {
        let mut registry = self.lock();
        let stage = registry.stages.iter_mut().find(|s| s.arn == arn)?;
        let tags = match account::changed_tags(&stage.tags, change) {
            Ok(tags) => tags,
            Err(refusal) => return Some(Err(refusal)),
        };
        stage.tags = tags;
        self.registry.save(&registry);
        Some(Ok(()))
    }

    /// A participant token for stage `arn`.
    pub fn create_token(&self, arn: &str, request: &TokenRequest) -> Result<IssuedToken, Refusal> {
        validate_request(request)?;
        let stage = self.find(arn)?;
        Ok(self.issue(&stage, request))
    }

    fn issue(&self, stage: &StageRecord, request: &TokenRequest) -> IssuedToken {
        let duration_minutes = request.duration_minutes.unwrap_or(720);
        let now = now_secs();
        let claims = Claims {
            resource: stage.arn.clone(),
            topic: account::id_of(&stage.arn).to_owned(),
            jti: random_id(12),
            user_id: request.user_id.clone(),
            attributes: request.attributes.clone(),
            capabilities: request.capabilities,
            whip_url: self.whip_url.clone(),
            events_url: self.events_url.clone(),
            version: "1.0".into(),
            iat: now,
            exp: now + u64::from(duration_minutes) * 60,
        };
        IssuedToken { token: self.signer.sign(&claims), claims, duration_minutes }
    }

    /// The built-in stage's ARN.
    pub fn builtin(&self) -> &str {
        &self.builtin
    }

    /// The stage's active session, if any.
    pub fn active_session(&self, arn: &str) -> Option<String> {
        self.lock().sessions.iter().find(|s| s.stage_arn == arn && s.end_ms.is_none()).map(|s| s.session_id.clone())
    }

    /// `arn`'s sessions, newest first.
    pub fn sessions(&self, arn: &str) -> Vec<SessionRecord> {
        let mut sessions: Vec<SessionRecord> = self.lock().sessions.iter().filter(|s| s.stage_arn == arn).cloned().collect();
        sessions.sort_by_key(|s| std::cmp::Reverse(s.start_ms));
        sessions
    }

    pub fn session(&self, arn: &str, session_id: &str) -> Result<SessionRecord, Refusal> {
        self.lock().sessions.iter().find(|s| s.stage_arn == arn && s.session_id == session_id).cloned().ok_or_else(|| Refusal::not_found(session_id))
    }

    /// Participants of a session that `filter` matches.
    pub fn participants(&self, arn: &str, session_id: &str, filter: &ParticipantFilter) -> Result<Vec<ParticipantRecord>, Refusal> {
        let session = self.session(arn, session_id)?;
        Ok(session
            .participants
            .into_iter()
            .filter(|p| filter.published.is_none_or(|v| p.published == v))
            .filter(|p| filter.state.is_none_or(|v| p.state == v))
            .filter(|p| filter.user_id.as_ref().is_none_or(|v| &p.user_id == v))
            .collect())
    }

    pub fn participant(&self, arn: &str, session_id: &str, participant_id: &str) -> Result<ParticipantRecord, Refusal> {
        let session = self.session(arn, session_id)?;
        session.participants.into_iter().find(|p| p.participant_id == participant_id).ok_or_else(|| Refusal::not_found(participant_id))
    }

    /// Whether `claims`' participant may use its token now: its stage exists and it was not disconnected.
    pub fn admits(&self, claims: &Claims) -> Result<(), Refusal> {
        let registry = self.lock();
        if !registry.stages.iter().any(|s| s.arn == claims.resource) {
            return Err(Refusal::not_found(&claims.resource));
        }
        let revoked = registry
            .sessions
            .iter()
            .filter(|s| s.stage_arn == claims.resource)
            .flat_map(|s| &s.participants)
            .any(|p| p.participant_id == claims.jti && p.revoked);
        if revoked {
            return Err(Refusal::conflict("the participant was disconnected from the stage"));
        }
        Ok(())
    }

    /// Whether another publisher fits on stage `arn` (IVS: 12 at once).
    pub fn publisher_room(&self, arn: &str) -> Result<(), Refusal> {
        let publishing = self.with_active(arn, |s| s.participants.iter().filter(|p| p.publishing).count()).unwrap_or(0);
        if publishing >= MAX_PUBLISHERS {
            return Err(Refusal::Quota(format!("a stage has at most {MAX_PUBLISHERS} publishers at once")));
        }
        Ok(())
    }

    /// Whether participant `participant_id` may start receiving on stage `arn`: one that already
    /// receives may add another publisher; a new one only while fewer than 10,000 receive.
    pub fn subscriber_room(&self, arn: &str, participant_id: &str) -> Result<(), Refusal> {
        let receives = |p: &ParticipantRecord| p.state == ParticipantState::Connected && p.connections > usize::from(p.publishing);
        let (already, receiving) = self
            .with_active(arn, |s| {
                let already = s.participants.iter().any(|p| p.participant_id == participant_id && receives(p));
                (already, s.participants.iter().filter(|p| receives(p)).count())
            })
            .unwrap_or((false, 0));
        if !already && receiving >= MAX_SUBSCRIBERS {
            return Err(Refusal::Quota(format!("a stage has at most {MAX_SUBSCRIBERS} subscribers at once")));
        }
        Ok(())
    }

    /// Whether participant `participant_id` publishes on stage `arn` now.
    pub fn is_publishing(&self, arn: &str, participant_id: &str) -> bool {
        self.with_active(arn, |s| s.participants.iter().any(|p| p.participant_id == participant_id && p.publishing)).unwrap_or(false)
    }

    fn with_active<T>(&self, arn: &str, read: impl FnOnce(&SessionRecord) -> T) -> Option<T> {
        self.lock().sessions.iter().find(|s| s.stage_arn == arn && s.end_ms.is_none()).map(read)
    }

    /// Participant `claims.jti` opened a media connection: it joins (starting a session if the
    /// stage has none) if it was not connected. Answers the session's ID.
    pub fn connected(&self, claims: &Claims) -> String {
        let now = now_ms();
        let mut notices = Vec::new();
        let session_id = {
            let mut registry = self.lock();
            let index = match registry.sessions.iter().position(|s| s.stage_arn == claims.resource && s.end_ms.is_none()) {
                Some(index) => index,
                None => {
                    let session = SessionRecord {
                        session_id: format!("st-{}", random_id(13)),
                        stage_arn: claims.resource.clone(),
                        start_ms: now,
                        end_ms: None,
                        idle_since_ms: None,
                        participants: Vec::new(),
                    };
                    notices.push(json!({ "session_id": session.session_id, "event_name": "Session Created" }));
                    registry.sessions.push(session);
                    forget_old_sessions(&mut registry.sessions, &claims.resource);
                    registry.sessions.iter().position(|s| s.stage_arn == claims.resource && s.end_ms.is_none()).unwrap_or(0)
                }
            };
            let session = &mut registry.sessions[index];
            session.idle_since_ms = None;
            let participant = match session.participants.iter_mut().position(|p| p.participant_id == claims.jti) {
                Some(i) => &mut session.participants[i],
                None => {
                    session.participants.push(ParticipantRecord {
                        participant_id: claims.jti.clone(),
                        user_id: claims.user_id.clone(),
                        attributes: claims.attributes.clone(),
                        state: ParticipantState::Disconnected,
                        first_join_ms: now,
                        published: false,
                        publishing: false,
                        connections: 0,
                        revoked: false,
                        events: Vec::new(),
                    });
                    session.participants.last_mut().expect("just pushed")
                }
            };
            participant.connections += 1;
            if participant.state == ParticipantState::Disconnected {
                participant.state = ParticipantState::Connected;
                participant.events.push(event("JOINED", now, None));
                notices.push(stage_update(&session.session_id, "Participant Joined", participant));
            }
            let id = session.session_id.clone();
            self.registry.save(&registry);
            id
        };
        for notice in notices {
            (self.notify)(&claims.resource, notice);
        }
        session_id
    }

    /// Participant `participant_id` started publishing.
    pub fn published(&self, arn: &str, participant_id: &str) {
        self.change(arn, participant_id, |p, now| {
            p.published = true;
            p.publishing = true;
            p.events.push(event("PUBLISH_STARTED", now, None));
            Some("Participant Published")
        });
    }

    /// Participant `participant_id` started receiving `remote`'s media.
    pub fn subscribed(&self, arn: &str, participant_id: &str, remote: &str) {
        self.change(arn, participant_id, |p, now| {
            p.events.push(event("SUBSCRIBE_STARTED", now, Some(remote)));
            Some("Participant Subscribed")
        });
    }

    /// Participant `participant_id` refused: `name` (`PUBLISH_ERROR`…) with `code`.
    pub fn failed(&self, arn: &str, participant_id: &str, name: &str, code: &str, remote: Option<&str>) {
        self.change(arn, participant_id, |p, now| {
            let mut e = event(name, now, remote);
            e.error_code = Some(code.to_owned());
            p.events.push(e);
            None
        });
    }

    /// One of participant `participant_id`'s media connections closed (`published`: the one it
    /// published on). With its last, it leaves.
    pub fn closed(&self, arn: &str, participant_id: &str, published: bool, remote: Option<&str>) {
        let mut left = false;
        self.change(arn, participant_id, |p, now| {
            p.connections = p.connections.saturating_sub(1);
            let mut notice = None;
            if published && p.publishing {
                p.publishing = false;
                p.events.push(event("PUBLISH_STOPPED", now, None));
                notice = Some("Participant Unpublished");
            }
            if let Some(remote) = remote {
                p.events.push(event("SUBSCRIBE_STOPPED", now, Some(remote)));
            }
            notice
        });
        self.change(arn, participant_id, |p, now| {
            if p.connections == 0 && p.state == ParticipantState::Connected {
                p.state = ParticipantState::Disconnected;
                p.events.push(event("LEFT", now, None));
                left = true;
                return Some("Participant Left");
            }
            None
        });
        if left {
            let mut registry = self.lock();
            if let Some(session) = registry.sessions.iter_mut().find(|s| s.stage_arn == arn && s.end_ms.is_none()) {
                if session.participants.iter().all(|p| p.state == ParticipantState::Disconnected) {
                    session.idle_since_ms = Some(now_ms());
                    self.registry.save(&registry);
                }
            }
        }
    }

    /// `DisconnectParticipant`: participant `participant_id` may not use its token again (the
    /// caller ends its media).
    pub fn revoke(&self, arn: &str, participant_id: &str) -> Result<(), Refusal> {
        self.find(arn)?;
        let mut registry = self.lock();
        let participant = registry
            .sessions
            .iter_mut()
            .filter(|s| s.stage_arn == arn && s.end_ms.is_none())
            .flat_map(|s| s.participants.iter_mut())
            .find(|p| p.participant_id == participant_id)
            .ok_or_else(|| Refusal::not_found(participant_id))?;
        participant.revoked = true;
        self.registry.save(&registry);
        Ok(())
    }

    /// Ends the sessions nobody has been connected to for `session_idle`.
    pub fn end_idle_sessions(&self) {
        let now = now_ms();
        let idle = self.session_idle.as_millis() as i64;
        let mut ended = Vec::new();
        {
            let mut registry = self.lock();
            for session in registry.sessions.iter_mut().filter(|s| s.end_ms.is_none()) {
                if session.idle_since_ms.is_some_and(|since| now - since >= idle) {
                    session.end_ms = Some(now);
                    ended.push((session.stage_arn.clone(), session.session_id.clone()));
                }
            }
            if !ended.is_empty() {
                self.registry.save(&registry);
            }
        }
        for (arn, session_id) in ended {
            (self.notify)(&arn, json!({ "session_id": session_id, "event_name": "Session Ended" }));
        }
    }

    /// Applies `change` to participant `participant_id` of `arn`'s active session, sending the
    /// `IVS Stage Update` it names.
    fn change(&self, arn: &str, participant_id: &str, change: impl FnOnce(&mut ParticipantRecord, i64) -> Option<&'static str>) {
        let notice = {
            let mut registry = self.lock();
            let Some(session) = registry.sessions.iter_mut().find(|s| s.stage_arn == arn && s.end_ms.is_none()) else { return };
            let session_id = session.session_id.clone();
            let Some(participant) = session.participants.iter_mut().find(|p| p.participant_id == participant_id) else { return };
            let notice = change(participant, now_ms()).map(|name| stage_update(&session_id, name, participant));
            self.registry.save(&registry);
            notice
        };
        if let Some(notice) = notice {
            (self.notify)(arn, notice);
        }
    }
}

fn validate_request(request: &TokenRequest) -> Result<(), Refusal> {
    if request.duration_minutes.is_some_and(|d| !(1..=20_160).contains(&d)) {
        return Err(Refusal::validation("duration must be 1 to 20160 minutes"));
    }
    if request.user_id.len() > 128 {
        return Err(Refusal::validation("userId is at most 128 characters"));
    }
    let attributes: usize = request.attributes.iter().map(|(k, v)| k.len() + v.len()).sum();
    if attributes > 1024 {
        return Err(Refusal::validation("attributes are at most 1 KB in all"));
    }
    Ok(())
}

fn forget_old_sessions(sessions: &mut Vec<SessionRecord>, arn: &str) {
    let mut of_stage: Vec<(i64, String)> = sessions.iter().filter(|s| s.stage_arn == arn).map(|s| (s.start_ms, s.session_id.clone())).collect();
    if of_stage.len() <= SESSIONS_KEPT {
        return;
    }
    of_stage.sort();
    let forget: Vec<String> = of_stage[..of_stage.len() - SESSIONS_KEPT].iter().map(|(_, id)| id.clone()).collect();
    sessions.retain(|s| s.end_ms.is_none() || !forget.contains(&s.session_id));
}
impl Stages {
    /// The media endpoint tokens name.
    pub fn whip_url(&self) -> &str {
        &self.whip_url
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::control::participant_tokens::Capabilities;

    fn stages(idle: Duration) -> (Stages, Arc<Mutex<Vec<String>>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let notify: Notify = Arc::new(move |_, detail: Value| log.lock().unwrap().push(detail["event_name"].as_str().unwrap_or_default().to_owned()));
        (Stages::load(None, "arn:aws:ivs:us-east-1:000000000000:stage/local", "http://127.0.0.1:4566/whip", "", idle, notify), seen)
    }

    fn publisher() -> TokenRequest {
        TokenRequest { user_id: "host".into(), capabilities: Capabilities { allow_publish: true, allow_subscribe: true }, ..TokenRequest::default() }
    }

    #[test]
    fn a_session_follows_its_participants() {
        let (stages, seen) = stages(Duration::ZERO);
        let (stage, tokens) = stages.create("show", BTreeMap::new(), &[publisher()]).unwrap();
        let claims = &tokens[0].claims;
        assert_eq!(stages.active_session(&stage.arn), None, "no session before anyone joins");

        let session = stages.connected(claims);
        assert!(session.starts_with("st-") && session.len() == 16, "{session}");
        stages.published(&stage.arn, &claims.jti);
        let filter = ParticipantFilter { published: Some(true), ..ParticipantFilter::default() };
        assert_eq!(stages.participants(&stage.arn, &session, &filter).unwrap().len(), 1);

        stages.closed(&stage.arn, &claims.jti, true, None);
        let p = stages.participant(&stage.arn, &session, &claims.jti).unwrap();
        assert_eq!(p.state, ParticipantState::Disconnected);
        let names: Vec<&str> = p.events.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["JOINED", "PUBLISH_STARTED", "PUBLISH_STOPPED", "LEFT"]);

        stages.end_idle_sessions();
        assert_eq!(stages.active_session(&stage.arn), None);
        assert!(stages.session(&stage.arn, &session).unwrap().end_ms.is_some());
        assert_eq!(
            *seen.lock().unwrap(),
            ["Session Created", "Participant Joined", "Participant Published", "Participant Unpublished", "Participant Left", "Session Ended"]
        );
    }

    #[test]
    fn refusals_are_ivs_s() {
        let (stages, _) = stages(Duration::from_secs(60));
        assert!(matches!(stages.create("bad name", BTreeMap::new(), &[]), Err(Refusal::Validation(_))));
        let (stage, tokens) = stages.create("s", BTreeMap::new(), &[publisher()]).unwrap();
        let long = TokenRequest { duration_minutes: Some(20_161), ..publisher() };
        assert!(matches!(stages.create_token(&stage.arn, &long), Err(Refusal::Validation(_))));
        assert!(matches!(stages.create_token("arn:aws:ivs:us-east-1:000000000000:stage/none", &publisher()), Err(Refusal::NotFound(_))));

        let claims = &tokens[0].claims;
        stages.connected(claims);
        stages.revoke(&stage.arn, &claims.jti).unwrap();
        assert!(matches!(stages.admits(claims), Err(Refusal::Conflict(_))), "a disconnected participant's token is refused");
        stages.delete(&stage.arn).unwrap();
        assert!(matches!(stages.admits(claims), Err(Refusal::NotFound(_))), "a deleted stage's token is refused");
    }

    #[test]
    fn twelve_publishers_at_most() {
        let (stages, _) = stages(Duration::from_secs(60));
        let (stage, _) = stages.create("s", BTreeMap::new(), &[]).unwrap();
        for _ in 0..MAX_PUBLISHERS {
            stages.publisher_room(&stage.arn).unwrap();
            let token = stages.create_token(&stage.arn, &publisher()).unwrap();
            stages.connected(&token.claims);
            stages.published(&stage.arn, &token.claims.jti);
        }
        assert!(matches!(stages.publisher_room(&stage.arn), Err(Refusal::Quota(_))));
    }

    #[test]
    fn ten_thousand_subscribers_at_most() {
        let (stages, _) = stages(Duration::from_secs(60));
        let (stage, tokens) = stages.create("s", BTreeMap::new(), &[publisher()]).unwrap();
        let viewer = |i: usize| Claims { jti: format!("viewer{i}"), ..tokens[0].claims.clone() };
        for i in 0..MAX_SUBSCRIBERS {
            stages.subscriber_room(&stage.arn, &viewer(i).jti).unwrap();
            stages.connected(&viewer(i));
        }
        let next = viewer(MAX_SUBSCRIBERS);
        assert!(matches!(stages.subscriber_room(&stage.arn, &next.jti), Err(Refusal::Quota(_))));
        stages.subscriber_room(&stage.arn, &viewer(7).jti).expect("one already receiving may watch another publisher");
        stages.closed(&stage.arn, &viewer(7).jti, false, Some("host"));
        stages.subscriber_room(&stage.arn, &next.jti).expect("a place came free");
    }
}
