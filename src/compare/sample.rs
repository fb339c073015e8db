//! One case on one target, reduced to what a comparison needs; read from this run's outcomes
//! or from an earlier `--json` report.

use crate::check::expect::{total_cost, total_tokens};
use crate::check::observation::Reply;
use crate::run::{CaseOutcome, Judgement};
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
    /// Tokens and cost of every attempt whose steps report them.
    pub tokens: Vec<f64>,
    pub costs_usd: Vec<f64>,
    /// An answer that stands for the side's verdict, for diffs: a passing attempt's when the
    /// case passed, a failing one's when it failed.
    pub output: Option<Value>,
    /// The first error of an attempt that errored, to say why a side has nothing to compare.
    pub error: Option<String>,
    /// The first check that failed, with what it found: why the side failed.
    pub failed_check: Option<String>,
}

impl Sample {
    pub fn attempts(&self) -> u64 {
        self.passes + self.failures + self.errors
    }

    /// Attempts that were judged (an erroring attempt says nothing about the flow's answers).
    pub fn judged(&self) -> u64 {
        self.passes + self.failures
    }

    /// The side's verdict over the attempts that were judged: `pass_if` of the attempts made,
    /// scaled to the judged ones, so that an attempt that errored counts neither way (the
    /// error budget counts it).
    pub fn passed(&self) -> bool {
        let (judged, attempts) = (self.judged(), self.attempts());
        judged > 0 && self.passes >= (self.pass_if * judged).div_ceil(attempts).max(1)
    }

    /// No attempt at all: the run stopped first, or a report holds no result for the case.
    pub fn not_run(&self) -> bool {
        self.attempts() == 0
    }

    /// A side with nothing to compare, for a case present on one side only.
    pub fn missing(like: &Sample, target: &str) -> Sample {
        Sample {
            file: like.file.clone(),
            line: like.line,
            tags: like.tags.clone(),
            pass_if: like.pass_if,
            ..Sample::absent(&like.suite, &like.case, target)
        }
    }

    /// A selected case that no side's report holds: no result on `target`.
    pub fn absent(suite: &str, case: &str, target: &str) -> Sample {
        Sample {
            suite: suite.to_owned(),
            case: case.to_owned(),
            file: String::new(),
            line: 0,
            tags: Vec::new(),
            target: target.to_owned(),
            passes: 0,
            failures: 0,
            errors: 0,
            pass_if: 1,
            latencies_ms: Vec::new(),
            tokens: Vec::new(),
            costs_usd: Vec::new(),
            output: None,
            error: Some("no result in the report".into()),
            failed_check: None,
        }
    }

    /// The side with its attempts counted as errors, for `why`: its verdicts answer another
    /// question than the comparison's (a golden snapshot judged against another file).
    pub fn not_judged(mut self, why: String) -> Sample {
        self.errors = self.attempts();
        self.passes = 0;
        self.failures = 0;
        self.error = Some(why);
        self.failed_check = None;
        self
    }

    pub fn only_errors(&self) -> bool {
        self.judged() == 0
    }

    pub fn mixed(&self) -> bool {
        self.passes > 0 && self.failures > 0
    }

    pub fn from_outcome(outcome: &CaseOutcome) -> Sample {
        let count = |wanted: fn(&Judgement) -> bool| {
            outcome
                .attempts
                .iter()
                .filter(|a| wanted(&a.result))
                .count() as u64
        };
        // Latency is the judged attempts': an error (an HTTP error where a run was expected,
        // a broken connection) answers fast or not at all, and is no measure of the flow.
        let judged = outcome
            .attempts
            .iter()
            .filter(|a| !matches!(a.result, Judgement::Errored(_)));
        let tokens: Vec<f64> = outcome
            .attempts
            .iter()
            .filter_map(|a| total_tokens(&a.observation.steps))
            .map(|t| t as f64)
            .collect();
        let costs_usd: Vec<f64> = outcome
            .attempts
            .iter()
            .filter_map(|a| total_cost(&a.observation.steps))
            .collect();
        let mut sample = Sample {
            suite: outcome.suite.to_string(),
            case: outcome.case.clone(),
            file: outcome.file.display().to_string(),
            line: outcome.line,
            tags: outcome.tags.clone(),
            target: outcome.target.clone(),
            passes: count(|r| *r == Judgement::Passed),
            failures: count(|r| *r == Judgement::Failed),
            errors: count(|r| matches!(r, Judgement::Errored(_))),
            pass_if: u64::from(outcome.pass_if),
            latencies_ms: judged
                .map(|a| a.observation.latency.as_secs_f64() * 1000.0)
                .collect(),
            tokens,
            costs_usd,
            output: None,
            failed_check: None,
            error: outcome
                .attempts
                .iter()
                .find_map(|a| match &a.result {
                    Judgement::Errored(message) => Some(message.clone()),
                    _ => None,
                })
                .or_else(|| {
                    let reason = outcome.reason.as_deref().unwrap_or("the run stopped first");
                    outcome
                        .attempts
                        .is_empty()
                        .then(|| format!("not run: {reason}"))
                }),
        };
        // The first failed check of the first attempt that failed one, and how many more of
        // that attempt's failed.
        sample.failed_check = outcome.attempts.iter().find_map(|attempt| {
            let mut failed = attempt.checks.iter().filter(|check| !check.passed);
            let check = failed.next()?;
            let found = match &check.actual {
                Some(found) => crate::words::short(found, 80),
                None => "nothing".to_owned(),
            };
            let more = match failed.count() {
                0 => String::new(),
                n => format!(
                    " (and {} failed)",
                    crate::words::counted(n as u64, "other check")
                ),
            };
            Some(format!("{}: found {found}{more}", check.label))
        });
        let verdict = if sample.passed() {
            Judgement::Passed
        } else {
            Judgement::Failed
        };
        let answer = |attempt: &crate::run::Attempt| match &attempt.observation.reply {
            Reply::Ran { result, .. } => Some(result.clone()),
            _ => None,
        };
        sample.output = outcome
            .attempts
            .iter()
            .filter(|a| a.result == verdict)
            .find_map(answer)
            .or_else(|| outcome.attempts.iter().find_map(answer));
        sample
    }
}
