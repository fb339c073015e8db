//! Shared by the `sim_*` integration tests: start the real `flowcheck serve` binary on a free
//! loopback port, talk to it over HTTP, parse its Server-Sent Events.
#![allow(dead_code)]

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};

pub const KEY: &str = flowcheck::DEMO_API_KEY;

/// A running simulator process; killed when dropped.
pub struct Sim {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    pub url: String,
    pub client: reqwest::Client,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|err| panic!("not JSON ({err}): {}", self.text))
    }

    /// `detail.code` of a coded error.
    pub fn code(&self) -> String {
        self.json()["detail"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn events(&self) -> Vec<Event> {
        parse_sse(&self.text)
    }
}

#[derive(Debug, Clone)]
pub struct Event {
    pub event: String,
    pub data: Value,
}

pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_flowcheck"))
}

pub fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .no_proxy() // loopback only
        .build()
        .expect("a reqwest client")
}

impl Sim {
    pub fn start() -> Sim {
        Sim::start_with(&[])
    }

    /// Start `flowcheck serve --addr 127.0.0.1:0 ARGS...` and wait for its "listening on" line.
    pub fn start_with(args: &[&str]) -> Sim {
        let mut child = binary()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(args)
            .env_remove("FLOWCHECK_SIM_API_KEY")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start flowcheck serve");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the listening line");
        let url = line
            .trim()
            .strip_prefix("flowcheck simulator listening on ")
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"))
            .to_string();
        Sim {
            child,
            _stdout: stdout,
            url,
            client: client(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// `path` is relative to `/api/v1/seq/`, e.g. `demo/bench/echo/execute`.
    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1/seq/{path}", self.url)
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_raw(path, &body.to_string()).await
    }

    pub async fn post_raw(&self, path: &str, body: &str) -> Reply {
        self.send(
            self.client
                .post(self.api(path))
                .bearer_auth(KEY)
                .header("content-type", "application/json")
                .body(body.to_string()),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.client.get(self.api(path)).bearer_auth(KEY))
            .await
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("the simulator answers");
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("a readable body");
        Reply {
            status,
            headers,
            text,
        }
    }

    /// `/execute` and return `result` after checking the envelope.
    pub async fn execute(&self, flow: &str, body: &Value) -> Value {
        let reply = self.post(&format!("{flow}/execute"), body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let json = reply.json();
        assert_eq!(json["status"], "completed", "{json}");
        json["result"].clone()
    }

    /// Submit a job and poll it (the job URL without version) until it finishes.
    pub async fn job(&self, flow: &str, body: &Value) -> (Vec<String>, Value) {
        let reply = self.post(&format!("{flow}/jobs"), body).await;
        assert_eq!(reply.status, StatusCode::ACCEPTED, "{}", reply.text);
        let id = reply.json()["executionId"]
            .as_str()
            .expect("an executionId")
            .to_string();
        let unversioned = flow.split('/').take(3).collect::<Vec<_>>().join("/");
        let mut seen = Vec::new();
        loop {
            let poll = self.get(&format!("{unversioned}/jobs/{id}")).await;
            assert_eq!(poll.status, StatusCode::OK, "{}", poll.text);
            let json = poll.json();
            let status = json["status"].as_str().unwrap_or_default().to_string();
            if seen.last() != Some(&status) {
                seen.push(status.clone());
            }
            if status == "completed" || status == "failed" {
                return (seen, json);
            }
            // Polling is the contract's only way to learn that a job finished.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Step through with `runRemaining: true` and return the flow_completed result.
    pub async fn step_all(&self, flow: &str, body: &Value) -> Value {
        let mut body = body.clone();
        body["runRemaining"] = Value::Bool(true);
        let reply = self.post(&format!("{flow}/step"), &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
        let events = reply.events();
        let last = events.last().expect("some events");
        assert_eq!(last.event, "flow_completed", "{events:?}");
        last.data["result"].clone()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parse an SSE body strictly: every frame is `event: X`, `data: JSON`, blank line.
pub fn parse_sse(text: &str) -> Vec<Event> {
    assert!(
        text.is_empty() || text.ends_with("\n\n"),
        "the stream must end with a blank line: {text:?}"
    );
    text.split("\n\n")
        .filter(|frame| !frame.is_empty())
        .map(|frame| {
            let lines: Vec<&str> = frame.lines().collect();
            assert_eq!(
                lines.len(),
                2,
                "a frame is an event line and a data line: {frame:?}"
            );
            let event = lines[0]
                .strip_prefix("event: ")
                .unwrap_or_else(|| panic!("no event line: {frame:?}"));
            let data = lines[1]
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("no data line: {frame:?}"));
            let data: Value = serde_json::from_str(data)
                .unwrap_or_else(|err| panic!("data is not JSON ({err}): {data}"));
            assert_eq!(data["eventType"], event, "eventType matches the event line");
            Event {
                event: event.to_string(),
                data,
            }
        })
        .collect()
}
