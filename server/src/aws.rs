//! The AWS clients: IVS and IVS Chat through the AWS SDK for Rust, with credentials and region
//! from the SDK's standard chain (or the configuration), and the endpoint overridden only when
//! the configuration says (the local IVS). Throttling and transient errors are retried by the
//! SDK's standard retry mode, with backoff.

use aws_config::retry::RetryConfig;
use aws_config::BehaviorVersion;

use crate::config::Config;

/// Both IVS clients.
#[derive(Clone)]
pub struct Aws {
    pub ivs: aws_sdk_ivs::Client,
    pub chat: aws_sdk_ivschat::Client,
    pub region: String,
}

impl Aws {
    /// The clients `config` describes.
    pub async fn new(config: &Config) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::standard().with_max_attempts(3));
        if let Some(region) = config.aws.region.clone().or_else(|| config.arn_region().map(str::to_owned)) {
            loader = loader.region(aws_config::Region::new(region));
        }
        if let Some(endpoint) = &config.aws.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        let shared = loader.load().await;
        let region = shared.region().map(|r| r.to_string()).unwrap_or_else(|| "us-east-1".into());
        Self { ivs: aws_sdk_ivs::Client::new(&shared), chat: aws_sdk_ivschat::Client::new(&shared), region }
    }
}

/// An SDK error in words: the service's code and message, or what went wrong on the way.
pub fn describe<E, R>(error: &aws_sdk_ivs::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ivs::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    use aws_sdk_ivs::error::SdkError;
    match error {
        SdkError::ServiceError(e) => {
            let inner = e.err();
            format!("{}: {}", inner.code().unwrap_or("error"), inner.message().unwrap_or("no message"))
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) => "cannot reach the AWS endpoint".into(),
        other => aws_sdk_ivs::error::DisplayErrorContext(other).to_string(),
    }
}

/// The service's error code, if the service answered with one.
pub fn code<E, R>(error: &aws_sdk_ivs::error::SdkError<E, R>) -> Option<&str>
where
    E: aws_sdk_ivs::error::ProvideErrorMetadata,
{
    error.as_service_error().and_then(|e| e.code())
}

/// An AWS timestamp as ISO 8601 (`2026-11-29T10:00:00.123Z`).
pub fn timestamp(at: &aws_sdk_ivschat::primitives::DateTime) -> String {
    at.fmt(aws_sdk_ivschat::primitives::DateTimeFormat::DateTime).unwrap_or_default()
}
