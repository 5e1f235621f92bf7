//! What covers the video when there is nothing to show: loading, offline, or an error in words.

use ivs_proto::playback::{ErrorKind, PlayerState, Status};
use leptos::prelude::*;

use crate::bindings::ivs::PlayerError;
use crate::i18n::t;

/// The message over the video, if any: its kind and the key of its words.
fn message(status: Status, fatal: Option<&PlayerError>) -> Option<(&'static str, &'static str)> {
    if let Some(error) = fatal {
        let text = match error {
            PlayerError::Unsupported => ErrorKind::Unsupported.key(),
            PlayerError::SdkMissing => "error.sdk_missing",
            PlayerError::Sdk(_) => ErrorKind::Other.key(),
        };
        return Some(("error", text));
    }
    match status {
        Status::Offline => Some(("offline", ErrorKind::Offline.key())),
        Status::Failed { kind, .. } => Some(("error", kind.key())),
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
                        <p class="slate-title">{t(if kind == "offline" { "slate.offline" } else { "slate.error" })}</p>
                        <p class="slate-text">{t(text)}</p>
                    </div>
                }
                .into_any()
            }
        })
    }
}
