//! The middle of the control bar: a live stream's readout and "go live", or a recording's seek
//! bar with its elapsed and total time ([`Timeline`] decides which).

use ivs_proto::controls::Timeline;
use leptos::prelude::*;

use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::i18n::{countdown, number, t, tf};

#[component]
pub fn TimelineView(player: UseIvsPlayerReturn, tick: ReadSignal<u64>) -> impl IntoView {
    let handle = player.handle;
    let timeline = Memo::new(move |_| {
        tick.track();
        player.status.track();
        Timeline::new(handle.duration(), handle.is_live(), handle.live_latency(), handle.buffer())
    });
    let duration = move || timeline.get().duration();
    view! {
        <Show
            when=move || duration().is_some()
            fallback=move || view! {
                <span class="ctl-live" data-testid="ctl-live" class:behind=move || timeline.get().behind()>
                    {move || match timeline.get().behind_secs() {
                        Some(secs) => tf("controls.behind", &[("secs", &number(secs as f64))]),
                        None => t("controls.live"),
                    }}
                </span>
            }
        >
            <input class="ctl-seek" type="range" min="0" step="0.1" data-testid="ctl-seek" aria-label=t("controls.seek")
                prop:max=move || duration().unwrap_or(0.0)
                prop:value=move || player.position.get()
                on:input=move |e| handle.seek_to(event_target_value(&e).parse().unwrap_or(0.0)) />
            <span class="ctl-time" data-testid="ctl-time">{move || tf("controls.time", &[("position", &countdown(player.position.get())), ("duration", &countdown(duration().unwrap_or(0.0)))])}</span>
        </Show>
        <Show when=move || timeline.get().behind()>
            <button class="ctl ctl-text" data-testid="ctl-golive" on:click=move |_| handle.jump_to_live()>{t("controls.go_live")}</button>
        </Show>
    }
}
