//! SIGINT and SIGTERM in every phase of a run: loading, running, polling, writing reports.
//! Each leaves valid reports (or none, when the run had not started) and never a partial or
//! temporary file; a second signal quits at once. Every wait is for an event (a line printed,
//! a request seen by the server, a FIFO opened), never a sleep.

mod common;
mod fault_server;

use common::{assert_valid_junit, read_json, tempdir};
use fault_server::FaultServer;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, ChildStdout, Stdio};

const KEY: &str = "nk_test_interrup_0123456789abcdef0123456789abcdef";

struct Running {
    child: Child,
    stdout: BufReader<ChildStdout>,
    stderr: BufReader<ChildStderr>,
    reports: tempfile::TempDir,
}

impl Running {
    fn junit(&self) -> PathBuf {
        self.reports.path().join("junit.xml")
    }

    fn json(&self) -> PathBuf {
        self.reports.path().join("report.json")
    }

    fn signal(&self, name: &str) {
        let sent = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "kill -{name} failed");
    }

    /// Read `stdout` or `stderr` until a line containing `needle`; returns what was read.
    fn wait_stdout(&mut self, needle: &str) -> String {
        wait_line(&mut self.stdout, needle)
    }

    fn wait_stderr(&mut self, needle: &str) -> String {
        wait_line(&mut self.stderr, needle)
    }

    /// Once the server holds a call (`request <flow>`), send `signal`, and wait until the run
    /// says it is finishing the calls in flight.
    fn stop_when_held(&mut self, server: &FaultServer, flow: &str, signal: &str) {
        server.wait_for(&format!("request {flow}"));
        self.signal(signal);
        self.wait_stderr("interrupted: finishing calls in flight");
    }

    /// Wait for the exit; returns the exit code (128 + n for a signal) and all output.
    fn finish(mut self) -> (i32, String, tempfile::TempDir) {
        let mut rest = String::new();
        let _ = self.stdout.read_to_string(&mut rest);
        let _ = self.stderr.read_to_string(&mut rest);
        let status = self.child.wait().expect("flowcheck exits");
        let code = status.code().unwrap_or_else(|| {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        });
        (code, rest, self.reports)
    }
}

fn wait_line(reader: &mut impl BufRead, needle: &str) -> String {
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        let read = reader.read_line(&mut line).expect("a line");
        assert!(read > 0, "the output ended before {needle:?}:\n{seen}");
        seen.push_str(&line);
        if line.contains(needle) {
            return seen;
        }
    }
}

fn start(server: &FaultServer, suites: &[&Path]) -> Running {
    start_with(server, suites, &[])
}

fn start_with(server: &FaultServer, suites: &[&Path], extra: &[&std::ffi::OsStr]) -> Running {
    start_reporting(server, suites, extra, None)
}

/// [`start_with`], writing the JUnit report to `junit` rather than beside the JSON report.
fn start_reporting(
    server: &FaultServer,
    suites: &[&Path],
    extra: &[&std::ffi::OsStr],
    junit: Option<&Path>,
) -> Running {
    let reports = tempdir();
    let junit = junit.map_or_else(|| reports.path().join("junit.xml"), Path::to_path_buf);
    let mut child = common::flowcheck()
        .arg("run")
        .args(suites)
        .args(extra)
        .arg("--junit")
        .arg(junit)
        .arg("--json")
        .arg(reports.path().join("report.json"))
        .env("NOUKAI_API_URL", &server.url)
        .env("NOUKAI_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowcheck starts");
    Running {
        stdout: BufReader::new(child.stdout.take().expect("stdout")),
        stderr: BufReader::new(child.stderr.take().expect("stderr")),
        child,
        reports,
    }
}

/// The suite file `file` in `dir`, holding `text`.
fn write_suite(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("the suite is written");
    path
}

fn suite(dir: &Path, name: &str, flow: &str, mode: &str, cases: usize) -> PathBuf {
    let mut text = format!("suite: {name}\nflow: faults/fc/{flow}\nmode: {mode}\ncases:\n");
    for i in 0..cases {
        text.push_str(&format!("  - name: {name} {i}\n    message: hi\n"));
    }
    write_suite(dir, &format!("{name}.yaml"), &text)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn status_of(report: &serde_json::Value, case: &str) -> String {
    report["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["case"] == case))
        .map(|c| c["status"].as_str().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

fn interrupted_while_loading(signal: &str) {
    let server = FaultServer::start();
    let dir = tempdir();
    let ok = suite(dir.path(), "ok", "ok", "sync", 1);
    // A suite that is a fifo is refused unread; the report `--only-failed` names may be a pipe
    // (`<(...)`), read as the run prepares, before anything is sent.
    let fifo = dir.path().join("last.json");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let running = start_with(&server, &[&ok], &["--only-failed".as_ref(), fifo.as_ref()]);
    // Opening the FIFO for writing returns once flowcheck opened it to read the report: it is
    // now preparing the run, and blocks there until the report arrives.
    let writer = std::fs::OpenOptions::new()
        .write(true)
        .open(&fifo)
        .expect("flowcheck opens the report");
    running.signal(signal);
    let (code, output, reports) = running.finish();
    drop(writer);
    assert!(
        code == 130 || code == 128 + if signal == "INT" { 2 } else { 15 },
        "exit {code}: {output}"
    );
    assert_eq!(server.requests("ok"), 0, "nothing was sent");
    assert!(
        files_in(reports.path()).is_empty(),
        "no report (and no temporary file) from a run that never started: {:?}",
        files_in(reports.path())
    );
}

#[test]
fn sigint_while_loading_leaves_no_report() {
    interrupted_while_loading("INT");
}

#[test]
fn sigterm_while_loading_leaves_no_report() {
    interrupted_while_loading("TERM");
}

/// The held call is still in flight when its grace period ends: it was sent (and may have
/// cost) but has no verdict, so it is an error of type "interrupted", not skipped like a case
/// never started; the run still exits 130.
#[test]
fn sigterm_while_running_writes_valid_reports_and_errs_the_case_cut_in_flight() {
    let server = FaultServer::start();
    let dir = tempdir();
    let held = suite(dir.path(), "held", "held", "sync", 1);
    let ok = suite(dir.path(), "ok", "ok", "sync", 1);
    let mut running = start(&server, &[&held, &ok]);
    server.wait_for("request held");
    running.wait_stdout("PASS");
    running.signal("TERM");
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    assert_eq!(files_in(reports.path()), ["junit.xml", "report.json"]);
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(report["stopped"], "interrupted");
    assert_eq!(status_of(&report, "held 0"), "interrupted");
    assert_eq!(status_of(&report, "ok 0"), "passed");
    assert_eq!(report["totals"]["errored"], 1, "{report}");
    assert_eq!(report["totals"]["interrupted"], 1, "{report}");
    assert_eq!(report["totals"]["not_run"], 0, "{report}");
    let cut = "Ctrl-C (or SIGTERM) cut it while its call was in flight, after ";
    assert!(output.contains(cut), "{output}");
    assert!(
        output
            .contains("2 cases: 1 passed, 0 flaky, 0 failed, 1 errored (1 interrupted), 0 not run"),
        "{output}"
    );
    let junit = common::read(&reports.path().join("junit.xml"));
    assert!(
        junit.contains(&format!(r#"type="interrupted">{cut}"#))
            && junit.contains(r#"tests="2" skipped="0" failures="0" errors="1""#)
            && !junit.contains("<skipped"),
        "{junit}"
    );
    assert_valid_junit(&reports.path().join("junit.xml"));
}

/// Calls in flight get their grace period: a call that answers after the signal (the server
/// holds it until the run has said it was interrupted) is judged and passes, and the run still
/// exits 130 as interrupted. (A stop that cut calls at once would leave it not run.)
#[test]
fn a_call_in_flight_that_answers_within_the_grace_period_counts() {
    let server = FaultServer::start();
    let dir = tempdir();
    let held = suite(dir.path(), "held", "held", "sync", 1);
    let mut running = start(&server, &[&held]);
    running.stop_when_held(&server, "held", "TERM");
    server.release();
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(report["stopped"], "interrupted", "{report}");
    assert_eq!(status_of(&report, "held 0"), "passed", "{report}");
    assert_valid_junit(&reports.path().join("junit.xml"));
}

/// A repeated case whose first attempt answers within the grace period, and whose others
/// never start, was started: its call was made (and failed its check here), but the attempts
/// that ran do not decide it (two of three had to pass, and two had not run). It is
/// interrupted (an error that keeps the finished attempt's failure), not skipped like a case
/// never started.
#[test]
fn a_case_stopped_between_its_attempts_is_interrupted_not_skipped() {
    let server = FaultServer::start();
    let dir = tempdir();
    let held = write_suite(
        dir.path(),
        "repeated.yaml",
        "suite: repeated\nflow: faults/fc/held\ncases:\n  - name: thrice\n    repeat: 3\n    pass_if: 2/3\n    message: hi\n    expect: {output: [{path: $.ok, equals: false}]}\n",
    );
    let mut running = start_with(&server, &[&held], &["-j".as_ref(), "1".as_ref()]);
    running.stop_when_held(&server, "held", "INT");
    server.release();
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(status_of(&report, "thrice"), "interrupted", "{report}");
    assert_eq!(report["totals"]["errored"], 1, "{report}");
    assert_eq!(report["totals"]["interrupted"], 1, "{report}");
    assert_eq!(report["totals"]["not_run"], 0, "{report}");
    let why = "Ctrl-C (or SIGTERM) stopped it after 1 of its 3 attempts, before the others started";
    assert!(output.contains(why), "{output}");
    // The finished attempt's failure is shown, not hidden behind "not run".
    assert!(output.contains("$.ok equals false"), "{output}");
    assert!(
        output
            .contains("1 case: 0 passed, 0 flaky, 0 failed, 1 errored (1 interrupted), 0 not run"),
        "{output}"
    );
    let junit = common::read(&reports.path().join("junit.xml"));
    assert!(
        junit.contains(&format!(r#"type="interrupted">{why}"#))
            && junit.contains("<rerunFailure")
            && !junit.contains("<skipped"),
        "{junit}"
    );
    assert_valid_junit(&reports.path().join("junit.xml"));
}

/// When the attempts that ran decide a repeated case whatever the others would give, a stop
/// that keeps the others from running does not hide the verdict: one failure where both had to
/// pass fails the case, and one pass where one of two had to pass passes it. Each says what
/// decided it. (Before, both were *interrupted*.)
#[test]
fn a_case_its_finished_attempts_decide_keeps_its_verdict_at_a_stop() {
    let dir = tempdir();
    for (name, pass_if, equals, status) in [
        ("must all pass", "2/2", "false", "failed"),
        ("one will do", "1/2", "true", "passed"),
    ] {
        let suite = write_suite(
            dir.path(),
            &format!("{status}.yaml"),
            &format!(
                "suite: decided\nflow: faults/fc/held\ncases:\n  - name: {name}\n    repeat: 2\n    pass_if: {pass_if}\n    message: hi\n    expect: {{output: [{{path: $.ok, equals: {equals}}}]}}\n"
            ),
        );
        // A server of its own: each run's first call is held until released.
        let server = FaultServer::start();
        let mut running = start_with(&server, &[&suite], &["-j".as_ref(), "1".as_ref()]);
        running.stop_when_held(&server, "held", "INT");
        server.release();
        let (code, output, reports) = running.finish();
        assert_eq!(code, 130, "{output}");
        let report = read_json(&reports.path().join("report.json"));
        let case = &report["cases"][0];
        assert_eq!(case["status"], status, "{report}");
        assert_eq!(
            case["reason"],
            format!(
                "decided by 1 of its 2 attempts ({} had to pass); Ctrl-C (or SIGTERM) stopped the other 1",
                &pass_if[..1]
            ),
            "{report}"
        );
        assert_eq!(report["totals"]["interrupted"], 0, "{report}");
        assert_eq!(report["stopped"], "interrupted", "{report}");
        assert_valid_junit(&reports.path().join("junit.xml"));
    }
}

/// A stop sends nothing new: an attempt waiting out a `Retry-After` pause when Ctrl-C comes is
/// cut there, at once (no grace: no call is in flight), and says what it waited after; the
/// retry is never sent. The deadline cuts it the same way.
#[test]
fn an_attempt_waiting_to_retry_is_cut_at_a_stop_and_its_retry_never_sent() {
    let server = FaultServer::start();
    let dir = tempdir();
    let flow = "rate-limit-retry-after-long";
    let waiting = write_suite(
        dir.path(),
        "waiting.yaml",
        &format!(
            "suite: waiting\nflow: faults/fc/{flow}\ncases:\n  - name: rate limited\n    timeout: 10m\n    message: hi\n"
        ),
    );
    let answer = "(the last answer: HTTP 429 RATE_LIMITED: come back in two minutes)";

    let running = start(&server, &[&waiting]);
    server.wait_for(&format!("request {flow}"));
    running.signal("INT");
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(
        status_of(&report, "rate limited"),
        "interrupted",
        "{report}"
    );
    let why = format!("Ctrl-C (or SIGTERM) cut it while it waited to retry {answer}, after ");
    assert!(output.contains(&why), "{output}");
    assert!(!output.contains("in flight, after"), "{output}");
    assert_eq!(
        server.requests(flow),
        1,
        "the retry was sent after the stop"
    );
    assert_valid_junit(&reports.path().join("junit.xml"));

    let running = start_with(
        &server,
        &[&waiting],
        &["--deadline".as_ref(), "1s".as_ref()],
    );
    let (code, output, _reports) = running.finish();
    assert_eq!(code, 1, "{output}");
    let why = format!("the run's deadline cut it while it waited to retry {answer}, after ");
    assert!(output.contains(&why), "{output}");
    assert_eq!(server.requests(flow), 2, "one call a run, no retry");
}

/// The same for a grader (a `judge` check) waiting to retry: the flow has answered, its grader
/// answered 429, and Ctrl-C cuts the pause; the grader's retry is never sent.
#[test]
fn a_grader_waiting_to_retry_is_cut_at_a_stop_too() {
    let server = FaultServer::start();
    let dir = tempdir();
    let grader = "rate-limit-retry-after-long";
    let graded = write_suite(
        dir.path(),
        "graded.yaml",
        &format!(
            "suite: graded\nflow: faults/fc/ok\ncases:\n  - name: graded\n    timeout: 10m\n    message: hi\n    expect:\n      output:\n        - {{path: $.ok, judge: {{flow: faults/fc/{grader}, rubric: polite}}}}\n"
        ),
    );
    let running = start(&server, &[&graded]);
    server.wait_for(&format!("request {grader}"));
    running.signal("INT");
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(status_of(&report, "graded"), "interrupted", "{report}");
    let why = "Ctrl-C (or SIGTERM) cut it while its grader waited to retry (the last answer: HTTP 429 RATE_LIMITED: come back in two minutes), after ";
    assert!(output.contains(why), "{output}");
    assert!(output.contains("; the flow had answered"), "{output}");
    assert_eq!(
        server.requests(grader),
        1,
        "the grader's retry was sent after the stop"
    );
    assert_flow_answer_kept(&report, "graded");
}

/// A grader's call still in flight when the grace period ends is cut, and the flow's answer,
/// which had come, is kept in the report with its attempt (before, the case had no attempt).
#[test]
fn a_grader_cut_in_flight_keeps_the_flows_answer() {
    let server = FaultServer::start();
    let dir = tempdir();
    let graded = write_suite(
        dir.path(),
        "graded.yaml",
        "suite: graded\nflow: faults/fc/ok\ncases:\n  - name: graded\n    message: hi\n    expect:\n      output:\n        - {path: $.ok, judge: {flow: faults/fc/held, rubric: polite}}\n",
    );
    let mut running = start(&server, &[&graded]);
    running.stop_when_held(&server, "held", "INT");
    // Never released: the grace period ends with the grader's call in flight.
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(status_of(&report, "graded"), "interrupted", "{report}");
    let why = "Ctrl-C (or SIGTERM) cut it while its grader was asked (a `judge` check), after ";
    assert!(output.contains(why), "{output}");
    assert!(output.contains("; the flow had answered"), "{output}");
    assert_flow_answer_kept(&report, "graded");
    let message = &report["cases"][0]["attempts"][0]["result"]["message"];
    assert_eq!(
        message, "not graded: the run stopped while the grader faults/fc/held@production was asked",
        "{report}"
    );
    assert_valid_junit(&reports.path().join("junit.xml"));
}

/// The case's one attempt holds the flow's answer (`{"ok": true}`, from the healthy flow).
fn assert_flow_answer_kept(report: &serde_json::Value, case: &str) {
    let case = report["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["case"] == case))
        .unwrap_or_else(|| panic!("no case {case}: {report}"));
    let attempts = case["attempts"].as_array().expect("attempts");
    assert_eq!(attempts.len(), 1, "{case}");
    assert_eq!(
        attempts[0]["observation"]["reply"]["result"]["ok"], true,
        "{case}"
    );
}

/// The grace period is time the run goes on: a job in flight is polled again after the
/// signal, and when it completes then, its case passes. (With no grace, or a grace shorter
/// than the pause between two polls, no poll follows the signal.)
#[test]
fn a_job_in_flight_is_polled_through_the_grace_period_and_counts() {
    let server = FaultServer::start();
    let dir = tempdir();
    let jobs = suite(dir.path(), "job", "job-held", "async", 1);
    let mut running = start(&server, &[&jobs]);
    server.wait_for("request job-held poll");
    running.signal("TERM");
    running.wait_stderr("interrupted: finishing calls in flight");
    let polls = server.count("request job-held poll");
    server.wait_for_count("request job-held poll", polls + 1);
    server.release();
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(report["stopped"], "interrupted", "{report}");
    assert_eq!(status_of(&report, "job 0"), "passed", "{report}");
    assert_valid_junit(&reports.path().join("junit.xml"));
}

#[test]
fn sigint_while_polling_a_job_writes_valid_reports() {
    let server = FaultServer::start();
    let dir = tempdir();
    let jobs = suite(dir.path(), "jobs", "job-never-finishes", "async", 2);
    let running = start(&server, &[&jobs]);
    server.wait_for("request job-never-finishes poll");
    running.signal("INT");
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    assert!(output.contains("interrupted"), "{output}");
    assert_eq!(files_in(reports.path()), ["junit.xml", "report.json"]);
    let report = read_json(&reports.path().join("report.json"));
    assert_eq!(report["stopped"], "interrupted");
    // Both jobs were submitted: cut in flight, not skipped. Every case that ended is an
    // error, yet the exit code is the interrupt's (130), not the infrastructure's (3).
    assert_eq!(report["totals"]["interrupted"], 2, "{report}");
    assert_eq!(report["totals"]["errored"], 2, "{report}");
    assert_eq!(report["totals"]["not_run"], 0, "{report}");
    assert_valid_junit(&reports.path().join("junit.xml"));
}

#[test]
fn a_second_sigint_quits_at_once_without_leaving_files() {
    let server = FaultServer::start();
    let dir = tempdir();
    let held = suite(dir.path(), "held", "held", "sync", 1);
    let mut running = start(&server, &[&held]);
    running.stop_when_held(&server, "held", "INT");
    running.signal("INT");
    let (code, output, reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    assert!(
        output.contains("interrupted twice: quitting now"),
        "{output}"
    );
    assert!(
        files_in(reports.path()).is_empty(),
        "{:?}",
        files_in(reports.path())
    );
}

/// A run cut short (here, interrupted twice) leaves no earlier JUnit report at its path for a
/// job to publish as its own: from its start, the path says the run did not finish.
#[test]
fn a_run_cut_short_leaves_no_earlier_junit_report_standing() {
    let server = FaultServer::start();
    let dir = tempdir();
    let held = suite(dir.path(), "held", "held", "sync", 1);
    let junit = dir.path().join("junit.xml");
    std::fs::write(
        &junit,
        "<testsuites name=\"the last run\" tests=\"4\" failures=\"0\"/>",
    )
    .expect("the earlier report is written");
    let mut running = start_reporting(&server, &[&held], &[], Some(&junit));
    running.stop_when_held(&server, "held", "INT");
    running.signal("INT");
    let (code, output, _reports) = running.finish();
    assert_eq!(code, 130, "{output}");
    let xml = common::read(&junit);
    assert!(!xml.contains("the last run"), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"run did not finish\" tests=\"1\""),
        "{xml}"
    );
    assert!(xml.contains("type=\"unfinished\""), "{xml}");
    assert_valid_junit(&junit);
}

#[test]
fn a_second_sigint_while_reports_are_written_quits_and_leaves_no_temporary_file() {
    let server = FaultServer::start();
    let dir = tempdir();
    // 100 results of 20,000 numbers each: a large JSON report, which takes a while to write.
    let big = suite(dir.path(), "big", "big", "sync", 100);
    // The JUnit report goes into a fifo nobody reads: writing it waits, so the signals surely
    // come while the reports are being written (a fast machine could finish them first).
    let fifo = dir.path().join("junit-fifo.xml");
    common::mkfifo(&fifo);
    let mut running = start_reporting(&server, &[&big], &[], Some(&fifo));
    running.wait_stdout("Summary");
    // The run is over; the reports are being written now.
    running.signal("INT");
    running.wait_stderr("interrupted:");
    running.signal("INT");
    let (junit, json) = (running.junit(), running.json());
    let (code, output, reports) = running.finish();
    assert_eq!(
        code, 130,
        "the second signal quits even while reports are written: {output}"
    );
    let files = files_in(reports.path());
    assert!(
        files.iter().all(|f| f == "junit.xml" || f == "report.json"),
        "only complete reports remain, no temporary file: {files:?}"
    );
    if junit.exists() {
        assert_valid_junit(&junit);
    }
    if json.exists() {
        assert_eq!(read_json(&json)["totals"]["passed"], 100);
    }
}
