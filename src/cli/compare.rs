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
        self.report_failed || self.errored_only || matches!(self.stop, Some(Stop::Fatal(_)))
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
            Some(report)
        }
        None => None,
    };
    // Run what no report provides.
    let mut targets = Vec::new();
    if earlier.is_none() {
        targets.push(baseline);
    }
    if earlier_candidates.is_none() {
        targets.extend(candidates.iter().copied().filter(|c| *c != baseline));
    }
    // The suites are loaded when something runs; otherwise only their files are named.
    let (mut suites, named) = if targets.is_empty() {
        let named = crate::suite::load::discover(&execution.paths).unwrap_or_default();
        (Vec::new(), named)
    } else {
        (execution.load()?, Vec::new())
    };
    let inputs: Vec<(&str, &Path)> = [
        ("--baseline-report", args.baseline_report.as_deref()),
        ("--candidate-report", args.candidate_report.as_deref()),
        ("--policy", policy_file),
    ]
    .into_iter()
    .filter_map(|(what, path)| Some((what, path?)))
    .chain(named.iter().map(|file| ("suite", file.as_path())))
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
    let (mut samples, stop, errored_only) = if targets.is_empty() {
        (Vec::new(), None, false)
    } else {
        // A case that names its own targets is about those versions: run on others it would
        // fail by design and count against both sides. It stays when it names them all.
        let mut pinned: Vec<String> = Vec::new();
        for suite in &mut suites {
            suite.cases.retain(|case| {
                let elsewhere = case.pinned && !targets.iter().all(|t| case.targets.contains(t));
                if elsewhere {
                    pinned.push(format!("{} › {}", suite.name, case.name));
                }
                !elsewhere
            });
            for case in &mut suite.cases {
                case.targets = targets.clone();
            }
        }
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
        let (plan, _) = execution.plan(&suites)?;
        let snapshots = crate::snapshot::Policy {
            update: false,
            ci: true,
            golden_target: Some(baseline),
        };
        let options = execution.options(false, snapshots);
        let executed = execution
            .execute(&suites, &plan, &options, &mut progress)
            .await?;
        let judged = executed.totals.passed + executed.totals.flaky + executed.totals.failed;
        let samples: Vec<Sample> = executed.outcomes.iter().map(Sample::from_outcome).collect();
        (
            samples,
            executed.stop,
            judged == 0 && executed.totals.errored > 0,
        )
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
    let baseline_samples: Vec<Sample> = match earlier {
        Some(samples) => samples,
        None => samples
            .iter()
            .filter(|s| s.target == baseline_label)
            .cloned()
            .collect(),
    };
    let missing = samples
        .iter()
        .filter(|s| {
            s.target != baseline_label
                && !baseline_samples
                    .iter()
                    .any(|b| b.suite == s.suite && b.case == s.case)
        })
        .map(|s| format!("{} › {}", s.suite, s.case))
        .collect::<std::collections::BTreeSet<_>>();
    if !missing.is_empty() {
        let n = missing.len() as u64;
        progress.line(&format!(
            "note: {} {} no {baseline_label} result to compare with and {} left out: {}",
            counted(n, "case"),
            agree(n, "has", "have"),
            agree(n, "is", "are"),
            missing.into_iter().collect::<Vec<_>>().join("; ")
        ));
    }
    let alpha = policy.map(|p| p.alpha).unwrap_or(0.05);
    let comparisons: Vec<CandidateComparison> = candidates
        .iter()
        .map(|candidate| {
            let label = candidate.to_string();
            let candidate_samples: Vec<Sample> = samples
                .iter()
                .filter(|s| s.target == label)
                .cloned()
                .collect();
            compare::compare(
                &baseline_label,
                &label,
                &baseline_samples,
                &candidate_samples,
                alpha,
            )
        })
        .collect();
    let gates: Vec<Gate> = match policy {
        Some(policy) => comparisons
            .iter()
            .map(|c| compare::gate(policy, c))
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
    if crate::report::ci::detect() == crate::report::ci::Ci::GitHub {
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

/// The baseline's samples from an earlier JSON report.
fn baseline_samples(path: &std::path::Path, baseline: &str) -> Result<Vec<Sample>, u8> {
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
    Ok(samples)
}
