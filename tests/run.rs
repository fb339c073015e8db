//! `flowcheck run` end to end: the real binary against the real simulator over loopback.

mod common;

use common::{Sim, assert_valid_junit, read, read_json, run, tempdir};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;

fn totals(report: &Value) -> (u64, u64, u64, u64, u64) {
    let t = &report["totals"];
    let n = |k: &str| t[k].as_u64().unwrap_or(u64::MAX);
    (
        n("passed"),
        n("flaky"),
        n("failed"),
        n("errored"),
        n("not_run"),
    )
}

fn case<'a>(report: &'a Value, name: &str, target: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["case"] == name && c["target"] == target)
        })
        .unwrap_or_else(|| panic!("no case {name:?} @ {target} in the report"))
}

#[test]
fn the_example_suites_pass_against_the_embedded_simulator() {
    let dir = tempdir();
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let result = run(&[
        "run",
        "suites",
        "--embedded",
        "--junit",
        junit.to_str().unwrap_or_default(),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(
        result.stdout.contains("(embedded simulator)"),
        "{}",
        result.stdout
    );
    let report = read_json(&json);
    let (passed, flaky, failed, errored, not_run) = totals(&report);
    assert_eq!(
        (flaky, failed, errored, not_run),
        (0, 0, 0, 0),
        "{}",
        result.stdout
    );
    assert!(passed >= 25, "only {passed} cases passed");
    // The report says which version of the format it is, for readers to check.
    assert_eq!(report["format"], 1, "{}", report["format"]);
    assert_valid_junit(&junit);

    // Step mode recorded every step with its usage; async mode polled a job to completion.
    let steps = &case(&report, "each step does its part", "production")["attempts"][0]["observation"]
        ["steps"];
    let ids: Vec<&str> = steps
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, ["clean", "summarize", "title"]);
    assert!(steps[1]["cost_usd"].is_string(), "{steps}");
    let job = &case(&report, "the report job completes", "production")["attempts"][0]["observation"]
        ["reply"];
    assert_eq!(job["status"], "completed", "{job}");
}

#[test]
fn the_example_suites_pass_against_a_simulator_process() {
    let sim = Sim::start();
    let result = sim.run(&["suites"]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(
        result.stdout.contains(" 0 failed, 0 errored, 0 not run"),
        "{}",
        result.stdout
    );
}

#[test]
fn a_regressed_version_fails_with_a_diff_and_junit_failures() {
    let sim = Sim::start();
    let dir = tempdir();
    let junit = dir.path().join("junit.xml");
    let result = sim.run(&[
        "tests/fixtures/run/regressions.yaml",
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains("FAIL [")
            && result.stdout.contains("money back goes to billing @ v3"),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("found:    \"general\""),
        "{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("-   \"category\": \"billing\""),
        "no diff in\n{}",
        result.stdout
    );
    assert!(
        result.stdout.contains("4 passed, 0 flaky, 2 failed"),
        "{}",
        result.stdout
    );
    let xml = read(&junit);
    assert_eq!(xml.matches("<failure ").count(), 2, "{xml}");
    assert_eq!(xml.matches("<error ").count(), 0, "{xml}");
    assert_valid_junit(&junit);
}

/// `--failures-only` prints a line only for the cases that did not pass; without it, the
/// passing cases have their lines too. The failures are explained and counted either way.
#[test]
fn failures_only_prints_only_the_cases_that_did_not_pass() {
    let lines = |extra: &[&str]| {
        let mut args = vec!["run", "tests/fixtures/run/regressions.yaml", "--embedded"];
        args.extend_from_slice(extra);
        let result = run(&args);
        assert_eq!(result.code, 1, "{}", result.all());
        assert!(
            result.stdout.contains("4 passed, 0 flaky, 2 failed"),
            "{}",
            result.stdout
        );
        let count = |status: &str| {
            result
                .stdout
                .lines()
                .filter(|l| l.trim_start().starts_with(&format!("{status} [")))
                .count()
        };
        (count("PASS"), count("FAIL"), result.stdout)
    };
    let (passes, fails, stdout) = lines(&["--failures-only"]);
    assert_eq!((passes, fails), (0, 2), "{stdout}");
    for failed in [
        "money back goes to billing @ v3",
        "the whole billing result @ v3",
    ] {
        assert!(
            stdout.contains(&format!("--- FAILED: triage-regressions › {failed}")),
            "{stdout}"
        );
    }
    let (passes, fails, stdout) = lines(&[]);
    assert_eq!((passes, fails), (4, 2), "{stdout}");
}

#[test]
fn rate_limits_are_retried_after_retry_after() {
    let sim = Sim::start();
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = sim.run(&[
        "tests/fixtures/run/rate_limited.yaml",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    let report = read_json(&json);
    assert_eq!(
        case(
            &report,
            "succeeds after the rate limit clears",
            "production"
        )["attempts"][0]["retries"],
        1
    );
}

#[test]
fn without_retries_a_rate_limit_is_an_error_not_a_failure() {
    let sim = Sim::start();
    let dir = tempdir();
    let junit = dir.path().join("junit.xml");
    let result = sim.run(&[
        "tests/fixtures/run/rate_limited.yaml",
        "--retries",
        "0",
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    assert_eq!(
        result.code,
        3,
        "every call erred, so this is an infrastructure exit:\n{}",
        result.all()
    );
    assert!(
        result.stdout.contains("error: HTTP 429"),
        "{}",
        result.stdout
    );
    let xml = read(&junit);
    assert!(
        xml.contains("<error ") && !xml.contains("<failure "),
        "{xml}"
    );
    assert_valid_junit(&junit);
}

#[test]
fn ctrl_c_stops_writes_every_report_and_marks_the_rest_not_run_or_interrupted() {
    let sim = Sim::start();
    let dir = tempdir();
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let mut child = common::flowcheck()
        .args(["run", "tests/fixtures/run/slow_jobs.yaml", "--jobs", "2"])
        .args([
            "--junit",
            junit.to_str().unwrap_or_default(),
            "--json",
            json.to_str().unwrap_or_default(),
        ])
        .env("NOUKAI_API_URL", &sim.url)
        .env("NOUKAI_API_KEY", &sim.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowcheck starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout
        .read_line(&mut first)
        .expect("the run announces itself");
    assert!(first.starts_with("Running 4 cases"), "{first}");
    // The jobs take seconds; the run is now in flight.
    let pid = child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stdout, &mut rest).expect("the rest of stdout");
    let output = child.wait_with_output().expect("flowcheck exits");
    assert_eq!(
        output.status.code(),
        Some(130),
        "{rest}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(rest.contains("interrupted"), "{rest}");

    let report = read_json(&json);
    assert_eq!(report["stopped"], "interrupted");
    let (passed, _, failed, errored, not_run) = totals(&report);
    // The two jobs in flight pass if they end within the grace period, and are otherwise
    // interrupted: errors, not skipped. The two behind them never start.
    let interrupted = report["totals"]["interrupted"].as_u64().unwrap_or(u64::MAX);
    assert_eq!((failed, errored), (0, interrupted), "{}", report["totals"]);
    assert_eq!(
        passed + interrupted + not_run,
        4,
        "every planned case is accounted for"
    );
    assert_eq!(not_run, 2, "the cases never started are not run");
    assert_valid_junit(&junit);
    let xml = read(&junit);
    assert_eq!(
        xml.matches(
            "<skipped message=\"not started before Ctrl-C (or SIGTERM) stopped the run\"/>"
        )
        .count(),
        2,
        "{xml}"
    );
    assert_eq!(
        xml.matches(
            r#"type="interrupted">Ctrl-C (or SIGTERM) cut it while its call was in flight, after "#
        )
        .count() as u64,
        interrupted,
        "{xml}"
    );
    // Nothing half-written is left beside the reports.
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .map(|d| d.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert_eq!(files.len(), 2, "{files:?}");
}

#[test]
fn a_refused_key_stops_the_run_with_exit_3() {
    let sim = Sim::start();
    let wrong = "nk_test_wrongkey_00000000000000000000000000000000";
    let result = common::run_against(&sim.url, wrong, &["run", "suites/triage.yaml"]);
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(
        result.stdout.contains("the API key was refused (HTTP 401"),
        "{}",
        result.stdout
    );
    assert!(
        !result.all().contains("nk_test_wrongkey"),
        "the key leaked:\n{}",
        result.all()
    );
}

/// A refused key (or spent credits) is the run's failure, never a case's answer: a case that
/// expects a refusal is errored (or not run, when the run stopped first), never passed,
/// whichever call the 401 answered first.
#[test]
fn a_refused_key_never_meets_an_expected_error() {
    let sim = Sim::start_with(&[
        "--api-key",
        "nk_test_rightkey_11111111111111111111111111111111",
    ]);
    let wrong = "nk_test_wrongkey_00000000000000000000000000000000";
    let dir = tempdir();
    let mut suite = String::from("suite: wk\nflow: demo/support/triage\ncases:\n");
    for i in 0..12 {
        let expect = match i % 3 {
            0 => "{error: {}}",
            1 => "{error: {code: UNAUTHORIZED}}",
            _ => "{error: {http: 400}}",
        };
        suite.push_str(&format!(
            "  - name: refused {i}\n    message: hello\n    expect: {expect}\n"
        ));
    }
    let file = dir.path().join("wk.yaml");
    std::fs::write(&file, suite).expect("the suite is written");
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let result = common::run_against(
        &sim.url,
        wrong,
        &[
            "run",
            file.to_str().unwrap_or_default(),
            "-j",
            "4",
            "--junit",
            junit.to_str().unwrap_or_default(),
            "--json",
            json.to_str().unwrap_or_default(),
        ],
    );
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(!result.stdout.contains("PASS"), "{}", result.stdout);
    let report = read_json(&json);
    let (passed, flaky, failed, errored, not_run) = totals(&report);
    assert_eq!((passed, flaky, failed), (0, 0, 0), "{}", result.stdout);
    assert!(errored >= 1, "the call that met the 401 errs");
    assert_eq!(errored + not_run, 12);
    let errored_case = report["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["status"] == "errored"))
        .expect("an errored case");
    let message = errored_case["attempts"][0]["result"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.starts_with("HTTP 401 UNAUTHORIZED")
            && message.contains("never counts as an expected error"),
        "{message}"
    );
    assert_valid_junit(&junit);
    let junit = read(&junit);
    let judged = junit.matches("<error").count() + junit.matches("<skipped").count();
    assert_eq!(
        judged, 12,
        "every test case is an error or skipped:\n{junit}"
    );
}

#[test]
fn an_unreachable_server_is_exit_3() {
    let key = "nk_test_abcdefgh_00000000000000000000000000000000";
    let args = ["run", "suites/broken.yaml", "--retries", "0"];
    let result = common::run_against("http://127.0.0.1:9", key, &args);
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(result.stdout.contains("ERROR"), "{}", result.stdout);
}

#[test]
fn no_server_configured_is_a_usage_error() {
    run(&["run", "suites/broken.yaml"]).assert_refused("set NOUKAI_API_URL");
}

#[test]
fn limits_on_the_command_line_are_checked_as_in_suites() {
    for (flag, value, message) in [
        ("--timeout", "0s", "a duration must be at least 1ms"),
        ("--deadline", "0ms", "a duration must be at least 1ms"),
        (
            "--deadline",
            "5 fortnights",
            "invalid duration \"5 fortnights\"",
        ),
        ("--repeat", "10001", "10001 is not in 1..=10000"),
        ("--retries", "101", "101 is not in 0..=100"),
        ("--jobs", "4097", "4097 is not in 1..=4096"),
        ("--jobs", "0", "0 is not in 1..=4096"),
        ("--max-response-bytes", "0", "0 is not in 1..=1099511627776"),
        // An empty filter (`--filter "$UNSET"` in CI) would keep every case.
        ("--filter", "", "a value is required for '--filter <TEXT>'"),
        ("--tag", "", "a value is required for '--tag <TAG>'"),
    ] {
        run(&["run", "suites/broken.yaml", "--embedded", flag, value]).assert_refused(message);
    }
    // `--list` sends nothing, so there is nothing to record.
    run(&["run", "suites/broken.yaml", "--list", "--record", "rec"])
        .assert_refused("the argument '--list' cannot be used with '--record <DIR>'");
    // A report of other suites is no history of these: refused, as with --only-failed.
    let dir = tempdir();
    let other = dir.path().join("other.json").display().to_string();
    assert!(run(&["run", "suites/broken.yaml", "--embedded", "--json", &other]).code <= 1);
    for flag in [
        ["--job-durations", ""],
        ["--shard-durations", "--shard=1/2"],
    ] {
        let mut args = vec!["run", "suites/report.yaml", "--embedded", flag[0], &other];
        args.extend(flag[1..].iter().filter(|a| !a.is_empty()));
        run(&args)
            .assert_refused("holds no case of these suites: is it the report of another run?");
    }
}

#[test]
fn a_report_that_could_not_be_written_stops_the_run_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "").expect("write");
    // Below a file (no folder can be made there, even as root), and a folder itself.
    let below_a_file = file.join("report.xml").to_string_lossy().into_owned();
    let a_folder = dir.path().to_string_lossy().into_owned();
    let suite = "suites/broken.yaml";
    for (args, what) in [
        (
            vec!["run", suite, "--junit", &below_a_file],
            "the JUnit report",
        ),
        (vec!["run", suite, "--json", &a_folder], "the JSON report"),
        (
            vec!["run", suite, "--record", &below_a_file],
            "the recording",
        ),
        (
            vec![
                "compare",
                "--baseline",
                "v1",
                "--candidate",
                "v2",
                "suites/triage.yaml",
            ],
            "the HTML comparison",
        ),
    ] {
        let mut args = args;
        args.push("--embedded");
        if args[0] == "compare" {
            args.extend(["--html", &below_a_file]);
        }
        let result = run(&args);
        result.assert_refused(&format!("error: {what} cannot be written"));
        result.assert_refused("nothing was sent");
    }
    let same = dir.path().join("report").to_string_lossy().into_owned();
    let result = run(&[
        "run",
        suite,
        "--embedded",
        "--junit",
        &same,
        "--json",
        &same,
    ]);
    result.assert_refused("the JUnit report and the JSON report would both be written to");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("read").collect();
    assert_eq!(left.len(), 1, "only a-file is left: {left:?}");
}

/// Outputs are compared by the file they lead to, not as written (`./a.xml` is `a.xml`), and
/// none may overwrite a file the command reads: a suite, its data file, its snapshots, an
/// earlier report or a policy. Each used to exit 0 with a report lost or an input destroyed.
#[test]
fn outputs_that_are_one_file_or_an_input_are_refused_before_anything_is_sent() {
    let dir = tempdir();
    let root = env!("CARGO_MANIFEST_DIR");
    for folder in ["suites/data", "suites/schemas"] {
        std::fs::create_dir_all(dir.path().join(folder)).expect("a folder");
    }
    for (from, to) in [
        (
            "suites/schemas/triage-result.json",
            "suites/schemas/triage-result.json",
        ),
        ("suites/vision.yaml", "victim.yaml"),
        ("suites/triage.yaml", "suites/triage.yaml"),
        ("suites/triage-data.yaml", "suites/triage-data.yaml"),
        (
            "suites/data/triage-cases.csv",
            "suites/data/triage-cases.csv",
        ),
    ] {
        std::fs::copy(format!("{root}/{from}"), dir.path().join(to)).expect("copied");
    }
    std::fs::write(dir.path().join("policy.yaml"), "max_regressions: 0\n").expect("written");
    #[cfg(unix)]
    std::os::unix::fs::symlink("victim.yaml", dir.path().join("link.yaml")).expect("a link");
    let in_dir = |args: &[&str]| {
        common::Run::from(
            common::flowcheck()
                .current_dir(dir.path())
                .args(args)
                .output()
                .expect("runs"),
        )
    };
    let ran = in_dir(&["run", "victim.yaml", "--embedded", "--json", "r.json"]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let inputs = [
        "victim.yaml",
        "suites/data/triage-cases.csv",
        "r.json",
        "policy.yaml",
    ];
    let before: Vec<Vec<u8>> = inputs
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).expect("read"))
        .collect();

    let run_victim = ["run", "victim.yaml", "--embedded"];
    let with = |base: &[&'static str], extra: &[&'static str]| -> Vec<&'static str> {
        base.iter().chain(extra).copied().collect()
    };
    let compare = [
        "compare",
        "--baseline",
        "production",
        "--baseline-report",
        "r.json",
        "--candidate",
        "v2",
        "victim.yaml",
        "--embedded",
    ];
    let mut refused: Vec<(Vec<&str>, &str)> = vec![
        (
            with(&run_victim, &["--junit", "./a.xml", "--json", "a.xml"]),
            "the JUnit report and the JSON report would both be written to a.xml (./a.xml and a.xml are one file)",
        ),
        (
            with(&run_victim, &["--junit", "out/../b.xml", "--json", "b.xml"]),
            "would both be written to b.xml",
        ),
        (
            with(&run_victim, &["--record", ".", "--json", "recording.jsonl"]),
            "the JSON report and the recording would both be written to",
        ),
        (
            with(&run_victim, &["--json", "victim.yaml"]),
            "the JSON report would overwrite victim.yaml, the suite vision-describe, which this command reads",
        ),
        (
            with(&run_victim, &["--json", "missing/../victim.yaml"]),
            "the JSON report would overwrite missing/../victim.yaml, the suite vision-describe",
        ),
        (
            with(&run_victim, &["--json", "__snapshots__/x.json"]),
            "would be written into",
        ),
        (
            vec![
                "run",
                "suites/triage-data.yaml",
                "--embedded",
                "--junit",
                "suites/data/triage-cases.csv",
            ],
            "the JUnit report would overwrite suites/data/triage-cases.csv, the data file of suite triage-data",
        ),
        (
            vec![
                "run",
                "suites/triage.yaml",
                "--embedded",
                "--json",
                "suites/schemas/triage-result.json",
            ],
            "the JSON report would overwrite suites/schemas/triage-result.json, the JSON Schema of suite support-triage",
        ),
        (
            vec![
                "run",
                "suites/triage.yaml",
                "--embedded",
                "--json",
                "suites/__snapshots__/triage/report.json",
            ],
            "which holds the snapshots of suite support-triage",
        ),
        (
            with(
                &run_victim,
                &[
                    "--shard",
                    "1/2",
                    "--shard-durations",
                    "r.json",
                    "--json",
                    "./r.json",
                ],
            ),
            "the JSON report would overwrite ./r.json, the --shard-durations report",
        ),
        (
            with(&compare, &["--json", "r.json"]),
            "the JSON comparison would overwrite r.json, the --baseline-report",
        ),
        (
            with(&compare, &["--markdown", "victim.yaml"]),
            "the Markdown comparison would overwrite victim.yaml, the suite vision-describe",
        ),
    ];
    let mut gate = with(
        &compare,
        &["--policy", "policy.yaml", "--html", "policy.yaml"],
    );
    gate[0] = "gate";
    refused.push((
        gate,
        "the HTML comparison would overwrite policy.yaml, the --policy",
    ));
    #[cfg(unix)]
    refused.push((
        with(&run_victim, &["--json", "link.yaml"]),
        "the JSON report would overwrite link.yaml, the suite vision-describe",
    ));
    for (args, message) in refused {
        let result = in_dir(&args);
        result.assert_refused(message);
        assert!(
            result.stderr.contains("nothing was sent"),
            "{}",
            result.stderr
        );
    }
    let merged = in_dir(&["merge", "r.json", "--json", "./r.json"]);
    merged
        .assert_refused("the merged JSON report would overwrite ./r.json, the report being merged");
    let after: Vec<Vec<u8>> = inputs
        .iter()
        .map(|f| std::fs::read(dir.path().join(f)).expect("read"))
        .collect();
    assert!(before == after, "an input was overwritten");
    for written in [
        "a.xml",
        "b.xml",
        "out",
        "recording.jsonl",
        "suites/__snapshots__",
    ] {
        assert!(!dir.path().join(written).exists(), "{written} was written");
    }

    // Devices are written into, never replaced: two reports may go to /dev/null.
    #[cfg(unix)]
    {
        let result = in_dir(&with(
            &run_victim,
            &["--junit", "/dev/null", "--json", "/dev/null"],
        ));
        assert_eq!(result.code, 0, "{}", result.all());
    }
}

/// `--json /dev/stdout`, a fifo or a link name a place to write into: replacing it with a new
/// file (the atomic rename used for regular files) would break the link, or a device for
/// everyone on the machine.
#[cfg(unix)]
#[test]
fn a_report_named_as_a_link_or_a_pipe_is_written_into_not_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempdir();
    let target = dir.path().join("kept/report.json");
    std::fs::create_dir_all(dir.path().join("kept")).expect("a folder");
    std::fs::write(&target, "old").expect("write");
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&target, &link).expect("a link");
    let fifo = dir.path().join("junit.fifo");
    common::mkfifo(&fifo);
    // The fifo's reader: the run's write waits for it, as a pipe's writer does.
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap_or_default())
    };
    let (link_arg, fifo_arg) = (link.to_string_lossy(), fifo.to_string_lossy());
    let result = run(&[
        "run",
        "suites/triage.yaml",
        "--embedded",
        "--json",
        &link_arg,
        "--junit",
        &fifo_arg,
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    // Checked before joining the reader, which waits for ever if the fifo was replaced.
    assert!(
        std::fs::symlink_metadata(&fifo)
            .expect("still there")
            .file_type()
            .is_fifo()
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("still there")
            .file_type()
            .is_symlink()
    );
    let piped = reader.join().expect("the reader ends");
    assert!(
        piped.starts_with("<?xml"),
        "the JUnit report went through the fifo: {piped:?}"
    );
    assert!(read_json(&target)["totals"]["passed"].as_u64() > Some(0));
    let left: Vec<_> = std::fs::read_dir(dir.path().join("kept"))
        .expect("read")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(
        left,
        ["report.json"],
        "no temporary file is left beside the target"
    );

    let dangling = dir.path().join("dangling.json");
    std::os::unix::fs::symlink(dir.path().join("missing/x.json"), &dangling).expect("a link");
    run(&[
        "run",
        "suites/triage.yaml",
        "--embedded",
        "--json",
        &dangling.to_string_lossy(),
    ])
    .assert_refused("is a symbolic link to nothing that exists");
}

/// Numbers no clock can add used to crash the run (exit 101): they are refused up front.
#[test]
fn durations_beyond_any_clock_are_refused_not_crashed() {
    let dir = tempdir();
    for flag in ["--timeout", "--deadline"] {
        run(&[
            "run",
            "suites/triage.yaml",
            "--embedded",
            flag,
            "18446744073709551615s",
        ])
        .assert_refused("a duration must be at most 30days");
    }
    let suite = dir.path().join("long.yaml");
    std::fs::write(
        &suite,
        "suite: long\nflow: demo/support/triage\ndefaults:\n  timeout: 9223372036854775807s\ncases:\n  - name: one\n    message: hi\n",
    )
    .expect("write");
    let result = run(&["validate", &suite.to_string_lossy()]);
    result.assert_refused("long.yaml:4:12: a duration must be at most 30days");
    // A report whose duration is out of range is not a report: merge and --only-failed say so.
    let report = dir.path().join("report.json");
    assert_eq!(
        run(&[
            "run",
            "suites/triage.yaml",
            "--embedded",
            "--json",
            &report.to_string_lossy()
        ])
        .code,
        0
    );
    let mut json = read_json(&report);
    json["cases"][0]["duration"] = serde_json::json!(1e300);
    std::fs::write(&report, json.to_string()).expect("write");
    let merged = dir
        .path()
        .join("merged.json")
        .to_string_lossy()
        .into_owned();
    for args in [
        vec!["merge", &*report.to_string_lossy(), "--json", &merged],
        vec![
            "run",
            "suites/triage.yaml",
            "--embedded",
            "--only-failed",
            &*report.to_string_lossy(),
        ],
    ] {
        let result = run(&args.iter().map(|a| &**a).collect::<Vec<_>>());
        assert_eq!(result.code, 2, "{args:?}: {}", result.all());
        assert!(
            result.stderr.contains("a duration in milliseconds"),
            "{}",
            result.all()
        );
    }
}

#[test]
fn color_follows_the_flag_over_the_environment() {
    // Only the variables in `env` are set: the common command's NO_COLOR is removed.
    let styled = |flag: Option<&str>, env: &[(&str, &str)]| {
        let mut command = common::flowcheck();
        command.args(["run", "suites/broken.yaml", "--embedded"]);
        command.args(flag.map(|when| ["--color", when]).iter().flatten());
        for variable in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
            command.env_remove(variable);
        }
        command.envs(env.iter().copied());
        let result = common::Run::from(command.output().expect("flowcheck runs"));
        assert_eq!(result.code, 0, "{}", result.all());
        result.stdout.contains('\x1b')
    };
    let (no_color, force) = (&[("NO_COLOR", "1")][..], &[("CLICOLOR_FORCE", "1")][..]);
    // Stdout is a pipe here, not a terminal: `auto` (the default) styles nothing, with or
    // without NO_COLOR.
    assert!(!styled(None, &[]), "auto styled a pipe");
    assert!(!styled(Some("auto"), &[]), "auto styled a pipe");
    assert!(!styled(None, no_color));
    assert!(styled(Some("always"), no_color));
    assert!(styled(None, force));
    assert!(!styled(Some("never"), force));
}

/// On a terminal, `auto` (the default) styles the output, unless NO_COLOR is set.
#[test]
fn a_terminal_gets_colours_unless_no_color_is_set() {
    // A style (SGR: ESC [ ... m), not the progress bar's cursor movements.
    let style = regex::Regex::new("\x1b\\[[0-9;]*m").expect("regex");
    let Some((code, text)) = in_terminal("", &[], false) else {
        return;
    };
    assert_eq!(code, Some(0), "{text}");
    assert!(
        style.is_match(&text),
        "no colours on a terminal without NO_COLOR: {text:?}"
    );
    let Some((code, text)) = in_terminal("", &[], true) else {
        return;
    };
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("PASS ["), "{text:?}");
    assert!(!style.is_match(&text), "colours with NO_COLOR: {text:?}");
}

#[test]
fn the_key_is_refused_over_plain_http_to_another_host() {
    let key = "nk_test_abcdefgh_00000000000000000000000000000000";
    let args = ["run", "suites/broken.yaml"];
    let result = common::run_against("http://api.noukai.example", key, &args);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result
            .stderr
            .contains("refusing to send the API key over plain http://"),
        "{}",
        result.stderr
    );
}

#[test]
fn the_key_never_appears_in_any_output_or_report() {
    let key = "nk_test_secret99_s3cr3ts3cr3ts3cr3ts3cr3ts3cr3tzz";
    let sim = Sim::start_with(&["--api-key", key]);
    let dir = tempdir();
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let (junit_path, json_path) = (junit.display().to_string(), json.display().to_string());
    let args = [
        "suites",
        "tests/fixtures/run/regressions.yaml",
        "-v",
        "--junit",
        &junit_path,
        "--json",
        &json_path,
    ];
    let result = sim.run(&args);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stderr.contains("authorization: Bearer [redacted]"),
        "verbose output shows requests"
    );
    // Calls run side by side: every response names the request it answers.
    let numbers = |pattern: &str| -> std::collections::BTreeSet<String> {
        regex::Regex::new(pattern)
            .expect("regex")
            .captures_iter(&result.stderr)
            .map(|c| c[1].to_owned())
            .collect()
    };
    let requests = numbers(r"(?m)^> #(\d+) (?:POST|GET) ");
    assert!(requests.len() > 10, "{}", result.stderr);
    assert_eq!(requests, numbers(r"(?m)^< #(\d+) \d{3} "));
    for (what, text) in [
        ("stdout", result.stdout.clone()),
        ("stderr", result.stderr.clone()),
        ("junit", read(&junit)),
        ("json", read(&json)),
    ] {
        assert!(!text.contains(key), "the key appears in {what}");
        assert!(
            !text.contains("s3cr3t"),
            "part of the key appears in {what}"
        );
    }
}

#[test]
fn tags_and_filters_select_cases() {
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = run(&[
        "run",
        "suites",
        "--embedded",
        "--tag",
        "smoke",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    let report = read_json(&json);
    let cases = report["cases"].as_array().cloned().unwrap_or_default();
    assert!(!cases.is_empty());
    assert!(cases.iter().all(|c| {
        c["tags"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == "smoke"))
    }));

    let result = run(&[
        "run",
        "suites",
        "--embedded",
        "--filter",
        "REFUND REQUESTS",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    let report = read_json(&json);
    let names: Vec<String> = report["cases"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| {
                    format!(
                        "{} @ {}",
                        c["case"].as_str().unwrap_or_default(),
                        c["target"].as_str().unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        names,
        [
            "refund requests go to billing @ production",
            "refund requests go to billing @ v2"
        ]
    );

    let result = run(&["run", "suites", "--embedded", "--filter", "no such case"]);
    assert_eq!(result.code, 2, "{}", result.all());
}

#[test]
fn fail_fast_stops_starting_cases_after_a_failure() {
    let sim = Sim::start();
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = sim.run(&[
        "tests/fixtures/run/regressions.yaml",
        "--jobs",
        "1",
        "--fail-fast",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    let report = read_json(&json);
    let (_, _, failed, _, not_run) = totals(&report);
    assert_eq!(failed, 1, "{}", result.stdout);
    assert!(not_run >= 1, "{}", result.stdout);
    assert_eq!(report["stopped"], "fail_fast");
    // The cases never started get no line (the reports list them): the summary counts them,
    // and why is said once, not in a block a case.
    assert!(!result.stdout.contains("NOT RUN"), "{}", result.stdout);
    assert!(
        result.stdout.contains(&format!("{not_run} not run")),
        "{}",
        result.stdout
    );
    assert_eq!(
        result.all().matches("(--fail-fast)").count(),
        1,
        "{}",
        result.all()
    );
}

#[test]
fn an_unknown_flow_is_an_error_with_its_code() {
    let sim = Sim::start();
    let result = sim.run(&["tests/fixtures/run/unknown_flow.yaml"]);
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(
        result.stdout.contains("HTTP 404 FLOW_NOT_FOUND"),
        "{}",
        result.stdout
    );
    // Stopped by --fail-fast at that first case, the run knows one case errored, not that
    // every case does: exit 1, as the same suites give without the flag.
    let suites = ["tests/fixtures/run/unknown_flow.yaml", "suites/triage.yaml"];
    for extra in [&[][..], &["--fail-fast"][..]] {
        let mut args = vec![suites[0], suites[1], "--jobs", "1"];
        args.extend_from_slice(extra);
        let result = sim.run(&args);
        assert_eq!(result.code, 1, "{extra:?}: {}", result.all());
    }
}

#[test]
fn a_503_is_retried_and_a_500_only_when_asked() {
    let sim = Sim::start();
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = sim.run(&[
        "tests/fixtures/run/server_errors.yaml",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    let report = read_json(&json);
    let retried = case(&report, "a 503 is retried", "v2");
    assert_eq!(
        (
            retried["status"].as_str(),
            retried["attempts"][0]["retries"].as_u64()
        ),
        (Some("passed"), Some(1))
    );
    // The pass says it needed a retry.
    assert!(
        result
            .stdout
            .contains("server-errors › a 503 is retried @ v2 (1 retry)"),
        "{}",
        result.stdout
    );
    let not_retried = case(&report, "a 500 is retried only when asked", "v3");
    assert_eq!(not_retried["status"], "errored");
    assert_eq!(not_retried["attempts"][0]["retries"], 0);
    assert!(
        result.stdout.contains("error: HTTP 500"),
        "{}",
        result.stdout
    );

    let sim = Sim::start();
    let result = sim.run(&[
        "tests/fixtures/run/server_errors.yaml",
        "--retry-server-errors",
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
}

#[test]
fn a_case_timeout_is_an_error_naming_the_budget() {
    let sim = Sim::start();
    let result = sim.run(&["tests/fixtures/run/timeouts.yaml"]);
    assert_eq!(result.code, 3, "{}", result.all());
    // An async job's timeout says where the job had got to.
    let said = regex::Regex::new(
        r"error: timed out after 1s \(job [0-9a-f-]+ still (pending|running) after \d+ polls\)",
    )
    .expect("regex");
    assert!(said.is_match(&result.stdout), "{}", result.stdout);
}

/// The deadline cuts the two jobs in flight (`--jobs 2`; each takes about 3 s) and the two
/// behind them never start. Those cut were sent and may have cost, but have no verdict: errors
/// (`type="interrupted"`), saying what cut them and after how long; those never started are
/// skipped. The summary, the JSON totals and JUnit count them alike, and the exit code is the
/// deadline's, 1 (not 3, as it would be were every finished case an error).
#[test]
fn the_run_deadline_errs_cases_cut_in_flight_and_skips_those_not_started() {
    let sim = Sim::start();
    let dir = tempdir();
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let result = sim.run(&[
        "tests/fixtures/run/slow_jobs.yaml",
        "--deadline",
        "1s",
        "--jobs",
        "2",
        "--junit",
        junit.to_str().unwrap_or_default(),
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    let report = read_json(&json);
    assert_eq!(report["stopped"], "deadline");
    assert_eq!(totals(&report), (0, 0, 0, 2, 2), "{}", report["totals"]);
    assert_eq!(report["totals"]["interrupted"], 2, "{}", report["totals"]);
    let cut = regex::Regex::new(
        r"^the run's deadline cut it while its call was in flight, after \d+\.\d{3}s \(the server may have run it\)$",
    )
    .expect("regex");
    for (name, status) in [
        ("first report", "interrupted"),
        ("second report", "interrupted"),
        ("third report", "not_run"),
        ("fourth report", "not_run"),
    ] {
        let case = case(&report, name, "production");
        assert_eq!(case["status"], status, "{case}");
        let reason = case["reason"].as_str().unwrap_or_default();
        if status == "interrupted" {
            assert!(cut.is_match(reason), "{reason}");
            assert!(result.stdout.contains(reason), "{}", result.stdout);
        } else {
            assert_eq!(reason, "the run's deadline was reached");
        }
    }
    assert!(
        result
            .stdout
            .contains("4 cases: 0 passed, 0 flaky, 0 failed, 2 errored (2 interrupted), 2 not run"),
        "{}",
        result.stdout
    );
    let xml = read(&junit).replace("&apos;", "'");
    assert!(
        xml.contains(
            r#"<testsuites name="flowcheck" tests="4" skipped="2" failures="0" errors="2""#
        ),
        "{xml}"
    );
    assert_eq!(
        xml.matches(r#"type="interrupted">the run's deadline cut it while its call was in flight"#)
            .count(),
        2,
        "{xml}"
    );
    assert_eq!(
        xml.matches(r#"<skipped message="the run's deadline was reached"/>"#)
            .count(),
        2,
        "{xml}"
    );
    assert_valid_junit(&junit);
}

#[test]
fn repeat_runs_every_case_n_times() {
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = run(&[
        "run",
        "suites/broken.yaml",
        "--embedded",
        "--repeat",
        "3",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    let report = read_json(&json);
    let attempts = &case(
        &report,
        "the broken flow reports a failed run",
        "production",
    )["attempts"];
    assert_eq!(attempts.as_array().map(Vec::len), Some(3));
}

#[test]
fn the_timeout_flag_overrides_every_case() {
    let sim = Sim::start();
    let result = sim.run(&[
        "tests/fixtures/run/slow_jobs.yaml",
        "--timeout",
        "1s",
        "--filter",
        "first",
    ]);
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(
        result.stdout.contains("error: timed out after 1s"),
        "{}",
        result.stdout
    );
}

/// `flowcheck run` on the triage refund case in a pseudo-terminal made by util-linux's
/// `script`, with NO_COLOR and `env` set; `None` when `script` is not installed.
fn run_in_terminal(extra: &str, env: &[(&str, &str)]) -> Option<(Option<i32>, String)> {
    in_terminal(extra, env, true)
}

/// [`run_in_terminal`], with NO_COLOR set or not.
fn in_terminal(extra: &str, env: &[(&str, &str)], no_color: bool) -> Option<(Option<i32>, String)> {
    let command = format!(
        "{} run suites/triage.yaml --embedded --filter refund {extra}",
        common::BIN
    );
    let mut script = std::process::Command::new("script");
    script
        .args(["-qec", &command, "/dev/null"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CLICOLOR")
        .env("TERM", "xterm")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    if no_color {
        script.env("NO_COLOR", "1");
    }
    let Ok(output) = script.output() else {
        eprintln!("`script` (util-linux) is not installed: the terminal is not tested here");
        return None;
    };
    let text = String::from_utf8_lossy(&output.stdout).replace('\r', "");
    Some((output.status.code(), text))
}

/// On a terminal, a progress bar on stderr counts the cases and is cleared before the summary;
/// the case lines stay. Not in CI, and not under `-v`'s traces.
#[test]
fn a_terminal_gets_a_progress_bar_that_is_cleared_at_the_end() {
    let Some((code, text)) = run_in_terminal("", &[]) else {
        return;
    };
    assert_eq!(code, Some(0), "{text}");
    // How far the bar had got when it was drawn depends on how fast the cases ran.
    assert!(
        ["] 0/2 cases", "] 1/2 cases", "] 2/2 cases"]
            .iter()
            .any(|bar| text.contains(bar)),
        "{text}"
    );
    assert!(
        text.contains("PASS [") && text.contains("refund requests go to billing @ v2"),
        "{text}"
    );
    // The bar's line is erased (ESC [2K) just before the summary is written.
    assert!(text.contains("\u{1b}[2KSummary ["), "{text}");

    for (extra, env) in [("", &[("CI", "true")][..]), ("-v", &[][..])] {
        let Some((code, text)) = run_in_terminal(extra, env) else {
            return;
        };
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("Summary ["), "{text}");
        assert!(!text.contains("/2 cases"), "{extra} {env:?}: {text}");
    }
}

/// Version 1 answers after a second, version 2 at once: the first case in the file finishes
/// last (the margin is wide so that a slow machine keeps the order; the test asserts it).
const SLOW_THEN_FAST: &str = r#"
org: demo
project: order
flow: echo
production: 2
versions:
  - version: 1
    latency: {ms: 1000}
    blocks:
      - {id: echo, kind: passthrough, input: {echo: "{{ input.message }}"}}
  - version: 2
    blocks:
      - {id: echo, kind: passthrough, input: {echo: "{{ input.message }}"}}
"#;

#[test]
fn failures_are_explained_in_file_order_whatever_order_they_finish_in() {
    let dir = tempdir();
    let flows = dir.path().join("order.yaml");
    std::fs::write(&flows, SLOW_THEN_FAST).expect("write");
    let suite = dir.path().join("suite.yaml");
    std::fs::write(
        &suite,
        "suite: order\nflow: demo/order/echo\ncases:\n  - name: first in the file\n    targets: [v1]\n    message: a\n    expect: {output: [{path: $.echo, equals: b}]}\n  - name: second in the file\n    targets: [v2]\n    message: a\n    expect: {output: [{path: $.echo, equals: b}]}\n",
    )
    .expect("write");
    let sim = Sim::start_with(&["--flows", flows.to_str().unwrap_or_default()]);
    let result = sim.run(&[suite.to_str().unwrap_or_default()]);
    assert_eq!(result.code, 1, "{}", result.all());
    let out = &result.stdout;
    // The case lines come as cases finish; the explanations after them, in file order.
    let finished = |name: &str| out.find(name);
    let explained = |name: &str| out.find(&format!("--- FAILED: order › {name}"));
    assert!(
        finished("second in the file") < finished("first in the file"),
        "{out}"
    );
    assert!(
        explained("first in the file") < explained("second in the file"),
        "{out}"
    );
}

#[test]
fn list_shows_what_would_run_without_a_server_and_shards_partition_it() {
    // No URL, no key, no --embedded: listing sends nothing, so needs no server.
    let lines = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["run", "suites", "--list"];
        all.extend_from_slice(args);
        let result = run(&all);
        assert_eq!(result.code, 0, "{args:?}: {}", result.all());
        assert!(
            result.stdout.contains("nothing was sent") && !result.stdout.contains("Running"),
            "{}",
            result.stdout
        );
        result
            .stdout
            .lines()
            .filter(|l| l.contains(" @ "))
            .map(str::to_owned)
            .collect()
    };
    let everything = lines(&[]);
    assert!(everything.len() > 20, "{everything:?}");
    // A list that could not be written is no list: exit 3, not 0.
    #[cfg(target_os = "linux")]
    {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full opens");
        let listed = common::flowcheck()
            .args(["run", "suites", "--list"])
            .stdout(full)
            .output()
            .expect("runs");
        assert_eq!(listed.status.code(), Some(3), "{listed:?}");
    }
    assert!(
        everything
            .iter()
            .any(|l| l
                == "support-triage › refund requests go to billing @ v2 (suites/triage.yaml:12)"),
        "each line says where its case is: {everything:?}"
    );
    let mut shards: Vec<String> = ["1/3", "2/3", "3/3"]
        .iter()
        .flat_map(|shard| lines(&["--shard", shard]))
        .collect();
    shards.sort();
    let mut sorted = everything.clone();
    sorted.sort();
    assert_eq!(
        shards, sorted,
        "the three shards together list every case once"
    );
    let smoke = lines(&["--tag", "smoke", "--repeat", "2"]);
    assert!(
        !smoke.is_empty() && smoke.len() < everything.len(),
        "{smoke:?}"
    );
    assert!(smoke.iter().all(|l| l.contains(" ×2 ")), "{smoke:?}");
}

#[test]
fn http_proxy_from_the_environment_is_used() {
    // The simulator stands in for a forward proxy: it answers the absolute-form request for a
    // host that does not resolve, so the case passes only if the request went through it.
    let sim = Sim::start();
    let result = common::Run::from(
        common::flowcheck()
            .args([
                "run",
                "suites/broken.yaml",
                "--allow-insecure-http",
                "--retries",
                "0",
            ])
            .env("NOUKAI_API_URL", "http://noukai.invalid")
            .env("NOUKAI_API_KEY", &sim.key)
            .env("HTTP_PROXY", &sim.url)
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .output()
            .expect("flowcheck runs"),
    );
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(result.stdout.contains("1 passed"), "{}", result.stdout);
}

#[test]
fn this_machine_is_reached_directly_whatever_proxy_is_set() {
    // Nothing listens on port 9: a call through that proxy would fail.
    let sim = Sim::start();
    for (url, extra) in [(None, "--embedded"), (Some(&sim.url), "--retries=0")] {
        let mut command = common::flowcheck();
        command
            .args(["run", "suites/broken.yaml", extra])
            .env("HTTP_PROXY", "http://127.0.0.1:9")
            .env("HTTPS_PROXY", "http://127.0.0.1:9")
            .env_remove("NO_PROXY");
        if let Some(url) = url {
            command
                .env("NOUKAI_API_URL", url)
                .env("NOUKAI_API_KEY", &sim.key);
        }
        let result = common::Run::from(command.output().expect("flowcheck runs"));
        assert_eq!(result.code, 0, "{extra}: {}", result.all());
    }
}

#[test]
fn the_open_files_limit_is_raised_and_a_hard_limit_too_low_for_jobs_lowers_them() {
    // The shell sets the limits, then becomes flowcheck: `-S` the soft limit only, plain
    // `ulimit -n` both soft and hard. The triage suite reads snapshot files as it goes.
    let with_limit = |ulimit: &str| {
        let script =
            format!("{ulimit} 64 && exec \"$0\" run suites/triage.yaml --embedded --jobs 100",);
        let output = std::process::Command::new("sh")
            .args(["-c", &script, common::BIN])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("NO_COLOR", "1")
            .env_remove("CI")
            .output()
            .expect("sh runs");
        common::Run::from(output)
    };
    let note = "note: --jobs 100 needs about 332 open files, but this process may open 64 (ulimit -n): running 10 at once";
    // Soft 64: raised to the hard limit at start, so 100 jobs fit and nothing is noted.
    let raised = with_limit("ulimit -Sn");
    assert_eq!(raised.code, 0, "{}", raised.all());
    assert!(!raised.stderr.contains("needs about"), "{}", raised.stderr);
    // Hard 64: nothing to raise; fewer calls run at once (more would fail to open sockets and
    // snapshot files: cases failed for want of file handles), and the run says so.
    let capped = with_limit("ulimit -n");
    assert_eq!(capped.code, 0, "{}", capped.all());
    assert!(capped.stderr.contains(note), "{}", capped.stderr);
}

/// `--embedded --flows PATH` serves your own flows in-process: a new flow is tested with one
/// command, and a mistake in its definition is a usage error with its place.
#[test]
fn the_embedded_simulator_serves_your_own_flows() {
    let dir = tempdir();
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).expect("flows dir");
    std::fs::write(
        flows.join("greet.yaml"),
        "org: acme\nproject: shop\nflow: greet\nproduction: 1\nversions:\n  - version: 1\n    blocks:\n      - {id: hello, kind: template, text: \"Hello, {{ input.message }}!\"}\n",
    )
    .expect("write flow");
    let suite = dir.path().join("greet.yaml");
    std::fs::write(
        &suite,
        "suite: greet\nflow: acme/shop/greet\ncases:\n  - name: greets\n    message: bob\n    expect:\n      output:\n        - {path: $.text, equals: \"Hello, bob!\"}\n",
    )
    .expect("write suite");
    let (suite, flows) = (suite.display().to_string(), flows.display().to_string());
    let result = run(&["run", &suite, "--embedded", "--flows", &flows]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(result.stdout.contains("PASS"), "{}", result.stdout);

    std::fs::write(
        dir.path().join("flows/greet.yaml"),
        "org: acme\nproject: shop\nflow: greet\nproduction: 1\nversions:\n  - version: 1\n    blocks:\n      - {id: hello, kind: tempalte, text: hi}\n",
    )
    .expect("write flow");
    let broken = run(&["run", &suite, "--embedded", "--flows", &flows]);
    assert_eq!(broken.code, 2, "{}", broken.all());
    assert!(broken.stderr.contains("greet.yaml:8:"), "{}", broken.stderr);
}

/// Selection forgives what a person types: a tag in another case, a name copied from a run's
/// output (`suite › case`); a tag no case carries is named, with the tags there are.
#[test]
fn selection_takes_names_as_printed_and_tags_in_any_case() {
    let listed = |args: &[&str]| {
        let mut all = vec!["run", "suites", "--list"];
        all.extend_from_slice(args);
        run(&all)
    };
    let lower = listed(&["--tag", "smoke"]);
    let upper = listed(&["--tag", "SMOKE"]);
    assert_eq!(lower.code, 0, "{}", lower.all());
    assert_eq!(lower.stdout, upper.stdout);
    let copied = listed(&["--filter", "support-triage › refund requests go to billing"]);
    assert_eq!(copied.code, 0, "{}", copied.all());
    assert!(
        copied
            .stdout
            .contains("support-triage › refund requests go to billing @ production"),
        "{}",
        copied.stdout
    );
    listed(&["--tag", "smokey"]).assert_refused(
        "no case matches the selection (no case is tagged smokey; the tags are: account,",
    );
    listed(&["--tag", "smokey"])
        .assert_refused("weights; did you mean \"smoke\"?); nothing was sent");
    // Beside a tag that matches, a misspelt one is said, not passed over.
    let beside = listed(&["--tag", "smokey", "--tag", "billing"]);
    assert_eq!(beside.code, 0, "{}", beside.all());
    assert!(
        beside.stderr.contains(
            "note: no case is tagged smokey (did you mean \"smoke\"?): the cases are those of the other tags"
        ),
        "{}",
        beside.all()
    );
    // A filter that matches no name is named, and `>` typed for `›` is pointed out.
    listed(&["--filter", "support-triage > refund*"]).assert_refused(
        "no case matches the selection (no case name matches --filter \"support-triage > refund*\"; a suite and its case are joined by ›, not >)",
    );
    // One that matches, but not together with the tag, is not blamed.
    let both = listed(&["--filter", "refund*", "--tag", "account"]);
    both.assert_refused("no case matches the selection; nothing was sent");
}

/// What a CI job gets wrong, said: an exported NOUKAI_API_URL does not stop `--embedded`, a
/// rerun given another suite's report is refused (it would pass having rerun nothing), and a
/// folder of data lists holds no suite.
#[test]
fn ci_mistakes_are_said_not_passed() {
    let embedded = common::Run::from(
        common::flowcheck()
            .args(["run", "suites/vision.yaml", "--embedded"])
            .env("NOUKAI_API_URL", "https://api.noukai.xyz")
            .output()
            .expect("runs"),
    );
    assert_eq!(embedded.code, 0, "{}", embedded.all());

    let dir = tempdir();
    let other = dir.path().join("other.json").display().to_string();
    let ran = run(&["run", "suites/vision.yaml", "--embedded", "--json", &other]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    run(&[
        "run",
        "suites/summarize.yaml",
        "--embedded",
        "--only-failed",
        &other,
    ])
    .assert_refused("holds no case of these suites: is it the report of another run?");

    let lists = dir.path().join("lists");
    std::fs::create_dir_all(&lists).expect("a folder");
    std::fs::write(lists.join("rows.yaml"), "- {message: hi}\n").expect("written");
    run(&["validate", &lists.display().to_string()]).assert_refused("its YAML files are lists");
}

/// `--job-durations REPORT`: an async case's first poll waits as long as its job took in the
/// earlier run, so a job that takes as long again is found done by one poll (at most one more
/// if it ends a hair later), where polling from the submit takes several.
#[test]
fn an_earlier_runs_job_durations_time_the_first_poll() {
    let dir = tempdir();
    let flows = dir.path().join("flows");
    std::fs::create_dir_all(&flows).expect("flows dir");
    std::fs::write(
        flows.join("jobs.yaml"),
        "org: demo\nproject: bench\nflow: jobs\nproduction: 1\nversions:\n  - version: 1\n    job_seconds: 0.6\n    blocks:\n      - {id: echo, kind: passthrough, input: {echo: \"{{ input.message }}\"}}\n",
    )
    .expect("flow written");
    let suite = dir.path().join("jobs.yaml");
    std::fs::write(
        &suite,
        "suite: jobs\nflow: demo/bench/jobs\nmode: async\ncases:\n  - {name: one, message: a}\n  - {name: two, message: b}\n",
    )
    .expect("suite written");
    let (suite, flows) = (suite.display().to_string(), flows.display().to_string());
    let report = |name: &str| dir.path().join(name).display().to_string();
    let polls = |extra: &[&str]| {
        let mut args = vec!["run", &suite, "--embedded", "--flows", &flows, "-v"];
        args.extend_from_slice(extra);
        let result = run(&args);
        assert_eq!(result.code, 0, "{}", result.all());
        result
            .stderr
            .lines()
            .filter(|l| l.starts_with("> #") && l.contains(" GET "))
            .count()
    };
    let (earlier, later) = (report("earlier.json"), report("later.json"));
    // From the submit: three polls or more before a 0.6 s job ends (pauses of 0.1 s), and one
    // that finds it done, for each job.
    let cold = polls(&["--json", &earlier]);
    assert!(cold >= 8, "{cold} polls for two 0.6 s jobs");
    let warm = polls(&["--json", &later, "--job-durations", &earlier]);
    assert!(
        warm <= 4,
        "{warm} polls with the durations known, {cold} without"
    );
    let later = read_json(std::path::Path::new(&later));
    assert_eq!(later["totals"]["passed"], 2, "{later}");
}

/// A run's JSON report is put together from its cases' entries, written aside as they
/// finished (`report::spill`): it must hold exactly what writing the whole outcomes at once
/// gives, which `merge` of that one report does. Passing, failing, flaky and errored cases;
/// sync, async and step-through.
#[test]
fn the_json_report_put_together_from_finished_cases_is_the_whole_report() {
    let dir = tempdir();
    let report = dir.path().join("run.json");
    let merged = dir.path().join("merged.json");
    let ran = run(&[
        "run",
        "suites",
        "tests/fixtures/run/checks_failing.yaml",
        "tests/fixtures/gate/taglines.yaml",
        "--embedded",
        "--json",
        &report.display().to_string(),
    ]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    let (passed, flaky, failed, ..) = totals(&read_json(&report));
    assert!(passed > 40 && flaky + failed > 0, "{}", ran.all());
    let merging = run(&[
        "merge",
        &report.display().to_string(),
        "--json",
        &merged.display().to_string(),
    ]);
    assert_eq!(merging.code, 1, "{}", merging.all());
    let cases = |path: &std::path::Path| {
        let text = read(path);
        text.split_once("\"cases\": [")
            .map(|(_, cases)| cases.to_owned())
            .unwrap_or_default()
    };
    let (spilled, whole) = (cases(&report), cases(&merged));
    assert!(spilled.len() > 10_000, "{spilled}");
    assert!(
        spilled == whole,
        "the cases differ:\n{spilled}\n---\n{whole}"
    );
}

/// `--json /dev/stdout` with the output sent to a file: the report follows the run's lines in
/// that file, written through the process's own stdout (replacing the file atomically, as a
/// report file is, left the report alone in it).
#[test]
fn a_json_report_to_dev_stdout_follows_the_output_in_a_file() {
    let dir = tempdir();
    let out = dir.path().join("out.txt");
    let file = std::fs::File::create(&out).expect("the output file is made");
    let status = common::flowcheck()
        .args([
            "run",
            "suites/tagline.yaml",
            "--embedded",
            "--json",
            "/dev/stdout",
        ])
        .stdout(file)
        .status()
        .expect("flowcheck runs");
    assert_eq!(status.code(), Some(0));
    let text = read(&out);
    let (lines, report) = text.split_once("{\n").unwrap_or_default();
    assert!(lines.contains("Summary ["), "{text}");
    let report: Value = serde_json::from_str(&format!("{{\n{report}")).unwrap_or_default();
    assert_eq!(report["totals"]["passed"], 1, "{text}");
}

#[test]
fn each_failed_run_level_expectation_points_at_its_own_line() {
    let sim = Sim::start();
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let result = sim.run(&[
        "tests/fixtures/run/key_lines.yaml",
        "--json",
        json.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    let report = read_json(&json);
    let checks = &report["cases"][0]["attempts"][0]["checks"];
    let line = |label: &str| {
        checks
            .as_array()
            .and_then(|all| all.iter().find(|c| c["label"] == label))
            .map(|c| c["line"].clone())
    };
    // `output` is on line 7, and each of these on its own line below it; each bound of
    // `latency` on its own (`max` on line 11, `min` on 12).
    assert_eq!(line("latency >= 2s"), Some(12.into()), "{checks}");
    assert_eq!(line("latency <= 1h"), Some(11.into()), "{checks}");
    assert_eq!(line("block_count is 4"), Some(13.into()), "{checks}");
    assert_eq!(line("status is failed"), Some(15.into()), "{checks}");
    // A refusal expected of a flow that ran: at `error`'s value (its first key, line 20).
    let refused = &report["cases"][1]["attempts"][0]["checks"][0];
    assert_eq!(refused["line"], 20, "{refused}");
    // Refused otherwise than expected: `code` (line 27) then `http` (28), as written.
    let other = &report["cases"][2]["attempts"][0]["checks"];
    assert_eq!(other[0]["label"], "error.code is NOPE", "{other}");
    assert_eq!(
        (other[0]["line"].clone(), other[1]["line"].clone()),
        (27.into(), 28.into()),
        "{other}"
    );
    assert!(
        result.stdout.contains("✗ status is failed  (line 15)"),
        "{}",
        result.stdout
    );
}

#[test]
fn a_report_named_dash_is_refused_rather_than_written_to_a_file_named_dash() {
    let dir = tempdir();
    let result = common::Run::from(
        common::flowcheck()
            .args(["run", "--embedded", "--json", "-"])
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/triage.yaml"))
            .current_dir(dir.path())
            .output()
            .expect("runs"),
    );
    result.assert_refused("`-` is not read as stdout here");
    assert!(!dir.path().join("-").exists());

    // Nor is a folder named `-` made for a recording, man pages or a new suite.
    let suite = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/triage.yaml");
    let suite = suite.to_str().unwrap_or_default();
    for args in [
        &["run", "--embedded", "--record", "-", suite][..],
        &["run", "--replay", "-", suite],
        &["man", "--dir", "-"],
        &["init", "demo/support/triage", "--dir", "-"],
    ] {
        let result = common::Run::from(
            common::flowcheck()
                .args(args)
                .current_dir(dir.path())
                .output()
                .expect("runs"),
        );
        result.assert_refused("`-` is neither stdout nor stdin here: name a folder");
        assert!(!dir.path().join("-").exists(), "{args:?}");
    }
}

/// A suite with problems runs nothing; its JUnit report says why, and the last run's report
/// at that path (green, say) does not stay there for CI to publish.
#[test]
fn suite_problems_replace_the_junit_report_with_one_error_each() {
    let dir = tempdir();
    let junit = dir.path().join("report.xml");
    std::fs::write(&junit, "<testsuites name=\"the last run\" tests=\"29\"/>").unwrap_or_default();
    let result = run(&[
        "run",
        "tests/fixtures/invalid/reader_errors_in_several_cases.yaml",
        "--embedded",
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    result.assert_refused("the suites have 5 problems; nothing was sent");
    let xml = common::read(&junit);
    assert!(!xml.contains("the last run"), "{xml}");
    assert!(xml.contains("errors=\"5\""), "{xml}");
    assert!(
        xml.contains(
            "<testcase name=\"tests/fixtures/invalid/reader_errors_in_several_cases.yaml:5:5\""
        ),
        "{xml}"
    );
    assert!(xml.contains("type=\"suite error\""), "{xml}");
    common::assert_valid_junit(&junit);
    // Which files the run reads is not known then: a path that holds anything but a JUnit
    // report (the suite itself, named by mistake) is left as it is.
    let suite = dir.path().join("bad.yaml");
    let text = common::read(std::path::Path::new(
        "tests/fixtures/invalid/reader_errors_in_several_cases.yaml",
    ));
    std::fs::write(&suite, &text).unwrap_or_default();
    let suite = suite.to_str().unwrap_or_default();
    let result = run(&["run", suite, "--embedded", "--junit", suite]);
    result.assert_refused("the JUnit report would overwrite");
    assert_eq!(common::read(std::path::Path::new(suite)), text);
    // Nor is a file that merely mentions `<testsuites>` taken for an earlier report.
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "# notes\nthe root is `<testsuites>`.\n").unwrap_or_default();
    let notes = notes.to_str().unwrap_or_default();
    let result = run(&["run", suite, "--embedded", "--junit", notes]);
    result.assert_refused("is there and was not written by flowcheck, so nothing is written there");
    assert!(common::read(std::path::Path::new(notes)).starts_with("# notes"));
    // In a folder named as suites, any file may be one the run reads: an empty one (a suite
    // being written) is left alone, and no report is made there.
    let folder = dir.path().join("suites");
    std::fs::create_dir_all(folder.join("__snapshots__")).unwrap_or_default();
    std::fs::write(folder.join("bad.yaml"), &text).unwrap_or_default();
    std::fs::write(folder.join("empty.yaml"), "").unwrap_or_default();
    let in_folder = |name: &str| folder.join(name).to_string_lossy().into_owned();
    let folder_arg = folder.to_string_lossy().into_owned();
    for (junit, why) in [
        ("empty.yaml", "is there and was not written by flowcheck"),
        (
            "__snapshots__/j.xml",
            "is in a folder of suites this command reads",
        ),
    ] {
        let path = in_folder(junit);
        let result = run(&["run", &folder_arg, "--embedded", "--junit", &path]);
        result.assert_refused(why);
    }
    assert_eq!(common::read(&folder.join("empty.yaml")), "");
    assert!(!folder.join("__snapshots__/j.xml").exists());
    // Nor the JUnit report of the last run that `--only-failed` was given to read.
    let last = dir.path().join("last.xml");
    std::fs::write(&last, "<testsuites name=\"the last run\"/>").unwrap_or_default();
    let last = last.to_str().unwrap_or_default();
    let result = run(&[
        "run",
        suite,
        "--embedded",
        "--only-failed",
        last,
        "--junit",
        last,
    ]);
    result.assert_refused("the JUnit report would overwrite");
    assert!(common::read(std::path::Path::new(last)).contains("the last run"));
}

/// A command line that cannot be read (a flag misspelt) replaces an earlier JUnit report at
/// its `--junit` path with one saying so; it writes no report where none was, and never over a
/// file that is not a JUnit report.
#[test]
fn a_misspelt_flag_replaces_the_earlier_junit_report() {
    let dir = tempdir();
    let junit = dir.path().join("report.xml");
    let path = junit.to_str().unwrap_or_default();
    let equals = format!("--junit={path}");
    for junit_args in [vec!["--junit", path], vec![equals.as_str()]] {
        std::fs::write(&junit, "<testsuites name=\"the last run\" tests=\"29\"/>")
            .unwrap_or_default();
        let mut args = vec!["--color", "never", "run", "suites/triage.yaml"];
        args.extend(&junit_args);
        args.extend(["--jbos", "4"]);
        let result = run(&args);
        assert_eq!(result.code, 2, "{}", result.all());
        assert!(
            result.stderr.contains("unexpected argument '--jbos' found"),
            "{}",
            result.all()
        );
        let xml = common::read(&junit);
        assert!(!xml.contains("the last run"), "{junit_args:?}: {xml}");
        assert!(
            xml.contains("<testsuite name=\"run refused (nothing was sent)\" tests=\"1\""),
            "{xml}"
        );
        assert!(
            xml.contains(
                "message=\"the command line could not be read: unexpected argument &apos;--jbos&apos; found\""
            ),
            "{xml}"
        );
        common::assert_valid_junit(&junit);
    }
    // Not a JUnit report, or nothing there: left as it is.
    std::fs::write(&junit, "my notes").unwrap_or_default();
    let result = run(&["run", "suites/triage.yaml", "--junit", path, "--jbos", "4"]);
    assert_eq!(result.code, 2, "{}", result.all());
    assert_eq!(common::read(&junit), "my notes");
    let none = dir.path().join("none.xml");
    let none_path = none.to_str().unwrap_or_default();
    let result = run(&[
        "run",
        "suites/triage.yaml",
        "--junit",
        none_path,
        "--jbos",
        "4",
    ]);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(!none.exists());
    // --help is no refusal.
    std::fs::write(&junit, "<testsuites name=\"the last run\" tests=\"29\"/>").unwrap_or_default();
    let result = run(&["run", "--junit", path, "--help"]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(common::read(&junit).contains("the last run"));
}

/// Any run refused before it sends anything (a selection that matches nothing, a flow with no
/// key, another report's path) replaces the JUnit report with one error saying why; one
/// refused for the JUnit report's own path writes none.
#[test]
fn a_refused_run_s_junit_report_says_why() {
    let dir = tempdir();
    let junit = dir.path().join("report.xml");
    let path = junit.to_str().unwrap_or_default();
    let refusals = [
        (
            vec!["--embedded", "--tag", "nosuch"],
            "no case matches the selection (no case is tagged nosuch",
        ),
        (
            vec!["--url", "http://127.0.0.1:9"],
            "no API key: set NOUKAI_API_KEY for every project, or a key for each: NOUKAI_API_KEY_DEMO_SUPPORT (demo/support), NOUKAI_API_KEY_DEMO_EVAL (demo/eval); or pass --api-key-file PATH",
        ),
    ];
    for (args, why) in refusals {
        std::fs::write(&junit, "<testsuites name=\"the last run\" tests=\"29\"/>")
            .unwrap_or_default();
        let result = common::Run::from(
            common::flowcheck()
                .args(["run", "suites/triage.yaml", "--junit", path])
                .args(&args)
                .env_remove("NOUKAI_API_KEY")
                .env_remove("NOUKAI_API_URL")
                .output()
                .expect("runs"),
        );
        result.assert_refused(why);
        let xml = common::read(&junit);
        assert!(!xml.contains("the last run"), "{args:?}: {xml}");
        assert!(
            xml.contains("<testsuite name=\"run refused (nothing was sent)\" tests=\"1\""),
            "{xml}"
        );
        assert!(xml.contains(&format!("message=\"{why}")), "{xml}");
        assert!(xml.contains("type=\"usage error\""), "{xml}");
        common::assert_valid_junit(&junit);
    }
    // Refused for the JSON report's path (over the suite): the earlier JUnit report, which
    // the run does not read, says so.
    std::fs::write(&junit, "<testsuites name=\"the last run\" tests=\"29\"/>").unwrap_or_default();
    let result = run(&[
        "run",
        "suites/triage.yaml",
        "--embedded",
        "--junit",
        path,
        "--json",
        "suites/triage.yaml",
    ]);
    result.assert_refused("the JSON report would overwrite suites/triage.yaml");
    let xml = common::read(&junit);
    assert!(!xml.contains("the last run"), "{xml}");
    assert!(
        xml.contains("message=\"the JSON report would overwrite suites/triage.yaml"),
        "{xml}"
    );
    common::assert_valid_junit(&junit);
    // A report given to read, refused for what it is, is not replaced by the refusal.
    std::fs::write(&junit, "<testsuites name=\"the last run\" tests=\"29\"/>").unwrap_or_default();
    let result = run(&[
        "run",
        "suites/triage.yaml",
        "--embedded",
        "--only-failed",
        path,
        "--junit",
        path,
    ]);
    result.assert_refused("the JUnit report would overwrite");
    assert!(common::read(&junit).contains("the last run"));
    // The report's own path is what is wrong: nothing is written there.
    let suite = std::path::Path::new("suites/triage.yaml");
    let before = common::read(suite);
    let result = run(&[
        "run",
        "suites/triage.yaml",
        "--embedded",
        "--junit",
        "suites/triage.yaml",
    ]);
    result.assert_refused("nothing was sent");
    assert_eq!(common::read(suite), before);
    // Nor over the flow definitions `--flows` gives the simulator.
    let flows = dir.path().join("flows.yaml");
    std::fs::copy("examples/flows/docs-summarize.yaml", &flows).unwrap_or_default();
    let defined = common::read(&flows);
    let flows = flows.to_string_lossy().into_owned();
    let result = run(&[
        "run",
        "suites/triage.yaml",
        "--embedded",
        "--flows",
        &flows,
        "--junit",
        &flows,
    ]);
    result.assert_refused("the --flows definition, which this command reads");
    assert_eq!(common::read(std::path::Path::new(&flows)), defined);
}
