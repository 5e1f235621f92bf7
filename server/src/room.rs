//! The site's chat room as a channel to every viewer: the server's pushes (tallies, stream
//! status) are room events (`SendEvent`), which every connected viewer receives.

use std::collections::HashMap;
use std::sync::Arc;

use crate::ivs::{Ivs, IvsError};

/// The room the server pushes events to; cheap to clone.
#[derive(Clone)]
pub struct Room {
    ivs: Arc<dyn Ivs>,
    arn: String,
}

impl Room {
    pub fn new(ivs: Arc<dyn Ivs>, arn: String) -> Self {
        Self { ivs, arn }
    }

    /// Sends event `name` with `attributes` to everyone in the room.
    pub async fn push(&self, name: &str, attributes: impl IntoIterator<Item = (String, String)>) -> Result<(), IvsError> {
        self.ivs.send_event(&self.arn, name, attributes.into_iter().collect::<HashMap<_, _>>()).await
    }
}
