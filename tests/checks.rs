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
    // A score of 0.3 of 0.4 reaches 0.75, though the float rounds just below it.
    let exact = report["cases"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["case"] == "the weighted score is exactly the threshold")
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(exact["status"], "passed", "{exact}");
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

/// Merging every shard's report gives the run's cases and totals; a missing shard, or a report
/// of another kind of run, is refused (a missing shard made a smaller report that passed).
#[test]
fn merged_shards_are_the_whole_run_and_none_may_be_missing() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let ran = |extra: &[&str], json: &str| {
        let mut args = vec!["run", "suites/triage.yaml", "--embedded", "--json", json];
        args.extend_from_slice(extra);
        let result = run(&args);
        assert!(result.code <= 1, "{}", result.all());
    };
    ran(&[], &path("full.json"));
    for k in 1..=3 {
        ran(
            &["--shard", &format!("{k}/3")],
            &path(&format!("s{k}.json")),
        );
    }
    let merge = |reports: &[&str]| {
        let mut args = vec!["merge"];
        args.extend_from_slice(reports);
        let merged = path("merged.json");
        args.extend(["--json", &merged]);
        run(&args)
    };
    let (s1, s2, s3, full) = (
        path("s1.json"),
        path("s2.json"),
        path("s3.json"),
        path("full.json"),
    );
    let merged = merge(&[&s3, &s1, &s2]);
    assert_eq!(merged.code, 0, "{}", merged.all());
    let (whole, parts) = (
        read_json(dir.path().join("full.json").as_path()),
        read_json(dir.path().join("merged.json").as_path()),
    );
    assert_eq!(whole["totals"], parts["totals"]);
    assert_eq!(
        whole["cases"].as_array().map(Vec::len),
        parts["cases"].as_array().map(Vec::len)
    );
    assert_eq!(
        read_json(dir.path().join("s1.json").as_path())["shard"],
        serde_json::json!({"index": 1, "total": 3})
    );

    let missing = merge(&[&s1, &s3]);
    assert_eq!(missing.code, 2, "{}", missing.all());
    assert!(
        missing
            .stderr
            .contains("the report of shard 2/3 is missing"),
        "{}",
        missing.stderr
    );
    let alone = merge(&[&s2]);
    assert_eq!(alone.code, 2, "{}", alone.all());
    assert!(
        alone.stderr.contains(
            "the reports of shards 1/3, 3/3 are missing: the merged report would lack their cases"
        ),
        "{}",
        alone.stderr
    );
    // A shard of a billion: the missing are counted, and the first few named (the list of
    // them all took gigabytes).
    let billionth = path("b.json");
    ran(&["--shard", "1/1000000000"], &billionth);
    merge(&[&billionth]).assert_refused(
        "the reports of shards 2/1000000000, 3/1000000000, 4/1000000000, 5/1000000000, 6/1000000000, 7/1000000000, 8/1000000000, 9/1000000000, 10/1000000000, 11/1000000000, and 999999989 more are missing",
    );
    let mixed = merge(&[&s1, &s2, &s3, &full]);
    assert_eq!(mixed.code, 2, "{}", mixed.all());
    assert!(
        mixed.stderr.contains("full.json is not a shard's report"),
        "{}",
        mixed.stderr
    );
    // Where the merged report cannot go is said before anything is merged, as `run` does:
    // `-`, a folder, or the snapshot folder of a suite the shards ran.
    let into = |flag: &str, destination: &str| run(&["merge", &s1, &s2, &s3, flag, destination]);
    into("--json", "-").assert_refused("`-` is not read as stdout here");
    into("--json", &path("")).assert_refused("is a folder; nothing was merged");
    into("--junit", "suites/__snapshots__/merged/merged.xml")
        .assert_refused("which holds the snapshots of the suite in suites/triage.yaml");
    assert!(!std::path::Path::new("suites/__snapshots__/merged").exists());
    into("--junit", "suites/triage.yaml")
        .assert_refused("would overwrite suites/triage.yaml, the suite the shards ran");
}

/// A refused merge (a shard's report missing, a misspelt flag) replaces an earlier JUnit
/// report at its `--junit` path with one saying why, so that CI does not publish the last
/// merge's results as this one's; it writes none where none was, and never over a report
/// being merged.
#[test]
fn a_refused_merge_replaces_the_earlier_junit_report() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    for k in [1, 3] {
        let json = path(&format!("s{k}.json"));
        let shard = format!("{k}/3");
        let args = [
            "run",
            "suites/triage.yaml",
            "--embedded",
            "--shard",
            &shard,
            "--json",
            &json,
        ];
        let result = run(&args);
        assert!(result.code <= 1, "{}", result.all());
    }
    let (s1, s3, junit) = (path("s1.json"), path("s3.json"), path("merged.xml"));
    let earlier = "<testsuites name=\"the last merge\" tests=\"29\"/>";
    let refusals = [
        (
            vec!["merge", &s1, &s3, "--junit", &junit],
            "the report of shard 2/3 is missing",
        ),
        (
            vec!["merge", &s1, &s3, "--junit", &junit, "--jsno", "x"],
            "the command line could not be read: unexpected argument &apos;--jsno&apos; found",
        ),
    ];
    for (args, why) in refusals {
        std::fs::write(&junit, earlier).unwrap_or_default();
        let result = run(&args);
        assert_eq!(result.code, 2, "{}", result.all());
        let xml = common::read(std::path::Path::new(&junit));
        assert!(!xml.contains("the last merge"), "{args:?}: {xml}");
        assert!(
            xml.contains("<testsuite name=\"merge refused (nothing was merged)\" tests=\"1\""),
            "{xml}"
        );
        assert!(xml.contains("<testcase name=\"flowcheck merge\""), "{xml}");
        assert!(xml.contains(&format!("message=\"{why}")), "{xml}");
        common::assert_valid_junit(std::path::Path::new(&junit));
    }
    // A JUnit report given to merge is not replaced by the refusal of writing over it.
    std::fs::write(&junit, earlier).unwrap_or_default();
    run(&["merge", &junit, "--junit", &junit]).assert_refused("would overwrite");
    assert_eq!(common::read(std::path::Path::new(&junit)), earlier);
    // Nothing is written where no report was.
    let none = path("none.xml");
    run(&["merge", &s1, &s3, "--junit", &none]).assert_refused("is missing");
    assert!(!std::path::Path::new(&none).exists());
}

/// Outputs are JSON values: what a failing check found reads as JSON writes it (`\u0001`),
/// not as Rust's debug format (`\u{1}`), on the terminal and in the JUnit failure text.
#[test]
fn found_values_are_written_as_json_writes_them() {
    let dir = tempdir();
    let suite = dir.path().join("echo.yaml");
    std::fs::write(
        &suite,
        r#"suite: echo-controls
flow: demo/bench/echo
cases:
  - name: control characters
    message: "a\x01b\0 nul\u202Eok"
    expect:
      output:
        - {path: $.echo, equals: plain}
"#,
    )
    .expect("the suite is written");
    let junit = dir.path().join("junit.xml");
    let result = run(&[
        "run",
        suite.to_str().unwrap_or_default(),
        "--embedded",
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    let found = r#"found:    "a\u0001b\u0000 nul\u202eok""#;
    assert!(result.stdout.contains(found), "{}", result.stdout);
    assert!(!result.stdout.contains(r"\u{1}"), "{}", result.stdout);
    let xml = common::read(&junit);
    assert!(xml.contains(&found.replace('"', "&quot;")), "{xml}");
}

/// Shards run against one server: the merged report names it once, not once per shard.
#[test]
fn a_merged_report_names_each_server_once() {
    let sim = common::Sim::start();
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let json = path(&format!("s{k}.json"));
        let ran = sim.run(&["suites/triage.yaml", "--shard", &shard, "--json", &json]);
        assert!(ran.code <= 1, "{}", ran.all());
    }
    let merged = path("merged.json");
    let result = run(&[
        "merge",
        &path("s1.json"),
        &path("s2.json"),
        &path("s3.json"),
        "--json",
        &merged,
    ]);
    assert!(result.code <= 1, "{}", result.all());
    let server = read_json(dir.path().join("s1.json").as_path())["server"].clone();
    assert!(
        server.as_str().is_some_and(|s| s.contains(&sim.url)),
        "{server}"
    );
    assert_eq!(
        read_json(dir.path().join("merged.json").as_path())["server"],
        server
    );
}

/// Shards of another run's plan, a shard given twice, shards split differently, or shards that
/// do not say their plan are refused: each made a smaller report that passed.
/// A shard whose key was refused stopped its run (exit 3): the merged run is stopped the same
/// way, with the same exit code and the same `stopped` in its report, as a single machine's.
#[test]
fn a_shard_stopped_by_a_refused_key_stops_the_merge() {
    let dir = tempdir();
    let sim = common::Sim::start();
    let path = |name: &str| dir.path().join(name).display().to_string();
    for (k, key) in [
        (1, sim.key.as_str()),
        (2, "nk_test_wrongkey_0000000000000000"),
    ] {
        let shard = format!("{k}/2");
        let json = path(&format!("s{k}.json"));
        let args = [
            "run",
            "tests/fixtures/run/regressions.yaml",
            "--shard",
            &shard,
            "--json",
            &json,
        ];
        let ran = common::run_against(&sim.url, key, &args);
        let expected = if k == 1 { ran.code <= 1 } else { ran.code == 3 };
        assert!(expected, "{}", ran.all());
    }
    let merged = run(&[
        "merge",
        &path("s1.json"),
        &path("s2.json"),
        "--json",
        &path("m.json"),
    ]);
    assert_eq!(merged.code, 3, "{}", merged.all());
    // It says why, as the shard's run did.
    assert!(
        merged.stdout.contains(&format!(
            "note: {} stopped before its end: the API key was refused (HTTP 401",
            path("s2.json")
        )),
        "{}",
        merged.all()
    );
    let report = read_json(dir.path().join("m.json").as_path());
    let stopped = report["stopped"].as_str().unwrap_or_default();
    assert!(
        stopped.starts_with("fatal: the API key was refused (HTTP 401"),
        "{report}"
    );
}

#[test]
fn merge_refuses_shards_of_another_plan_or_split() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let shard = |suite: &str, k: u32, json: &str, extra: &[&str]| {
        let shard = format!("{k}/3");
        let json = path(json);
        let mut args = vec![
            "run",
            suite,
            "--embedded",
            "--shard",
            &shard,
            "--json",
            &json,
        ];
        args.extend_from_slice(extra);
        let ran = run(&args);
        assert!(ran.code <= 1, "{}", ran.all());
    };
    for k in 1..=3 {
        shard(
            "tests/fixtures/run/regressions.yaml",
            k,
            &format!("a{k}.json"),
            &[],
        );
        shard("suites/vision.yaml", k, &format!("b{k}.json"), &[]);
    }
    let merge = |reports: &[&str]| {
        let mut args = vec!["merge".to_owned()];
        args.extend(reports.iter().map(|r| path(r)));
        args.extend(["--json".to_owned(), path("merged.json")]);
        run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    assert_eq!(merge(&["b1.json", "b2.json", "b3.json"]).code, 0);
    let plan = &read_json(dir.path().join("b1.json").as_path())["plan"];
    assert_eq!(plan["cases"], 5, "{plan}");
    assert_eq!(
        plan,
        &read_json(dir.path().join("b3.json").as_path())["plan"]
    );

    let other = merge(&["b1.json", "b2.json", "a3.json"]);
    other.assert_refused("b1.json and ");
    other.assert_refused("a3.json are shards of different plans");

    std::fs::copy(path("b3.json"), path("b3-again.json")).expect("copied");
    merge(&["b1.json", "b2.json", "b3.json", "b3-again.json"])
        .assert_refused("b3-again.json are both shard 3/3");

    // Balanced by durations on some shards only: the parts overlap and leave cases out.
    let full = path("full.json");
    let ran = run(&["run", "suites/vision.yaml", "--embedded", "--json", &full]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let mut timed = read_json(dir.path().join("full.json").as_path());
    for (i, case) in timed["cases"]
        .as_array_mut()
        .into_iter()
        .flatten()
        .enumerate()
    {
        case["duration"] = serde_json::json!(if i == 0 { 100.0 } else { 1.0 });
    }
    std::fs::write(&full, timed.to_string()).expect("written");
    for k in [2, 3] {
        shard(
            "suites/vision.yaml",
            k,
            &format!("t{k}.json"),
            &["--shard-durations", &full],
        );
    }
    let split = merge(&["b1.json", "t2.json", "t3.json"]);
    split.assert_refused("hold 6 cases but their plan has 5: were the shards split differently");
    assert!(
        split.stderr.contains(&format!(
            "the shards' reports ({}, {}, {})",
            path("b1.json"),
            path("t2.json"),
            path("t3.json")
        )),
        "{}",
        split.stderr
    );

    // A shard report of an earlier flowcheck does not say its plan.
    let mut older = read_json(dir.path().join("b2.json").as_path());
    older.as_object_mut().map(|o| o.remove("plan"));
    std::fs::write(path("b2-older.json"), older.to_string()).expect("written");
    merge(&["b1.json", "b2-older.json", "b3.json"])
        .assert_refused("b2-older.json does not say which plan it is a shard of");
}

/// Reports of two runs without `--shard` (two suites run by two jobs) each number their suites
/// from 0: merged, each suite keeps its own cases, in the order the reports were given, and
/// its own JUnit `<testsuite>` (the second suite's cases were put in the first's, under its
/// name, flow and file, and the JSON interleaved the two).
#[test]
fn merged_reports_of_separate_runs_keep_each_suite_apart() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    for (suite, json) in [
        ("suites/vision.yaml", "vision.json"),
        ("suites/summarize.yaml", "summarize.json"),
    ] {
        let ran = run(&["run", suite, "--embedded", "--json", &path(json)]);
        assert_eq!(ran.code, 0, "{}", ran.all());
    }
    let (json, junit) = (path("merged.json"), path("merged.xml"));
    let merged = run(&[
        "merge",
        &path("vision.json"),
        &path("summarize.json"),
        "--json",
        &json,
        "--junit",
        &junit,
    ]);
    assert_eq!(merged.code, 0, "{}", merged.all());
    let report = read_json(std::path::Path::new(&json));
    let suites: Vec<&str> = report["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["suite"].as_str())
        .collect();
    let switches = suites.windows(2).filter(|w| w[0] != w[1]).count();
    assert_eq!(suites.first(), Some(&"vision-describe"), "{suites:?}");
    assert_eq!(switches, 1, "the suites are interleaved: {suites:?}");
    common::assert_valid_junit(std::path::Path::new(&junit));
    let xml = common::read(std::path::Path::new(&junit));
    let summarize = xml
        .split("<testsuite ")
        .find(|s| s.starts_with("name=\"docs-summarize @ production\""))
        .unwrap_or_else(|| panic!("no testsuite of docs-summarize:\n{xml}"));
    assert!(
        summarize.contains("suites/summarize.yaml")
            && !summarize.contains("classname=\"vision-describe"),
        "{summarize}"
    );
}

/// A report of another format (a newer flowcheck's, whose cases read differently) says its
/// format and version, not the first field this flowcheck cannot read; a comparison's JSON
/// given for a run's report says what it is.
#[test]
fn a_report_of_another_format_or_a_comparison_says_what_it_is() {
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let ran = run(&[
        "run",
        "suites/vision.yaml",
        "--embedded",
        "--json",
        &path("run.json"),
    ]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let mut newer = read_json(dir.path().join("run.json").as_path());
    newer["format"] = serde_json::json!(2);
    newer["flowcheck"] = serde_json::json!("9.0.0");
    newer["cases"][0]["status"] = serde_json::json!("quarantined");
    std::fs::write(path("newer.json"), newer.to_string()).expect("written");
    run(&["merge", &path("newer.json"), "--json", &path("m.json")]).assert_refused(&format!(
        "error: {} has report format 2 (written by flowcheck 9.0.0); this flowcheck reads format 1",
        path("newer.json")
    ));
    let compared = common::compare_report_with_itself(
        &path("run.json"),
        "suites/vision.yaml",
        &["--json", &path("comparison.json")],
    );
    assert_eq!(compared.code, 0, "{}", compared.all());
    run(&["merge", &path("comparison.json"), "--json", &path("m.json")]).assert_refused(
        &format!(
            "error: {} is a comparison (`flowcheck compare --json`), not a run's JSON report (`flowcheck run --json`)",
            path("comparison.json")
        ),
    );
    // A list, even one that starts as a report would: not "struct ReadReport with 8 elements".
    std::fs::write(path("list.json"), "[2, \"9.0.0\"]").expect("written");
    run(&["merge", &path("list.json"), "--json", &path("m.json")]).assert_refused(&format!(
        "error: {} holds a JSON list, not a flowcheck JSON report (an object, as `flowcheck run --json` writes)",
        path("list.json")
    ));
}

/// Setup mistakes are errors, not failures: a grader flow that is not there, and an expected
/// refusal met by a 404 (an unpublished version), never read as a failing or regressed case.
#[test]
fn a_missing_grader_or_flow_version_is_an_error_not_a_failure() {
    let dir = tempdir();
    let suite = dir.path().join("setup.yaml");
    std::fs::write(
        &suite,
        r#"suite: setup
flow: demo/support/triage
cases:
  - name: judged by a grader that is not there
    message: I need a refund
    expect:
      output:
        - path: $.reply
          judge: {flow: demo/eval/nope, rubric: "Polite.", threshold: 0.5}
  - name: refused for an image, on a version that is not published
    message: look
    targets: [v9]
    attachments:
      - {url: "https://cdn.example.com/a.png", mime_type: image/png}
    expect:
      error: {http: 400, code: MODEL_MIME_INCOMPATIBLE}
"#,
    )
    .expect("the suite is written");
    let result = run(&["run", &suite.display().to_string(), "--embedded"]);
    // Every case errored: the setup, not the flow (exit 3).
    assert_eq!(result.code, 3, "{}", result.all());
    for expected in [
        "ERROR [",
        "judged by a grader that is not there @ production",
        "the grader demo/eval/nope@production answered HTTP 404 FLOW_NOT_FOUND",
        "refused for an image, on a version that is not published @ v9",
        "(the flow, version or endpoint was not found, not a refusal of the request",
        "0 failed, 2 errored",
    ] {
        assert!(
            result.stdout.contains(expected),
            "{expected:?} in:\n{}",
            result.stdout
        );
    }
    assert!(!result.stdout.contains("FAIL ["), "{}", result.stdout);
}

/// A grader's project refusing its key is the run's failure, as the flow's own 401 is: the
/// run stops (exit 3) and says why, and the key never appears.
#[test]
fn a_graders_key_refused_stops_the_run() {
    let dir = tempdir();
    let suite = dir.path().join("graded.yaml");
    let cases: String = (0..40)
        .map(|i| format!("  - name: graded {i}\n    message: I need a refund\n    expect:\n      output:\n        - {{path: $.reply, judge: {{flow: demo/eval/grader, rubric: Polite.}}}}\n"))
        .collect();
    std::fs::write(
        &suite,
        format!("suite: graded\nflow: demo/support/triage\ncases:\n{cases}"),
    )
    .expect("the suite is written");
    let sim = common::Sim::start();
    let wrong = "nk_live_notthegraderskey0";
    let result = common::Run::from(
        common::flowcheck()
            .args(["run", &suite.display().to_string(), "--jobs", "1"])
            .env("NOUKAI_API_URL", &sim.url)
            .env("NOUKAI_API_KEY", &sim.key)
            .env("NOUKAI_API_KEY_DEMO_EVAL", wrong)
            .output()
            .expect("flowcheck runs"),
    );
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(
        result
            .all()
            .contains("the API key was refused for the grader's project demo/eval (HTTP 401"),
        "{}",
        result.all()
    );
    // Stopped at the first: the other cases are not run, not errored one by one.
    assert!(result.stdout.contains("1 errored"), "{}", result.stdout);
    assert!(result.stdout.contains("39 not run"), "{}", result.stdout);
    assert!(!result.all().contains(wrong), "{}", result.all());
}

/// A path that finds nothing because its key is misspelt says which keys the result has.
#[test]
fn a_misspelt_path_names_the_keys_there_are() {
    let dir = tempdir();
    let suite = dir.path().join("typo.yaml");
    std::fs::write(
        &suite,
        "suite: typo\nflow: demo/support/triage\ncases:\n  - name: typo\n    message: refund\n    expect:\n      output:\n        - {path: $.categroy, equals: billing}\n",
    )
    .expect("the suite is written");
    let result = run(&["run", &suite.display().to_string(), "--embedded"]);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains(
            "why:      the result has no `categroy` (did you mean \"category\"?); its keys: category, priority, reply, confidence"
        ),
        "{}",
        result.stdout
    );
}

/// A step expected of a run that failed before any step completed (demo/ops/broken fails at
/// its first step): the check says which steps were seen, `none` rather than nothing.
#[test]
fn a_step_expectation_when_no_step_completed_says_none_were_seen() {
    let dir = tempdir();
    let suite = dir.path().join("broken.yaml");
    std::fs::write(
        &suite,
        "suite: broken\nflow: demo/ops/broken\nmode: step\ncases:\n  - name: fails at fetch\n    message: status?\n    steps:\n      - step: fetch\n        expect: [{path: $.text, contains: operational}]\n",
    )
    .expect("suite written");
    let result = run(&["run", suite.to_str().unwrap_or_default(), "--embedded"]);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result
            .stdout
            .contains("no step fetch completed (steps seen: none)"),
        "{}",
        result.all()
    );
}

/// An input override that was never sent (the step it replaces never ran: a misspelt id, an
/// index past the last step) fails its case, saying so; it passed when no check caught it.
#[test]
fn an_input_override_that_was_never_sent_fails_its_case() {
    let dir = tempdir();
    let suite = dir.path().join("edits.yaml");
    std::fs::write(
        &suite,
        r#"suite: edits
flow: demo/docs/summarize
mode: step
cases:
  - name: a misspelt step
    message: "The original text. It goes on."
    steps:
      - step: summarize
        input_overrides: {claen: {text: "Edited. Rest."}}
  - name: past the last step
    message: "The original text. It goes on."
    steps:
      - step: 7
        input_overrides: {clean: {text: "Edited. Rest."}}
  - name: an edit that is sent
    message: "The original text. It goes on."
    steps:
      - step: summarize
        input_overrides: {clean: {text: "Edited. Rest."}}
    expect:
      output:
        - {path: $.summary, equals: "Edited."}
"#,
    )
    .expect("the suite is written");
    let result = run(&["run", &suite.display().to_string(), "--embedded"]);
    assert_eq!(result.code, 1, "{}", result.all());
    for expected in [
        "PASS [",
        "--- FAILED: edits › a misspelt step @ production",
        "✗ step summarize: input_overrides  (line 8)",
        "never sent: no step claen completed; did you mean \"clean\"? (steps seen: clean, summarize, title)",
        "--- FAILED: edits › past the last step @ production",
        "✗ step #7: input_overrides  (line 13)",
        "never sent: the flow has no step #7 (steps seen: clean, summarize, title)",
    ] {
        assert!(
            result.stdout.contains(expected),
            "{expected:?} in:\n{}",
            result.all()
        );
    }
    assert!(
        !result
            .stdout
            .contains("FAILED: edits › an edit that is sent"),
        "{}",
        result.stdout
    );
}

/// Cases made from a matrix stand where their template does, in file order, and their failed
/// checks point at their own lines in the template (they pointed at the case's line, after
/// the written cases).
#[test]
fn generated_cases_keep_file_order_and_their_checks_lines() {
    let dir = tempdir();
    let suite = dir.path().join("mx.yaml");
    std::fs::write(
        &suite,
        r#"suite: mx
flow: demo/support/triage
cases:
  - name: matrix one
    matrix:
      channel: [email]
    message: "I want a refund"
    parameters: {channel: "{{channel}}"}
    expect:
      output:
        - {path: $.category, equals: billing}
        - {path: $.category, equals: shipping}
  - name: plain one
    message: "I want a refund"
    expect:
      output:
        - {path: $.category, equals: shipping}
"#,
    )
    .expect("the suite is written");
    let result = run(&["run", &suite.display().to_string(), "--embedded"]);
    assert_eq!(result.code, 1, "{}", result.all());
    let generated = result
        .stdout
        .find("--- FAILED: mx › matrix one [channel=email] @ production (")
        .expect("the matrix case failed");
    let written = result
        .stdout
        .find("--- FAILED: mx › plain one @ production (")
        .expect("the written case failed");
    assert!(generated < written, "{}", result.stdout);
    assert!(
        result.stdout[generated..written].contains("✗ $.category equals \"shipping\"  (line 12)"),
        "{}",
        result.stdout
    );
}

/// The merge job is the one a sharded pipeline shows red: it says what did not pass, with the
/// details `run` gives, in plan order, and only those.
#[test]
fn a_merge_that_fails_shows_the_cases_that_did_not_pass() {
    let sim = common::Sim::start();
    let dir = tempdir();
    let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    for k in 1..=2 {
        let (shard, json) = (format!("{k}/2"), path(&format!("s{k}.json")));
        let ran = sim.run(&[
            "tests/fixtures/run/regressions.yaml",
            "--shard",
            &shard,
            "--json",
            &json,
        ]);
        assert!(ran.code <= 1, "{}", ran.all());
    }
    let result = run(&[
        "merge",
        &path("s1.json"),
        &path("s2.json"),
        "--json",
        &path("m.json"),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    let money = "--- FAILED: triage-regressions › money back goes to billing @ v3";
    let whole = "--- FAILED: triage-regressions › the whole billing result @ v3";
    let (at_money, at_whole) = (result.stdout.find(money), result.stdout.find(whole));
    assert!(
        at_money.is_some() && at_money < at_whole,
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("found:    \"general\""),
        "{}",
        result.stdout
    );
    assert!(!result.stdout.contains("PASS"), "{}", result.stdout);
    assert!(
        result
            .stdout
            .contains("merged 2 reports: 6 cases: 4 passed, 0 flaky, 2 failed"),
        "{}",
        result.stdout
    );
}

/// YAML 1.2's booleans: unquoted `NO` is the text a flow echoes (Norway's code, not `false`),
/// and where a boolean is wanted, a YAML 1.1 `yes` or `on` is refused at its place, named.
#[test]
fn only_true_and_false_are_booleans() {
    let dir = tempdir();
    let suite = dir.path().join("codes.yaml");
    let write = |checks: &str| {
        let yaml = format!(
            "suite: codes\nflow: demo/bench/echo\ncases:\n  - name: norway\n    message: NO\n    expect:\n      output:\n{checks}"
        );
        std::fs::write(&suite, yaml).expect("the suite is written");
    };
    let path = suite.to_str().unwrap_or_default();
    // The text `true` counts where a boolean is wanted, as a data file's values are text.
    write(
        "        - {path: $.echo, one_of: [NO, SE]}\n        - {path: $.echo, equals: NO}\n        - {path: $.echo, exists: \"true\"}\n",
    );
    let passed = run(&["run", path, "--embedded"]);
    assert_eq!(passed.code, 0, "{}", passed.all());

    write("        - {path: $.echo, exists: yes}\n        - {path: $.echo, equals: SE, not: on}\n");
    let refused = run(&["validate", path]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    for said in [
        "codes.yaml:8:34: exists: expected true or false, not `yes` (YAML 1.2 reads only true and false as booleans)",
        "codes.yaml:9:43: not: expected true or false, not `on` (YAML 1.2 reads only true and false as booleans)",
    ] {
        assert!(refused.stderr.contains(said), "{said}\n{}", refused.stderr);
    }
    write("        - {path: $.echo, exists: true}\n      snapshot: on\n");
    let refused = run(&["validate", path]);
    let said = "codes.yaml:9:17: `snapshot` is true, or {redact: [paths], round: N, sort: [paths]}, not `on` (YAML 1.2";
    assert!(refused.stderr.contains(said), "{}", refused.stderr);
}
