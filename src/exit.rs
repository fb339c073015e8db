//! The process exit codes: stable, documented, defined here and nowhere else.

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
