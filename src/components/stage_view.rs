//! Watching a real-time stage: a grid of the participants who publish, one tile each (one to
//! twelve; one or two columns on a phone), each with its own mute, volume and full screen.
//! Participants appear and leave as the line-up changes, without a reload; a tile whose
//! connection fails says so and tries again with backoff.

use std::time::Duration;

use ivs_proto::backoff::Backoff;
use std::collections::HashMap;

use gloo_timers::callback::{Interval, Timeout};
use ivs_proto::controls::{shortcut, step_volume, Shortcut};
use ivs_proto::stage::{grid_columns, Member, Spotlight, StageToken, TokenClaims};
use leptos::html::{Div, Video};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use super::icons::FullScreenIcon;
use crate::bindings::fetch::post_with_credentials;
use crate::bindings::webrtc::{PeerState, Subscription};
use crate::hooks::use_stage::StageStore;
use crate::i18n::{t, tf};

/// The viewer's pass to the stage (a participant token, with its claims), renewed before it
/// expires and whenever the stage refuses it. Tiles read it each time they (re)connect.
#[derive(Clone, Copy)]
struct Pass {
    current: RwSignal<Option<(StageToken, TokenClaims)>>,
    /// A request for a pass is under way.
    fetching: StoredValue<bool>,
    renewal: StoredValue<Option<Timeout>, LocalStorage>,
    problem: WriteSignal<Option<String>>,
    store: StageStore,
    token_url: StoredValue<String>,
}

impl Pass {
    /// Asks the site for a pass now (once at a time), trying again with backoff until one comes.
    fn renew(self) {
        if self.fetching.get_value() {
            return;
        }
        self.fetching.set_value(true);
        let url = self.token_url.get_value();
        leptos::task::spawn_local(async move {
            let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
            loop {
                let answer = post_with_credentials(&url).await.map_err(|e| (e.to_string(), "stage.why.no_pass")).and_then(|text| {
                    let token: StageToken = serde_json::from_str(&text).map_err(|_| ("unreadable pass".to_owned(), "stage.why.pass_unreadable"))?;
                    let claims = TokenClaims::read(&token.token).map_err(|e| (e.to_string(), "stage.why.pass_unreadable"))?;
                    Ok((token, claims))
                });
                match answer {
                    Ok((token, claims)) => {
                        let renew_in = claims.renew_in_secs((js_sys::Date::now() / 1000.0) as u64);
                        self.store.set(token.lineup.clone());
                        self.problem.try_set(None);
                        if self.current.try_set(Some((token, claims))).is_some() {
                            return; // the page is gone
                        }
                        self.fetching.try_set_value(false);
                        if let Some(secs) = renew_in {
                            let timer = Timeout::new(u32::try_from(secs.saturating_mul(1000)).unwrap_or(u32::MAX), move || self.renew());
                            self.renewal.try_set_value(Some(timer));
                        }
                        return;
                    }
                    Err((detail, why)) => {
                        log::warn!("stage: {detail}");
                        if self.problem.try_set(Some(tf("stage.cannot_join", &[("why", &t(why))]))).is_some() {
                            return;
                        }
                        gloo_timers::future::sleep(backoff.next_delay(js_sys::Math::random())).await;
                    }
                }
            }
        });
    }
}

/// The stage, with a pass from `token_url`.
#[component]
pub fn StageView(token_url: String) -> impl IntoView {
    let store = expect_context::<StageStore>();
    let (problem, set_problem) = signal(None::<String>);
    let pass = Pass {
        current: RwSignal::new(None),
        fetching: StoredValue::new(false),
        renewal: StoredValue::new_local(None),
        problem: set_problem,
        store,
        token_url: StoredValue::new(token_url),
    };
    provide_context(pass);
    pass.renew();
    on_cleanup(move || drop(pass.renewal.try_update_value(Option::take)));
    let has_pass = move || pass.current.with(Option::is_some);
    let members = Memo::new(move |_| store.members());
    // The active speaker: each tile reports its loudness; the loudest for a second is spotlit.
    let levels = Levels { heard: StoredValue::new_local(HashMap::new()), spotlit: RwSignal::new(None) };
    provide_context(levels);
    let spotlight = StoredValue::new_local(Spotlight::default());
    let ticker = Interval::new(300, move || {
        let heard: Vec<(String, f64)> = levels.heard.with_value(|h| h.iter().map(|(id, level)| (id.clone(), *level)).collect());
        let now = js_sys::Date::now();
        let chosen = spotlight.try_update_value(|s| s.hear(&heard, now).map(str::to_owned)).flatten();
        // Only a grid of two or more has a spotlight.
        let chosen = chosen.filter(|_| heard.len() > 1);
        if levels.spotlit.get_untracked() != chosen {
            levels.spotlit.set(chosen);
        }
    });
    let ticker = StoredValue::new_local(Some(ticker));
    on_cleanup(move || drop(ticker.try_update_value(Option::take)));
    let columns = move || grid_columns(members.with(Vec::len), 1200);
    let waiting = move || has_pass() && store.known() && members.with(Vec::is_empty);
    view! {
        <section class="stage-view" data-testid="stage-view" aria-label=t("stage.label")>
            <p class="stage-status" role="status" data-testid="stage-status">
                {move || problem.get().or_else(|| waiting().then(|| t("stage.empty")))}
            </p>
            <div class="stage-grid" style:--columns=move || columns().to_string() data-tiles=move || members.with(Vec::len)>
                <For
                    each=move || members.get()
                    key=|member| member.participant_id.clone()
                    children=move |member| {
                        view! { <Show when=has_pass>{
                            let member = member.clone();
                            move || view! { <StageTile member=member.clone() /> }
                        }</Show> }
                    }
                />
            </div>
        </section>
    }
}

/// What the tiles hear, for the spotlight.
#[derive(Clone, Copy)]
struct Levels {
    /// Each participant's loudness, by participant ID.
    heard: StoredValue<HashMap<String, f64>, LocalStorage>,
    spotlit: RwSignal<Option<String>>,
}

/// One participant: its picture and sound, and its own controls.
#[component]
fn StageTile(member: Member) -> impl IntoView {
    let pass = expect_context::<Pass>();
    let video = NodeRef::<Video>::new();
    let tile = NodeRef::<Div>::new();
    let (state, set_state) = signal(PeerState::Connecting);
    let (muted, set_muted) = signal(true);
    let (volume, set_volume) = signal(1.0f64);
    let name = if member.user_id.is_empty() { t("stage.a_host") } else { member.user_id.clone() };
    let participant = member.participant_id.clone();
    let held = StoredValue::new_local(None::<Subscription>);
    let attempt = RwSignal::new(0u32);
    // (Re)subscribes each time `attempt` moves; a failure schedules the next attempt with backoff.
    let backoff = StoredValue::new_local(Backoff::new(Duration::from_secs(1), Duration::from_secs(20)));
    Effect::new(move |_| {
        let _ = attempt.get();
        let Some(element) = video.get() else { return };
        held.update_value(|held| *held = None);
        // The pass as it is now: renewals reach the next attempt, not a healthy connection.
        let Some((token, claims)) = pass.current.get_untracked() else { return };
        let report = move |next: PeerState| {
            if matches!(next, PeerState::Connected) {
                backoff.update_value(Backoff::reset);
            }
            if next == PeerState::Refused {
                pass.renew();
            }
            if matches!(next, PeerState::Failed(_) | PeerState::Refused) {
                let delay = backoff.try_update_value(|b| b.next_delay(js_sys::Math::random())).unwrap_or(Duration::from_secs(5));
                leptos::task::spawn_local(async move {
                    gloo_timers::future::sleep(delay).await;
                    attempt.try_update(|n| *n += 1);
                });
            }
            set_state.try_set(next);
        };
        match Subscription::start(claims.subscribe_url(&participant), token.token, element, report) {
            Ok(subscription) => held.set_value(Some(subscription)),
            Err(_) => set_state.set(PeerState::Failed("stage.why.unsupported")),
        }
    });
    let levels = expect_context::<Levels>();
    let id = member.participant_id.clone();
    let listen = {
        let id = id.clone();
        Interval::new(300, move || {
            let level = held.with_value(|s| s.as_ref().and_then(Subscription::audio_level)).unwrap_or(0.0);
            levels.heard.update_value(|h| {
                h.insert(id.clone(), level);
            });
        })
    };
    let listen = StoredValue::new_local(Some(listen));
    let gone = id.clone();
    on_cleanup(move || {
        drop(listen.try_update_value(Option::take));
        levels.heard.try_update_value(|h| h.remove(&gone));
        drop(held.try_update_value(Option::take));
    });
    let spotlit = move || levels.spotlit.with(|s| s.as_deref() == Some(id.as_str()));
    Effect::new(move |_| {
        if let Some(element) = video.get() {
            element.set_muted(muted.get());
            element.set_volume(volume.get());
        }
    });
    let full_screen = move || {
        if let Some(tile) = tile.get_untracked() {
            let _ = tile.request_fullscreen();
        }
    };
    // The channel's keys, for the tile that has the focus: M mutes, F goes full screen, ↑ ↓ set
    // the volume (the volume slider keeps its own arrows).
    let on_key = move |event: web_sys::KeyboardEvent| {
        let modifier = event.ctrl_key() || event.meta_key() || event.alt_key();
        let on_slider = event.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()).is_some();
        let handled = match shortcut(&event.key(), false, modifier) {
            Some(Shortcut::ToggleMute) => {
                set_muted.update(|m| *m = !*m);
                true
            }
            Some(Shortcut::ToggleFullscreen) => {
                full_screen();
                true
            }
            Some(action @ (Shortcut::VolumeUp | Shortcut::VolumeDown)) if !on_slider => {
                let next = step_volume(volume.get_untracked(), action == Shortcut::VolumeUp);
                set_volume.set(next);
                set_muted.set(next == 0.0);
                true
            }
            _ => false,
        };
        if handled {
            event.prevent_default();
        }
    };
    let label = name.clone();
    let words = move || match state.get() {
        PeerState::Connecting => Some(tf("stage.connecting", &[("name", &label)])),
        PeerState::Connected => None,
        PeerState::Failed(why) => Some(tf("stage.lost", &[("name", &label), ("why", &t(why))])),
        PeerState::Refused => Some(tf("stage.lost", &[("name", &label), ("why", &t("stage.why.new_pass"))])),
    };
    let mute_label = {
        let name = name.clone();
        move || tf(if muted.get() { "stage.unmute" } else { "stage.mute" }, &[("name", &name)])
    };
    view! {
        <div class="stage-tile" class:spotlight=spotlit node_ref=tile data-testid="stage-tile" data-participant=member.participant_id.clone()
             role="group" tabindex="0" aria-label=name.clone() on:keydown=on_key
             data-state=move || match state.get() { PeerState::Connecting => "connecting", PeerState::Connected => "connected", PeerState::Failed(_) | PeerState::Refused => "failed" }>
            <video node_ref=video autoplay=true playsinline=true muted=true aria-label=tf("stage.camera", &[("name", &name)])></video>
            <span class="stage-name"><bdi>{name.clone()}</bdi></span>
            {move || words().map(|w| view! { <p class="stage-tile-status" role="status">{w}</p> })}
            <div class="stage-tile-controls">
                <button type="button" data-testid="tile-mute" aria-pressed=move || (!muted.get()).to_string()
                        on:click=move |_| set_muted.update(|m| *m = !*m)>{mute_label}</button>
                <input type="range" min="0" max="1" step="0.05" aria-label=tf("stage.volume", &[("name", &name)])
                       prop:value=move || volume.get().to_string()
                       on:input=move |e| {
                           if let Ok(v) = event_target_value(&e).parse::<f64>() {
                               set_volume.set(v.clamp(0.0, 1.0));
                               set_muted.set(v == 0.0);
                           }
                       } />
                <button type="button" aria-label=tf("stage.fullscreen", &[("name", &name)]) on:click=move |_| full_screen()><FullScreenIcon /></button>
            </div>
        </div>
    }
}
