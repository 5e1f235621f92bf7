//! Icons drawn in more than one place (inline SVG: no font or file to fetch).

use leptos::prelude::*;

/// Four corners pointing out: full screen.
#[component]
pub fn FullScreenIcon() -> impl IntoView {
    view! {
        <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" stroke="currentColor" stroke-width="2" fill="none" /></svg>
    }
}

/// An arrow turning back: rewind (its word shows where the control bar has room).
#[component]
pub fn RewindIcon() -> impl IntoView {
    view! {
        <svg class="ctl-icon ctl-narrow-icon" viewBox="0 0 24 24" aria-hidden="true">
            <path d="M4 12a8 8 0 1 0 2.3-5.6M4 4v4h4" stroke="currentColor" stroke-width="2" fill="none" stroke-linecap="round" stroke-linejoin="round" />
        </svg>
    }
}

/// Scissors: clip (its word shows where the control bar has room).
#[component]
pub fn ClipIcon() -> impl IntoView {
    view! {
        <svg class="ctl-icon ctl-narrow-icon" viewBox="0 0 24 24" aria-hidden="true">
            <circle cx="6" cy="18" r="3" stroke="currentColor" stroke-width="2" fill="none" />
            <circle cx="6" cy="6" r="3" stroke="currentColor" stroke-width="2" fill="none" />
            <path d="M8.5 7.5L20 19M8.5 16.5L20 5" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
        </svg>
    }
}
