//! The official AWS SDK clients, pointed at a stack's local IVS: what the fidelity tests speak.

use crate::stack::Stack;

/// The SDKs' shared configuration for `stack` (any credentials do). It does not retry, so tests
/// see the stack's first answer.
async fn config(stack: &Stack) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ivs::config::Credentials::new("AKIDLOCAL", "local-secret", None, None, "e2e"))
        .endpoint_url(&stack.api)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await
}

/// The official IVS client, pointed at `stack`, without retries.
pub async fn ivs_client(stack: &Stack) -> aws_sdk_ivs::Client {
    aws_sdk_ivs::Client::new(&config(stack).await)
}

/// The official IVS Real-Time (stages) client, pointed at `stack`, without retries.
pub async fn ivsrealtime_client(stack: &Stack) -> aws_sdk_ivsrealtime::Client {
    aws_sdk_ivsrealtime::Client::new(&config(stack).await)
}

/// The official IVS Chat client, pointed at `stack`, without retries.
pub async fn ivschat_client(stack: &Stack) -> aws_sdk_ivschat::Client {
    aws_sdk_ivschat::Client::new(&config(stack).await)
}
