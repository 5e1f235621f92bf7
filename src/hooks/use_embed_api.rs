//! `use_embed_api`: when the viewer runs in an iframe, takes commands from the host page and
//! posts events to it — only for the origins the configuration allows (`embedOrigins`).

use ivs_proto::embed::{Allowlist, Command, EmbedError, Event};
use ivs_proto::playback::Status;
use leptos::prelude::*;

use crate::i18n::t;

use crate::bindings::messages::{in_frame, on_message, post_to_parent};
use crate::hooks::use_ivs_player::UseIvsPlayerReturn;
use crate::hooks::use_polls::PollsStore;

/// Starts the embed API for `allowlist`; it stops when the calling component is dropped.
pub fn use_embed_api(allowlist: Allowlist, player: UseIvsPlayerReturn, polls: Option<PollsStore>) {
    if allowlist.is_empty() || !in_frame() {
        return;
    }
    let origins = StoredValue::new(allowlist.origins().to_vec());
    let post = move |event: Event| {
        let json = event.to_json();
        // Delivered only where the parent's origin is one of these; elsewhere the browser drops it.
        origins.with_value(|origins| origins.iter().for_each(|origin| post_to_parent(&json, origin)));
    };

    let handle = player.handle;
    let listener = on_message(move |origin, data| match allowlist.accept(&origin, &data) {
        Ok(command) => {
            log::info!("embed: {command:?} from {origin}");
            match command {
                Command::Play => handle.play(),
                Command::Pause => handle.pause(),
                Command::Mute => handle.set_muted(true),
                Command::Unmute => handle.set_muted(false),
                Command::Volume { value } => handle.set_volume(value),
                Command::Quality { name } => {
                    if !handle.set_quality(&name) {
                        post(Event::Error { message: format!("there is no quality named “{name}”") });
                    }
                }
            }
        }
        Err(EmbedError::NotACommand) => {}
        Err(e) => log::warn!("embed: ignored a message: {e}"),
    });
    let listener = StoredValue::new_local(listener);
    on_cleanup(move || drop(listener.try_update_value(Option::take)));

    Effect::new(move |_| {
        let status = player.status.get();
        if let Status::Failed { kind, .. } = status {
            post(Event::Error { message: t(kind.key()) });
        }
        post(Event::State { state: status.label().to_owned(), status: t(status.words_key()) });
        if status.label() == "Playing" {
            let names = handle.qualities();
            if !names.is_empty() {
                post(Event::Qualities { names });
            }
        }
    });
    Effect::new(move |_| {
        let muted = player.muted.get();
        post(Event::Volume { muted, volume: handle.volume() });
    });
    Effect::new(move |_| {
        if let Some((_, text)) = player.last_cue.get() {
            post(Event::Cue { text });
        }
    });
    if let Some(polls) = polls {
        Effect::new(move |_| {
            if let Some(result) = polls.last_result.get() {
                post(Event::PollResult { poll_id: result.poll_id, counts: result.counts });
            }
        });
    }
}
