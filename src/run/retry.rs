//! Retries with exponential backoff and full jitter, honouring `Retry-After`, within a deadline.

use super::transport::Progress;
use crate::api::ApiError;
use std::future::Future;
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first try (0 disables retrying).
    pub max_retries: u32,
    /// Retry HTTP 500 too (by default only 429, 502, 503, 504 and connection failures).
    pub retry_server_errors: bool,
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            retry_server_errors: false,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `retry` (0-based) when the server gave no `Retry-After`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponential = self.base_delay.saturating_mul(1u32 << retry.min(16));
        let capped = exponential.min(self.max_delay);
        // Full jitter keeps many clients that were refused together from returning together.
        capped.mul_f64(0.5 + fastrand::f64() * 0.5)
    }
}

/// Call `attempt` until it succeeds, fails for good, runs out of retries, or the next pause
/// would cross `deadline`. Returns the last result and how many retries were made; `progress`
/// learns of each retry as it is made, so that a timeout that drops this future can say them.
pub async fn with_retry<T, F, Fut>(
    policy: &RetryPolicy,
    deadline: Instant,
    progress: &Progress,
    mut attempt: F,
) -> (Result<T, ApiError>, u32)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut retries = 0;
    loop {
        let result = attempt().await;
        let Err(err) = &result else {
            progress.answered();
            return (result, retries);
        };
        if retries >= policy.max_retries || !err.is_retryable(policy.retry_server_errors) {
            return (result, retries);
        }
        let pause = err.retry_after().unwrap_or_else(|| policy.backoff(retries));
        if Instant::now() + pause >= deadline {
            return (result, retries);
        }
        progress.waiting_after(err);
        tokio::time::sleep(pause).await;
        retries += 1;
        progress.retried();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default();
        for retry in 0..20 {
            let pause = policy.backoff(retry);
            assert!(pause <= policy.max_delay);
            assert!(
                pause
                    >= policy
                        .base_delay
                        .saturating_mul(1 << retry.min(16))
                        .min(policy.max_delay)
                        / 2
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn retries_rate_limits_but_not_client_errors() {
        let policy = RetryPolicy::default();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut calls = 0;
        let progress = Progress::default();
        let (result, retries) = with_retry(&policy, deadline, &progress, || {
            calls += 1;
            let answer = if calls < 3 {
                Err(ApiError::Http {
                    status: 429,
                    code: None,
                    message: "slow down".into(),
                    retry_after: Some(Duration::from_secs(1)),
                })
            } else {
                Ok(calls)
            };
            async move { answer }
        })
        .await;
        assert_eq!((result, retries), (Ok(3), 2));
        assert_eq!(progress.retries(), 2);
        assert_eq!(progress.told().as_deref(), Some("after 2 retries"));

        let (result, retries) = with_retry(&policy, deadline, &progress, || async {
            Err::<(), _>(ApiError::Http {
                status: 400,
                code: None,
                message: "bad".into(),
                retry_after: None,
            })
        })
        .await;
        assert!(result.is_err());
        assert_eq!(retries, 0);
    }
}
