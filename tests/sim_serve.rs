//! `flowcheck serve` as a process: the listening line, bad flow definitions (exit 2 with
//! file:line:col), a taken port (exit 3), SIGTERM (exit 0), `--flows`, concurrency, and the
//! in-process `start_embedded`.

mod sim_support;

use reqwest::StatusCode;
use serde_json::json;
use sim_support::{Sim, binary};
use std::process::Stdio;

const GOOD_FLOW: &str = "\
org: acme
project: shop
flow: greet
production: 1
versions:
  - version: 1
    blocks:
      - id: greet
        kind: template
        text: \"Hello, {{ input.message | trim }}!\"
";

#[test]
fn bad_flow_definitions_stop_the_start_with_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            GOOD_FLOW.replace("kind: template", "kind: templte"),
            ":9:15: unknown block kind \"templte\" (did you mean \"template\"?)",
        ),
        (
            GOOD_FLOW.replace("org: acme", "org: Acme"),
            ":1:6: org \"Acme\" is not a valid slug",
        ),
        (
            GOOD_FLOW.replace("input.message", "input.mesage"),
            ":10:15: unknown input field \"mesage\"",
        ),
        (
            GOOD_FLOW.replace("production: 1", "production: 1\nlatency: {ms: -3}"),
            ":5:",
        ),
        (GOOD_FLOW.replace("versions:", "versions: [\n"), "bad.yaml:"),
        // Beyond what a clock can add: the first request would have crashed its worker.
        (
            GOOD_FLOW.replace(
                "production: 1",
                "production: 1\nlatency: {mean_ms: 10, stddev_ms: 1e308}",
            ),
            ":5:10: latency: every value must be at most 3600000 ms (an hour)",
        ),
        (
            GOOD_FLOW.replace("production: 1", "production: 1\njob_seconds: 1e300"),
            ":5:14: job_seconds must be a number from 0 to 86400 (a day)",
        ),
        // A number too large for its field said only "expected a whole number".
        (
            GOOD_FLOW.replace("production: 1", "production: 99999999999"),
            ":4:13: this number is too large: the largest allowed here is 4294967295",
        ),
    ];
    for (text, expected) in cases {
        let file = dir.path().join("bad.yaml");
        std::fs::write(&file, text).unwrap();
        let output = binary()
            .args(["serve", "--addr", "127.0.0.1:0", "--flows"])
            .arg(dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(output.stdout.is_empty(), "nothing is served");
        assert!(stderr.contains(&format!("{}", file.display())), "{stderr}");
        assert!(
            stderr.contains(expected),
            "{stderr} should contain {expected}"
        );
        assert!(
            stderr.contains("the simulator did not start: fix the flow definition above"),
            "{stderr}"
        );
    }
}

#[test]
fn a_missing_flows_path_is_a_usage_error() {
    let output = binary()
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--flows",
            "/nonexistent/flows",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("failed to read /nonexistent/flows"),
        "{stderr}"
    );
    // Nothing to fix in a definition that was never read.
    assert!(
        stderr.ends_with("error: the simulator did not start\n"),
        "{stderr}"
    );
}

/// A project key the server could never accept is refused at the start: one no HTTP header
/// carries, and one for a project no served flow is in (a typo would open nothing).
#[test]
fn a_project_key_that_could_open_nothing_is_refused() {
    for (key, said) in [
        (
            "demo/support=two words",
            "the key of demo/support must be printable ASCII without spaces",
        ),
        (
            "demo/suport=nk_live_abcdefgh1234",
            "--project-key names demo/suport, which no served flow is in (projects: demo/bench, demo/creative, demo/docs,",
        ),
    ] {
        let output = binary()
            .args(["serve", "--addr", "127.0.0.1:0", "--project-key", key])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{key}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(said), "{stderr}");
        assert!(!stderr.contains("listening"), "{stderr}");
    }
}

#[test]
fn a_taken_port_is_an_infrastructure_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let output = binary().args(["serve", "--addr", &addr]).output().unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&addr) && stderr.to_lowercase().contains("in use"),
        "{stderr}"
    );
}

#[tokio::test]
async fn custom_flows_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("greet.yml");
    std::fs::write(&file, GOOD_FLOW).unwrap();
    let sim = Sim::start_with(&["--flows", file.to_str().unwrap()]);
    assert_eq!(
        sim.execute("acme/shop/greet", &json!({"message": " Ada "}))
            .await,
        json!({"text": "Hello, Ada!"})
    );
    assert_eq!(
        sim.post("demo/bench/echo/execute", &json!({"message": "x"}))
            .await
            .code(),
        "FLOW_NOT_FOUND"
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut child = binary()
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert!(
        line.starts_with("flowcheck simulator listening on http://127.0.0.1:"),
        "{line}"
    );
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[tokio::test]
async fn hundreds_of_requests_in_flight_all_succeed() {
    let sim = Sim::start();
    let mut tasks = Vec::new();
    for i in 0..400 {
        let client = sim.client.clone();
        let (path, body) = match i % 4 {
            0 => (
                "demo/bench/echo/execute",
                json!({"message": format!("m{i}")}),
            ),
            1 => (
                "demo/support/triage/execute",
                json!({"message": "refund please"}),
            ),
            2 => (
                "demo/docs/summarize/step",
                json!({"message": "One. Two.", "runRemaining": true}),
            ),
            _ => ("demo/bench/echo/jobs", json!({"message": "x"})),
        };
        let request = client
            .post(sim.api(path))
            .bearer_auth(sim_support::KEY)
            .body(body.to_string());
        tasks.push(tokio::spawn(async move {
            let response = request.send().await.expect("no connection error");
            let status = response.status();
            let text = response.text().await.expect("a full body");
            (i, status, text)
        }));
    }
    for task in tasks {
        let (i, status, text) = task.await.unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::ACCEPTED,
            "request {i}: {status} {text}"
        );
        if i % 4 == 0 {
            assert_eq!(
                serde_json::from_str::<serde_json::Value>(&text).unwrap()["result"]["echo"],
                format!("m{i}")
            );
        }
        if i % 4 == 2 {
            assert!(text.contains("event: flow_completed"), "{text}");
        }
    }
}

#[tokio::test]
async fn the_embedded_simulator_starts_in_process_and_shuts_down() {
    let running = flowcheck::sim::start_embedded().await.unwrap();
    let url = running.url().to_string();
    assert!(url.starts_with("http://127.0.0.1:"));
    let client = sim_support::client();
    let response = client
        .post(format!("{url}/api/v1/seq/demo/bench/echo/execute"))
        .bearer_auth(flowcheck::DEMO_API_KEY)
        .body(json!({"message": "hi"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    running.shutdown().await;
    assert!(
        client
            .post(format!("{url}/api/v1/seq/demo/bench/echo/execute"))
            .send()
            .await
            .is_err()
    );
}

/// Bound to every interface, the simulator prints a URL this machine can use, and says on
/// stderr that other machines can reach it too.
#[test]
fn binding_every_interface_is_said() {
    use std::io::BufRead;
    let mut child = binary()
        .args(["serve", "--addr", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the simulator starts");
    let stderr = child.stderr.take().expect("piped stderr");
    let lines: Vec<String> = std::io::BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .take_while(|line| !line.starts_with("serving"))
        .collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("note: bound to 0.0.0.0:") && l.contains("other machines")),
        "{lines:?}"
    );
}
