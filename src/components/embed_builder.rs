//! A small page that writes the embed code: pick a size, chat and sound, copy the `<iframe>`.

use ivs_proto::embed::{snippet, SnippetOptions};
use leptos::prelude::*;

/// The embed code generator (`/embed-code`).
#[component]
pub fn EmbedBuilder() -> impl IntoView {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let (width, set_width) = signal(String::from("640"));
    let (chat, set_chat) = signal(false);
    let (muted, set_muted) = signal(true);
    let code = move || {
        let width = width.with(|w| w.trim().parse::<u32>().ok());
        snippet(&origin, &SnippetOptions { width, chat: chat.get(), muted: muted.get() })
    };
    view! {
        <section class="builder" data-testid="embed-builder">
            <h1>"Embed this stream"</h1>
            <p class="builder-help">"Paste the code into any page. It plays the live stream with its overlays; the host page can control it (see docs/embed.md)."</p>
            <form class="builder-form" on:submit=|e| e.prevent_default()>
                <label>
                    "Width in pixels (empty: fill the column)"
                    <input data-testid="embed-width" inputmode="numeric" prop:value=width on:input=move |e| set_width.set(event_target_value(&e)) />
                </label>
                <label class="builder-check">
                    <input type="checkbox" data-testid="embed-chat" prop:checked=chat on:change=move |e| set_chat.set(event_target_checked(&e)) />
                    "Show the chat"
                </label>
                <label class="builder-check">
                    <input type="checkbox" data-testid="embed-muted" prop:checked=muted on:change=move |e| set_muted.set(event_target_checked(&e)) />
                    "Start muted (browsers allow autoplay only without sound)"
                </label>
            </form>
            <label class="builder-code">
                "Embed code"
                <textarea data-testid="embed-code" readonly rows="4" on:focus=|e| {
                    use wasm_bindgen::JsCast;
                    if let Some(area) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                        area.select();
                    }
                }>{code}</textarea>
            </label>
        </section>
    }
}
