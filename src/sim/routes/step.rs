//! `POST .../step`: step-through as Server-Sent Events. The server keeps no state: the client
//! sends the cursor (`executionId`, `stepIndex`) and every output so far.

use super::{FAIL_SALT, Target, http_fault, resolve, run_input};
use crate::sim::engine::{Execution, StepReport};
use crate::sim::errors::ApiError;
use crate::sim::model::VersionSelector;
use crate::sim::server::AppState;
use crate::sim::{request, seed, sse};
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
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
    let step_count = version.blocks.len();

    let execution_id = match &body.execution_id {
        None if body.step_index != 0 => {
            return Err(ApiError::bad_request(
                "INVALID_FIRST_CALL",
                "The first call (executionId null) must have stepIndex 0",
            ));
        }
        None if body.run.message.is_none() && flow.message_required => {
            return Err(ApiError::bad_request(
                "MISSING_MESSAGE",
                "The first call needs a `message`",
            ));
        }
        None => None,
        Some(id) => match uuid::Uuid::parse_str(id) {
            Ok(id) => Some(id.to_string()),
            Err(_) => {
                return Err(ApiError::bad_request(
                    "EXECUTION_ID_INVALID",
                    "executionId must be the id sent in run_started",
                ));
            }
        },
    };
    let Some(start) = usize::try_from(body.step_index)
        .ok()
        .filter(|index| *index < step_count)
    else {
        return Err(ApiError::bad_request(
            "INVALID_STEP_INDEX",
            format!(
                "stepIndex {} is out of range: this version has steps 0 to {}",
                body.step_index,
                step_count - 1
            ),
        ));
    };

    let index_of = |id: &str| version.blocks.iter().position(|block| block.id == id);
    for id in body
        .accumulated_outputs
        .keys()
        .chain(body.input_overrides.keys())
    {
        if index_of(id).is_none() {
            return Err(ApiError::bad_request(
                "STALE_TREE",
                format!(
                    "Step \"{id}\" is not part of version {} of this flow",
                    version.number
                ),
            ));
        }
    }
    if let Some(id) = body
        .input_overrides
        .keys()
        .find(|id| index_of(id).is_some_and(|at| at >= start))
    {
        return Err(ApiError::bad_request(
            "INVALID_INPUT_OVERRIDE",
            format!(
                "inputOverrides may replace only the outputs of steps before stepIndex {start}; \"{id}\" is not one"
            ),
        ));
    }
    let mut outputs: Map<String, Value> = body.accumulated_outputs.clone();
    outputs.extend(body.input_overrides.clone());
    if let Some(missing) = version.blocks[..start]
        .iter()
        .find(|block| !outputs.contains_key(&block.id))
    {
        return Err(ApiError::bad_request(
            "INVALID_STEP_INDEX",
            format!(
                "stepIndex {start} needs the output of step \"{}\" in accumulatedOutputs",
                missing.id
            ),
        ));
    }

    let input = run_input(&version, body.run)?;
    http_fault(state, &flow, &version)?;

    let first_call = execution_id.is_none();
    let execution_id = execution_id.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    // Stateless: every call of one execution derives the same seed from its id.
    let run_seed = seed::mix(
        seed::mix(state.seed, flow.seed),
        seed::hash_str(&execution_id),
    );
    let fails = version.knobs.faults.fail.as_ref().is_some_and(|fail| {
        seed::unit(seed::mix(run_seed, FAIL_SALT)) < fail.schedule.probability()
    });
    let execution = Execution::new(version.clone(), input, run_seed, fails);
    let flow_id = flow.flow_id.clone();
    let run_remaining = body.run_remaining;

    let (sender, receiver) = mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        let events = Events { sender };
        if first_call
            && !events
                .send(
                    "run_started",
                    json!({ "runId": execution_id, "executionId": execution_id, "flowId": flow_id, "stepCount": step_count }),
                )
                .await
        {
            return;
        }
        let mut ran: Vec<StepReport> = Vec::new();
        let mut index = start;
        loop {
            let Some(step_id) = execution.block_id(index).map(str::to_string) else {
                return;
            };
            let name = version.blocks[index].name.clone();
            if !events
                .send(
                    "step_started",
                    json!({ "stepId": step_id, "name": name, "stepIndex": index }),
                )
                .await
            {
                return;
            }
            let report = match execution.step(index, &outputs).await {
                Ok(report) => report,
                Err(failure) => {
                    events
                        .send(
                            "step_error",
                            json!({
                                "stepId": failure.id,
                                "name": failure.name,
                                "stepIndex": index,
                                "error": failure.error,
                                "durationMs": failure.duration_ms,
                            }),
                        )
                        .await;
                    return;
                }
            };
            if !events.send("step_completed", completed(&report)).await {
                return;
            }
            outputs.insert(report.id.clone(), report.output.clone());
            ran.push(report);
            if index + 1 == step_count {
                match execution.result(&outputs) {
                    Ok(result) => {
                        let summary = summary(&ran, step_count);
                        events
                            .send(
                                "flow_completed",
                                json!({ "runId": execution_id, "executionId": execution_id, "result": result, "summary": summary }),
                            )
                            .await;
                    }
                    Err(error) => {
                        events
                            .send("step_error", json!({ "stepId": step_id, "name": name, "stepIndex": index, "error": error }))
                            .await;
                    }
                }
                return;
            }
            index += 1;
            if !run_remaining {
                let next_id = execution.block_id(index).unwrap_or_default().to_string();
                events
                    .send(
                        "step_paused",
                        json!({ "stepId": step_id, "nextStepId": next_id, "nextStepIndex": index, "stepIndex": index }),
                    )
                    .await;
                return;
            }
        }
    });

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
    Ok(response)
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
