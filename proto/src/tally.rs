//! Poll tallies: one vote per voter, counts per option, and percentages that add up to 100.
//!
//! The server counts ([`Tally`]); viewers only display what it pushes ([`TallyUpdate`], carried as
//! the attributes of a chat event, which are string to string).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::chat::Attributes;

/// What the backend's state endpoint answers: the overlays on screen now, for a viewer who
/// arrives after their cues went by. Cues travel as the text the stream carried, so the viewer
/// checks them exactly as it checks live cues.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OverlayState {
    #[serde(default)]
    pub poll: Option<PollState>,
    #[serde(default)]
    pub product: Option<CueState>,
    #[serde(default)]
    pub quiz: Option<TimedCue>,
    #[serde(default)]
    pub stream: Option<crate::stream_status::StreamStatus>,
}

/// A timed overlay's cue and how long ago it entered the stream.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimedCue {
    pub cue: String,
    pub elapsed_secs: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollState {
    pub cue: String,
    pub id: String,
    /// Seconds since the poll opened.
    pub elapsed_secs: f64,
    pub counts: Vec<u64>,
    pub closed: bool,
    #[serde(default)]
    pub my_vote: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CueState {
    pub cue: String,
}

/// The chat event that carries a poll's tallies to every viewer.
pub const EVENT_POLL_TALLY: &str = "app:poll-tally";

/// Why a vote was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VoteError {
    #[error("you already voted in this poll")]
    AlreadyVoted { option: usize },
    #[error("that option is not in this poll")]
    NoSuchOption,
    #[error("this poll is closed")]
    Closed,
    #[error("there is no such poll")]
    NoSuchPoll,
    #[error("sign in to vote in this poll")]
    SignInRequired,
}

/// The votes of one poll.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Tally {
    counts: Vec<u64>,
    voters: HashMap<String, u8>,
}

impl Tally {
    pub fn new(options: usize) -> Self {
        Self { counts: vec![0; options], voters: HashMap::new() }
    }

    /// Checks a vote without counting it.
    pub fn check(&self, voter: &str, option: usize) -> Result<(), VoteError> {
        if option >= self.counts.len() {
            return Err(VoteError::NoSuchOption);
        }
        if let Some(previous) = self.voters.get(voter) {
            return Err(VoteError::AlreadyVoted { option: usize::from(*previous) });
        }
        Ok(())
    }

    /// Counts a vote: one per voter.
    pub fn vote(&mut self, voter: &str, option: usize) -> Result<(), VoteError> {
        self.check(voter, option)?;
        self.voters.insert(voter.to_owned(), option as u8);
        self.counts[option] += 1;
        Ok(())
    }

    /// Takes back a vote that could not be stored.
    pub fn retract(&mut self, voter: &str) {
        if let Some(option) = self.voters.remove(voter) {
            self.counts[usize::from(option)] -= 1;
        }
    }

    /// The option `voter` chose, if any.
    pub fn vote_of(&self, voter: &str) -> Option<usize> {
        self.voters.get(voter).map(|o| usize::from(*o))
    }

    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// Whole percentages of `counts` that add up to exactly 100 (largest remainder), or all zero
/// when nobody voted.
pub fn percentages(counts: &[u64]) -> Vec<u32> {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return vec![0; counts.len()];
    }
    let mut shares: Vec<(usize, u32, u64)> = counts.iter().enumerate().map(|(i, c)| (i, (c * 100 / total) as u32, (c * 100) % total)).collect();
    let assigned: u32 = shares.iter().map(|s| s.1).sum();
    let mut by_remainder: Vec<usize> = (0..shares.len()).collect();
    by_remainder.sort_by(|a, b| shares[*b].2.cmp(&shares[*a].2).then(a.cmp(b)));
    for i in by_remainder.into_iter().take((100 - assigned) as usize) {
        shares[i].1 += 1;
    }
    shares.into_iter().map(|s| s.1).collect()
}

/// A poll's tallies as the server pushes them.
#[derive(Debug, Clone, PartialEq)]
pub struct TallyUpdate {
    pub poll_id: String,
    pub counts: Vec<u64>,
    pub closed: bool,
}

impl TallyUpdate {
    /// As chat event attributes.
    pub fn to_attributes(&self) -> Attributes {
        let counts = self.counts.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
        Attributes::from([("pollId".to_owned(), self.poll_id.clone()), ("counts".to_owned(), counts), ("closed".to_owned(), self.closed.to_string())])
    }

    /// From chat event attributes; `None` if they are not a tally.
    pub fn from_attributes(attributes: &Attributes) -> Option<Self> {
        let poll_id = attributes.get("pollId")?.clone();
        let counts = attributes.get("counts")?;
        let counts = if counts.is_empty() { Vec::new() } else { counts.split(',').map(|c| c.parse().ok()).collect::<Option<Vec<u64>>>()? };
        if counts.len() > crate::overlay::limits::MAX_OPTIONS || poll_id.is_empty() {
            return None;
        }
        Some(Self { poll_id, counts, closed: attributes.get("closed").map(String::as_str) == Some("true") })
    }
}

/// What a viewer knows of a poll's votes: the server's latest counts, its own vote, and what to
/// tell it. Counts only ever grow, so a late or reordered update never moves them back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PollView {
    pub counts: Vec<u64>,
    pub closed: bool,
    pub my_vote: Option<usize>,
    /// A vote is on its way.
    pub sending: bool,
    pub notice: Option<String>,
}

impl PollView {
    fn take_counts(&mut self, counts: &[u64]) {
        let total: u64 = counts.iter().sum();
        if total >= self.counts.iter().sum::<u64>() || self.counts.len() != counts.len() {
            self.counts = counts.to_vec();
        }
    }

    /// A pushed update.
    pub fn apply(&mut self, update: &TallyUpdate) {
        self.take_counts(&update.counts);
        self.closed |= update.closed;
    }

    /// The server stored this viewer's vote.
    pub fn voted(&mut self, option: usize, counts: &[u64]) {
        self.sending = false;
        self.my_vote = Some(option);
        self.take_counts(counts);
        self.notice = Some("Your vote is counted.".into());
    }

    /// The server refused the vote (`my_vote`: the vote it already has from this viewer).
    pub fn refused(&mut self, reason: &str, my_vote: Option<usize>) {
        self.sending = false;
        if my_vote.is_some() {
            self.my_vote = my_vote;
        }
        self.notice = Some(reason.to_owned());
    }

    /// Whether the viewer can still vote.
    pub fn can_vote(&self) -> bool {
        !self.closed && self.my_vote.is_none() && !self.sending
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }
}

/// What a poll card shows: decided from the server's view of the poll, the countdown in stream
/// time, a `poll-close` cue, and whether votes can be sent from this page.
#[derive(Debug, Clone, PartialEq)]
pub struct PollCard {
    pub closed: bool,
    /// The options are buttons.
    pub can_vote: bool,
    /// The options show their share of the votes.
    pub show_results: bool,
    pub percents: Vec<u32>,
    /// The key of the card's kicker (`locales/*.json`).
    pub kicker: &'static str,
    /// How many voted, when shown.
    pub total: Option<u64>,
    /// Seconds left, while open.
    pub remaining_secs: Option<f64>,
    /// How much of the countdown bar is full, in percent (one decimal).
    pub timer_percent: f64,
}

impl PollCard {
    pub fn new(view: &PollView, remaining_secs: f64, duration_secs: f64, closed_early: bool, votes_here: bool) -> Self {
        let closed = remaining_secs <= 0.0 || closed_early || view.closed;
        let show_results = view.my_vote.is_some() || (view.closed && !view.counts.is_empty()) || (closed && view.total() > 0);
        let total = Some(view.total()).filter(|n| *n > 0 || show_results);
        let timer_percent = if duration_secs > 0.0 { (remaining_secs.max(0.0) / duration_secs * 1000.0).round() / 10.0 } else { 0.0 };
        Self {
            closed,
            can_vote: votes_here && !closed && view.can_vote(),
            show_results,
            percents: percentages(&view.counts),
            kicker: if closed { "poll.closed" } else { "poll.live" },
            total,
            remaining_secs: (!closed).then_some(remaining_secs),
            timer_percent,
        }
    }

    /// Option `i`'s share as shown: its percentage once results show, nothing before.
    pub fn bar_percent(&self, i: usize) -> u32 {
        if self.show_results {
            self.percents.get(i).copied().unwrap_or(0)
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_vote_per_voter_on_a_real_option() {
        let mut t = Tally::new(3);
        t.vote("ann", 0).unwrap();
        t.vote("bob", 2).unwrap();
        t.vote("cat", 2).unwrap();
        assert_eq!(t.vote("ann", 1), Err(VoteError::AlreadyVoted { option: 0 }));
        assert_eq!(t.vote("dan", 3), Err(VoteError::NoSuchOption));
        assert_eq!(t.counts(), [1, 0, 2]);
        assert_eq!(t.total(), 3);
        assert_eq!(t.vote_of("bob"), Some(2));
        assert_eq!(t.vote_of("eve"), None);
    }

    #[test]
    fn percentages_add_up_to_100() {
        assert_eq!(percentages(&[1, 1, 1]), [34, 33, 33]);
        assert_eq!(percentages(&[2, 1]), [67, 33]);
        assert_eq!(percentages(&[0, 0]), [0, 0]);
        assert_eq!(percentages(&[5, 0, 0, 0, 0]), [100, 0, 0, 0, 0]);
        for counts in [[7u64, 13, 29, 1, 50], [1, 2, 3, 4, 5], [999, 1, 1, 1, 1]] {
            assert_eq!(percentages(&counts).iter().sum::<u32>(), 100, "{counts:?}");
        }
    }

    #[test]
    fn a_viewers_view_only_moves_forward() {
        let mut view = PollView::default();
        assert!(view.can_vote());
        view.apply(&TallyUpdate { poll_id: "p".into(), counts: vec![2, 1], closed: false });
        view.voted(1, &[2, 2]);
        assert_eq!((view.counts.clone(), view.my_vote, view.can_vote()), (vec![2, 2], Some(1), false));
        view.apply(&TallyUpdate { poll_id: "p".into(), counts: vec![2, 1], closed: false });
        assert_eq!(view.counts, [2, 2], "an older push does not take counts back");
        view.apply(&TallyUpdate { poll_id: "p".into(), counts: vec![3, 2], closed: true });
        assert!(view.closed && view.counts == [3, 2]);
        let mut other = PollView::default();
        other.refused("you already voted in this poll", Some(0));
        assert_eq!(other.my_vote, Some(0));
        assert!(!other.can_vote());
    }

    #[test]
    fn updates_round_trip_through_event_attributes() {
        let update = TallyUpdate { poll_id: "p1".into(), counts: vec![3, 0, 12], closed: true };
        let attributes = update.to_attributes();
        assert_eq!(attributes["counts"], "3,0,12");
        assert_eq!(TallyUpdate::from_attributes(&attributes), Some(update));
        let mut bad = attributes.clone();
        bad.insert("counts".into(), "1,x".into());
        assert_eq!(TallyUpdate::from_attributes(&bad), None);
        bad.insert("counts".into(), "1,1,1,1,1,1".into());
        assert_eq!(TallyUpdate::from_attributes(&bad), None, "more options than a poll has");
    }

    #[test]
    fn the_poll_card_decides_voting_and_results() {
        let open = PollView { counts: vec![0, 0, 0], ..Default::default() };
        let card = PollCard::new(&open, 30.0, 60.0, false, true);
        assert!(card.can_vote && !card.closed && !card.show_results);
        assert_eq!((card.kicker, card.total, card.remaining_secs, card.timer_percent), ("poll.live", None, Some(30.0), 50.0));
        assert!(!PollCard::new(&open, 30.0, 60.0, false, false).can_vote, "no backend on this page: no buttons");

        let mine = PollView { counts: vec![2, 1, 1], my_vote: Some(0), ..Default::default() };
        let card = PollCard::new(&mine, 20.0, 60.0, false, true);
        assert!(!card.can_vote && card.show_results);
        assert_eq!((card.percents.clone(), card.total, card.bar_percent(0)), (vec![50, 25, 25], Some(4), 50));

        // Closed by the clock, by a cue or by the server: results if anyone voted.
        let voted = PollView { counts: vec![1, 0], ..Default::default() };
        for card in [PollCard::new(&voted, 0.0, 60.0, false, true), PollCard::new(&voted, 10.0, 60.0, true, true)] {
            assert!(card.closed && !card.can_vote && card.show_results);
            assert_eq!((card.kicker, card.remaining_secs, card.total), ("poll.closed", None, Some(1)));
        }
        let nobody = PollCard::new(&PollView { counts: vec![0, 0], closed: true, ..Default::default() }, 10.0, 60.0, false, true);
        assert_eq!((nobody.total, nobody.bar_percent(1)), (Some(0), 0));
        assert_eq!(PollCard::new(&open, 10.0, 0.0, false, true).timer_percent, 0.0, "no duration: an empty bar, not NaN");
    }
}
