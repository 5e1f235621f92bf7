//! `use_polls`: what the server tells every viewer — the stream's status, and of each poll's votes — the server's latest tallies (pushed
//! through the chat room, or answered to a vote), its own vote and what to tell it — and voting.
//! Viewers never count: they show the server's counts.

use std::collections::HashMap;

use ivs_proto::overlay::{parse_cue, Board, Overlay};

use ivs_proto::site::{ErrorCode, PollResult, VoteAnswer, VoteRequest};
use ivs_proto::tally::{OverlayState, PollView, TallyUpdate};
use ivs_proto::url::encode_component;
use leptos::prelude::*;

use crate::bindings::fetch::{fetch_text, post_json};
use crate::hooks::use_stream_status::StreamStatusStore;
use crate::i18n::{refusal_words, t};

/// A copyable handle, provided to the whole app by [`provide_polls`].
#[derive(Clone, Copy)]
pub struct PollsStore {
    views: RwSignal<HashMap<String, PollView>>,
    votes_url: RwSignal<Option<String>>,
    /// Replaying: where past polls' results are read, and the polls already asked for.
    results: StoredValue<(Option<String>, std::collections::HashSet<String>)>,
    /// The latest final result of a poll.
    pub last_result: RwSignal<Option<TallyUpdate>>,
    /// The latest vote of this viewer's the server counted: the poll's id and the option.
    pub last_vote: RwSignal<Option<(String, usize)>>,
    /// Where the state endpoint's word on the stream goes.
    stream: StreamStatusStore,
    /// Polls seen and voted in count in the site's analytics.
    pub analytics: Option<crate::hooks::use_analytics::Analytics>,
}

/// Creates the store and provides it as context.
pub fn provide_polls(stream: StreamStatusStore) -> PollsStore {
    let store = PollsStore {
        views: RwSignal::new(HashMap::new()),
        votes_url: RwSignal::new(None),
        results: StoredValue::new((None, Default::default())),
        last_result: RwSignal::new(None),
        last_vote: RwSignal::new(None),
        stream,
        analytics: use_context(),
    };
    provide_context(store);
    store
}

impl PollsStore {
    /// Where votes go (`None`: polls are shown without voting).
    pub fn set_votes_url(&self, url: Option<String>) {
        self.votes_url.set(url);
    }

    /// Replaying: where past polls' results are read.
    pub fn set_results_url(&self, url: Option<String>) {
        self.results.update_value(|(at, _)| *at = url);
    }

    /// Replaying: shows poll `id` as it ended — its final counts, closed — read once from the
    /// server.
    pub fn load_result(&self, id: &str) {
        let Some(base) = self.results.with_value(|(at, asked)| at.clone().filter(|_| !asked.contains(id))) else { return };
        self.results.update_value(|(_, asked)| {
            asked.insert(id.to_owned());
        });
        let request = fetch_text(&format!("{}/{}", base.trim_end_matches('/'), encode_component(id)));
        let (store, id) = (*self, id.to_owned());
        leptos::task::spawn_local(async move {
            match request.await.map_err(|e| e.to_string()).and_then(|t| serde_json::from_str::<PollResult>(&t).map_err(|e| e.to_string())) {
                // Shown as results even while the poll was still open when replayed.
                Ok(result) => {
                    store.views.try_update(|v| v.entry(id.clone()).or_default().apply(&TallyUpdate { poll_id: id, counts: result.counts, closed: true }))
                }
                Err(e) => {
                    log::warn!("poll result: {e}");
                    None
                }
            };
        });
    }

    pub fn can_vote_here(&self) -> bool {
        self.votes_url.with(Option::is_some)
    }

    /// The view of poll `id` (tracked).
    pub fn view(&self, id: &str) -> PollView {
        self.views.with(|v| v.get(id).cloned().unwrap_or_default())
    }

    /// A tally the server pushed.
    pub fn apply(&self, update: &TallyUpdate) {
        self.views.update(|v| v.entry(update.poll_id.clone()).or_default().apply(update));
        if update.closed {
            self.last_result.set(Some(update.clone()));
        }
    }

    /// Votes for `option` in poll `id`; the answer updates the view.
    pub fn vote(&self, id: String, option: usize) {
        let Some(base) = self.votes_url.get_untracked() else { return };
        let views = self.views;
        views.update(|v| {
            let view = v.entry(id.clone()).or_default();
            view.sending = true;
            view.notice = None;
        });
        let url = format!("{}/{}/vote", base.trim_end_matches('/'), encode_component(&id));
        let body = serde_json::to_string(&VoteRequest { option }).expect("plain data always encodes");
        let request = post_json(&url, &body);
        let last_vote = self.last_vote;
        let analytics = self.analytics;
        leptos::task::spawn_local(async move {
            let answer = request.await;
            views.update(|v| {
                let view = v.entry(id.clone()).or_default();
                match answer {
                    Ok((200, body)) => match serde_json::from_str::<VoteAnswer>(&body) {
                        Ok(answer) => {
                            view.voted(option, &answer.counts);
                            last_vote.set(Some((id, option)));
                            if let Some(analytics) = analytics {
                                analytics.voted();
                            }
                        }
                        Err(_) => view.refused(&t("vote.unsure"), None),
                    },
                    Ok((status, body)) => {
                        let answer = serde_json::from_str::<VoteAnswer>(&body).ok();
                        let reason = match status {
                            409 => t(ErrorCode::AlreadyVoted.key()),
                            410 => t(ErrorCode::PollClosed.key()),
                            _ => refusal_words(
                                answer.as_ref().and_then(|a| a.code.as_deref()),
                                answer.as_ref().and_then(|a| a.error.as_deref()),
                                "vote.not_counted",
                            ),
                        };
                        view.refused(&reason, answer.and_then(|a| a.my_vote));
                    }
                    Err(e) => {
                        log::warn!("vote: {e}");
                        view.refused(&t("vote.offline"), None);
                    }
                }
            });
        });
    }

    /// Takes what the state endpoint says: the current poll (with its tallies) and product go on
    /// the board as if their cues had just arrived, `elapsed` seconds into the poll.
    fn restore(&self, state: OverlayState, board: RwSignal<Board>, position: f64) {
        if let Some(stream) = state.stream {
            self.stream.set(stream);
        }
        if let Some(poll) = state.poll {
            match parse_cue(&poll.cue) {
                Ok(overlay @ Overlay::Poll(_)) => {
                    board.update(|b| b.apply(overlay, position - poll.elapsed_secs));
                    self.views.update(|v| {
                        let view = v.entry(poll.id.clone()).or_default();
                        view.apply(&TallyUpdate { poll_id: poll.id.clone(), counts: poll.counts, closed: poll.closed });
                        if poll.my_vote.is_some() {
                            view.my_vote = poll.my_vote;
                        }
                    });
                }
                Ok(_) => {}
                Err(e) => log::warn!("state: ignored a poll the viewer does not accept: {e}"),
            }
        }
        if let Some(quiz) = state.quiz {
            match parse_cue(&quiz.cue) {
                Ok(overlay @ Overlay::Quiz(_)) => board.update(|b| b.apply(overlay, position - quiz.elapsed_secs)),
                Ok(_) => {}
                Err(e) => log::warn!("state: ignored a quiz the viewer does not accept: {e}"),
            }
        }
        if let Some(product) = state.product {
            match parse_cue(&product.cue) {
                Ok(overlay @ Overlay::Product(_)) => board.update(|b| b.apply(overlay, position)),
                Ok(_) => {}
                Err(e) => log::warn!("state: ignored a product the viewer does not accept: {e}"),
            }
        }
    }

    /// Fetches the backend's overlay state once and puts it on the board.
    pub fn load_state(&self, url: &str, board: RwSignal<Board>, position: Signal<f64>) {
        let request = fetch_text(url);
        let store = *self;
        leptos::task::spawn_local(async move {
            match request.await.map_err(|e| e.to_string()).and_then(|t| serde_json::from_str::<OverlayState>(&t).map_err(|e| e.to_string())) {
                Ok(state) => store.restore(state, board, position.get_untracked()),
                Err(e) => log::warn!("overlay state: {e}"),
            }
        });
    }
}
