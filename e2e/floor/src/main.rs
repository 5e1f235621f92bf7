//! A Leptos app of a few lines using what every part of the viewer uses — signals, a memo, an
//! effect, `Show`, `For`, `Suspense` with a local resource, events, reactive attributes and
//! properties, and serde_json — built with the viewer's settings (the workspace's release profile,
//! `erase_components`, wasm-opt `-Oz`: scripts/build-floor.sh). Its size is the floor under the
//! viewer's: what a Leptos page weighs before any feature of its own.

use leptos::prelude::*;

#[derive(serde::Deserialize, Clone)]
struct Item {
    id: u32,
    name: String,
}

#[component]
fn App() -> impl IntoView {
    let (count, set_count) = signal(0);
    let (items, set_items) = signal(Vec::<Item>::new());
    let doubled = Memo::new(move |_| count.get() * 2);
    Effect::new(move |_| leptos::logging::log!("{}", count.get()));
    let loaded = LocalResource::new(|| async { serde_json::from_str::<Vec<Item>>(r#"[{"id":1,"name":"a"}]"#).unwrap_or_default() });
    view! {
        <button on:click=move |_| set_count.update(|c| *c += 1) aria-label=move || format!("{} so far", count.get())>"+"</button>
        <p class:odd=move || count.get() % 2 == 1>{doubled}</p>
        <Show when=move || { count.get() > 3 } fallback=|| view! { <span>"few"</span> }><b>"many"</b></Show>
        <ul><For each=move || items.get() key=|item| item.id let:item><li>{item.name}</li></For></ul>
        <button on:click=move |_| set_items.update(|v| v.push(Item { id: v.len() as u32, name: "more".into() }))>"add"</button>
        <Suspense fallback=|| "…">{move || loaded.get().map(|items| items.len())}</Suspense>
        <input prop:value=move || count.get().to_string() on:input=move |e| set_count.set(event_target_value(&e).parse().unwrap_or(0)) />
    }
}

fn main() {
    leptos::mount::mount_to_body(App)
}
