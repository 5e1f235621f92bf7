//! The control bar over the video — play/pause, mute and volume, how far behind live with a
//! "go live" button, captions, quality, stats, picture-in-picture, full screen, shortcuts help —
//! and the keyboard shortcuts that drive the same actions.


use ivs_proto::overlay::format_countdown;
use ivs_proto::controls::{behind_live, bitrate, distance_from_live, seconds, shortcut, step_volume, Shortcut, SHORTCUTS};
use leptos::html::Div;
use leptos::prelude::*;

use crate::bindings::dom::{
    dropped_frames, has_picture_in_picture, is_fullscreen, is_picture_in_picture, toggle_fullscreen, toggle_picture_in_picture, on_key,
    Listener,
};
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;

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

    let playing = move || player.status.get().label() == "Playing";
    let toggle_play = move || if handle.is_paused() || !playing() { handle.play() } else { handle.pause() };
    let toggle_mute = move || handle.set_muted(!player.muted.get_untracked());
    let change_volume = move |value: f64| {
        handle.set_volume(value);
        if value > 0.0 && player.muted.get_untracked() {
            handle.set_muted(false);
        }
        set_volume.set(value);
    };
    let fullscreen = move || {
        if let Some(stage) = stage.get_untracked() {
            toggle_fullscreen(&stage);
        }
    };
    let behind = move || {
        tick.track();
        player.status.track();
        if handle.is_live() { behind_live(distance_from_live(handle.live_latency(), handle.buffer())) } else { None }
    };
    // The renditions, as the player lists them once playing; kept while it buffers or switches.
    let qualities = Memo::new(move |previous: Option<&Vec<String>>| {
        let now = if playing() { handle.qualities() } else { Vec::new() };
        if now.is_empty() { previous.cloned().unwrap_or_default() } else { now }
    });
    // The rendition playing and whether the player chose it — however it was chosen (menu,
    // embed API) — read once a tick.
    let playing_quality = Memo::new(move |_| {
        tick.track();
        player.status.track();
        (handle.auto_quality(), handle.quality().map(|q| q.name))
    });
    // What the menu shows: the viewer's pick, or "auto".
    let chosen_quality = Memo::new(move |_| {
        playing_quality.with(|(auto, name)| if *auto { "auto".to_owned() } else { name.clone().unwrap_or_else(|| "auto".into()) })
    });
    let auto_label = Memo::new(move |_| {
        playing_quality.with(|(auto, name)| match name.as_deref().filter(|name| *auto && !name.is_empty()) {
            Some(name) => format!("Auto ({name})"),
            None => "Auto".to_owned(),
        })
    });
    // A recording (VOD) has a duration: it gets a seek bar instead of the live readout.
    let duration = Memo::new(move |_| {
        player.status.track();
        tick.track();
        Some(handle.duration()).filter(|d| d.is_finite() && *d > 0.0)
    });

    let keys = on_key(move |key| {
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
    let owned = StoredValue::new_local(Some((keys, listeners, ticker)));
    on_cleanup(move || drop(owned.try_update_value(Option::take)));

    let stats = move || {
        tick.track();
        let quality = handle.quality().unwrap_or_default();
        let video = handle.video();
        let resolution = video.as_ref().map(|v| format!("{} × {}", v.video_width(), v.video_height())).unwrap_or_default();
        let dropped = video.as_ref().and_then(dropped_frames).map(|n| n.to_string()).unwrap_or_else(|| "—".into());
        [
            ("Resolution", resolution),
            ("Quality", if quality.name.is_empty() { "—".into() } else { quality.name }),
            ("Bitrate", bitrate(quality.bitrate)),
            ("Buffer", seconds(handle.buffer())),
            // The player measures latency on IVS streams; elsewhere it reports none.
            ("Latency", Some(handle.live_latency()).filter(|l| handle.is_live() && *l > 0.0).map_or_else(|| "—".into(), seconds)),
            ("Dropped frames", dropped),
        ]
    };

    view! {
        <Show when=move || captions_on.get() && player.caption.with(Option::is_some)>
            <p class="caption" data-testid="caption">{move || player.caption.get()}</p>
        </Show>
        <div class="controls" data-testid="controls" role="toolbar" aria-label="Player controls">
            <button class="ctl" data-testid="ctl-play" on:click=move |_| toggle_play()
                aria-label=move || if playing() { "Pause (K)" } else { "Play (K)" }>
                {move || if playing() {
                    view! { <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M6 4h4v16H6zM14 4h4v16h-4z" fill="currentColor" /></svg> }.into_any()
                } else {
                    view! { <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M7 4l13 8-13 8z" fill="currentColor" /></svg> }.into_any()
                }}
            </button>
            <button class="ctl" data-testid="ctl-mute" on:click=move |_| toggle_mute()
                aria-label=move || if player.muted.get() { "Unmute (M)" } else { "Mute (M)" }>
                <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true">
                    <path d="M3 9v6h4l5 5V4L7 9H3z" fill="currentColor" />
                    {move || if player.muted.get() {
                        view! { <path d="M16 9l6 6M22 9l-6 6" stroke="currentColor" stroke-width="2" stroke-linecap="round" /> }.into_any()
                    } else {
                        view! { <path d="M16 8a5 5 0 010 8M19 5a9 9 0 010 14" stroke="currentColor" stroke-width="2" fill="none" stroke-linecap="round" /> }.into_any()
                    }}
                </svg>
            </button>
            <input class="ctl-volume" type="range" min="0" max="1" step="0.05" data-testid="ctl-volume" aria-label="Volume"
                prop:value=move || if player.muted.get() { 0.0 } else { volume.get() }
                on:input=move |e| change_volume(event_target_value(&e).parse().unwrap_or(1.0)) />
            <Show
                when=move || duration.get().is_some()
                fallback=move || view! {
                    <span class="ctl-live" data-testid="ctl-live" class:behind=move || behind().is_some()>
                        {move || match behind() { Some(secs) => format!("−{secs} s"), None => "LIVE".to_owned() }}
                    </span>
                }
            >
                <input class="ctl-seek" type="range" min="0" step="0.1" data-testid="ctl-seek" aria-label="Seek"
                    prop:max=move || duration.get().unwrap_or(0.0)
                    prop:value=move || player.position.get()
                    on:input=move |e| handle.seek_to(event_target_value(&e).parse().unwrap_or(0.0)) />
                <span class="ctl-time" data-testid="ctl-time">
                    {move || format!("{} / {}", format_countdown(player.position.get()), format_countdown(duration.get().unwrap_or(0.0)))}
                </span>
            </Show>
            <Show when=move || behind().is_some()>
                <button class="ctl ctl-text" data-testid="ctl-golive" on:click=move |_| handle.jump_to_live()>"Go live (L)"</button>
            </Show>
            <span class="ctl-spacer"></span>
            <button class="ctl ctl-text" data-testid="ctl-captions" aria-label="CC: captions (C)" aria-pressed=move || captions_on.get().to_string()
                on:click=move |_| set_captions_on.update(|on| *on = !*on)>"CC"</button>
            <select class="ctl-quality" data-testid="ctl-quality" aria-label="Quality"
                prop:value=move || { qualities.track(); chosen_quality.get() }
                on:change=move |e| { handle.set_quality(&event_target_value(&e)); }>
                <option value="auto">{auto_label}</option>
                {move || qualities.get().into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
            </select>
            <button class="ctl ctl-text" data-testid="ctl-stats" aria-label="Stats (I)" aria-pressed=move || stats_open.get().to_string()
                on:click=move |_| set_stats_open.update(|open| *open = !*open)>"i"</button>
            <Show when=has_picture_in_picture>
                <button class="ctl ctl-text" data-testid="ctl-pip" aria-label="PiP: picture in picture" aria-pressed=move || pip_on.get().to_string()
                    on:click=move |_| { if let Some(video) = handle.video() { toggle_picture_in_picture(&video) } }>"PiP"</button>
            </Show>
            <button class="ctl" data-testid="ctl-fullscreen" on:click=move |_| fullscreen()
                aria-label=move || if fullscreen_on.get() { "Exit full screen (F)" } else { "Full screen (F)" }>
                <svg class="ctl-icon" viewBox="0 0 24 24" aria-hidden="true"><path d="M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5" stroke="currentColor" stroke-width="2" fill="none" /></svg>
            </button>
            <button class="ctl ctl-text" data-testid="ctl-help" aria-label="Keyboard shortcuts (?)" on:click=move |_| set_help_open.update(|o| *o = !*o)>"?"</button>
        </div>
        <Show when=move || stats_open.get()>
            <dl class="stats-panel" data-testid="stats">
                {move || stats().into_iter().map(|(name, value)| view! { <dt>{name}</dt><dd>{value}</dd> }).collect_view()}
            </dl>
        </Show>
        <Show when=move || help_open.get()>
            <div class="help" data-testid="help" role="dialog" aria-label="Keyboard shortcuts">
                <h2>"Keyboard shortcuts"</h2>
                <dl>{SHORTCUTS.iter().map(|(key, what)| view! { <dt><kbd>{*key}</kbd></dt><dd>{*what}</dd> }).collect_view()}</dl>
                <button class="ctl ctl-text" data-testid="help-close" on:click=move |_| set_help_open.set(false)>"Close (Esc)"</button>
            </div>
        </Show>
    }
}
