//! What the control bar opens: the stats panel ([`stats_rows`] decides its figures, written in
//! the viewer's locale) and
//! the keyboard shortcuts help.

use ivs_proto::controls::{stats_rows, StatsInput, SHORTCUTS};
use leptos::prelude::*;

use crate::bindings::dom::dropped_frames;
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::i18n::{figure, t};

#[component]
pub fn StatsPanel(player: UseIvsPlayerReturn, tick: ReadSignal<u64>, open: ReadSignal<bool>) -> impl IntoView {
    let handle = player.handle;
    let rows = move || {
        tick.track();
        let quality = handle.quality().unwrap_or_default();
        let video = handle.video();
        stats_rows(&StatsInput {
            width: video.as_ref().map(|v| v.video_width()),
            height: video.as_ref().map(|v| v.video_height()),
            quality: quality.name,
            bitrate: quality.bitrate,
            buffer: handle.buffer(),
            live: handle.is_live(),
            latency: handle.live_latency(),
            dropped_frames: video.as_ref().and_then(dropped_frames).map(u64::from),
        })
    };
    view! {
        <Show when=move || open.get()>
            <dl class="stats-panel" data-testid="stats">
                {move || rows().into_iter().map(|(name, value)| view! { <dt>{t(name)}</dt><dd>{figure(&value)}</dd> }).collect_view()}
            </dl>
        </Show>
    }
}

#[component]
pub fn HelpDialog(open: ReadSignal<bool>, set_open: WriteSignal<bool>) -> impl IntoView {
    view! {
        <Show when=move || open.get()>
            <div class="help" data-testid="help" role="dialog" aria-label=t("help.title")>
                <h2>{t("help.title")}</h2>
                <dl>{SHORTCUTS.iter().map(|(key, what)| view! { <dt><kbd dir="ltr">{*key}</kbd></dt><dd>{t(what)}</dd> }).collect_view()}</dl>
                <button class="ctl ctl-text" data-testid="help-close" on:click=move |_| set_open.set(false)>{t("help.close")}</button>
            </div>
        </Show>
    }
}
