//! One case on one target, reduced to what a comparison needs; read from this run's outcomes
//! or from an earlier `--json` report.

use crate::check::expect::{total_cost, total_tokens};
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
    /// The first error of an attempt that errored, to say why a side has nothing to compare.
    pub error: Option<String>,
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
            .filter_map(|a| total_tokens(&a.observation.steps))
            .map(|t| t as f64)
            .collect();
        let costs: Vec<f64> = outcome
            .attempts
            .iter()
            .filter_map(|a| total_cost(&a.observation.steps))
            .collect();
        Sample {
            suite: outcome.suite.to_string(),
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
            error: outcome.attempts.iter().find_map(|a| match &a.result {
                AttemptResult::Errored(message) => Some(message.clone()),
                _ => None,
            }),
        }
    }
}

fn mean(values: &[f64]) -> Option<f64> {
    (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
}
