//! One case on one target, reduced to what a comparison needs; read from this run's outcomes
//! or from an earlier `--json` report.

use crate::check::expect::{step_cost, step_tokens};
use crate::check::observation::Reply;
use crate::run::{AttemptResult, CaseOutcome};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Sample {
    pub suite: String,
    pub case: String,
    pub file: String,
    pub line: u32,
    pub tags: Vec<String>,
    pub target: String,
    pub passes: u64,
    pub failures: u64,
    pub errors: u64,
    /// Attempts that had to pass.
    pub pass_if: u64,
    /// Latency of every attempt that got an answer, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Mean tokens and cost per attempt, where steps report them.
    pub tokens: Option<f64>,
    pub cost_usd: Option<f64>,
    /// The first attempt's result, for diffs.
    pub output: Option<Value>,
}

impl Sample {
    pub fn attempts(&self) -> u64 {
        self.passes + self.failures + self.errors
    }

    /// Attempts that were judged (an erroring attempt says nothing about the flow's answers).
    pub fn judged(&self) -> u64 {
        self.passes + self.failures
    }

    pub fn passed(&self) -> bool {
        self.attempts() > 0 && self.passes >= self.pass_if.max(1)
    }

    pub fn only_errors(&self) -> bool {
        self.judged() == 0
    }

    pub fn mixed(&self) -> bool {
        self.passes > 0 && self.failures > 0
    }

    pub fn from_outcome(outcome: &CaseOutcome) -> Sample {
        let count = |wanted: fn(&AttemptResult) -> bool| {
            outcome
                .attempts
                .iter()
                .filter(|a| wanted(&a.result))
                .count() as u64
        };
        let answered = outcome
            .attempts
            .iter()
            .filter(|a| !matches!(a.observation.reply, Reply::Broken { .. }));
        let tokens: Vec<f64> = outcome
            .attempts
            .iter()
            .filter_map(|a| {
                a.observation
                    .steps
                    .iter()
                    .filter_map(step_tokens)
                    .reduce(|x, y| x + y)
            })
            .map(|t| t as f64)
            .collect();
        let costs: Vec<f64> = outcome
            .attempts
            .iter()
            .filter_map(|a| {
                a.observation
                    .steps
                    .iter()
                    .filter_map(step_cost)
                    .reduce(|x, y| x + y)
            })
            .collect();
        Sample {
            suite: outcome.suite.clone(),
            case: outcome.case.clone(),
            file: outcome.file.display().to_string(),
            line: outcome.line,
            tags: outcome.tags.clone(),
            target: outcome.target.clone(),
            passes: count(|r| *r == AttemptResult::Passed),
            failures: count(|r| *r == AttemptResult::Failed),
            errors: count(|r| matches!(r, AttemptResult::Errored(_))),
            pass_if: u64::from(outcome.pass_if),
            latencies_ms: answered
                .map(|a| a.observation.latency.as_secs_f64() * 1000.0)
                .collect(),
            tokens: mean(&tokens),
            cost_usd: mean(&costs),
            output: outcome
                .attempts
                .first()
                .and_then(|a| match &a.observation.reply {
                    Reply::Ran { result, .. } => Some(result.clone()),
                    _ => None,
                }),
        }
    }

    /// Read one case of an earlier JSON report (`flowcheck run --json`).
    pub fn from_report(case: &Value) -> Option<Sample> {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        let attempts = case.get("attempts")?.as_array()?;
        let result_of = |a: &Value| {
            a.get("result")
                .and_then(|r| r.get("result"))
                .and_then(Value::as_str)
                .unwrap_or("errored")
                .to_owned()
        };
        let count = |what: &str| attempts.iter().filter(|a| result_of(a) == what).count() as u64;
        let observation = |a: &Value| a.get("observation").cloned().unwrap_or(Value::Null);
        let steps_sum = |a: &Value, key: &str| -> Option<f64> {
            let steps = observation(a).get("steps")?.as_array()?.clone();
            steps
                .iter()
                .filter_map(|s| match key {
                    "tokens" => s
                        .get("tokens")
                        .and_then(|t| t.get("total").and_then(Value::as_f64)),
                    _ => s
                        .get("cost_usd")
                        .and_then(Value::as_str)
                        .and_then(|c| c.parse().ok()),
                })
                .reduce(|x, y| x + y)
        };
        let tokens: Vec<f64> = attempts
            .iter()
            .filter_map(|a| steps_sum(a, "tokens"))
            .collect();
        let costs: Vec<f64> = attempts
            .iter()
            .filter_map(|a| steps_sum(a, "cost"))
            .collect();
        Some(Sample {
            suite: text(case.get("suite")?)?,
            case: text(case.get("case")?)?,
            file: case.get("file").and_then(text).unwrap_or_default(),
            line: case.get("line").and_then(Value::as_u64).unwrap_or(0) as u32,
            tags: case
                .get("tags")
                .and_then(Value::as_array)
                .map(|t| t.iter().filter_map(text).collect())
                .unwrap_or_default(),
            target: text(case.get("target")?)?,
            passes: count("passed"),
            failures: count("failed"),
            errors: count("errored"),
            pass_if: case
                .get("pass_if")
                .and_then(Value::as_u64)
                .unwrap_or(attempts.len() as u64),
            latencies_ms: attempts
                .iter()
                .filter(|a| {
                    observation(a)
                        .get("reply")
                        .and_then(|r| r.get("kind"))
                        .and_then(Value::as_str)
                        != Some("broken")
                })
                .filter_map(|a| observation(a).get("latency").and_then(Value::as_f64))
                .collect(),
            tokens: mean(&tokens),
            cost_usd: mean(&costs),
            output: attempts.first().and_then(|a| {
                let reply = observation(a).get("reply").cloned()?;
                (reply.get("kind").and_then(Value::as_str) == Some("ran"))
                    .then(|| reply.get("result").cloned())
                    .flatten()
            }),
        })
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}
