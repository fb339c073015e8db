//! The gate: a policy of rules applied to a comparison, each stating what it measured, its
//! limit, and why it passed or failed. The candidate is accepted when no rule fails; a rule
//! with nothing to measure is not judged, and says so rather than passing.

use super::comparison::{CandidateComparison, CaseComparison, Class, ms, pass_rate_text, percent};
use crate::diagnostic::Diagnostic;
use crate::words::{agree, counted};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a candidate must satisfy. Every field has a default; a policy file sets what differs.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// How many cases may pass on the baseline and fail on the candidate beyond noise.
    #[serde(default)]
    pub max_regressions: u64,
    /// The significance level for "beyond noise" (Holm-adjusted Fisher test over repeats).
    #[serde(default = "default_alpha", deserialize_with = "share")]
    pub alpha: f64,
    /// The candidate's minimum pass rate over all attempts that were judged.
    #[serde(default, deserialize_with = "optional_share")]
    pub min_pass_rate: Option<f64>,
    /// Minimum candidate pass rates for the cases carrying a tag, e.g. `{smoke: 1.0}`.
    #[serde(default, deserialize_with = "shares")]
    pub tags: BTreeMap<String, f64>,
    /// The largest allowed relative increase of latency p95 (0.25 = 25% slower).
    #[serde(default, deserialize_with = "optional_increase")]
    pub max_latency_p95_increase: Option<f64>,
    /// The error budget: the largest share of candidate attempts that may error.
    #[serde(default = "default_error_rate", deserialize_with = "share")]
    pub max_error_rate: f64,
}

/// A share from 0 to 1, refused where it is written (the parser places the error).
fn share<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let value = f64::deserialize(d)?;
    if (0.0..=1.0).contains(&value) {
        Ok(value)
    } else {
        Err(serde::de::Error::custom(format!(
            "{value} is not a share from 0 to 1 (e.g. 0.05)"
        )))
    }
}

/// A share, or `null` for no limit.
fn optional_share<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    #[derive(Deserialize)]
    struct Share(#[serde(deserialize_with = "share")] f64);
    Ok(Option::<Share>::deserialize(d)?.map(|Share(x)| x))
}

/// A relative increase: a number >= 0 (0.25 = 25% more; 2 = three times), or `null`.
fn optional_increase<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let value = Option::<f64>::deserialize(d)?;
    match value {
        Some(x) if !(x.is_finite() && x >= 0.0) => Err(serde::de::Error::custom(format!(
            "{x} is not an increase: a number >= 0 (0.25 = at most 25% slower)"
        ))),
        _ => Ok(value),
    }
}

/// Tags and their minimum pass rates, each a share.
fn shares<'de, D: serde::Deserializer<'de>>(d: D) -> Result<BTreeMap<String, f64>, D::Error> {
    #[derive(Deserialize)]
    struct Share(#[serde(deserialize_with = "share")] f64);
    let map = BTreeMap::<String, Share>::deserialize(d)?;
    Ok(map
        .into_iter()
        .map(|(tag, Share(rate))| (tag, rate))
        .collect())
}

fn default_alpha() -> f64 {
    0.05
}

fn default_error_rate() -> f64 {
    0.05
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            max_regressions: 0,
            alpha: default_alpha(),
            min_pass_rate: None,
            tags: BTreeMap::new(),
            max_latency_p95_increase: None,
            max_error_rate: default_error_rate(),
        }
    }
}

impl Policy {
    pub fn load(path: &std::path::Path) -> Result<Policy, String> {
        let text = crate::files::read_limited(path, 1 << 20)?;
        let policy: Policy = crate::yaml::from_str(&text).map_err(|err| {
            Diagnostic::from_yaml(path, &err)
                .with_source(&text)
                .to_string()
        })?;
        Ok(policy)
    }
}

/// A policy applied to one candidate: its rules, and whether it may be promoted (every rule
/// passed).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Gate {
    pub baseline: String,
    pub candidate: String,
    pub accepted: bool,
    pub rules: Vec<RuleResult>,
}

/// Apply `policy` to a candidate's comparison; `incomplete` says why the evidence is not the
/// whole of a run (it stopped early, a report is one shard of its run), each a reason to
/// refuse.
pub fn gate(policy: &Policy, comparison: &CandidateComparison, incomplete: &[String]) -> Gate {
    let mut rules = evaluate(policy, comparison);
    if !incomplete.is_empty() {
        rules.insert(
            0,
            RuleResult {
                rule: "complete evidence".into(),
                measured: counted(incomplete.len() as u64, "gap"),
                limit: "0".into(),
                verdict: Verdict::Fail,
                why: incomplete.join("; "),
            },
        );
    }
    Gate {
        baseline: comparison.baseline.clone(),
        candidate: comparison.candidate.clone(),
        accepted: rules.iter().all(|r| r.verdict != Verdict::Fail),
        rules,
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RuleResult {
    pub rule: String,
    pub measured: String,
    pub limit: String,
    #[serde(flatten)]
    pub verdict: Verdict,
    pub why: String,
}

/// What a rule found. A rule with nothing to measure (no case compared on both sides, no
/// candidate attempt, no latency on one side) is not judged: it does not refuse the
/// candidate, and it does not claim a pass either (the rules on evidence refuse a gate
/// that measured nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    NotJudged,
}

impl Verdict {
    fn of(passed: bool) -> Verdict {
        if passed { Verdict::Pass } else { Verdict::Fail }
    }
}

/// In JSON, `passed` (false only for a failed rule, so that a candidate is accepted when every
/// rule's `passed` is true, as before `judged` was added) and `judged`.
impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut fields = serializer.serialize_struct("Verdict", 2)?;
        fields.serialize_field("passed", &(*self != Verdict::Fail))?;
        fields.serialize_field("judged", &(*self != Verdict::NotJudged))?;
        fields.end()
    }
}

/// The rules on what was compared, shown only when they fail: no evidence is no reason to
/// promote.
/// - `cases compared`: at least one case has a judged attempt on both sides (a baseline that
///   only errored, in an outage say, compares nothing);
/// - `every case ran`: the candidate has an attempt in every case (a run cut short by its
///   deadline or Ctrl-C, or a candidate report of one shard, leaves cases unknown);
/// - `failures compared`: a case that fails on the candidate has a judged baseline to compare
///   with (else it could be a regression that the baseline's outage hid).
fn evidence(comparison: &CandidateComparison, none_compared: bool) -> Vec<RuleResult> {
    let (baseline, candidate) = (&comparison.baseline, &comparison.candidate);
    let mut rules = Vec::new();
    if none_compared {
        let count = |class: Class| comparison.cases.iter().filter(|c| c.class == class).count();
        let mut parts = Vec::new();
        if let n @ 1.. = count(Class::Errored) {
            parts.push(format!(
                "{} errored on one side or both",
                counted(n as u64, "case")
            ));
        }
        if let n @ 1.. = count(Class::NotRun) {
            parts.push(format!(
                "{} not run on one side or both",
                counted(n as u64, "case")
            ));
        }
        rules.push(RuleResult {
            rule: "cases compared".into(),
            measured: "0 cases".into(),
            limit: "at least 1".into(),
            verdict: Verdict::Fail,
            why: if parts.is_empty() {
                format!("no case has a result on both {baseline} and {candidate}")
            } else {
                format!(
                    "no case has a judged attempt on both {baseline} and {candidate} ({})",
                    parts.join(", ")
                )
            },
        });
    }
    let unrun: Vec<&CaseComparison> = comparison
        .cases
        .iter()
        .filter(|c| c.candidate.judged + c.candidate.errors == 0)
        .collect();
    if !unrun.is_empty() {
        rules.push(RuleResult {
            rule: "every case ran".into(),
            measured: format!("{} not run", counted(unrun.len() as u64, "case")),
            limit: "0".into(),
            verdict: Verdict::Fail,
            why: format!("no result on {candidate} for {}", names(&unrun)),
        });
    }
    // A candidate failure that the baseline cannot speak to: it has no judged attempt, or it
    // passed on the few its errors left and the flip is within noise (the errors may have
    // hidden a regression: 1 of 10 judged against 0 of 10 shows nothing).
    let unknown: Vec<&CaseComparison> = comparison
        .cases
        .iter()
        .filter(|c| c.candidate.judged > 0 && !c.candidate.passed)
        .filter(|c| {
            c.baseline.judged == 0
                || (c.baseline.errors > 0 && c.class == Class::Regressed && !c.significant)
        })
        .collect();
    if !unknown.is_empty() {
        let n = unknown.len() as u64;
        rules.push(RuleResult {
            rule: "failures compared".into(),
            measured: format!(
                "{} {} on {candidate} with nothing to compare",
                counted(n, "case"),
                agree(n, "fails", "fail")
            ),
            limit: "0".into(),
            verdict: Verdict::Fail,
            why: unknown_why(baseline, &unknown),
        });
    }
    rules
}

/// `suite › case; suite › case`.
fn names(cases: &[&CaseComparison]) -> String {
    let names: Vec<String> = cases
        .iter()
        .map(|c| format!("{} › {}", c.suite, c.case))
        .collect();
    names.join("; ")
}

/// Why failures on the candidate have nothing to compare with: the baseline errored on
/// them, or has no result for them at all (its report lacks them, or they did not run).
fn unknown_why(baseline: &str, unknown: &[&CaseComparison]) -> String {
    let (absent, errored): (Vec<&CaseComparison>, Vec<&CaseComparison>) = unknown
        .iter()
        .partition(|c| c.baseline.judged + c.baseline.errors == 0);
    let mut why = Vec::new();
    if !errored.is_empty() {
        why.push(format!(
            "{baseline} errored too often to tell whether {} regressed: {}",
            agree(errored.len() as u64, "it", "they"),
            names(&errored)
        ));
    }
    if !absent.is_empty() {
        why.push(format!("{baseline} has no result for {}", names(&absent)));
    }
    why.join("; ")
}

/// `; 1 of them has too few repeats to tell (add --repeat): names Zephyr`: regressions
/// that passed as noise only because their repeats could never have shown otherwise (one run
/// a side would have counted them).
fn too_few_to_tell(comparison: &CandidateComparison) -> String {
    let few: Vec<String> = (comparison.cases.iter())
        .filter(|c| c.class == Class::Regressed && !c.significant && c.too_few_repeats)
        .map(|c| format!("{} › {}", c.suite, c.case))
        .collect();
    match few.len() as u64 {
        0 => String::new(),
        n => format!(
            "; {} of them {} too few repeats to tell (one run a side would count {}; add --repeat): {}",
            n,
            agree(n, "has", "have"),
            agree(n, "it", "them"),
            few.join("; ")
        ),
    }
}

pub fn evaluate(policy: &Policy, comparison: &CandidateComparison) -> Vec<RuleResult> {
    let overall = &comparison.overall;
    // No case with a judged attempt on both sides: then "no regression" would be a claim
    // about nothing.
    let none_compared = !comparison
        .cases
        .iter()
        .any(|c| c.baseline.judged > 0 && c.candidate.judged > 0);
    let mut rules = evidence(comparison, none_compared);
    let regressions: Vec<&str> = comparison
        .counted_regressions()
        .iter()
        .map(|c| c.case.as_str())
        .collect();
    // A case run once a side has no measure of noise: its flip counts, and says so.
    let (beyond, once) = comparison.regression_counts();
    let measured = match (beyond, once) {
        (_, 0) => counted(beyond, "significant regression"),
        (0, _) => format!("{} in cases run once a side", counted(once, "regression")),
        _ => format!(
            "{}, and {} in cases run once a side",
            counted(beyond, "significant regression"),
            counted(once, "regression")
        ),
    };
    let noisy = comparison
        .cases
        .iter()
        .filter(|c| c.class == Class::Regressed && !c.significant)
        .count();
    let (measured, verdict, why) = match (regressions.is_empty(), noisy) {
        _ if none_compared => (
            "n/a".into(),
            Verdict::NotJudged,
            "no case was compared".into(),
        ),
        (true, 0) => (
            measured,
            Verdict::Pass,
            "no case that passes on the baseline fails on the candidate".into(),
        ),
        (true, n) => (
            measured,
            Verdict::Pass,
            format!(
                "{} {} on the candidate only within noise (not significant at α = {}){}",
                counted(n as u64, "case"),
                agree(n as u64, "fails", "fail"),
                policy.alpha,
                too_few_to_tell(comparison)
            ),
        ),
        (false, _) => (
            measured,
            Verdict::of(regressions.len() as u64 <= policy.max_regressions),
            format!("regressed: {}", regressions.join("; ")),
        ),
    };
    rules.push(RuleResult {
        rule: "no regression beyond noise".into(),
        measured,
        limit: format!("at most {}", policy.max_regressions),
        verdict,
        why,
    });

    if let Some(min) = policy.min_pass_rate {
        let c = &overall.candidate;
        rules.push(RuleResult {
            rule: "minimum pass rate".into(),
            measured: c.pass_rate_text(),
            limit: format!("at least {}", percent(min)),
            verdict: Verdict::of(c.pass_rate >= min),
            why: format!(
                "{} of {} judged attempts passed",
                c.passes,
                c.attempts - c.errors
            ),
        });
    }

    for (tag, min) in &policy.tags {
        let tagged: Vec<_> = comparison
            .cases
            .iter()
            .filter(|c| c.tags.contains(tag))
            .collect();
        let passes: u64 = tagged.iter().map(|c| c.candidate.passes).sum();
        let judged: u64 = tagged.iter().map(|c| c.candidate.judged).sum();
        let errors: u64 = tagged.iter().map(|c| c.candidate.errors).sum();
        let rate = if judged == 0 {
            0.0
        } else {
            passes as f64 / judged as f64
        };
        rules.push(RuleResult {
            rule: format!("pass rate of tag {tag}"),
            measured: pass_rate_text(passes, judged, errors),
            limit: format!("at least {}", percent(*min)),
            verdict: Verdict::of(judged > 0 && rate >= *min),
            why: if judged == 0 {
                format!("no judged attempt carries the tag {tag}")
            } else {
                format!(
                    "{passes} of {} in {}",
                    counted(judged, "attempt"),
                    counted(tagged.len() as u64, "case")
                )
            },
        });
    }

    if let Some(max) = policy.max_latency_p95_increase {
        let (b, c) = (
            overall.baseline.latency_p95_ms,
            overall.candidate.latency_p95_ms,
        );
        let (measured, verdict, why) = match (overall.latency_p95_change, b, c) {
            (Some(change), Some(b), Some(c)) => (
                format!("{:+.1}%", change * 100.0),
                Verdict::of(change <= max),
                format!("p95 {} → {}", ms(Some(b)), ms(Some(c))),
            ),
            _ => (
                "n/a".to_owned(),
                Verdict::NotJudged,
                "no latency on one side".to_owned(),
            ),
        };
        rules.push(RuleResult {
            rule: "latency p95 increase".into(),
            measured,
            limit: format!("at most +{}", percent(max)),
            verdict,
            why,
        });
    }

    let c = &overall.candidate;
    let (measured, verdict, why) = match c.attempts {
        0 => (
            "n/a".into(),
            Verdict::NotJudged,
            "no candidate attempt finished".into(),
        ),
        _ => (
            percent(c.error_rate),
            Verdict::of(c.error_rate <= policy.max_error_rate),
            format!("{} of {} candidate attempts errored", c.errors, c.attempts),
        ),
    };
    rules.push(RuleResult {
        rule: "error budget".into(),
        measured,
        limit: format!("at most {}", percent(policy.max_error_rate)),
        verdict,
        why,
    });
    rules
}
