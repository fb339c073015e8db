//! Renderings of a comparison: the terminal, Markdown (for a PR comment or a CI job summary),
//! a self-contained HTML page, and the gate's rules.

pub mod html;
pub mod markdown;
pub mod terminal;

use crate::compare::{CandidateComparison, CaseComparison, Class};
use serde_json::Value;

/// "3/5 (60%)" or "errored" for one side of a case.
pub fn side_text(passes: u64, judged: u64, errors: u64) -> String {
    if judged == 0 && errors > 0 {
        return "errored".into();
    }
    if judged == 1 {
        return if passes == 1 {
            "pass".into()
        } else {
            "fail".into()
        };
    }
    format!(
        "{passes}/{judged} ({:.0}%)",
        passes as f64 / judged.max(1) as f64 * 100.0
    )
}

/// The cases that have nothing to compare because a side only errored, with why.
pub fn errors(comparison: &CandidateComparison) -> Vec<(&CaseComparison, String)> {
    comparison
        .cases
        .iter()
        .filter(|case| case.class == Class::Errored)
        .map(|case| {
            let sides = [&case.baseline, &case.candidate];
            let why = sides
                .iter()
                .filter(|side| side.judged == 0)
                .filter_map(|side| {
                    side.error
                        .as_ref()
                        .map(|error| format!("{}: {error}", side.target))
                })
                .collect::<Vec<_>>()
                .join("; ");
            (case, why)
        })
        .collect()
}

/// Milliseconds, with a decimal below 10 ms: a loopback call takes under one, and `0 ms → 1 ms`
/// hid what the change was measured on.
pub fn ms(value: Option<f64>) -> String {
    match value {
        Some(v) if v < 10.0 => format!("{v:.1} ms"),
        Some(v) => format!("{v:.0} ms"),
        None => "–".into(),
    }
}

pub fn change(value: Option<f64>) -> String {
    value
        .map(|v| format!("{:+.1}%", v * 100.0))
        .unwrap_or_else(|| "–".into())
}

/// How the change of a case reads, with its significance when there are repeats.
pub fn verdict(case: &CaseComparison) -> String {
    match (case.class, case.adjusted_p) {
        (Class::Regressed | Class::Fixed, Some(p)) if case.significant => {
            format!("{} (p={p:.3})", case.class.as_str())
        }
        (Class::Regressed | Class::Fixed, Some(p)) => {
            format!("{} within noise (p={p:.3})", case.class.as_str())
        }
        (class, _) => class.as_str().to_owned(),
    }
}

/// `5 regressed (3 beyond noise, 2 run once a side)`: how many regressions count, and why.
pub fn regressed_text(comparison: &CandidateComparison) -> String {
    let regressed = comparison.overall.regressed;
    let counting = comparison.counted_regressions();
    let once = counting.iter().filter(|c| c.run_once()).count() as u64;
    let beyond = counting.len() as u64 - once;
    let why = match (beyond, once) {
        (_, 0) => format!("{beyond} beyond noise"),
        (0, _) if once == regressed => "run once a side: each counts".to_owned(),
        _ => format!("{beyond} beyond noise, {once} run once a side"),
    };
    format!("{regressed} regressed ({why})")
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
