//! What the runner produces: one [`CaseOutcome`] per case x target, each holding its attempts.
//! Reports read these and nothing else.

use crate::check::CheckOutcome;
use crate::check::expect::Judgement;
use crate::check::observation::Observation;
use crate::suite::{Mode, Target};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// One execution of a case against a target.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Attempt {
    pub result: Judgement,
    /// The request body as sent, with signed-URL query strings redacted; kept as its JSON
    /// text, which is all the reports need and a fraction of the memory of a parsed value.
    pub request: Box<serde_json::value::RawValue>,
    pub observation: Observation,
    pub checks: Vec<CheckOutcome>,
    /// Transport-level retries (429, 5xx, broken connections) before this answer.
    pub retries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Passed,
    /// Passed, but some repeats did not: the flow is nondeterministic here.
    Flaky,
    Failed,
    Errored,
    /// Cut while a call was in flight (the deadline, Ctrl-C, another stop): the call was made,
    /// and the server may have run it and charged for it, but no verdict came. An error, not
    /// a case never started: JUnit writes `<error type="interrupted">`, not `<skipped>`.
    Interrupted,
    NotRun,
}

impl CaseStatus {
    pub fn is_success(self) -> bool {
        matches!(self, CaseStatus::Passed | CaseStatus::Flaky)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Passed => "passed",
            CaseStatus::Flaky => "flaky",
            CaseStatus::Failed => "failed",
            CaseStatus::Errored => "errored",
            CaseStatus::Interrupted => "interrupted",
            CaseStatus::NotRun => "not run",
        }
    }
}

/// Which case this is, in plan order; reports sort by it so parallel runs read in file order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CaseKey {
    pub suite: usize,
    pub case: usize,
    pub target: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseOutcome {
    /// The case's place in the plan (suite, case, target indices): reports from shards of the
    /// same plan merge back into file order by it.
    #[serde(rename = "order")]
    pub key: CaseKey,
    /// Shared by every outcome of the suite (a large run holds many).
    pub suite: Arc<str>,
    pub file: Arc<Path>,
    pub line: u32,
    pub case: String,
    pub flow: Arc<str>,
    pub target: String,
    pub mode: Mode,
    pub tags: Vec<String>,
    pub status: CaseStatus,
    /// Why the case did not run (`not run`), what cut it (`interrupted`), or what decided a
    /// repeated case a stop cut short.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Attempts that had to pass, out of `attempts.len()`.
    pub pass_if: u32,
    #[serde(with = "crate::report::duration_ms")]
    pub duration: Duration,
    pub attempts: Vec<Attempt>,
}

impl Attempt {
    /// Drop what only the JSON report reads of an attempt: the request, the output and the
    /// steps' outputs (see `report::spill`). Its result, latency, retries and checks stay.
    fn drop_payload(&mut self) {
        self.request = serde_json::value::RawValue::NULL.to_owned();
        if let crate::check::observation::Reply::Ran {
            result,
            execution_id,
            ..
        } = &mut self.observation.reply
        {
            *result = serde_json::Value::Null;
            *execution_id = None;
        }
        self.observation.steps = Vec::new();
    }
}

impl CaseOutcome {
    /// Drop the payloads of the attempts that passed, once the case is printed and written
    /// to the JSON report's spill: the other reports read only the attempts that did not pass.
    pub fn drop_passing_payloads(&mut self) {
        let passed = self.attempts.iter_mut();
        for attempt in passed.filter(|a| a.result == Judgement::Passed) {
            attempt.drop_payload();
        }
    }

    /// Combine a case's attempts into its status: enough passes is a pass (flaky when some
    /// failed); otherwise a failure if any attempt failed a check, an error if all broke.
    pub fn status_of(attempts: &[Attempt], pass_if: u32) -> CaseStatus {
        let passes = attempts
            .iter()
            .filter(|a| a.result == Judgement::Passed)
            .count() as u32;
        if attempts.is_empty() {
            CaseStatus::NotRun
        } else if passes >= pass_if && passes as usize == attempts.len() {
            CaseStatus::Passed
        } else if passes >= pass_if {
            CaseStatus::Flaky
        } else if attempts.iter().any(|a| a.result == Judgement::Failed) {
            CaseStatus::Failed
        } else {
            CaseStatus::Errored
        }
    }

    /// Suite, case and target names: what identifies a case across machines and runs.
    /// How long its async job took, the median over the attempts whose job ended (from the
    /// submit to the poll that saw the end); none for another mode.
    pub fn job_took(&self) -> Option<Duration> {
        if self.mode != Mode::Async {
            return None;
        }
        let mut took: Vec<Duration> = self
            .attempts
            .iter()
            .filter(|a| {
                matches!(
                    a.observation.reply,
                    crate::check::observation::Reply::Ran { .. }
                )
            })
            .map(|a| a.observation.latency)
            .collect();
        took.sort();
        took.get(took.len() / 2).copied()
    }

    pub fn identity(&self) -> (String, String, String) {
        (
            self.suite.to_string(),
            self.case.clone(),
            self.target.clone(),
        )
    }

    pub fn target(&self) -> Option<Target> {
        Target::parse(&self.target).ok()
    }
}

/// Counts over a run, as JUnit counts them: `errored` is every case written `<error>`, those
/// interrupted in flight included (`interrupted` says how many of them), and `not_run` every
/// case written `<skipped>`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub passed: usize,
    pub flaky: usize,
    pub failed: usize,
    pub errored: usize,
    pub not_run: usize,
    /// Of `errored`, the cases cut while a call was in flight ([`CaseStatus::Interrupted`]).
    #[serde(default)]
    pub interrupted: usize,
}

impl Totals {
    pub fn add(&mut self, status: CaseStatus) {
        match status {
            CaseStatus::Passed => self.passed += 1,
            CaseStatus::Flaky => self.flaky += 1,
            CaseStatus::Failed => self.failed += 1,
            CaseStatus::Errored => self.errored += 1,
            CaseStatus::Interrupted => {
                self.errored += 1;
                self.interrupted += 1;
            }
            CaseStatus::NotRun => self.not_run += 1,
        }
    }

    pub fn total(&self) -> usize {
        self.passed + self.flaky + self.failed + self.errored + self.not_run
    }

    /// Every case that finished errored (none was judged): the setup or the service, not
    /// the flow. A case interrupted in flight did not finish: the stop that cut it (the
    /// deadline, Ctrl-C) decides the exit code, not the service.
    pub fn errored_only(&self) -> bool {
        self.passed + self.flaky + self.failed == 0 && self.errored > self.interrupted
    }
}
