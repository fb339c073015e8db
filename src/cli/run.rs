//! `flowcheck run`: load, plan, execute concurrently, report, and exit with a stable code.

use super::execution::ExecutionArgs;
use crate::exit;
use crate::report::{self, Terminal};
use crate::run::{Stop, Totals};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub execution: ExecutionArgs,
    /// Stop starting cases after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here (every request, response, timing and check).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Accept every new or changed output as its golden snapshot.
    #[arg(long)]
    pub update_snapshots: bool,
    /// Print only cases that did not pass, and the summary.
    #[arg(long)]
    pub failures_only: bool,
}

pub async fn run(args: RunArgs) -> u8 {
    let execution = &args.execution;
    let suites = match execution.load() {
        Ok(suites) => suites,
        Err(code) => return code,
    };
    let plan = match execution.plan(&suites) {
        Ok(plan) => plan,
        Err(code) => return code,
    };
    let snapshots = crate::snapshot::Policy {
        update: args.update_snapshots,
        ci: super::in_ci(),
        golden_target: None,
    };
    let options = execution.options(args.fail_fast, snapshots);
    let mut terminal = Terminal::new(!args.failures_only);
    let executed = match execution
        .execute(&suites, &plan, &options, &mut terminal)
        .await
    {
        Ok(executed) => executed,
        Err(code) => return code,
    };
    // The reports read only the outcomes: free the loaded cases before writing them.
    drop((suites, plan));

    let mut report_failed = false;
    if crate::report::ci::detect() == crate::report::ci::Ci::GitHub {
        for annotation in crate::report::ci::github_annotations(&executed.outcomes) {
            println!("{annotation}");
        }
        let summary =
            crate::report::ci::summary(&executed.outcomes, &executed.totals, executed.elapsed);
        report_failed |= report_error(
            "job summary",
            crate::report::ci::append_step_summary(&summary),
        );
    }
    if let Some(path) = &args.junit {
        let written = report::junit::write(path, &executed.outcomes, executed.elapsed);
        report_failed |= report_error("JUnit", written);
    }
    if let Some(path) = &args.json {
        let written = report::json::write(
            path,
            &executed.outcomes,
            executed.totals,
            executed.started_at,
            executed.elapsed,
            &executed.server,
            executed.stop.as_ref(),
        );
        report_failed |= report_error("JSON", written);
    }
    exit_code(&executed.totals, executed.stop.as_ref(), report_failed)
}

pub fn report_error(what: &str, written: Result<(), String>) -> bool {
    match written {
        Ok(()) => false,
        Err(message) => {
            eprintln!("error: the {what} report was not written: {message}");
            true
        }
    }
}

/// The stable exit codes (see `crate::exit`).
fn exit_code(totals: &Totals, stop: Option<&Stop>, report_failed: bool) -> u8 {
    let judged = totals.passed + totals.flaky + totals.failed;
    if matches!(stop, Some(Stop::Fatal(_))) || report_failed || (judged == 0 && totals.errored > 0)
    {
        exit::INFRA
    } else if matches!(stop, Some(Stop::Interrupted)) {
        exit::INTERRUPTED
    } else if totals.failed + totals.errored + totals.not_run > 0 {
        exit::FAILED
    } else {
        exit::SUCCESS
    }
}
