//! `use_ivs_player`: creates the SDK player once the `<video>` is mounted, turns its events into
//! signals, retries an offline channel, and deletes the player on cleanup.

use std::time::Duration;

use ivs_proto::config::ViewerConfig;
use ivs_proto::overlay::{parse_cue, Board};
use ivs_proto::playback::{Action, Event, PlayerState, Session, Status};
use leptos::html::Video;
use leptos::prelude::*;

use crate::bindings::ivs::{Player, PlayerError, SdkAssets, SdkEvent};

/// A copyable handle on the player, for controls.
#[derive(Clone, Copy)]
pub struct PlayerHandle {
    player: StoredValue<Option<Player>, LocalStorage>,
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

    /// Starts playback (after the browser blocked autoplay).
    pub fn play(&self) {
        self.with(|p| {
            if let Err(e) = p.play() {
                log::warn!("play failed: {e}");
            }
        });
    }
}

/// What [`use_ivs_player`] gives a component.
#[derive(Clone, Copy)]
pub struct UseIvsPlayerReturn {
    /// What to show about playback.
    pub status: ReadSignal<Status>,
    /// The overlays on screen.
    pub board: RwSignal<Board>,
    /// The playback position in seconds (the clock cues are stamped in).
    pub position: ReadSignal<f64>,
    pub muted: ReadSignal<bool>,
    /// Autoplay with sound was refused: offer to unmute.
    pub audio_blocked: ReadSignal<bool>,
    /// Autoplay was refused: offer to play.
    pub playback_blocked: ReadSignal<bool>,
    /// The player could not be created at all.
    pub fatal: ReadSignal<Option<PlayerError>>,
    pub handle: PlayerHandle,
}

/// Binds an IVS player to `video`, playing `config.playback_url`.
pub fn use_ivs_player(video: NodeRef<Video>, config: ViewerConfig) -> UseIvsPlayerReturn {
    let (status, set_status) = signal(Status::Loading);
    let board = RwSignal::new(Board::default());
    let (position, set_position) = signal(0.0);
    let (muted, set_muted) = signal(config.muted);
    let (audio_blocked, set_audio_blocked) = signal(false);
    let (playback_blocked, set_playback_blocked) = signal(false);
    let (fatal, set_fatal) = signal(None::<PlayerError>);
    let handle = PlayerHandle { player: StoredValue::new_local(None) };
    let session = StoredValue::new(Session::default());
    let retry = StoredValue::new_local(None::<TimeoutHandle>);
    let url = config.playback_url.as_str().to_owned();

    let reload = {
        let url = url.clone();
        move || {
            handle.with(|p| {
                if let Err(e) = p.load(&url) {
                    log::warn!("reload failed: {e}");
                }
            });
        }
    };

    let on_event = move |event: SdkEvent| {
        let mut folded = None;
        match event {
            SdkEvent::State(state) => {
                if state == PlayerState::Playing {
                    set_playback_blocked.set(false);
                }
                folded = Some(Event::State(state));
            }
            SdkEvent::Error { kind, code, message } => {
                log::warn!("player error {kind:?} ({code}): {message}");
                folded = Some(Event::Error { kind });
            }
            SdkEvent::MetadataCue(cue) => match parse_cue(&cue.text) {
                Ok(overlay) => board.update(|b| b.apply(overlay, cue.start_time)),
                Err(reason) => log::warn!("ignored a timed-metadata cue: {reason}"),
            },
            SdkEvent::AudioBlocked => {
                set_audio_blocked.set(true);
                set_muted.set(true);
            }
            SdkEvent::PlaybackBlocked => set_playback_blocked.set(true),
            SdkEvent::MutedChanged => {
                let now_muted = handle.with(Player::is_muted).unwrap_or(true);
                set_muted.set(now_muted);
                if !now_muted {
                    set_audio_blocked.set(false);
                }
            }
            SdkEvent::TimeUpdate(at) => set_position.set(at),
        }
        if let Some(event) = folded {
            let action = session.try_update_value(|s| {
                let action = s.apply(event, js_sys::Math::random());
                (action, s.status())
            });
            if let Some((action, now)) = action {
                set_status.set(now);
                if let Action::RetryAfter(delay) = action {
                    schedule(retry, delay, reload.clone());
                }
            }
        }
    };

    Effect::new(move |_| {
        let Some(element) = video.get() else { return };
        if handle.player.with_value(Option::is_some) {
            return;
        }
        match Player::create(&SdkAssets::beside_page(), &element, on_event.clone()) {
            Ok(player) => {
                log::info!("IVS player {} ready", player.version());
                player.set_autoplay(config.autoplay);
                player.set_muted(config.muted);
                player.set_rebuffer_to_live(true);
                if let Err(e) = player.load(&url) {
                    log::warn!("load failed: {e}");
                }
                handle.player.set_value(Some(player));
            }
            Err(e) => {
                log::error!("cannot create the player: {e}");
                set_fatal.set(Some(e));
            }
        }
    });

    on_cleanup(move || {
        if let Some(Some(pending)) = retry.try_update_value(Option::take) {
            pending.clear();
        }
        handle.player.try_update_value(|p| p.take());
    });

    UseIvsPlayerReturn { status, board, position, muted, audio_blocked, playback_blocked, fatal, handle }
}

fn schedule(slot: StoredValue<Option<TimeoutHandle>, LocalStorage>, delay: Duration, f: impl Fn() + 'static) {
    if let Some(Some(previous)) = slot.try_update_value(Option::take) {
        previous.clear();
    }
    match set_timeout_with_handle(f, delay) {
        Ok(handle) => slot.set_value(Some(handle)),
        Err(_) => log::warn!("could not schedule a retry"),
    }
}
