//! `flowcheck compare` and `flowcheck gate` on the command line: their arguments, reading the
//! reports that give a side's results, running what no report gives, printing and writing the
//! comparison, and the exit codes. What a comparison holds and how it is made is
//! [`crate::compare`]'s.

use super::execution::{ExecutionArgs, read_report};
use super::run::report_error;
use crate::compare::scope::{self, CaseName};
use crate::compare::{self, CandidateComparison, Gate, Pinned, Policy, Sample, Scope};
use crate::compare::{SideSamples, Sides};
use crate::exit::{self, Refusal};
use crate::report::comparison::{html, markdown, terminal};
use crate::report::json::ReadReport;
use crate::report::{Terminal, write_report};
use crate::run::{Planned, Stop};
use crate::suite::Target;
use crate::words::{agree, counted, one_line};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct CompareArgs {
    #[command(flatten)]
    pub execution: ExecutionArgs,
    /// The target to compare against: production, draft or vN.
    #[arg(long, value_name = "TARGET")]
    pub baseline: String,
    /// A target to compare with the baseline (repeatable).
    #[arg(long = "candidate", value_name = "TARGET", required = true)]
    pub candidates: Vec<String>,
    /// Read the baseline's results from an earlier `flowcheck run --json` report instead of
    /// running it again.
    #[arg(long, value_name = "PATH")]
    pub baseline_report: Option<PathBuf>,
    /// Read the candidates' results from a JSON report (e.g. merged from shards) instead of
    /// running them.
    #[arg(long, value_name = "PATH")]
    pub candidate_report: Option<PathBuf>,
    /// Write the comparison as Markdown (for a PR comment or $GITHUB_STEP_SUMMARY).
    #[arg(long, value_name = "PATH")]
    pub markdown: Option<PathBuf>,
    /// Write the comparison as JSON.
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the comparison as one self-contained HTML page.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct GateArgs {
    #[command(flatten)]
    pub compare: CompareArgs,
    /// The gate policy (YAML); default: no significant regression and at most 5% errors.
    #[arg(long, value_name = "PATH")]
    pub policy: Option<PathBuf>,
}

pub async fn compare(args: CompareArgs) -> u8 {
    match compare_and_report(&args, None, None).await {
        Ok(outcome) => outcome.exit_code(),
        Err(code) => refused(&args, None, code),
    }
}

pub async fn gate(args: GateArgs) -> u8 {
    let code = gate_checked(&args).await;
    match code {
        exit::USAGE => refused(&args.compare, args.policy.as_deref(), code),
        _ => code,
    }
}

/// A comparison refused before anything was compared (exit `code`, said): an earlier
/// comparison flowcheck wrote where this one was to go says so instead of its old verdict, for
/// a CI job that publishes it whatever the exit code. Nothing else is written: a file
/// flowcheck did not write, or none, is left as it is.
fn refused(args: &CompareArgs, policy: Option<&Path>, code: u8) -> u8 {
    // Which files the comparison reads may not be known yet (its suites unread): never one it
    // is given to read, nor a file in a folder of suites unless flowcheck wrote it.
    let inputs = read_by_comparison(args, policy);
    let outputs = [
        (args.markdown.as_deref(), Page::Markdown),
        (args.html.as_deref(), Page::Html),
        (args.json.as_deref(), Page::Json),
    ];
    for (path, page) in outputs {
        // Only over an earlier comparison: a refusal makes no new file.
        let Some(path) = path.filter(|path| earlier_comparison(path)) else {
            continue;
        };
        // Known to be an earlier comparison: not read again.
        let allowed = args
            .execution
            .check_unknown_reads(page.what(), path, &inputs, |_| true);
        match allowed {
            Ok(()) => replace_with_refusal(path, page),
            Err(why) => left_as_it_is(path, page, &why),
        }
    }
    code
}

/// The three forms a comparison is written in.
#[derive(Debug, Clone, Copy)]
pub enum Page {
    Markdown,
    Html,
    Json,
}

impl Page {
    /// The comparison in this form's option (`--markdown`).
    pub const OPTIONS: [(&str, Page); 3] = [
        ("--markdown", Page::Markdown),
        ("--html", Page::Html),
        ("--json", Page::Json),
    ];

    fn what(self) -> &'static str {
        match self {
            Page::Markdown => "Markdown comparison",
            Page::Html => "HTML comparison",
            Page::Json => "JSON comparison",
        }
    }

    /// The page of a comparison refused before anything was compared.
    fn refused(self) -> String {
        match self {
            Page::Markdown => markdown::refused(),
            Page::Html => html::refused(),
            Page::Json => serde_json::json!({"format": 1, "refused": markdown::REFUSED, "comparisons": [], "gates": []})
                .to_string(),
        }
    }
}

/// Replace the earlier comparison at `path` (known to be one) by the page saying this one was
/// refused; where that fails, say the earlier one was left.
pub fn replace_with_refusal(path: &Path, page: Page) {
    if let Err(why) = write_report(path, &page.refused()) {
        left_as_it_is(path, page, &why);
    }
}

fn left_as_it_is(path: &Path, page: Page, why: &str) {
    crate::errln!(
        "note: the earlier {} at {} was left as it is: {why}",
        page.what(),
        path.display()
    );
}

/// The files a comparison reads besides its suites: the sides' reports and the policy.
fn read_by_comparison<'a>(
    args: &'a CompareArgs,
    policy: Option<&'a Path>,
) -> Vec<(&'static str, &'a Path)> {
    [
        ("--baseline-report", args.baseline_report.as_deref()),
        ("--candidate-report", args.candidate_report.as_deref()),
        ("--policy", policy),
    ]
    .into_iter()
    .filter_map(|(what, path)| Some((what, path?)))
    .collect()
}

/// Whether `path` holds a comparison flowcheck wrote (Markdown, HTML or JSON).
pub fn earlier_comparison(path: &Path) -> bool {
    let Ok(text) = crate::files::read_limited(path, 1 << 30) else {
        return false;
    };
    text.starts_with(markdown::HEADING)
        || text.contains(html::TITLE)
        || serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|json| json["format"] == 1 && json["comparisons"].is_array())
}

async fn gate_checked(args: &GateArgs) -> u8 {
    let policy = match &args.policy {
        Some(path) => match Policy::load(path) {
            Ok(policy) => policy,
            Err(message) => {
                crate::errln!("error: {message}");
                return exit::USAGE;
            }
        },
        None => Policy::default(),
    };
    // A gate decides on every case: one shard's verdict would promote on part of the
    // evidence (a candidate refused as a whole can pass shard by shard).
    if let Some(shard) = args.compare.execution.shard.filter(|s| s.total > 1) {
        crate::errln!(
            "error: a gate decides on every case, and --shard {}/{} gives it a part of them: one shard's verdict is no verdict on the candidate. Run the gate on one machine (--jobs runs its cases at once), or gate reports that hold every case (--baseline-report, --candidate-report; merge shards' reports first)",
            shard.index,
            shard.total
        );
        return exit::USAGE;
    }
    match compare_and_report(&args.compare, Some(&policy), args.policy.as_deref()).await {
        Ok(outcome) if outcome.infrastructure_failed() => outcome.exit_code(),
        Ok(outcome) if outcome.stop == Some(Stop::Interrupted) => exit::INTERRUPTED,
        Ok(outcome) if outcome.gates.iter().all(|gate| gate.accepted) => exit::SUCCESS,
        Ok(_) => exit::FAILED,
        Err(code) => code,
    }
}

struct Compared {
    gates: Vec<Gate>,
    stop: Option<Stop>,
    errored_only: bool,
    report_failed: bool,
}

impl Compared {
    fn infrastructure_failed(&self) -> bool {
        exit::infrastructure_failed(self.errored_only, self.stop.as_ref(), self.report_failed)
    }

    fn exit_code(&self) -> u8 {
        if self.infrastructure_failed() {
            exit::INFRA
        } else if self.stop == Some(Stop::Interrupted) {
            exit::INTERRUPTED
        } else {
            exit::SUCCESS
        }
    }
}

fn parse_target(text: &str) -> Result<Target, u8> {
    Target::parse(text).map_err(|message| {
        crate::errln!("error: {message}");
        exit::USAGE
    })
}

/// What the arguments resolve to: the targets, what earlier reports give, and what is left to
/// run.
struct Resolved {
    baseline: Target,
    candidates: Vec<Target>,
    /// The baseline's samples, read from `--baseline-report`.
    earlier: Option<Vec<Sample>>,
    /// The candidates' results, read from `--candidate-report`.
    candidate_report: Option<ReadReport>,
    /// What keeps the evidence from being a whole run, for the gate to refuse on.
    incomplete: Vec<String>,
    /// The targets to run: those no report gives.
    targets: Vec<Target>,
    /// An A/A comparison run here: the baseline is also a candidate (see [`compare::aa`]).
    twice: bool,
}

impl Resolved {
    fn sides(&self) -> Sides<'_> {
        Sides {
            baseline: self.baseline,
            candidates: &self.candidates,
        }
    }
}

/// `policy_file`: where the gate's policy was read, which no report may overwrite.
async fn compare_and_report(
    args: &CompareArgs,
    policy: Option<&Policy>,
    policy_file: Option<&Path>,
) -> Result<Compared, u8> {
    let mut resolved = resolve_sides(args)?;
    let execution = &args.execution;
    // Loaded even when reports give both sides: the suites say which cases are selected and
    // which name their own targets, for reports as for a run.
    let suites = execution.load()?;
    let pinned = Pinned::of(&suites);
    check_outputs(args, policy_file, &suites)?;
    if let (Some(policy), Some(file)) = (policy, policy_file) {
        check_policy_tags(policy, file, &suites)?;
    }
    let mut progress = Terminal::progress_only();
    // With nothing to run, the suites' selection says which cases the reports give; a run
    // says so itself (its pinned cases left out, its shard).
    let (selected, to_run) = if resolved.targets.is_empty() {
        let plan = execution.plan_by_case(&suites).map_err(Refusal::said)?.0;
        (scope::planned_cases(&suites, &plan), None)
    } else {
        let to_run = plan_live(execution, suites, &resolved, &mut progress)?;
        (
            scope::planned_cases(&to_run.suites, &to_run.plan),
            Some(to_run),
        )
    };
    // What runs is what is compared, for a report's side too.
    let scope = Scope::new(selected, pinned);
    check_in_common(args, &resolved, &scope, to_run.as_ref())?;
    let live = match to_run {
        Some(to_run) => run_live(execution, to_run, &resolved, &mut progress).await?,
        None => Live::default(),
    };
    if let Some(stop) = &live.stop {
        let cause = format!("the run stopped before its end: {}", stop.cause());
        resolved.incomplete.push(cause);
    }
    let samples = gather_samples(&mut resolved, live.samples);
    let alpha = policy.map(|p| p.alpha).unwrap_or(0.05);
    let comparisons = compare_candidates(args, &resolved, &samples, &scope, alpha, &mut progress);
    let gates: Vec<Gate> = match policy {
        Some(policy) => comparisons
            .iter()
            .map(|c| compare::gate(policy, c, &resolved.incomplete))
            .collect(),
        None => Vec::new(),
    };
    for comparison in &comparisons {
        progress.line(terminal::render(comparison).trim_end());
    }
    for gate in &gates {
        progress.line(terminal::render_gate(gate, &resolved.baseline.to_string()).trim_end());
    }
    let report_failed = write_outputs(args, &comparisons, &gates, &mut progress);
    Ok(Compared {
        gates,
        stop: live.stop,
        errored_only: live.errored_only,
        report_failed: report_failed || live.recording_lost,
    })
}

/// The baseline and candidates, the reports that give either side's results, and what is left
/// to run.
fn resolve_sides(args: &CompareArgs) -> Result<Resolved, u8> {
    let baseline = parse_target(&args.baseline)?;
    let mut candidates = Vec::new();
    for text in &args.candidates {
        let target = parse_target(text)?;
        if !candidates.contains(&target) {
            candidates.push(target);
        }
    }
    let mut incomplete: Vec<String> = Vec::new();
    let earlier = match &args.baseline_report {
        Some(path) => {
            let (samples, report) = baseline_samples(path, baseline)?;
            incomplete.extend(report_gaps(path, &report));
            Some(samples)
        }
        None => None,
    };
    let candidate_report = match &args.candidate_report {
        Some(path) => {
            let report = candidate_report(path, &candidates)?;
            incomplete.extend(report_gaps(path, &report));
            Some(report)
        }
        None => None,
    };
    // Run what no report provides. A candidate that is the baseline itself (an A/A
    // comparison, to see the noise) is not the same samples twice: with the baseline run here,
    // each case runs twice as often and the attempts are dealt to the two sides at random.
    let mut targets = Vec::new();
    if earlier.is_none() {
        targets.push(baseline);
    }
    let twice = earlier.is_none() && candidate_report.is_none() && candidates.contains(&baseline);
    if candidate_report.is_none() {
        targets.extend(
            candidates
                .iter()
                .copied()
                .filter(|c| *c != baseline || earlier.is_some()),
        );
    }
    Ok(Resolved {
        baseline,
        candidates,
        earlier,
        candidate_report,
        incomplete,
        targets,
        twice,
    })
}

/// Refuse outputs that would overwrite what the command reads.
fn check_outputs(
    args: &CompareArgs,
    policy_file: Option<&Path>,
    suites: &[crate::suite::Suite],
) -> Result<(), u8> {
    let inputs = read_by_comparison(args, policy_file);
    args.execution
        .check_outputs(
            &[
                ("Markdown comparison", args.markdown.as_deref()),
                ("JSON comparison", args.json.as_deref()),
                ("HTML comparison", args.html.as_deref()),
            ],
            suites,
            &inputs,
        )
        .map_err(Refusal::said)
}

/// A policy's tag that no case of the suites carries is a mistake (a typo would refuse every
/// candidate, each time saying no judged attempt carries it): refused before anything runs.
fn check_policy_tags(
    policy: &Policy,
    file: &Path,
    suites: &[crate::suite::Suite],
) -> Result<(), u8> {
    let known = crate::suite::Suite::tags(suites);
    let Some(missing) = policy
        .tags
        .keys()
        .find(|tag| !known.contains(&tag.as_str()))
    else {
        return Ok(());
    };
    let hint = crate::diagnostic::did_you_mean(missing, known.iter().copied())
        .map(|h| format!("; {h}"))
        .unwrap_or_default();
    let tags = match known.is_empty() {
        true => "no case has a tag".to_owned(),
        false => format!("the tags are: {}", known.join(", ")),
    };
    crate::errln!(
        "error: {} asks a pass rate of the tag `{}`, which no case carries ({tags}{hint})",
        file.display(),
        one_line(missing)
    );
    Err(exit::USAGE)
}

/// Each side's samples: a report's where one was given, else the live run's.
fn gather_samples(resolved: &mut Resolved, live: SideSamples) -> SideSamples {
    SideSamples {
        baseline: resolved.earlier.take().unwrap_or(live.baseline),
        // A candidate report gives the candidates' samples; the live run, only the baseline's.
        candidates: match &resolved.candidate_report {
            Some(report) => compare::sides::candidate_samples_of(
                &report.cases,
                &resolved.candidates,
                resolved.baseline,
            ),
            None => live.candidates,
        },
    }
}

/// Compare the baseline with each candidate over the cases `scope` holds, with a note naming
/// the cases one side lacks.
fn compare_candidates(
    args: &CompareArgs,
    resolved: &Resolved,
    samples: &SideSamples,
    scope: &Scope,
    alpha: f64,
    progress: &mut Terminal,
) -> Vec<CandidateComparison> {
    let baseline_label = resolved.baseline.to_string();
    let mut comparisons: Vec<CandidateComparison> = Vec::new();
    for candidate in &resolved.candidates {
        let label = candidate.to_string();
        let (mut base, mut cand) = samples.compared(scope, resolved.baseline, *candidate);
        let no_baseline = absent(&cand, &base);
        if !no_baseline.is_empty() {
            progress.line(&lacking_note(
                &no_baseline,
                &format!("{baseline_label} result to compare with {label}"),
            ));
        }
        // Selected, but in neither side's report: said, not dropped without a word.
        let present: HashSet<(&str, &str)> = (base.iter().chain(&cand))
            .map(|s| (s.suite.as_str(), s.case.as_str()))
            .collect();
        let neither: Vec<&CaseName> = (scope.cases(resolved.baseline, *candidate).into_iter())
            .filter(|(suite, case)| !present.contains(&(suite.as_str(), case.as_str())))
            .collect();
        if !neither.is_empty() {
            let named: Vec<String> = (neither.iter())
                .map(|(suite, case)| format!("{suite} › {case}"))
                .collect();
            progress.line(&lacking_note(
                &named,
                &format!("result on either side ({baseline_label} or {label})"),
            ));
        }
        // Not run on either side, for the comparison to show and the gate to judge: a
        // selection the reports hold one case of is no evidence about the others.
        for (suite, case) in neither {
            base.push(Sample::absent(suite, case, &baseline_label));
            cand.push(Sample::absent(suite, case, &label));
        }
        let no_candidate = absent(&base, &cand);
        if !no_candidate.is_empty() {
            let source = match &args.candidate_report {
                Some(path) => format!("{label} result in {}", path.display()),
                None => format!("{label} result"),
            };
            progress.line(&lacking_note(&no_candidate, &source));
        }
        comparisons.push(compare::compare(
            &baseline_label,
            &label,
            &base,
            &cand,
            alpha,
        ));
    }
    comparisons
}

/// Write the comparison where asked (the job summary on GitHub, `--markdown`, `--html`,
/// `--json`); whether an output could not be written.
fn write_outputs(
    args: &CompareArgs,
    comparisons: &[CandidateComparison],
    gates: &[Gate],
    progress: &mut Terminal,
) -> bool {
    let mut report_failed = false;
    if crate::report::ci::on_github() {
        let summary = markdown::render(comparisons, gates);
        report_failed |= report_error(
            "job summary",
            crate::report::ci::append_step_summary(&summary),
        );
    }
    if let Some(path) = &args.markdown {
        report_failed |= report_error(
            "Markdown",
            write_report(path, &markdown::render(comparisons, gates)),
        );
    }
    if let Some(path) = &args.html {
        report_failed |= report_error(
            "HTML",
            write_report(path, &html::render(comparisons, gates)),
        );
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(
            &serde_json::json!({"format": 1, "comparisons": comparisons, "gates": gates}),
        )
        .map_err(|err| err.to_string());
        report_failed |= report_error("JSON", json.and_then(|text| write_report(path, &text)));
    }
    report_failed |= super::run::output_error(progress);
    report_failed
}

/// The cases of `samples` that `other` has no sample of, as `suite › case`.
fn absent(samples: &[Sample], other: &[Sample]) -> Vec<String> {
    let present: std::collections::HashSet<(&str, &str)> = other
        .iter()
        .map(|o| (o.suite.as_str(), o.case.as_str()))
        .collect();
    samples
        .iter()
        .filter(|s| !present.contains(&(s.suite.as_str(), s.case.as_str())))
        .map(|s| format!("{} › {}", s.suite, s.case))
        .collect()
}

/// "note: 2 cases have no v2 result in shard.json: a › b; a › c".
fn lacking_note(cases: &[String], what: &str) -> String {
    let n = cases.len() as u64;
    format!(
        "note: {} {} no {what}: {}",
        counted(n, "case"),
        agree(n, "has", "have"),
        cases.join("; ")
    )
}

/// What a live run of the comparison produced.
#[derive(Default)]
struct Live {
    samples: SideSamples,
    stop: Option<Stop>,
    errored_only: bool,
    /// `--record`'s file was not written (said); the comparison still is.
    recording_lost: bool,
}

/// What a live run of the comparison is to run: the suites fitted to the compared targets,
/// and the plan.
struct ToRun {
    suites: Vec<crate::suite::Suite>,
    plan: Vec<Planned>,
}

/// Fit the suites to the targets to run and plan the selected cases on them; in an A/A
/// comparison, the baseline's cases run twice as often and their attempts are dealt at random
/// to a baseline and a candidate sample.
fn plan_live(
    execution: &ExecutionArgs,
    mut suites: Vec<crate::suite::Suite>,
    resolved: &Resolved,
    progress: &mut Terminal,
) -> Result<ToRun, u8> {
    let baseline = resolved.baseline;
    let pinned = scope::fit_suites(&mut suites, resolved.sides(), &resolved.targets);
    let (mut plan, _) = execution.plan_by_case(&suites).map_err(Refusal::said)?;
    // Said once the selection is known to hold something: `--filter zzz` just says nothing
    // matches.
    if !pinned.is_empty() {
        let n = pinned.len() as u64;
        progress.line(&format!(
            "note: {} {} own targets and {} left out of the comparison: {}",
            counted(n, "case"),
            agree(n, "names its", "name their"),
            agree(n, "is", "are"),
            pinned.join("; ")
        ));
    }
    check_baseline_snapshots(&suites, &plan, baseline)?;
    if resolved.twice {
        progress.line(&format!(
            "note: {baseline} is both the baseline and a candidate: each case runs twice as often, its attempts dealt to the two sides at random"
        ));
        compare::aa::run_twice(&mut plan, baseline);
    }
    Ok(ToRun { suites, plan })
}

/// Every `snapshot` case of the plan has its baseline's golden file: each side is judged
/// against it, and a comparison writes none. Without it both sides would fail alike, and the
/// gate would see no regression where there may be one: a usage error before anything runs.
fn check_baseline_snapshots(
    suites: &[crate::suite::Suite],
    plan: &[Planned],
    baseline: Target,
) -> Result<(), u8> {
    // A case is planned once a target: each golden file is looked for once.
    let mut seen = HashSet::new();
    let mut missing: Vec<(String, std::path::PathBuf)> = Vec::new();
    for planned in plan {
        let suite = &suites[planned.key.suite];
        let case = &suite.cases[planned.key.case];
        if case.expect.snapshot.is_none() || !seen.insert((planned.key.suite, planned.key.case)) {
            continue;
        }
        let golden = crate::snapshot::golden_path(suite, case, baseline);
        if std::fs::symlink_metadata(&golden).is_err() {
            missing.push((format!("{} › {}", suite.name, case.name), golden));
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    const SHOWN: usize = 10;
    let n = missing.len() as u64;
    crate::errln!(
        "error: {} {} no snapshot of {baseline} to compare with (a comparison judges both sides against the baseline's approved snapshot, and writes none):",
        counted(n, "case"),
        agree(n, "has", "have")
    );
    for (case, golden) in missing.iter().take(SHOWN) {
        crate::errln!("  {} (missing {})", one_line(case), golden.display());
    }
    if missing.len() > SHOWN {
        crate::errln!("  and {} more", missing.len() - SHOWN);
    }
    crate::errln!(
        "help: `flowcheck run` on {baseline}, outside CI, creates them; review and commit them, then compare"
    );
    Err(exit::USAGE)
}

/// Run the plan of a live comparison.
async fn run_live(
    execution: &ExecutionArgs,
    to_run: ToRun,
    resolved: &Resolved,
    progress: &mut Terminal,
) -> Result<Live, u8> {
    let baseline = resolved.baseline;
    let snapshots = crate::snapshot::Policy {
        update: false,
        ci: true,
        golden_target: Some(baseline),
    };
    let options = execution.options(false, snapshots);
    let executed = execution
        .execute(
            &to_run.suites,
            &to_run.plan,
            &options,
            progress,
            // Outputs are diffed between the sides: kept whole.
            crate::report::spill::Keep::whole(),
        )
        .await
        .map_err(Refusal::said)?;
    Ok(Live {
        samples: SideSamples::of_run(&executed.outcomes, baseline, resolved.twice),
        stop: executed.stop,
        errored_only: executed.totals.errored_only(),
        recording_lost: executed.recording_lost,
    })
}

/// Refuse a comparison whose baseline and a candidate share no case: it would compare nothing
/// and exit 0, as if it had passed (a report of another suite given for one side, say).
/// Partial overlap is compared, the cases one side lacks named in a note. Said before anything
/// is sent.
fn check_in_common(
    args: &CompareArgs,
    resolved: &Resolved,
    scope: &Scope,
    to_run: Option<&ToRun>,
) -> Result<(), u8> {
    let baseline = resolved.baseline;
    let planned = |target: Target| -> Vec<CaseName> {
        let Some(to_run) = to_run else {
            return Vec::new();
        };
        unique(
            to_run
                .plan
                .iter()
                .filter(|p| p.target == target)
                .filter_map(|p| {
                    let suite = to_run.suites.get(p.key.suite)?;
                    let case = suite.cases.get(p.key.case)?;
                    Some((suite.name.to_string(), case.name.clone()))
                }),
        )
    };
    let shown = |path: &Option<PathBuf>| match path {
        Some(path) => format!("from {}", path.display()),
        None => "to run here".to_owned(),
    };
    let base = Held {
        target: baseline,
        source: shown(&args.baseline_report),
        cases: match &resolved.earlier {
            Some(samples) => unique(samples.iter().map(|s| (s.suite.clone(), s.case.clone()))),
            None => planned(baseline),
        },
    };
    for &candidate in &resolved.candidates {
        let label = candidate.to_string();
        let cand = Held {
            target: candidate,
            source: shown(&args.candidate_report),
            cases: match &resolved.candidate_report {
                Some(report) => unique(
                    report
                        .cases
                        .iter()
                        .filter(|c| c.target == label)
                        .map(|c| (c.suite.to_string(), c.case.clone())),
                ),
                None => planned(candidate),
            },
        };
        let compared = |held: &Held| -> Vec<CaseName> {
            held.cases
                .iter()
                .filter(|case| scope.compares_case(case, baseline, candidate))
                .cloned()
                .collect()
        };
        let (base_compared, cand_compared) = (compared(&base), compared(&cand));
        let theirs: HashSet<&CaseName> = cand_compared.iter().collect();
        if base_compared.iter().any(|case| theirs.contains(case)) {
            continue;
        }
        crate::errln!(
            "error: the baseline ({baseline}) and the candidate ({candidate}) have no case in common, so there is nothing to compare; nothing was sent\n  baseline {}\n  candidate {}\n  = help: compare results of the same cases: reports of runs of these suites, or leave a report out to run its side here",
            base.describe(&base_compared),
            cand.describe(&cand_compared),
        );
        return Err(exit::USAGE);
    }
    Ok(())
}

/// The cases one side of a comparison holds on its target, and where they come from.
struct Held {
    target: Target,
    /// `from PATH` (a report) or `to run here`.
    source: String,
    /// Every case it holds, once each, in order, whether the comparison holds it or not.
    cases: Vec<CaseName>,
}

impl Held {
    /// "v2, from other.json: none of the selected cases; it holds 1 case of other (another
    /// case)", where `compared` are the cases of it the comparison holds.
    fn describe(&self, compared: &[CaseName]) -> String {
        let what = if !compared.is_empty() {
            some_cases(compared)
        } else if self.cases.is_empty() {
            format!(
                "no selected case runs on {} (a case that names its own targets runs only on those)",
                self.target
            )
        } else {
            format!(
                "none of the cases selected from these suites; it holds {}",
                some_cases(&self.cases)
            )
        };
        format!("{}, {}: {what}", self.target, self.source)
    }
}

/// "13 cases of support-triage (refund requests go to billing; ...; and 10 more)": how many
/// cases, of which suites, and the first few.
fn some_cases(cases: &[CaseName]) -> String {
    const SHOWN: usize = 3;
    let mut suites: Vec<&str> = Vec::new();
    for (suite, _) in cases {
        if !suites.contains(&suite.as_str()) {
            suites.push(suite);
        }
    }
    let one_suite = suites.len() == 1;
    let mut names: Vec<String> = cases
        .iter()
        .take(SHOWN)
        .map(|(suite, case)| match one_suite {
            true => one_line(case).into_owned(),
            false => format!("{} › {}", one_line(suite), one_line(case)),
        })
        .collect();
    if cases.len() > SHOWN {
        names.push(format!("and {} more", cases.len() - SHOWN));
    }
    let of = match suites.as_slice() {
        [suite] => one_line(suite).into_owned(),
        _ => {
            let mut listed: Vec<String> = suites
                .iter()
                .take(SHOWN)
                .map(|s| one_line(s).into_owned())
                .collect();
            if suites.len() > SHOWN {
                listed.push(format!("{} more", suites.len() - SHOWN));
            }
            format!("{} suites ({})", suites.len(), listed.join(", "))
        }
    };
    format!(
        "{} of {of} ({})",
        counted(cases.len() as u64, "case"),
        names.join("; ")
    )
}

/// The cases once each, in their first order (a report holds a repeated case's attempts).
fn unique(cases: impl Iterator<Item = CaseName>) -> Vec<CaseName> {
    let mut seen = HashSet::new();
    cases.filter(|case| seen.insert(case.clone())).collect()
}

/// Why a report is not a whole run: it stopped early, or it is one shard of its run.
fn report_gaps(path: &Path, report: &ReadReport) -> Vec<String> {
    let shown = path.display().to_string();
    let mut gaps = Vec::new();
    if let Some(stopped) = &report.stopped {
        gaps.push(format!(
            "{shown} is of a run that stopped before its end ({stopped})"
        ));
    }
    if let Some(shard) = report.shard.filter(|s| s.total > 1) {
        gaps.push(format!(
            "{shown} holds shard {}/{} of its run: merge the shards first (flowcheck merge)",
            shard.index, shard.total
        ));
    }
    gaps
}

/// The baseline's samples from an earlier JSON report, and the report.
fn baseline_samples(path: &Path, baseline: Target) -> Result<(Vec<Sample>, ReadReport), u8> {
    let report = read_report(path).map_err(Refusal::said)?;
    let samples = compare::sides::samples_of(&report.cases, &[baseline]);
    if samples.is_empty() {
        crate::errln!("error: {} holds no results for {baseline}", path.display());
        return Err(exit::USAGE);
    }
    Ok((samples, report))
}

/// The candidates' results from a JSON report, which must hold some of every candidate.
fn candidate_report(path: &Path, candidates: &[Target]) -> Result<ReadReport, u8> {
    let report = read_report(path).map_err(Refusal::said)?;
    for candidate in candidates {
        let label = candidate.to_string();
        if !report.cases.iter().any(|c| c.target == label) {
            crate::errln!("error: {} holds no results for {label}", path.display());
            return Err(exit::USAGE);
        }
    }
    Ok(report)
}
