//! The control bar over the video — play/pause, mute and volume, the live readout or a seek bar,
//! captions, quality, stats, picture-in-picture, full screen, shortcuts help — and the keyboard
//! shortcuts that drive the same actions. What each shows and does is decided in
//! `ivs_proto::controls`; these views wire it to the player.

mod panels;
mod quality;
mod timeline;

use super::clip_button::{ClipButton, ClipSourceSignal};
use super::icons::FullScreenIcon;
use super::rewind::{RewindControl, RewindSource};
use ivs_proto::controls::{fullscreen_label, mute_label, shortcut, step_volume, unmutes, volume_shown, PlayAction, PlayButton, Shortcut};
use leptos::html::Div;
use leptos::prelude::*;

use crate::bindings::dom::{has_picture_in_picture, is_fullscreen, is_picture_in_picture, on_key, toggle_fullscreen, toggle_picture_in_picture, Listener};
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::i18n::t;
use panels::{HelpDialog, StatsPanel};
use quality::QualitySelect;
use timeline::TimelineView;

/// The controls for the player in context; `stage` is what goes full screen.
#[component]
pub fn Controls(
    /// The element shown full screen (the video with its overlays).
    stage: NodeRef<Div>,
) -> impl IntoView {
    let player = expect_context::<UseIvsPlayerReturn>();
    let handle = player.handle;
    let (volume, set_volume) = signal(1.0);
    let (tick, set_tick) = signal(0u64);
    let (stats_open, set_stats_open) = signal(false);
    let (help_open, set_help_open) = signal(false);
    let (captions_on, set_captions_on) = signal(true);
    // Ticks the stats and the time readouts; dropped (so cancelled) with the control bar.
    let ticker = gloo_timers::callback::Interval::new(1000, move || set_tick.update(|t| *t += 1));

    let play_button = move || PlayButton::new(player.status.get().label() == "Playing", handle.is_paused());
    let toggle_play = move || match play_button().action {
        PlayAction::Play => handle.play(),
        PlayAction::Pause => handle.pause(),
    };
    let toggle_mute = move || handle.set_muted(!player.muted.get_untracked());
    let change_volume = move |value: f64| {
        handle.set_volume(value);
        if unmutes(value, player.muted.get_untracked()) {
            handle.set_muted(false);
        }
        set_volume.set(value);
    };
    let fullscreen = move || {
        if let Some(stage) = stage.get_untracked() {
            toggle_fullscreen(&stage);
        }
    };

    let keys = on_key(use_context::<crate::bindings::dom::KeyScope>(), move |key| {
        let Some(action) = shortcut(&key.key, key.in_text, key.modifier) else { return false };
        match action {
            Shortcut::TogglePlay => toggle_play(),
            Shortcut::ToggleMute => toggle_mute(),
            Shortcut::ToggleFullscreen => fullscreen(),
            Shortcut::VolumeUp | Shortcut::VolumeDown => change_volume(step_volume(handle.volume(), action == Shortcut::VolumeUp)),
            Shortcut::SeekBack => handle.seek_by(-5.0),
            Shortcut::SeekForward => handle.seek_by(5.0),
            Shortcut::ToggleCaptions => set_captions_on.update(|on| *on = !*on),
            Shortcut::ToggleStats => set_stats_open.update(|open| *open = !*open),
            Shortcut::ToggleHelp => set_help_open.update(|open| *open = !*open),
            Shortcut::JumpToLive => handle.jump_to_live(),
            Shortcut::Dismiss => {
                set_help_open.set(false);
                set_stats_open.set(false);
                player.board.update(|b| {
                    b.dismiss_product();
                    b.notice = None;
                });
                return false; // Escape also closes what the browser opens (full screen).
            }
        }
        true
    });
    // Full screen and picture-in-picture also end from outside (Escape, the PiP window's close
    // button): the buttons follow the browser's events, not their own clicks.
    let (fullscreen_on, set_fullscreen_on) = signal(is_fullscreen());
    let (pip_on, set_pip_on) = signal(is_picture_in_picture());
    let listeners = [
        Listener::on_document("fullscreenchange", move |_| set_fullscreen_on.set(is_fullscreen())),
        Listener::on_document("enterpictureinpicture", move |_| set_pip_on.set(true)),
        Listener::on_document("leavepictureinpicture", move |_| set_pip_on.set(is_picture_in_picture())),
    ];
    // This bar is on screen: the start-up script's stand-in (js/boot.js) goes.
    Effect::new(move |_| {
        handle.with(|p| p.release_stand_in_controls());
    });
    let owned = StoredValue::new_local(Some((keys, listeners, ticker)));
    on_cleanup(move || drop(owned.try_update_value(Option::take)));

    view! {
        <Show when=move || captions_on.get() && player.caption.with(Option::is_some)>
            <p class="caption" part="captions" data-testid="caption"><bdi>{move || player.caption.get()}</bdi></p>
        </Show>
        <div class="controls" part="controls" data-testid="controls" role="toolbar" aria-label=t("controls.toolbar")>
            <button class="ctl" data-testid="ctl-play" on:click=move |_| toggle_play() aria-label=move || t(play_button().label)>
                {move || if play_button().shows_pause {
                    view! { <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 4h4v16H6zM14 4h4v16h-4z" fill="currentColor" /></svg> }.into_any()
                } else {
                    view! { <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 4l13 8-13 8z" fill="currentColor" /></svg> }.into_any()
                }}
            </button>
            <button class="ctl" data-testid="ctl-mute" on:click=move |_| toggle_mute() aria-label=move || t(mute_label(player.muted.get()))>
                <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M3 9v6h4l5 5V4L7 9H3z" fill="currentColor" />
                    {move || if player.muted.get() {
                        view! { <path d="M16 9l6 6M22 9l-6 6" stroke="currentColor" stroke-width="2" stroke-linecap="round" /> }.into_any()
                    } else {
                        view! { <path d="M16 8a5 5 0 010 8M19 5a9 9 0 010 14" stroke="currentColor" stroke-width="2" fill="none" stroke-linecap="round" /> }.into_any()
                    }}
                </svg>
            </button>
            <input class="ctl-volume" type="range" min="0" max="1" step="0.05" data-testid="ctl-volume" aria-label=t("controls.volume")
                prop:value=move || volume_shown(player.muted.get(), volume.get())
                on:input=move |e| change_volume(event_target_value(&e).parse().unwrap_or(1.0)) />
            <TimelineView player tick />
            {move || use_context::<RewindSource>().and_then(|s| s.0.get()).map(|url| view! { <RewindControl recordings_url=url /> })}
            <span class="ctl-spacer"></span>
            {move || use_context::<ClipSourceSignal>().and_then(|s| s.0.get()).map(|source| view! { <ClipButton source=source /> })}
            <button class="ctl ctl-text" data-testid="ctl-captions" aria-label=t("controls.captions") aria-pressed=move || captions_on.get().to_string()
                on:click=move |_| set_captions_on.update(|on| *on = !*on)>"CC"</button>
            <QualitySelect player tick />
            <button class="ctl ctl-text" data-testid="ctl-stats" aria-label=t("controls.stats") aria-pressed=move || stats_open.get().to_string()
                on:click=move |_| set_stats_open.update(|open| *open = !*open)>"i"</button>
            <Show when=has_picture_in_picture>
                <button class="ctl ctl-text" data-testid="ctl-pip" aria-label=t("controls.pip") aria-pressed=move || pip_on.get().to_string()
                    on:click=move |_| { if let Some(video) = handle.video() { toggle_picture_in_picture(&video) } }>"PiP"</button>
            </Show>
            <button class="ctl" data-testid="ctl-fullscreen" on:click=move |_| fullscreen() aria-label=move || t(fullscreen_label(fullscreen_on.get()))>
                <FullScreenIcon />
            </button>
            <button class="ctl ctl-text" data-testid="ctl-help" aria-label=t("controls.help") on:click=move |_| set_help_open.update(|o| *o = !*o)>"?"</button>
        </div>
        <StatsPanel player tick open=stats_open />
        <HelpDialog open=help_open set_open=set_help_open />
    }
}
