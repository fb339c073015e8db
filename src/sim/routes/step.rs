//! `POST .../step`: step-through as Server-Sent Events. The server keeps no state: the client
//! sends the cursor (`executionId`, `stepIndex`) and every output so far.
//!
//! `handle` checks the request; `cursor` checks where the call stands in the execution (the
//! 400s the contract lists for `/step`); `stream_steps` runs the steps and sends their events;
//! `completed` and `summary` build the payloads that carry usage and cost.

use super::{FAIL_SALT, Target, http_fault, resolve, run_input};
use crate::sim::engine::{Execution, StepFailure, StepReport};
use crate::sim::errors::ApiError;
use crate::sim::model::{Flow, Version, VersionSelector};
use crate::sim::request::StepBody;
use crate::sim::server::AppState;
use crate::sim::{request, seed, sse};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use tokio::sync::mpsc;

pub async fn handle(
    state: &AppState,
    target: &Target<'_>,
    body: &[u8],
) -> Result<Response, ApiError> {
    if target.version == VersionSelector::Draft {
        return Err(ApiError::bad_request(
            "INVALID_VERSION",
            "The draft (v0) cannot be stepped through; step through a published version",
        ));
    }
    let (flow, version) = resolve(state, target)?;
    let body = request::step_body(&request::parse_json(body)?)?;
    let cursor = cursor(&flow, &version, &body)?;
    let input = run_input(&version, body.run)?;
    http_fault(state, &flow, &version)?;

    let first_call = cursor.execution_id.is_none();
    let execution_id = cursor
        .execution_id
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let (run_seed, fails) = execution_run(state, &flow, &version, &execution_id);
    let run = StepRun {
        execution: Execution::new(version.clone(), input, run_seed, fails),
        version,
        flow_id: flow.flow_id.clone(),
        execution_id,
        first_call,
        start: cursor.start,
        outputs: cursor.outputs,
        run_remaining: body.run_remaining,
    };
    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    tokio::spawn(stream_steps(run, Events { sender }));
    Ok(event_stream(receiver))
}

/// Where a call stands in its execution, checked before anything streams.
struct Cursor {
    /// `None` on the first call: a new id is made for it.
    execution_id: Option<String>,
    /// The step this call runs first.
    start: usize,
    /// The outputs of every step before `start`, with `inputOverrides` applied.
    outputs: Map<String, Value>,
}

/// Check the call's position in the flow, in the order the errors are reported:
/// INVALID_FIRST_CALL, MISSING_MESSAGE, EXECUTION_ID_INVALID, INVALID_STEP_INDEX (range),
/// STALE_TREE, INVALID_INPUT_OVERRIDE, INVALID_STEP_INDEX (a missing earlier output).
fn cursor(flow: &Flow, version: &Version, body: &StepBody) -> Result<Cursor, ApiError> {
    let execution_id = execution_id(body, flow.message_required)?;
    let start = start_index(body.step_index, version.blocks.len())?;
    known_steps_only(version, body)?;
    overrides_before(version, body, start)?;
    let outputs = outputs_before(version, body, start)?;
    Ok(Cursor {
        execution_id,
        start,
        outputs,
    })
}

/// The `executionId` of a later call (a UUID), or `None` on a valid first call.
fn execution_id(body: &StepBody, message_required: bool) -> Result<Option<String>, ApiError> {
    match &body.execution_id {
        None if body.step_index != 0 => Err(ApiError::bad_request(
            "INVALID_FIRST_CALL",
            "The first call (executionId null) must have stepIndex 0",
        )),
        None if body.run.message.is_none() && message_required => Err(ApiError::bad_request(
            "MISSING_MESSAGE",
            "The first call needs a `message`",
        )),
        None => Ok(None),
        Some(id) => match uuid::Uuid::parse_str(id) {
            Ok(id) => Ok(Some(id.to_string())),
            Err(_) => Err(ApiError::bad_request(
                "EXECUTION_ID_INVALID",
                "executionId must be the id sent in run_started",
            )),
        },
    }
}

/// `stepIndex` as an index into the version's steps.
fn start_index(step_index: i64, step_count: usize) -> Result<usize, ApiError> {
    usize::try_from(step_index)
        .ok()
        .filter(|index| *index < step_count)
        .ok_or_else(|| {
            ApiError::bad_request(
                "INVALID_STEP_INDEX",
                format!(
                    "stepIndex {step_index} is out of range: this version has steps 0 to {}",
                    step_count - 1
                ),
            )
        })
}

fn step_position(version: &Version, id: &str) -> Option<usize> {
    version.blocks.iter().position(|block| block.id == id)
}

/// STALE_TREE: every output and override names a step of this version.
fn known_steps_only(version: &Version, body: &StepBody) -> Result<(), ApiError> {
    let mut named = body
        .accumulated_outputs
        .keys()
        .chain(body.input_overrides.keys());
    match named.find(|id| step_position(version, id).is_none()) {
        Some(id) => Err(ApiError::bad_request(
            "STALE_TREE",
            format!(
                "Step \"{id}\" is not part of version {} of this flow",
                version.number
            ),
        )),
        None => Ok(()),
    }
}

/// INVALID_INPUT_OVERRIDE: `inputOverrides` may replace only outputs of steps before `start`.
fn overrides_before(version: &Version, body: &StepBody, start: usize) -> Result<(), ApiError> {
    match body
        .input_overrides
        .keys()
        .find(|id| step_position(version, id).is_some_and(|at| at >= start))
    {
        Some(id) => Err(ApiError::bad_request(
            "INVALID_INPUT_OVERRIDE",
            format!(
                "inputOverrides may replace only the outputs of steps before stepIndex {start}; \"{id}\" is not one"
            ),
        )),
        None => Ok(()),
    }
}

/// `accumulatedOutputs` with `inputOverrides` applied; INVALID_STEP_INDEX when a step before
/// `start` has no output.
fn outputs_before(
    version: &Version,
    body: &StepBody,
    start: usize,
) -> Result<Map<String, Value>, ApiError> {
    let mut outputs = body.accumulated_outputs.clone();
    outputs.extend(body.input_overrides.clone());
    match version.blocks[..start]
        .iter()
        .find(|block| !outputs.contains_key(&block.id))
    {
        Some(missing) => Err(ApiError::bad_request(
            "INVALID_STEP_INDEX",
            format!(
                "stepIndex {start} needs the output of step \"{}\" in accumulatedOutputs",
                missing.id
            ),
        )),
        None => Ok(outputs),
    }
}

/// Seed and fail decision for a call of `/step`. Stateless: every call of one execution
/// derives the same seed from its id.
fn execution_run(
    state: &AppState,
    flow: &Flow,
    version: &Version,
    execution_id: &str,
) -> (u64, bool) {
    let run_seed = seed::mix(
        seed::mix(state.seed, flow.seed),
        seed::hash_str(execution_id),
    );
    let fails = version.knobs.faults.fail.as_ref().is_some_and(|fail| {
        seed::unit(seed::mix(run_seed, FAIL_SALT)) < fail.schedule.probability()
    });
    (run_seed, fails)
}

/// Everything the event loop needs, moved into its task.
struct StepRun {
    execution: Execution,
    version: Arc<Version>,
    flow_id: String,
    execution_id: String,
    first_call: bool,
    start: usize,
    outputs: Map<String, Value>,
    run_remaining: bool,
}

/// The events of one call: `run_started` on the first call, then each step from the cursor
/// until one pauses (`step_paused`), fails (`step_error`) or ends the flow (`flow_completed`).
/// Stops as soon as the client has gone away.
async fn stream_steps(mut run: StepRun, events: Events) {
    let step_count = run.version.blocks.len();
    if run.first_call
        && !events
            .send(
                "run_started",
                json!({ "runId": run.execution_id, "executionId": run.execution_id, "flowId": run.flow_id, "stepCount": step_count }),
            )
            .await
    {
        return;
    }
    let mut ran: Vec<StepReport> = Vec::new();
    for index in run.start..step_count {
        let Some(report) = run_step(&run, index, &events).await else {
            return;
        };
        run.outputs.insert(report.id.clone(), report.output.clone());
        ran.push(report);
        if index + 1 == step_count {
            finish(&run, index, &ran, &events).await;
            return;
        }
        if !run.run_remaining {
            pause(&run, index, &events).await;
            return;
        }
    }
}

/// `step_started`, then `step_completed`, or `step_error` (terminal). `None`: stop the call.
async fn run_step(run: &StepRun, index: usize, events: &Events) -> Option<StepReport> {
    let block = &run.version.blocks[index];
    if !events
        .send(
            "step_started",
            json!({ "stepId": block.id, "name": block.name, "stepIndex": index }),
        )
        .await
    {
        return None;
    }
    match run.execution.step(index, &run.outputs).await {
        Ok(report) => events
            .send("step_completed", completed(&report))
            .await
            .then_some(report),
        Err(failure) => {
            events.send("step_error", failed(&failure, index)).await;
            None
        }
    }
}

/// After the last step: `flow_completed` with the result, or `step_error` at the last step
/// when the result cannot be built.
async fn finish(run: &StepRun, last: usize, ran: &[StepReport], events: &Events) {
    let block = &run.version.blocks[last];
    match run.execution.result(&run.outputs) {
        Ok(result) => {
            let summary = summary(ran, run.version.blocks.len());
            events
                .send(
                    "flow_completed",
                    json!({ "runId": run.execution_id, "executionId": run.execution_id, "result": result, "summary": summary }),
                )
                .await;
        }
        Err(error) => {
            events
                .send(
                    "step_error",
                    json!({ "stepId": block.id, "name": block.name, "stepIndex": last, "error": error }),
                )
                .await;
        }
    }
}

/// `step_paused` after step `index`: the next cursor, under both names the contract knows.
async fn pause(run: &StepRun, index: usize, events: &Events) {
    let next = index + 1;
    let next_id = run.execution.block_id(next).unwrap_or_default().to_string();
    events
        .send(
            "step_paused",
            json!({ "stepId": run.version.blocks[index].id, "nextStepId": next_id, "nextStepIndex": next, "stepIndex": next }),
        )
        .await;
}

/// The response: the frames `stream_steps` sends, as they come.
fn event_stream(receiver: mpsc::Receiver<Bytes>) -> Response {
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|frame| (Ok::<Bytes, std::convert::Infallible>(frame), receiver))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

struct Events {
    sender: mpsc::Sender<Bytes>,
}

impl Events {
    /// False once the client has gone away: the run then stops.
    async fn send(&self, event: &str, payload: Value) -> bool {
        self.sender.send(sse::frame(event, payload)).await.is_ok()
    }
}

fn failed(failure: &StepFailure, index: usize) -> Value {
    json!({
        "stepId": failure.id,
        "name": failure.name,
        "stepIndex": index,
        "error": failure.error,
        "durationMs": failure.duration_ms,
    })
}

fn completed(report: &StepReport) -> Value {
    let mut payload = json!({
        "stepId": report.id,
        "name": report.name,
        "stepIndex": report.index,
        "output": report.output,
        "durationMs": report.duration_ms,
        "costUsd": usd(report.usage.map_or(0.0, |usage| usage.cost_usd)),
    });
    if let (Some(usage), Some(fields)) = (report.usage, payload.as_object_mut()) {
        fields.insert(
            "tokens".to_string(),
            json!({
                "prompt": usage.prompt_tokens,
                "completion": usage.completion_tokens,
                "total": usage.prompt_tokens + usage.completion_tokens,
            }),
        );
    }
    payload
}

/// Totals over the steps this call ran (the server remembers nothing of earlier calls).
fn summary(ran: &[StepReport], step_count: usize) -> Value {
    let prompt: u64 = ran
        .iter()
        .filter_map(|r| r.usage)
        .map(|u| u.prompt_tokens)
        .sum();
    let completion: u64 = ran
        .iter()
        .filter_map(|r| r.usage)
        .map(|u| u.completion_tokens)
        .sum();
    let cost: f64 = ran.iter().filter_map(|r| r.usage).map(|u| u.cost_usd).sum();
    json!({
        "status": "completed",
        "stepCount": step_count,
        "stepsRun": ran.len(),
        "durationMs": ran.iter().map(|r| r.duration_ms).sum::<u64>(),
        "tokens": { "prompt": prompt, "completion": completion, "total": prompt + completion },
        "costUsd": usd(cost),
    })
}

/// A cost as the contract writes it: a decimal string of 6 places. An empty sum of floats is
/// -0.0, which would print as "-0.000000"; adding 0.0 makes it 0.
fn usd(cost: f64) -> String {
    format!("{:.6}", cost + 0.0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_cost_is_zero_not_minus_zero() {
        let nothing: f64 = std::iter::empty::<f64>().sum();
        assert_eq!(super::usd(nothing), "0.000000");
        assert_eq!(super::usd(0.000013), "0.000013");
    }
}
