//! `use_ivs_player`: creates the SDK player at once — so its worker boots while the app is still
//! mounting — then attaches it to the `<video>` and loads the stream as soon as both the element
//! and the configuration are there. Turns the player's events into signals, retries an offline
//! channel, and deletes the player on cleanup.

use std::time::Duration;

use gloo_timers::callback::{Interval, Timeout};
use ivs_proto::config::ViewerConfig;
use ivs_proto::controls::{distance_from_live, live_edge_seek};
use ivs_proto::overlay::Board;
use ivs_proto::playback::{stalled_behind_live, with_token, Action, ErrorKind, Event, PlaybackToken, PlayerState, Session, Status};
use leptos::html::Div;
use leptos::prelude::*;

use crate::bindings::fetch::post_with_credentials;
use crate::bindings::ivs::{Created, Player, PlayerError, SdkAssets, SdkEvent};
use crate::hooks::use_analytics::Analytics;

/// A copyable handle on the player, for controls.
#[derive(Clone, Copy)]
pub struct PlayerHandle {
    player: StoredValue<Option<Player>, LocalStorage>,
    /// The playback URL, once [`UseIvsPlayerReturn::start`] loaded it.
    url: StoredValue<Option<String>>,
    /// Private channels: where playback tokens come from.
    token_url: StoredValue<Option<String>>,
    /// A refused token was already replaced once since playback last worked.
    auth_retried: StoredValue<bool>,
    /// What the player's events add up to (status, retries, stalls).
    session: StoredValue<Session>,
    /// After a stall: looks, once a second for a few seconds, whether it left the picture behind
    /// live (the player's measure of that settles a moment after playing resumes).
    catching_up: StoredValue<Option<Interval>, LocalStorage>,
}

impl PlayerHandle {
    /// Runs `f` on the player if there is one.
    pub fn with<R>(&self, f: impl FnOnce(&Player) -> R) -> Option<R> {
        self.player.try_with_value(|p| p.as_ref().map(f)).flatten()
    }

    /// Unmutes (after the browser blocked autoplay with sound, a click allows it).
    pub fn unmute(&self) {
        self.with(|p| p.set_muted(false));
    }

    pub fn pause(&self) {
        self.with(Player::pause);
    }

    pub fn set_muted(&self, muted: bool) {
        self.with(|p| p.set_muted(muted));
    }

    pub fn set_volume(&self, volume: f64) {
        self.with(|p| p.set_volume(volume));
    }

    pub fn volume(&self) -> f64 {
        self.with(Player::volume).unwrap_or(1.0)
    }

    pub fn qualities(&self) -> Vec<String> {
        self.with(Player::qualities).unwrap_or_default()
    }

    /// Whether the quality is chosen by the player (adaptive), rather than by the viewer.
    pub fn auto_quality(&self) -> bool {
        self.with(Player::auto_quality).unwrap_or(true)
    }

    /// The `<video>` the player draws into.
    pub fn video(&self) -> Option<web_sys::HtmlVideoElement> {
        self.with(|p| p.video().clone())
    }

    /// The player, for the controls' readouts.
    pub fn quality(&self) -> Option<crate::bindings::ivs::Quality> {
        self.with(Player::quality)
    }

    pub fn live_latency(&self) -> f64 {
        self.with(Player::live_latency).unwrap_or(f64::NAN)
    }

    pub fn buffer(&self) -> f64 {
        self.with(Player::buffer_duration).unwrap_or(f64::NAN)
    }

    pub fn is_live(&self) -> bool {
        self.with(|p| p.duration().is_infinite()).unwrap_or(true)
    }

    pub fn is_paused(&self) -> bool {
        self.with(Player::is_paused).unwrap_or(true)
    }

    /// The duration in seconds: infinite for a live stream.
    pub fn duration(&self) -> f64 {
        self.with(Player::duration).unwrap_or(f64::INFINITY)
    }

    pub fn seek_to(&self, time: f64) {
        self.session.update_value(Session::seek_requested);
        // Where playback goes now is the viewer's choice.
        self.catching_up.set_value(None);
        self.with(|p| p.seek_to(time));
    }

    /// Where playback is now, read from the player (the `position` signal follows its time
    /// updates, which come a while apart).
    pub fn position_now(&self) -> Option<f64> {
        self.with(Player::position)
    }

    pub fn seek_by(&self, delta: f64) {
        if let Some(position) = self.with(Player::position) {
            self.seek_to(position + delta);
        }
    }

    /// After a stall: back to the live edge if it left the picture behind live.
    fn catch_up_if_behind(&self) {
        let handle = *self;
        let looks = std::cell::Cell::new(0);
        let look = move || {
            looks.set(looks.get() + 1);
            let playing = handle.session.with_value(|s| s.status() == Status::Player(PlayerState::Playing));
            if playing && handle.is_live() && stalled_behind_live(distance_from_live(handle.live_latency(), handle.buffer())) {
                log::info!("a stall left the picture behind live: back to the live edge");
                handle.jump_to_live(); // ends the looking, as any seek does
            } else if !playing || looks.get() >= CATCH_UP_LOOKS {
                handle.catching_up.set_value(None);
            }
        };
        self.catching_up.set_value(Some(Interval::new(1000, look)));
    }

    /// Back to the live edge: a seek when the stream up to it is already loaded, otherwise
    /// loading the stream again, which starts at the edge.
    pub fn jump_to_live(&self) {
        match self.with(|p| live_edge_seek(p.position(), p.buffer_duration())).flatten() {
            Some(target) => self.seek_to(target),
            None => self.reload(),
        }
        self.play();
    }

    /// Picks a quality by name, or `"auto"`.
    pub fn set_quality(&self, name: &str) -> bool {
        self.with(|p| p.set_quality(name)).unwrap_or(false)
    }

    /// Starts playback (after the browser blocked autoplay).
    pub fn play(&self) {
        self.with(|p| {
            if let Err(e) = p.play() {
                log::warn!("play failed: {e}");
            }
        });
    }

    /// Plays `url` (the site's own, needing no playback token) instead of the channel, until
    /// [`Self::back_to_live`]: rewinding into the broadcast so far.
    pub fn play_other(&self, url: &str) {
        self.catching_up.set_value(None);
        self.with(|p| {
            if let Err(e) = p.load(url) {
                log::warn!("load failed: {e}");
            }
        });
        self.play();
    }

    /// Back to the channel, at its live edge.
    pub fn back_to_live(&self) {
        self.reload();
        self.play();
    }

    /// Loads the stream again (an offline channel does not restart by itself).
    fn reload(&self) {
        let Some(url) = self.url.try_get_value().flatten() else { return };
        self.load_url(url);
    }

    /// Loads `url`; for a private channel, with a fresh playback token from the backend.
    fn load_url(&self, url: String) {
        let Some(token_url) = self.token_url.try_get_value().flatten() else {
            self.with(|p| {
                if let Err(e) = p.load(&url) {
                    log::warn!("load failed: {e}");
                }
            });
            return;
        };
        let request = post_with_credentials(&token_url);
        let handle = *self;
        leptos::task::spawn_local(async move {
            let token = request.await.map_err(|e| e.to_string()).and_then(|t| serde_json::from_str::<PlaybackToken>(&t).map_err(|e| e.to_string()));
            // Without a token the channel refuses the stream, and the viewer is told it is not authorised.
            let url = match token {
                Ok(token) => with_token(&url, &token.token),
                Err(e) => {
                    log::warn!("playback token: {e}");
                    url
                }
            };
            handle.with(|p| {
                if let Err(e) = p.load(&url) {
                    log::warn!("load failed: {e}");
                }
            });
        });
    }
}

/// How many times (a second apart) to look whether a stall left the picture behind live.
const CATCH_UP_LOOKS: u32 = 3;

/// Cues kept for the overlays while they are not there yet (the oldest go first).
const MAX_PENDING_CUES: usize = 64;

/// What [`use_ivs_player`] gives a component.
#[derive(Clone, Copy)]
pub struct UseIvsPlayerReturn {
    /// What to show about playback.
    pub status: ReadSignal<Status>,
    /// The overlays on screen.
    pub board: RwSignal<Board>,
    /// Timed-metadata cues (text, stream time) not yet read onto the board. The overlays, fetched
    /// apart from the core, read them in order — also those that came before they arrived.
    pub pending_cues: RwSignal<Vec<(String, f64)>>,
    /// The playback position in seconds (the clock cues are stamped in).
    pub position: ReadSignal<f64>,
    pub muted: ReadSignal<bool>,
    /// Autoplay with sound was refused: offer to unmute.
    pub audio_blocked: ReadSignal<bool>,
    /// Autoplay was refused: offer to play.
    pub playback_blocked: ReadSignal<bool>,
    /// The player could not be created at all.
    pub fatal: ReadSignal<Option<PlayerError>>,
    /// The latest timed-metadata cue's text, numbered so that a repeat is a change.
    pub last_cue: ReadSignal<Option<(u64, String)>>,
    /// The caption on screen (from `TEXT_CUE`), cleared after a few seconds.
    pub caption: ReadSignal<Option<String>>,
    pub handle: PlayerHandle,
    /// How playback goes, for the site's analytics.
    pub analytics: Analytics,
    set_muted: WriteSignal<bool>,
}

impl UseIvsPlayerReturn {
    /// Places the player's `<video>` in `host` as soon as it is mounted, and plays the configured
    /// stream as soon as the configuration is there (unless the page's start-up script already
    /// loaded that very stream).
    pub fn start(&self, host: NodeRef<Div>, config: Signal<Option<ViewerConfig>>) {
        let handle = self.handle;
        let analytics = self.analytics;
        let set_muted = self.set_muted;
        let placed = StoredValue::new(false);
        let loaded = StoredValue::new(false);
        Effect::new(move |_| {
            let Some(host) = host.get() else { return };
            if !placed.get_value() {
                placed.set_value(true);
                handle.with(|player| {
                    let video = player.video();
                    video.set_class_name("video");
                    let _ = video.set_attribute("data-testid", "video");
                    let _ = video.set_attribute("part", "video");
                    let _ = host.append_child(video);
                    // The start-up script's control bar goes with the video, into the frame, and
                    // works there until the app's own bar is on screen.
                    if let Some((bar, frame)) = player.stand_in_controls().zip(host.parent_element()) {
                        let _ = frame.append_child(&bar);
                    }
                });
                // The start-up script's stand-in stage, now empty: in the page, or in the shadow
                // root of the `<ivs-viewer>` element the viewer is mounted in.
                if let Some(stand_in) = crate::bindings::dom::by_id_near(&host, "ivs-boot") {
                    stand_in.remove();
                }
            }
            let Some(config) = config.get() else { return };
            if loaded.get_value() {
                return;
            }
            loaded.set_value(true);
            analytics.start(config.analytics.as_ref(), move || handle.quality().map(|q| q.name));
            let url = config.playback_url.as_str().to_owned();
            handle.url.set_value(Some(url.clone()));
            handle.token_url.set_value(config.playback_token_url.clone());
            let preloaded = handle.with(|p| p.preloaded_url() == Some(url.as_str())).unwrap_or(false);
            if !preloaded {
                handle.with(|player| {
                    player.set_autoplay(config.autoplay);
                    player.set_muted(config.muted);
                });
                handle.load_url(url);
            }
            handle.with(|player| {
                // The player's own word: the browser may have muted it already.
                set_muted.set(player.is_muted());
            });
        });
    }
}

/// Creates an IVS player now, with the SDK's files beside its script in the page;
/// [`UseIvsPlayerReturn::start`] attaches and plays it.
pub fn use_ivs_player() -> UseIvsPlayerReturn {
    use_ivs_player_with(SdkAssets::beside_page())
}

/// [`use_ivs_player`], with the SDK's worker files at `assets`.
pub fn use_ivs_player_with(assets: SdkAssets) -> UseIvsPlayerReturn {
    let (status, set_status) = signal(Status::Loading);
    let board = RwSignal::new(Board::default());
    let pending_cues = RwSignal::new(Vec::new());
    let (position, set_position) = signal(0.0);
    let (muted, set_muted) = signal(false);
    let (audio_blocked, set_audio_blocked) = signal(false);
    let (playback_blocked, set_playback_blocked) = signal(false);
    let (fatal, set_fatal) = signal(None::<PlayerError>);
    let (last_cue, set_last_cue) = signal(None::<(u64, String)>);
    let (caption, set_caption) = signal(None::<String>);
    let caption_timer = StoredValue::new_local(None::<Timeout>);
    let handle = PlayerHandle {
        player: StoredValue::new_local(None),
        url: StoredValue::new(None),
        token_url: StoredValue::new(None),
        auth_retried: StoredValue::new(false),
        session: StoredValue::new(Session::default()),
        catching_up: StoredValue::new_local(None),
    };
    let session = handle.session;
    let analytics = Analytics::new();
    let retry = StoredValue::new_local(None::<Timeout>);

    let on_event = move |event: SdkEvent| {
        let folded = match event {
            SdkEvent::State(state) => {
                analytics.state(state);
                if state == PlayerState::Playing {
                    set_playback_blocked.set(false);
                    handle.auth_retried.set_value(false);
                }
                Some(Event::State(state))
            }
            SdkEvent::Error { kind, sdk_type, code, message } => {
                log::warn!("player error {kind:?} ({code}): {message}");
                analytics.error(&sdk_type);
                // A private channel's token expired or was refused: fetch a new one, once.
                if kind == ErrorKind::NotAuthorized && handle.token_url.get_value().is_some() && !handle.auth_retried.get_value() {
                    handle.auth_retried.set_value(true);
                    handle.reload();
                    return;
                }
                Some(Event::Error { kind })
            }
            SdkEvent::MetadataCue(cue) => {
                set_last_cue.update(|last| *last = Some((last.as_ref().map_or(0, |(n, _)| n + 1), cue.text.clone())));
                pending_cues.update(|cues| {
                    // Read at once when the overlays are there; bounded for when they cannot be fetched.
                    if cues.len() == MAX_PENDING_CUES {
                        cues.remove(0);
                    }
                    cues.push((cue.text, cue.start_time));
                });
                None
            }
            SdkEvent::AudioBlocked => {
                set_audio_blocked.set(true);
                set_muted.set(true);
                None
            }
            SdkEvent::PlaybackBlocked => {
                set_playback_blocked.set(true);
                None
            }
            SdkEvent::MutedChanged => {
                let now_muted = handle.with(Player::is_muted).unwrap_or(true);
                set_muted.set(now_muted);
                if !now_muted {
                    set_audio_blocked.set(false);
                }
                None
            }
            SdkEvent::TimeUpdate(at) => {
                set_position.set(at);
                None
            }
            SdkEvent::TextCue(text) => {
                set_caption.set(Some(text));
                schedule(caption_timer, Duration::from_secs(5), move || set_caption.set(None));
                None
            }
        };
        let Some(event) = folded else { return };
        let Some((action, now)) = session.try_update_value(|s| (s.apply(event, js_sys::Math::random()), s.status())) else {
            return;
        };
        set_status.set(now);
        match action {
            Action::RetryAfter(delay) => schedule(retry, delay, move || handle.reload()),
            Action::CatchUpIfBehind => handle.catch_up_if_behind(),
            Action::None => {}
        }
    };

    match Player::create(&assets, on_event) {
        Ok(Created { player, early_events }) => {
            log::info!("IVS player {} ready", player.version());
            // A stream the start-up script loaded is retried like any other, even before the
            // view has mounted and confirmed the configuration.
            handle.url.set_value(player.preloaded_url().map(str::to_owned));
            handle.player.set_value(Some(player));
            early_events.into_iter().for_each(on_event);
        }
        Err(e) => {
            log::error!("cannot create the player: {e}");
            set_fatal.set(Some(e));
        }
    }

    on_cleanup(move || {
        // Dropping a pending timeout cancels it.
        drop(retry.try_update_value(Option::take));
        drop(caption_timer.try_update_value(Option::take));
        handle.player.try_update_value(|p| p.take());
    });

    UseIvsPlayerReturn { status, board, pending_cues, position, muted, audio_blocked, playback_blocked, fatal, last_cue, caption, handle, analytics, set_muted }
}

/// Runs `f` after `delay`, in place of what `slot` had scheduled (replacing it cancels it).
fn schedule(slot: StoredValue<Option<Timeout>, LocalStorage>, delay: Duration, f: impl FnOnce() + 'static) {
    let millis = u32::try_from(delay.as_millis()).unwrap_or(u32::MAX);
    slot.set_value(Some(Timeout::new(millis, f)));
}
