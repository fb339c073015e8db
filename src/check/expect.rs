//! A case's expectations and the judgement of one observation against them.

use super::grade::Grades;
use super::observation::{Observation, ObservedStep, Reply, refusal_text, run_failure};
use super::{Check, CheckOutcome};
use serde_json::{Value, json};
use std::time::Duration;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema,
)]
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

/// Limits on what steps report spending (step mode only).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct UsageLimits {
    pub max_tokens: Option<u64>,
    pub max_cost_usd: Option<f64>,
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
    pub usage: Option<UsageLimits>,
    pub line: u32,
}

#[derive(Debug, Clone, Default)]
pub struct Expectation {
    /// `None` with no `error` expected means "completed".
    pub status: Option<FlowStatus>,
    pub error: Option<ErrorExpectation>,
    pub block_count: Option<u64>,
    pub latency: Option<LatencyBounds>,
    pub usage: Option<UsageLimits>,
    pub output: Vec<Check>,
    pub steps: Vec<StepExpectation>,
    /// Pass on a weighted score of the output and step checks instead of all of them.
    pub threshold: Option<f64>,
    /// Compare the output with its golden snapshot (judged by the runner, which owns files).
    pub snapshot: Option<crate::snapshot::SnapshotSpec>,
    pub line: u32,
    /// Where each run-level expectation is written, for its failure to point at.
    pub lines: KeyLines,
}

/// The line of each run-level key under `expect` (0 where it is not written: the line of
/// `expect` stands in, as it does for the `completed` status expected by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyLines {
    pub status: u32,
    /// `error`, and its `http` and `code` (a block mapping's value starts at its first key).
    pub error: u32,
    pub error_http: u32,
    pub error_code: u32,
    pub block_count: u32,
    pub latency_min: u32,
    pub latency_max: u32,
    pub usage: u32,
    pub threshold: u32,
    pub snapshot: u32,
}

impl KeyLines {
    /// Every line, to be moved together (a generated case's).
    pub fn each_mut(&mut self) -> [&mut u32; 10] {
        [
            &mut self.status,
            &mut self.error,
            &mut self.error_http,
            &mut self.error_code,
            &mut self.block_count,
            &mut self.latency_min,
            &mut self.latency_max,
            &mut self.usage,
            &mut self.threshold,
            &mut self.snapshot,
        ]
    }
}

/// The judgement of one observation: an attempt's result.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "result", content = "message", rename_all = "snake_case")]
pub enum Judgement {
    Passed,
    /// A check did not hold: the flow answered, but not as expected.
    Failed,
    /// No judgement was possible: the call broke or the server erred.
    Errored(String),
}

impl Expectation {
    /// Every top-level check, output and per-step, for the runner to find judges in.
    pub fn checks(&self) -> impl Iterator<Item = &Check> {
        self.output
            .iter()
            .chain(self.steps.iter().flat_map(|s| s.checks.iter()))
    }

    /// Whether a grader flow is asked for a `judge` check.
    pub fn asks_graders(&self) -> bool {
        self.checks().any(|check| check.predicate.judge().is_some())
    }

    pub fn judge(
        &self,
        observation: &Observation,
        grades: &Grades,
    ) -> (Judgement, Vec<CheckOutcome>) {
        // A grader that could not be asked errors the case, as its own call would (graders
        // are asked only for a flow that ran).
        if let Some(why) = grades.unavailable() {
            return (Judgement::Errored(why.to_owned()), Vec::new());
        }
        // Run-level outcomes must all pass; scored ones (output and step checks) may instead
        // reach a weighted threshold when the case asks for one.
        let (mut run_level, mut scored) = match &observation.reply {
            Reply::Broken { message } => return (Judgement::Errored(message.clone()), Vec::new()),
            Reply::Refused {
                http,
                code,
                message,
            } => match self.judge_refused(*http, code, message) {
                Ok(run_level) => (run_level, Vec::new()),
                Err(why) => return (Judgement::Errored(why), Vec::new()),
            },
            Reply::Ran {
                status,
                result,
                block_count,
                ..
            } => self.judge_ran(status, result, *block_count, observation, grades),
        };
        if let Some(bounds) = &self.latency {
            let lines = (
                self.at(self.lines.latency_min),
                self.at(self.lines.latency_max),
            );
            run_level.extend(judge_latency(bounds, observation.latency, lines));
        }
        let passed = self.scored_pass(&mut scored) && run_level.iter().all(|o| o.passed);
        run_level.extend(scored);
        // Kept for the reports until the run ends: no spare capacity per case.
        run_level.shrink_to_fit();
        let judgement = if passed {
            Judgement::Passed
        } else {
            Judgement::Failed
        };
        (judgement, run_level)
    }

    /// A refused request: the outcomes of the expected error, a failed `status` for a request
    /// refused as malformed, or why no judgement is possible (the setup, the service).
    fn judge_refused(
        &self,
        http: u16,
        code: &Option<String>,
        message: &str,
    ) -> Result<Vec<CheckOutcome>, String> {
        // The run's key refused or its credits spent: the run stops (exit 3), and no case's
        // expected error is met by it, whatever the order the calls came back in.
        if run_failure(http).is_some() {
            let why = if self.error.is_some() {
                " (the run's key or credits, not this case: a 401 or 402 never counts as an expected error)"
            } else {
                ""
            };
            return Err(format!("{}{why}", refusal_text(http, code, message)));
        }
        match &self.error {
            // A key without access, a flow or version not found, a rate limit or a server
            // failure (after its retries) is the setup or the service, not this request
            // refused: it meets an expected error only when that names it.
            Some(expected)
                if not_a_refusal(http).is_some()
                    && expected.http != Some(http)
                    && (expected.code.is_none() || expected.code.as_deref() != code.as_deref()) =>
            {
                let what = not_a_refusal(http).unwrap_or_default();
                Err(format!(
                    "{} ({what}, not a refusal of the request: it meets an expected error only when that names its status or code)",
                    refusal_text(http, code, message)
                ))
            }
            Some(expected) => Ok(self.judge_refusal(expected, http, code.as_deref(), message)),
            None if matches!(http, 400 | 422) => Ok(vec![self.outcome(
                ("status", self.lines.status),
                self.status.unwrap_or(FlowStatus::Completed).as_str(),
                Some(refusal_value(http, code.as_deref(), message)),
                false,
                Some(format!(
                    "the request was refused: HTTP {http} {}",
                    code.as_deref().unwrap_or(message)
                )),
            )]),
            None => Err(refusal_text(http, code, message)),
        }
    }

    /// A flow that ran: its run-level outcomes (status, block count, usage, steps') and its
    /// scored ones (output and step checks).
    fn judge_ran(
        &self,
        status: &str,
        result: &Value,
        block_count: Option<u64>,
        observation: &Observation,
        grades: &Grades,
    ) -> (Vec<CheckOutcome>, Vec<CheckOutcome>) {
        if let Some(expected) = &self.error {
            let refused = self.outcome(
                ("error", self.lines.error),
                &describe_error(expected),
                Some(json!({"status": status})),
                false,
                Some(format!(
                    "the flow ran and ended {status} instead of being refused"
                )),
            );
            return (vec![refused], Vec::new());
        }
        let mut run_level = Vec::new();
        let want = self.status.unwrap_or(FlowStatus::Completed).as_str();
        let detail = (status != want && status == "failed")
            .then(|| format!("the flow failed: {}", crate::words::short(result, 300)));
        run_level.push(self.outcome(
            ("status", self.lines.status),
            want,
            Some(Value::String(status.to_owned())),
            status == want,
            detail,
        ));
        if let Some(want) = self.block_count {
            run_level.push(self.outcome(
                ("block_count", self.lines.block_count),
                &want.to_string(),
                block_count.map(Value::from),
                block_count == Some(want),
                None,
            ));
        }
        if let Some(limits) = &self.usage {
            let line = self.at(self.lines.usage);
            run_level.extend(judge_usage("usage", limits, &observation.steps, line));
        }
        let mut scored: Vec<CheckOutcome> = self
            .output
            .iter()
            .map(|check| check.evaluate(Some(result), grades))
            .collect();
        let (step_run_level, step_scored) = self.judge_steps(observation, grades);
        run_level.extend(step_run_level);
        scored.extend(step_scored);
        (run_level, scored)
    }

    /// Whether the scored outcomes pass: all of them, or their weighted score reaching the
    /// case's `threshold` (added as an outcome of its own).
    fn scored_pass(&self, scored: &mut Vec<CheckOutcome>) -> bool {
        let Some(threshold) = self.threshold else {
            return scored.iter().all(|o| o.passed);
        };
        let score = weighted_score(scored);
        // 0.3 of 0.4 is 0.75 as written, and a little under it in binary: shown as 0.75, it
        // must not fail a threshold of 0.75 (the rounding forgiven as `approx` forgives it).
        let passed = super::predicate::reaches(score, threshold);
        scored.push(CheckOutcome {
            label: format!("weighted score >= {threshold}").into(),
            passed,
            expected: format!(">= {threshold}").into(),
            actual: Some(Box::new(json!((score * 1000.0).round() / 1000.0))),
            expected_value: None,
            detail: (!passed)
                .then(|| format!("the checks that passed weigh {score:.3} of the total")),
            score: Some(score),
            weight: 0.0,
            line: self.at(self.lines.threshold),
        });
        passed
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
                ("error.http", self.lines.error_http),
                &want.to_string(),
                Some(found.clone()),
                want == http,
                None,
            ));
        }
        if let Some(want) = &expected.code {
            outcomes.push(self.outcome(
                ("error.code", self.lines.error_code),
                want,
                Some(found.clone()),
                code == Some(want.as_str()),
                None,
            ));
        }
        if outcomes.is_empty() {
            let what = ("error", self.lines.error);
            outcomes.push(self.outcome(what, "any error", Some(found), true, None));
        }
        // In the order they are written (`code` above `http`, say): the first failed one is
        // what a report and an annotation show.
        outcomes.sort_by_key(|outcome| outcome.line);
        outcomes
    }

    /// (usage outcomes, check outcomes) of every step expectation.
    fn judge_steps(
        &self,
        observation: &Observation,
        grades: &Grades,
    ) -> (Vec<CheckOutcome>, Vec<CheckOutcome>) {
        let (mut run_level, mut scored) = (Vec::new(), Vec::new());
        for expectation in &self.steps {
            let observed = observation
                .steps
                .iter()
                .find(|step| match &expectation.step {
                    StepRef::Id(id) => &step.id == id,
                    StepRef::Index(index) => step.index == *index,
                });
            let Some(step) = observed else {
                let seen: Vec<&str> = observation.steps.iter().map(|s| s.id.as_str()).collect();
                run_level.push(CheckOutcome {
                    label: format!("step {}", expectation.step).into(),
                    passed: false,
                    expected: "the step to complete".into(),
                    actual: None,
                    expected_value: None,
                    detail: Some(format!(
                        "no step {} completed{} (steps seen: {})",
                        expectation.step,
                        match &expectation.step {
                            StepRef::Id(id) =>
                                crate::diagnostic::did_you_mean(id, seen.iter().copied())
                                    .map(|h| format!("; {h}"))
                                    .unwrap_or_default(),
                            StepRef::Index(_) => String::new(),
                        },
                        if seen.is_empty() {
                            "none".to_owned()
                        } else {
                            seen.join(", ")
                        }
                    )),
                    score: None,
                    weight: 1.0,
                    line: expectation.line,
                });
                continue;
            };
            if let Some(limits) = &expectation.usage {
                run_level.extend(judge_usage(
                    &format!("step {}: usage", step.id),
                    limits,
                    std::slice::from_ref(step),
                    expectation.line,
                ));
            }
            for check in &expectation.checks {
                let mut outcome = check.evaluate(Some(&step.output), grades);
                outcome.label = format!("step {}: {}", step.id, outcome.label).into();
                scored.push(outcome);
            }
        }
        (run_level, scored)
    }

    /// The line of a run-level expectation's key, or of `expect` where it is not written.
    pub fn at(&self, line: u32) -> u32 {
        if line > 0 { line } else { self.line }
    }

    /// The outcome of the run-level expectation `what`, written at `line`.
    fn outcome(
        &self,
        (what, line): (&str, u32),
        expected: &str,
        actual: Option<Value>,
        passed: bool,
        detail: Option<String>,
    ) -> CheckOutcome {
        CheckOutcome {
            label: format!("{what} is {expected}").into(),
            passed,
            expected: expected.into(),
            actual: actual.map(Box::new),
            expected_value: None,
            detail,
            score: None,
            weight: 1.0,
            line: self.at(line),
        }
    }
}

/// The weight of the passing checks over the weight of all checks (1 when nothing weighs).
fn weighted_score(outcomes: &[CheckOutcome]) -> f64 {
    let total: f64 = outcomes.iter().map(|o| o.weight).sum();
    if total == 0.0 {
        return 1.0;
    }
    // A sum of floats starts at -0.0: with no check passed, the score would read -0.000.
    let passed = outcomes.iter().filter(|o| o.passed).map(|o| o.weight);
    (passed.fold(0.0, |sum, weight| sum + weight)) / total
}

fn refusal_value(http: u16, code: Option<&str>, message: &str) -> Value {
    json!({"http": http, "code": code, "message": message})
}

/// What an HTTP status says when it is not the request refused: the setup or the service.
fn not_a_refusal(http: u16) -> Option<&'static str> {
    match http {
        403 => Some("the key has no access to this flow"),
        404 => Some("the flow, version or endpoint was not found"),
        429 => Some("a rate limit"),
        500.. => Some("a server failure"),
        _ => None,
    }
}

fn describe_error(expected: &ErrorExpectation) -> String {
    match (&expected.http, &expected.code) {
        (Some(http), Some(code)) => format!("HTTP {http} {code}"),
        (Some(http), None) => format!("HTTP {http}"),
        (None, Some(code)) => code.clone(),
        (None, None) => "an error".into(),
    }
}

/// Tokens a step reports: `tokens.total`, else prompt + completion.
fn step_tokens(step: &ObservedStep) -> Option<u64> {
    let tokens = step.tokens.as_ref()?;
    tokens.get("total").and_then(Value::as_u64).or_else(|| {
        let part = |k| tokens.get(k).and_then(Value::as_u64);
        Some(part("prompt")?.saturating_add(part("completion")?))
    })
}

/// The tokens the steps report, added up (a sum past `u64::MAX` stays there, never wraps to a
/// small number that would pass a limit); `None` when none reports any.
pub fn total_tokens(steps: &[ObservedStep]) -> Option<u64> {
    steps
        .iter()
        .filter_map(step_tokens)
        .reduce(u64::saturating_add)
}

/// The cost the steps report, added up; `None` when none reports any.
pub fn total_cost(steps: &[ObservedStep]) -> Option<f64> {
    steps.iter().filter_map(step_cost).reduce(|a, b| a + b)
}

/// The cost a step reports, read from its decimal string.
fn step_cost(step: &ObservedStep) -> Option<f64> {
    step.cost_usd
        .as_deref()
        .and_then(|c| c.trim().parse::<f64>().ok())
        .filter(|c| c.is_finite())
}

fn judge_usage(
    what: &str,
    limits: &UsageLimits,
    steps: &[ObservedStep],
    line: u32,
) -> Vec<CheckOutcome> {
    let mut outcomes = Vec::new();
    let mut push = |label: String,
                    expected: String,
                    actual: Option<Value>,
                    passed: bool,
                    detail: Option<String>| {
        outcomes.push(CheckOutcome {
            label: label.into(),
            passed,
            expected: expected.into(),
            actual: actual.map(Box::new),
            expected_value: None,
            detail,
            score: None,
            weight: 1.0,
            line,
        })
    };
    // No step at all: the case did not run step by step. Steps without usage: the server
    // did not report it in a form this reads.
    let none_reported = |what: &str| {
        if steps.is_empty() {
            "no usage was reported: usage is reported by step-through (mode: step)".to_owned()
        } else {
            format!("no step reported {what}")
        }
    };
    if let Some(max) = limits.max_tokens {
        let total = total_tokens(steps);
        let passed = total.is_some_and(|t| t <= max);
        let detail = total.is_none().then(|| {
            none_reported("its tokens (`tokens.total`, or `tokens.prompt` and `tokens.completion`)")
        });
        push(
            format!("{what}: tokens <= {max}"),
            format!("<= {max}"),
            total.map(Value::from),
            passed,
            detail,
        );
    }
    if let Some(max) = limits.max_cost_usd {
        let total = total_cost(steps);
        let passed = total.is_some_and(|c| c <= max + f64::EPSILON);
        let detail = total
            .is_none()
            .then(|| none_reported("its cost (`costUsd`, a decimal number as a string)"));
        push(
            format!("{what}: cost <= ${max}"),
            format!("<= {max}"),
            total.map(|c| json!(c)),
            passed,
            detail,
        );
    }
    outcomes
}

/// The latency's bounds judged, each at its line (`min`'s, `max`'s).
fn judge_latency(
    bounds: &LatencyBounds,
    latency: Duration,
    (min_line, max_line): (u32, u32),
) -> Vec<CheckOutcome> {
    // Under a second, to a tenth of a millisecond: a fast call is not "0s".
    let found = Value::String(if latency < Duration::from_secs(1) {
        format!("{:.1}ms", latency.as_secs_f64() * 1000.0)
    } else {
        humantime::format_duration(Duration::from_millis(latency.as_millis() as u64)).to_string()
    });
    let mut outcomes = Vec::new();
    let mut push = |expected: String, passed: bool, line: u32| {
        outcomes.push(CheckOutcome {
            label: format!("latency {expected}").into(),
            passed,
            expected: expected.into(),
            actual: Some(Box::new(found.clone())),
            expected_value: None,
            detail: None,
            score: None,
            weight: 1.0,
            line,
        })
    };
    if let Some(max) = bounds.max {
        push(
            format!("<= {}", humantime::format_duration(max)),
            latency <= max,
            max_line,
        );
    }
    if let Some(min) = bounds.min {
        push(
            format!(">= {}", humantime::format_duration(min)),
            latency >= min,
            min_line,
        );
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With no check passed, the score is 0, not -0 (a float sum starts at -0.0, and the
    /// reports wrote `-0.000`).
    #[test]
    fn a_score_with_nothing_passed_is_plain_zero() {
        let failed = CheckOutcome {
            label: "x".into(),
            passed: false,
            expected: "y".into(),
            actual: None,
            expected_value: None,
            detail: None,
            score: None,
            weight: 1.0,
            line: 1,
        };
        let score = weighted_score(&[failed]);
        assert!(score == 0.0 && score.is_sign_positive(), "{score}");
        assert_eq!(format!("{score:.3}"), "0.000");
    }

    fn outcome(passed: bool, weight: f64) -> CheckOutcome {
        CheckOutcome {
            label: "x".into(),
            passed,
            expected: "y".into(),
            actual: None,
            expected_value: None,
            detail: None,
            score: None,
            weight,
            line: 1,
        }
    }

    /// 0.3 of 0.4 is 0.75 as written, and 0.7499999999999999 in binary: a threshold of 0.75
    /// is reached (it failed, with "found: 0.75").
    #[test]
    fn a_score_exactly_at_the_threshold_passes() {
        let expect = Expectation {
            threshold: Some(0.75),
            ..Expectation::default()
        };
        let mut scored = vec![outcome(true, 0.3), outcome(false, 0.1)];
        assert!(expect.scored_pass(&mut scored), "{scored:?}");
        let last = scored.last().expect("the threshold's outcome");
        assert!(last.passed && last.detail.is_none(), "{last:?}");
        let mut short = vec![outcome(true, 0.29), outcome(false, 0.11)];
        assert!(!expect.scored_pass(&mut short), "{short:?}");
    }

    fn step(tokens: Value) -> ObservedStep {
        ObservedStep {
            id: "a".into(),
            index: 0,
            name: None,
            output: Value::Null,
            duration_ms: None,
            tokens: Some(tokens),
            cost_usd: None,
        }
    }

    #[test]
    fn the_runs_key_or_credits_refused_never_meet_an_expected_error() {
        let refused = |http: u16, code: &str| Observation {
            reply: Reply::Refused {
                http,
                code: Some(code.into()),
                message: "no".into(),
            },
            latency: Duration::ZERO,
            steps: Vec::new(),
        };
        let expecting = |http: Option<u16>, code: Option<&str>| Expectation {
            error: Some(ErrorExpectation {
                http,
                code: code.map(str::to_owned),
            }),
            ..Expectation::default()
        };
        for (expect, observed) in [
            (expecting(None, None), refused(401, "UNAUTHORIZED")),
            (expecting(Some(401), None), refused(401, "UNAUTHORIZED")),
            (
                expecting(None, Some("CREDITS_EXHAUSTED")),
                refused(402, "CREDITS_EXHAUSTED"),
            ),
            (Expectation::default(), refused(402, "CREDITS_EXHAUSTED")),
        ] {
            let (judgement, _) = expect.judge(&observed, &Grades::none());
            assert!(
                matches!(&judgement, Judgement::Errored(m) if m.starts_with("HTTP 40")),
                "{judgement:?}"
            );
        }
        // Any other refusal still meets the expectation.
        let (judgement, _) =
            expecting(None, None).judge(&refused(400, "MODEL_MIME_INCOMPATIBLE"), &Grades::none());
        assert_eq!(judgement, Judgement::Passed);
        // A rate limit or a server failure is no refusal, unless the expectation names it.
        for (http, code) in [
            (403, "FORBIDDEN"),
            (404, "FLOW_NOT_FOUND"),
            (429, "RATE_LIMITED"),
            (500, "INTERNAL_ERROR"),
            (503, "SERVICE_UNAVAILABLE"),
        ] {
            let (judgement, _) = expecting(None, None).judge(&refused(http, code), &Grades::none());
            assert!(
                matches!(&judgement, Judgement::Errored(m) if m.contains("not a refusal of the request")),
                "{judgement:?}"
            );
            let (named, _) =
                expecting(Some(http), None).judge(&refused(http, code), &Grades::none());
            assert_eq!(named, Judgement::Passed);
            let (by_code, _) =
                expecting(None, Some(code)).judge(&refused(http, code), &Grades::none());
            assert_eq!(by_code, Judgement::Passed);
        }
    }

    #[test]
    fn token_totals_stop_at_the_largest_number_rather_than_wrap() {
        let half = 1u64 << 63;
        let steps = [step(json!({"total": half})), step(json!({"total": half}))];
        assert_eq!(total_tokens(&steps), Some(u64::MAX));
        let parts = [step(json!({"prompt": u64::MAX, "completion": 1}))];
        assert_eq!(total_tokens(&parts), Some(u64::MAX));
        let limits = UsageLimits {
            max_tokens: Some(10),
            max_cost_usd: Some(1.0),
        };
        let outcomes = judge_usage("usage", &limits, &steps, 1);
        assert!(!outcomes[0].passed, "{outcomes:?}");
        // Steps that report no cost are told apart from a case that ran no step.
        assert_eq!(
            outcomes[1].detail.as_deref(),
            Some("no step reported its cost (`costUsd`, a decimal number as a string)")
        );
        let none = judge_usage("usage", &limits, &[], 1);
        assert!(
            none[0]
                .detail
                .as_deref()
                .is_some_and(|d| d.contains("mode: step"))
        );
    }
}
