//! The process exit codes: stable, documented, defined here and nowhere else, and how a
//! run's totals and stop map to them.

use crate::run::{Stop, Totals};
use std::process::ExitCode;

/// Every case passed (or, for `validate`/`serve`, the command did its job).
pub const SUCCESS: u8 = 0;
/// At least one case failed, or the gate refused the candidate.
pub const FAILED: u8 = 1;
/// Usage or suite error: nothing was sent.
pub const USAGE: u8 = 2;
/// Infrastructure error: server unreachable, key refused, every call erroring.
pub const INFRA: u8 = 3;

pub fn code(value: u8) -> ExitCode {
    ExitCode::from(value)
}

/// The run was interrupted (Ctrl-C or SIGTERM); the reports hold what finished.
pub const INTERRUPTED: u8 = 130;

/// Why a command stopped before it sent anything, and the code it exits with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub code: u8,
}

impl Refusal {
    /// A usage error: the flags, the environment or a file they name.
    pub fn usage(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            code: USAGE,
        }
    }

    /// What the command needs locally could not be had (a local server that would not start).
    pub fn infra(message: impl Into<String>) -> Refusal {
        Refusal {
            message: message.into(),
            code: INFRA,
        }
    }

    /// Say it on stderr; the code to exit with.
    pub fn said(self) -> u8 {
        crate::errln!("error: {}", self.message);
        self.code
    }
}

impl From<String> for Refusal {
    fn from(message: String) -> Self {
        Refusal::usage(message)
    }
}

impl From<&str> for Refusal {
    fn from(message: &str) -> Self {
        Refusal::usage(message)
    }
}

/// Whether a run failed for the infrastructure's sake: a fatal stop (key refused, credits
/// spent, a server that never answered), every finished case errored, or a report not
/// written. Not after `--fail-fast`: it stopped at the first case that did not pass, so "every
/// case errored" says no more than that this one did (exit 1, as without the flag).
pub fn infrastructure_failed(errored_only: bool, stop: Option<&Stop>, report_failed: bool) -> bool {
    report_failed || only_errors_count(errored_only, stop) || matches!(stop, Some(Stop::Fatal(_)))
}

/// Whether a run whose finished cases all errored fails for the infrastructure's sake: not
/// after `--fail-fast` (see [`infrastructure_failed`]).
fn only_errors_count(errored_only: bool, stop: Option<&Stop>) -> bool {
    errored_only && stop != Some(&Stop::FailFast)
}

/// Why a run whose every finished case errored exits 3, to say once at its end: CI would
/// otherwise see 3 where it looked for 1, with nothing saying why. `None` where the exit is not
/// 3 for that reason, or a fatal stop's own note says why.
pub fn errored_only_note(totals: &Totals, stop: Option<&Stop>) -> Option<&'static str> {
    (only_errors_count(totals.errored_only(), stop) && !matches!(stop, Some(Stop::Fatal(_))))
        .then_some(
            "every case that finished errored, so no answer was judged: exit 3 (an infrastructure error, not a failure of the flow)",
        )
}

/// A run's exit code (`run`, `merge`), from its totals and why it stopped.
pub fn for_run(totals: &Totals, stop: Option<&Stop>, report_failed: bool) -> u8 {
    if infrastructure_failed(totals.errored_only(), stop, report_failed) {
        INFRA
    } else if stop == Some(&Stop::Interrupted) {
        INTERRUPTED
    } else if totals.failed + totals.errored + totals.not_run > 0 {
        FAILED
    } else {
        SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::CaseStatus;

    fn totals(statuses: &[CaseStatus]) -> Totals {
        let mut totals = Totals::default();
        statuses.iter().for_each(|s| totals.add(*s));
        totals
    }

    /// A case cut in flight is an error (JUnit's count) that did not finish: the stop that cut
    /// it decides the code, even when no case finished otherwise.
    #[test]
    fn cases_interrupted_in_flight_keep_the_stop_s_code() {
        let cut = totals(&[CaseStatus::Interrupted, CaseStatus::NotRun]);
        assert_eq!((cut.errored, cut.interrupted, cut.not_run), (1, 1, 1));
        assert_eq!(for_run(&cut, Some(&Stop::Deadline), false), FAILED);
        assert_eq!(for_run(&cut, Some(&Stop::Interrupted), false), INTERRUPTED);
        assert_eq!(
            for_run(&cut, Some(&Stop::Fatal("key refused".into())), false),
            INFRA
        );
        // A case that finished with an error, and nothing judged: the service, as before.
        let broken = totals(&[CaseStatus::Errored, CaseStatus::Interrupted]);
        assert_eq!(for_run(&broken, Some(&Stop::Deadline), false), INFRA);
        // --fail-fast stopped at the first error: one case, not the service.
        let first = totals(&[CaseStatus::Errored, CaseStatus::NotRun]);
        assert_eq!(for_run(&first, Some(&Stop::FailFast), false), FAILED);
        assert_eq!(for_run(&first, None, false), INFRA);
        let judged = totals(&[CaseStatus::Passed, CaseStatus::Interrupted]);
        assert_eq!(
            for_run(&judged, Some(&Stop::Interrupted), false),
            INTERRUPTED
        );
    }
}
