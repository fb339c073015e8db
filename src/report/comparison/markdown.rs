//! The comparison as Markdown: for a pull-request comment or `$GITHUB_STEP_SUMMARY`.

use super::{change, errors, ms, output_diff, side_text, usage_text, verdict};
use crate::compare::{CandidateComparison, Gate, Verdict};
use crate::report::style::plain;
use crate::words::counted;

/// Text in a table cell or a heading: a case name is shown as written, never read as HTML, as
/// Markdown (`**x**`, `` `x` ``, `[x](y)`) or as a column break.
pub(crate) fn cell(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => shown.push_str("&amp;"),
            '<' => shown.push_str("&lt;"),
            '>' => shown.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '~' => {
                shown.push('\\');
                shown.push(c);
            }
            c => shown.push(c),
        }
    }
    in_a_row(&shown)
}

/// Text kept within its table row: no column break, no line break.
pub(crate) fn in_a_row(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The first line of every comparison in Markdown.
pub const HEADING: &str = "# flowcheck comparison\n";

/// Why a comparison says nothing, in its Markdown, HTML and JSON.
pub const REFUSED: &str =
    "Refused before anything was compared (exit 2): the command's error output says why.";

/// The comparison of a command refused before anything was compared.
pub fn refused() -> String {
    format!("{HEADING}\n{REFUSED}\n")
}

pub fn render(comparisons: &[CandidateComparison], gates: &[Gate]) -> String {
    render_with(comparisons, gates, cell)
}

/// The same Markdown with names as they are, not escaped for a Markdown viewer's HTML: for a
/// page that escapes the whole text itself (the HTML page's fallback without JavaScript).
pub(super) fn render_as_text(comparisons: &[CandidateComparison], gates: &[Gate]) -> String {
    render_with(comparisons, gates, in_a_row)
}

/// The Markdown, each name and message written by `cell`.
fn render_with(
    comparisons: &[CandidateComparison],
    gates: &[Gate],
    cell: fn(&str) -> String,
) -> String {
    let mut out = String::from(HEADING);
    for gate in gates {
        out.push_str(&format!(
            "\n## Gate: {} against {} {}\n\n",
            gate.candidate,
            gate.baseline,
            if gate.accepted {
                "✅ accepted"
            } else {
                "❌ refused"
            }
        ));
        out.push_str("| rule | measured | limit | result | why |\n|---|---|---|---|---|\n");
        for rule in &gate.rules {
            let result = match rule.verdict {
                Verdict::Pass => "pass",
                Verdict::Fail => "**FAIL**",
                Verdict::NotJudged => "not judged",
            };
            out.push_str(&format!(
                "| {} | {} | {} | {result} | {} |\n",
                cell(&rule.rule),
                cell(&rule.measured),
                cell(&rule.limit),
                cell(&rule.why)
            ));
        }
    }
    for comparison in comparisons {
        let (b, c) = (&comparison.baseline, &comparison.candidate);
        out.push_str(&format!("\n## {c} against {b}\n\n"));
        out.push_str(&format!("| scope | {b} pass rate | {c} pass rate | McNemar p | latency p95 {b} | latency p95 {c} | change | tokens/run | cost/run |\n|---|---|---|---|---|---|---|---|---|\n"));
        for s in comparison.suites.iter().chain([&comparison.overall]) {
            let (tokens, cost) = usage_text(s);
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {tokens} | {cost} |\n",
                cell(&s.scope),
                s.baseline.pass_rate_text(),
                s.candidate.pass_rate_text(),
                s.mcnemar_text(),
                ms(s.baseline.latency_p95_ms),
                ms(s.candidate.latency_p95_ms),
                change(s.latency_p95_change)
            ));
        }
        out.push_str(&format!(
            "\n**{}** of {}.\n\n",
            super::counts_text(comparison),
            counted(comparison.cases.len() as u64, "case")
        ));
        out.push_str(&format!(
            "| case | {b} | {c} | class |\n|---|---|---|---|\n"
        ));
        for case in &comparison.cases {
            out.push_str(&format!(
                "| {} › {} | {} | {} | {} |\n",
                cell(&case.suite),
                cell(&case.case),
                side_text(
                    case.baseline.passes,
                    case.baseline.judged,
                    case.baseline.errors
                ),
                side_text(
                    case.candidate.passes,
                    case.candidate.judged,
                    case.candidate.errors
                ),
                verdict(case)
            ));
        }
        let diffs: Vec<_> = comparison
            .cases
            .iter()
            .filter_map(|case| output_diff(case).map(|d| (case, d)))
            .collect();
        if !diffs.is_empty() {
            out.push_str("\n<details><summary>Output differences</summary>\n\n");
            for (case, diff) in diffs {
                out.push_str(&format!(
                    "**{} › {}**\n\n```diff\n{}```\n\n",
                    cell(&case.suite),
                    cell(&case.case),
                    plain(&diff)
                ));
            }
            out.push_str("</details>\n");
        }
        let errored = errors(comparison);
        if !errored.is_empty() {
            out.push_str(&format!(
                "\n<details><summary>{} (nothing to compare)</summary>\n\n",
                super::errors_heading(comparison)
            ));
            for (case, why) in errored {
                out.push_str(&format!(
                    "- **{} › {}**: {}\n",
                    cell(&case.suite),
                    cell(&case.case),
                    cell(&why)
                ));
            }
            out.push_str("\n</details>\n");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_case_name_is_text_in_a_cell() {
        assert_eq!(
            cell("<b>bold</b> | a & b\nnext"),
            "&lt;b&gt;bold&lt;/b&gt; \\| a &amp; b next"
        );
        assert_eq!(
            cell(r"**x** `y` [z](u) ~~w~~ a_b \"),
            r"\*\*x\*\* \`y\` \[z\](u) \~\~w\~\~ a\_b \\"
        );
    }
}
