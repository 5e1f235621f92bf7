//! Pure logic shared by the viewer (compiled to WebAssembly) and the local stack.
//!
//! Nothing here touches the DOM, the network or a clock: every function takes the facts it needs
//! (a cue's text, a player position, a random number) and returns a decision. That keeps the
//! behaviour of the viewer testable with plain `cargo test`, and lets the local stack validate
//! exactly what the viewer will accept.
//!
//! - [`overlay`]: the timed-metadata schema — what a `TEXT_METADATA_CUE` may carry and how it
//!   becomes a typed overlay (poll, product, clear), with validation reasons.
//! - [`url`]: scheme-checked links; the only way network data becomes an `href` or `src`.
//! - [`playback`]: the player's states and errors, and how they are put to the viewer in words.
//! - [`clips`]: a stretch of a recording cut from its playlists alone.
//! - [`recordings`]: past broadcasts: a recording folded from its events' facts, as the API answers it.
//! - [`backoff`]: capped exponential backoff with jitter, used to retry an offline stream.
//! - [`chat`]: the IVS Chat Messaging protocol's wire types and the reconnect schedule.
//! - [`chat_session`]: the viewer's chat connection state machine and the log it shows.
//! - [`room_event`]: every event a chat room carries, as one enum.
//! - [`tally`]: poll tallies (one vote per voter) and the tally updates pushed to viewers.
//! - [`embed`]: the embed API: host-page commands, viewer events, the origin allowlist.
//! - [`limits`]: rate limits as token buckets.
//! - [`moderation`]: the chat's house rules (word list, slow mode) and IVS's message review exchange.
//! - [`controls`]: keyboard shortcuts, behind-live distance, the stats panel in words.
//! - [`stream_status`]: the stream's status (live, health, viewers) the server pushes.
//! - [`config`]: the viewer's configuration file and its URL-query overrides.
//! - [`site`]: the site API's requests and answers (votes, playback tokens, publishing).
//! - [`stage`]: real-time stages: the line-up, the stage token, a token's claims, the grid.
//! - [`stream_events`]: IVS's EventBridge events and the stream state they add up to.
//! - [`studio`]: the studio's live room: the broadcast's timeline, alerts, the viewer count.
//! - [`layout`]: where the overlay cards go on the page: under the picture, or over it.
//! - [`words`]: the viewer's languages: which one a viewer gets, locale files, `{name}` places.

pub mod analytics;
pub mod backoff;
pub mod chat;
pub mod chat_session;
pub mod clips;
pub mod config;
pub mod controls;
pub mod embed;
pub mod layout;
pub mod limits;
pub mod moderation;
pub mod overlay;
pub mod playback;
pub mod recordings;
pub mod room_event;
pub mod site;
pub mod stage;
pub mod stream_events;
pub mod stream_status;
pub mod studio;
pub mod tally;
pub mod url;
pub mod words;

/// The most bytes IVS accepts in one `PutMetadata` payload.
pub const MAX_METADATA_BYTES: usize = 1024;

/// `text` as the start of a sentence: its first letter in upper case (server reasons and errors
/// arrive in lower case, to be composed into other sentences).
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn capitalises_the_first_letter_only() {
        assert_eq!(super::capitalise("a moderator removed you"), "A moderator removed you");
        assert_eq!(super::capitalise("ébauche"), "Ébauche");
        assert_eq!(super::capitalise(""), "");
    }
}
