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
