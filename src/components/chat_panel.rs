//! The chat beside the video: the connection's state, the log of messages with a "jump to
//! latest" button when the viewer scrolled up to read, and the composer.

use ivs_proto::chat_session::ChatState;
use ivs_proto::config::ChatConfig;
use leptos::html::Ol;
use leptos::prelude::*;

use super::chat_composer::Composer;
use super::chat_line::{line_key, render_line};
use crate::hooks::use_chat::use_chat;
use crate::i18n::{number, t, tf, tn};

/// How close to the bottom (px) still counts as "at the bottom".
const STICKY_PX: i32 = 24;

/// The chat panel for `config`.
#[component]
pub fn ChatPanel(config: ChatConfig) -> impl IntoView {
    let chat = use_chat(config);
    let list = NodeRef::<Ol>::new();
    let (paused, set_paused) = signal(false);
    let (unseen, set_unseen) = signal(0u64);

    // Follow new lines unless the viewer scrolled up to read.
    let last_received = StoredValue::new(0u64);
    Effect::new(move |_| {
        let received = chat.log.with(|log| log.received);
        let new = received.saturating_sub(last_received.get_value());
        last_received.set_value(received);
        if paused.get_untracked() {
            set_unseen.update(|n| *n += new);
        } else if let Some(list) = list.get_untracked() {
            list.set_scroll_top(list.scroll_height());
        }
    });
    let on_scroll = move |_| {
        let Some(list) = list.get_untracked() else { return };
        let at_bottom = list.scroll_height() - list.scroll_top() - list.client_height() <= STICKY_PX;
        set_paused.set(!at_bottom);
        if at_bottom {
            set_unseen.set(0);
        }
    };
    let jump = move |_| {
        if let Some(list) = list.get_untracked() {
            list.set_scroll_top(list.scroll_height());
        }
        set_paused.set(false);
        set_unseen.set(0);
    };

    let state_name = move || match chat.state.get() {
        ChatState::Connecting => "connecting",
        ChatState::Connected => "connected",
        ChatState::Reconnecting { .. } => "reconnecting",
        ChatState::Disconnected { .. } => "disconnected",
    };
    let state_text = move || {
        chat.state.with(|s| match s {
            ChatState::Connecting => t("chat.connecting"),
            ChatState::Connected => t("chat.connected"),
            ChatState::Reconnecting { .. } => match s.reconnect_in_secs(chat.now.get() as i64) {
                Some(secs) if secs > 0 => tf("chat.reconnecting_in", &[("secs", &number(secs as f64))]),
                _ => t("chat.reconnecting"),
            },
            ChatState::Disconnected { .. } => t("chat.disconnected"),
        })
    };
    let removed = move || matches!(chat.state.get(), ChatState::Disconnected { .. });
    let moderator = move || chat.identity.with(|t| t.as_ref().is_some_and(|t| t.can("DELETE_MESSAGE")));
    let can_kick = move || chat.identity.with(|t| t.as_ref().is_some_and(|t| t.can("DISCONNECT_USER")));
    let my_id = move || chat.identity.with(|t| t.as_ref().map(|t| t.user_id.clone()));

    let lines = move || chat.log.with(|log| log.lines().map(|line| (line_key(line), line.clone())).collect::<Vec<_>>());

    view! {
        <aside class="chat" part="chat" data-testid="chat" aria-label=t("chat.title")>
            <header class="chat-head">
                <h2 class="chat-title">{t("chat.title")}</h2>
                <span class="chat-state" data-testid="chat-state" data-state=state_name>{state_text}</span>
            </header>
            <Show when=removed>
                <p class="chat-notice" data-testid="chat-notice" role="alert">
                    {move || chat.state.with(|s| match s {
                        ChatState::Disconnected { reason: Some(reason) } => tf("chat.removed_because", &[("reason", reason)]),
                        ChatState::Disconnected { reason: None } => t("chat.removed"),
                        _ => String::new(),
                    })}
                </p>
            </Show>
            <ol class="chat-log" data-testid="chat-log" data-received=move || chat.log.with(|l| l.received) node_ref=list on:scroll=on_scroll aria-live="polite" aria-relevant="additions">
                <For each=lines key=|(key, _)| key.clone() let((_, line))>
                    {render_line(line, chat, moderator, can_kick, my_id)}
                </For>
            </ol>
            <Show when=move || paused.get()>
                <button class="chat-jump" data-testid="chat-jump" on:click=jump>
                    {move || match unseen.get() {
                        0 => t("chat.jump"),
                        n => tn("chat.jump_new", n as f64, &[]),
                    }}
                </button>
            </Show>
            <Composer chat=chat />
        </aside>
    }
}
