//! Fault injection: the real binary against a server that misbehaves in every way the issue
//! lists (tests/fault_server). For each fault: flowcheck keeps running (a healthy case in the
//! same run still passes), the affected case gets a precise error (JUnit `<error>`, never
//! `<failure>`), only what is safe is retried (counted on the server), deadlines hold, memory
//! stays bounded (the 100 MB and the 2,000,000-value bodies, in every mode, are measured: the
//! process's peak resident memory stays under [`MEMORY_LIMIT`]), and the reports are complete
//! and valid.
//!
//! The test also writes the README's "Faults and what flowcheck does" table from what it saw
//! (`target/fault-table.md`) and fails when the README's copy differs, so the table cannot
//! drift. `UPDATE_FAULT_TABLE=1 cargo test --test faults` rewrites the README's copy.

mod common;
mod fault_server;

use common::{assert_valid_junit, read, read_json, tempdir};
use fault_server::{FaultServer, HUGE};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;

/// The peak resident memory every scenario's run must stay under.
const MEMORY_LIMIT: u64 = 80 * 1024 * 1024;

const KEY: &str = "nk_test_faultkey_0123456789abcdef0123456789abcdef";

/// How many requests the faulty flow must have received.
#[derive(Clone, Copy)]
enum Requests {
    Exactly(u64),
    AtLeast(u64),
    /// Not counted: nothing listens.
    None,
    /// Not counted: the port listens, but its accept queue is full, so no connection to it
    /// ever completes.
    NoConnection,
}

#[derive(Clone, Copy, PartialEq)]
enum Status {
    Errored,
    /// Cut while its call was in flight: an error with no attempt, `type="interrupted"`.
    Interrupted,
}

struct Scenario {
    /// The flow slug on the fault server, which picks the fault.
    fault: &'static str,
    /// The table's words for the fault.
    what: &'static str,
    mode: &'static str,
    timeout: &'static str,
    args: &'static [&'static str],
    status: Status,
    /// The case's error must contain this (ports are written `PORT`).
    message: &'static str,
    requests: Requests,
    /// Retries the JSON report must show for the case's attempt.
    retries: Option<u64>,
    /// Whether a healthy case runs beside the faulty one (not when nothing listens).
    healthy: bool,
    exit: i32,
}

const fn scenario(fault: &'static str, what: &'static str, message: &'static str) -> Scenario {
    Scenario {
        fault,
        what,
        mode: "sync",
        timeout: "10s",
        args: &[],
        status: Status::Errored,
        message,
        requests: Requests::Exactly(1),
        retries: Some(0),
        healthy: true,
        exit: 1,
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "rate-limit-retry-after",
                "429 storm with `Retry-After: 0`",
                "HTTP 429 RATE_LIMITED: slow down",
            )
        },
        Scenario {
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "rate-limit-no-retry-after",
                "429 storm without `Retry-After`",
                "HTTP 429 RATE_LIMITED",
            )
        },
        Scenario {
            timeout: "5s",
            ..scenario(
                "rate-limit-retry-after-long",
                "429 with `Retry-After: 120`, case timeout 5s",
                "HTTP 429 RATE_LIMITED: come back in two minutes",
            )
        },
        scenario(
            "status-500",
            "500 Internal Server Error",
            "HTTP 500 INTERNAL_ERROR",
        ),
        scenario(
            "redirect",
            "302 to another URL (not followed: it could carry the key elsewhere)",
            "HTTP 302",
        ),
        Scenario {
            args: &["--retry-server-errors"],
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "status-500",
                "500, with `--retry-server-errors`",
                "HTTP 500 INTERNAL_ERROR",
            )
        },
        Scenario {
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "status-502",
                "502 Bad Gateway (an HTML body)",
                "HTTP 502: \"<html><body>502 Bad Gateway</body></html>\"",
            )
        },
        Scenario {
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "status-503",
                "503 Service Unavailable",
                "HTTP 503 SERVICE_UNAVAILABLE",
            )
        },
        Scenario {
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "status-504",
                "504 Gateway Timeout",
                "HTTP 504 GATEWAY_TIMEOUT",
            )
        },
        Scenario {
            requests: Requests::None,
            retries: Some(3),
            healthy: false,
            exit: 3,
            ..scenario(
                "refused",
                "connection refused (nothing listens)",
                "error sending request for url (http://127.0.0.1:PORT/api/v1/seq/faults/fc/refused/execute): client error (Connect): tcp connect error: Connection refused",
            )
        },
        Scenario {
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "reset-mid-response",
                "connection reset mid-response",
                "Connection reset by peer",
            )
        },
        Scenario {
            requests: Requests::Exactly(4),
            retries: Some(3),
            ..scenario(
                "truncated-body",
                "body shorter than its Content-Length, then close",
                "end of file before message length reached",
            )
        },
        scenario(
            "cut-json",
            "complete response whose JSON is cut in half",
            "unexpected response: the body is not JSON (EOF while parsing",
        ),
        scenario(
            "not-json",
            "200 with an HTML body",
            "unexpected response: the body is not JSON (expected value at line 1 column 1)",
        ),
        scenario(
            "wrong-shape-array",
            "200 with a JSON array",
            "unexpected response: no `status` in [1,2,3]",
        ),
        scenario(
            "wrong-shape-status",
            "200 with `\"status\": 7`",
            "unexpected response: no `status` in",
        ),
        scenario(
            "not-utf8",
            "200 whose JSON is not UTF-8",
            "unexpected response: the body is not UTF-8, as JSON must be",
        ),
        scenario(
            "status-exploded",
            "200 whose `status` is neither completed nor failed",
            "unexpected response: the run's status is \"exploded\", neither completed nor failed",
        ),
        Scenario {
            mode: "async",
            ..scenario(
                "job-huge-id",
                "job submission with a 20 KB `executionId`",
                "cannot name a job",
            )
        },
        Scenario {
            mode: "async",
            ..scenario(
                "no-execution-id",
                "job submission without `executionId`",
                "unexpected response: the job submission carried no executionId",
            )
        },
        Scenario {
            mode: "async",
            requests: Requests::Exactly(2),
            ..scenario(
                "unknown-job-status",
                "poll answers an unknown job status",
                "unexpected response: unknown job status Some(\"exploded\")",
            )
        },
        scenario(
            "huge-with-length",
            "100 MB body with a Content-Length",
            "unexpected response: the response is larger than the 16777216-byte limit",
        ),
        scenario(
            "huge-streamed",
            "100 MB body without a length (streamed)",
            "unexpected response: the response is larger than the 16777216-byte limit",
        ),
        Scenario {
            args: &["--max-response-bytes", "1000000"],
            ..scenario(
                "huge-streamed",
                "100 MB streamed, `--max-response-bytes 1000000`",
                "unexpected response: the response is larger than the 1000000-byte limit",
            )
        },
        scenario(
            "many-values",
            "4 MB body of 2,000,000 JSON values (under the 16 MiB cap)",
            "unexpected response: the response holds more than 1,000,000 JSON values",
        ),
        Scenario {
            mode: "async",
            ..scenario(
                "many-values",
                "job submission of 2,000,000 JSON values",
                "unexpected response: the response holds more than 1,000,000 JSON values",
            )
        },
        Scenario {
            mode: "step",
            ..scenario(
                "many-values-sse",
                "SSE `flow_completed` of 2,000,000 JSON values",
                "unexpected response: the response holds more than 1,000,000 JSON values",
            )
        },
        scenario(
            "many-values-error",
            "500 whose error body holds 2,000,000 JSON values",
            "HTTP 500: the response holds more than 1,000,000 JSON values",
        ),
        scenario(
            "gzip-body",
            "200 with `Content-Encoding: gzip` (flowcheck asks for none)",
            "unexpected response: the body is gzip-encoded, which flowcheck did not ask for",
        ),
        scenario(
            "status-204",
            "204 No Content",
            "unexpected response: HTTP 204 with no body",
        ),
        Scenario {
            timeout: "2s",
            requests: Requests::Exactly(3),
            retries: Some(2),
            ..scenario(
                "503-then-silence",
                "503 twice, then no answer; case timeout 2s",
                "timed out after 2s (after 2 retries; the last answer: HTTP 503 SERVICE_UNAVAILABLE: injected fault)",
            )
        },
        Scenario {
            timeout: "2s",
            ..scenario(
                "never-answers",
                "accepts the connection, never answers",
                "timed out after 2s",
            )
        },
        Scenario {
            timeout: "60s",
            args: &["--deadline", "2s"],
            status: Status::Interrupted,
            retries: None,
            ..scenario(
                "never-answers",
                "never answers, `--deadline 2s` (case timeout 60s)",
                "the run's deadline cut it while its call was in flight",
            )
        },
        Scenario {
            timeout: "60s",
            args: &["--deadline", "2s"],
            status: Status::Interrupted,
            requests: Requests::NoConnection,
            retries: None,
            healthy: false,
            ..scenario(
                "no-connection",
                "the connection never completes (a full accept queue), `--deadline 2s`",
                "the run's deadline cut it while its call was still connecting",
            )
        },
        Scenario {
            mode: "step",
            ..scenario(
                "sse-cut-mid-event",
                "SSE stream closed mid-event",
                "unexpected response: the event stream ended before the step finished",
            )
        },
        Scenario {
            mode: "step",
            timeout: "2s",
            ..scenario(
                "sse-stalls-mid-event",
                "SSE stream stalls mid-event",
                "timed out after 2s (waiting for step #0, the first)",
            )
        },
        Scenario {
            mode: "step",
            timeout: "2s",
            requests: Requests::Exactly(2),
            ..scenario(
                "step-then-silence",
                "step 0 answered, step 1 never",
                "timed out after 2s (waiting for step #1, after 1 step (the last: clean))",
            )
        },
        Scenario {
            mode: "step",
            args: &["--max-response-bytes", "1000000"],
            ..scenario(
                "sse-endless",
                "SSE stream that never ends, `--max-response-bytes 1000000`",
                "unexpected response: the event stream is larger than the 1000000-byte limit",
            )
        },
        Scenario {
            mode: "step",
            ..scenario(
                "sse-not-json",
                "SSE event whose data is not JSON",
                "unexpected response: step event is not JSON",
            )
        },
        Scenario {
            mode: "async",
            timeout: "2s",
            requests: Requests::AtLeast(3),
            ..scenario(
                "job-never-finishes",
                "job that never finishes",
                "timed out after 2s",
            )
        },
        Scenario {
            mode: "async",
            requests: Requests::AtLeast(3),
            ..scenario(
                "poll-404",
                "every poll answers 404",
                "HTTP 404 JOB_NOT_FOUND: injected fault",
            )
        },
    ]
}

struct Observed {
    code: i32,
    output: String,
    report: Value,
    junit: String,
    requests: u64,
    files: Vec<String>,
}

fn write_suites(dir: &Path, scenario: &Scenario) -> Vec<String> {
    let fault = dir.join("fault.yaml");
    let suite = format!(
        "suite: fault\nflow: faults/fc/{}\nmode: {}\ndefaults: {{timeout: {}}}\ncases:\n  - name: faulty\n    message: hi\n",
        scenario.fault, scenario.mode, scenario.timeout
    );
    std::fs::write(&fault, suite).expect("the suite is written");
    let mut files = vec![fault.display().to_string()];
    if scenario.healthy {
        let ok = dir.join("ok.yaml");
        std::fs::write(
            &ok,
            "suite: healthy\nflow: faults/fc/ok\ncases:\n  - name: healthy\n    message: hi\n    expect:\n      output: [{path: $.ok, equals: true}]\n",
        )
        .expect("the suite is written");
        files.push(ok.display().to_string());
    }
    files
}

fn run_scenario(scenario: &Scenario) -> Observed {
    // One server per scenario, so the request counts are the scenario's own.
    let server = FaultServer::start();
    let refusing = closed_port();
    let full = full_port();
    let url = match scenario.requests {
        Requests::None => refusing.1.clone(),
        Requests::NoConnection => full.url.clone(),
        Requests::Exactly(_) | Requests::AtLeast(_) => server.url.clone(),
    };
    let suites = tempdir();
    let reports = tempdir();
    let files = write_suites(suites.path(), scenario);
    let (junit, json) = (
        reports.path().join("junit.xml"),
        reports.path().join("report.json"),
    );
    let output = common::flowcheck()
        .arg("run")
        .args(&files)
        .args(scenario.args)
        .arg("--junit")
        .arg(&junit)
        .arg("--json")
        .arg(&json)
        .env("NOUKAI_API_URL", &url)
        .env("NOUKAI_API_KEY", KEY)
        .output()
        .expect("flowcheck runs");
    let run = common::Run::from(output);
    let mut files: Vec<String> = std::fs::read_dir(reports.path())
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    if junit.exists() {
        assert_valid_junit(&junit);
    }
    Observed {
        code: run.code,
        output: run.all(),
        report: if json.exists() {
            read_json(&json)
        } else {
            Value::Null
        },
        junit: if junit.exists() {
            read(&junit)
        } else {
            String::new()
        },
        requests: server.requests(scenario.fault),
        files,
    }
}

/// A port that refuses connections: bound (so no other test takes it) but not listening.
fn closed_port() -> (tokio::net::TcpSocket, String) {
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("a port");
    let port = socket.local_addr().map(|a| a.port()).unwrap_or(9);
    (socket, format!("http://127.0.0.1:{port}"))
}

/// A port that listens and accepts nothing, its accept queue already full (a backlog of 0,
/// and one connection waiting): Linux drops every new SYN, so a connection to it never
/// completes, as to a server whose host does not answer.
struct FullPort {
    url: String,
    _listener: std::net::TcpListener,
    _waiting: std::net::TcpStream,
}

fn full_port() -> FullPort {
    // tokio's socket sets the backlog (std's is 128); it needs a runtime only to listen.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .expect("a runtime");
    let _entered = runtime.enter();
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.1:0".parse().expect("an address"))
        .expect("a port");
    let listener = socket
        .listen(0)
        .and_then(|listener| listener.into_std())
        .expect("a listener");
    let address = listener.local_addr().expect("an address");
    let waiting = std::net::TcpStream::connect(address).expect("the queue's one connection");
    FullPort {
        url: format!("http://{address}"),
        _listener: listener,
        _waiting: waiting,
    }
}

fn without_ports(text: &str) -> String {
    regex::Regex::new(r"127\.0\.0\.1:\d+")
        .map(|re| re.replace_all(text, "127.0.0.1:PORT").into_owned())
        .unwrap_or_else(|_| text.to_owned())
}

fn case<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["cases"]
        .as_array()
        .and_then(|cases| cases.iter().find(|c| c["case"] == name))
        .unwrap_or(&Value::Null)
}

/// Check one scenario; returns its table row, or what went wrong.
fn judge(scenario: &Scenario, seen: &Observed) -> Result<String, String> {
    let mut problems = Vec::new();
    let mut expect = |ok: bool, what: String| {
        if !ok {
            problems.push(what);
        }
    };
    expect(
        seen.code == scenario.exit,
        format!("exit code {} instead of {}", seen.code, scenario.exit),
    );
    expect(
        seen.files == ["junit.xml", "report.json"],
        format!(
            "the report folder holds {:?}, not just the two reports",
            seen.files
        ),
    );
    let faulty = case(&seen.report, "faulty");
    let (status, message) = match scenario.status {
        Status::Errored => ("errored", &faulty["attempts"][0]["result"]["message"]),
        Status::Interrupted => ("interrupted", &faulty["reason"]),
    };
    expect(
        faulty["status"] == status,
        format!("the case is {} instead of {status}", faulty["status"]),
    );
    let message = without_ports(message.as_str().unwrap_or_default());
    expect(
        message.contains(scenario.message),
        format!("the message {message:?} lacks {:?}", scenario.message),
    );
    if let Some(retries) = scenario.retries {
        expect(
            faulty["attempts"][0]["retries"] == retries,
            format!(
                "{} retries instead of {retries}",
                faulty["attempts"][0]["retries"]
            ),
        );
    }
    let planned = if scenario.healthy { 2 } else { 1 };
    let totals = &seen.report["totals"];
    let counted: u64 = ["passed", "flaky", "failed", "errored", "not_run"]
        .iter()
        .filter_map(|k| totals[k].as_u64())
        .sum();
    expect(
        counted == planned,
        format!("the report accounts for {counted} of {planned} cases"),
    );
    if scenario.healthy {
        expect(
            case(&seen.report, "healthy")["status"] == "passed",
            "the healthy case beside the fault did not pass".into(),
        );
    }
    match scenario.status {
        Status::Errored => expect(
            seen.junit.contains("<error ") && !seen.junit.contains("<failure "),
            "JUnit does not hold an <error> (and no <failure>)".into(),
        ),
        Status::Interrupted => expect(
            seen.junit.contains(r#"type="interrupted""#) && !seen.junit.contains("<skipped "),
            "JUnit does not hold an <error type=\"interrupted\"> (and no <skipped>)".into(),
        ),
    }
    let requests = match scenario.requests {
        Requests::Exactly(n) => {
            expect(
                seen.requests == n,
                format!("the server saw {} requests instead of {n}", seen.requests),
            );
            format!("{n}")
        }
        Requests::AtLeast(n) => {
            expect(
                seen.requests >= n,
                format!("the server saw {} requests, fewer than {n}", seen.requests),
            );
            format!("{n} or more")
        }
        Requests::None | Requests::NoConnection => "none arrive".to_owned(),
    };
    if !problems.is_empty() {
        return Err(format!(
            "{} ({}): {}\n--- output:\n{}",
            scenario.fault,
            scenario.what,
            problems.join("; "),
            seen.output
        ));
    }
    let retries = match scenario.retries {
        Some(0) => "not retried".to_owned(),
        Some(n) => format!("retried {n}×"),
        None => "—".to_owned(),
    };
    let status = match scenario.status {
        Status::Errored => "error",
        Status::Interrupted => "error (interrupted)",
    };
    let message = scenario.message.replace('|', "\\|");
    let message = if message.contains('`') {
        format!("`` {message} ``")
    } else {
        format!("`{message}`")
    };
    Ok(format!(
        "| {} | {} | {status}: {message} | {retries} | {requests} | {} |",
        scenario.what, scenario.mode, seen.code
    ))
}

const TABLE_START: &str = "<!-- fault-table:start (written by tests/faults.rs) -->";
const TABLE_END: &str = "<!-- fault-table:end -->";

#[test]
fn every_fault_is_an_error_on_its_case_and_the_run_goes_on() {
    let scenarios = scenarios();
    let observed: Vec<Observed> = std::thread::scope(|scope| {
        let handles: Vec<_> = scenarios
            .iter()
            .map(|scenario| scope.spawn(|| run_scenario(scenario)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("the scenario thread"))
            .collect()
    });
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (scenario, seen) in scenarios.iter().zip(&observed) {
        match judge(scenario, seen) {
            Ok(row) => rows.push(row),
            Err(problem) => problems.push(problem),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));

    let table = format!(
        "{TABLE_START}\n| fault | mode | the case's result and message | retries | requests the server saw | exit |\n|---|---|---|---|---|---|\n{}\n{TABLE_END}",
        rows.join("\n")
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let _ = std::fs::create_dir_all(root.join("target"));
    let _ = std::fs::write(root.join("target/fault-table.md"), format!("{table}\n"));
    let readme_path = root.join("README.md");
    let readme = read(&readme_path);
    let current = readme
        .split_once(TABLE_START)
        .and_then(|(before, rest)| rest.split_once(TABLE_END).map(|(_, after)| (before, after)));
    let Some((before, after)) = current else {
        panic!("README.md has no fault table between {TABLE_START} and {TABLE_END}:\n{table}");
    };
    let updated = format!("{before}{table}{after}");
    if updated != readme {
        if std::env::var_os("UPDATE_FAULT_TABLE").is_some() {
            std::fs::write(&readme_path, updated).expect("README.md is written");
        } else {
            panic!(
                "README.md's fault table differs from what the test saw (target/fault-table.md); run `UPDATE_FAULT_TABLE=1 cargo test --test faults`:\n{table}"
            );
        }
    }
}

/// A job whose polls answer 404 within the grace after the submit is pending, not missing; one
/// that times out so says how often it was polled and what the polls answered (it used to say
/// "submitted, not polled yet" after nine polls). The count is the server's.
#[test]
fn a_job_not_found_until_the_timeout_says_how_often_it_was_polled() {
    let seen = run_scenario(&Scenario {
        mode: "async",
        // Under the 5 s in which a 404 counts as pending.
        timeout: "3s",
        requests: Requests::AtLeast(2),
        ..scenario("poll-404", "every poll answers 404, within the grace", "")
    });
    let message = case(&seen.report, "faulty")["attempts"][0]["result"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let said = regex::Regex::new(
        r"^timed out after 3s \(job e-1 polled (\d+) times?; the job was not found yet \(404\), counted as pending\)$",
    )
    .expect("regex");
    let polls: u64 = said
        .captures(&message)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "the message {message:?} does not say how often the job was polled:\n{}",
                seen.output
            )
        });
    // The submit, the polls answered, and perhaps one the timeout cut short.
    assert!(
        (polls + 1..=polls + 2).contains(&seen.requests),
        "{message:?}, but the server saw {} requests",
        seen.requests
    );
}

/// Peak resident memory of a live process, in bytes.
fn peak_memory(pid: u32) -> u64 {
    let status = read(Path::new(&format!("/proc/{pid}/status")));
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .expect("VmHWM in /proc/<pid>/status")
}

#[test]
fn a_100_mb_body_is_refused_without_buffering_it() {
    let server = FaultServer::start();
    let dir = tempdir();
    for (name, flow) in [("huge", "huge-streamed"), ("held", "held")] {
        std::fs::write(
            dir.path().join(format!("{name}.yaml")),
            format!(
                "suite: {name}\nflow: faults/fc/{flow}\ncases:\n  - name: {name}\n    message: hi\n"
            ),
        )
        .expect("the suite is written");
    }
    let json = dir.path().join("report.json");
    let mut child = spawn_run(&server, dir.path(), &json);
    // flowcheck reads up to the 16 MiB cap, refuses, and hangs up: the server's write fails.
    // The held case keeps the process alive meanwhile, so its peak memory can be read.
    let aborted = server.wait_for("aborted huge-streamed");
    let peak = peak_memory(child.id());
    eprintln!(
        "peak memory while refusing 100 MB: {} MiB",
        peak / (1024 * 1024)
    );
    server.release();
    let mut stdout = String::new();
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            stdout.push_str(&line);
            stdout.push('\n');
        }
    }
    let status = child.wait().expect("flowcheck exits");
    assert_eq!(status.code(), Some(1), "{stdout}");
    let sent: u64 = aborted
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(u64::MAX);
    assert!(sent < HUGE, "the server sent all {sent} bytes");
    assert!(
        peak < MEMORY_LIMIT,
        "flowcheck's peak memory was {} MiB while refusing a 100 MB body",
        peak / (1024 * 1024)
    );
    assert!(
        stdout.contains("the response is larger than the 16777216-byte limit"),
        "{stdout}"
    );
    let report = read_json(&json);
    assert_eq!(case(&report, "held")["status"], "passed");
}

/// A legal body of 2,000,000 JSON values (4 MB, under the 16 MiB cap) is refused before it is
/// parsed, in every mode and as an error body (parsed, it peaked at 304 MiB).
/// A held case keeps the process alive until the refused case's line is printed, so that the
/// peak memory read then includes the refusal.
#[test]
fn a_body_of_two_million_values_is_refused_before_it_is_parsed() {
    for (flow, mode) in [
        ("many-values", "sync"),
        ("many-values", "async"),
        ("many-values-sse", "step"),
        ("many-values-error", "sync"),
    ] {
        let server = FaultServer::start();
        let dir = tempdir();
        std::fs::write(
            dir.path().join("many.yaml"),
            format!(
                "suite: many\nflow: faults/fc/{flow}\nmode: {mode}\ncases:\n  - name: many\n    message: hi\n"
            ),
        )
        .expect("the suite is written");
        std::fs::write(
            dir.path().join("held.yaml"),
            "suite: held\nflow: faults/fc/held\ncases:\n  - name: held\n    message: hi\n",
        )
        .expect("the suite is written");
        let json = dir.path().join("report.json");
        let mut child = spawn_run(&server, dir.path(), &json);
        let mut lines = child
            .stdout
            .take()
            .map(|out| BufReader::new(out).lines().map_while(Result::ok));
        let mut stdout = String::new();
        // The refused case's line: it has been parsed (or not) by now.
        for line in lines.iter_mut().flatten() {
            stdout.push_str(&line);
            stdout.push('\n');
            if line.contains("many › many") {
                break;
            }
        }
        let peak = peak_memory(child.id());
        eprintln!(
            "peak memory refusing 2,000,000 values ({mode}, {flow}): {} MiB",
            peak / (1024 * 1024)
        );
        server.release();
        for line in lines.iter_mut().flatten() {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        let status = child.wait().expect("flowcheck exits");
        assert_eq!(status.code(), Some(1), "{flow} {mode}: {stdout}");
        assert!(
            peak < MEMORY_LIMIT,
            "{flow} {mode}: flowcheck's peak memory was {} MiB",
            peak / (1024 * 1024)
        );
        let report = read_json(&json);
        let message = case(&report, "many")["attempts"][0]["result"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(
            message.contains("the response holds more than 1,000,000 JSON values"),
            "{flow} {mode}: {message:?}\n{stdout}"
        );
        assert_eq!(case(&report, "held")["status"], "passed", "{stdout}");
    }
}

/// `flowcheck run DIR --json JSON` against the fault server, its output piped, not awaited.
fn spawn_run(server: &FaultServer, dir: &Path, json: &Path) -> std::process::Child {
    common::flowcheck()
        .arg("run")
        .arg(dir)
        .arg("--json")
        .arg(json)
        .env("NOUKAI_API_URL", &server.url)
        .env("NOUKAI_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowcheck starts")
}

#[test]
fn a_server_that_cannot_be_reached_stops_the_run_after_the_first_cases_retries() {
    let refusing = closed_port();
    let dir = tempdir();
    let cases: String = (0..40)
        .map(|n| format!("  - name: case {n}\n    message: hi\n"))
        .collect();
    let suite = dir.path().join("many.yaml");
    std::fs::write(
        &suite,
        format!("suite: many\nflow: faults/fc/ok\ncases:\n{cases}"),
    )
    .expect("the suite is written");
    let json = dir.path().join("report.json");
    let output = common::flowcheck()
        .args(["run", "--jobs", "2", "--json"])
        .arg(&json)
        .arg(&suite)
        .env("NOUKAI_API_URL", &refusing.1)
        .env("NOUKAI_API_KEY", KEY)
        .output()
        .expect("flowcheck runs");
    let run = common::Run::from(output);
    let all = without_ports(&run.all());
    // An infrastructure failure, said once in the server's words; the other cases are not
    // sent, rather than each retried against nothing.
    assert_eq!(run.code, 3, "{all}");
    assert!(
        all.contains(
            "note: the server at http://127.0.0.1:PORT could not be reached: Connection refused"
        ),
        "{all}"
    );
    let report = read_json(&json);
    let not_run: Vec<&Value> = report["cases"]
        .as_array()
        .map(|cases| cases.iter().filter(|c| c["status"] == "not_run").collect())
        .unwrap_or_default();
    assert!(not_run.len() >= 30, "{} not run: {all}", not_run.len());
    assert!(
        without_ports(not_run[0]["reason"].as_str().unwrap_or_default()).starts_with(
            "the run stopped: the server at http://127.0.0.1:PORT could not be reached"
        ),
        "{}",
        not_run[0]
    );
}

/// A server that answered and then went away (a crash mid-run) stops the run once
/// connections have been refused four times in a row with no answer since: a case's tries with
/// the default retries, or four cases with none. Exit 3, in the server's words, rather than
/// every case left spending its retries and the run reading as failed.
#[test]
fn a_server_that_goes_away_mid_run_stops_the_run() {
    for retries in ["3", "0"] {
        let all = run_until_the_server_goes(&["--jobs", "1", "--retries", retries]);
        assert!(all.starts_with("exit 3\n"), "--retries {retries}: {all}");
        assert!(
            all.contains(
                "note: the server at http://127.0.0.1:PORT stopped answering: Connection refused"
            ),
            "--retries {retries}: {all}"
        );
        // The cases after the stop are not sent.
        let not_run = all
            .lines()
            .find(|l| l.starts_with("Summary"))
            .and_then(|l| l.split(", ").last())
            .and_then(|l| l.split(' ').next())
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0);
        assert!(
            not_run >= 30,
            "--retries {retries}: {not_run} not run: {all}"
        );
    }
}

/// The same when the calls refused are a job's polls: the submit's answer, earlier in the
/// same attempt, does not say the server is still there.
#[test]
fn a_server_that_goes_away_while_a_job_is_polled_stops_the_run() {
    // Production of demo/bench/jobs takes 3.2 s: it is polled for a while.
    let cases: String = (0..5)
        .map(|n| format!("  - name: job {n}\n    message: m{n}\n"))
        .collect();
    let all = run_until(
        &format!("suite: job\nflow: demo/bench/jobs\nmode: async\ncases:\n{cases}"),
        &["-v", "--jobs", "1"],
        // The submit answered and the first poll too (`< #2 200 ... pending`).
        Watched::Stderr,
        |line| line.starts_with("< #2 "),
    );
    assert!(all.starts_with("exit 3\n"), "{all}");
    assert!(
        all.contains(
            "note: the server at http://127.0.0.1:PORT stopped answering: Connection refused"
        ),
        "{all}"
    );
    // The first job broke on its refused polls; the four after it were not sent.
    assert!(
        all.contains("0 passed, 0 flaky, 0 failed, 1 errored, 4 not run"),
        "{all}"
    );
}

/// `flowcheck run EXTRA` over 40 cases of 100 ms, the simulator killed once the first case
/// passed: `exit N`, then stdout and stderr, ports replaced.
fn run_until_the_server_goes(extra: &[&str]) -> String {
    let cases: String = (0..40)
        .map(|n| format!("  - name: case {n}\n    message: m{n}\n"))
        .collect();
    run_until(
        &format!("suite: slow\nflow: demo/bench/echo-slow\ncases:\n{cases}"),
        extra,
        // The first case answered (each takes 100 ms).
        Watched::Stdout,
        |line| line.trim_start().starts_with("PASS"),
    )
}

/// Which output of a run [`run_until`] watches.
enum Watched {
    Stdout,
    Stderr,
}

/// `flowcheck run EXTRA SUITE` (the suite's text) against the simulator with bench/flows,
/// the simulator killed once the `watched` output printed a line that `until` accepts:
/// `exit N`, then stdout and stderr, ports replaced.
fn run_until(suite: &str, extra: &[&str], watched: Watched, until: fn(&str) -> bool) -> String {
    use std::io::Read;
    let sim = common::Sim::start_with(&["--flows", "bench/flows"]);
    let dir = tempdir();
    let path = dir.path().join("suite.yaml");
    std::fs::write(&path, suite).expect("the suite is written");
    let mut child = common::flowcheck()
        .arg("run")
        .args(extra)
        .arg(&path)
        .env("NOUKAI_API_URL", &sim.url)
        .env("NOUKAI_API_KEY", &sim.key)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowcheck runs");
    let stream: Box<dyn Read> = match watched {
        Watched::Stdout => Box::new(child.stdout.take().expect("piped stdout")),
        Watched::Stderr => Box::new(child.stderr.take().expect("piped stderr")),
    };
    let mut lines = BufReader::new(stream).lines();
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        seen.push_str(&line);
        seen.push('\n');
        if until(&line) {
            break;
        }
    }
    drop(sim);
    let rest: Vec<String> = lines.map(|l| l.unwrap_or_default()).collect();
    let output = child.wait_with_output().expect("flowcheck ends");
    let watched_text = format!("{seen}{}", rest.join("\n"));
    let (stdout, stderr) = match watched {
        Watched::Stdout => (
            watched_text,
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ),
        Watched::Stderr => (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            watched_text,
        ),
    };
    without_ports(&format!(
        "exit {}\n{stdout}\n{stderr}",
        output.status.code().unwrap_or(-1)
    ))
}

/// Every case errored: exit 3, and the run says why at its end (CI looks for 1 and would see
/// 3 with nothing saying why); `merge` of its report says the same.
#[test]
fn a_run_whose_every_case_errored_says_why_it_exits_3() {
    let server = FaultServer::start();
    let dir = tempdir();
    let suite = dir.path().join("down.yaml");
    std::fs::write(
        &suite,
        "suite: down\nflow: faults/fc/status-500\ncases:\n  - name: one\n    message: a\n  - name: two\n    message: b\n",
    )
    .expect("the suite is written");
    let (suite, json) = (
        suite.to_string_lossy().into_owned(),
        dir.path().join("down.json").to_string_lossy().into_owned(),
    );
    let result = common::run_against(&server.url, KEY, &["run", &suite, "--json", &json]);
    assert_eq!(result.code, 3, "{}", result.all());
    let note = "note: every case that finished errored, so no answer was judged: exit 3 (an infrastructure error, not a failure of the flow)";
    assert!(result.stdout.contains(note), "{}", result.all());
    let merged = dir
        .path()
        .join("merged.json")
        .to_string_lossy()
        .into_owned();
    let result = common::run(&["merge", &json, "--json", &merged]);
    assert_eq!(result.code, 3, "{}", result.all());
    assert!(result.stdout.contains(note), "{}", result.all());
}
