//! Rewinding while live: "Rewind" loads the broadcast so far — the recording as it grows, served
//! by the site as a finished playlist — 30 s before now, so the seek bar spans the whole
//! broadcast; "Go live" (or reaching its end) returns to the channel's live edge.

use ivs_proto::playback::{PlayerState, Status};
use ivs_proto::recordings::{RecordingPage, RecordingState};
use ivs_proto::url::encode_component;
use leptos::prelude::*;

use crate::bindings::fetch::fetch_text;
use crate::bindings::messages::absolute;
use crate::components::icons::RewindIcon;
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::i18n::t;

/// How far back "Rewind" starts, in seconds.
const BACK_SECS: f64 = 30.0;

/// Where the live page finds the broadcast being recorded; provided by the page when it may
/// rewind (the site keeps recordings, and the channel plays live).
#[derive(Clone, Copy)]
pub struct RewindSource(pub Signal<Option<String>>);

/// The rewind and go-live buttons, for the player in context.
#[component]
pub fn RewindControl(recordings_url: String) -> impl IntoView {
    let player = expect_context::<UseIvsPlayerReturn>();
    let handle = player.handle;
    let (rewound, set_rewound) = signal(false);
    let (problem, set_problem) = signal(None::<String>);
    // Seconds back from the end, to seek to once the recording so far has loaded.
    let pending = StoredValue::new(None::<f64>);
    let url = StoredValue::new(recordings_url);
    let rewind = move |_| {
        let base = url.get_value();
        let request = fetch_text(&format!("{base}?limit=1"));
        leptos::task::spawn_local(async move {
            let page = request.await.map_err(|e| e.to_string()).and_then(|t| serde_json::from_str::<RecordingPage>(&t).map_err(|e| e.to_string()));
            let live = match page {
                Ok(page) => page.recordings.into_iter().find(|r| r.state == RecordingState::Recording),
                Err(e) => {
                    log::warn!("rewind: {e}");
                    None
                }
            };
            let Some(live) = live else {
                set_problem.try_set(Some(t("rewind.not_recorded")));
                return;
            };
            let path = format!("{}/{}/rewind/master.m3u8", base.trim_end_matches('/'), encode_component(&live.id));
            let Some(address) = absolute(&path) else { return };
            pending.try_set_value(Some(BACK_SECS));
            set_problem.try_set(None);
            set_rewound.try_set(true);
            handle.play_other(&address);
        });
    };
    let go_live = move || {
        pending.set_value(None);
        set_rewound.set(false);
        handle.back_to_live();
    };
    // Once the recording so far plays: back from its end; at its end: live again.
    Effect::new(move |_| {
        let status = player.status.get();
        if !rewound.get_untracked() {
            return;
        }
        match status {
            Status::Player(PlayerState::Playing | PlayerState::Ready) => {
                if let Some(back) = pending.get_value() {
                    let duration = handle.duration();
                    if duration.is_finite() && duration > 0.0 {
                        pending.set_value(None);
                        handle.seek_to((duration - back).max(0.0));
                    }
                }
            }
            Status::Player(PlayerState::Ended) => go_live(),
            _ => {}
        }
    });
    view! {
        <Show
            when=move || rewound.get()
            fallback=move || view! {
                <button class="ctl ctl-text" data-testid="ctl-rewind" aria-label=t("rewind.label") on:click=rewind>
                    <RewindIcon /><span class="ctl-label">{t("rewind.button")}</span>
                </button>
            }
        >
            <button class="ctl ctl-text ctl-golive" data-testid="ctl-rewind-live" on:click=move |_| go_live()>{t("rewind.go_live")}</button>
        </Show>
        {move || problem.get().map(|why| view! {
            <div class="clip-made" role="status" data-testid="rewind-problem">
                <span class="clip-error">{why}</span>
                <button type="button" class="clip-close" aria-label=t("common.close") on:click=move |_| set_problem.set(None)>"×"</button>
            </div>
        })}
    }
}
