//! The site's real-time stage: participant tokens for viewers (SUBSCRIBE) and the site's hosts
//! (PUBLISH too), and the line-up — who publishes now — for viewers to subscribe to.
//!
//! The line-up is IVS's (`GetStage` for the active session, then `ListParticipants`), read again
//! when an `IVS Stage Update` event arrives and at most every few seconds otherwise, so events
//! out of order, lost, or taken by another instance cannot leave it wrong for long. A change is
//! pushed to viewers at once as the room event `app:stage-lineup`; polls and overlays on a stage
//! travel as room events too (a stage has no timed metadata).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ivs_proto::stage::{Lineup, Member, EVENT_STAGE_LINEUP, MAX_PUBLISHERS};

use crate::identity::Person;
use crate::ivs::{IssuedStageToken, Ivs, IvsError, StageTokenRequest};
use crate::room::Room;

/// How long a line-up read from IVS is served before it is read again.
const FRESH_FOR: Duration = Duration::from_secs(3);

/// The stage service; cheap to clone.
#[derive(Clone)]
pub struct Stage {
    ivs: Arc<dyn Ivs>,
    pub arn: String,
    /// User ids who may publish (besides a host claim in the site's JWT).
    hosts: Arc<Vec<String>>,
    token_minutes: i32,
    room: Room,
    read: Arc<Mutex<Option<(Lineup, Instant)>>>,
}

impl Stage {
    pub fn new(ivs: Arc<dyn Ivs>, arn: String, hosts: Vec<String>, token_minutes: i32, room: Room) -> Self {
        Self { ivs, arn, hosts: Arc::new(hosts), token_minutes, room, read: Arc::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Option<(Lineup, Instant)>> {
        self.read.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether `person` may publish on the stage.
    pub fn is_host(&self, person: &Person) -> bool {
        person.host || self.hosts.contains(&person.user_id)
    }

    /// A participant token for `person`: SUBSCRIBE, and PUBLISH for a host.
    pub async fn token(&self, person: &Person) -> Result<(IssuedStageToken, Vec<String>), IvsError> {
        let mut capabilities = vec!["SUBSCRIBE".to_owned()];
        if self.is_host(person) {
            capabilities.insert(0, "PUBLISH".to_owned());
        }
        let request = StageTokenRequest {
            stage_arn: self.arn.clone(),
            user_id: person.user_id.clone(),
            attributes: HashMap::from([("displayName".to_owned(), person.display_name.clone())]),
            capabilities: capabilities.clone(),
            duration_minutes: self.token_minutes,
        };
        Ok((self.ivs.create_participant_token(request).await?, capabilities))
    }

    /// The line-up, read from IVS when the last reading is older than a few seconds.
    pub async fn lineup(&self) -> Result<Lineup, IvsError> {
        if let Some((lineup, at)) = self.lock().as_ref() {
            if at.elapsed() < FRESH_FOR {
                return Ok(lineup.clone());
            }
        }
        self.refresh().await
    }

    /// Reads the line-up from IVS now; a change is pushed to viewers.
    pub async fn refresh(&self) -> Result<Lineup, IvsError> {
        let stage = self.ivs.get_stage(&self.arn).await?;
        let lineup = match stage.active_session_id {
            None => Lineup::default(),
            Some(session) => {
                let participants = self.ivs.list_participants(&self.arn, &session).await?;
                let members = participants
                    .into_iter()
                    .filter(|p| p.connected && p.published)
                    .take(MAX_PUBLISHERS)
                    .map(|p| Member { participant_id: p.participant_id, user_id: p.user_id })
                    .collect();
                Lineup { session_id: Some(session), members }
            }
        };
        let changed = {
            let mut read = self.lock();
            let changed = read.as_ref().is_none_or(|(before, _)| *before != lineup);
            *read = Some((lineup.clone(), Instant::now()));
            changed
        };
        if changed {
            if let Err(e) = self.room.push(EVENT_STAGE_LINEUP, lineup.to_attributes()).await {
                tracing::warn!("cannot push the stage's line-up: {e}");
            }
        }
        Ok(lineup)
    }

    /// Takes in an `IVS Stage Update` about `resources`: the line-up is read again if it is this
    /// stage's. Answers whether it was.
    pub async fn intake(&self, resources: &[String]) -> bool {
        if !resources.contains(&self.arn) {
            return false;
        }
        if let Err(e) = self.refresh().await {
            tracing::warn!("cannot read the stage's line-up after an event: {e}");
        }
        true
    }
}
