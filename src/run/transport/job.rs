//! Async mode: submit to `/jobs`, then poll at an adaptive interval until the job ends.

use super::{Observed, Progress};
use crate::api::{ApiError, Client, JobState};
use crate::run::plan::Planned;
use crate::run::poll::{NOT_FOUND_GRACE, next_interval};
use crate::run::retry::{RetryPolicy, with_retry};
use crate::suite::FlowRef;
use crate::words::counted;
use serde_json::Value;
use tokio::time::Instant;

pub async fn run_job(
    client: &Client,
    flow: &FlowRef,
    planned: Planned,
    body: &Value,
    policy: &RetryPolicy,
    deadline: Instant,
    progress: &Progress,
) -> Observed {
    let target = planned.target;
    let (submitted, mut retries) = with_retry(policy, deadline, progress, || {
        client.submit(flow, target, body)
    })
    .await;
    let submitted_at = Instant::now();
    let submitted = match submitted {
        Ok(submitted) => submitted,
        Err(err) => return Observed::from_result(Err(err), submitted_at.elapsed(), retries),
    };
    let mut polls = 0u64;
    // Polls answered 404 since the last that found the job.
    let mut not_found = 0u64;
    progress.set(format!(
        "job {} submitted, no poll answered yet",
        submitted.execution_id
    ));
    // A job that took this long before is polled first when it ended then: a regression
    // suite's jobs take about as long from run to run, so one poll usually finds it done.
    if let Some(took) = planned.job_took {
        progress.set(format!(
            "job {} submitted, not polled yet: it took {} in the earlier run",
            submitted.execution_id,
            humantime::format_duration(took)
        ));
        tokio::time::sleep_until(submitted_at + took).await;
    }
    loop {
        let (state, poll_retries) = with_retry(policy, deadline, progress, || {
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
                not_found = 0;
                progress.set(format!(
                    "job {} still {state} after {}",
                    submitted.execution_id,
                    counted(polls, "poll")
                ));
            }
            // The run row may not exist yet right after the submit.
            Err(ApiError::Http { status: 404, .. }) if age < NOT_FOUND_GRACE => {
                not_found += 1;
                let answered = if not_found == polls {
                    "the job was not found yet (404)".to_owned()
                } else {
                    format!(
                        "the last {} answered 404 (not found)",
                        counted(not_found, "poll")
                    )
                };
                progress.set(format!(
                    "job {} polled {}; {answered}, counted as pending",
                    submitted.execution_id,
                    counted(polls, "time")
                ));
            }
            Err(err) => return Observed::from_result(Err(err), age, retries),
        }
        // Past the deadline the attempt's own timeout ends this loop and says so.
        let pause = next_interval(submitted_at.elapsed());
        tokio::time::sleep(pause).await;
    }
}
