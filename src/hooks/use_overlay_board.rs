//! The board the overlays draw from, and the clock their countdowns read. On a channel both are
//! the player's: cues are the stream's timed metadata, stamped in stream time. On a real-time
//! stage (which has no timed metadata) the cues are the room's `app:stage-overlay` events, stamped
//! on the page's own clock as they arrive. The overlay components read whichever is provided.

use gloo_timers::callback::Interval;
use ivs_proto::overlay::Board;
use leptos::prelude::*;

use crate::hooks::use_ivs_player::UseIvsPlayerReturn;

/// Where the cues come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Venue {
    Channel,
    Stage,
}

/// A copyable handle, provided as context by the page.
#[derive(Clone, Copy)]
pub struct OverlayBoard {
    /// The overlays on screen.
    pub board: RwSignal<Board>,
    /// Cues (text, time on [`Self::position`]'s clock) not yet read onto the board, in order.
    pub pending_cues: RwSignal<Vec<(String, f64)>>,
    /// The clock cues are stamped in, in seconds.
    pub position: Signal<f64>,
    pub venue: Venue,
}

/// Cues kept while the overlays' code is not there yet (the oldest go first).
const MAX_PENDING: usize = 64;

impl OverlayBoard {
    /// The player's board and clock, provided as context.
    pub fn provide_for_player(player: &UseIvsPlayerReturn) -> Self {
        let board = Self { board: player.board, pending_cues: player.pending_cues, position: player.position.into(), venue: Venue::Channel };
        provide_context(board);
        board
    }

    /// A board for a real-time stage, on the page's clock (ticking four times a second, for the
    /// countdowns; it stops with the calling component), provided as context.
    pub fn provide_for_stage() -> Self {
        let (clock, set_clock) = signal(seconds_now());
        let ticker = StoredValue::new_local(Some(Interval::new(250, move || set_clock.set(seconds_now()))));
        on_cleanup(move || drop(ticker.try_update_value(Option::take)));
        let board = Self { board: RwSignal::new(Board::default()), pending_cues: RwSignal::new(Vec::new()), position: clock.into(), venue: Venue::Stage };
        provide_context(board);
        board
    }

    /// A cue that arrived by the room, stamped now.
    pub fn receive(&self, cue: String) {
        let at = seconds_now();
        self.pending_cues.update(|cues| {
            if cues.len() == MAX_PENDING {
                cues.remove(0);
            }
            cues.push((cue, at));
        });
    }

    /// The state endpoint's address for this board's venue.
    pub fn state_url(&self, base: &str) -> String {
        match self.venue {
            Venue::Channel => base.to_owned(),
            Venue::Stage => format!("{base}{}on=stage", if base.contains('?') { '&' } else { '?' }),
        }
    }
}

fn seconds_now() -> f64 {
    js_sys::Date::now() / 1000.0
}
