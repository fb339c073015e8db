//! `flowcheck compare` and `flowcheck gate` over the simulator: the shipped regression is
//! refused, an identical version accepted, a nondeterministic version accepted against itself
//! (the A/A false-alarm rate) and a real regression of it detected; reports in every format,
//! the HTML page checked in headless Chromium.

mod common;

use common::{Run, Sim, read, read_json, run, tempdir};
use std::process::Command;

/// `flowcheck gate --baseline B --candidate C SUITE --embedded EXTRA...`
/// `flowcheck compare` or `gate` on reports alone: each side's results read from its report
/// (`(target, report)`), over the suites at `paths`; nothing is run.
fn on_reports(
    command: &str,
    baseline: (&str, &str),
    candidate: (&str, &str),
    paths: &[&str],
) -> Run {
    let mut args = vec![
        command,
        "--baseline",
        baseline.0,
        "--baseline-report",
        baseline.1,
        "--candidate",
        candidate.0,
        "--candidate-report",
        candidate.1,
    ];
    args.extend_from_slice(paths);
    run(&args)
}

fn gate_embedded(baseline: &str, candidate: &str, suite: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "gate",
        "--baseline",
        baseline,
        "--candidate",
        candidate,
        suite,
        "--embedded",
    ];
    args.extend_from_slice(extra);
    run(&args)
}

/// `flowcheck run SUITE --embedded EXTRA... --json REPORT`: a report for a gate to read.
fn embedded_report(suite: &str, report: &str, extra: &[&str]) -> Run {
    let mut args = vec!["run", suite, "--embedded"];
    args.extend_from_slice(extra);
    args.extend(["--json", report]);
    run(&args)
}

#[test]
fn gating_triage_v3_against_production_is_refused() {
    let result = gate_embedded("production", "v3", "suites/triage.yaml", &[]);
    assert_eq!(result.code, 1, "{}", result.all());
    // Each changed case says which check the failing side failed, above its diff.
    assert!(
        result.stdout.contains("--- support-triage › refund requests go to billing\n    ✗ v3: $.confidence gte 0.9: found 0.88\n"),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("✗ FAIL  no regression beyond noise"),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("money back is billing too"),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("REFUSED: v3 must not be promoted"),
        "{}",
        result.stdout
    );
}

#[test]
fn gating_v2_against_production_the_same_version_is_accepted() {
    let result = gate_embedded("production", "v2", "suites/triage.yaml", &[]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(
        result.stdout.contains("0 fixed, 0 regressed, 0 flaky"),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("ACCEPTED: v2 may be promoted"),
        "{}",
        result.stdout
    );
}

#[test]
fn a_candidate_that_only_errors_says_why_and_counts_as_no_evidence() {
    let dir = tempdir();
    let json = dir.path().join("comparison.json");
    let markdown = dir.path().join("comparison.md");
    let result = gate_embedded(
        "production",
        "v99",
        "tests/fixtures/run/regressions.yaml",
        &[
            "--json",
            json.to_str().expect("utf-8 path"),
            "--markdown",
            markdown.to_str().expect("utf-8 path"),
        ],
    );
    // The baseline was judged, so the run did its job; the error budget refuses the candidate.
    assert_eq!(result.code, 1, "{}", result.all());
    let why =
        "v99: HTTP 404 FLOW_NOT_FOUND: Version 99 of flow demo/support/triage is not published";
    for expected in [
        "→ v99 no judged attempts (3 errored); McNemar p=–;",
        "Errored cases (nothing to compare):\n--- triage-regressions › money back goes to billing\n",
        why,
        "✗ FAIL  error budget: 100.0%",
        "✗ FAIL  cases compared: 0 cases (limit: at least 1) — no case has a judged attempt on both production and v99 (3 cases errored on one side or both)",
    ] {
        assert!(
            result.stdout.contains(expected),
            "{expected:?} in:\n{}",
            result.stdout
        );
    }
    // Markdown characters in the Markdown's text are escaped: `FLOW\_NOT\_FOUND` shows as
    // the code.
    assert!(
        read(&markdown).contains(&why.replace('_', "\\_")),
        "{}",
        read(&markdown)
    );
    let report = read_json(&json);
    let case = &report["comparisons"][0]["cases"][0];
    assert_eq!(case["class"], "errored");
    assert_eq!(case["candidate"]["judged"], 0);
    assert!(
        case["candidate"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("FLOW_NOT_FOUND")),
        "{case}"
    );
    assert_eq!(report["comparisons"][0]["overall"]["mcnemar_p"], 1.0);
    // The verdict is a field for machines, beside the rules that made it.
    let gate = &report["gates"][0];
    assert_eq!(
        (&gate["candidate"], &gate["accepted"]),
        (&serde_json::json!("v99"), &serde_json::json!(false)),
        "{gate}"
    );
    assert!(
        gate["rules"].as_array().is_some_and(|rules| rules
            .iter()
            .any(|r| r["rule"] == "error budget" && r["passed"] == false)),
        "{gate}"
    );

    // A baseline that only errors (an outage) is no evidence either: it used to be accepted,
    // since the candidate's error budget held.
    let result = gate_embedded(
        "v99",
        "production",
        "tests/fixtures/run/regressions.yaml",
        &[],
    );
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains("✗ FAIL  cases compared: 0 cases")
            && result.stdout.contains("REFUSED"),
        "{}",
        result.stdout
    );
}

#[test]
fn a_policy_file_adds_rules_that_state_what_they_measured() {
    let dir = tempdir();
    let policy = dir.path().join("gate.yaml");
    let gate_with = |text: &str| {
        std::fs::write(&policy, text).expect("written");
        gate_embedded(
            "production",
            "v3",
            "suites/triage.yaml",
            &["--policy", policy.to_str().unwrap_or_default()],
        )
    };
    let result = gate_with(
        "max_regressions: 10\nmin_pass_rate: 0.9\ntags: {billing: 1.0}\nmax_latency_p95_increase: 10.0\nmax_error_rate: 0.0\n",
    );
    assert_eq!(result.code, 1, "{}", result.all());
    for line in [
        "✓ pass  no regression beyond noise: 5 regressions in cases run once a side (limit: at most 10)",
        "0 fixed, 5 regressed (run once a side: each counts), 0 flaky, 0 errored",
        "✗ FAIL  minimum pass rate: 61.5% (95% CI 35.5–82.3%) (limit: at least 90.0%) — 8 of 13 judged attempts passed",
        "✗ FAIL  pass rate of tag billing: 0.0% (95% CI 0.0–65.8%) (limit: at least 100.0%) — 0 of 2 attempts in 2 cases",
        "✓ pass  error budget: 0.0% (limit: at most 0.0%)",
    ] {
        assert!(
            result.stdout.contains(line),
            "missing {line:?} in\n{}",
            result.stdout
        );
    }
    assert!(
        result.stdout.contains("latency p95 increase"),
        "{}",
        result.stdout
    );

    let result = gate_with("max_regresions: 1\n");
    assert_eq!(result.code, 2, "{}", result.all());
    // Like a suite's errors: at file:line:col, with the line and a suggestion.
    let at = format!("{}:1:1: unknown field `max_regresions`", policy.display());
    assert!(
        result.stderr.contains(&at)
            && result.stderr.contains("1 | max_regresions: 1")
            && result.stderr.contains("did you mean \"max_regressions\"?"),
        "{}",
        result.stderr
    );

    // A share out of range is placed too, wherever it is written.
    for (text, at) in [
        ("alpha: 1.5\n", ":1:8: 1.5 is not a share from 0 to 1"),
        ("tags:\n  smoke: 2\n", ":2:10: 2 is not a share from 0 to 1"),
        (
            "min_pass_rate: -0.1\n",
            ":1:16: -0.1 is not a share from 0 to 1",
        ),
    ] {
        let result = gate_with(text);
        assert_eq!(result.code, 2, "{}", result.all());
        let at = format!("{}{at}", policy.display());
        assert!(result.stderr.contains(&at), "{at} in {}", result.stderr);
    }
}

#[test]
fn compare_writes_markdown_json_and_html_and_reads_a_baseline_report() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let baseline = embedded_report("suites/triage.yaml", &path("production.json"), &[]);
    assert_eq!(baseline.code, 0, "{}", baseline.all());
    let result = run(&[
        "compare",
        "--baseline",
        "production",
        "--baseline-report",
        &path("production.json"),
        "--candidate",
        "v3",
        "suites/triage.yaml",
        "--embedded",
        "--markdown",
        &path("compare.md"),
        "--json",
        &path("compare.json"),
        "--html",
        &path("compare.html"),
    ]);
    assert_eq!(
        result.code,
        0,
        "compare informs, it does not gate:\n{}",
        result.all()
    );
    // A case pinned to v3 alone says nothing about production: left out, as in a run.
    assert!(
        result.stdout.contains("Running 13 cases")
            && result.stdout.contains("note: 3 cases name their own targets and are left out of the comparison: support-triage › v3 no longer routes \"money back\" to billing (known regression); support-triage › v1 knew only billing; support-triage › unpublished versions are not found"),
        "only the candidate runs:\n{}",
        result.stdout
    );
    assert!(
        !result.stdout.contains("no production result"),
        "{}",
        result.stdout
    );

    let markdown = read(&dir.path().join("compare.md"));
    assert!(markdown.contains("## v3 against production"), "{markdown}");
    assert!(
        markdown
            .contains("| support-triage › money back is billing too | pass | fail | regressed |"),
        "{markdown}"
    );
    assert!(markdown.contains("```diff"), "{markdown}");

    let json = read_json(&dir.path().join("compare.json"));
    let overall = &json["comparisons"][0]["overall"];
    assert_eq!(
        (overall["regressed"].as_u64(), overall["fixed"].as_u64()),
        (Some(5), Some(0)),
        "{overall}"
    );
    // Run once a side, a case has no measure of noise: no p-value, and its flip counts.
    let case = &json["comparisons"][0]["cases"][0];
    assert_eq!(
        (&case["p_value"], &case["adjusted_p"], &case["significant"]),
        (
            &serde_json::Value::Null,
            &serde_json::Value::Null,
            &serde_json::json!(true)
        ),
        "{case}"
    );

    let html = read(&dir.path().join("compare.html"));
    assert!(html.contains("<script type=\"application/json\" id=\"data\">"));
    // Without JavaScript, the page still holds the comparison, as escaped text.
    let text = html
        .split_once("<noscript>")
        .and_then(|(_, rest)| rest.split_once("</noscript>"))
        .map(|(text, _)| text)
        .unwrap_or_default();
    assert!(
        text.contains("# flowcheck comparison")
            && text
                .contains("support-triage › money back is billing too | pass | fail | regressed"),
        "{text}"
    );
    assert!(
        !html.contains("</script><"),
        "no early end of the data script"
    );
}

fn chromium() -> Option<&'static str> {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
}

#[test]
fn the_html_page_renders_its_counts_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must have Debian's chromium (.ci/run installs it)"
        );
        eprintln!("notice: chromium is not installed; the HTML page was not rendered");
        return;
    };
    let dir = tempdir();
    let html = dir.path().join("compare.html");
    let result = gate_embedded(
        "production",
        "v3",
        "suites/triage.yaml",
        &["--html", html.to_str().unwrap_or_default()],
    );
    assert_eq!(result.code, 1, "{}", result.all());
    let profile = tempdir();
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium runs");
    let dom = String::from_utf8_lossy(&output.stdout);
    for rendered in [
        "id=\"count-v3-regressed\">regressed: 5<",
        "id=\"count-v3-fixed\">fixed: 0<",
        "id=\"count-v3-shown\">cases shown: 13<",
        "id=\"gate-verdict-v3\">refused<",
    ] {
        assert!(
            dom.contains(rendered),
            "{rendered} not rendered; the page:\n{dom}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Gate a version against itself, or against its regression, once per simulator seed.
fn trials(baseline: &str, candidate: &str, seeds: std::ops::Range<u64>) -> (usize, usize) {
    let mut accepted = 0;
    let total = seeds.clone().count();
    for seed in seeds {
        let sim = Sim::start_with(&["--seed", &seed.to_string()]);
        let result = sim.command(
            "gate",
            &[
                "--baseline",
                baseline,
                "--candidate",
                candidate,
                "tests/fixtures/gate/taglines.yaml",
                "--jobs",
                "1",
            ],
        );
        assert!(matches!(result.code, 0 | 1), "{}", result.all());
        if result.code == 0 {
            accepted += 1;
        }
    }
    (accepted, total)
}

#[test]
fn a_nondeterministic_version_is_accepted_against_itself_and_its_regression_caught() {
    const SEEDS: std::ops::Range<u64> = 1..41;
    let (accepted, total) = trials("v2", "v2", SEEDS);
    let false_alarms = total - accepted;
    eprintln!(
        "A/A: v2 against v2 accepted in {accepted} of {total} seeded runs ({false_alarms} false alarms)"
    );
    assert!(
        accepted as f64 >= 0.95 * total as f64,
        "A/A accepted only {accepted} of {total}"
    );

    let (accepted, total) = trials("v2", "v3", SEEDS);
    let detected = total - accepted;
    eprintln!("A/B: v3 (50%) against v2 (75%) refused in {detected} of {total} seeded runs");
    assert!(
        detected as f64 >= 0.5 * total as f64,
        "the regression was caught in only {detected} of {total}"
    );
}

#[test]
fn the_gate_can_run_on_reports_alone() {
    let dir = tempdir();
    let report = dir.path().join("run.json");
    let ran = embedded_report(
        "suites/triage.yaml",
        report.to_str().unwrap_or_default(),
        &[],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let path = report.to_str().unwrap_or_default();
    // No server is configured: both sides come from the report (production and v2 ran there).
    let gated = on_reports(
        "gate",
        ("production", path),
        ("v2", path),
        &["suites/triage.yaml"],
    );
    assert_eq!(gated.code, 0, "{}", gated.all());
    assert!(
        !gated.stdout.contains("Running"),
        "nothing runs: {}",
        gated.stdout
    );
    assert!(
        gated.stdout.contains("ACCEPTED: v2 may be promoted"),
        "{}",
        gated.stdout
    );
}

/// Reports that share no case, or a report without the candidate's results, are no evidence:
/// the gate used to accept them with "0 cases" compared, then refused them (exit 1) as if the
/// candidate had been judged; they are a usage error, naming what each side holds.
#[test]
fn the_gate_refuses_when_the_reports_share_no_case() {
    let dir = tempdir();
    let report = |suite: &str, name: &str| {
        let path = dir.path().join(name).to_string_lossy().into_owned();
        let ran = run(&["run", suite, "--embedded", "--json", &path]);
        assert_eq!(ran.code, 0, "{}", ran.all());
        path
    };
    let other_suite = dir.path().join("other.yaml");
    std::fs::write(
        &other_suite,
        "suite: other\nflow: demo/support/triage\ntargets: [v2]\ncases:\n  - name: another case\n    message: hi\n",
    )
    .expect("write");
    let triage = report("suites/triage.yaml", "triage.json");
    let other = report(&other_suite.to_string_lossy(), "other.json");
    let gate = |candidate_report: &str| {
        on_reports(
            "gate",
            ("production", &triage),
            ("v2", candidate_report),
            &["suites/triage.yaml"],
        )
    };
    let gated = gate(&other);
    gated.assert_refused(&format!(
        "error: the baseline (production) and the candidate (v2) have no case in common, so there is nothing to compare; nothing was sent
  baseline production, from {triage}: 13 cases of support-triage (refund requests go to billing; money back is billing too; urgent lock-outs are high-priority account issues; and 10 more)
  candidate v2, from {other}: none of the cases selected from these suites; it holds 1 case of other (another case)
"
    ));
    assert!(!gated.stdout.contains("ACCEPTED"), "{}", gated.stdout);
    let triage_production_only = report("suites/summarize.yaml", "summarize.json");
    gate(&triage_production_only).assert_refused(&format!(
        "error: {triage_production_only} holds no results for v2"
    ));
}

/// `compare` of sides with no case in common compared nothing and exited 0, a CI step that
/// passed: it is a usage error before anything is sent, whether the sides come from reports or
/// one is run here. Sides that share some cases are compared as before, the others named.
#[test]
fn compare_of_sides_with_no_case_in_common_is_a_usage_error() {
    let dir = tempdir();
    let other_suite = dir.path().join("other.yaml");
    std::fs::write(
        &other_suite,
        "suite: other\nflow: demo/support/triage\ntargets: [v2]\ncases:\n  - name: another case\n    message: hi\n",
    )
    .expect("write");
    let other_suite = other_suite.to_string_lossy().into_owned();
    let triage = dir
        .path()
        .join("triage.json")
        .to_string_lossy()
        .into_owned();
    let other = dir.path().join("other.json").to_string_lossy().into_owned();
    let ran = embedded_report("suites/triage.yaml", &triage, &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let ran = embedded_report(&other_suite, &other, &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    // A report edited by hand: a name it holds is shown on one line, its controls escaped.
    let edited = dir
        .path()
        .join("edited.json")
        .to_string_lossy()
        .into_owned();
    std::fs::write(
        &edited,
        read(std::path::Path::new(&other))
            .replace("\"another case\"", "\"another\\ncase\\u001b[31m\""),
    )
    .expect("write");

    // Both sides from reports of different suites.
    let both = on_reports(
        "compare",
        ("production", &triage),
        ("v2", &edited),
        &["suites/triage.yaml", &other_suite],
    );
    both.assert_refused(&format!(
        "error: the baseline (production) and the candidate (v2) have no case in common, so there is nothing to compare; nothing was sent
  baseline production, from {triage}: 13 cases of support-triage (refund requests go to billing; money back is billing too; urgent lock-outs are high-priority account issues; and 10 more)
  candidate v2, from {edited}: none of the cases selected from these suites; it holds 1 case of other (another\\ncase\\u001b[31m)
  = help: compare results of the same cases: reports of runs of these suites, or leave a report out to run its side here
"
    ));
    assert!(!both.stdout.contains("Comparing"), "{}", both.stdout);

    // The baseline from a report of another suite, the candidate run here: refused before
    // the run.
    let live = run(&[
        "compare",
        "--baseline",
        "v2",
        "--baseline-report",
        &other,
        "--candidate",
        "v2",
        "suites/triage.yaml",
        "--embedded",
    ]);
    live.assert_refused(&format!(
        "  baseline v2, from {other}: none of the cases selected from these suites; it holds 1 case of other (another case)
  candidate v2, to run here: 13 cases of support-triage (refund requests go to billing;"
    ));

    // Some cases in common: compared, the rest named.
    let partial = run(&[
        "compare",
        "--baseline",
        "v2",
        "--baseline-report",
        &other,
        "--candidate",
        "v2",
        "suites/triage.yaml",
        &other_suite,
        "--embedded",
    ]);
    assert_eq!(partial.code, 0, "{}", partial.all());
    assert!(
        partial
            .stdout
            .contains("note: 13 cases have no v2 result to compare with v2"),
        "{}",
        partial.stdout
    );
    assert!(
        partial
            .stdout
            .contains("Comparing v2 against v2 (14 cases)"),
        "{}",
        partial.stdout
    );
}

/// A flow whose v1 is down (every call answers 500) and whose v2 answers "nope", and one whose
/// two versions answer alike: a baseline outage next to a working comparison.
fn outage_flows(dir: &std::path::Path) -> (String, String) {
    let flows = dir.join("flows");
    std::fs::create_dir_all(&flows).expect("flows dir");
    let version = |n: u32, text: &str, faults: &str| {
        format!(
            "  - version: {n}\n{faults}    blocks:\n      - id: answer\n        kind: template\n        text: \"{text}\"\n"
        )
    };
    std::fs::write(
        flows.join("outage.yaml"),
        format!(
            "org: acme\nproject: shop\nflow: outage\nproduction: 1\nversions:\n{}{}",
            version(1, "ok", "    faults: {server_error: {every: 1}}\n"),
            version(2, "nope", "")
        ),
    )
    .expect("write flow");
    std::fs::write(
        flows.join("fine.yaml"),
        format!(
            "org: acme\nproject: shop\nflow: fine\nproduction: 1\nversions:\n{}{}",
            version(1, "ok", ""),
            version(2, "ok", "")
        ),
    )
    .expect("write flow");
    let suite = dir.join("suite.yaml");
    std::fs::write(
        &suite,
        "suite: outage\nflow: acme/shop/outage\ncases:\n  - name: says ok\n    message: hi\n    expect: {output: [{path: $.text, equals: ok}]}\n",
    )
    .expect("write suite");
    let fine = dir.join("fine.yaml");
    std::fs::write(
        &fine,
        "suite: fine\nflow: acme/shop/fine\ncases:\n  - name: says ok\n    message: hi\n    expect: {output: [{path: $.text, equals: ok}]}\n",
    )
    .expect("write suite");
    (
        flows.display().to_string(),
        format!("{} {}", suite.display(), fine.display()),
    )
}

/// A baseline that errored on a case tells nothing about it: a candidate that fails there
/// could have regressed, so the gate refuses rather than passing over it.
#[test]
fn a_baseline_outage_does_not_hide_a_candidate_failure() {
    let dir = tempdir();
    let (flows, suites) = outage_flows(dir.path());
    let sim = Sim::start_with(&["--flows", &flows]);
    let mut args = vec!["--baseline", "v1", "--candidate", "v2"];
    args.extend(suites.split(' '));
    let result = sim.command("gate", &args);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains(
            "✗ FAIL  failures compared: 1 case fails on v2 with nothing to compare (limit: 0) — v1 errored too often to tell whether it regressed: outage › says ok"
        ),
        "{}",
        result.stdout
    );
    assert!(result.stdout.contains("REFUSED: v2"), "{}", result.stdout);
}

/// Cases that did not run (the deadline came first, or a candidate report holds one shard)
/// leave the candidate unknown: refused, and the reports say so.
#[test]
fn a_candidate_with_cases_not_run_is_refused() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let shard = embedded_report(
        "suites/triage.yaml",
        &path("shard.json"),
        &["--shard", "1/3"],
    );
    assert!(matches!(shard.code, 0 | 1), "{}", shard.all());
    let result = gate_embedded(
        "production",
        "v2",
        "suites/triage.yaml",
        &[
            "--candidate-report",
            &path("shard.json"),
            "--json",
            &path("gate.json"),
            "--markdown",
            &path("gate.md"),
        ],
    );
    assert_eq!(result.code, 1, "{}", result.all());
    for expected in [
        "no v2 result in",
        "✗ FAIL  every case ran:",
        "--- support-triage › crashes are technical\n    v2: no result in the report",
        "REFUSED: v2",
    ] {
        assert!(
            result.stdout.contains(expected),
            "{expected:?} in:\n{}",
            result.stdout
        );
    }
    assert_eq!(
        read_json(&dir.path().join("gate.json"))["gates"][0]["accepted"],
        false
    );
    assert!(
        read(&dir.path().join("gate.md")).contains("## Gate: v2 against production ❌ refused")
    );

    // The deadline cuts an async job of 3 s short.
    let cut = gate_embedded(
        "production",
        "production",
        "suites/report.yaml",
        &["--deadline", "300ms"],
    );
    assert_eq!(cut.code, 1, "{}", cut.all());
    assert!(
        cut.stdout.contains("✗ FAIL  every case ran: 1 case not run")
            && cut.stdout.contains("✗ FAIL  complete evidence: 1 gap (limit: 0) — the run stopped before its end: its --deadline was reached"),
        "{}",
        cut.stdout
    );
}

/// Reports of one shard each, on both sides, compare a part of the run: refused, whatever
/// that part says. A candidate report stands alone: the live baseline is not counted as the
/// candidate too, even when both name the same target.
#[test]
fn reports_of_a_shard_are_no_whole_run() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let suite = "tests/fixtures/run/regressions.yaml";
    for k in ["1", "2"] {
        let ran = embedded_report(
            suite,
            &path(&format!("shard{k}.json")),
            &["--shard", &format!("{k}/2")],
        );
        assert!(matches!(ran.code, 0 | 1), "{}", ran.all());
    }
    let gated = on_reports(
        "gate",
        ("production", &path("shard1.json")),
        ("v3", &path("shard2.json")),
        &[suite],
    );
    assert_eq!(gated.code, 1, "{}", gated.all());
    assert!(
        gated.stdout.contains("✗ FAIL  complete evidence: 2 gaps")
            && gated.stdout.contains(
                "shard1.json holds shard 1/2 of its run: merge the shards first (flowcheck merge)"
            ),
        "{}",
        gated.stdout
    );

    // The whole run as the candidate's report, named as the baseline's target.
    let whole = path("whole.json");
    let ran = run(&["run", "suites/triage.yaml", "--embedded", "--json", &whole]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let compared = gate_embedded(
        "production",
        "production",
        "suites/triage.yaml",
        &["--candidate-report", &whole],
    );
    assert!(
        compared
            .stdout
            .contains("Comparing production against production (13 cases)"),
        "{}",
        compared.stdout
    );
}

/// `--baseline-report` with the baseline itself as the candidate runs the candidate: the CI
/// check "is production still what it was?" compares a new run with the old one.
#[test]
fn a_baseline_report_against_a_new_run_of_the_same_target() {
    let dir = tempdir();
    let report = dir.path().join("production.json").display().to_string();
    let ran = run(&["run", "suites/triage.yaml", "--embedded", "--json", &report]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let result = gate_embedded(
        "production",
        "production",
        "suites/triage.yaml",
        &["--baseline-report", &report],
    );
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(
        result.stdout.contains("Running 13 cases")
            && result
                .stdout
                .contains("Comparing production against production (13 cases)")
            && result
                .stdout
                .contains("ACCEPTED: production may be promoted"),
        "{}",
        result.stdout
    );
}

/// The README's policy block, "these are the defaults", loads as written.
#[test]
fn the_readme_policy_block_loads() {
    let readme = read(std::path::Path::new("README.md"));
    let after = readme
        .split_once("these are the defaults:\n\n```yaml\n")
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let block = after
        .split_once("```")
        .map(|(block, _)| block)
        .unwrap_or_default();
    assert!(
        block.contains("min_pass_rate"),
        "no policy block in the README"
    );
    let dir = tempdir();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, block).expect("write policy");
    let result = gate_embedded(
        "production",
        "v2",
        "suites/triage.yaml",
        &["--policy", &policy.display().to_string()],
    );
    assert_eq!(result.code, 0, "{}", result.all());
    // A limit that is not a number >= 0 is refused where it is written.
    for bad in [
        "max_latency_p95_increase: .nan\n",
        "max_latency_p95_increase: -0.5\n",
    ] {
        std::fs::write(&policy, bad).expect("write policy");
        let refused = gate_embedded(
            "production",
            "v2",
            "suites/triage.yaml",
            &["--policy", &policy.display().to_string()],
        );
        assert_eq!(refused.code, 2, "{bad}: {}", refused.all());
        assert!(
            refused.stderr.contains("policy.yaml:1:")
                && refused.stderr.contains("is not an increase"),
            "{}",
            refused.stderr
        );
    }
}

/// Every latency in a report's attempts, in milliseconds.
fn latencies(report: &serde_json::Value) -> Vec<f64> {
    report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|case| case["attempts"].as_array().into_iter().flatten())
        .filter_map(|attempt| attempt["observation"]["latency"].as_f64())
        .collect()
}

/// Reports keep latencies to the microsecond: whole milliseconds made a 0.6 ms baseline 0, so
/// the gate saw no latency change against an 80 ms slower candidate. Reading a report back
/// (merge, the gate) keeps them exactly, and older reports' whole milliseconds still read.
#[test]
fn reports_keep_latency_to_the_microsecond_and_read_it_back_exactly() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let ran = embedded_report("suites/triage.yaml", &path("run.json"), &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let report = read_json(dir.path().join("run.json").as_path());
    let measured = latencies(&report);
    assert!(measured.len() > 5, "{report}");
    let whole = |ms: f64| ms.fract() == 0.0;
    assert!(
        measured
            .iter()
            .all(|ms| ((ms * 1000.0).round() - ms * 1000.0).abs() < 1e-6),
        "microseconds at most: {measured:?}"
    );
    assert!(!measured.iter().all(|ms| whole(*ms)), "{measured:?}");
    // To the microsecond too (a whole number one time in a thousand: not asserted against).
    assert!(
        report["duration_ms"]
            .as_f64()
            .is_some_and(|ms| ((ms * 1000.0).round() - ms * 1000.0).abs() < 1e-6),
        "{}",
        report["duration_ms"]
    );

    let merged = run(&["merge", &path("run.json"), "--json", &path("merged.json")]);
    assert_eq!(merged.code, 0, "{}", merged.all());
    assert_eq!(
        latencies(&read_json(dir.path().join("merged.json").as_path())),
        measured
    );

    // An older report, in whole milliseconds, is still read.
    let mut older = report.clone();
    for case in older["cases"].as_array_mut().into_iter().flatten() {
        case["duration"] = serde_json::json!(case["duration"].as_f64().unwrap_or(0.0) as u64);
        for attempt in case["attempts"].as_array_mut().into_iter().flatten() {
            let ms = attempt["observation"]["latency"].as_f64().unwrap_or(0.0);
            attempt["observation"]["latency"] = serde_json::json!(ms as u64);
        }
    }
    std::fs::write(dir.path().join("older.json"), older.to_string()).expect("written");
    let gated = on_reports(
        "gate",
        ("production", &path("older.json")),
        ("v2", &path("run.json")),
        &["suites/triage.yaml"],
    );
    assert_eq!(gated.code, 0, "{}", gated.all());
}

/// An A/A comparison deals attempts at random: a flow that fails every other call is not two
/// different versions (dealt in turn, one side got every failure).
#[test]
fn an_a_a_comparison_of_a_periodic_flow_is_accepted() {
    let dir = tempdir();
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).expect("flows dir");
    std::fs::write(
        flows.join("alt.yaml"),
        "org: acme\nproject: shop\nflow: alt\nproduction: 1\nversions:\n  - version: 1\n    faults: {fail: {every: 2, error: flaky upstream}}\n    blocks:\n      - {id: say, kind: template, text: hi}\n",
    )
    .expect("write flow");
    let suite = dir.path().join("alt.yaml");
    std::fs::write(
        &suite,
        "suite: alt\nflow: acme/shop/alt\ncases:\n  - name: upstream failure is reported\n    message: Ann\n    repeat: 20\n    pass_if: 5/20\n    expect: {status: failed}\n",
    )
    .expect("write suite");
    let result = run(&[
        "gate",
        "--baseline",
        "v1",
        "--candidate",
        "v1",
        &suite.display().to_string(),
        "--embedded",
        "--flows",
        &flows.display().to_string(),
        "--jobs",
        "1",
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(
        result.stdout.contains("ACCEPTED: v1 may be promoted"),
        "{}",
        result.stdout
    );
}

/// A case that names its own targets is compared where it names both sides, in a run as in
/// reports, and the selection applies to reports too: a second candidate does not hide the
/// first one's regression, and a report's other cases are not counted as not run.
#[test]
fn pinned_cases_and_the_selection_hold_for_each_comparison_and_for_reports() {
    let dir = tempdir();
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).expect("flows dir");
    let version = |n: u32, word: &str| {
        format!(
            "  - version: {n}\n    blocks:\n      - {{id: say, kind: template, text: \"{word}, {{{{ input.message }}}}!\"}}\n"
        )
    };
    std::fs::write(
        flows.join("ver.yaml"),
        format!(
            "org: acme\nproject: shop\nflow: ver\nproduction: 1\nversions:\n{}{}{}",
            version(1, "Hello"),
            version(2, "Bye"),
            version(3, "Hello")
        ),
    )
    .expect("write flow");
    let suite = dir.path().join("ver.yaml");
    std::fs::write(
        &suite,
        "suite: ver\nflow: acme/shop/ver\ntargets: [v1, v3]\ncases:\n  - {name: any greeting, tags: [smoke], message: Ann, expect: {output: [{path: $.text, contains: Ann}]}}\n  - name: says hello\n    targets: [v1, v2]\n    message: Ann\n    expect: {output: [{path: $.text, starts_with: Hello}]}\n",
    )
    .expect("write suite");
    let (suite, flows) = (suite.display().to_string(), flows.display().to_string());
    let gate = |extra: &[&str]| {
        let mut args = vec![
            "gate",
            "--baseline",
            "v1",
            &suite,
            "--embedded",
            "--flows",
            &flows,
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let both = gate(&["--candidate", "v2", "--candidate", "v3"]);
    assert_eq!(both.code, 1, "{}", both.all());
    assert!(
        both.stdout.contains("REFUSED: v2 must not be promoted")
            && both.stdout.contains("ACCEPTED: v3 may be promoted"),
        "{}",
        both.stdout
    );

    // From one run's report: the case pinned to v1 and v2 is no case of v1 against v3.
    let report = dir.path().join("run.json").display().to_string();
    let ran = embedded_report(&suite, &report, &["--flows", &flows]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let from_reports = on_reports("gate", ("v1", &report), ("v3", &report), &[&suite]);
    assert_eq!(from_reports.code, 0, "{}", from_reports.all());
    // --tag keeps the report's side to the selection too.
    let tagged = gate(&[
        "--candidate",
        "v3",
        "--baseline-report",
        &report,
        "--tag",
        "smoke",
    ]);
    assert!(
        tagged.stdout.contains("Comparing v3 against v1 (1 case)") && tagged.code == 0,
        "{}",
        tagged.all()
    );
}

/// `--only-failed` in a gate reruns each case that failed on any target on every compared
/// target: the rerun compares both sides (it ran only v3's side, and blamed the baseline).
#[test]
fn a_gate_of_the_failures_reruns_both_sides() {
    let dir = tempdir();
    let report = dir.path().join("run.json").display().to_string();
    let ran = embedded_report("tests/fixtures/run/regressions.yaml", &report, &[]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let result = gate_embedded(
        "production",
        "v3",
        "tests/fixtures/run/regressions.yaml",
        &["--only-failed", &report],
    );
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains("✗ FAIL  no regression beyond noise")
            && !result.stdout.contains("failures compared"),
        "{}",
        result.stdout
    );
}

/// `--only-failed` with a report where every case passed: `run` has nothing to rerun and
/// passes, but `compare` and `gate` have nothing to compare, and refuse it (exit 2) with
/// `run`'s reason, sending nothing.
#[test]
fn compare_and_gate_of_the_failures_refuse_a_report_where_nothing_failed() {
    let dir = tempdir();
    let report = dir.path().join("run.json").display().to_string();
    let ran = run(&["run", "suites/broken.yaml", "--embedded", "--json", &report]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    for command in ["compare", "gate"] {
        let refused = run(&[
            command,
            "--baseline",
            "production",
            "--candidate",
            "v1",
            "suites/broken.yaml",
            "--embedded",
            "--only-failed",
            &report,
        ]);
        refused.assert_refused(&format!(
            "nothing to rerun: every case in {report} passed, so there is nothing to compare"
        ));
        assert!(
            !refused.stdout.contains("Comparing"),
            "{command}: {}",
            refused.stdout
        );
    }
}

/// `gate` and `compare` on GitHub Actions append their Markdown to `$GITHUB_STEP_SUMMARY`,
/// after what earlier steps wrote there.
#[test]
fn compare_and_gate_append_their_markdown_to_the_github_step_summary() {
    let dir = tempdir();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "an earlier step\n").expect("written");
    for command in ["gate", "compare"] {
        let result = Run::from(
            common::flowcheck()
                .args([
                    command,
                    "--baseline",
                    "production",
                    "--candidate",
                    "v1",
                    "suites/broken.yaml",
                    "--embedded",
                ])
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_STEP_SUMMARY", &summary)
                .output()
                .expect("flowcheck runs"),
        );
        assert_eq!(result.code, 0, "{command}: {}", result.all());
    }
    let markdown = read(&summary);
    assert!(markdown.starts_with("an earlier step\n"), "{markdown}");
    // The gate's summary, then the comparison's (which has no gate).
    assert_eq!(
        markdown.matches("# flowcheck comparison\n").count(),
        2,
        "{markdown}"
    );
    assert_eq!(
        markdown
            .matches("## Gate: v1 against production ✅ accepted")
            .count(),
        1,
        "{markdown}"
    );
    assert_eq!(
        markdown.matches("## v1 against production\n").count(),
        2,
        "{markdown}"
    );
}

/// A report that holds a case twice would count it twice: refused, as merge refuses a case
/// two shards ran.
#[test]
fn a_report_holding_a_case_twice_is_refused() {
    let dir = tempdir();
    let report = dir.path().join("one.json");
    let ran = embedded_report("suites/vision.yaml", &report.display().to_string(), &[]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let mut json = read_json(&report);
    let first = json["cases"][0].clone();
    if let Some(cases) = json["cases"].as_array_mut() {
        cases.push(first);
    }
    std::fs::write(&report, json.to_string()).expect("written");
    gate_embedded(
        "production",
        "v1",
        "suites/vision.yaml",
        &["--baseline-report", &report.display().to_string()],
    )
    .assert_refused("holds vision-describe › describes an attached image @ production twice");
}

/// A candidate failure whose case the baseline's report lacks has nothing to compare with,
/// and the rule says so: the baseline has no result for it (it said the baseline errored).
/// The report holds one case of the suite (a report of another suite shares none: a usage
/// error).
#[test]
fn a_failure_the_baseline_report_lacks_is_said_to_have_no_baseline_result() {
    let dir = tempdir();
    let other = dir.path().join("other.json").display().to_string();
    let ran = embedded_report(
        "suites/triage.yaml",
        &other,
        &[
            "--filter",
            "urgent lock-outs are high-priority account issues",
        ],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    let result = gate_embedded(
        "production",
        "v3",
        "suites/triage.yaml",
        &["--baseline-report", &other],
    );
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains(
            "nothing to compare (limit: 0) — production has no result for support-triage › "
        ),
        "{}",
        result.stdout
    );
    assert!(
        !result.stdout.contains("errored too often"),
        "{}",
        result.stdout
    );
}

/// A gate against a server that cannot be reached measured nothing: its rules on evidence
/// refuse the candidate, and the rules with nothing to measure say "not judged" rather than
/// passing (they said "✓ pass error budget: 0.0% ... 0 of 0 candidate attempts errored").
#[test]
fn rules_with_nothing_to_measure_are_not_judged() {
    // Bound, so no other test takes the port, and not listening: connections are refused.
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("a port");
    let url = format!("http://{}", socket.local_addr().expect("an address"));
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(path("policy.yaml"), "max_latency_p95_increase: 0.25\n")
        .expect("the policy is written");
    // One job: the first case, on the baseline, exhausts its retries and stops the run
    // before any candidate attempt.
    let result = common::run_against(
        &url,
        "nk_test_key",
        &[
            "gate",
            "--baseline",
            "production",
            "--candidate",
            "v3",
            "suites/triage.yaml",
            "--jobs",
            "1",
            "--policy",
            &path("policy.yaml"),
            "--json",
            &path("gate.json"),
            "--markdown",
            &path("gate.md"),
        ],
    );
    assert_eq!(result.code, 3, "{}", result.all());
    for expected in [
        "– not judged  no regression beyond noise: n/a (limit: at most 0) — no case was compared",
        "– not judged  latency p95 increase: n/a (limit: at most +25.0%) — no latency on one side",
        "– not judged  error budget: n/a (limit: at most 5.0%) — no candidate attempt finished",
        "✗ FAIL  cases compared: 0 cases",
        "REFUSED: v3 must not be promoted",
    ] {
        assert!(
            result.stdout.contains(expected),
            "{expected:?} in:\n{}",
            result.stdout
        );
    }
    assert!(!result.stdout.contains("✓ pass"), "{}", result.stdout);
    let gate = &read_json(&dir.path().join("gate.json"))["gates"][0];
    assert_eq!(gate["accepted"], false);
    let judged: Vec<(&str, bool, bool)> = gate["rules"]
        .as_array()
        .map(|rules| {
            rules
                .iter()
                .map(|r| {
                    (
                        r["rule"].as_str().unwrap_or_default(),
                        r["passed"] == true,
                        r["judged"] == true,
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        judged,
        [
            ("complete evidence", false, true),
            ("cases compared", false, true),
            ("every case ran", false, true),
            ("no regression beyond noise", true, false),
            ("latency p95 increase", true, false),
            ("error budget", true, false),
        ]
    );
    assert!(read(&dir.path().join("gate.md")).contains(
        "| error budget | n/a | at most 5.0% | not judged | no candidate attempt finished |"
    ));

    // A candidate whose every attempt is an error (HTTP 404: no such version) answered fast,
    // which is no latency of the flow: not judged, where it passed at -34.5%.
    let errors = gate_embedded(
        "production",
        "v99",
        "suites/tagline.yaml",
        &["--policy", &path("policy.yaml")],
    );
    assert_eq!(errors.code, 1, "{}", errors.all());
    assert!(
        errors.stdout.contains(
            "– not judged  latency p95 increase: n/a (limit: at most +25.0%) — no latency on one side"
        ),
        "{}",
        errors.stdout
    );
}

/// A policy's tag that no case carries (a typo) is a usage error before anything runs, not a
/// refusal of every candidate for want of attempts carrying it.
#[test]
fn a_policy_tag_no_case_carries_is_a_usage_error() {
    let dir = tempdir();
    let policy = dir.path().join("policy.yaml");
    std::fs::write(&policy, "tags: {smoek: 1.0}\n").expect("the policy is written");
    let result = gate_embedded(
        "production",
        "v2",
        "suites",
        &["--policy", &policy.display().to_string()],
    );
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result
            .stderr
            .contains("asks a pass rate of the tag `smoek`, which no case carries (the tags are: ")
            && result.stderr.contains("did you mean \"smoke\"?"),
        "{}",
        result.stderr
    );
    assert!(!result.stdout.contains("Gate:"), "{}", result.stdout);
}

#[test]
fn a_comparison_needs_the_baselines_snapshots_and_says_which_are_missing() {
    let dir = tempdir();
    let suite = dir.path().join("snap.yaml");
    std::fs::write(
        &suite,
        "suite: snapcmp\nflow: demo/support/triage\ncases:\n  - name: crash\n    message: the app crashes\n    expect: {snapshot: true}\n  - name: money\n    message: money back please\n    expect: {snapshot: true}\n",
    )
    .unwrap_or_default();
    let suite = suite.to_str().unwrap_or_default();
    // Without them, both sides would fail alike and v3's changes would pass the gate.
    let refused = gate_embedded("production", "v3", suite, &[]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("2 cases have no snapshot of production to compare with"),
        "{}",
        refused.all()
    );
    assert!(
        refused.stderr.contains("snapcmp › money (missing "),
        "{}",
        refused.all()
    );
    assert!(!refused.stdout.contains("Running"), "{}", refused.all());
    assert!(!dir.path().join("__snapshots__").exists());

    let made = run(&["run", suite, "--embedded", "--update-snapshots"]);
    assert_eq!(made.code, 0, "{}", made.all());
    let gated = gate_embedded("production", "v3", suite, &[]);
    assert_eq!(gated.code, 1, "{}", gated.all());
    assert!(
        gated.stdout.contains("regressed: crash; money"),
        "{}",
        gated.all()
    );

    // From reports: a run of v3 judges its snapshots against v3's own golden files, which
    // its first run wrote; the gate does not take those verdicts for "the approved output".
    let both = dir.path().join("both.yaml");
    std::fs::write(
        &both,
        common::read(std::path::Path::new(suite))
            .replace("cases:", "targets: [production, v3]\ncases:"),
    )
    .unwrap_or_default();
    let both = both.to_str().unwrap_or_default();
    let report = dir.path().join("both.json");
    let report = report.to_str().unwrap_or_default();
    let made = run(&[
        "run",
        both,
        "--embedded",
        "--update-snapshots",
        "--json",
        report,
    ]);
    assert_eq!(made.code, 0, "{}", made.all());
    let gated = on_reports("gate", ("production", report), ("v3", report), &[both]);
    assert_eq!(gated.code, 1, "{}", gated.all());
    assert!(
        gated
            .stdout
            .contains("its golden snapshot was judged against")
            && gated.stdout.contains("which differs from production's"),
        "{}",
        gated.all()
    );
    assert!(gated.stdout.contains("REFUSED"), "{}", gated.all());
}

#[test]
fn a_gate_on_one_shard_of_the_cases_is_a_usage_error() {
    // One shard's verdict is on part of the evidence: with `max_regressions: 3`, v3's 5
    // regressions were refused as a whole while each half of them passed.
    let result = gate_embedded(
        "production",
        "v3",
        "suites/triage.yaml",
        &["--shard", "1/2"],
    );
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result
            .stderr
            .contains("a gate decides on every case, and --shard 1/2 gives it a part of them"),
        "{}",
        result.all()
    );
    assert!(!result.stdout.contains("Running"), "{}", result.all());
    let whole = gate_embedded(
        "production",
        "v3",
        "suites/triage.yaml",
        &["--shard", "1/1"],
    );
    assert_eq!(whole.code, 1, "{}", whole.all());
}

#[test]
fn a_case_that_still_fails_with_another_answer_shows_both_sides_reasons_and_the_diff() {
    let dir = tempdir();
    let suite = dir.path().join("still.yaml");
    std::fs::write(
        &suite,
        "suite: stillfail\nflow: demo/support/triage\ncases:\n  - name: crash\n    message: the app crashes\n    expect:\n      output:\n        - {path: $.category, equals: billing}\n        - {path: $.confidence, gte: 0.99}\n",
    )
    .unwrap_or_default();
    let result = run(&[
        "compare",
        "--baseline",
        "production",
        "--candidate",
        "v3",
        suite.to_str().unwrap_or_default(),
        "--embedded",
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    // The baseline's reason first, as the diff's `-` side comes first.
    let both = "    ✗ production: $.category equals \"billing\": found \"technical\" (and 1 other check failed)\n    ✗ v3: $.category equals \"billing\": found \"general\" (and 1 other check failed)\n";
    assert!(result.stdout.contains(both), "{}", result.stdout);
    assert!(
        result.stdout.contains("+   \"category\": \"general\","),
        "{}",
        result.stdout
    );
}

#[test]
fn cases_in_neither_report_are_named_not_dropped() {
    let dir = tempdir();
    let report = dir.path().join("triage.json");
    let report = report.to_str().unwrap_or_default();
    let ran = embedded_report("suites/triage.yaml", report, &[]);
    assert!(ran.code <= 1, "{}", ran.all());
    let result = on_reports(
        "compare",
        ("production", report),
        ("production", report),
        &["suites/triage.yaml", "suites/tagline.yaml"],
    );
    assert!(
        result.stdout.contains(
            "note: 1 case has no result on either side (production or production): creative-tagline › every tagline names the product"
        ),
        "{}",
        result.all()
    );
    // Shown as not run on both sides; and a gate refuses: the reports are no evidence of it.
    assert!(
        result.stdout.contains(
            "every tagline names the product                  not run     not run     not run"
        ),
        "{}",
        result.stdout
    );
    let gated = on_reports(
        "gate",
        ("production", report),
        ("v2", report),
        &["suites/triage.yaml", "suites/tagline.yaml"],
    );
    assert_eq!(gated.code, 1, "{}", gated.all());
    assert!(
        gated.stdout.contains("✗ FAIL  every case ran"),
        "{}",
        gated.stdout
    );
}

/// A gate refused before it compared anything replaces the comparison an earlier gate wrote
/// at its paths (an "accepted" a CI job would publish) with a page saying it was refused; a
/// file flowcheck did not write stays as it is.
#[test]
fn a_refused_gate_replaces_the_earlier_verdict_it_would_have_written() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let (md, json, html, notes) = (
        path("gate.md"),
        path("gate.json"),
        path("gate.html"),
        path("notes.md"),
    );
    let gate = |extra: &[&str], markdown: &str| {
        let mut args = common::GATE_TRIAGE_V2.to_vec();
        args.extend(["--markdown", markdown, "--json", &json, "--html", &html]);
        args.extend_from_slice(extra);
        run(&args)
    };
    let accepted = gate(&[], &md);
    assert_eq!(accepted.code, 0, "{}", accepted.all());
    assert!(read(std::path::Path::new(&md)).contains("accepted"));
    let refused = gate(&["--tag", "nope"], &md);
    refused.assert_refused("no case matches the selection");
    let said = "Refused before anything was compared (exit 2)";
    for written in [&md, &json, &html] {
        let text = read(std::path::Path::new(written));
        assert!(
            text.contains(said) && !text.contains("accepted"),
            "{written}: {text}"
        );
    }
    assert_eq!(
        read_json(std::path::Path::new(&json))["comparisons"],
        serde_json::json!([])
    );
    // Nor is a file the command reads replaced, though it holds a comparison.
    let policy = path("policy.json");
    std::fs::copy(&json, &policy).unwrap_or_default();
    let before = read(std::path::Path::new(&policy));
    let mut args = common::GATE_TRIAGE_V2.to_vec();
    args.extend(["--tag", "nope", "--policy", &policy, "--json", &policy]);
    assert_eq!(run(&args).code, 2);
    assert_eq!(read(std::path::Path::new(&policy)), before);
    std::fs::write(&notes, "keep me\n").unwrap_or_default();
    gate(&["--tag", "nope"], &notes).assert_refused("no case matches the selection");
    assert_eq!(read(std::path::Path::new(&notes)), "keep me\n");
    // A command line that could not be read (a misspelt flag, a value refused) replaces the
    // earlier verdict too, but not a file an option names to read, nor what flowcheck did
    // not write.
    for (extra, why) in [
        (
            ["--polciy", "gate.yaml"],
            "unexpected argument '--polciy' found",
        ),
        (["--timeout", "0s"], "invalid value '0s' for '--timeout"),
    ] {
        assert_eq!(gate(&[], &md).code, 0);
        assert!(read(std::path::Path::new(&md)).contains("accepted"));
        let misspelt = gate(&extra, &md);
        assert_eq!(misspelt.code, 2, "{}", misspelt.all());
        assert!(misspelt.stderr.contains(why), "{}", misspelt.all());
        for written in [&md, &json, &html] {
            let text = read(std::path::Path::new(written));
            assert!(
                text.contains(said) && !text.contains("accepted"),
                "{extra:?} {written}: {text}"
            );
        }
    }
    let mut args = common::GATE_TRIAGE_V2.to_vec();
    args.extend(["--policy", &policy, "--json", &policy, "--polciy", "x"]);
    assert_eq!(run(&args).code, 2);
    assert_eq!(read(std::path::Path::new(&policy)), before);
    gate(&["--polciy", "x"], &notes);
    assert_eq!(read(std::path::Path::new(&notes)), "keep me\n");
}
