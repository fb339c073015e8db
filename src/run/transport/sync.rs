//! Sync mode: one `/execute` call (retried when safe).

use super::{Observed, Progress};
use crate::api::Client;
use crate::run::retry::{RetryPolicy, with_retry};
use crate::suite::{FlowRef, Target};
use serde_json::Value;
use tokio::time::Instant;

pub async fn run_sync(
    client: &Client,
    flow: &FlowRef,
    target: Target,
    body: &Value,
    policy: &RetryPolicy,
    deadline: Instant,
    progress: &Progress,
) -> Observed {
    let mut started = Instant::now();
    let (result, retries) = with_retry(policy, deadline, progress, || {
        started = Instant::now();
        client.execute(flow, target, body)
    })
    .await;
    Observed::from_result(result, started.elapsed(), retries)
}
