//! A small page that writes the embed code: pick a size, chat, sound and language, copy the
//! `<iframe>`.

use ivs_proto::embed::{snippet, SnippetOptions};
use ivs_proto::words::LOCALE_NAMES;
use leptos::prelude::*;

use crate::i18n::t;

/// The embed code generator (`/embed-code`).
#[component]
pub fn EmbedBuilder() -> impl IntoView {
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let (width, set_width) = signal(String::from("640"));
    let (chat, set_chat) = signal(false);
    let (muted, set_muted) = signal(true);
    let (lang, set_lang) = signal(String::new());
    let code = move || {
        let width = width.with(|w| w.trim().parse::<u32>().ok());
        snippet(&origin, &SnippetOptions { width, chat: chat.get(), muted: muted.get(), lang: Some(lang.get()).filter(|l| !l.is_empty()) })
    };
    view! {
        <section class="builder" data-testid="embed-builder">
            <h1>{t("embed.title")}</h1>
            <p class="builder-help">{t("embed.help")}</p>
            <form class="builder-form" on:submit=|e| e.prevent_default()>
                <label>
                    {t("embed.width")}
                    <input data-testid="embed-width" inputmode="numeric" prop:value=width on:input=move |e| set_width.set(event_target_value(&e)) />
                </label>
                <label class="builder-check">
                    <input type="checkbox" data-testid="embed-chat" prop:checked=chat on:change=move |e| set_chat.set(event_target_checked(&e)) />
                    {t("embed.chat")}
                </label>
                <label class="builder-check">
                    <input type="checkbox" data-testid="embed-muted" prop:checked=muted on:change=move |e| set_muted.set(event_target_checked(&e)) />
                    {t("embed.muted")}
                </label>
                <label>
                    {t("embed.language")}
                    <select data-testid="embed-lang" on:change=move |e| set_lang.set(event_target_value(&e))>
                        <option value="">{t("embed.language_browser")}</option>
                        {LOCALE_NAMES.map(|(locale, name)| view! { <option value=locale lang=locale>{name}</option> }).collect_view()}
                    </select>
                </label>
            </form>
            <label class="builder-code">
                {t("embed.code")}
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
