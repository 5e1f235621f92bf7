//! The quality menu: Auto (naming what the player picked) and the renditions
//! ([`QualityMenu`] decides what it shows).

use ivs_proto::controls::{listed_qualities, QualityMenu};
use leptos::prelude::*;

use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::i18n::{t, tf};

#[component]
pub fn QualitySelect(player: UseIvsPlayerReturn, tick: ReadSignal<u64>) -> impl IntoView {
    let handle = player.handle;
    let playing = move || player.status.get().label() == "Playing";
    // The renditions, as the player lists them once playing; kept while it buffers or switches.
    let qualities =
        Memo::new(move |previous: Option<&Vec<String>>| listed_qualities(previous.map(Vec::as_slice), if playing() { handle.qualities() } else { Vec::new() }));
    // Read once a tick: the rendition playing and whether the player chose it, however it was
    // chosen (this menu, the embed API).
    let menu = Memo::new(move |_| {
        tick.track();
        player.status.track();
        QualityMenu::new(handle.auto_quality(), handle.quality().map(|q| q.name).as_deref())
    });
    view! {
        <select class="ctl-quality" data-testid="ctl-quality" aria-label=t("controls.quality")
            prop:value=move || { qualities.track(); menu.with(|m| m.selected.clone()) }
            on:change=move |e| { handle.set_quality(&event_target_value(&e)); }>
            <option value="auto">{move || menu.with(|m| match &m.auto_playing {
                Some(name) => tf("controls.quality_auto_playing", &[("quality", name)]),
                None => t("controls.quality_auto"),
            })}</option>
            {move || qualities.get().into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
        </select>
    }
}
