//! `POST .../execute`: run the flow and answer with its result.

use super::{Target, http_fault, next_run, resolve, run_input};
use crate::sim::engine::{Execution, RunOutcome};
use crate::sim::errors::ApiError;
use crate::sim::request;
use crate::sim::server::AppState;
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn handle(
    state: &AppState,
    target: &Target<'_>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (flow, version) = resolve(state, target)?;
    let body = request::run_body(&request::parse_json(body)?, flow.message_required)?;
    let input = run_input(&version, body)?;
    http_fault(state, &flow, &version)?;
    let (run_seed, fails) = next_run(state, &flow, &version);
    let execution = Execution::new(version.clone(), input, run_seed, fails);
    let (status, result) = match execution.run_all().await {
        RunOutcome::Completed { result } => ("completed", result),
        RunOutcome::Failed { error, step } => ("failed", RunOutcome::failure_detail(&error, &step)),
    };
    Ok(Json(json!({
        "status": status,
        "result": result,
        "flowId": flow.flow_id,
        "blockCount": version.blocks.len(),
        "executionId": uuid::Uuid::new_v4().to_string(),
    }))
    .into_response())
}
