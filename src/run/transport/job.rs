//! Async mode: submit to `/jobs`, then poll at an adaptive interval until the job ends.

use super::{Observed, Progress};
use crate::api::{ApiError, Client, JobState};
use crate::run::poll::{NOT_FOUND_GRACE, next_interval};
use crate::run::retry::{RetryPolicy, with_retry};
use crate::suite::{FlowRef, Target};
use serde_json::Value;
use tokio::time::Instant;

pub async fn run_job(
    client: &Client,
    flow: &FlowRef,
    target: Target,
    body: &Value,
    policy: &RetryPolicy,
    deadline: Instant,
    progress: &Progress,
) -> Observed {
    let (submitted, mut retries) =
        with_retry(policy, deadline, || client.submit(flow, target, body)).await;
    let submitted_at = Instant::now();
    let submitted = match submitted {
        Ok(submitted) => submitted,
        Err(err) => return Observed::from_result(Err(err), submitted_at.elapsed(), retries),
    };
    let mut polls = 0u32;
    progress.set(format!(
        "job {} submitted, not polled yet",
        submitted.execution_id
    ));
    loop {
        let (state, poll_retries) = with_retry(policy, deadline, || {
            client.poll(flow, &submitted.execution_id)
        })
        .await;
        retries += poll_retries;
        polls += 1;
        let age = submitted_at.elapsed();
        match state {
            Ok(JobState::Done(mut reply)) => {
                reply.block_count = reply.block_count.or(submitted.block_count);
                return Observed::from_result(Ok(reply), age, retries);
            }
            Ok(state @ (JobState::Pending | JobState::Running)) => {
                let state = if state == JobState::Pending {
                    "pending"
                } else {
                    "running"
                };
                progress.set(format!(
                    "job {} still {state} after {polls} polls",
                    submitted.execution_id
                ));
            }
            // The run row may not exist yet right after the submit.
            Err(ApiError::Http { status: 404, .. }) if age < NOT_FOUND_GRACE => {}
            Err(err) => return Observed::from_result(Err(err), age, retries),
        }
        // Past the deadline the attempt's own timeout ends this loop and says so.
        let pause = next_interval(submitted_at.elapsed());
        tokio::time::sleep(pause).await;
    }
}
