//! What `run`, `compare` and `gate` share: the options that shape an execution, loading and
//! planning, and running the plan with signals handled and progress printed.

use super::connection::ConnectionArgs;
use super::signals::watch_signals;
use crate::api::Client;
use crate::exit::{self, Refusal};
use crate::record;
use crate::report::Terminal;
use crate::run::shard::{self, Shard};
use crate::run::{
    self, CaseOutcome, Event, PlanId, Planned, RetryPolicy, RunOptions, Selection, Stop, Totals,
};
use crate::suite::{MAX_REPEAT, Suite};
use crate::words::counted;
use std::collections::{HashMap, HashSet};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct ExecutionArgs {
    /// Suite files or folders (every *.yaml / *.yml below a folder, sorted).
    #[arg(default_value = "suites")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// How many calls to have in flight at once.
    #[arg(short, long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub jobs: u32,
    /// Override every case's timeout (e.g. 10s, 2m).
    #[arg(long, value_parser = crate::suite::load::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Stop the whole run after this long: cases not started are reported as not run, and
    /// those cut while a call was in flight as interrupted (an error).
    #[arg(long, value_parser = crate::suite::load::parse_duration, value_name = "DURATION")]
    pub deadline: Option<Duration>,
    /// Retries for 429, 502, 503, 504 and broken connections (never other 4xx).
    #[arg(long, default_value_t = 3, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=100))]
    pub retries: u32,
    /// Also retry HTTP 500.
    #[arg(long)]
    pub retry_server_errors: bool,
    /// Run every case N times (a case's pass_if ratio is kept).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_REPEAT)))]
    pub repeat: Option<u32>,
    /// Run only cases whose name (or `suite › case`, as a run prints it) contains this text,
    /// or matches it as a glob with * and ? (repeatable: any of them; case-insensitive).
    #[arg(long, value_name = "TEXT", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub filter: Vec<String>,
    /// Run only cases with this tag (repeatable: any of them; case-insensitive).
    #[arg(long, value_name = "TAG", value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub tag: Vec<String>,
    /// Run only the cases that did not pass in this earlier JSON report (`run`: when every
    /// case in it passed, there is nothing to rerun, and it exits 0).
    #[arg(long, value_name = "REPORT")]
    pub only_failed: Option<PathBuf>,
    /// Run shard K of N (e.g. 2/4): N machines together run every case exactly once; `auto`
    /// reads GitLab's CI_NODE_INDEX/CI_NODE_TOTAL.
    #[arg(long, value_name = "K/N", value_parser = Shard::parse)]
    pub shard: Option<Shard>,
    /// Balance the shards by the durations in this earlier JSON report instead of by count.
    #[arg(long, value_name = "REPORT", requires = "shard")]
    pub shard_durations: Option<PathBuf>,
    /// Poll each async case's job first when it ended in this earlier JSON report (the
    /// median of its attempts' latencies there): one poll usually finds it done.
    #[arg(long, value_name = "REPORT")]
    pub job_durations: Option<PathBuf>,
    /// Show every request and response on stderr (the key is never shown).
    #[arg(short, long)]
    pub verbose: bool,
}

/// `did you mean "smoke"?` for the first of `missing` close to a tag there is.
fn tag_hint(missing: &[&str], known: &[&str]) -> Option<String> {
    missing
        .iter()
        .find_map(|tag| crate::diagnostic::did_you_mean(tag, known.iter().copied()))
}

/// The cases of `cases` (suite, case, target) that the suites no longer hold, in order.
fn not_in<'a>(
    cases: &'a HashSet<(String, String, String)>,
    suites: &[Suite],
) -> Vec<&'a (String, String, String)> {
    let everything = Selection {
        filters: Vec::new(),
        tags: Vec::new(),
        repeat: None,
    };
    let held: HashSet<(String, String, String)> = run::plan(suites, &everything)
        .iter()
        .map(|planned| identity(suites, planned))
        .collect();
    let mut gone: Vec<_> = cases.iter().filter(|case| !held.contains(*case)).collect();
    gone.sort();
    gone
}

/// "2 cases that did not pass in first.json are no longer in the suites (renamed, removed, or
/// their target dropped): s › a @ v3, s › b @ v3".
fn gone_from_suites(gone: &[&(String, String, String)], report: &Path) -> String {
    const SHOWN: usize = 5;
    let mut names: Vec<String> = gone
        .iter()
        .take(SHOWN)
        .map(|(suite, case, target)| format!("{suite} › {case} @ {target}"))
        .collect();
    if gone.len() > SHOWN {
        names.push(format!("and {} more", gone.len() - SHOWN));
    }
    let n = gone.len() as u64;
    format!(
        "{} that did not pass in {} {} no longer in the suites (renamed, removed, or {} target dropped): {}",
        counted(n, "case"),
        report.display(),
        crate::words::agree(n, "is", "are"),
        crate::words::agree(n, "its", "their"),
        crate::words::one_line(&names.join(", "))
    )
}

/// Identifies a planned case across machines and runs: suite, case and target names.
fn identity(suites: &[Suite], planned: &Planned) -> (String, String, String) {
    let suite = &suites[planned.key.suite];
    (
        suite.name.clone(),
        suite.cases[planned.key.case].name.clone(),
        planned.target.to_string(),
    )
}

/// How many calls may be in flight: `--jobs`, or fewer when this process may not open a socket
/// for each (even after its soft limit was raised to the hard one), with a note saying so.
/// Beyond the limit, calls would fail to connect and snapshot files to open: cases would fail
/// for want of file handles.
fn jobs_within_open_files(jobs: u32, embedded: bool) -> (u32, Option<String>) {
    #[cfg(unix)]
    {
        let Ok((soft, _)) = rlimit::getrlimit(rlimit::Resource::NOFILE) else {
            return (jobs, None);
        };
        // Per call in flight a socket (two with the simulator in this process) and a snapshot
        // file it may read; some files besides.
        let (per_call, besides) = (if embedded { 3 } else { 2 }, 32);
        let needed = u64::from(jobs) * per_call + besides;
        if needed <= soft {
            return (jobs, None);
        }
        let fits = u32::try_from(soft.saturating_sub(besides) / per_call)
            .unwrap_or(u32::MAX)
            .clamp(1, jobs);
        (
            fits,
            Some(format!(
                "note: --jobs {jobs} needs about {needed} open files, but this process may open {soft} (ulimit -n): running {fits} at once; raise the limit to run more"
            )),
        )
    }
    #[cfg(not(unix))]
    {
        let _ = embedded;
        (jobs, None)
    }
}

/// An earlier JSON report, or why it cannot be read.
pub fn read_report(path: &std::path::Path) -> Result<crate::report::json::ReadReport, Refusal> {
    crate::report::json::read(path).map_err(Refusal::usage)
}

/// What the selection flags chose.
pub enum Selected {
    Plan(Vec<Planned>, PlanId),
    /// `--only-failed` named a report in which every case passed (or that holds none): why.
    /// With the identity of the empty plan, so that the shards of such a run still merge.
    NothingToRerun(String, PlanId),
}

/// An earlier JSON report of these suites (`--only-failed`, `--shard-durations`,
/// `--job-durations`): one that holds no case of them is a mistake (another run's report),
/// refused rather than read as a run where nothing failed or nothing was timed.
fn report_of(path: &Path, suites: &[Suite]) -> Result<crate::report::json::ReadReport, Refusal> {
    let report = read_report(path)?;
    // Of these suites at all, whatever the selection keeps of them.
    let cases: HashSet<(&str, &str)> = suites
        .iter()
        .flat_map(|suite| suite.cases.iter().map(|case| (&*suite.name, &*case.name)))
        .collect();
    let ours = report
        .cases
        .iter()
        .any(|c| cases.contains(&(&*c.suite, c.case.as_str())));
    if !report.cases.is_empty() && !ours {
        return Err(Refusal::usage(format!(
            "{} holds no case of these suites: is it the report of another run?",
            path.display()
        )));
    }
    Ok(report)
}

/// Every planned flow's project has a key: its own or the default one. Said before any call,
/// naming the variables that would give one.
fn keys_cover(
    keys: &crate::secret::Keys,
    suites: &[Suite],
    plan: &[Planned],
) -> Result<(), String> {
    let mut lacking: Vec<String> = Vec::new();
    for planned in plan {
        let Some(suite) = suites.get(planned.key.suite) else {
            continue;
        };
        // The case's flow, and the flows of its judges' graders.
        let graders = suite
            .cases
            .get(planned.key.case)
            .into_iter()
            .flat_map(|case| case.expect.checks())
            .filter_map(|check| check.predicate.judge())
            .map(|judge| &judge.flow);
        for flow in std::iter::once(&suite.flow).chain(graders) {
            if keys.get(&flow.org, &flow.project).is_some() {
                continue;
            }
            let variable = crate::secret::Keys::variable(&flow.org, &flow.project);
            if !lacking.contains(&variable) {
                lacking.push(variable);
            }
        }
    }
    let or_file = match &keys.file {
        Some(file) => format!(
            ", or give the key file {file} a default key (`* KEY`) or these projects' (`org/project KEY`)"
        ),
        None => String::new(),
    };
    let projects: Vec<String> = lacking
        .iter()
        .map(|variable| {
            crate::secret::Keys::project_of(variable).unwrap_or_else(|| variable.clone())
        })
        .collect();
    match lacking.as_slice() {
        [] => Ok(()),
        _ if keys.is_empty() => {
            let each: Vec<String> = lacking
                .iter()
                .zip(&projects)
                .map(|(variable, project)| format!("{variable} ({project})"))
                .collect();
            Err(format!(
                "no API key: set NOUKAI_API_KEY for every project, or a key for each: {}; or pass --api-key-file PATH",
                each.join(", ")
            ))
        }
        _ => Err(format!(
            "no API key for {} ({}): set NOUKAI_API_KEY for every project, or {}{or_file}",
            crate::words::counted(lacking.len() as u64, "project"),
            projects.join(", "),
            lacking.join(", ")
        )),
    }
}

/// Everything a finished execution produced, in plan order.
pub struct Executed {
    pub outcomes: Vec<CaseOutcome>,
    /// Where the outcomes went for the JSON report, if they went aside (see `report::spill`).
    pub spill: Option<Result<crate::report::spill::Spill, String>>,
    pub totals: Totals,
    pub stop: Option<Stop>,
    pub elapsed: Duration,
    pub started_at: SystemTime,
    /// The server, as shown to the user.
    pub server: String,
    /// Signals stay handled while this lives: keep it through report writing.
    pub signals: super::signals::Watch,
    /// `--record`'s file could not be written (said): the run's reports still are, and the
    /// command exits 3, as for a report not written.
    pub recording_lost: bool,
}

impl Executed {
    /// A run of no case, which sent nothing: reports of it are empty, and valid.
    pub fn nothing(server: String) -> Executed {
        Executed {
            outcomes: Vec::new(),
            spill: None,
            totals: Totals::default(),
            stop: None,
            elapsed: Duration::ZERO,
            started_at: SystemTime::now(),
            server,
            signals: watch_signals(CancellationToken::new()),
            recording_lost: false,
        }
    }
}

impl ExecutionArgs {
    /// Load the suites (every error printed), or the exit code to stop with.
    pub fn load(&self) -> Result<Vec<Suite>, u8> {
        self.load_or_problems().map_err(|_| exit::USAGE)
    }

    /// [`ExecutionArgs::load`], or the suites' problems (printed) for a report to hold.
    pub fn load_or_problems(&self) -> Result<Vec<Suite>, Vec<crate::diagnostic::Diagnostic>> {
        let loaded = crate::suite::load(&self.paths);
        if !loaded.errors.is_empty() {
            super::print_diagnostics(&loaded.errors);
            crate::errln!(
                "error: the suites have {}; nothing was sent",
                counted(loaded.errors.len() as u64, "problem")
            );
            return Err(loaded.errors);
        }
        let mut suites = loaded.suites;
        if let Some(timeout) = self.timeout {
            suites
                .iter_mut()
                .flat_map(|s| s.cases.iter_mut())
                .for_each(|c| c.timeout = timeout);
        }
        Ok(suites)
    }

    /// Plan the selected cases (this shard's, with `--shard`) and identify the whole plan, or
    /// the exit code to stop with when nothing is selected (also when `--only-failed` names a
    /// report where nothing failed: there is nothing to compare).
    pub fn plan(&self, suites: &[Suite]) -> Result<(Vec<Planned>, PlanId), Refusal> {
        self.plan_split(suites, false)
    }

    /// Plan the selected cases and identify the whole plan; or say that `--only-failed`'s
    /// report has nothing to rerun; or the exit code to stop with when nothing is selected.
    pub fn select(&self, suites: &[Suite]) -> Result<Selected, Refusal> {
        self.select_split(suites, false)
    }

    /// [`ExecutionArgs::plan`] with `--shard` splitting by case, every target of a case on one
    /// shard (compare and gate need both sides of a case).
    pub fn plan_by_case(&self, suites: &[Suite]) -> Result<(Vec<Planned>, PlanId), Refusal> {
        self.plan_split(suites, true)
    }

    /// A plan to run, where nothing to rerun is no plan (a usage error: compare and gate have
    /// nothing to compare), refused with the reason `run` gives.
    fn plan_split(
        &self,
        suites: &[Suite],
        by_case: bool,
    ) -> Result<(Vec<Planned>, PlanId), Refusal> {
        match self.select_split(suites, by_case)? {
            Selected::Plan(plan, id) => Ok((plan, id)),
            Selected::NothingToRerun(why, _) => Err(Refusal::usage(format!(
                "{why}, so there is nothing to compare; nothing was sent"
            ))),
        }
    }

    fn select_split(&self, suites: &[Suite], by_case: bool) -> Result<Selected, Refusal> {
        let selection = Selection {
            filters: self.filter.clone(),
            tags: self.tag.clone(),
            repeat: self.repeat,
        };
        let mut plan = run::plan(suites, &selection);
        if let Some(path) = &self.only_failed {
            let report = report_of(path, suites)?;
            let failed: HashSet<(String, String, String)> = report
                .cases
                .iter()
                .filter(|c| !c.status.is_success())
                .map(|c| c.identity())
                .collect();
            if failed.is_empty() {
                // A "rerun the failures" job after a run where nothing failed: not a mistake.
                let why = if report.cases.is_empty() {
                    format!("{} holds no case", path.display())
                } else {
                    format!("every case in {} passed", path.display())
                };
                let empty = run::plan::identify(suites, &[], self.shard.map_or(1, |s| s.total));
                return Ok(Selected::NothingToRerun(
                    format!("nothing to rerun: {why}"),
                    empty,
                ));
            }
            // compare and gate rerun a case that failed on any target on all of theirs: a
            // comparison needs both sides.
            let failed_cases: HashSet<(&str, &str)> = failed
                .iter()
                .map(|(suite, case, _)| (suite.as_str(), case.as_str()))
                .collect();
            plan.retain(|p| {
                let (suite, case, target) = identity(suites, p);
                match by_case {
                    true => failed_cases.contains(&(suite.as_str(), case.as_str())),
                    false => failed.contains(&(suite, case, target)),
                }
            });
            // A case that did not pass and is gone from the suites (renamed, removed, its
            // target dropped) would leave the rerun without a word, and the job green.
            let gone = not_in(&failed, suites);
            if !gone.is_empty() {
                let why = gone_from_suites(&gone, path);
                if plan.is_empty() {
                    return Err(Refusal::usage(format!("{why}; nothing was sent")));
                }
                crate::errln!("note: {why}, so not rerun");
            }
        }
        if plan.is_empty() {
            return Err(Refusal::usage(format!(
                "no case matches the selection{}; nothing was sent",
                self.unmatched(suites)
            )));
        }
        // A misspelt tag beside one that matches would leave its cases out without a word.
        let (missing, known) = self.missing_tags(suites);
        if !missing.is_empty() {
            crate::errln!(
                "note: no case is tagged {}{}: the cases are those of the other tags",
                missing.join(", "),
                tag_hint(&missing, &known)
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default()
            );
        }
        let id = run::plan::identify(suites, &plan, self.shard.map_or(1, |s| s.total));
        if let Some(shard) = self.shard {
            let durations = match &self.shard_durations {
                Some(path) => {
                    let report = report_of(path, suites)?;
                    let seconds: HashMap<(String, String, String), f64> = report
                        .cases
                        .iter()
                        .map(|c| (c.identity(), c.duration.as_secs_f64()))
                        .collect();
                    Some(
                        plan.iter()
                            .enumerate()
                            .filter_map(|(i, p)| seconds.get(&identity(suites, p)).map(|d| (i, *d)))
                            .collect::<HashMap<usize, f64>>(),
                    )
                }
                None => None,
            };
            plan = if by_case {
                shard::select_cases(&plan, shard, durations.as_ref())
            } else {
                shard::select(&plan, shard, durations.as_ref())
            };
        }
        if let Some(path) = &self.job_durations {
            let report = report_of(path, suites)?;
            let took: HashMap<(String, String, String), Duration> = report
                .cases
                .iter()
                .filter_map(|c| Some((c.identity(), c.job_took()?)))
                .collect();
            for planned in &mut plan {
                planned.job_took = took.get(&identity(suites, planned)).copied();
            }
        }
        Ok(Selected::Plan(plan, id))
    }

    /// What of the selection matched nothing, for the "no case matches" error: the tags that
    /// no case carries, with the tags there are.
    fn unmatched(&self, suites: &[Suite]) -> String {
        let (missing, known) = self.missing_tags(suites);
        match (missing.is_empty(), known.is_empty()) {
            (true, _) if self.filter.is_empty() || self.filter_matches(suites) => String::new(),
            (true, _) => {
                let filters: Vec<String> = self.filter.iter().map(|f| format!("{f:?}")).collect();
                // A line copied whole from the output names the target too.
                let hint = if self.filter.iter().any(|f| f.contains('>')) {
                    "; a suite and its case are joined by ›, not >"
                } else if self.filter.iter().any(|f| f.contains(" @ ")) {
                    "; it matches a case's name or `suite › case`, without the ` @ target` a run prints after them"
                } else {
                    ""
                };
                format!(
                    " (no case name matches --filter {}{hint})",
                    filters.join(", ")
                )
            }
            (false, true) => format!(" (no case has a tag; --tag {})", missing.join(", ")),
            (false, false) => format!(
                " (no case is tagged {}; the tags are: {}{})",
                missing.join(", "),
                known.join(", "),
                tag_hint(&missing, &known)
                    .map(|h| format!("; {h}"))
                    .unwrap_or_default()
            ),
        }
    }

    /// The `--tag`s no case of the suites carries, and the tags there are.
    fn missing_tags<'a>(&'a self, suites: &'a [Suite]) -> (Vec<&'a str>, Vec<&'a str>) {
        let known = Suite::tags(suites);
        let missing: Vec<&str> = self
            .tag
            .iter()
            .map(String::as_str)
            .filter(|t| !known.iter().any(|k| k.to_lowercase() == t.to_lowercase()))
            .collect();
        (missing, known)
    }

    /// Whether `--filter` alone keeps some case.
    fn filter_matches(&self, suites: &[Suite]) -> bool {
        let filters = Selection {
            filters: self.filter.clone(),
            tags: Vec::new(),
            repeat: None,
        }
        .matcher();
        suites.iter().any(|suite| {
            suite
                .cases
                .iter()
                .any(|case| filters.keeps(&suite.name, case))
        })
    }

    pub fn options(&self, fail_fast: bool, snapshots: crate::snapshot::Policy) -> RunOptions {
        RunOptions {
            jobs: jobs_within_open_files(self.jobs, self.connection.embedded).0 as usize,
            retry: RetryPolicy {
                max_retries: self.retries,
                retry_server_errors: self.retry_server_errors,
                ..RetryPolicy::default()
            },
            fail_fast,
            deadline: self.deadline,
            snapshots,
            ..RunOptions::default()
        }
    }

    /// The files the options name to read (`--only-failed`'s report, a key file, ...).
    fn read_by_options(&self) -> Vec<(String, PathBuf)> {
        let replayed = self
            .connection
            .replay
            .as_ref()
            .map(|dir| dir.join(record::FILE));
        [
            ("recording --replay answers from", replayed),
            ("--only-failed report", self.only_failed.clone()),
            ("--shard-durations report", self.shard_durations.clone()),
            ("--job-durations report", self.job_durations.clone()),
            ("--api-key-file", self.connection.api_key_file.clone()),
            ("--ca-bundle", self.connection.ca_bundle.clone()),
            ("--flows definition", self.connection.flows.clone()),
        ]
        .into_iter()
        .filter_map(|(what, path)| Some((what.to_owned(), path?)))
        .collect()
    }

    /// Whether a report may be written to `path` when what the command reads is not all known
    /// (suites that could not be read, a comparison refused early): never over a suite named on
    /// the command line, a file an option or `inputs` names, and `earlier` (whether the file
    /// there is a report flowcheck wrote) decides whether an existing file may be replaced;
    /// inside a folder named as suites, where any file may be one the run reads, only such a
    /// report is.
    pub fn check_unknown_reads(
        &self,
        what: &str,
        path: &Path,
        inputs: &[(&str, &Path)],
        earlier: impl Fn(&Path) -> bool,
    ) -> Result<(), String> {
        let by_options = self.read_by_options();
        let named: Vec<(String, &Path)> = self
            .paths
            .iter()
            .map(|path| ("suite".to_owned(), path.as_path()))
            .chain(inputs.iter().map(|&(what, path)| (what.to_owned(), path)))
            .chain(
                by_options
                    .iter()
                    .map(|(what, path)| (what.clone(), path.as_path())),
            )
            .collect();
        refuse_overlaps(&[(what, path)], &named, &[])?;
        let folders: Vec<(String, PathBuf)> = self
            .paths
            .iter()
            .filter(|path| path.is_dir())
            .map(|folder| ("a folder of suites".to_owned(), folder.clone()))
            .collect();
        let in_suites = refuse_overlaps(&[(what, path)], &[], &folders).is_err();
        let file = std::fs::metadata(path)
            .ok()
            .filter(std::fs::Metadata::is_file);
        let refused = match file {
            Some(file) if file.len() > 0 || in_suites => {
                (!earlier(path)).then_some("there and was not written by flowcheck")
            }
            None if in_suites => Some("in a folder of suites this command reads"),
            _ => None,
        };
        if let Some(why) = refused {
            return Err(format!(
                "{} is {why}, so nothing is written there",
                path.display()
            ));
        }
        crate::files::check_writable(path)
    }

    /// Whether the report of a run refused for its outputs' paths may replace the JUnit
    /// report at `path`: only an earlier JUnit report, and only where the run reads nothing
    /// (not a suite, a file its suites or options name, a snapshot folder).
    pub fn may_replace_earlier_junit(&self, path: &Path, suites: &[Suite]) -> bool {
        let by_options = self.read_by_options();
        let (read, folders) = read_by_suites(suites, &[], &by_options);
        may_replace_earlier(
            path,
            &read,
            &folders,
            crate::report::junit::is_earlier_report,
        )
    }

    /// Refuse to start when a file written at the end (the command's `reports`, and the
    /// recording) could not be written, would be written where another is, or over a file this
    /// command reads (`inputs`, the `suites` and their data files, the files its options name):
    /// found now, before anything is sent.
    pub fn check_outputs(
        &self,
        reports: &[(&str, Option<&Path>)],
        suites: &[Suite],
        inputs: &[(&str, &Path)],
    ) -> Result<(), Refusal> {
        let recording = self
            .connection
            .record
            .as_ref()
            .map(|dir| dir.join(record::FILE));
        // GitHub's job summary is appended to: never a file the command reads.
        let summary = crate::report::ci::on_github()
            .then(|| std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()))
            .flatten()
            .map(PathBuf::from);
        let outputs: Vec<(&str, &Path)> = reports
            .iter()
            .copied()
            .chain([("recording", recording.as_deref())])
            .filter_map(|(what, path)| Some((what, path?)))
            .collect();
        let by_options = self.read_by_options();
        let (read, folders) = read_by_suites(suites, inputs, &by_options);
        // Before any folder is made for an output.
        // The job summary is checked against what is read too; whether it can be written is
        // its own check below (it is appended to, and no folder is made for it).
        let mut written = outputs.clone();
        written.extend(
            summary
                .as_deref()
                .map(|p| ("job summary ($GITHUB_STEP_SUMMARY)", p)),
        );
        if let Err(message) = refuse_overlaps(&written, &read, &folders) {
            return Err(Refusal::usage(format!("{message}; nothing was sent")));
        }
        for (what, path) in outputs {
            if let Err(message) = crate::files::check_writable(path) {
                return Err(Refusal::usage(format!(
                    "the {what} cannot be written: {message}; nothing was sent"
                )));
            }
        }
        if crate::report::ci::on_github()
            && let Err(message) = crate::report::ci::check_step_summary()
        {
            return Err(Refusal::usage(format!(
                "the job summary cannot be written: {message}; nothing was sent"
            )));
        }
        Ok(())
    }

    /// Connect, run the plan with Ctrl-C handled, print each case as it finishes.
    pub async fn execute(
        &self,
        suites: &[Suite],
        plan: &[Planned],
        options: &RunOptions,
        terminal: &mut Terminal,
        mut keep: crate::report::spill::Keep,
    ) -> Result<Executed, Refusal> {
        let connection = self.connection.connect().await?;
        let mut config = connection.config.clone();
        config.verbose = self.verbose;
        keys_cover(&config.keys, suites, plan).map_err(Refusal::usage)?;
        let client = Client::new(config).map_err(|err| Refusal::infra(err.to_string()))?;
        let interrupt = CancellationToken::new();
        let signals = watch_signals(interrupt.clone());
        let calls: u64 = plan.iter().map(|p| u64::from(p.attempts)).sum();
        // The suites the selection runs cases of, as `--list` counts them.
        let from: std::collections::HashSet<usize> = plan.iter().map(|p| p.key.suite).collect();
        terminal.line(&format!(
            "Running {} ({}) from {} against {}",
            counted(plan.len() as u64, "case"),
            counted(calls, "attempt"),
            counted(from.len() as u64, "suite"),
            connection.label
        ));
        if let Some(note) = jobs_within_open_files(self.jobs, self.connection.embedded).1 {
            crate::errln!("{note}");
        }
        // A bar only for a person watching: not in CI, not under -v's traces on stderr.
        let watched = std::io::stderr().is_terminal() && !self.verbose && !super::in_ci();
        terminal.start(plan.len(), watched);
        let started_at = SystemTime::now();
        let started = Instant::now();
        let mut totals = Totals::default();
        let stop = run::execute(
            suites,
            plan,
            &client,
            options,
            &interrupt,
            &mut |event| match event {
                Event::CaseFinished(outcome) => {
                    totals.add(outcome.status);
                    terminal.case_finished(&outcome);
                    keep.push(outcome);
                }
                Event::ShowProgress => terminal.flush(),
            },
        )
        .await;
        let elapsed = started.elapsed();
        terminal.finish(&totals, elapsed, stop.as_ref());
        let server = connection.label.clone();
        // A recording not written loses no more than itself: the outcomes go on to the reports.
        let recording_lost = match connection.shutdown().await {
            Ok(Some(note)) => {
                terminal.line(&note);
                false
            }
            Ok(None) => false,
            Err(message) => {
                crate::errln!("error: the recording was not written: {message}");
                true
            }
        };
        let (outcomes, spill) = keep.finish();
        Ok(Executed {
            outcomes,
            spill,
            totals,
            stop,
            elapsed,
            started_at,
            server,
            signals,
            recording_lost,
        })
    }
}

/// Folders (what, path) inside which nothing may be written.
type Folders = Vec<(String, PathBuf)>;

/// What a command that runs `suites` reads, for the refusal of an output written over it:
/// `inputs`, the files its options name (`by_options`), the suites and their data and schema
/// files; and the suites' snapshot folders.
fn read_by_suites<'a>(
    suites: &'a [Suite],
    inputs: &[(&str, &'a Path)],
    by_options: &'a [(String, PathBuf)],
) -> (Vec<(String, &'a Path)>, Folders) {
    let mut read: Vec<(String, &Path)> = inputs
        .iter()
        .map(|&(what, path)| (what.to_owned(), path))
        .chain(
            by_options
                .iter()
                .map(|(what, path)| (what.clone(), path.as_path())),
        )
        .collect();
    for suite in suites {
        read.push((format!("suite {}", suite.name), &suite.file));
        read.extend(
            suite
                .data_files
                .iter()
                .map(|file| (format!("data file of suite {}", suite.name), file.as_path())),
        );
        read.extend(suite.schema_files.iter().map(|file| {
            (
                format!("JSON Schema of suite {}", suite.name),
                file.as_path(),
            )
        }));
    }
    let folders: Vec<(String, PathBuf)> = suites
        .iter()
        .map(|suite| {
            (
                format!("snapshots of suite {}", suite.name),
                crate::snapshot::store::root_of(&suite.file),
            )
        })
        .collect();
    (read, folders)
}

/// Whether a refused command may replace what stands at its report's `path` with a report
/// saying why: only an earlier report of that kind (`earlier`), never at a place the command
/// reads (`read`, or inside one of `folders`).
pub fn may_replace_earlier(
    path: &Path,
    read: &[(String, &Path)],
    folders: &[(String, PathBuf)],
    earlier: impl Fn(&Path) -> bool,
) -> bool {
    refuse_overlaps(&[("report", path)], read, folders).is_ok() && earlier(path)
}

/// Refuse `outputs` (what, path) that name one file between them, a file in `inputs` (what,
/// path), or a place inside one of `folders`: paths are compared by the file they lead to
/// (`./a.xml` is `a.xml`, a link is its target), not as written. Devices and pipes (`/dev/null`)
/// are written into, never replaced, and may be named more than once.
pub fn refuse_overlaps(
    outputs: &[(&str, &Path)],
    inputs: &[(String, &Path)],
    folders: &[(String, PathBuf)],
) -> Result<(), String> {
    use crate::files::{is_stream, place, resolve};
    let inputs: Vec<(&str, &Path, Option<crate::files::Place>)> = inputs
        .iter()
        .map(|(what, path)| (what.as_str(), *path, place(path)))
        .collect();
    let folders: Vec<(&str, PathBuf)> = folders
        .iter()
        .filter_map(|(what, folder)| Some((what.as_str(), resolve(folder)?)))
        .collect();
    let mut written: Vec<(&str, &Path, crate::files::Place)> = Vec::new();
    for &(what, path) in outputs {
        if is_stream(path) {
            continue;
        }
        let Some(here) = place(path) else { continue };
        if let Some((first, other, _)) = written.iter().find(|(_, _, p)| *p == here) {
            let named = match *other == path {
                true => String::new(),
                false => format!(" ({} and {} are one file)", other.display(), path.display()),
            };
            return Err(format!(
                "the {first} and the {what} would both be written to {}{named}",
                path.display(),
            ));
        }
        if let Some((input, _, _)) = inputs.iter().find(|(_, _, p)| p.as_ref() == Some(&here)) {
            return Err(format!(
                "the {what} would overwrite {}, the {input}, which this command reads",
                path.display(),
            ));
        }
        if let Some(resolved) = resolve(path)
            && let Some((kept, folder)) = folders.iter().find(|(_, f)| resolved.starts_with(f))
        {
            return Err(format!(
                "the {what} would be written into {}, which holds the {kept}",
                folder.display()
            ));
        }
        written.push((what, path, here));
    }
    Ok(())
}
