//! The composer: the message box, a live character count against the room's limit, and what the
//! room said about the last message (too fast, too long, refused), with the refused words kept.

use ivs_proto::chat::DEFAULT_MAX_MESSAGE_LENGTH;
use ivs_proto::chat_session::ChatState;
use leptos::prelude::*;

use crate::hooks::use_chat::UseChatReturn;
use crate::i18n::{number, t, tf};

/// The message box, its live character count and what the room said about the last message.
#[component]
pub fn Composer(
    /// The chat to send to.
    chat: UseChatReturn,
) -> impl IntoView {
    let (draft, set_draft) = signal(String::new());
    let max = move || chat.identity.with(|t| t.as_ref().and_then(|t| t.maximum_message_length)).unwrap_or(DEFAULT_MAX_MESSAGE_LENGTH);
    let length = move || draft.with(|d| ivs_proto::chat::message_length(d));
    let over = move || length() > max();
    let cooling = move || chat.now.get() < chat.cooldown_until.get() || js_sys::Date::now() < chat.cooldown_until.get();
    let connected = move || matches!(chat.state.get(), ChatState::Connected);
    let (local_error, set_local_error) = signal(None::<String>);

    // A message the room refused comes back into the box, unless the viewer typed something new.
    Effect::new(move |_| {
        if let Some(returned) = chat.returned_draft.get() {
            if draft.with_untracked(|d| d.trim().is_empty()) {
                set_draft.set(returned);
            }
        }
    });

    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let content = draft.get_untracked();
        match chat.send(&content) {
            Ok(()) => {
                set_draft.set(String::new());
                set_local_error.set(None);
            }
            Err(why) => set_local_error.set(Some(why.words())),
        }
    };
    let feedback = move || local_error.get().or_else(|| chat.feedback.get());
    let send_label = move || {
        if cooling() {
            let left = ((chat.cooldown_until.get() - chat.now.get()) / 1000.0).ceil().max(1.0) as u32;
            tf("chat.wait", &[("secs", &number(f64::from(left)))])
        } else {
            t("chat.send")
        }
    };

    let slow = move || chat.slow_mode.get();
    view! {
        <Show when=move || { slow() > 0 }>
            <p class="chat-slow" data-testid="chat-slow">{move || tf("chat.slow_mode", &[("secs", &number(f64::from(slow())))])}</p>
        </Show>
        <p class="chat-feedback" data-testid="chat-feedback" role="status">{feedback}</p>
        <form class="chat-composer" on:submit=submit>
            <input
                class="chat-input"
                data-testid="chat-input"
                aria-label=t("chat.message")
                placeholder=move || t(if connected() { "chat.placeholder" } else { "chat.not_connected" })
                autocomplete="off"
                prop:value=draft
                on:input=move |e| {
                    set_draft.set(event_target_value(&e));
                    set_local_error.set(None);
                }
            />
            <span class="chat-count" class:over=over data-testid="chat-count" aria-live="off">
                {move || format!("{}/{}", number(length() as f64), number(max() as f64))}
            </span>
            <button
                type="submit"
                class="chat-send"
                data-testid="chat-send"
                disabled=move || !connected() || over() || cooling() || draft.with(|d| d.trim().is_empty())
            >
                {send_label}
            </button>
        </form>
    }
}
