//! Renderings of a comparison: the terminal, Markdown (for a PR comment or a CI job summary),
//! a self-contained HTML page, and the gate's rules.

pub mod html;
pub mod markdown;
pub mod terminal;

pub use crate::compare::comparison::ms;
use crate::compare::{CandidateComparison, CaseComparison, Class};
use serde_json::Value;

/// "3/5 (60%)", "3/5 (60%), 5 errored", "errored" or "not run" for one side of a case.
pub fn side_text(passes: u64, judged: u64, errors: u64) -> String {
    let judged_text = match (judged, passes) {
        (0, _) if errors > 0 => return "errored".into(),
        (0, _) => return "not run".into(),
        (1, 1) => "pass".to_owned(),
        (1, _) => "fail".to_owned(),
        _ => format!(
            "{passes}/{judged} ({:.0}%)",
            passes as f64 / judged as f64 * 100.0
        ),
    };
    match errors {
        0 => judged_text,
        n => format!("{judged_text}, {n} errored"),
    }
}

/// The cases that have nothing to compare because a side only errored or did not run, with
/// why.
pub fn errors(comparison: &CandidateComparison) -> Vec<(&CaseComparison, String)> {
    comparison
        .cases
        .iter()
        .filter(|case| matches!(case.class, Class::Errored | Class::NotRun))
        .map(|case| {
            let sides = [&case.baseline, &case.candidate];
            let mut whys: Vec<String> = Vec::new();
            for side in sides.iter().filter(|side| side.judged == 0) {
                if let Some(error) = &side.error {
                    let why = format!("{}: {error}", side.target);
                    if !whys.contains(&why) {
                        whys.push(why);
                    }
                }
            }
            (case, whys.join("; "))
        })
        .collect()
}

pub fn change(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:+.1}%", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

/// Tokens and cost per run, `–` where no step reported them.
pub fn usage_text(summary: &crate::compare::Summary) -> (String, String) {
    let (b, c) = (&summary.baseline, &summary.candidate);
    let tokens = match (b.tokens_per_run, c.tokens_per_run) {
        (None, None) => "–".to_owned(),
        (b, c) => format!("{} → {}", number(b, 0), number(c, 0)),
    };
    let cost = match (b.cost_usd_per_run, c.cost_usd_per_run) {
        (None, None) => "–".to_owned(),
        (b, c) => format!("{} → {}", dollars(b), dollars(c)),
    };
    (tokens, cost)
}

fn number(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

fn dollars(value: Option<f64>) -> String {
    value.map_or_else(|| "–".into(), |v| format!("${v:.6}"))
}

/// How the change of a case reads, with its significance when there are repeats.
pub fn verdict(case: &CaseComparison) -> String {
    match (case.class, case.adjusted_p) {
        (Class::Regressed | Class::Fixed, Some(_))
            if case.significant && case.baseline.unanimous() && case.candidate.unanimous() =>
        {
            format!("{} (every attempt agrees)", case.class.as_str())
        }
        (Class::Regressed | Class::Fixed, Some(p)) if case.significant => {
            format!("{} (p={p:.3})", case.class.as_str())
        }
        // Its repeats could not have told: the adjusted p of 1 would read as "no change".
        (Class::Regressed | Class::Fixed, Some(_)) if case.too_few_repeats => format!(
            "{} within noise (p={:.3}: too few repeats to tell; add --repeat)",
            case.class.as_str(),
            case.p_value.unwrap_or(1.0)
        ),
        (Class::Regressed | Class::Fixed, Some(p)) => {
            format!("{} within noise (p={p:.3})", case.class.as_str())
        }
        (class, Some(p)) if case.pass_rate_moved.is_some() => format!(
            "{}, pass rate {} (p={p:.3})",
            class.as_str(),
            case.pass_rate_moved.unwrap_or_default()
        ),
        (class, _) => class.as_str().to_owned(),
    }
}

/// `5 regressed (3 beyond noise, 2 run once a side)`: how many regressions count, and why.
pub fn regressed_text(comparison: &CandidateComparison) -> String {
    let regressed = comparison.overall.regressed;
    if regressed == 0 {
        return "0 regressed".into();
    }
    let (beyond, once) = comparison.regression_counts();
    let why = match (beyond, once) {
        (_, 0) => format!("{beyond} beyond noise"),
        (0, _) if once == regressed => "run once a side: each counts".to_owned(),
        _ => format!("{beyond} beyond noise, {once} run once a side"),
    };
    format!("{regressed} regressed ({why})")
}

/// The heading of the cases [`errors`] lists.
pub fn errors_heading(comparison: &CandidateComparison) -> &'static str {
    if comparison.overall.not_run > 0 {
        "Errored or not run"
    } else {
        "Errored cases"
    }
}

/// `2 fixed, 1 regressed (1 beyond noise), 0 flaky, 1 errored` (and `, 3 not run` when some
/// did not run).
pub fn counts_text(comparison: &CandidateComparison) -> String {
    let o = &comparison.overall;
    let mut text = format!(
        "{} fixed, {}, {} flaky, {} errored",
        o.fixed,
        regressed_text(comparison),
        o.flaky,
        o.errored
    );
    if o.not_run > 0 {
        text.push_str(&format!(", {} not run", o.not_run));
    }
    text
}

/// A diff of the two outputs (styled; see `style::plain`), or `None` when they are equal.
pub fn output_diff(case: &CaseComparison) -> Option<String> {
    if !case.outputs_differ {
        return None;
    }
    let pretty = |v: &Option<Value>| {
        v.as_ref()
            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default())
            .unwrap_or_else(|| "(no output)".into())
    };
    let structured = match (&case.baseline.output, &case.candidate.output) {
        (Some(before), Some(after)) => super::diff::diff(before, after),
        _ => None,
    };
    Some(structured.unwrap_or_else(|| {
        super::diff::lines(
            &pretty(&case.baseline.output),
            &pretty(&case.candidate.output),
        )
    }))
}
