//! Step mode: drive `/step` one step per call, carrying the cursor and every output so far,
//! and apply the case's edits the way a human-in-the-loop UI would.

use super::Observed;
use crate::api::wire::{StepCall, step_body};
use crate::api::{ApiError, Client, StepEvent};
use crate::check::observation::Reply;
use crate::check::{CheckOutcome, ObservedStep, StepRef};
use crate::run::retry::{RetryPolicy, with_retry};
use crate::suite::{Case, FlowRef, Target};
use serde_json::{Map, Value};
use tokio::time::Instant;

/// A flow with more steps than this is taken for a server that never finishes.
const MAX_STEPS: usize = 1000;

pub async fn run_steps(
    client: &Client,
    flow: &FlowRef,
    target: Target,
    case: &Case,
    policy: &RetryPolicy,
    deadline: Instant,
    progress: &super::Progress,
) -> Observed {
    let started = Instant::now();
    let mut retries = 0;
    let mut accumulated = Map::new();
    let mut execution_id: Option<String> = None;
    let mut steps: Vec<ObservedStep> = Vec::new();
    let mut index = 0usize;
    let mut applied = vec![false; case.steps.len()];
    let block_overrides = all_block_overrides(case);
    let finish = |reply: Reply, steps: Vec<ObservedStep>, retries: u32| Observed {
        reply,
        latency: started.elapsed(),
        steps,
        retries,
        unsent: Vec::new(),
    };

    for _ in 0..MAX_STEPS {
        let input_overrides = due_overrides(case, index, &accumulated, &mut applied);
        let body = step_body(&StepCall {
            request: &case.request,
            execution_id: execution_id.as_deref(),
            step_index: index,
            accumulated: &accumulated,
            input_overrides: &input_overrides,
            block_overrides: &block_overrides,
            run_remaining: false,
        });
        // The edited outputs stand for the rest of the run, as they would in a UI.
        accumulated.extend(input_overrides);
        // For a timeout to say where the run was.
        progress.set(match steps.last() {
            None => format!("waiting for step #{index}, the first"),
            Some(last) => format!(
                "waiting for step #{index}, after {} (the last: {})",
                crate::words::counted(steps.len() as u64, "step"),
                last.id
            ),
        });
        let (answer, call_retries) = with_retry(policy, deadline, progress, || async {
            let mut events = Vec::new();
            client
                .step(flow, target, &body, &mut |event| events.push(event))
                .await
                .map(|()| events)
        })
        .await;
        retries += call_retries;
        let events = match answer {
            Ok(events) => events,
            Err(err) => return finish(super::reply_of(Err(err)), steps, retries),
        };
        let mut next = None;
        for event in events {
            match event {
                StepEvent::RunStarted {
                    execution_id: id, ..
                } => execution_id = execution_id.or(id),
                StepEvent::StepStarted { .. } | StepEvent::Other => {}
                StepEvent::StepCompleted {
                    step_id,
                    name,
                    output,
                    duration_ms,
                    tokens,
                    cost_usd,
                } => {
                    accumulated.insert(step_id.clone(), output.clone());
                    let index = steps.len();
                    steps.push(ObservedStep {
                        id: step_id,
                        index,
                        name,
                        output,
                        duration_ms,
                        tokens,
                        cost_usd,
                    });
                }
                StepEvent::StepPaused { next_index } => {
                    next = Some(next_index.unwrap_or(index + 1))
                }
                StepEvent::StepError { step_id, error } => {
                    let result = serde_json::json!({"step": step_id, "error": error});
                    let reply = Reply::Ran {
                        status: "failed".into(),
                        result,
                        block_count: Some(steps.len() as u64),
                        execution_id,
                    };
                    return finish(reply, steps, retries);
                }
                StepEvent::FlowCompleted { result, .. } => {
                    let reply = Reply::Ran {
                        status: "completed".into(),
                        result,
                        block_count: Some(steps.len() as u64),
                        execution_id,
                    };
                    let unsent = unsent(case, &applied, &accumulated, &steps);
                    return Observed {
                        unsent,
                        ..finish(reply, steps, retries)
                    };
                }
            }
        }
        match next {
            Some(next) if next > index => index = next,
            _ => {
                let message = format!("the step stream did not advance past step {index}");
                return finish(
                    super::reply_of(Err(ApiError::Protocol(message))),
                    steps,
                    retries,
                );
            }
        }
    }
    let message = format!("the flow did not finish within {MAX_STEPS} steps");
    finish(
        super::reply_of(Err(ApiError::Protocol(message))),
        steps,
        retries,
    )
}

/// A failed check for each of the case's input overrides that the run, gone to its end, never
/// sent: the step it is planned at never ran (an index past the last step), or the outputs it
/// replaces never all existed (a misspelt step id). Without it the case ran unedited and could
/// pass.
fn unsent(
    case: &Case,
    applied: &[bool],
    accumulated: &Map<String, Value>,
    steps: &[ObservedStep],
) -> Vec<CheckOutcome> {
    let seen: Vec<&str> = steps.iter().map(|s| s.id.as_str()).collect();
    let seen_list = match seen.is_empty() {
        true => "none".to_owned(),
        false => seen.join(", "),
    };
    case.steps
        .iter()
        .zip(applied)
        .filter(|(plan, done)| !**done && !plan.input_overrides.is_empty())
        .map(|(plan, _)| {
            let why = match &plan.step {
                StepRef::Index(index) => format!("the flow has no step #{index}"),
                StepRef::Id(_) => {
                    let missing: Vec<&str> = plan
                        .input_overrides
                        .keys()
                        .map(String::as_str)
                        .filter(|key| !accumulated.contains_key(*key))
                        .collect();
                    let hint = match missing.as_slice() {
                        [one] => crate::diagnostic::did_you_mean(one, seen.iter().copied())
                            .map(|hint| format!("; {hint}"))
                            .unwrap_or_default(),
                        _ => String::new(),
                    };
                    format!("no step {} completed{hint}", missing.join(", "))
                }
            };
            CheckOutcome {
                label: format!("step {}: input_overrides", plan.step).into(),
                passed: false,
                expected: "sent before the step runs".into(),
                actual: None,
                expected_value: None,
                detail: Some(format!("never sent: {why} (steps seen: {seen_list})")),
                score: None,
                weight: 1.0,
                line: plan.line,
            }
        })
        .collect()
}

/// Every step's block overrides, keyed by step id as the API takes them.
fn all_block_overrides(case: &Case) -> Map<String, Value> {
    let mut all = case.request.block_overrides.clone();
    for plan in &case.steps {
        all.extend(plan.block_overrides.clone());
    }
    all
}

/// The input overrides to send on the call that runs step `index`: those planned for that
/// index, and those planned for a step id once every output they replace exists.
fn due_overrides(
    case: &Case,
    index: usize,
    accumulated: &Map<String, Value>,
    applied: &mut [bool],
) -> Map<String, Value> {
    let mut due = Map::new();
    for (plan, done) in case.steps.iter().zip(applied.iter_mut()) {
        if *done || plan.input_overrides.is_empty() {
            continue;
        }
        let ready = match &plan.step {
            StepRef::Index(at) => *at == index,
            StepRef::Id(_) => plan
                .input_overrides
                .keys()
                .all(|key| accumulated.contains_key(key)),
        };
        if ready {
            *done = true;
            due.extend(plan.input_overrides.clone());
        }
    }
    due
}
