//! A timed banner across the top of the video, for as long as the cue says (in stream time).

use ivs_proto::overlay::Notice;
use leptos::prelude::*;

use crate::i18n::t;

/// The notice banner; dismissible.
#[component]
pub fn NoticeBanner(
    /// The notice from the cue.
    notice: Notice,
    /// Stream position of the cue.
    cue_start: f64,
    /// The current stream position.
    #[prop(into)]
    position: Signal<f64>,
) -> impl IntoView {
    let (dismissed, set_dismissed) = signal(false);
    let visible = {
        let notice = notice.clone();
        move || !dismissed.get() && notice.visible(cue_start, position.get())
    };
    let text = notice.text;
    view! {
        <Show when=visible>
            <div class="notice" part="notice" data-testid="notice" role="status">
                <span dir="auto">{text.clone()}</span>
                <button class="card-close" aria-label=t("notice.dismiss") on:click=move |_| set_dismissed.set(true)>"×"</button>
            </div>
        </Show>
    }
}
