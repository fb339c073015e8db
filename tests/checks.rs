//! The check vocabulary end to end: the example suites use it and pass; a suite that fails
//! every family shows, for each check, what was expected, what was found, and the score.

mod common;

use common::{read_json, run, tempdir};

#[test]
fn failing_checks_say_what_was_expected_and_found() {
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = run(&[
        "run",
        "tests/fixtures/run/checks_failing.yaml",
        "--embedded",
        "--jobs",
        "1",
        "--failures-only",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    // Drop the first line (it names a random port) and the timings.
    let shown: Vec<&str> = result
        .stdout
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with("Summary") && !l.contains("s] "))
        .collect();
    insta::assert_snapshot!(shown.join("\n"));

    let report = read_json(&json);
    let checks = report["cases"][3]["attempts"][0]["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let judge = checks
        .iter()
        .find(|c| c["label"].as_str().is_some_and(|l| l.contains("judged")))
        .cloned()
        .unwrap_or_default();
    assert_eq!(judge["score"], 0.9, "{judge}");
    assert_eq!(judge["passed"], false);
}

#[test]
fn weighted_thresholds_and_usage_limits_fail_with_their_measure() {
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = run(&[
        "run",
        "tests/fixtures/run/weights_usage.yaml",
        "--embedded",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains("✗ weighted score >= 0.9"),
        "{}",
        result.stdout
    );
    assert!(result.stdout.contains("found:    0.5"), "{}", result.stdout);
    assert!(
        result
            .stdout
            .contains("✗ step summarize: usage: tokens <= 1"),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("✗ usage: cost <= $0.0000001"),
        "{}",
        result.stdout
    );
    let report = read_json(&json);
    assert_eq!(report["totals"]["failed"], 2, "{}", result.stdout);
}

#[test]
fn merge_refuses_a_case_that_two_shards_ran() {
    let dir = tempdir();
    let report = dir.path().join("a.json");
    let ran = run(&[
        "run",
        "suites/broken.yaml",
        "--embedded",
        "--json",
        report.to_str().unwrap_or_default(),
    ]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let copy = dir.path().join("b.json");
    std::fs::copy(&report, &copy).expect("copied");
    let merged = run(&[
        "merge",
        report.to_str().unwrap_or_default(),
        copy.to_str().unwrap_or_default(),
        "--json",
        dir.path().join("m.json").to_str().unwrap_or_default(),
    ]);
    assert_eq!(merged.code, 2, "{}", merged.all());
    assert!(
        merged.stderr.contains("is in both")
            && merged.stderr.contains("are these shards of one plan?"),
        "{}",
        merged.stderr
    );
    let nothing = run(&["merge", report.to_str().unwrap_or_default()]);
    assert_eq!(nothing.code, 2);
    assert!(
        nothing.stderr.contains("--json PATH and/or --junit PATH"),
        "{}",
        nothing.stderr
    );
}
