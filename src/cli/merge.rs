//! `flowcheck merge`: combine the JSON reports of sharded runs into one JSON and one JUnit
//! report, in the order a single machine would have written them.

use super::run::report_error;
use crate::exit::{self, Refusal};
use crate::report::{self, json::ReadReport};
use crate::run::{CaseOutcome, Stop, Totals};
use crate::words::{agree, counted};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

#[derive(Debug, clap::Args)]
pub struct MergeArgs {
    /// The shards' JSON reports (`flowcheck run --shard K/N --json PATH`).
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Write the merged JSON report here.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the merged JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
}

pub fn merge(args: MergeArgs) -> u8 {
    match merge_reports(&args) {
        Ok(code) => code,
        Err(refusal) => refused(&args, refusal),
    }
}

/// A merge refused before it wrote anything: said, and an earlier JUnit report at its
/// `--junit` path replaced by one saying why, so that a CI job does not publish the last
/// merge's results as this one's. Only a JUnit report is replaced, and never one of the
/// reports being merged; nothing is written where no report was.
fn refused(args: &MergeArgs, refusal: Refusal) -> u8 {
    let inputs = inputs(args);
    if let Some(path) = args.junit.as_deref()
        && super::execution::may_replace_earlier(
            path,
            &inputs,
            &[],
            report::junit::is_earlier_report,
        )
    {
        let junit = report::junit::refused(report::junit::RefusedCommand::Merge, &refusal);
        super::run::write_not_run_junit(path, &junit);
    }
    refusal.said()
}

/// The files a merge reads, named for the refusal of an output written over one.
fn inputs(args: &MergeArgs) -> Vec<(String, &std::path::Path)> {
    args.reports
        .iter()
        .map(|path| ("report being merged".to_owned(), path.as_path()))
        .collect()
}

/// Merge the reports and write the merged ones; the code to exit with, or why nothing was
/// merged.
fn merge_reports(args: &MergeArgs) -> Result<u8, Refusal> {
    if args.json.is_none() && args.junit.is_none() {
        return Err("say where to write the merged report: --json PATH and/or --junit PATH".into());
    }
    let outputs: Vec<(&str, &std::path::Path)> = [
        ("merged JSON report", args.json.as_deref()),
        ("merged JUnit report", args.junit.as_deref()),
    ]
    .into_iter()
    .filter_map(|(what, path)| Some((what, path?)))
    .collect();
    let inputs = inputs(args);
    if let Err(message) = super::execution::refuse_overlaps(&outputs, &inputs, &[]) {
        return Err(message.into());
    }
    let mut reports: Vec<(PathBuf, ReadReport)> = Vec::new();
    for path in &args.reports {
        match super::execution::read_report(path) {
            Ok(report) => reports.push((path.clone(), report)),
            Err(refusal) => return Err(refusal),
        }
    }
    // Nor over the suites the shards ran, or into their snapshot folders.
    let suite_files: std::collections::BTreeSet<&std::path::Path> = reports
        .iter()
        .flat_map(|(_, report)| report.cases.iter().map(|case| &*case.file))
        .collect();
    let suites: Vec<(String, &std::path::Path)> = suite_files
        .iter()
        .map(|file| ("suite the shards ran".to_owned(), *file))
        .collect();
    let folders: Vec<(String, PathBuf)> = suite_files
        .iter()
        .map(|file| {
            (
                format!("snapshots of the suite in {}", file.display()),
                crate::snapshot::store::root_of(file),
            )
        })
        .collect();
    if let Err(message) = super::execution::refuse_overlaps(&outputs, &suites, &folders) {
        return Err(message.into());
    }
    // As `run` does: a report that could not be written is said before anything is merged
    // (and its folder made only once the path is known to be allowed).
    for &(what, path) in &outputs {
        if let Err(message) = crate::files::check_writable(path) {
            return Err(
                format!("the {what} cannot be written: {message}; nothing was merged").into(),
            );
        }
    }
    if let Err(message) = every_shard(&reports) {
        return Err(message.into());
    }
    number_suites_across(&mut reports);
    let mut seen: HashMap<(String, String, String), PathBuf> = HashMap::new();
    let mut cases: Vec<CaseOutcome> = Vec::new();
    for (path, report) in &reports {
        for case in &report.cases {
            let identity = case.identity();
            if let Some(first) = seen.insert(identity, path.clone()) {
                return Err(format!(
                    "{} › {} @ {} is in both {} and {}: are these shards of one plan?",
                    case.suite,
                    case.case,
                    case.target,
                    first.display(),
                    path.display()
                )
                .into());
            }
            cases.push(case.clone());
        }
    }
    cases.sort_by_key(|c| c.key);
    let mut totals = Totals::default();
    cases.iter().for_each(|c| totals.add(c.status));
    // The shards ran side by side: the merged run took as long as the longest shard.
    let elapsed = reports
        .iter()
        .map(|(_, r)| r.duration_ms)
        .max()
        .unwrap_or(Duration::ZERO);
    let started = reports
        .iter()
        .filter_map(|(_, r)| humantime::parse_rfc3339_weak(&r.started_at).ok())
        .min()
        .unwrap_or_else(SystemTime::now);
    // Shards of one run usually share a server: each is named once, in order of appearance.
    let mut servers: Vec<&str> = Vec::new();
    for (_, report) in &reports {
        if !servers.contains(&report.server.as_str()) {
            servers.push(&report.server);
        }
    }
    // A shard that stopped early is the merged run's stop; a fatal one (a key refused) first.
    let stops: Vec<(&PathBuf, Stop)> = reports
        .iter()
        .filter_map(|(path, r)| Some((path, Stop::from_tag(r.stopped.as_deref()?))))
        .collect();
    let stop = stops
        .iter()
        .map(|(_, stop)| stop)
        .find(|s| matches!(s, Stop::Fatal(_)))
        .or(stops.first().map(|(_, stop)| stop))
        .cloned();

    let mut failed = false;
    if let Some(path) = &args.json {
        let servers = servers.join(", ");
        let header = report::json::RunHeader {
            started,
            elapsed,
            server: &servers,
            stop: stop.as_ref(),
            shard: None,
            plan: None,
        };
        let written = report::json::write(path, &cases, totals, &header);
        failed |= report_error("JSON", written);
    }
    if let Some(path) = &args.junit {
        failed |= report_error(
            "JUnit",
            report::junit::write(path, &cases, started, elapsed),
        );
    }
    // What did not pass, as `run` shows it: the merge job is the one a pipeline shows red.
    let mut terminal = crate::report::Terminal::new(false);
    for case in cases.iter().filter(|c| !c.status.is_success()) {
        terminal.case_finished(case);
    }
    terminal.show_problems();
    failed |= terminal.write_error().is_some();
    failed |= super::print_out(format!(
        "merged {}: {}: {} passed, {} flaky, {} failed, {} {}, {} not run\n",
        counted(reports.len() as u64, "report"),
        counted(totals.total() as u64, "case"),
        totals.passed,
        totals.flaky,
        totals.failed,
        totals.errored,
        crate::report::terminal::errored(&totals),
        totals.not_run
    ))
    .is_err();
    for (path, stop) in &stops {
        failed |= super::print_out(format!(
            "note: {} stopped before its end: {}\n",
            path.display(),
            stop.cause()
        ))
        .is_err();
    }
    // A shard's Ctrl-C is not this command's: its cases not run fail the merge (exit 1).
    let fatal = stop.filter(|s| matches!(s, Stop::Fatal(_)));
    if let Some(note) = exit::errored_only_note(&totals, fatal.as_ref()) {
        failed |= super::print_out(format!("note: {note}\n")).is_err();
    }
    Ok(exit::for_run(&totals, fatal.as_ref(), failed))
}

/// Reports of separate runs (no `--shard`: two suites run by two jobs, say) each number their
/// suites from 0, so the second's first suite would sort among the first's and share its JUnit
/// `<testsuite>`. Their suites are numbered anew, by name, in the order the reports were given
/// (one suite in two reports keeps one number). Shards of one plan already share its numbers.
fn number_suites_across(reports: &mut [(PathBuf, ReadReport)]) {
    if reports.iter().any(|(_, r)| r.shard.is_some()) {
        return;
    }
    let mut numbers: HashMap<std::sync::Arc<str>, usize> = HashMap::new();
    for (_, report) in reports.iter_mut() {
        // A report is written in plan order: its suites come in their order.
        report.cases.sort_by_key(|c| c.key);
        for case in &mut report.cases {
            let next = numbers.len();
            case.key.suite = *numbers.entry(case.suite.clone()).or_insert(next);
        }
    }
}

/// Reports of a sharded run must be all its shards, each once, of one plan: one missing, or one
/// of another run in its place, would make a smaller report that passes. Reports of runs
/// without `--shard` are taken as they are.
fn every_shard(reports: &[(PathBuf, ReadReport)]) -> Result<(), String> {
    let Some((first_path, first, first_plan)) = reports
        .iter()
        .find_map(|(path, r)| r.shard.map(|s| (path, s, r.plan.as_ref())))
    else {
        return Ok(());
    };
    let mut indices: BTreeMap<u32, &PathBuf> = BTreeMap::new();
    for (path, report) in reports {
        let Some(shard) = report.shard else {
            return Err(format!(
                "{} is not a shard's report, but {} is (shard {}/{})",
                path.display(),
                first_path.display(),
                first.index,
                first.total
            ));
        };
        if shard.total != first.total {
            return Err(format!(
                "{} is shard {}/{} and {} is shard {}/{}: these are not shards of one run",
                first_path.display(),
                first.index,
                first.total,
                path.display(),
                shard.index,
                shard.total
            ));
        }
        let (Some(plan), Some(first_plan)) = (&report.plan, first_plan) else {
            let older = if report.plan.is_none() {
                path
            } else {
                first_path
            };
            return Err(format!(
                "{} does not say which plan it is a shard of (an earlier flowcheck wrote it), so it cannot be told apart from a shard of another run: run every shard with this flowcheck",
                older.display()
            ));
        };
        if plan.fingerprint != first_plan.fingerprint {
            return Err(format!(
                "{} and {} are shards of different plans (other suites, cases, targets, repeats or selection): these are not shards of one run",
                first_path.display(),
                path.display()
            ));
        }
        if let Some(other) = indices.insert(shard.index, path) {
            return Err(format!(
                "{} and {} are both shard {}/{}: each shard's report is merged once",
                other.display(),
                path.display(),
                shard.index,
                shard.total
            ));
        }
    }
    // N may be in the billions: count the missing shards, and name only the first few.
    let n = u64::from(first.total) - indices.len() as u64;
    if n > 0 {
        const NAMED: usize = 10;
        let mut named: Vec<String> = (1..=first.total)
            .filter(|k| !indices.contains_key(k))
            .take(NAMED)
            .map(|k| format!("{k}/{}", first.total))
            .collect();
        if n > NAMED as u64 {
            named.push(format!("and {} more", n - NAMED as u64));
        }
        return Err(format!(
            "the {} {} {} missing: the merged report would lack {} cases",
            agree(n, "report of shard", "reports of shards"),
            named.join(", "),
            agree(n, "is", "are"),
            agree(n, "its", "their")
        ));
    }
    // Shards of one plan split differently (`--shard-durations` given to some) may each be
    // whole and still leave cases to none.
    let held: usize = reports.iter().map(|(_, r)| r.cases.len()).sum();
    match first_plan {
        Some(plan) if held != plan.cases => Err(format!(
            "the shards' reports ({}) hold {} but their plan has {}: were the shards split differently (--shard-durations given to some only)?",
            reports
                .iter()
                .map(|(path, _)| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            counted(held as u64, "case"),
            plan.cases
        )),
        _ => Ok(()),
    }
}
