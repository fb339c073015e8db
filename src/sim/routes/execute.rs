//! `POST .../execute`: run the flow and answer with its result.

use super::{Target, prepare_run};
use crate::sim::engine::RunOutcome;
use crate::sim::errors::ApiError;
use crate::sim::server::AppState;
use axum::Json;
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub async fn handle(
    state: &AppState,
    target: &Target<'_>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (flow, version, execution) = prepare_run(state, target, body)?;
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
