//! A case's expectations and the judgement of one observation against them.

use super::observation::{Observation, Reply};
use super::{Check, CheckOutcome};
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FlowStatus {
    Completed,
    Failed,
}

impl FlowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FlowStatus::Completed => "completed",
            FlowStatus::Failed => "failed",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct ErrorExpectation {
    pub http: Option<u16>,
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct LatencyBounds {
    pub min: Option<Duration>,
    pub max: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepRef {
    Id(String),
    Index(usize),
}

impl std::fmt::Display for StepRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StepRef::Id(id) => write!(f, "{id}"),
            StepRef::Index(index) => write!(f, "#{index}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct StepExpectation {
    pub step: StepRef,
    pub checks: Vec<Check>,
    pub line: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Expectation {
    /// `None` with no `error` expected means "completed".
    pub status: Option<FlowStatus>,
    pub error: Option<ErrorExpectation>,
    pub block_count: Option<u64>,
    pub latency: Option<LatencyBounds>,
    pub output: Vec<Check>,
    pub steps: Vec<StepExpectation>,
    pub line: u32,
}

/// The judgement of one observation.
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    Passed,
    /// A check did not hold: the flow answered, but not as expected.
    Failed,
    /// No judgement was possible: the call broke or the server erred.
    Errored(String),
}

impl Expectation {
    pub fn judge(&self, observation: &Observation) -> (Judgement, Vec<CheckOutcome>) {
        let mut outcomes = Vec::new();
        match &observation.reply {
            Reply::Broken { message } => return (Judgement::Errored(message.clone()), outcomes),
            Reply::Refused {
                http,
                code,
                message,
            } => match &self.error {
                Some(expected) => {
                    outcomes.extend(self.judge_refusal(expected, *http, code.as_deref(), message));
                }
                None if matches!(http, 400 | 422) => outcomes.push(self.outcome(
                    "status",
                    self.status.unwrap_or(FlowStatus::Completed).as_str(),
                    Some(refusal_value(*http, code.as_deref(), message)),
                    false,
                    Some(format!(
                        "the request was refused: HTTP {http} {}",
                        code.as_deref().unwrap_or(message)
                    )),
                )),
                None => {
                    let code = code.as_deref().map(|c| format!(" {c}")).unwrap_or_default();
                    return (
                        Judgement::Errored(format!("HTTP {http}{code}: {message}")),
                        outcomes,
                    );
                }
            },
            Reply::Ran {
                status,
                result,
                block_count,
                ..
            } => {
                if let Some(expected) = &self.error {
                    outcomes.push(self.outcome(
                        "error",
                        &describe_error(expected),
                        Some(json!({"status": status})),
                        false,
                        Some(format!(
                            "the flow ran and ended {status} instead of being refused"
                        )),
                    ));
                } else {
                    let want = self.status.unwrap_or(FlowStatus::Completed).as_str();
                    let detail = (status != want && status == "failed")
                        .then(|| format!("the flow failed: {}", super::short(result, 300)));
                    outcomes.push(self.outcome(
                        "status",
                        want,
                        Some(Value::String(status.clone())),
                        status == want,
                        detail,
                    ));
                    if let Some(want) = self.block_count {
                        let passed = *block_count == Some(want);
                        outcomes.push(self.outcome(
                            "block_count",
                            &want.to_string(),
                            block_count.map(Value::from),
                            passed,
                            None,
                        ));
                    }
                    for check in &self.output {
                        outcomes.push(check.evaluate(Some(result)));
                    }
                    outcomes.extend(self.judge_steps(observation));
                }
            }
        }
        if let Some(bounds) = &self.latency {
            outcomes.extend(judge_latency(bounds, observation.latency, self.line));
        }
        let judgement = if outcomes.iter().all(|o| o.passed) {
            Judgement::Passed
        } else {
            Judgement::Failed
        };
        // Kept for the reports until the run ends: no spare capacity per case.
        outcomes.shrink_to_fit();
        (judgement, outcomes)
    }

    fn judge_refusal(
        &self,
        expected: &ErrorExpectation,
        http: u16,
        code: Option<&str>,
        message: &str,
    ) -> Vec<CheckOutcome> {
        let found = refusal_value(http, code, message);
        let mut outcomes = Vec::new();
        if let Some(want) = expected.http {
            outcomes.push(self.outcome(
                "error.http",
                &want.to_string(),
                Some(found.clone()),
                want == http,
                None,
            ));
        }
        if let Some(want) = &expected.code {
            let passed = code == Some(want.as_str());
            outcomes.push(self.outcome("error.code", want, Some(found.clone()), passed, None));
        }
        if outcomes.is_empty() {
            outcomes.push(self.outcome("error", "any error", Some(found), true, None));
        }
        outcomes
    }

    fn judge_steps(&self, observation: &Observation) -> Vec<CheckOutcome> {
        let mut outcomes = Vec::new();
        for expectation in &self.steps {
            let observed = observation
                .steps
                .iter()
                .find(|step| match &expectation.step {
                    StepRef::Id(id) => &step.id == id,
                    StepRef::Index(index) => step.index == *index,
                });
            match observed {
                None => outcomes.push(CheckOutcome {
                    label: format!("step {}", expectation.step),
                    passed: false,
                    expected: "the step to complete".into(),
                    actual: None,
                    expected_value: None,
                    detail: Some(format!(
                        "no step {} completed (steps seen: {})",
                        expectation.step,
                        observation
                            .steps
                            .iter()
                            .map(|s| s.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                    line: expectation.line,
                }),
                Some(step) => {
                    for check in &expectation.checks {
                        let mut outcome = check.evaluate(Some(&step.output));
                        outcome.label = format!("step {}: {}", step.id, outcome.label);
                        outcomes.push(outcome);
                    }
                }
            }
        }
        outcomes
    }

    fn outcome(
        &self,
        what: &str,
        expected: &str,
        actual: Option<Value>,
        passed: bool,
        detail: Option<String>,
    ) -> CheckOutcome {
        CheckOutcome {
            label: format!("{what} is {expected}"),
            passed,
            expected: expected.to_owned(),
            actual,
            expected_value: None,
            detail,
            line: self.line,
        }
    }
}

fn refusal_value(http: u16, code: Option<&str>, message: &str) -> Value {
    json!({"http": http, "code": code, "message": message})
}

fn describe_error(expected: &ErrorExpectation) -> String {
    match (&expected.http, &expected.code) {
        (Some(http), Some(code)) => format!("HTTP {http} {code}"),
        (Some(http), None) => format!("HTTP {http}"),
        (None, Some(code)) => code.clone(),
        (None, None) => "an error".into(),
    }
}

fn judge_latency(bounds: &LatencyBounds, latency: Duration, line: u32) -> Vec<CheckOutcome> {
    let found = Value::String(humantime::format_duration(round_ms(latency)).to_string());
    let mut outcomes = Vec::new();
    let mut push = |expected: String, passed: bool| {
        outcomes.push(CheckOutcome {
            label: format!("latency {expected}"),
            passed,
            expected,
            actual: Some(found.clone()),
            expected_value: None,
            detail: None,
            line,
        })
    };
    if let Some(max) = bounds.max {
        push(
            format!("<= {}", humantime::format_duration(max)),
            latency <= max,
        );
    }
    if let Some(min) = bounds.min {
        push(
            format!(">= {}", humantime::format_duration(min)),
            latency >= min,
        );
    }
    outcomes
}

fn round_ms(duration: Duration) -> Duration {
    Duration::from_millis(duration.as_millis() as u64)
}
