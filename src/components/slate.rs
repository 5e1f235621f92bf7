//! What covers the video when there is nothing to show: loading, offline, or an error in words.

use ivs_proto::playback::{ErrorKind, PlayerState, Status};
use leptos::prelude::*;

use crate::bindings::ivs::PlayerError;

/// The message over the video, if any.
fn message(status: Status, fatal: Option<&PlayerError>) -> Option<(&'static str, &'static str)> {
    if let Some(error) = fatal {
        let text = match error {
            PlayerError::Unsupported => ErrorKind::Unsupported.message(),
            PlayerError::SdkMissing => "The player could not be loaded. Check your connection and reload the page.",
            PlayerError::Sdk(_) => ErrorKind::Other.message(),
        };
        return Some(("error", text));
    }
    match status {
        Status::Offline => Some(("offline", ErrorKind::Offline.message())),
        Status::Failed { kind, .. } => Some(("error", kind.message())),
        Status::Loading | Status::Player(PlayerState::Buffering) => Some(("loading", "")),
        Status::Player(_) => None,
    }
}

/// The slate over the video.
#[component]
pub fn Slate(
    /// Playback status.
    #[prop(into)]
    status: Signal<Status>,
    /// Set when the player could not be created.
    #[prop(into)]
    fatal: Signal<Option<PlayerError>>,
) -> impl IntoView {
    let shown = move || fatal.with(|f| message(status.get(), f.as_ref()));
    move || {
        shown().map(|(kind, text)| {
            if kind == "loading" {
                view! { <div class="slate slate-loading" data-testid="slate" data-kind=kind aria-hidden="true"><div class="spinner"></div></div> }.into_any()
            } else {
                view! {
                    <div class="slate" part="slate" data-testid="slate" data-kind=kind role="alert">
                        <p class="slate-title">{if kind == "offline" { "Offline" } else { "Playback error" }}</p>
                        <p class="slate-text">{text}</p>
                    </div>
                }
                .into_any()
            }
        })
    }
}
