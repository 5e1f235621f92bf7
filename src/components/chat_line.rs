//! One line of the chat log: a message (as text; only checked http(s) links become links), a
//! deleted message's placeholder, or a notice; with moderator actions when the server granted them.

use ivs_proto::chat_session::{Line, Segment};
use leptos::prelude::*;

use crate::hooks::use_chat::UseChatReturn;
use crate::i18n::{clock, t, tf};

/// When a message was sent, as the viewer's clock reads it.
fn sent_at(sent_ms: Option<i64>) -> String {
    sent_ms.map(|ms| clock(ms as f64)).unwrap_or_default()
}

/// A key that changes when a line's look does (a message deleted).
pub fn line_key(line: &Line) -> String {
    match line {
        Line::Message(m) if m.deleted => format!("{}-deleted", line.key()),
        _ => line.key(),
    }
}

pub fn render_line(
    line: Line,
    chat: UseChatReturn,
    moderator: impl Fn() -> bool + Send + Sync + Copy + 'static,
    can_kick: impl Fn() -> bool + Send + Sync + Copy + 'static,
    my_id: impl Fn() -> Option<String> + Send + Sync + Copy + 'static,
) -> AnyView {
    match line {
        Line::Notice { text, .. } => view! { <li class="chat-line chat-system">{t(&text)}</li> }.into_any(),
        Line::Message(m) if m.deleted => view! {
            <li class="chat-line chat-deleted" data-testid="chat-deleted" data-id=m.id>
                <span class="chat-time">{sent_at(m.sent_ms)}</span>
                " "
                <em>{t("chat.deleted")}</em>
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
                    <span class="chat-time">{sent_at(m.sent_ms)}</span>
                    " "
                    <span class="chat-name" dir="auto" style=("--chat-hue", m.hue.to_string())>{m.name}</span>
                    {m.badge.map(|badge| view! { <span class="chat-badge">{badge}</span> })}
                    " "
                    <span class="chat-text" dir="auto">{text}</span>
                    <Show when=moderator>
                        <span class="chat-actions">
                            <button
                                class="chat-action"
                                data-testid="chat-delete"
                                aria-label=move || tf("chat.delete_label", &[("name", &name.get_value())])
                                on:click=move |_| chat.delete(&delete_id.get_value())
                            >{t("chat.delete")}</button>
                            <Show when=move || can_kick() && !own.get()>
                                <button
                                    class="chat-action"
                                    data-testid="chat-kick"
                                    aria-label=move || tf("chat.remove_label", &[("name", &name.get_value())])
                                    on:click=move |_| chat.kick(&kick_user.get_value())
                                >{t("chat.remove")}</button>
                            </Show>
                        </span>
                    </Show>
                </li>
            }
            .into_any()
        }
    }
}
