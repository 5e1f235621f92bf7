//! The producer's desk beside the preview: the live room (state, health alerts, the broadcast's
//! events, the viewer count), the overlay composer with what is on screen and its tallies, the
//! run of show (overlays prepared to go out at a time or a key), the chat as moderators see it with
//! its word list and slow mode, the channel for the encoder, and
//! how playback goes for viewers (analytics). The server decides who may use it (the operator role, this site's
//! pages); anyone else is told how to sign in.
//!
//! The studio is in English: its words are the producer's tools, not the viewer's page.

pub mod analytics_desk;
pub mod channel_desk;
pub mod chat_desk;
pub mod composer;
pub mod live_room;
pub mod show_desk;

use std::time::Duration;

use ivs_proto::config::ChatConfig;
use ivs_proto::studio::Overview;
use leptos::prelude::*;

use ivs_viewer::bindings::fetch::{fetch_text, post_json, FetchError};

use self::analytics_desk::AnalyticsDesk;
use self::channel_desk::ChannelDesk;
use self::chat_desk::ChatDesk;
use self::composer::{Composer, OnScreen};
use self::live_room::LiveRoom;
use self::show_desk::{RunOfShow, ShowDesk};

/// How often the live room is read again.
const EVERY: Duration = Duration::from_secs(2);

/// Whether the server lets this browser in.
#[derive(Clone, Copy, PartialEq)]
enum Access {
    Checking,
    Allowed,
    Refused,
}

/// What the studio's actions share: the live room as last read, and a way to read it at once.
#[derive(Clone, Copy)]
pub struct Desk {
    pub overview: ReadSignal<Option<Overview>>,
    refresh: WriteSignal<u32>,
}

impl Desk {
    /// Reads the live room again now (after publishing, say).
    pub fn refresh(&self) {
        self.refresh.update(|n| *n = n.wrapping_add(1));
    }
}

/// The desk: refused in words, or the live room, the composer, the run of show, the chat, the
/// channel and the analytics. `chat`: the room, as the viewer's configuration names it.
#[component]
pub fn Studio(chat: Signal<Option<ChatConfig>>) -> impl IntoView {
    let (overview, set_overview) = signal(None::<Overview>);
    let (access, set_access) = signal(Access::Checking);
    let (unreachable, set_unreachable) = signal(false);
    let (refresh, set_refresh) = signal(0u32);
    let desk = Desk { overview, refresh: set_refresh };
    provide_context(desk);
    RunOfShow::provide(desk);
    // One read at a time: every EVERY, and at once when asked; stops when the view is gone.
    let read = move || {
        let request = fetch_text("/api/studio");
        leptos::task::spawn_local(async move {
            match request.await {
                Ok(text) => match serde_json::from_str::<Overview>(&text) {
                    Ok(read) => {
                        // Set only when they change: the desk below is drawn again when they do.
                        if access.try_get_untracked() != Some(Access::Allowed) {
                            set_access.try_set(Access::Allowed);
                        }
                        if unreachable.try_get_untracked() == Some(true) {
                            set_unreachable.try_set(false);
                        }
                        set_overview.try_set(Some(read));
                    }
                    Err(e) => log::warn!("studio: {e}"),
                },
                Err(FetchError::Status { status: 401 | 403, .. }) => {
                    set_access.try_set(Access::Refused);
                }
                Err(e) => {
                    log::warn!("studio: {e}");
                    if unreachable.try_get_untracked() == Some(false) {
                        set_unreachable.try_set(true);
                    }
                }
            }
        });
    };
    Effect::new(move |_| {
        refresh.track();
        read();
    });
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::sleep(EVERY).await;
            match access.try_get_untracked() {
                None | Some(Access::Refused) => break,
                Some(_) => read(),
            }
        }
    });
    view! {
        <section class="studio" aria-labelledby="studio-title" data-testid="studio">
            <h1 id="studio-title" class="studio-title">"Studio"</h1>
            {move || match access.get() {
                Access::Checking => view! { <p class="studio-note" role="status">"Opening the studio…"</p> }.into_any(),
                Access::Refused => view! {
                    <p class="studio-refused" role="alert" data-testid="studio-refused">
                        "The studio is for the site's operators. Sign in with an operator's account, or open a one-time sign-in link ("
                        <code>"ivs-site sign-in-link --user producer"</code>") in this browser. "
                        <a href="/sign-in">"Sign in"</a>
                    </p>
                }
                .into_any(),
                Access::Allowed => view! {
                    {move || unreachable.get().then(|| view! {
                        <p class="studio-warning" role="alert">"The site server cannot be reached; trying again."</p>
                    })}
                    <LiveRoom />
                    <OnScreen />
                    <Composer />
                    <ShowDesk />
                    <ChatDesk chat=chat />
                    <ChannelDesk />
                    <AnalyticsDesk />
                }
                .into_any(),
            }}
        </section>
    }
}

/// Publishes `overlay` (JSON) through the site server; the server's words when it refuses.
pub async fn publish(overlay: &str) -> Result<String, String> {
    match post_json("/api/overlays", overlay).await {
        Ok((200, text)) => Ok(text),
        Ok((_, text)) => Err(refusal(&text)),
        Err(_) => Err("The site server cannot be reached; nothing was published.".to_owned()),
    }
}

/// The server's sentence in a refusal (`{"error": …}`), as the start of a sentence (its words
/// are English, so the first letter is made upper case as ASCII: no Unicode case tables here).
pub fn refusal(body: &str) -> String {
    let words = serde_json::from_str::<ivs_proto::site::ErrorAnswer>(body).map(|a| a.error).unwrap_or_default();
    let mut words = words.trim().to_owned();
    if words.is_empty() {
        return "The site server refused.".to_owned();
    }
    if let Some(first) = words.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    words
}
