//! The comparison and the gate's verdict on the terminal.

use super::{change, errors, ms, output_diff, side_text, verdict};
use crate::compare::{CandidateComparison, Class, Gate, Summary, Verdict};
use crate::report::style::{BOLD, DIM, FAIL, PASS, WARN, paint};
use crate::words::counted;

/// Cases whose output diffs are shown; the rest are counted.
const MAX_DIFFS: usize = 20;

fn class_style(class: Class) -> anstyle::Style {
    match class {
        Class::Regressed | Class::Errored | Class::NotRun => FAIL,
        Class::Fixed | Class::StillPassing => PASS,
        Class::Flaky => WARN,
        Class::StillFailing => DIM,
    }
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

fn summary_line(summary: &Summary) -> String {
    let (b, c) = (&summary.baseline, &summary.candidate);
    let mut line = format!(
        "{}: {} {} → {} {}; McNemar p={}; latency p95 {} → {} ({})",
        paint(BOLD, &summary.scope),
        b.target,
        b.pass_rate_text(),
        c.target,
        c.pass_rate_text(),
        summary.mcnemar_text(),
        ms(b.latency_p95_ms),
        ms(c.latency_p95_ms),
        change(summary.latency_p95_change),
    );
    let (tokens, cost) = super::usage_text(summary);
    if b.tokens_per_run.is_some() || c.tokens_per_run.is_some() {
        line.push_str(&format!("; tokens/run {tokens}"));
    }
    if b.cost_usd_per_run.is_some() || c.cost_usd_per_run.is_some() {
        line.push_str(&format!("; cost/run {cost}"));
    }
    line
}

pub fn render(comparison: &CandidateComparison) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "\n{} {} against {} ({})\n",
        paint(BOLD, "Comparing"),
        paint(BOLD, &comparison.candidate),
        paint(BOLD, &comparison.baseline),
        counted(comparison.cases.len() as u64, "case")
    ));
    let rows: Vec<[String; 4]> = comparison
        .cases
        .iter()
        .map(|c| {
            [
                format!("{} › {}", c.suite, c.case),
                side_text(c.baseline.passes, c.baseline.judged, c.baseline.errors),
                side_text(c.candidate.passes, c.candidate.judged, c.candidate.errors),
                verdict(c),
            ]
        })
        .collect();
    let header = [
        "case".to_owned(),
        comparison.baseline.clone(),
        comparison.candidate.clone(),
        "class".to_owned(),
    ];
    let widths: Vec<usize> = (0..4)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    out.push_str(&paint(
        DIM,
        format!(
            "  {}  {}  {}  {}",
            pad(&header[0], widths[0]),
            pad(&header[1], widths[1]),
            pad(&header[2], widths[2]),
            header[3]
        ),
    ));
    out.push('\n');
    for (row, case) in rows.iter().zip(&comparison.cases) {
        out.push_str(&format!(
            "  {}  {}  {}  {}\n",
            pad(&row[0], widths[0]),
            pad(&row[1], widths[1]),
            pad(&row[2], widths[2]),
            paint(class_style(case.class), &row[3])
        ));
    }
    out.push('\n');
    for summary in comparison.suites.iter().chain([&comparison.overall]) {
        out.push_str(&summary_line(summary));
        out.push('\n');
    }
    out.push_str(&super::counts_text(comparison));
    out.push('\n');
    // The terminal shows the outputs of cases whose verdict changed or wavers, and of those
    // that still fail with another answer (why they fail may have changed); the Markdown,
    // HTML and JSON reports hold every difference.
    let changed: Vec<_> = comparison
        .cases
        .iter()
        .filter(|c| {
            matches!(
                c.class,
                Class::Regressed | Class::Fixed | Class::Flaky | Class::StillFailing
            )
        })
        .filter_map(|c| output_diff(c).map(|d| (c, d)))
        .collect();
    if !changed.is_empty() {
        out.push_str(&format!(
            "\n{} (- {} + {}):\n",
            paint(BOLD, "Outputs that changed"),
            comparison.baseline,
            comparison.candidate
        ));
        for (case, diff) in changed.iter().take(MAX_DIFFS) {
            out.push_str(&format!("--- {} › {}\n", case.suite, case.case));
            // Which check the failing side failed (each side, where both fail): the diff
            // shows what changed, this why it matters.
            let failing = [&case.baseline, &case.candidate]
                .into_iter()
                .filter(|side| !side.passed && side.failed_check.is_some());
            for side in failing {
                let check = side.failed_check.as_deref().unwrap_or_default();
                out.push_str(&format!(
                    "    {} {}: {check}\n",
                    paint(FAIL, "✗"),
                    side.target
                ));
            }
            for line in diff.lines() {
                out.push_str(&format!("    {line}\n"));
            }
        }
        if changed.len() > MAX_DIFFS {
            out.push_str(&format!(
                "    … and {} more (see --markdown, --html or --json)\n",
                changed.len() - MAX_DIFFS
            ));
        }
    }
    let errored = errors(comparison);
    if !errored.is_empty() {
        out.push_str(&format!(
            "\n{} (nothing to compare):\n",
            paint(BOLD, super::errors_heading(comparison))
        ));
        for (case, why) in errored.iter().take(MAX_DIFFS) {
            out.push_str(&format!("--- {} › {}\n    {why}\n", case.suite, case.case));
        }
        if errored.len() > MAX_DIFFS {
            out.push_str(&format!(
                "    … and {} more (see --markdown, --html or --json)\n",
                errored.len() - MAX_DIFFS
            ));
        }
    }
    out
}

pub fn render_gate(gate: &Gate, baseline: &str) -> String {
    let candidate = &gate.candidate;
    let mut out = format!(
        "\n{} {candidate} against {baseline}\n",
        paint(BOLD, "Gate:")
    );
    for rule in &gate.rules {
        let mark = match rule.verdict {
            Verdict::Pass => paint(PASS, "✓ pass"),
            Verdict::Fail => paint(FAIL, "✗ FAIL"),
            Verdict::NotJudged => paint(DIM, "– not judged"),
        };
        out.push_str(&format!(
            "  {mark}  {}: {} (limit: {}) — {}\n",
            rule.rule, rule.measured, rule.limit, rule.why
        ));
    }
    let verdict = if gate.accepted {
        paint(PASS, format!("ACCEPTED: {candidate} may be promoted"))
    } else {
        paint(FAIL, format!("REFUSED: {candidate} must not be promoted"))
    };
    out.push_str(&format!("{verdict}\n"));
    out
}
