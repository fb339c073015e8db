//! `flowcheck compare` and `flowcheck gate`: run the same cases on a baseline and candidates
//! (or read the baseline from an earlier JSON report), show what changed, and, for the gate,
//! apply a policy and refuse a candidate that is worse.

use super::execution::{ExecutionArgs, read_report};
use super::run::report_error;
use crate::compare::{self, CandidateComparison, Gate, Policy, Sample};
use crate::exit;
use crate::report::comparison::{html, markdown, terminal};
use crate::report::{Terminal, write_report};
use crate::run::Stop;
use crate::suite::Target;
use crate::words::{agree, counted};
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
        Err(code) => code,
    }
}

pub async fn gate(args: GateArgs) -> u8 {
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

/// `policy_file`: where the gate's policy was read, which no report may overwrite.
async fn compare_and_report(
    args: &CompareArgs,
    policy: Option<&Policy>,
    policy_file: Option<&Path>,
) -> Result<Compared, u8> {
    let baseline = parse_target(&args.baseline)?;
    let mut candidates = Vec::new();
    for text in &args.candidates {
        let target = parse_target(text)?;
        if !candidates.contains(&target) {
            candidates.push(target);
        }
    }
    let earlier = match &args.baseline_report {
        Some(path) => Some(baseline_samples(path, &baseline.to_string())?),
        None => None,
    };
    // What keeps the evidence from being a whole run, for the gate to refuse on.
    let mut incomplete: Vec<String> = Vec::new();
    if let Some((_, report)) = &earlier {
        incomplete.extend(report_gaps(args.baseline_report.as_deref(), report));
    }
    let earlier = earlier.map(|(samples, _)| samples);

    let execution = &args.execution;
    let baseline_label = baseline.to_string();
    let earlier_candidates = match &args.candidate_report {
        Some(path) => {
            let report = read_report(path)?;
            for candidate in &candidates {
                let label = candidate.to_string();
                if !report.cases.iter().any(|c| c.target == label) {
                    crate::errln!("error: {} holds no results for {label}", path.display());
                    return Err(exit::USAGE);
                }
            }
            incomplete.extend(report_gaps(Some(path), &report));
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
    let twice = earlier.is_none() && earlier_candidates.is_none() && candidates.contains(&baseline);
    if earlier_candidates.is_none() {
        targets.extend(
            candidates
                .iter()
                .copied()
                .filter(|c| *c != baseline || earlier.is_some()),
        );
    }
    // Loaded even when reports give both sides: the suites say which cases are selected and
    // which name their own targets, for reports as for a run.
    let suites = execution.load()?;
    let pinned = pinned_targets(&suites);
    // With nothing to run, the suites' selection says which cases the reports give; a run
    // says so itself (its pinned cases left out, its shard), below.
    let selected = match targets.is_empty() {
        true => Some(planned_cases(&suites, &execution.plan_by_case(&suites)?.0)),
        false => None,
    };
    let inputs: Vec<(&str, &Path)> = [
        ("--baseline-report", args.baseline_report.as_deref()),
        ("--candidate-report", args.candidate_report.as_deref()),
        ("--policy", policy_file),
    ]
    .into_iter()
    .filter_map(|(what, path)| Some((what, path?)))
    .collect();
    execution.check_outputs(
        &[
            ("Markdown comparison", args.markdown.as_deref()),
            ("JSON comparison", args.json.as_deref()),
            ("HTML comparison", args.html.as_deref()),
        ],
        &suites,
        &inputs,
    )?;
    let mut progress = Terminal::progress_only();
    let mut live = if targets.is_empty() {
        Live::default()
    } else {
        let compared = Sides {
            baseline,
            candidates: &candidates,
        };
        run_live(execution, suites, &targets, compared, twice, &mut progress).await?
    };
    let (stop, errored_only) = (live.stop.clone(), live.errored_only);
    // What ran is what is compared, for a report's side too.
    let scope = Scope {
        selected: selected.unwrap_or_else(|| std::mem::take(&mut live.planned)),
        pinned,
    };
    if let Some(stop) = &stop {
        incomplete.push(format!("the run stopped before its end: {}", stop.cause()));
    }
    let baseline_samples: Vec<Sample> = match earlier {
        Some(samples) => samples,
        None => live
            .samples
            .iter()
            .filter(|s| s.target == baseline_label)
            .cloned()
            .collect(),
    };
    // A candidate report gives the candidates' samples; the live run, only the baseline's.
    let mut samples = match (&earlier_candidates, twice) {
        (Some(_), _) => Vec::new(),
        (None, true) => live.again,
        (None, false) => live.samples,
    };
    if let Some(report) = &earlier_candidates {
        let wanted: Vec<String> = candidates.iter().map(|c| c.to_string()).collect();
        samples.extend(
            report
                .cases
                .iter()
                .filter(|c| wanted.contains(&c.target))
                .map(Sample::from_outcome),
        );
    }
    let alpha = policy.map(|p| p.alpha).unwrap_or(0.05);
    let mut comparisons: Vec<CandidateComparison> = Vec::new();
    for candidate in &candidates {
        let label = candidate.to_string();
        // The cases of this comparison: selected, and not naming targets that leave out
        // either side (a case about v1 and v2 is compared when v2 is, not when v3 is).
        let kept = |s: &&Sample| scope.compares(s, baseline, *candidate);
        let base: Vec<Sample> = baseline_samples.iter().filter(kept).cloned().collect();
        let cand: Vec<Sample> = samples
            .iter()
            .filter(|s| s.target == label)
            .filter(kept)
            .cloned()
            .collect();
        let no_baseline = absent(&cand, &base);
        if !no_baseline.is_empty() {
            progress.line(&lacking_note(
                &no_baseline,
                &format!("{baseline_label} result to compare with {label}"),
            ));
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
    let gates: Vec<Gate> = match policy {
        Some(policy) => comparisons
            .iter()
            .map(|c| compare::gate(policy, c, &incomplete))
            .collect(),
        None => Vec::new(),
    };

    for comparison in &comparisons {
        progress.line(terminal::render(comparison).trim_end());
    }
    for gate in &gates {
        progress.line(terminal::render_gate(gate, &baseline_label).trim_end());
    }

    let mut report_failed = false;
    if crate::report::ci::on_github() {
        let summary = markdown::render(&comparisons, &gates);
        report_failed |= report_error(
            "job summary",
            crate::report::ci::append_step_summary(&summary),
        );
    }
    if let Some(path) = &args.markdown {
        report_failed |= report_error(
            "Markdown",
            write_report(path, &markdown::render(&comparisons, &gates)),
        );
    }
    if let Some(path) = &args.html {
        report_failed |= report_error(
            "HTML",
            write_report(path, &html::render(&comparisons, &gates)),
        );
    }
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(
            &serde_json::json!({"format": 1, "comparisons": comparisons, "gates": gates}),
        )
        .map_err(|err| err.to_string());
        report_failed |= report_error("JSON", json.and_then(|text| write_report(path, &text)));
    }
    report_failed |= super::run::output_error(&mut progress);
    Ok(Compared {
        gates,
        stop,
        errored_only,
        report_failed,
    })
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

/// Which cases a comparison holds: those the selection (`--filter`, `--tag`, `--shard`,
/// `--only-failed`) keeps, each compared only between targets it names when it names its own.
/// Applied to reports as to a run.
struct Scope {
    /// The selected cases (suite, case): of the run when one ran, else of the suites.
    selected: std::collections::HashSet<(String, String)>,
    /// The targets of each case that names its own.
    pinned: std::collections::HashMap<(String, String), Vec<Target>>,
}

/// The targets of each case that names its own.
fn pinned_targets(
    suites: &[crate::suite::Suite],
) -> std::collections::HashMap<(String, String), Vec<Target>> {
    suites
        .iter()
        .flat_map(|suite| {
            suite.cases.iter().filter(|case| case.pinned).map(|case| {
                (
                    (suite.name.to_string(), case.name.clone()),
                    case.targets.clone(),
                )
            })
        })
        .collect()
}

impl Scope {
    fn compares(&self, sample: &Sample, baseline: Target, candidate: Target) -> bool {
        let key = (sample.suite.clone(), sample.case.clone());
        self.selected.contains(&key)
            && self
                .pinned
                .get(&key)
                .is_none_or(|targets| targets.contains(&baseline) && targets.contains(&candidate))
    }
}

/// The cases (suite, case) a plan holds.
fn planned_cases(
    suites: &[crate::suite::Suite],
    plan: &[crate::run::Planned],
) -> std::collections::HashSet<(String, String)> {
    plan.iter()
        .filter_map(|planned| {
            let suite = suites.get(planned.key.suite)?;
            let case = suite.cases.get(planned.key.case)?;
            Some((suite.name.to_string(), case.name.clone()))
        })
        .collect()
}

/// The targets compared: the baseline and every candidate.
#[derive(Clone, Copy)]
struct Sides<'a> {
    baseline: Target,
    candidates: &'a [Target],
}

/// What a live run of the comparison produced.
#[derive(Default)]
struct Live {
    samples: Vec<Sample>,
    /// With an A/A comparison only: every sample, with the baseline's other half of attempts
    /// as its candidate's.
    again: Vec<Sample>,
    stop: Option<Stop>,
    errored_only: bool,
    /// The cases the run planned (suite, case).
    planned: std::collections::HashSet<(String, String)>,
}

/// Run the selected cases on `targets`; with `twice`, the baseline's cases run twice as often
/// and their attempts are dealt at random to a baseline and a candidate sample.
async fn run_live(
    execution: &ExecutionArgs,
    mut suites: Vec<crate::suite::Suite>,
    targets: &[Target],
    compared: Sides<'_>,
    twice: bool,
    progress: &mut Terminal,
) -> Result<Live, u8> {
    let baseline = compared.baseline;
    // A case that names its own targets is about those versions: run on others it would
    // fail by design and count against both sides. It runs on the compared targets it names,
    // and is compared where it names both sides; one that names the baseline and no
    // candidate is left out.
    let mut pinned: Vec<String> = Vec::new();
    for suite in &mut suites {
        suite.cases.retain(|case| {
            let kept = !case.pinned
                || (case.targets.contains(&baseline)
                    && compared.candidates.iter().any(|c| case.targets.contains(c)));
            if !kept {
                pinned.push(format!("{} › {}", suite.name, case.name));
            }
            kept
        });
        for case in &mut suite.cases {
            case.targets = targets
                .iter()
                .copied()
                .filter(|t| !case.pinned || case.targets.contains(t))
                .collect();
        }
        suite.cases.retain(|case| !case.targets.is_empty());
    }
    let (mut plan, _) = execution.plan_by_case(&suites)?;
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
    if twice {
        progress.line(&format!(
            "note: {baseline} is both the baseline and a candidate: each case runs twice as often, its attempts dealt to the two sides at random"
        ));
        for planned in plan.iter_mut().filter(|p| p.target == baseline) {
            planned.attempts = planned.attempts.saturating_mul(2);
            planned.pass_if = planned.pass_if.saturating_mul(2);
        }
    }
    let snapshots = crate::snapshot::Policy {
        update: false,
        ci: true,
        golden_target: Some(baseline),
    };
    let options = execution.options(false, snapshots);
    let executed = execution
        .execute(&suites, &plan, &options, progress)
        .await?;
    let label = baseline.to_string();
    let mut live = Live {
        planned: planned_cases(&suites, &plan),
        stop: executed.stop,
        errored_only: executed.totals.errored_only(),
        ..Live::default()
    };
    for outcome in &executed.outcomes {
        if twice && outcome.target == label {
            let (first, second) = dealt(outcome);
            live.samples.push(Sample::from_outcome(&first));
            live.again.push(Sample::from_outcome(&second));
        } else {
            let sample = Sample::from_outcome(outcome);
            if twice {
                live.again.push(sample.clone());
            }
            live.samples.push(sample);
        }
    }
    Ok(live)
}

/// A case's attempts dealt at random to two sides, half each (a shuffle seeded by the case, so
/// a comparison is reproducible), each needing half the passes. Dealing in turn made any
/// behaviour of period two (every other call failing) a difference between the sides.
fn dealt(outcome: &crate::run::CaseOutcome) -> (crate::run::CaseOutcome, crate::run::CaseOutcome) {
    let mut order: Vec<usize> = (0..outcome.attempts.len()).collect();
    let seed = crate::stable_hash::hash_str(&format!("{} › {}", outcome.suite, outcome.case));
    fastrand::Rng::with_seed(seed).shuffle(&mut order);
    let (first, second) = order.split_at(order.len().div_ceil(2));
    let side = |picked: &[usize]| {
        let mut half = outcome.clone();
        let mut picked = picked.to_vec();
        picked.sort_unstable();
        half.attempts = picked
            .iter()
            .filter_map(|i| outcome.attempts.get(*i).cloned())
            .collect();
        half.pass_if = outcome.pass_if.div_ceil(2);
        half.status = crate::run::CaseOutcome::status_of(&half.attempts, half.pass_if);
        half
    };
    (side(first), side(second))
}

/// Why a report is not a whole run: it stopped early, or it is one shard of its run.
fn report_gaps(
    path: Option<&std::path::Path>,
    report: &crate::report::json::ReadReport,
) -> Vec<String> {
    let shown = path.map(|p| p.display().to_string()).unwrap_or_default();
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
fn baseline_samples(
    path: &std::path::Path,
    baseline: &str,
) -> Result<(Vec<Sample>, crate::report::json::ReadReport), u8> {
    let report = read_report(path)?;
    let samples: Vec<Sample> = report
        .cases
        .iter()
        .filter(|c| c.target == baseline)
        .map(Sample::from_outcome)
        .collect();
    if samples.is_empty() {
        crate::errln!("error: {} holds no results for {baseline}", path.display());
        return Err(exit::USAGE);
    }
    Ok((samples, report))
}
