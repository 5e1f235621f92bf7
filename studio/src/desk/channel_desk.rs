//! The channel as the broadcaster's encoder needs it: the ingest server, the stream key (read
//! only when asked, hidden again with one press, never cached), replacing the key, and whether
//! the channel records.

use leptos::prelude::*;

use super::refusal;
use ivs_viewer::bindings::fetch::{fetch_text, post_json, FetchError};

#[derive(serde::Deserialize, Clone, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Channel {
    ingest: Vec<String>,
    private: bool,
    recording_configuration_arn: Option<String>,
    rotates_key: bool,
}

#[derive(serde::Deserialize)]
struct Key {
    value: String,
}

/// The channel panel.
#[component]
pub fn ChannelDesk() -> impl IntoView {
    let (channel, set_channel) = signal(None::<Result<Channel, String>>);
    let (key, set_key) = signal(None::<String>);
    let (said, set_said) = signal(None::<String>);
    let (confirming, set_confirming) = signal(false);
    let request = fetch_text("/api/studio/channel");
    leptos::task::spawn_local(async move {
        let read = match request.await {
            Ok(text) => serde_json::from_str::<Channel>(&text).map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        set_channel.try_set(Some(read.map_err(|why| format!("The channel cannot be read: {why}"))));
    });
    let reveal = move |_| {
        let request = fetch_text("/api/stream-key");
        leptos::task::spawn_local(async move {
            match request.await.map(|text| serde_json::from_str::<Key>(&text)) {
                Ok(Ok(read)) => {
                    set_key.try_set(Some(read.value));
                }
                Ok(Err(_)) | Err(FetchError::Network(_)) => {
                    set_said.try_set(Some("The stream key cannot be read right now.".to_owned()));
                }
                Err(FetchError::Status { status, .. }) => {
                    set_said.try_set(Some(format!("The stream key cannot be read (HTTP {status}).")));
                }
            }
        });
    };
    let rotate = move |_| {
        set_confirming.set(false);
        leptos::task::spawn_local(async move {
            match post_json("/api/stream-key/rotate", "").await {
                Ok((200, text)) => {
                    let value = serde_json::from_str::<Key>(&text).map(|k| k.value).ok();
                    set_key.try_set(value);
                    set_said.try_set(Some("A new stream key is in place; the old one no longer streams. Give the encoder the new one.".to_owned()));
                }
                Ok((_, text)) => {
                    set_said.try_set(Some(refusal(&text)));
                }
                Err(_) => {
                    set_said.try_set(Some("The site server cannot be reached; the key was not replaced.".to_owned()));
                }
            }
        });
    };
    view! {
        <section class="studio-panel studio-channel" aria-labelledby="studio-channel-title" data-testid="studio-channel">
            <h2 id="studio-channel-title">"Channel"</h2>
            {move || match channel.get() {
                None => view! { <p class="studio-note">"Reading the channel…"</p> }.into_any(),
                Some(Err(why)) => view! { <p class="studio-warning" role="alert">{why}</p> }.into_any(),
                Some(Ok(c)) => view! {
                    <dl class="studio-facts">
                        <dt>"Ingest server"</dt>
                        <dd>{c.ingest.iter().map(|url| view! { <code data-testid="studio-ingest">{url.clone()}</code> }).collect_view()}</dd>
                        <dt>"Playback"</dt>
                        <dd>{if c.private { "Private: viewers need a playback token (the site gives them)." } else { "Public." }}</dd>
                        <dt>"Recording"</dt>
                        <dd data-testid="studio-recording">{match c.recording_configuration_arn {
                            Some(arn) => format!("Every broadcast is recorded to S3 ({arn}) and appears under past broadcasts once its recording ends."),
                            None => "Broadcasts are not recorded.".to_owned(),
                        }}</dd>
                        <dt>"Key rotation"</dt>
                        <dd>{if c.rotates_key { "A new key after every broadcast." } else { "By hand, below." }}</dd>
                    </dl>
                }.into_any(),
            }}
            <div class="studio-key">
                <span>"Stream key: "</span>
                {move || match key.get() {
                    Some(value) => view! { <code data-testid="studio-stream-key">{value}</code> }.into_any(),
                    None => view! { <span class="studio-note">"hidden"</span> }.into_any(),
                }}
            </div>
            <div class="studio-row">
                {move || if key.with(Option::is_some) {
                    view! { <button type="button" class="studio-button" on:click=move |_| set_key.set(None)>"Hide the key"</button> }.into_any()
                } else {
                    view! { <button type="button" class="studio-button" data-testid="studio-reveal-key" on:click=reveal>"Show the key"</button> }.into_any()
                }}
                {move || if confirming.get() {
                    view! {
                        <button type="button" class="studio-button studio-danger" data-testid="studio-rotate-confirm" on:click=rotate>"Replace it: the encoder must change key"</button>
                        <button type="button" class="studio-button" on:click=move |_| set_confirming.set(false)>"Keep the key"</button>
                    }.into_any()
                } else {
                    view! { <button type="button" class="studio-button" data-testid="studio-rotate" on:click=move |_| set_confirming.set(true)>"Rotate the key"</button> }.into_any()
                }}
            </div>
            <p class="studio-outcome" role="status" data-testid="studio-key-outcome">{said}</p>
        </section>
    }
}
