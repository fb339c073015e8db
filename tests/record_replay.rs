//! `--record` keeps every response (never the key, never a signed URL's query); `--replay`
//! answers a later run from the recording with no server at all, with the same results.

mod common;
mod fault_server;

use common::{Sim, read, read_json, tempdir};

fn essence(report: &serde_json::Value) -> Vec<(String, String, String, String)> {
    report["cases"]
        .as_array()
        .map(|cases| {
            cases
                .iter()
                .map(|c| {
                    (
                        c["suite"].to_string(),
                        c["case"].to_string(),
                        c["target"].to_string(),
                        c["status"].to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_recorded_run_replays_with_no_server_and_the_same_results() {
    let key = "nk_test_record01_r3c0rdr3c0rdr3c0rdr3c0rdr3c0rdzz";
    let dir = tempdir();
    let recording = dir.path().join("recording");
    let (first, second) = (
        dir.path().join("first.json"),
        dir.path().join("second.json"),
    );
    {
        let sim = Sim::start_with(&["--api-key", key]);
        let (recording_dir, first_json) =
            (recording.display().to_string(), first.display().to_string());
        let recorded = sim.run(&[
            "suites",
            "tests/fixtures/run/signed_urls.yaml",
            "--record",
            &recording_dir,
            "--json",
            &first_json,
        ]);
        assert_eq!(recorded.code, 0, "{}", recorded.all());
        assert!(
            recorded.stdout.contains("recorded ") && recorded.stdout.contains("recording.jsonl"),
            "{}",
            recorded.stdout
        );
    }
    let text = read(&recording.join("recording.jsonl"));
    assert!(
        !text.contains(key) && !text.contains("r3c0rd"),
        "the key is in the recording"
    );
    assert!(
        !text.contains("s3cr3tsignature"),
        "a signed URL's query is in the recording"
    );
    assert!(
        text.contains("cat.png?[redacted]"),
        "the signed URL is kept, without its query"
    );

    // The simulator is gone; no URL and no key are set.
    let replayed = common::run(&[
        "run",
        "suites",
        "tests/fixtures/run/signed_urls.yaml",
        "--replay",
        recording.to_str().unwrap_or_default(),
        "--json",
        second.to_str().unwrap_or_default(),
    ]);
    assert_eq!(replayed.code, 0, "{}", replayed.all());
    assert!(
        replayed.stdout.contains("against the recording in"),
        "{}",
        replayed.stdout
    );
    assert_eq!(essence(&read_json(&second)), essence(&read_json(&first)));
}

#[test]
fn a_request_that_was_not_recorded_is_a_clear_error() {
    let dir = tempdir();
    let recording = dir.path().join("recording");
    record_broken_suite(&recording);
    let replayed = common::run(&[
        "run",
        "suites/report.yaml",
        "--replay",
        recording.to_str().unwrap_or_default(),
    ]);
    assert_eq!(replayed.code, 3, "{}", replayed.all());
    assert!(
        replayed.stdout.contains(
            "HTTP 404 NOT_RECORDED: nothing was recorded for POST /api/v1/seq/demo/long/report/jobs"
        ),
        "{}",
        replayed.stdout
    );
    let missing = common::run(&["run", "suites/broken.yaml", "--replay", "no/such/folder"]);
    assert_eq!(missing.code, 2, "{}", missing.all());
    assert!(
        missing
            .stderr
            .contains("cannot read the recording no/such/folder/recording.jsonl"),
        "{}",
        missing.stderr
    );
}

/// A recording that is a fifo was opened and waited on for ever (Ctrl-C did not help): it is
/// refused at once, as a suite, a data file, a schema or a golden snapshot that is one.
#[cfg(unix)]
#[test]
fn a_recording_that_is_a_fifo_is_refused_without_waiting() {
    let dir = tempdir();
    common::refused_fifo(&dir.path().join("recording.jsonl"));
    let replayed = common::run(&[
        "run",
        "suites/broken.yaml",
        "--replay",
        dir.path().to_str().unwrap_or_default(),
    ]);
    assert_eq!(replayed.code, 2, "{}", replayed.all());
    assert!(
        replayed.stderr.contains(&format!(
            "cannot read the recording {}: not a regular file (a fifo)",
            dir.path().join("recording.jsonl").display()
        )),
        "{}",
        replayed.all()
    );
}

/// A recording edited by hand to a status no HTTP answer has was replayed as a 500: it is
/// refused at its line, as a line that is not JSON is.
#[test]
fn a_recorded_status_that_is_no_http_status_is_refused_at_its_line() {
    let dir = tempdir();
    let recording = dir.path().join("recording");
    record_broken_suite(&recording);
    let file = recording.join("recording.jsonl");
    let text = read(&file);
    let edited: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(index, line)| match index {
            0 => line.replacen("\"status\":200", "\"status\":42", 1),
            _ => line.to_owned(),
        })
        .collect();
    assert_ne!(edited.join("\n") + "\n", text, "the status was not edited");
    std::fs::write(&file, edited.join("\n") + "\n").expect("the recording is edited");
    let replayed = common::run(&[
        "run",
        "suites/broken.yaml",
        "--replay",
        recording.to_str().unwrap_or_default(),
    ]);
    assert_eq!(replayed.code, 2, "{}", replayed.all());
    assert!(
        replayed.stderr.contains(&format!(
            "{}:1: not a recorded exchange: status 42 is not an HTTP status (100 to 599)",
            file.display()
        )),
        "{}",
        replayed.all()
    );
}

/// An empty recording (a run that sent nothing, or a file emptied by hand) is refused before
/// anything runs, where every case erred with `NOT_RECORDED` as if the server were down.
#[test]
fn an_empty_recording_is_refused_up_front() {
    let dir = tempdir();
    std::fs::write(dir.path().join("recording.jsonl"), "\n").expect("the recording is written");
    let folder = dir.path().to_str().unwrap_or_default();
    common::run(&["run", "suites/broken.yaml", "--replay", folder]).assert_refused(&format!(
        "error: the recording {} holds no exchange: record one with `flowcheck run --record {folder}`",
        dir.path().join("recording.jsonl").display()
    ));
}

/// Record a run of `suites/broken.yaml` on the embedded simulator into `recording`.
fn record_broken_suite(recording: &std::path::Path) {
    let recorded = common::run(&[
        "run",
        "suites/broken.yaml",
        "--embedded",
        "--record",
        recording.to_str().unwrap_or_default(),
    ]);
    assert_eq!(recorded.code, 0, "{}", recorded.all());
}

/// A recording that cannot be written at the end (its folder made a file while the run went
/// on) is said, and the run exits 3; its JUnit and JSON reports are written all the same.
#[test]
fn a_recording_not_written_loses_no_report() {
    let server = fault_server::FaultServer::start();
    let dir = tempdir();
    let suite = dir.path().join("held.yaml");
    std::fs::write(
        &suite,
        "suite: held\nflow: faults/fc/held\ncases:\n  - name: held 0\n    message: hi\n",
    )
    .expect("the suite is written");
    let (recording, junit, json) = (
        dir.path().join("recording"),
        dir.path().join("junit.xml"),
        dir.path().join("report.json"),
    );
    let child = common::flowcheck()
        .arg("run")
        .arg(&suite)
        .arg("--record")
        .arg(&recording)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .env("NOUKAI_API_URL", &server.url)
        .env(
            "NOUKAI_API_KEY",
            "nk_test_recorder_0123456789abcdef0123456789abcdef",
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("flowcheck starts");
    server.wait_for("request held");
    let _ = std::fs::remove_dir_all(&recording);
    std::fs::write(&recording, "a file where the folder was").expect("the file is written");
    server.release();
    let result = common::Run::from(child.wait_with_output().expect("flowcheck exits"));
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(
        result
            .stderr
            .contains("error: the recording was not written"),
        "{}",
        result.stderr
    );
    assert_eq!(read_json(&json)["cases"][0]["status"], "passed");
    common::assert_valid_junit(&junit);
    assert!(read(&junit).contains(r#"tests="1""#), "{}", read(&junit));
}
