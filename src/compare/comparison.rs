//! Comparing a baseline with each candidate: every case classified, with its significance;
//! every suite and the whole run summarised with pass-rate intervals, latency and usage.

use super::sample::Sample;
use super::stats::{Z95, fisher_exact, holm, mcnemar_exact, percentile, wilson};
use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Fixed,
    Regressed,
    StillFailing,
    StillPassing,
    /// Same verdict on both sides, but mixed results across repeats on at least one.
    Flaky,
    /// No judged attempt on one side: the comparison says nothing.
    Errored,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Fixed => "fixed",
            Class::Regressed => "regressed",
            Class::StillFailing => "still failing",
            Class::StillPassing => "still passing",
            Class::Flaky => "flaky",
            Class::Errored => "errored",
        }
    }
}

/// One side of a case: its pass count and rate with a 95% Wilson interval.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub target: String,
    pub passed: bool,
    pub passes: u64,
    pub judged: u64,
    pub errors: u64,
    pub pass_rate: f64,
    pub interval: (f64, f64),
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    /// Why an attempt errored (the first one's message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Side {
    fn of(sample: &Sample) -> Side {
        let judged = sample.judged();
        Side {
            target: sample.target.clone(),
            passed: sample.passed(),
            passes: sample.passes,
            judged,
            errors: sample.errors,
            pass_rate: if judged == 0 {
                0.0
            } else {
                sample.passes as f64 / judged as f64
            },
            interval: wilson(sample.passes, judged, Z95),
            output: sample.output.clone(),
            error: sample.error.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CaseComparison {
    pub suite: String,
    pub case: String,
    pub file: String,
    pub line: u32,
    pub tags: Vec<String>,
    pub baseline: Side,
    pub candidate: Side,
    pub class: Class,
    /// Fisher's exact test on the two sides' repeats, and Holm-adjusted across the repeated
    /// cases; none for a case run once a side, where there is no measure of noise.
    pub p_value: Option<f64>,
    pub adjusted_p: Option<f64>,
    /// Whether the change is beyond noise: significant after adjustment when there are repeats;
    /// with one run per side there is no measure of noise and any flip counts.
    pub significant: bool,
    pub outputs_differ: bool,
}

/// One target's figures over a set of cases.
#[derive(Debug, Clone, Serialize, Default)]
pub struct TargetSummary {
    pub target: String,
    pub cases: u64,
    pub cases_passed: u64,
    pub attempts: u64,
    pub passes: u64,
    pub errors: u64,
    pub pass_rate: f64,
    pub interval: (f64, f64),
    pub error_rate: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_p50_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_p95_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_per_run: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd_per_run: Option<f64>,
}

impl TargetSummary {
    /// The pass rate in words, as reports and the gate's rules show it.
    pub fn pass_rate_text(&self) -> String {
        pass_rate_text(self.passes, self.attempts - self.errors, self.errors)
    }

    pub fn of<'a>(target: &str, samples: impl IntoIterator<Item = &'a Sample>) -> TargetSummary {
        let samples: Vec<&Sample> = samples.into_iter().collect();
        let judged: u64 = samples.iter().map(|s| s.judged()).sum();
        let passes: u64 = samples.iter().map(|s| s.passes).sum();
        let attempts: u64 = samples.iter().map(|s| s.attempts()).sum();
        let errors: u64 = samples.iter().map(|s| s.errors).sum();
        let latencies: Vec<f64> = samples
            .iter()
            .flat_map(|s| s.latencies_ms.iter().copied())
            .collect();
        let mean_of = |values: Vec<f64>| {
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        TargetSummary {
            target: target.to_owned(),
            cases: samples.len() as u64,
            cases_passed: samples.iter().filter(|s| s.passed()).count() as u64,
            attempts,
            passes,
            errors,
            pass_rate: if judged == 0 {
                0.0
            } else {
                passes as f64 / judged as f64
            },
            interval: wilson(passes, judged, Z95),
            error_rate: if attempts == 0 {
                0.0
            } else {
                errors as f64 / attempts as f64
            },
            latency_p50_ms: percentile(&latencies, 50.0),
            latency_p95_ms: percentile(&latencies, 95.0),
            tokens_per_run: mean_of(samples.iter().filter_map(|s| s.tokens).collect()),
            cost_usd_per_run: mean_of(samples.iter().filter_map(|s| s.cost_usd).collect()),
        }
    }
}

/// `92.0%`
pub fn percent(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// "92.0% (95% CI 80.8–96.8%)" for `passes` of `judged` attempts, or what there is instead when
/// no attempt was judged.
pub fn pass_rate_text(passes: u64, judged: u64, errors: u64) -> String {
    match (judged, errors) {
        (0, 0) => "no attempts".into(),
        (0, n) => format!("no judged attempts ({n} errored)"),
        _ => {
            let (low, high) = wilson(passes, judged, Z95);
            format!(
                "{} (95% CI {:.1}–{})",
                percent(passes as f64 / judged as f64),
                low * 100.0,
                percent(high)
            )
        }
    }
}

/// Baseline against one candidate over a set of cases (a suite, or all of them).
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scope: String,
    pub baseline: TargetSummary,
    pub candidate: TargetSummary,
    /// Exact McNemar test on the cases' pass/fail pairs.
    pub mcnemar_p: f64,
    pub fixed: u64,
    pub regressed: u64,
    pub significant_regressions: u64,
    pub flaky: u64,
    pub errored: u64,
    /// Relative change of the latency p95 (0.2 = 20% slower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_p95_change: Option<f64>,
}

impl CaseComparison {
    /// Run once a side: no measure of noise, so a flip counts as it is.
    pub fn run_once(&self) -> bool {
        self.adjusted_p.is_none()
    }
}

impl CandidateComparison {
    /// The regressions that count against the candidate, in case order: beyond noise over
    /// repeats, or in a case run once a side ([`CaseComparison::run_once`]).
    pub fn counted_regressions(&self) -> Vec<&CaseComparison> {
        self.cases
            .iter()
            .filter(|c| c.class == Class::Regressed && c.significant)
            .collect()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CandidateComparison {
    pub baseline: String,
    pub candidate: String,
    pub cases: Vec<CaseComparison>,
    pub suites: Vec<Summary>,
    pub overall: Summary,
}

/// Compare `baseline` samples with `candidate` samples, matched by suite and case name.
pub fn compare(
    baseline_target: &str,
    candidate_target: &str,
    baseline: &[Sample],
    candidate: &[Sample],
    alpha: f64,
) -> CandidateComparison {
    let mut pairs: Vec<(&Sample, &Sample)> = Vec::new();
    for c in candidate {
        if let Some(b) = baseline
            .iter()
            .find(|b| b.suite == c.suite && b.case == c.case)
        {
            pairs.push((b, c));
        }
    }
    let repeated = |(b, c): &(&Sample, &Sample)| b.judged() > 1 || c.judged() > 1;
    // Only repeated cases measure noise, and only they share the Holm adjustment.
    let p_values: Vec<Option<f64>> = pairs
        .iter()
        .map(|pair| {
            repeated(pair).then(|| {
                fisher_exact(
                    pair.0.passes,
                    pair.0.failures,
                    pair.1.passes,
                    pair.1.failures,
                )
            })
        })
        .collect();
    let mut adjusted = holm(&p_values.iter().flatten().copied().collect::<Vec<_>>()).into_iter();
    let adjusted: Vec<Option<f64>> = p_values
        .iter()
        .map(|p| p.and_then(|_| adjusted.next()))
        .collect();
    let cases: Vec<CaseComparison> = pairs
        .iter()
        .zip(p_values.iter().zip(&adjusted))
        .map(|(pair, (p, adjusted_p))| {
            let (b, c) = *pair;
            let class = classify(b, c);
            let flipped = matches!(class, Class::Fixed | Class::Regressed);
            CaseComparison {
                suite: c.suite.clone(),
                case: c.case.clone(),
                file: c.file.clone(),
                line: c.line,
                tags: c.tags.clone(),
                baseline: Side::of(b),
                candidate: Side::of(c),
                class,
                p_value: *p,
                adjusted_p: *adjusted_p,
                significant: flipped && adjusted_p.is_none_or(|p| p < alpha),
                outputs_differ: match (&b.output, &c.output) {
                    (Some(x), Some(y)) => !crate::check::predicate::json_equal(x, y),
                    (None, None) => false,
                    _ => true,
                },
            }
        })
        .collect();
    let mut suite_names: Vec<&str> = Vec::new();
    for case in &cases {
        if !suite_names.contains(&case.suite.as_str()) {
            suite_names.push(&case.suite);
        }
    }
    let summarise = |scope: &str, keep: &dyn Fn(&str) -> bool| {
        let chosen: Vec<&(&Sample, &Sample)> =
            pairs.iter().filter(|(_, c)| keep(&c.suite)).collect();
        let chosen_cases: Vec<&CaseComparison> = cases.iter().filter(|c| keep(&c.suite)).collect();
        summary(
            scope,
            baseline_target,
            candidate_target,
            &chosen,
            &chosen_cases,
        )
    };
    let suites = suite_names
        .iter()
        .map(|name| summarise(name, &|s| s == *name))
        .collect();
    let overall = summarise("all suites", &|_| true);
    CandidateComparison {
        baseline: baseline_target.to_owned(),
        candidate: candidate_target.to_owned(),
        cases,
        suites,
        overall,
    }
}

fn classify(baseline: &Sample, candidate: &Sample) -> Class {
    if baseline.only_errors() || candidate.only_errors() {
        Class::Errored
    } else if baseline.passed() && !candidate.passed() {
        Class::Regressed
    } else if !baseline.passed() && candidate.passed() {
        Class::Fixed
    } else if baseline.mixed() || candidate.mixed() {
        Class::Flaky
    } else if candidate.passed() {
        Class::StillPassing
    } else {
        Class::StillFailing
    }
}

fn summary(
    scope: &str,
    baseline_target: &str,
    candidate_target: &str,
    pairs: &[&(&Sample, &Sample)],
    cases: &[&CaseComparison],
) -> Summary {
    let baseline = TargetSummary::of(baseline_target, pairs.iter().map(|(b, _)| *b));
    let candidate = TargetSummary::of(candidate_target, pairs.iter().map(|(_, c)| *c));
    // A side with no judged attempt says nothing about the flow: such pairs are `errored`, not
    // discordant.
    let judged = || {
        pairs
            .iter()
            .filter(|(b, c)| !b.only_errors() && !c.only_errors())
    };
    let only_baseline = judged().filter(|(b, c)| b.passed() && !c.passed()).count() as u64;
    let only_candidate = judged().filter(|(b, c)| !b.passed() && c.passed()).count() as u64;
    let count = |class: Class| cases.iter().filter(|c| c.class == class).count() as u64;
    let latency_p95_change = match (baseline.latency_p95_ms, candidate.latency_p95_ms) {
        (Some(b), Some(c)) if b > 0.0 => Some(c / b - 1.0),
        _ => None,
    };
    Summary {
        scope: scope.to_owned(),
        mcnemar_p: mcnemar_exact(only_baseline, only_candidate),
        fixed: count(Class::Fixed),
        regressed: count(Class::Regressed),
        significant_regressions: cases
            .iter()
            .filter(|c| c.class == Class::Regressed && c.significant)
            .count() as u64,
        flaky: count(Class::Flaky),
        errored: count(Class::Errored),
        latency_p95_change,
        baseline,
        candidate,
    }
}
