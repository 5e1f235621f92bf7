//! The chat desk: the room as moderators see it (the viewer's own chat panel, with delete and
//! remove, and the reason this desk gives with them), the house rules — a word list and slow mode,
//! which the site server applies when the room's message review handler asks it — and what the
//! rules held back.

use std::time::Duration;

use ivs_proto::config::ChatConfig;
use ivs_proto::moderation::{ChatDesk as Desk, ChatRules, Held, MAX_WORDS};
use leptos::prelude::*;

use super::refusal;
use ivs_viewer::bindings::fetch::{fetch_text, put_json};
use ivs_viewer::components::chat_panel::ChatPanel;
use ivs_viewer::hooks::use_chat::ModerationReason;
use ivs_viewer::i18n::clock;

/// How often the held-back list is read again.
const EVERY: Duration = Duration::from_secs(3);
/// The slow modes offered, in seconds (0: off).
const SLOW_MODES: [u32; 7] = [0, 3, 5, 10, 30, 60, 120];

/// Reasons moderators give most, offered as the reason field is typed in.
const REASONS: [&str; 4] = ["Spam", "Harassment", "Off-topic", "Spoilers"];

/// The chat panel, for the room in `chat`.
#[component]
pub fn ChatDesk(chat: Signal<Option<ChatConfig>>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    provide_context(ModerationReason(reason));
    let (desk, set_desk) = signal(None::<Desk>);
    let (words, set_words) = signal(String::new());
    let (slow, set_slow) = signal(0u32);
    let (said, set_said) = signal(None::<Result<String, String>>);
    // The form shows the rules as read once, then as saved: a later read does not undo typing.
    let (form_filled, set_form_filled) = signal(false);
    let read = move || {
        let request = fetch_text("/api/studio/chat");
        leptos::task::spawn_local(async move {
            let Ok(Ok(read)) = request.await.map(|text| serde_json::from_str::<Desk>(&text)) else { return };
            if form_filled.try_get_untracked() == Some(false) {
                set_words.try_set(read.rules.words.join("\n"));
                set_slow.try_set(read.rules.slow_mode_secs);
                set_form_filled.try_set(true);
            }
            set_desk.try_set(Some(read));
        });
    };
    read();
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::sleep(EVERY).await;
            // Stops when the desk is gone.
            if desk.try_get_untracked().is_none() {
                break;
            }
            read();
        }
    });
    let save = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let rules = ChatRules { words: words.get_untracked().lines().map(str::to_owned).collect(), slow_mode_secs: slow.get_untracked() };
        let body = serde_json::to_string(&rules).unwrap_or_default();
        leptos::task::spawn_local(async move {
            let result = match put_json("/api/studio/chat", &body).await {
                Ok((200, text)) => match serde_json::from_str::<Desk>(&text) {
                    Ok(kept) => {
                        set_words.try_set(kept.rules.words.join("\n"));
                        let n = kept.rules.words.len();
                        let slow = match kept.rules.slow_mode_secs {
                            0 => "slow mode off".to_owned(),
                            secs => format!("slow mode {secs} s"),
                        };
                        set_desk.try_set(Some(kept));
                        Ok(format!("Saved: {n} {} on the word list, {slow}.", if n == 1 { "entry" } else { "entries" }))
                    }
                    Err(e) => Err(format!("The server's answer does not read: {e}")),
                },
                Ok((_, text)) => Err(refusal(&text)),
                Err(_) => Err("The site server cannot be reached; the rules are unchanged.".to_owned()),
            };
            set_said.try_set(Some(result));
        });
    };
    let reviewing = move || desk.with(|d| d.as_ref().is_none_or(|d| d.reviewing));
    let held = move || desk.with(|d| d.as_ref().map(|d| d.held.clone()).unwrap_or_default());
    view! {
        <section class="studio-panel studio-chat" aria-labelledby="studio-chat-title" data-testid="studio-chat">
            <h2 id="studio-chat-title">"Chat"</h2>
            <Show when=move || !reviewing()>
                <p class="studio-warning" role="alert" data-testid="chat-not-reviewed">
                    "The word list and slow mode are kept, but nothing applies them yet: the room's message review handler does not ask this site server (set "
                    <code>"chat.review_secret"</code>
                    " and the handler; see the deployment guide)."
                </p>
            </Show>
            <label class="studio-field">
                <span>"Reason given when you delete a message or remove someone"</span>
                <input
                    type="text"
                    data-testid="chat-reason"
                    list="chat-reasons"
                    maxlength="100"
                    placeholder="None for a deletion; “Removed by a moderator” for a removal"
                    prop:value=move || reason.get()
                    on:input=move |e| reason.set(event_target_value(&e))
                />
            </label>
            <datalist id="chat-reasons">{REASONS.map(|r| view! { <option value=r></option> }).collect_view()}</datalist>
            {move || chat.get().map(|config| view! { <ChatPanel config=config /> })}
            <form class="studio-form" data-testid="chat-rules" on:submit=save>
                <label class="studio-field">
                    <span>{format!("Word list: one word or phrase per line, at most {MAX_WORDS}. Whole words in any case; end one with * to match words that begin with it.")}</span>
                    <textarea
                        class="studio-textarea"
                        data-testid="chat-words"
                        rows="5"
                        spellcheck="false"
                        prop:value=move || words.get()
                        on:input=move |e| set_words.set(event_target_value(&e))
                    ></textarea>
                </label>
                <label class="studio-field">
                    <span>"Slow mode (moderators and operators are not slowed)"</span>
                    <select
                        class="studio-select"
                        data-testid="chat-slow-mode"
                        prop:value=move || slow.get().to_string()
                        on:change=move |e| set_slow.set(event_target_value(&e).parse().unwrap_or(0))
                    >
                        {SLOW_MODES
                            .map(|secs| {
                                let label = if secs == 0 { "Off".to_owned() } else { format!("One message per {secs} s") };
                                view! { <option value=secs.to_string()>{label}</option> }
                            })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit" class="studio-button studio-primary" data-testid="chat-rules-save">"Save the rules"</button>
                <p class="studio-outcome" role="status" data-testid="chat-rules-said">
                    {move || said.get().map(|r| match r {
                        Ok(words) => view! { <span>{words}</span> }.into_any(),
                        Err(words) => view! { <span class="studio-warning">{words}</span> }.into_any(),
                    })}
                </p>
            </form>
            <h3>"Held back by the rules"</h3>
            <Show
                when=move || !held().is_empty()
                fallback=|| view! { <p class="studio-note" data-testid="chat-held-none">"Nothing held back yet."</p> }
            >
                <ol class="studio-held" data-testid="chat-held">
                    <For each=held key=|h| (h.at_ms, h.user_id.clone(), h.content.clone()) let(h)>
                        <HeldLine held=h />
                    </For>
                </ol>
            </Show>
        </section>
    }
}

/// One held-back message: when, who, what (as text), and why.
#[component]
fn HeldLine(held: Held) -> impl IntoView {
    let why = match &held.word {
        Some(word) => format!("word list: “{word}”"),
        None => "slow mode".to_owned(),
    };
    let who = if held.name.is_empty() { held.user_id.clone() } else { held.name.clone() };
    view! {
        <li data-testid="chat-held-line">
            <span class="chat-time">{clock(held.at_ms as f64)}</span>
            " "
            <strong dir="auto">{who}</strong>
            " "
            <span dir="auto" data-testid="chat-held-content">{held.content}</span>
            " "
            <em class="studio-why">{why}</em>
        </li>
    }
}
