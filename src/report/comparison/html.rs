//! The comparison as one self-contained HTML page: versions side by side with diffs, filters
//! (regressed only, by tag), readable from a file with no server. The data travels inside the
//! page as JSON and a small script renders it, so the page and the JSON report agree.

use super::{change, counts_text, ms, output_diff, side_text, usage_text, verdict};
use crate::compare::{CandidateComparison, Gate};
use crate::report::style::plain;
use serde_json::{Value, json};

fn data(comparisons: &[CandidateComparison], gates: &[Gate]) -> Value {
    let comparisons: Vec<Value> = comparisons
        .iter()
        .map(|c| {
            let cases: Vec<Value> = c
                .cases
                .iter()
                .map(|case| {
                    json!({
                        "suite": case.suite, "case": case.case, "tags": case.tags, "class": case.class,
                        "verdict": verdict(case),
                        "baseline": side_text(case.baseline.passes, case.baseline.judged, case.baseline.errors),
                        "candidate": side_text(case.candidate.passes, case.candidate.judged, case.candidate.errors),
                        "baseline_output": case.baseline.output, "candidate_output": case.candidate.output,
                        "baseline_error": case.baseline.error, "candidate_error": case.candidate.error,
                        "diff": output_diff(case).map(|d| plain(&d)),
                    })
                })
                .collect();
            let scopes: Vec<Value> = c
                .suites
                .iter()
                .chain([&c.overall])
                .map(|s| {
                    json!({
                        "scope": s.scope,
                        "baseline": s.baseline.pass_rate_text(),
                        "candidate": s.candidate.pass_rate_text(),
                        "mcnemar_p": s.mcnemar_text(),
                        "latency": format!("{} → {}", ms(s.baseline.latency_p95_ms), ms(s.candidate.latency_p95_ms)),
                        "change": change(s.latency_p95_change),
                        "tokens": usage_text(s).0, "cost": usage_text(s).1,
                    })
                })
                .collect();
            json!({"baseline": c.baseline, "candidate": c.candidate, "cases": cases, "scopes": scopes, "counts": counts_text(c)})
        })
        .collect();
    json!({"comparisons": comparisons, "gates": gates})
}

pub fn render(comparisons: &[CandidateComparison], gates: &[Gate]) -> String {
    // `</` cannot appear inside a script element; JSON allows `<\/` for it.
    let data = data(comparisons, gates).to_string().replace("</", "<\\/");
    // Without JavaScript the page shows the Markdown report's text instead of nothing.
    let text = super::markdown::render_as_text(comparisons, gates)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    // Filled by position, so that a case named `__DATA__` stays text.
    let (head, rest) = TEMPLATE.split_once("__TEXT__").unwrap_or((TEMPLATE, ""));
    let (middle, tail) = rest.split_once("__DATA__").unwrap_or((rest, ""));
    format!("{head}{text}{middle}{data}{tail}")
}

/// The title of every comparison page.
pub const TITLE: &str = "<title>flowcheck comparison</title>";

/// The page of a command refused before anything was compared.
pub fn refused() -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n{TITLE}\n</head>\n<body>\n<h1>flowcheck comparison</h1>\n<p>{}</p>\n</body>\n</html>\n",
        super::markdown::REFUSED
    )
}

const TEMPLATE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>flowcheck comparison</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem; color: #1d1d1f; }
  h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; margin-top: 2rem; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
  th, td { border-bottom: 1px solid #ddd; padding: .3rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f5f5f7; }
  .regressed, .errored, .not_run, .fail { color: #b00020; font-weight: 600; }
  .fixed, .pass { color: #0a7d32; font-weight: 600; }
  .flaky { color: #a15c00; font-weight: 600; }
  .still_failing, .not_judged { color: #777; }
  .counts span { margin-right: 1rem; }
  .sides { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: .5rem; }
  pre { background: #f5f5f7; padding: .5rem; overflow-x: auto; margin: 0; font-size: 12px; }
  details summary { cursor: pointer; }
  .filters { margin: 1rem 0; }
</style>
</head>
<body>
<h1>flowcheck comparison</h1>
<div class="filters">
  <label><input type="checkbox" id="only-regressed"> regressed only</label>
  <label>tag <select id="tag"><option value="">all</option></select></label>
</div>
<noscript><p>The tables below are drawn with JavaScript; here is the same comparison as text.</p><pre>__TEXT__</pre></noscript>
<div id="gates"></div>
<div id="comparisons"></div>
<script type="application/json" id="data">__DATA__</script>
<script>
const data = JSON.parse(document.getElementById('data').textContent);
const el = (tag, attrs = {}, ...children) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
};
const pretty = v => v === null || v === undefined ? '(no output)' : JSON.stringify(v, null, 2);
const shown = (output, error) => error ? 'error: ' + error : pretty(output);
const tags = new Set();
data.comparisons.forEach(c => c.cases.forEach(k => k.tags.forEach(t => tags.add(t))));
const select = document.getElementById('tag');
[...tags].sort().forEach(t => select.append(el('option', {value: t}, t)));

for (const gate of data.gates) {
  const box = el('section', {id: 'gate-' + gate.candidate});
  box.append(el('h2', {}, 'Gate: ' + gate.candidate + ' against ' + gate.baseline + ' ', el('span', {class: gate.accepted ? 'pass' : 'fail', id: 'gate-verdict-' + gate.candidate}, gate.accepted ? 'accepted' : 'refused')));
  const table = el('table', {}, el('tr', {}, el('th', {}, 'rule'), el('th', {}, 'measured'), el('th', {}, 'limit'), el('th', {}, 'result'), el('th', {}, 'why')));
  for (const r of gate.rules) table.append(el('tr', {}, el('td', {}, r.rule), el('td', {}, r.measured), el('td', {}, r.limit), el('td', {class: !r.judged ? 'not_judged' : r.passed ? 'pass' : 'fail'}, !r.judged ? 'not judged' : r.passed ? 'pass' : 'FAIL'), el('td', {}, r.why)));
  box.append(table);
  document.getElementById('gates').append(box);
}

const sections = [];
for (const c of data.comparisons) {
  const box = el('section', {id: 'compare-' + c.candidate});
  box.append(el('h2', {}, c.candidate + ' against ' + c.baseline));
  box.append(el('p', {}, c.counts));
  const counts = el('p', {class: 'counts'});
  box.append(counts);
  const scopes = el('table', {}, el('tr', {}, el('th', {}, 'scope'), el('th', {}, c.baseline + ' pass rate'), el('th', {}, c.candidate + ' pass rate'), el('th', {}, 'McNemar p'), el('th', {}, 'latency p95'), el('th', {}, 'change'), el('th', {}, 'tokens/run'), el('th', {}, 'cost/run')));
  for (const s of c.scopes) scopes.append(el('tr', {}, el('td', {}, s.scope), el('td', {}, s.baseline), el('td', {}, s.candidate), el('td', {}, s.mcnemar_p), el('td', {}, s.latency), el('td', {}, s.change), el('td', {}, s.tokens), el('td', {}, s.cost)));
  box.append(scopes);
  const table = el('table', {}, el('tr', {}, el('th', {}, 'case'), el('th', {}, c.baseline), el('th', {}, c.candidate), el('th', {}, 'class')));
  const rows = c.cases.map(k => {
    const details = el('details', {}, el('summary', {}, k.suite + ' › ' + k.case));
    details.append(el('div', {class: 'sides'},
      el('div', {}, el('strong', {}, c.baseline), el('pre', {}, shown(k.baseline_output, k.baseline_error))),
      el('div', {}, el('strong', {}, c.candidate), el('pre', {}, shown(k.candidate_output, k.candidate_error))),
      el('div', {}, el('strong', {}, 'diff'), el('pre', {}, k.diff || 'identical'))));
    const row = el('tr', {class: 'case', 'data-class': k.class, 'data-tags': k.tags.join(' ')},
      el('td', {}, details), el('td', {}, k.baseline), el('td', {}, k.candidate), el('td', {class: k.class}, k.verdict));
    table.append(row);
    return {row, k};
  });
  box.append(table);
  sections.push({c, rows, counts});
  document.getElementById('comparisons').append(box);
}

function refresh() {
  const onlyRegressed = document.getElementById('only-regressed').checked;
  const tag = select.value;
  for (const {c, rows, counts} of sections) {
    const shown = {};
    let visible = 0;
    for (const {row, k} of rows) {
      const show = (!onlyRegressed || k.class === 'regressed') && (!tag || k.tags.includes(tag));
      row.style.display = show ? '' : 'none';
      if (show) { visible++; shown[k.class] = (shown[k.class] || 0) + 1; }
    }
    counts.replaceChildren(...['regressed', 'fixed', 'flaky', 'errored', 'not_run', 'still_passing', 'still_failing'].map(name =>
      el('span', {class: name, id: 'count-' + c.candidate + '-' + name}, name.replace('_', ' ') + ': ' + (shown[name] || 0))),
      el('span', {id: 'count-' + c.candidate + '-shown'}, 'cases shown: ' + visible));
  }
}
document.getElementById('only-regressed').addEventListener('change', refresh);
select.addEventListener('change', refresh);
refresh();
</script>
</body>
</html>
"#;

#[cfg(test)]
mod tests {
    use crate::compare::{Gate, RuleResult, Verdict};

    /// The page's text without JavaScript shows a name once escaped, as a browser reads it
    /// back to the name: `<b>` is seen as `<b>`, not as `&lt;b&gt;`.
    #[test]
    fn the_text_without_javascript_shows_names_as_written() {
        let gate = Gate {
            baseline: "production".into(),
            candidate: "v2".into(),
            accepted: false,
            rules: vec![RuleResult {
                rule: "regressions".into(),
                measured: "1".into(),
                limit: "0".into(),
                verdict: Verdict::Fail,
                why: "<b>bold</b> & more regressed".into(),
            }],
        };
        let page = super::render(&[], &[gate]);
        let text = page
            .split_once("<noscript>")
            .and_then(|(_, rest)| rest.split_once("</noscript>"))
            .map(|(text, _)| text)
            .unwrap_or_default();
        assert!(
            text.contains("| &lt;b&gt;bold&lt;/b&gt; &amp; more regressed |"),
            "{text}"
        );
    }
}
