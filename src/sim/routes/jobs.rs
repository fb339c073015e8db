//! `POST .../jobs` (202 and a job id) and `GET .../jobs/{executionId}` (pending, running,
//! completed or failed). A job runs the same engine as `/execute`, in the background.

use super::{Target, prepare_run};
use crate::sim::engine::RunOutcome;
use crate::sim::errors::ApiError;
use crate::sim::jobs::JobStatus;
use crate::sim::server::AppState;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

/// The share of a job's duration it spends `pending` before it is `running`.
const PENDING_SHARE: f64 = 0.1;

pub async fn submit(
    state: &Arc<AppState>,
    target: &Target<'_>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (flow, version, execution) = prepare_run(state, target, body)?;

    let at_least = execution.expected_duration().max(Duration::from_secs_f64(
        version.knobs.job_seconds.unwrap_or_default(),
    ));
    let id = uuid::Uuid::new_v4().to_string();
    state
        .jobs
        .insert(&id, flow.path(), at_least.mul_f64(PENDING_SHARE), at_least);
    let background = state.clone();
    let job_id = id.clone();
    tokio::spawn(async move {
        let outcome = execution.run_all().await;
        background.jobs.finish(&job_id, outcome);
    });

    let reply = json!({
        "executionId": id,
        "status": "started",
        "flowId": flow.flow_id,
        "blockCount": version.blocks.len(),
    });
    Ok((StatusCode::ACCEPTED, Json(reply)).into_response())
}

pub fn poll(state: &AppState, target: &Target<'_>, id: &str) -> Result<Response, ApiError> {
    let path = format!("{}/{}/{}", target.org, target.project, target.flow);
    let not_found = || {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "JOB_NOT_FOUND",
            format!("No job {id} for flow {path}"),
        )
    };
    let status = state.jobs.status(id, &path).ok_or_else(not_found)?;
    let reply = match status {
        JobStatus::Pending => json!({ "executionId": id, "status": "pending" }),
        JobStatus::Running => json!({ "executionId": id, "status": "running" }),
        JobStatus::Done(RunOutcome::Completed { result }) => {
            json!({ "executionId": id, "status": "completed", "result": result })
        }
        JobStatus::Done(RunOutcome::Failed { error, step }) => json!({
            "executionId": id,
            "status": "failed",
            "error": error,
            "result": RunOutcome::failure_detail(&error, &step),
        }),
    };
    Ok(Json(reply).into_response())
}
