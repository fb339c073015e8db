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

/// Whether a run failed for the infrastructure's sake: a fatal stop (key refused, credits
/// spent), every finished case errored, or a report not written.
pub fn infrastructure_failed(errored_only: bool, stop: Option<&Stop>, report_failed: bool) -> bool {
    report_failed || errored_only || matches!(stop, Some(Stop::Fatal(_)))
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
