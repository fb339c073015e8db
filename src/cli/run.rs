//! `flowcheck run`: load, plan, execute concurrently, report, and exit with a stable code.

use super::execution::{ExecutionArgs, Selected};
use crate::exit;
use crate::report::style::{DIM, paint};
use crate::report::{self, Terminal};
use crate::run::Planned;
use crate::suite::Suite;
use crate::words::counted;
use std::collections::HashSet;
use std::fmt::Write as _;
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
    /// List the cases that would run (after --filter, --tag, --only-failed, --shard) and
    /// exit; nothing is sent and no server is needed.
    #[arg(long, conflicts_with_all = ["junit", "json", "update_snapshots", "fail_fast", "failures_only", "record"])]
    pub list: bool,
}

pub async fn run(args: RunArgs) -> u8 {
    let execution = &args.execution;
    let suites = match execution.load_or_problems() {
        Ok(suites) => suites,
        Err(problems) => {
            not_run_junit(&args, &report::junit::suite_problems(&problems), false);
            return exit::USAGE;
        }
    };
    // The reports' paths first: a run refused after this writes its JUnit report where the
    // run's own would have gone, never over a file the run reads.
    let reports = [
        ("JUnit report", args.junit.as_deref()),
        ("JSON report", args.json.as_deref()),
    ];
    if !args.list
        && let Err(refusal) = execution.check_outputs(&reports, &suites, &[])
    {
        // The reports' own paths are in question: none is written, but an earlier JUnit
        // report the run does not read is replaced by one saying why.
        if let Some(path) = args.junit.as_deref()
            && execution.may_replace_earlier_junit(path, &suites)
        {
            write_not_run_junit(
                path,
                &report::junit::refused(report::junit::RefusedCommand::Run, &refusal),
            );
        }
        return refusal.said();
    }
    let selected = match execution.select(&suites) {
        Ok(selected) => selected,
        Err(refusal) => return refused(&args, refusal),
    };
    if args.list {
        return super::print_all(match &selected {
            Selected::Plan(plan, _) => list(&suites, plan),
            Selected::NothingToRerun(why, _) => format!("{why}; nothing would run\n"),
        });
    }
    let mut terminal = Terminal::new(!args.failures_only);
    let (executed, plan_id) = match selected {
        Selected::Plan(plan, id) => {
            let keep = report::spill::Keep::for_run(args.json.as_deref());
            let snapshots = crate::snapshot::Policy {
                update: args.update_snapshots,
                ci: super::in_ci(),
                golden_target: None,
            };
            let options = execution.options(args.fail_fast, snapshots);
            // The last run's JUnit report would stand for this one if it were cut short.
            if let Some(path) = args.junit.as_deref()
                && report::junit::is_earlier_report(path)
            {
                write_not_run_junit(path, &report::junit::unfinished());
            }
            let executed = match execution
                .execute(&suites, &plan, &options, &mut terminal, keep)
                .await
            {
                Ok(executed) => executed,
                Err(refusal) => return refused(&args, refusal),
            };
            // The reports read only the outcomes: free the loaded cases before writing them.
            drop((suites, plan));
            if let Some(note) = snapshots_written() {
                terminal.line(&note);
            }
            (executed, Some(id))
        }
        // Nothing to connect to or send: the reports, if asked for, are empty (and valid).
        Selected::NothingToRerun(why, empty) => {
            terminal.line(&format!("{why}; nothing was sent"));
            drop(suites);
            let nothing = super::execution::Executed::nothing("none: nothing to rerun".into());
            (nothing, Some(empty))
        }
    };

    // Reports are written on a blocking thread: the runtime's own thread stays free to
    // handle a second Ctrl-C while a large report is being written.
    let super::execution::Executed {
        outcomes,
        spill,
        totals,
        stop,
        elapsed,
        started_at,
        server,
        signals,
        recording_lost,
    } = executed;
    let (junit, json, shard) = (args.junit.clone(), args.json.clone(), args.execution.shard);
    // The JUnit structure is built here, where the loaded suites' memory was freed for reuse;
    // a blocking thread's allocations would come from a new arena and add to the peak.
    let junit = junit.map(|path| (path, report::junit::report(&outcomes, started_at, elapsed)));
    let written = tokio::task::spawn_blocking(move || {
        let mut report_failed = recording_lost;
        if crate::report::ci::on_github() {
            crate::report::ci::resume_workflow_commands();
            let annotations: String = crate::report::ci::github_annotations(&outcomes)
                .into_iter()
                .map(|annotation| annotation + "\n")
                .collect();
            report_failed |= super::print_out(annotations).is_err();
            let summary = crate::report::ci::summary(&outcomes, &totals, elapsed);
            report_failed |= report_error(
                "job summary",
                crate::report::ci::append_step_summary(&summary),
            );
        }
        // Cases lost with a failed spill: no report of the run can be whole.
        let lost = match &spill {
            Some(Err(why)) => Some(why.clone()),
            _ => None,
        };
        if let Some((path, built)) = &junit {
            let written = match &lost {
                Some(why) => Err(why.clone()),
                None => report::junit::write_report(path, built),
            };
            report_failed |= report_error("JUnit", written);
        }
        if let Some(path) = &json {
            let header = report::json::RunHeader {
                started: started_at,
                elapsed,
                server: &server,
                stop: stop.as_ref(),
                shard,
                plan: plan_id,
            };
            let written = match spill {
                Some(Ok(spill)) => report::json::write_spilled(path, spill, totals, &header),
                Some(Err(why)) => Err(why),
                None => report::json::write(path, &outcomes, totals, &header),
            };
            report_failed |= report_error("JSON", written);
        }
        // The process ends after this: freeing every outcome one by one would only add time
        // (about 5% of a 10,000-case run's CPU).
        std::mem::forget(outcomes);
        std::mem::forget(junit);
        (report_failed, stop)
    })
    .await;
    drop(signals);
    if let Ok((_, stop)) = &written
        && let Some(note) = exit::errored_only_note(&totals, stop.as_ref())
    {
        terminal.line(&format!("note: {note}"));
    }
    // Said after the reports, which are written whatever became of the output.
    let output_failed = output_error(&mut terminal);
    match written {
        Ok((report_failed, stop)) => {
            exit::for_run(&totals, stop.as_ref(), report_failed || output_failed)
        }
        Err(err) => {
            crate::errln!("error: writing the reports failed: {err}");
            exit::INFRA
        }
    }
}

/// "note: wrote 2 new snapshots: ...": what the run wrote beside the suites, to look at and
/// commit (a renamed case leaves its old file: `flowcheck snapshots unreferenced`).
fn snapshots_written() -> Option<String> {
    let written = crate::snapshot::verify::take_written();
    if written.is_empty() {
        return None;
    }
    let files = |new: bool| -> Vec<String> {
        written
            .iter()
            .filter(|(_, is_new)| *is_new == new)
            .map(|(file, _)| file.display().to_string())
            .collect()
    };
    let mut parts = Vec::new();
    for (verb, files) in [("wrote", files(true)), ("updated", files(false))] {
        if files.is_empty() {
            continue;
        }
        let n = files.len() as u64;
        let kind = if verb == "wrote" { "new " } else { "" };
        parts.push(format!(
            "{verb} {n} {kind}{}: {}",
            crate::words::agree(n, "snapshot", "snapshots"),
            files.join(", ")
        ));
    }
    let them = crate::words::agree(written.len() as u64, "it", "them");
    Some(format!(
        "note: {}; review {them} and commit {them} with the suites (`flowcheck snapshots unreferenced` lists files no case uses)",
        parts.join("; ")
    ))
}

/// A run refused before it sent anything, its reports' paths checked: said, and its JUnit
/// report, if one was asked for, says why.
fn refused(args: &RunArgs, refusal: crate::exit::Refusal) -> u8 {
    let report = report::junit::refused(report::junit::RefusedCommand::Run, &refusal);
    let code = refusal.said();
    not_run_junit(args, &report, true);
    code
}

/// The JUnit report of a run that never started, in place of the report asked for: a CI job
/// that publishes it shows why, not the last run's report left at its path. Its path passed
/// the run's checks of its outputs (`checked`), or, where the suites could not be read, the
/// cautious rule for what is not known to be read.
fn not_run_junit(args: &RunArgs, junit: &quick_junit::Report, checked: bool) {
    let Some(path) = args.junit.as_deref().filter(|_| !args.list) else {
        return;
    };
    let allowed = match checked {
        true => Ok(()),
        false => args.execution.check_unknown_reads(
            "JUnit report",
            path,
            &[],
            report::junit::is_earlier_report,
        ),
    };
    match allowed {
        Ok(()) => write_not_run_junit(path, junit),
        Err(why) => crate::errln!("note: the JUnit report saying why was not written: {why}"),
    }
}

/// Write the JUnit report of a command that never started (`run`, `merge`) at `path`, or say
/// why it was not.
pub fn write_not_run_junit(path: &std::path::Path, junit: &quick_junit::Report) {
    if let Err(why) = report::junit::write_report(path, junit) {
        crate::errln!("note: the JUnit report saying why was not written: {why}");
    }
}

/// `--list`: a line per case and target, in the order a run would report them, then a count.
fn list(suites: &[Suite], plan: &[Planned]) -> String {
    let mut text = String::new();
    for planned in plan {
        let suite = &suites[planned.key.suite];
        let case = &suite.cases[planned.key.case];
        let calls = match planned.attempts {
            1 => String::new(),
            n => format!(" ×{n}"),
        };
        let _ = writeln!(
            text,
            "{} › {} @ {}{calls} {}",
            suite.name,
            case.name,
            planned.target,
            paint(DIM, format!("({}:{})", suite.file.display(), case.line))
        );
    }
    let calls: u64 = plan.iter().map(|p| u64::from(p.attempts)).sum();
    let from: HashSet<usize> = plan.iter().map(|p| p.key.suite).collect();
    let _ = writeln!(
        text,
        "{} ({}) from {} would run; nothing was sent",
        counted(plan.len() as u64, "case"),
        counted(calls, "attempt"),
        counted(from.len() as u64, "suite")
    );
    text
}

/// Whether the command's output could not be written (a full disk), said on stderr; a reader
/// that left (`| head`) is no error.
pub fn output_error(terminal: &mut Terminal) -> bool {
    match terminal.write_error() {
        Some(err) => {
            crate::errln!("error: cannot write the output: {err}");
            true
        }
        None => false,
    }
}

pub fn report_error(what: &str, written: Result<(), String>) -> bool {
    match written {
        Ok(()) => false,
        Err(message) => {
            crate::errln!("error: the {what} report was not written: {message}");
            true
        }
    }
}
