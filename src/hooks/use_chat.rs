//! `use_chat`: runs the chat connection that `ivs_proto::chat_session::Session` decides on —
//! fetches tokens from the site backend, opens and replaces sockets, sets its timers — and keeps
//! the log the panel shows. Frames are queued and applied once per animation frame, so a flood
//! of messages costs one render per frame, not one per message.
//!
//! Each frame has one home: the session (connection state, moderation) and the log take every
//! frame; the [`Outbox`] matches echoes and refusals to what this viewer sent, and a
//! [`Refusal`] decides the composer's words, pause and returned draft; room events for the rest
//! of the app go to their stores ([`route`]: tallies to polls, status to the stream status).

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::time::Duration;

use gloo_timers::callback::{Interval, Timeout};
use ivs_proto::chat::{ErrorCode, Publish, Subscribe};
use ivs_proto::chat_session::{check_draft, ChatLog, ChatState, ChatToken, ComposeError, Effect, Outbox, Refusal, Session};
use ivs_proto::config::ChatConfig;
use ivs_proto::room_event::RoomEvent;
use leptos::prelude::*;

use crate::bindings::fetch::post_with_credentials;
use crate::bindings::websocket::{Socket, SocketEvent};
use crate::hooks::use_overlay_board::{OverlayBoard, Venue};
use crate::hooks::use_polls::PollsStore;
use crate::hooks::use_stage::StageStore;
use crate::hooks::use_stream_status::StreamStatusStore;
use crate::i18n::{number, t, tf};

/// How many lines the panel keeps.
pub const DISPLAY_CAP: usize = 200;

/// What [`use_chat`] gives the panel.
#[derive(Clone, Copy)]
pub struct UseChatReturn {
    pub state: ReadSignal<ChatState>,
    pub log: ReadSignal<ChatLog>,
    /// Who this viewer is and what the server let it do.
    pub identity: ReadSignal<Option<ChatToken>>,
    /// The latest thing to tell the viewer about what it sent.
    pub feedback: ReadSignal<Option<String>>,
    /// Sending is paused until then (ms since the epoch).
    pub cooldown_until: ReadSignal<f64>,
    /// A draft the room refused, handed back so nothing typed is lost.
    pub returned_draft: ReadSignal<Option<String>>,
    /// The clock, ticking each second, for countdowns.
    pub now: ReadSignal<f64>,
    /// Slow mode for this viewer: one message per this many seconds (0: off, and always 0 for a
    /// moderator, who is not slowed). The room's review handler holds it; the composer waits it out.
    pub slow_mode: ReadSignal<u32>,
    /// Messages sent count in the site's analytics.
    analytics: Option<crate::hooks::use_analytics::Analytics>,
    /// The reason a moderator gives, where a desk asks for one.
    reason: Option<ModerationReason>,
    driver: StoredValue<Rc<RefCell<Driver>>, LocalStorage>,
}

struct Signals {
    set_state: WriteSignal<ChatState>,
    set_log: WriteSignal<ChatLog>,
    set_identity: WriteSignal<Option<ChatToken>>,
    set_feedback: WriteSignal<Option<String>>,
    set_cooldown: WriteSignal<f64>,
    set_returned: WriteSignal<Option<String>>,
    set_slow: WriteSignal<u32>,
}

struct Driver {
    config: ChatConfig,
    session: Session,
    /// The connection in use, with its generation.
    socket: Option<(u64, Socket)>,
    /// A connection being opened to replace it.
    pending: Option<(u64, Socket)>,
    generation: u64,
    /// The session's next timer; replacing or dropping it cancels it.
    timer: Option<Timeout>,
    queue: Vec<Subscribe>,
    flush_scheduled: bool,
    /// Messages sent and not yet seen back.
    outbox: Outbox,
    was_connected: bool,
    /// Slow mode's seconds for this viewer, as the token and the room's events said (0 for a
    /// moderator).
    slow_mode: u32,
    signals: Signals,
    stores: Stores,
}

/// Where the room's events for the rest of the app go.
#[derive(Clone, Copy)]
struct Stores {
    polls: Option<PollsStore>,
    stream: Option<StreamStatusStore>,
    stage: Option<StageStore>,
    board: Option<OverlayBoard>,
}

fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// Starts the chat described by `config`; it stops when the calling component is dropped.
pub fn use_chat(config: ChatConfig) -> UseChatReturn {
    let (state, set_state) = signal(ChatState::Connecting);
    let (log, set_log) = signal(ChatLog::new(DISPLAY_CAP));
    let (identity, set_identity) = signal(None::<ChatToken>);
    let (feedback, set_feedback) = signal(None::<String>);
    let (cooldown_until, set_cooldown) = signal(0.0);
    let (returned_draft, set_returned) = signal(None::<String>);
    let (now, set_now) = signal(now_ms());
    let (slow_mode, set_slow) = signal(0u32);
    let driver = Rc::new(RefCell::new(Driver {
        config,
        session: Session::new(),
        socket: None,
        pending: None,
        generation: 0,
        timer: None,
        queue: Vec::new(),
        flush_scheduled: false,
        outbox: Outbox::default(),
        was_connected: false,
        slow_mode: 0,
        signals: Signals { set_state, set_log, set_identity, set_feedback, set_cooldown, set_returned, set_slow },
        stores: Stores {
            polls: use_context::<PollsStore>(),
            stream: use_context::<StreamStatusStore>(),
            stage: use_context::<StageStore>(),
            board: use_context::<OverlayBoard>(),
        },
    }));
    let ticker = StoredValue::new_local(Some(Interval::new(1000, move || set_now.set(now_ms()))));
    let effects = driver.borrow_mut().session.start();
    run(&driver, effects);
    let stored = StoredValue::new_local(driver);
    on_cleanup(move || {
        // Dropping the ticker, the sockets and the timer cancels and closes them.
        drop(ticker.try_update_value(Option::take));
        if let Some(driver) = stored.try_get_value() {
            let mut d = driver.borrow_mut();
            d.socket = None;
            d.pending = None;
            d.timer = None;
        }
    });
    let (analytics, reason) = (use_context(), use_context());
    UseChatReturn { state, log, identity, feedback, cooldown_until, returned_draft, now, slow_mode, analytics, reason, driver: stored }
}

/// The reason moderators give with a deletion or a removal, as a desk around the chat sets it
/// (provided as a context; without it, none for a deletion and a standard one for a removal).
#[derive(Clone, Copy)]
pub struct ModerationReason(pub RwSignal<String>);

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotSent {
    Draft(ComposeError),
    CoolingDown,
    NotConnected,
}

impl NotSent {
    /// What the composer tells the viewer.
    pub fn words(&self) -> String {
        match self {
            Self::Draft(ComposeError::Empty) => t("chat.empty"),
            Self::Draft(ComposeError::TooLong { length, max }) => tf("chat.too_long", &[("length", &number(*length as f64)), ("max", &number(*max as f64))]),
            Self::CoolingDown => t(ErrorCode::TooManyRequests.key()),
            Self::NotConnected => t("chat.not_sent"),
        }
    }
}

/// Why there is no chat token to connect with.
#[derive(Debug, thiserror::Error)]
enum TokenUnavailable {
    #[error(transparent)]
    Fetch(#[from] crate::bindings::fetch::FetchError),
    #[error(transparent)]
    Token(#[from] ivs_proto::chat_session::TokenError),
}

impl UseChatReturn {
    /// Sends a message; `Err` says why it was not sent (nothing is lost: the caller keeps it).
    pub fn send(&self, content: &str) -> Result<(), NotSent> {
        let driver = self.driver.get_value();
        let mut d = driver.borrow_mut();
        let max = d.session.identity().and_then(|t| t.maximum_message_length).unwrap_or(ivs_proto::chat::DEFAULT_MAX_MESSAGE_LENGTH);
        check_draft(content, max).map_err(NotSent::Draft)?;
        if now_ms() < self.cooldown_until.get_untracked() {
            return Err(NotSent::CoolingDown);
        }
        let request_id = d.outbox.send(content);
        let frame = Publish::SendMessage { request_id: Some(request_id.clone()), content: content.to_owned(), attributes: None }.encode();
        if !d.socket.as_ref().is_some_and(|(_, s)| s.send(&frame)) {
            d.outbox.unsend(&request_id);
            return Err(NotSent::NotConnected);
        }
        d.signals.set_feedback.set(None);
        slow_down(&d);
        if let Some(analytics) = self.analytics {
            analytics.chat_sent();
        }
        Ok(())
    }

    /// The reason the desk gives, if any.
    fn reason(&self) -> Option<String> {
        self.reason.map(|r| r.0.get_untracked().trim().to_owned()).filter(|r| !r.is_empty())
    }

    /// Deletes a message (moderators).
    pub fn delete(&self, message_id: &str) {
        self.publish(Publish::DeleteMessage { id: message_id.to_owned(), reason: self.reason(), request_id: None });
    }

    /// Disconnects a user from the room (moderators).
    pub fn kick(&self, user_id: &str) {
        let reason = self.reason().unwrap_or_else(|| t("chat.removed_reason"));
        self.publish(Publish::DisconnectUser { user_id: user_id.to_owned(), reason: Some(reason), request_id: None });
    }

    fn publish(&self, request: Publish) {
        let driver = self.driver.get_value();
        let d = driver.borrow();
        if !d.socket.as_ref().is_some_and(|(_, s)| s.send(&request.encode())) {
            d.signals.set_feedback.set(Some(t("chat.not_connected")));
        }
    }
}

impl Driver {
    /// Slow mode as announced (`secs`), for this viewer: moderators are not slowed.
    fn set_slow_mode(&mut self, secs: u32, moderator: bool) {
        self.slow_mode = if moderator { 0 } else { secs };
        self.signals.set_slow.set(self.slow_mode);
    }
}

/// Under slow mode, sending waits its seconds (from now; again from the echo, which comes after
/// the room's review handler started its clock).
fn slow_down(d: &Driver) {
    if d.slow_mode > 0 {
        let until = now_ms() + f64::from(d.slow_mode) * 1000.0;
        d.signals.set_cooldown.update(|c| *c = c.max(until));
    }
}

/// Carries out what the session decided.
fn run(driver: &Rc<RefCell<Driver>>, effects: Vec<Effect>) {
    for effect in effects {
        match effect {
            Effect::FetchToken => fetch_token(driver),
            Effect::Open { token } => open(driver, &token),
            Effect::Close => {
                let mut d = driver.borrow_mut();
                d.socket = None;
                d.pending = None;
            }
            Effect::SetTimer { at_ms } => {
                let weak = Rc::downgrade(driver);
                let delay = (at_ms as f64 - now_ms()).clamp(0.0, f64::from(u32::MAX)) as u32;
                let timer = Timeout::new(delay, move || {
                    with_driver(&weak, |driver| {
                        let effects = driver.borrow_mut().session.timer(now_ms() as i64 + 5);
                        run(driver, effects);
                    })
                });
                driver.borrow_mut().timer = Some(timer);
            }
        }
    }
    let d = driver.borrow();
    let state = d.session.state().clone();
    d.signals.set_state.maybe_update(|s| std::mem::replace(s, state.clone()) != state);
}

fn with_driver(weak: &Weak<RefCell<Driver>>, f: impl FnOnce(&Rc<RefCell<Driver>>)) {
    if let Some(driver) = weak.upgrade() {
        f(&driver);
    }
}

fn fetch_token(driver: &Rc<RefCell<Driver>>) {
    let request = post_with_credentials(&driver.borrow().config.token_url);
    let weak = Rc::downgrade(driver);
    leptos::task::spawn_local(async move {
        let token = request.await.map_err(TokenUnavailable::from).and_then(|text| Ok(ChatToken::parse(&text)?));
        with_driver(&weak, |driver| {
            let effects = match token {
                Ok(token) => {
                    driver.borrow_mut().set_slow_mode(token.slow_mode_secs, token.can("DELETE_MESSAGE"));
                    driver.borrow().signals.set_identity.set(Some(token.clone()));
                    driver.borrow_mut().session.token_ready(token)
                }
                Err(e) => {
                    log::warn!("chat token: {e}");
                    driver.borrow_mut().session.token_failed(now_ms() as i64, js_sys::Math::random())
                }
            };
            run(driver, effects);
        });
    });
}

fn open(driver: &Rc<RefCell<Driver>>, token: &str) {
    let generation = {
        let mut d = driver.borrow_mut();
        d.generation += 1;
        d.generation
    };
    let weak = Rc::downgrade(driver);
    let endpoint = driver.borrow().config.endpoint.clone();
    match Socket::open(&endpoint, token, move |event| with_driver(&weak, |driver| on_socket(driver, generation, event))) {
        Ok(socket) => driver.borrow_mut().pending = Some((generation, socket)),
        Err(e) => {
            log::warn!("chat: {e}");
            let effects = driver.borrow_mut().session.token_failed(now_ms() as i64, js_sys::Math::random());
            run(driver, effects);
        }
    }
}

fn on_socket(driver: &Rc<RefCell<Driver>>, generation: u64, event: SocketEvent) {
    match event {
        SocketEvent::Open => {
            let effects = {
                let mut d = driver.borrow_mut();
                if d.pending.as_ref().map(|(g, _)| *g) != Some(generation) {
                    return;
                }
                // The new connection replaces the old one, which closes as it drops.
                d.socket = d.pending.take();
                if d.was_connected && !matches!(d.session.state(), ChatState::Connected) {
                    d.signals.set_log.update(|log| log.notice("chat.reconnected"));
                }
                d.was_connected = true;
                d.session.opened(now_ms() as i64)
            };
            run(driver, effects);
        }
        SocketEvent::Text(text) => {
            let frame = match Subscribe::parse(&text) {
                Ok(frame) => frame,
                Err(e) => {
                    log::warn!("chat: ignored a frame the viewer does not understand: {e}");
                    return;
                }
            };
            let schedule = {
                let mut d = driver.borrow_mut();
                d.queue.push(frame);
                !std::mem::replace(&mut d.flush_scheduled, true)
            };
            if schedule {
                schedule_flush(driver);
            }
        }
        SocketEvent::Closed { code, reason } => {
            let effects = {
                let mut d = driver.borrow_mut();
                if d.pending.as_ref().map(|(g, _)| *g) == Some(generation) {
                    // The replacement never opened.
                    d.pending = None;
                    log::warn!("chat: could not connect ({code} {reason})");
                    d.session.token_failed(now_ms() as i64, js_sys::Math::random())
                } else if d.socket.as_ref().map(|(g, _)| *g) == Some(generation) {
                    d.socket = None;
                    log::info!("chat: connection closed ({code} {reason})");
                    d.session.closed(now_ms() as i64, js_sys::Math::random())
                } else {
                    return;
                }
            };
            run(driver, effects);
        }
    }
}

/// Applies queued frames at the next animation frame (or soon, in a hidden tab, where animation
/// frames do not come).
fn schedule_flush(driver: &Rc<RefCell<Driver>>) {
    let weak = Rc::downgrade(driver);
    let flush = move || with_driver(&weak, flush);
    let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
    if hidden {
        set_timeout(flush, Duration::from_millis(100));
    } else {
        request_animation_frame(flush);
    }
}

fn flush(driver: &Rc<RefCell<Driver>>) {
    let frames = {
        let mut d = driver.borrow_mut();
        d.flush_scheduled = false;
        std::mem::take(&mut d.queue)
    };
    let mut effects = Vec::new();
    let mut feedback = None;
    {
        let mut d = driver.borrow_mut();
        let d = &mut *d;
        let set_log = d.signals.set_log;
        set_log.update(|log| {
            for frame in &frames {
                let (more, error) = d.session.frame(frame);
                effects.extend(more);
                match frame {
                    Subscribe::Message { request_id, sender, .. } => {
                        if let Some(id) = request_id {
                            d.outbox.confirmed(id);
                        }
                        if d.session.identity().is_some_and(|t| t.user_id == sender.user_id) {
                            slow_down(d);
                        }
                    }
                    // The session itself acts on moderators' deletions and removals.
                    Subscribe::Event { event_name, attributes, .. } => match RoomEvent::parse(event_name, attributes) {
                        RoomEvent::ChatRules { slow_mode_secs } => {
                            let moderator = d.session.identity().is_some_and(|t| t.can("DELETE_MESSAGE"));
                            d.set_slow_mode(slow_mode_secs, moderator);
                            if slow_mode_secs == 0 {
                                d.signals.set_cooldown.set(0.0);
                            }
                        }
                        event => route(d.stores, event),
                    },
                    Subscribe::Error { request_id, error_message, .. } => {
                        log::info!("chat: the room refused a request: {error_message}");
                        let refusal = Refusal::new(error.unwrap_or(ErrorCode::Internal), request_id.as_deref(), &mut d.outbox, now_ms());
                        if let Some(until) = refusal.cooldown_until {
                            d.signals.set_cooldown.set(until);
                        }
                        if let Some(content) = refusal.returned {
                            d.signals.set_returned.set(Some(content));
                        }
                        feedback = Some(t(refusal.feedback));
                    }
                }
                log.apply(frame);
            }
        });
        if let Some(message) = feedback {
            d.signals.set_feedback.set(Some(message));
        }
    }
    run(driver, effects);
}

/// A room event for the rest of the app, to its store.
fn route(stores: Stores, event: RoomEvent) {
    match event {
        RoomEvent::StreamStatus(status) => {
            if let Some(stream) = stores.stream {
                stream.set(status);
            }
        }
        RoomEvent::PollTally(update) => {
            if let Some(polls) = stores.polls {
                polls.apply(&update);
            }
        }
        RoomEvent::StageLineup(lineup) => {
            if let Some(stage) = stores.stage {
                stage.set(lineup);
            }
        }
        // Only a stage's board takes overlays from the room; a channel's come in its stream.
        RoomEvent::StageOverlay(cue) => {
            if let Some(board) = stores.board.filter(|b| b.venue == Venue::Stage) {
                board.receive(cue);
            }
        }
        RoomEvent::Malformed(name) => log::warn!("chat: ignored a malformed {name} event"),
        RoomEvent::DeleteMessage { .. } | RoomEvent::DisconnectUser { .. } | RoomEvent::ChatRules { .. } | RoomEvent::Other(_) => {}
    }
}
