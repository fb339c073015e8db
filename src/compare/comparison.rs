//! Comparing a baseline with each candidate: every case classified, with its significance;
//! every suite and the whole run summarised with pass-rate intervals, latency and usage.

use super::sample::Sample;
use super::stats::{
    Z95, fisher_exact, fisher_least, holm, mcnemar_exact, percentile, tarone, wilson,
    wilson_clustered,
};
use serde::Serialize;
use serde_json::Value;
use std::borrow::Cow;
use std::collections::HashMap;

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
    /// No attempt at all on one side: the run stopped first, or a report lacks the case.
    NotRun,
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
            Class::NotRun => "not run",
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
    /// The first check that failed, and what it found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_check: Option<String>,
}

impl Side {
    /// Every judged attempt agreed: all passed or all failed.
    pub fn unanimous(&self) -> bool {
        self.passes == 0 || self.passes == self.judged
    }

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
            failed_check: sample.failed_check.clone(),
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
    /// Without a flip of the verdict (both sides within `pass_if`, say), whether the pass rate
    /// still moved beyond noise: `Some("down")` or `Some("up")`. Shown, not gated: the case's
    /// `pass_if` says what is good enough.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pass_rate_moved: Option<&'static str>,
    /// Repeated, but too few times to tell: no answers its repeats could give would be
    /// significant (6/6 against 3/6 is p = 0.18 at best), so it is left out of the adjustment
    /// and its `adjusted_p` is 1. More repeats can tell.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub too_few_repeats: bool,
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
        let judged = self.attempts - self.errors;
        match judged {
            0 => pass_rate_text(self.passes, judged, self.errors),
            _ => interval_text(self.passes as f64 / judged as f64, self.interval),
        }
    }

    pub fn of<'a>(target: &str, samples: impl IntoIterator<Item = &'a Sample>) -> TargetSummary {
        let samples: Vec<&Sample> = samples.into_iter().collect();
        let judged: u64 = samples.iter().map(|s| s.judged()).sum();
        let passes: u64 = samples.iter().map(|s| s.passes).sum();
        let attempts: u64 = samples.iter().map(|s| s.attempts()).sum();
        let errors: u64 = samples.iter().map(|s| s.errors).sum();
        // Per run: every attempt that reported usage weighs the same, whatever its case.
        let mean_of = |values: Vec<f64>| {
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        let all = |of: fn(&Sample) -> &Vec<f64>| -> Vec<f64> {
            samples.iter().flat_map(|s| of(s).iter().copied()).collect()
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
            interval: wilson_clustered(
                &samples
                    .iter()
                    .map(|s| (s.passes, s.judged()))
                    .collect::<Vec<_>>(),
                Z95,
            ),
            error_rate: if attempts == 0 {
                0.0
            } else {
                errors as f64 / attempts as f64
            },
            // Over the cases both sides answered, which [`summary`] knows.
            latency_p50_ms: None,
            latency_p95_ms: None,
            tokens_per_run: mean_of(all(|s| &s.tokens)),
            cost_usd_per_run: mean_of(all(|s| &s.costs_usd)),
        }
    }
}

/// Milliseconds, with a decimal below 100 ms: a loopback call takes under one, `0 ms → 1 ms`
/// hid what the change was measured on, and `12 ms → 5.0 ms (-53.7%)` did not add up.
pub fn ms(value: Option<f64>) -> String {
    match value {
        Some(v) if v < 100.0 => format!("{v:.1} ms"),
        Some(v) => format!("{v:.0} ms"),
        None => "–".into(),
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
        _ => interval_text(passes as f64 / judged as f64, wilson(passes, judged, Z95)),
    }
}

/// "92.0% (95% CI 80.8–96.8%)"; a bound that rounds to the rate keeps two decimals more, so
/// that 10,000 of 10,000 reads "99.96–100.0%", not "100.0–100.0%".
fn interval_text(rate: f64, (low, high): (f64, f64)) -> String {
    let low = if (low * 1000.0).round() == (rate * 1000.0).round() && low < rate {
        format!("{:.2}", low * 100.0)
    } else {
        format!("{:.1}", low * 100.0)
    };
    format!("{} (95% CI {low}–{})", percent(rate), percent(high))
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
    pub not_run: u64,
    /// Relative change of the latency p95 (0.2 = 20% slower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency_p95_change: Option<f64>,
}

impl Summary {
    /// The McNemar p-value as shown: `–` where a side judged no attempt, so that no pair was
    /// compared (its 1.000 would read as a measured "no change").
    pub fn mcnemar_text(&self) -> String {
        let judged = |side: &TargetSummary| side.attempts > side.errors;
        if judged(&self.baseline) && judged(&self.candidate) {
            format!("{:.3}", self.mcnemar_p)
        } else {
            "–".to_owned()
        }
    }
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

    /// How many counted regressions are beyond noise, and how many are in cases run once a
    /// side (which have no measure of noise: their flip counts).
    pub fn regression_counts(&self) -> (u64, u64) {
        let counting = self.counted_regressions();
        let once = counting.iter().filter(|c| c.run_once()).count() as u64;
        (counting.len() as u64 - once, once)
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

/// Compare `baseline` samples with `candidate` samples, matched by suite and case name. A
/// case on one side only is kept, with nothing on the other ([`Class::NotRun`]): a smaller
/// report must not make a smaller comparison that passes.
pub fn compare(
    baseline_target: &str,
    candidate_target: &str,
    baseline: &[Sample],
    candidate: &[Sample],
    alpha: f64,
) -> CandidateComparison {
    let owned = pair_samples(baseline_target, candidate_target, baseline, candidate);
    let pairs: Vec<(&Sample, &Sample)> = owned.iter().map(|(b, c)| (&**b, &**c)).collect();
    let tests = significance(&pairs, alpha);
    let cases: Vec<CaseComparison> = pairs
        .iter()
        .zip(&tests)
        .map(|(&(b, c), test)| {
            case_comparison(b, c, test, baseline_target == candidate_target, alpha)
        })
        .collect();
    let (suites, overall) = summaries(baseline_target, candidate_target, &pairs, &cases);
    CandidateComparison {
        baseline: baseline_target.to_owned(),
        candidate: candidate_target.to_owned(),
        cases,
        suites,
        overall,
    }
}

/// Each candidate sample with the baseline's of its case (by suite and case name), in the
/// candidate's order, then the baseline's cases the candidate lacks; the side a case lacks is
/// [`Sample::missing`]. Indexed by (suite, case): a large comparison pairs its cases in linear
/// time.
fn pair_samples<'a>(
    baseline_target: &str,
    candidate_target: &str,
    baseline: &'a [Sample],
    candidate: &'a [Sample],
) -> Vec<(Cow<'a, Sample>, Cow<'a, Sample>)> {
    fn key(s: &Sample) -> (&str, &str) {
        (s.suite.as_str(), s.case.as_str())
    }
    fn by_key(samples: &[Sample]) -> HashMap<(&str, &str), usize> {
        samples
            .iter()
            .enumerate()
            .map(|(i, s)| (key(s), i))
            .collect()
    }
    let (baseline_at, candidate_at) = (by_key(baseline), by_key(candidate));
    let mut pairs = Vec::with_capacity(candidate.len());
    for c in candidate {
        let b = match baseline_at.get(&key(c)).and_then(|&i| baseline.get(i)) {
            Some(b) => Cow::Borrowed(b),
            None => Cow::Owned(Sample::missing(c, baseline_target)),
        };
        pairs.push((b, Cow::Borrowed(c)));
    }
    for b in baseline
        .iter()
        .filter(|b| !candidate_at.contains_key(&key(b)))
    {
        pairs.push((
            Cow::Borrowed(b),
            Cow::Owned(Sample::missing(b, candidate_target)),
        ));
    }
    pairs
}

/// A case's significance: Fisher's exact p-value and its Holm-adjusted value, both none for a
/// case run once a side.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Significance {
    p_value: Option<f64>,
    adjusted_p: Option<f64>,
    /// Left out of the adjustment: its totals allow no significant answer.
    too_few_repeats: bool,
}

/// The significance of each pair's change. Only repeated cases measure noise. They share the
/// Holm adjustment, except those whose repeats could not show a difference whatever the
/// answers (50/50 against 50/50: no table with these totals is unlikely enough); Tarone's rule
/// leaves them out, which is valid since whether a case can reach significance depends on its
/// totals alone.
fn significance(pairs: &[(&Sample, &Sample)], alpha: f64) -> Vec<Significance> {
    let repeated = |(b, c): &(&Sample, &Sample)| b.judged() > 1 || c.judged() > 1;
    // Each repeated case's (Fisher p, least p its totals allow).
    let tests: Vec<Option<(f64, f64)>> = pairs
        .iter()
        .map(|pair| {
            let (b, c) = *pair;
            repeated(pair).then(|| {
                (
                    fisher_exact(b.passes, b.failures, c.passes, c.failures),
                    fisher_least(b.judged(), c.judged(), b.passes + c.passes),
                )
            })
        })
        .collect();
    let testable = tarone(
        &tests.iter().flatten().map(|t| t.1).collect::<Vec<_>>(),
        alpha,
    );
    let family: Vec<f64> = tests
        .iter()
        .flatten()
        .filter(|t| t.1 < testable)
        .map(|t| t.0)
        .collect();
    let mut adjusted = holm(&family).into_iter();
    tests
        .iter()
        .map(|t| Significance {
            p_value: t.map(|t| t.0),
            too_few_repeats: t.is_some_and(|(_, least)| least >= testable),
            adjusted_p: match t {
                Some((_, least)) if *least < testable => adjusted.next(),
                // Outside the family: it could never be significant.
                Some(_) => Some(1.0),
                None => None,
            },
        })
        .collect()
}

/// One case compared: its class, sides, and whether its change is beyond noise. `same_target`:
/// an A/A comparison (one target on both sides).
fn case_comparison(
    b: &Sample,
    c: &Sample,
    test: &Significance,
    same_target: bool,
    alpha: f64,
) -> CaseComparison {
    let Significance {
        p_value,
        adjusted_p,
        too_few_repeats,
    } = *test;
    let class = classify(b, c);
    let flipped = matches!(class, Class::Fixed | Class::Regressed);
    let (baseline_side, candidate_side) = (Side::of(b), Side::of(c));
    // Without a measure of noise (one run a side, or repeats that all agree on both
    // sides: 4/4 → 0/4) a flip counts as it is; with mixed repeats, only beyond
    // noise. An A/A comparison (one target on both sides) has its measure of noise
    // in the two samples of one version: there a flip counts only beyond it.
    let no_noise_measure = !same_target
        && (adjusted_p.is_none() || (baseline_side.unanimous() && candidate_side.unanimous()));
    CaseComparison {
        suite: c.suite.clone(),
        case: c.case.clone(),
        file: c.file.clone(),
        line: c.line,
        tags: c.tags.clone(),
        baseline: baseline_side,
        candidate: candidate_side,
        class,
        p_value,
        adjusted_p,
        significant: flipped && (adjusted_p.is_some_and(|p| p < alpha) || no_noise_measure),
        pass_rate_moved: match adjusted_p {
            Some(p) if !flipped && p < alpha => {
                let rate = |s: &Sample| s.passes as f64 / s.judged().max(1) as f64;
                Some(if rate(c) < rate(b) { "down" } else { "up" })
            }
            _ => None,
        },
        too_few_repeats,
        outputs_differ: match (&b.output, &c.output) {
            (Some(x), Some(y)) => !crate::check::predicate::json_equal(x, y),
            (None, None) => false,
            _ => true,
        },
    }
}

/// Each suite's summary, in the order its cases come, and the whole comparison's.
fn summaries(
    baseline_target: &str,
    candidate_target: &str,
    pairs: &[(&Sample, &Sample)],
    cases: &[CaseComparison],
) -> (Vec<Summary>, Summary) {
    let mut suite_names: Vec<&str> = Vec::new();
    for case in cases {
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
    (suites, summarise("all suites", &|_| true))
}

fn classify(baseline: &Sample, candidate: &Sample) -> Class {
    if baseline.not_run() || candidate.not_run() {
        Class::NotRun
    } else if baseline.only_errors() || candidate.only_errors() {
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
    let mut baseline = TargetSummary::of(baseline_target, pairs.iter().map(|(b, _)| *b));
    let mut candidate = TargetSummary::of(candidate_target, pairs.iter().map(|(_, c)| *c));
    // Latency compares the same cases: those both sides answered. A case one side never ran
    // (a deadline, Ctrl-C) would otherwise count on the other side only (a p95 of -99.9%).
    let answered: Vec<(&Sample, &Sample)> = pairs
        .iter()
        .map(|pair| **pair)
        .filter(|(b, c)| !b.latencies_ms.is_empty() && !c.latencies_ms.is_empty())
        .collect();
    let set_latency = |summary: &mut TargetSummary, latencies: Vec<f64>| {
        summary.latency_p50_ms = percentile(&latencies, 50.0);
        summary.latency_p95_ms = percentile(&latencies, 95.0);
    };
    set_latency(
        &mut baseline,
        answered
            .iter()
            .flat_map(|(b, _)| b.latencies_ms.iter().copied())
            .collect(),
    );
    set_latency(
        &mut candidate,
        answered
            .iter()
            .flat_map(|(_, c)| c.latencies_ms.iter().copied())
            .collect(),
    );
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
        not_run: count(Class::NotRun),
        latency_p95_change,
        baseline,
        candidate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(case: &str, target: &str, passes: u64, failures: u64, errors: u64) -> Sample {
        Sample {
            suite: "s".into(),
            case: case.into(),
            file: "s.yaml".into(),
            line: 1,
            tags: vec![],
            target: target.into(),
            passes,
            failures,
            errors,
            pass_if: passes + failures + errors,
            latencies_ms: vec![],
            tokens: vec![],
            costs_usd: vec![],
            output: None,
            error: None,
            failed_check: None,
        }
    }

    /// 40/50 against 26/50 is significant on its own (Fisher p = 0.0057); twenty cases that
    /// pass every time on both sides cannot be, and used to multiply its p-value by 22.
    #[test]
    fn stable_repeated_cases_do_not_dilute_a_real_regression() {
        let mut baseline = vec![sample("drops", "v1", 40, 10, 0)];
        let mut candidate = vec![sample("drops", "v2", 26, 24, 0)];
        for i in 0..20 {
            baseline.push(sample(&format!("stable {i}"), "v1", 50, 0, 0));
            candidate.push(sample(&format!("stable {i}"), "v2", 50, 0, 0));
        }
        for s in baseline.iter_mut().chain(candidate.iter_mut()) {
            s.pass_if = 30;
        }
        let comparison = compare("v1", "v2", &baseline, &candidate, 0.05);
        let drops = &comparison.cases[0];
        assert_eq!(drops.class, Class::Regressed);
        assert!(drops.significant, "{:?}", drops.adjusted_p);
        assert!(
            drops.adjusted_p.is_some_and(|p| p < 0.01),
            "{:?}",
            drops.adjusted_p
        );
        assert_eq!(comparison.cases[1].adjusted_p, Some(1.0));
        assert!(comparison.cases[1].too_few_repeats && !drops.too_few_repeats);
    }

    /// A flip whose repeats could never be significant passes the gate as noise, and the
    /// gate's rule names it: one run a side would have counted it.
    #[test]
    fn the_gate_names_flips_too_few_repeats_could_tell() {
        let baseline = vec![sample("few", "v1", 6, 0, 0)];
        let candidate = vec![sample("few", "v2", 3, 3, 0)];
        let comparison = compare("v1", "v2", &baseline, &candidate, 0.05);
        let rules =
            crate::compare::policy::evaluate(&crate::compare::Policy::default(), &comparison);
        let rule = rules
            .iter()
            .find(|r| r.rule == "no regression beyond noise");
        assert!(
            rule.is_some_and(|r| r.why.ends_with(
                "; 1 of them has too few repeats to tell (one run a side would count it; add --repeat): s › few"
            )),
            "{rules:?}"
        );
    }

    /// 6/6 against 3/6 is p = 0.18 at best: the case is said to need more repeats, with its
    /// own p, not the adjusted 1 that reads as "nothing changed".
    #[test]
    fn a_flip_its_repeats_could_never_show_says_so() {
        let baseline = vec![sample("few", "v1", 6, 0, 0)];
        let candidate = vec![sample("few", "v2", 3, 3, 0)];
        let comparison = compare("v1", "v2", &baseline, &candidate, 0.05);
        let few = &comparison.cases[0];
        assert_eq!((few.class, few.significant), (Class::Regressed, false));
        assert!(few.too_few_repeats);
        let shown = crate::report::comparison::verdict(few);
        assert!(
            shown.starts_with("regressed within noise (p=0.182: too few repeats to tell"),
            "{shown}"
        );
    }

    /// Latency compares the cases both sides answered: a slow case the candidate never ran
    /// (the run's deadline came first) is left out of the baseline's p95 too, which would
    /// otherwise read as the candidate being 99% faster.
    #[test]
    fn latency_compares_the_cases_both_sides_answered() {
        let answered = |case: &str, target: &str, ms: f64| Sample {
            latencies_ms: vec![ms],
            ..sample(case, target, 1, 0, 0)
        };
        let comparison = compare(
            "v1",
            "v2",
            &[
                answered("quick", "v1", 10.0),
                answered("slow", "v1", 9000.0),
            ],
            &[answered("quick", "v2", 12.0), sample("slow", "v2", 0, 0, 0)],
            0.05,
        );
        let overall = &comparison.overall;
        assert_eq!(overall.baseline.latency_p95_ms, Some(10.0));
        assert_eq!(overall.candidate.latency_p95_ms, Some(12.0));
        assert!(
            overall
                .latency_p95_change
                .is_some_and(|change| (change - 0.2).abs() < 1e-9),
            "{:?}",
            overall.latency_p95_change
        );
    }

    /// Attempts that errored count neither way: 5 passes in 5 judged attempts (and 5 errors)
    /// is no regression from 10 in 10.
    #[test]
    fn errored_attempts_do_not_make_a_regression() {
        let comparison = compare(
            "v1",
            "v2",
            &[sample("a", "v1", 10, 0, 0)],
            &[sample("a", "v2", 5, 0, 5)],
            0.05,
        );
        assert_eq!(comparison.cases[0].class, Class::StillPassing);
        assert_eq!(comparison.overall.regressed, 0);
        assert_eq!(comparison.overall.mcnemar_p, 1.0);
    }

    /// A case on one side only stays in the comparison, not run on the other.
    #[test]
    fn a_case_missing_on_one_side_is_not_run_there() {
        let comparison = compare(
            "v1",
            "v2",
            &[sample("a", "v1", 1, 0, 0), sample("b", "v1", 1, 0, 0)],
            &[sample("a", "v2", 1, 0, 0), sample("c", "v2", 1, 0, 0)],
            0.05,
        );
        let classes: Vec<(&str, Class)> = comparison
            .cases
            .iter()
            .map(|c| (c.case.as_str(), c.class))
            .collect();
        assert_eq!(
            classes,
            [
                ("a", Class::StillPassing),
                ("c", Class::NotRun),
                ("b", Class::NotRun)
            ]
        );
        assert_eq!(comparison.overall.not_run, 2);
        assert_eq!(
            comparison.cases[2].candidate.error.as_deref(),
            Some("no result in the report")
        );
    }

    /// Tokens per run weigh every run alike: one run of 4 tokens and nine of 40 make 36.4,
    /// not the 22 of the two cases' means.
    #[test]
    fn tokens_per_run_are_per_run() {
        let mut once = sample("once", "v1", 1, 0, 0);
        once.tokens = vec![4.0];
        let mut nine = sample("nine", "v1", 9, 0, 0);
        nine.tokens = vec![40.0; 9];
        let summary = TargetSummary::of("v1", [&once, &nine]);
        assert_eq!(summary.tokens_per_run, Some(36.4));
    }

    /// Both sides within `pass_if` (12 of 40), yet 40/40 fell to 15/40: not a regression of
    /// the verdict, but the drop is shown with its p-value.
    #[test]
    fn a_drop_within_pass_if_is_shown() {
        let mut b = sample("a", "v1", 40, 0, 0);
        let mut c = sample("a", "v2", 15, 25, 0);
        b.pass_if = 12;
        c.pass_if = 12;
        let comparison = compare("v1", "v2", &[b], &[c], 0.05);
        let case = &comparison.cases[0];
        assert_eq!(
            (case.class, case.pass_rate_moved),
            (Class::Flaky, Some("down"))
        );
        assert_eq!(
            crate::report::comparison::verdict(case),
            "flaky, pass rate down (p=0.000)"
        );
    }

    /// Repeats that all agree on both sides measure no noise: 4/4 → 0/4 in five cases is five
    /// regressions, as one run a side would be (Holm over five Fisher p of 0.029 counted none,
    /// so more repeats accepted what one run refused).
    #[test]
    fn unanimous_repeats_that_flip_count() {
        let baseline: Vec<Sample> = (0..5)
            .map(|i| sample(&format!("c{i}"), "v1", 4, 0, 0))
            .collect();
        let candidate: Vec<Sample> = (0..5)
            .map(|i| sample(&format!("c{i}"), "v2", 0, 4, 0))
            .collect();
        let comparison = compare("v1", "v2", &baseline, &candidate, 0.05);
        assert_eq!(comparison.counted_regressions().len(), 5);
        // Mixed repeats still need to be beyond noise.
        let comparison = compare(
            "v1",
            "v2",
            &[sample("m", "v1", 4, 0, 0)],
            &[sample("m", "v2", 1, 3, 0)],
            0.05,
        );
        assert!(comparison.counted_regressions().is_empty());
    }

    /// A baseline whose errors left one pass and one failure cannot show that 0 of 10 on the
    /// candidate is a regression: the gate refuses rather than passing over it.
    #[test]
    fn a_baseline_thinned_by_errors_does_not_hide_a_failure() {
        let mut b = sample("a", "v1", 1, 1, 8);
        let mut c = sample("a", "v2", 0, 10, 0);
        b.pass_if = 5;
        c.pass_if = 5;
        let comparison = compare("v1", "v2", &[b], &[c], 0.05);
        assert_eq!(comparison.cases[0].class, Class::Regressed);
        assert!(!comparison.cases[0].significant);
        let rules =
            crate::compare::policy::evaluate(&crate::compare::Policy::default(), &comparison);
        let failed: Vec<&str> = rules
            .iter()
            .filter(|r| r.verdict == crate::compare::Verdict::Fail)
            .map(|r| r.rule.as_str())
            .collect();
        assert_eq!(failed, ["failures compared"]);
    }

    /// In an A/A comparison, 2/2 against 0/2 of one version is noise, not a regression: the
    /// version's own attempts disagree.
    #[test]
    fn an_a_a_flip_counts_only_beyond_noise() {
        let comparison = compare(
            "v1",
            "v1",
            &[sample("a", "v1", 2, 0, 0), sample("b", "v1", 1, 0, 0)],
            &[sample("a", "v1", 0, 2, 0), sample("b", "v1", 0, 1, 0)],
            0.05,
        );
        assert!(comparison.counted_regressions().is_empty());
    }
}
