//! The run of show: overlays prepared before the broadcast (from the composer), each going out at
//! its time (the server sends it, whether or not the studio is open), at a key press (1 to 9,
//! anywhere on the studio but in a field), or by hand; kept by the server across restarts.

use std::time::Duration;

use ivs_proto::studio::{Show, ShowItem, Trigger};
use leptos::prelude::*;

use super::refusal;
use ivs_viewer::bindings::dom::{on_key, Listener};
use ivs_viewer::bindings::fetch::{fetch_text, post_json, put_json};
use ivs_viewer::i18n::clock;

/// How often the list is read again (to show what went out at its time).
const EVERY: Duration = Duration::from_secs(3);

/// The run of show as last read, shared with the composer (which adds to it).
#[derive(Clone, Copy)]
pub struct RunOfShow {
    pub show: RwSignal<Option<Show>>,
    said: RwSignal<Option<Result<String, String>>>,
    /// The live room, read again after an overlay goes out.
    desk: super::Desk,
}

impl RunOfShow {
    pub fn provide(desk: super::Desk) -> Self {
        let this = Self { show: RwSignal::new(None), said: RwSignal::new(None), desk };
        provide_context(this);
        this
    }

    /// Reads the list again.
    pub fn read(&self) {
        let show = self.show;
        let request = fetch_text("/api/studio/show");
        leptos::task::spawn_local(async move {
            match request.await.map(|text| serde_json::from_str::<Show>(&text)) {
                Ok(Ok(read)) => {
                    if show.try_with_untracked(|s| s.as_ref() != Some(&read)) == Some(true) {
                        show.try_set(Some(read));
                    }
                }
                Ok(Err(e)) => log::warn!("run of show: {e}"),
                Err(e) => log::warn!("run of show: {e}"),
            }
        });
    }

    /// Keeps `show` as the run of show (the server checks every overlay); `done` is said after.
    pub async fn keep(&self, show: Show, done: String) -> Result<String, String> {
        let body = serde_json::to_string(&show).expect("plain data always encodes");
        let result = match put_json("/api/studio/show", &body).await {
            Ok((200, text)) => {
                if let Ok(kept) = serde_json::from_str::<Show>(&text) {
                    self.show.try_set(Some(kept));
                }
                Ok(done)
            }
            Ok((_, text)) => Err(refusal(&text)),
            Err(_) => Err("The site server cannot be reached; the run of show is unchanged.".to_owned()),
        };
        self.said.try_set(Some(result.clone()));
        result
    }

    /// Sends an overlay of the run of show (`path`: its `send` or its key's route).
    fn send(&self, path: String, what: String) {
        let (this, desk) = (*self, self.desk);
        leptos::task::spawn_local(async move {
            let said = match post_json(&path, "").await {
                Ok((200, _)) => Ok(format!("{what} sent.")),
                Ok((_, text)) => Err(refusal(&text)),
                Err(_) => Err("The site server cannot be reached; nothing was sent.".to_owned()),
            };
            this.said.try_set(Some(said));
            this.read();
            desk.refresh();
        });
    }
}

/// What an overlay is, in a few words.
pub fn summary(overlay: &serde_json::Value) -> String {
    let text = |field: &str| overlay.get(field).and_then(|v| v.as_str()).unwrap_or("").to_owned();
    match overlay.get("type").and_then(|t| t.as_str()).unwrap_or("") {
        "poll" => format!("Poll: {}", text("question")),
        "quiz" => format!("Quiz: {}", text("question")),
        "product" => format!("Product: {}", text("title")),
        "notice" => format!("Notice: {}", text("text")),
        other => other.to_owned(),
    }
}

fn when(item: &ShowItem) -> String {
    let sent = item.sent_ms.map(|ms| format!(" — sent at {}", clock(ms as f64))).unwrap_or_default();
    match &item.trigger {
        Trigger::At { at_ms } => format!("At {}{sent}", clock(*at_ms as f64)),
        Trigger::Key { key } => format!("Key {key}{sent}"),
        Trigger::Manual => format!("By hand{sent}"),
    }
}

/// The run of show's panel.
#[component]
pub fn ShowDesk() -> impl IntoView {
    let run = expect_context::<RunOfShow>();
    run.read();
    leptos::task::spawn_local(async move {
        loop {
            gloo_timers::future::sleep(EVERY).await;
            // Stops with the studio.
            if run.show.try_with_untracked(|_| ()).is_none() {
                break;
            }
            run.read();
        }
    });
    // A digit pressed anywhere but in a field sends the overlay waiting for it.
    let keys: StoredValue<Option<Listener>, LocalStorage> = StoredValue::new_local(on_key(None, move |key| {
        if key.in_text || key.modifier || !matches!(key.key.as_bytes(), [b'1'..=b'9']) {
            return false;
        }
        let waiting = run.show.with_untracked(|s| s.as_ref().and_then(|s| s.for_key(&key.key)).map(|item| summary(&item.overlay)));
        match waiting {
            Some(what) => {
                run.send(format!("/api/studio/show/keys/{}", key.key), what);
                true
            }
            None => false,
        }
    }));
    on_cleanup(move || drop(keys.try_update_value(Option::take)));
    let remove = move |id: String| {
        let Some(mut show) = run.show.get_untracked() else { return };
        show.items.retain(|item| item.id != id);
        leptos::task::spawn_local(async move {
            let _ = run.keep(show, format!("{id} removed.")).await;
        });
    };
    view! {
        <section class="studio-panel studio-show" aria-labelledby="studio-show-title" data-testid="studio-show">
            <h2 id="studio-show-title">"Run of show"</h2>
            {move || {
                let items = run.show.with(|s| s.as_ref().map(|s| s.items.clone()).unwrap_or_default());
                if items.is_empty() {
                    return view! { <p class="studio-note">"Nothing prepared: add overlays from the form above, to go out at a time, at a key or by hand."</p> }.into_any();
                }
                view! {
                    <ol class="studio-show-list" data-testid="studio-show-list">
                        {items.into_iter().map(|item| {
                            let (id, what) = (item.id.clone(), summary(&item.overlay));
                            let send_what = what.clone();
                            let (send_id, shown_id) = (id.clone(), id.clone());
                            view! {
                                <li class="studio-show-item" data-testid="studio-show-item" data-id=shown_id data-sent=item.sent_ms.is_some().to_string()>
                                    <span class="studio-show-what">{what}</span>
                                    <span class="studio-show-when">{when(&item)}</span>
                                    <span class="studio-row">
                                        <button type="button" class="studio-button" data-testid="studio-show-send"
                                            on:click=move |_| run.send(format!("/api/studio/show/{send_id}/send"), send_what.clone())>"Send now"</button>
                                        <button type="button" class="studio-button" data-testid="studio-show-remove"
                                            on:click=move |_| remove(id.clone())>"Remove"</button>
                                    </span>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any()
            }}
            <p class="studio-outcome" role="status" aria-live="polite" data-testid="studio-show-outcome"
                class:studio-error=move || run.said.with(|o| matches!(o, Some(Err(_))))>
                {move || run.said.get().map(|o| o.unwrap_or_else(|e| e))}
            </p>
        </section>
    }
}
