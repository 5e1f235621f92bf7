//! Prompts when the browser refuses autoplay: "unmute" when only sound was blocked, "play"
//! when playback itself was.

use leptos::prelude::*;

use crate::hooks::use_ivs_player::PlayerHandle;
use crate::i18n::t;

/// The unmute and click-to-play prompts.
#[component]
pub fn PlaybackPrompts(
    /// Autoplay with sound was refused and the player muted itself.
    #[prop(into)]
    audio_blocked: Signal<bool>,
    /// Whether the player is muted.
    #[prop(into)]
    muted: Signal<bool>,
    /// Autoplay was refused altogether.
    #[prop(into)]
    playback_blocked: Signal<bool>,
) -> impl IntoView {
    let player = expect_context::<PlayerHandle>();
    view! {
        <Show when=move || playback_blocked.get()>
            <button class="prompt prompt-play" part="prompt" data-testid="click-to-play" on:click=move |_| player.play()>
                <svg class="prompt-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 4l13 8-13 8z" fill="currentColor" /></svg>
                {t("prompt.play")}
            </button>
        </Show>
        <Show when=move || audio_blocked.get() && muted.get() && !playback_blocked.get()>
            <button class="prompt prompt-unmute" part="prompt" data-testid="unmute" on:click=move |_| player.unmute()>
                <svg class="prompt-icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M3 9v6h4l5 5V4L7 9H3z" fill="currentColor" />
                    <path d="M16 9l6 6M22 9l-6 6" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
                </svg>
                {t("prompt.unmute")}
            </button>
        </Show>
    }
}
