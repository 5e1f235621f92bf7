//! The one account and region the local IVS plays, the shapes of its ARNs and IDs, and the
//! refusals every resource can answer with. A leaf: it imports nothing of the crate, so the
//! resources and the API layer can both use it without importing each other.

use rand::distr::{Alphanumeric, SampleString};

/// The placeholder account every resource belongs to.
pub const ACCOUNT: &str = "000000000000";
/// The region every resource lives in.
pub const REGION: &str = "us-east-1";

/// The ARN of `service`'s resource `kind/id` in this account, e.g. `arn(Service::Ivs, "channel", "local")`.
pub fn arn(service: Service, kind: &str, id: &str) -> String {
    format!("{}{id}", arn_prefix(service, kind))
}

/// The ARNs of `service`'s resources of one kind all start so (`…:channel/`).
pub fn arn_prefix(service: Service, kind: &str) -> String {
    format!("arn:aws:{}:{REGION}:{ACCOUNT}:{kind}/", service.name())
}

/// The last part of an ARN: the resource's ID.
pub fn id_of(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// `len` random letters and digits, as IVS's IDs are made.
pub fn random_id(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// The AWS services the local IVS plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    /// Amazon IVS (low-latency streaming).
    Ivs,
    /// Amazon IVS Chat.
    IvsChat,
}

impl Service {
    fn name(self) -> &'static str {
        match self {
            Self::Ivs => "ivs",
            Self::IvsChat => "ivschat",
        }
    }
}

/// Why a resource refused a change, in the words of the service's exceptions; the API layer
/// turns each into its status and error type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `ValidationException`: the input breaks the service model.
    #[error("{0}")]
    Validation(String),
    /// `ResourceNotFoundException`: no resource has this ARN (or ID).
    #[error("{0} not found")]
    NotFound(String),
    /// `ConflictException`: the resource's state does not allow it now.
    #[error("{0}")]
    Conflict(String),
    /// `ServiceQuotaExceededException`.
    #[error("{0}")]
    Quota(String),
    /// `ChannelNotBroadcasting`.
    #[error("The channel is not broadcasting")]
    NotBroadcasting,
    /// `ThrottlingException`.
    #[error("{0}")]
    Throttled(String),
}

impl Refusal {
    pub fn validation(message: impl Into<String>) -> Self {
        Self::Validation(message.into())
    }

    pub fn not_found(arn: impl Into<String>) -> Self {
        Self::NotFound(arn.into())
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }
}

/// A resource's tags after `change`, refused past IVS's 50 tags.
pub fn changed_tags(
    tags: &std::collections::BTreeMap<String, String>,
    change: impl FnOnce(&mut std::collections::BTreeMap<String, String>),
) -> Result<std::collections::BTreeMap<String, String>, Refusal> {
    let mut changed = tags.clone();
    change(&mut changed);
    if changed.len() > MAX_TAGS {
        return Err(Refusal::validation("a resource has at most 50 tags"));
    }
    Ok(changed)
}

/// The most tags a resource has.
pub const MAX_TAGS: usize = 50;

/// Whether `name` is a resource name as the service models allow it: at most 128 of A-Z a-z 0-9 - _.
pub fn valid_name(name: &str) -> bool {
    name.len() <= 128 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_have_the_aws_shape() {
        assert_eq!(arn(Service::Ivs, "channel", "local"), "arn:aws:ivs:us-east-1:000000000000:channel/local");
        assert_eq!(arn(Service::IvsChat, "room", "x"), "arn:aws:ivschat:us-east-1:000000000000:room/x");
        assert_eq!(id_of("arn:aws:ivs:us-east-1:000000000000:channel/abc"), "abc");
        assert_eq!(random_id(12).len(), 12);
    }
}
