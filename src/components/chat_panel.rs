//! The chat beside the video: the connection's state, the messages (as text; only checked
//! http(s) links become links), a "jump to latest" button when the viewer scrolled up, a
//! composer with a live character count, feedback on what the room refused, and moderator
//! actions when the server granted them.

use ivs_proto::chat::DEFAULT_MAX_MESSAGE_LENGTH;
use ivs_proto::chat_session::{ChatState, Line, Segment};
use ivs_proto::config::ChatConfig;
use leptos::html::Ol;
use leptos::prelude::*;

use crate::hooks::use_chat::{use_chat, UseChatReturn};

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
    let state_text = move || chat.state.with(|s| s.describe(chat.now.get() as i64));
    let removed = move || matches!(chat.state.get(), ChatState::Disconnected { .. });
    let moderator = move || chat.identity.with(|t| t.as_ref().is_some_and(|t| t.can("DELETE_MESSAGE")));
    let can_kick = move || chat.identity.with(|t| t.as_ref().is_some_and(|t| t.can("DISCONNECT_USER")));
    let my_id = move || chat.identity.with(|t| t.as_ref().map(|t| t.user_id.clone()));

    let lines = move || {
        chat.log.with(|log| log.lines().map(|line| (line_key(line), line.clone())).collect::<Vec<_>>())
    };

    view! {
        <aside class="chat" data-testid="chat" aria-label="Chat">
            <header class="chat-head">
                <h2 class="chat-title">"Chat"</h2>
                <span class="chat-state" data-testid="chat-state" data-state=state_name>{state_text}</span>
            </header>
            <Show when=removed>
                <p class="chat-notice" data-testid="chat-notice" role="alert">
                    {move || chat.state.with(|s| match s {
                        ChatState::Disconnected { reason } => capitalise(reason),
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
                        0 => "Jump to latest".to_owned(),
                        n => format!("Jump to latest ({n} new)"),
                    }}
                </button>
            </Show>
            <Composer chat=chat />
        </aside>
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A key that changes when a line's look does (a message deleted).
fn line_key(line: &Line) -> String {
    match line {
        Line::Message(m) if m.deleted => format!("{}-deleted", line.key()),
        _ => line.key(),
    }
}

fn render_line(
    line: Line,
    chat: UseChatReturn,
    moderator: impl Fn() -> bool + Send + Sync + Copy + 'static,
    can_kick: impl Fn() -> bool + Send + Sync + Copy + 'static,
    my_id: impl Fn() -> Option<String> + Send + Sync + Copy + 'static,
) -> AnyView {
    match line {
        Line::Notice { text, .. } => view! { <li class="chat-line chat-system">{text}</li> }.into_any(),
        Line::Message(m) if m.deleted => view! {
            <li class="chat-line chat-deleted" data-testid="chat-deleted" data-id=m.id>
                <span class="chat-time">{m.time}</span>
                " "
                <em>"Message removed by a moderator"</em>
            </li>
        }
        .into_any(),
        Line::Message(m) => {
            let id = m.id.clone();
            let user = m.user_id.clone();
            let own = Signal::derive(move || my_id().as_deref() == Some(user.as_str()));
            let (delete_id, kick_user, name) = (StoredValue::new(id.clone()), StoredValue::new(m.user_id.clone()), StoredValue::new(m.name.clone()));
            let text = m
                .segments
                .into_iter()
                .map(|segment| match segment {
                    Segment::Text(text) => text.into_any(),
                    Segment::Link(url) => {
                        let (href, label) = (url.to_string(), url.to_string());
                        view! { <a href=href target="_blank" rel="noopener noreferrer nofollow ugc">{label}</a> }.into_any()
                    }
                })
                .collect_view();
            view! {
                <li class="chat-line" data-testid="chat-message" data-id=id data-user=m.user_id.clone()>
                    <span class="chat-time">{m.time}</span>
                    " "
                    <span class="chat-name" style=format!("--chat-hue: {}", m.hue)>{m.name}</span>
                    {m.badge.map(|badge| view! { <span class="chat-badge">{badge}</span> })}
                    " "
                    <span class="chat-text">{text}</span>
                    <Show when=moderator>
                        <span class="chat-actions">
                            <button
                                class="chat-action"
                                data-testid="chat-delete"
                                aria-label=move || format!("Delete this message from {}", name.get_value())
                                on:click=move |_| chat.delete(&delete_id.get_value())
                            >"Delete"</button>
                            <Show when=move || can_kick() && !own.get()>
                                <button
                                    class="chat-action"
                                    data-testid="chat-kick"
                                    aria-label=move || format!("Remove {} from the chat", name.get_value())
                                    on:click=move |_| chat.kick(&kick_user.get_value())
                                >"Remove"</button>
                            </Show>
                        </span>
                    </Show>
                </li>
            }
            .into_any()
        }
    }
}

/// The message box, its live character count and what the room said about the last message.
#[component]
fn Composer(chat: UseChatReturn) -> impl IntoView {
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
            Err(why) => set_local_error.set(Some(why)),
        }
    };
    let feedback = move || local_error.get().or_else(|| chat.feedback.get());
    let send_label = move || {
        if cooling() {
            let left = ((chat.cooldown_until.get() - chat.now.get()) / 1000.0).ceil().max(1.0) as u32;
            format!("Wait {left} s")
        } else {
            "Send".to_owned()
        }
    };

    view! {
        <p class="chat-feedback" data-testid="chat-feedback" role="status">{feedback}</p>
        <form class="chat-composer" on:submit=submit>
            <input
                class="chat-input"
                data-testid="chat-input"
                aria-label="Message"
                placeholder=move || if connected() { "Say something…" } else { "Chat is not connected" }
                autocomplete="off"
                prop:value=draft
                on:input=move |e| {
                    set_draft.set(event_target_value(&e));
                    set_local_error.set(None);
                }
            />
            <span class="chat-count" class:over=over data-testid="chat-count" aria-live="off">
                {move || format!("{}/{}", length(), max())}
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
