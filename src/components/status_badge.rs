//! The playback state, always visible in a corner.

use ivs_proto::playback::Status;
use leptos::prelude::*;

use crate::i18n::t;

/// A small badge naming the player's state.
#[component]
pub fn StatusBadge(
    /// The state to show.
    #[prop(into)]
    status: Signal<Status>,
) -> impl IntoView {
    let label = move || status.get().label();
    view! {
        <div class="status-badge" part="status" data-testid="status" data-state=label role="status" aria-live="polite">
            {move || t(status.get().key())}
        </div>
    }
}
