//! "Clip": a viewer cuts the last 15, 30 or 60 seconds — of the live broadcast, or before the
//! moment a replay is at — or marks where the clip starts and cuts it later where playback is (a
//! chosen range, up to a minute: replaying, from the mark to here; live, the seconds watched since
//! the mark), and gets a link to share. The server makes the clip (from the recording's playlists,
//! no transcoding) and refuses in words when it cannot.

use ivs_proto::clips::{ClipAnswer, ClipRequest, CLIP_LENGTHS, MAX_CLIP_SECS};
use leptos::prelude::*;

use crate::bindings::fetch::post_json;
use crate::bindings::messages::absolute;
use crate::components::icons::ClipIcon;
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::i18n::{countdown, number, t, tf};

/// What clips are cut from, provided by the page when its site makes clips.
#[derive(Clone, Debug, PartialEq)]
pub struct ClipSource {
    /// `POST` here.
    pub url: String,
    /// Replaying this recording; `None`: the live broadcast.
    pub recording_id: Option<String>,
}

/// The page's clip source as context: `None` where clips cannot be made (no recordings, or a
/// clip playing).
#[derive(Clone, Copy)]
pub struct ClipSourceSignal(pub Signal<Option<ClipSource>>);

/// The button, and what it made (a link, or why not).
#[component]
pub fn ClipButton(source: ClipSource) -> impl IntoView {
    let player = expect_context::<UseIvsPlayerReturn>();
    let (made, set_made) = signal(None::<Result<String, String>>);
    let (busy, set_busy) = signal(false);
    // The lengths offered, once "Clip" is pressed.
    let (choosing, set_choosing) = signal(false);
    // Where the viewer marked the clip's start (the player's position then).
    let (mark, set_mark) = signal(None::<f64>);
    let replaying = source.recording_id.is_some();
    let here = move || player.handle.position_now().unwrap_or_else(|| player.position.get_untracked());
    // Live: the seconds played since the mark, as long as a clip may be.
    let since = move |from: f64| (here() - from).clamp(1.0, MAX_CLIP_SECS).round();
    let source = StoredValue::new(source);
    // `Ok(secs)`: the last `secs` before here; `Err(from)`: from the mark to here.
    let cut = move |what: Result<f64, f64>| {
        set_choosing.set(false);
        if busy.get_untracked() {
            return;
        }
        let source = source.get_value();
        let request = match (source.recording_id, what) {
            (Some(id), what) => {
                let to = here().max(1.0);
                let from = what.map_or_else(|from| from, |secs| (to - secs).max(0.0));
                ClipRequest { recording_id: Some(id), from_secs: Some(from), to_secs: Some(to), last_secs: None }
            }
            (None, what) => {
                // Live, the server cuts back from the live edge: the mark is how long ago it was.
                let secs = what.unwrap_or_else(since);
                ClipRequest { recording_id: None, from_secs: None, to_secs: None, last_secs: Some(secs) }
            }
        };
        // The mark is spent once read.
        set_mark.set(None);
        let body = serde_json::to_string(&request).expect("plain data always encodes");
        let sent = post_json(&source.url, &body);
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            let outcome = match sent.await {
                Ok((200, text)) => {
                    serde_json::from_str::<ClipAnswer>(&text).map(|clip| absolute(&clip.page_url).unwrap_or(clip.page_url)).map_err(|_| t("clip.unreadable"))
                }
                Ok((_, text)) => Err(crate::i18n::server_words(&text, "clip.failed")),
                Err(_) => Err(t("clip.offline")),
            };
            set_busy.try_set(false);
            set_made.try_set(Some(outcome));
        });
    };
    let copy = move |_| {
        if let Some(Ok(link)) = made.get_untracked() {
            if let Some(clipboard) = web_sys::window().map(|w| w.navigator().clipboard()) {
                let _ = clipboard.write_text(&link);
            }
        }
    };
    let lengths = move || {
        CLIP_LENGTHS.map(|secs| {
            let label = tf("clip.last", &[("secs", &number(secs))]);
            view! {
                <button type="button" class="clip-length" data-testid=format!("clip-{secs:.0}") on:click=move |_| cut(Ok(secs))>{label}</button>
            }
        })
    };
    // Mark the start here (then play, or seek on while replaying, to the end), or cut from the mark.
    let range = move || match mark.get() {
        None => view! {
            <button type="button" class="clip-length" data-testid="clip-mark"
                on:click=move |_| {
                    set_mark.set(Some(here().max(0.0)));
                    set_choosing.set(false);
                }>{t("clip.mark")}</button>
        }
        .into_any(),
        Some(from) => {
            let label = move || {
                if replaying {
                    tf("clip.from_mark", &[("from", &countdown(from))])
                } else {
                    player.position.track();
                    tf("clip.since_mark", &[("secs", &number(since(from)))])
                }
            };
            view! {
                <button type="button" class="clip-length" data-testid="clip-from-mark" on:click=move |_| cut(Err(from))>{label}</button>
            }
            .into_any()
        }
    };
    view! {
        <button class="ctl ctl-text" data-testid="ctl-clip" aria-label=t("clip.button") aria-expanded=move || choosing.get().to_string()
            disabled=busy on:click=move |_| set_choosing.update(|open| *open = !*open)>
            <ClipIcon /><span class="ctl-label">{t("clip.button")}</span>
        </button>
        {move || choosing.get().then(|| view! {
            <div class="clip-lengths" role="group" aria-label=t("clip.length") data-testid="clip-lengths"
                on:keydown=move |e: leptos::ev::KeyboardEvent| if e.key() == "Escape" { set_choosing.set(false) }>
                {lengths()}
                {range}
            </div>
        })}
        {move || made.get().map(|outcome| view! {
            <div class="clip-made" role="status" data-testid="clip-made">
                {match outcome {
                    Ok(link) => view! {
                        <span>{t("clip.yours")}</span>
                        <a href=link.clone() data-testid="clip-link">{link.clone()}</a>
                        <button type="button" class="clip-copy" on:click=copy>{t("clip.copy")}</button>
                    }.into_any(),
                    Err(why) => view! { <span class="clip-error">{why}</span> }.into_any(),
                }}
                <button type="button" class="clip-close" aria-label=t("common.close") on:click=move |_| set_made.set(None)>"×"</button>
            </div>
        })}
    }
}
