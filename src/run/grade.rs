//! Asking grader flows for the case's `judge` checks, before the checks are judged.

use super::retry::{RetryPolicy, with_retry};
use super::transport::Progress;
use crate::api::{ApiError, Client, RunReply};
use crate::check::observation::{Observation, Reply, run_failure};
use crate::check::{Check, Expectation, Grade, Grades, JudgeSpec, StepRef};
use serde_json::{Value, json};
use tokio::time::Instant;

/// Grade every top-level judge check of `expect` on this observation, into `grades`. Each
/// check holds "not graded" until its grader answers, so that a stop that cuts the asking
/// leaves the grades that came and says which did not. `progress` is the attempt's: a stop cuts
/// a grader's call waiting to retry as it cuts the flow's.
pub async fn grade(
    client: &Client,
    expect: &Expectation,
    observation: &Observation,
    policy: &RetryPolicy,
    deadline: Instant,
    progress: &Progress,
    grades: &mut Grades,
) {
    let Reply::Ran { result, .. } = &observation.reply else {
        return;
    };
    let mut wanted: Vec<(&JudgeSpec, Option<Value>)> = Vec::new();
    collect(&mut wanted, &expect.output, Some(result));
    for step in &expect.steps {
        let observed = observation.steps.iter().find(|s| match &step.step {
            StepRef::Id(id) => &s.id == id,
            StepRef::Index(index) => s.index == *index,
        });
        collect(&mut wanted, &step.checks, observed.map(|s| &s.output));
    }
    for (spec, _) in &wanted {
        let why = format!(
            "not graded: the run stopped while the grader {}@{} was asked",
            spec.flow, spec.target
        );
        grades.0.insert(
            spec.id,
            Grade::Unavailable {
                why,
                stops_run: None,
            },
        );
    }
    for (spec, value) in wanted {
        let grade = match value {
            None => Grade::Failed("there is no value at the path to grade".into()),
            Some(value) => ask(client, spec, &value, policy, deadline, progress).await,
        };
        grades.0.insert(spec.id, grade);
    }
}

fn collect<'a>(
    wanted: &mut Vec<(&'a JudgeSpec, Option<Value>)>,
    checks: &'a [Check],
    root: Option<&Value>,
) {
    for check in checks {
        if let Some(spec) = check.predicate.judge() {
            wanted.push((spec, root.and_then(|root| check.select(root))));
        }
    }
}

async fn ask(
    client: &Client,
    spec: &JudgeSpec,
    value: &Value,
    policy: &RetryPolicy,
    deadline: Instant,
    progress: &Progress,
) -> Grade {
    let text = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let body = json!({"message": text, "parameters": {"rubric": spec.rubric}});
    // The attempt's progress: its retries were counted when its flow answered, and a pause
    // here is one that a stop cuts.
    let (answer, _) = with_retry(policy, deadline, progress, || {
        client.execute(&spec.flow, spec.target, &body)
    })
    .await;
    match answer {
        Ok(reply) => read_grade(&reply),
        Err(err) => Grade::Unavailable {
            why: format!("the grader {}@{} answered {err}", spec.flow, spec.target),
            stops_run: match &err {
                ApiError::Http { status, .. } => run_failure(*status).map(|what| {
                    format!(
                        "{what} for the grader's project {}/{} ({err})",
                        spec.flow.org, spec.flow.project
                    )
                }),
                _ => None,
            },
        },
    }
}

/// `result.score` in 0..=1 (a number or numeric string), and `result.reason` if given.
fn read_grade(reply: &RunReply) -> Grade {
    if reply.status != "completed" {
        return Grade::Failed(format!("the grader run ended {}", reply.status));
    }
    let score = reply
        .result
        .get("score")
        .and_then(crate::check::predicate::as_number);
    match score {
        Some(score) if (0.0..=1.0).contains(&score) => Grade::Scored {
            score,
            reason: reply
                .result
                .get("reason")
                .and_then(Value::as_str)
                .map(str::to_owned),
        },
        Some(score) => Grade::Failed(format!("the grader's score {score} is outside 0..1")),
        None => Grade::Failed(format!(
            "the grader's result has no numeric `score`: {}",
            crate::words::short(&reply.result, 200)
        )),
    }
}
