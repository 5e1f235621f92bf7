//! Icons drawn in more than one place (inline SVG: no font or file to fetch).

use leptos::prelude::*;

/// Four corners pointing out: full screen.
#[component]
pub fn FullScreenIcon() -> impl IntoView {
    view! {
        <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" stroke="currentColor" stroke-width="2" fill="none" /></svg>
    }
}
