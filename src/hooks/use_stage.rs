//! The stage's line-up as the site server tells it: from the stage token's answer at start, then
//! its `app:stage-lineup` room events. A store of its own, provided to the stage page; the grid
//! reads it, and tiles come and go with it.

use ivs_proto::stage::{Lineup, Member};
use leptos::prelude::*;

/// A copyable handle, provided by [`provide_stage`].
#[derive(Clone, Copy)]
pub struct StageStore {
    lineup: RwSignal<Option<Lineup>>,
}

/// Creates the store and provides it as context.
pub fn provide_stage() -> StageStore {
    let store = StageStore { lineup: RwSignal::new(None) };
    provide_context(store);
    store
}

impl StageStore {
    /// The server's latest word.
    pub fn set(&self, lineup: Lineup) {
        self.lineup.set(Some(lineup));
    }

    /// Who publishes now (tracked); empty until the server has said.
    pub fn members(&self) -> Vec<Member> {
        self.lineup.with(|l| l.as_ref().map(|l| l.members.clone()).unwrap_or_default())
    }

    /// Whether the server has said yet (tracked).
    pub fn known(&self) -> bool {
        self.lineup.with(Option::is_some)
    }
}
