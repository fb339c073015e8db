//! A misbehaving Noukai server for fault-injection tests: raw HTTP/1.1 over tokio TCP on a free
//! loopback port, so every byte (and every broken promise) is under the test's control.
//!
//! The flow slug picks the fault: `.../faults/fc/<fault>/execute` answers as `<fault>` says
//! (see [`FaultServer::behaviour`]); `ok` answers like a healthy flow. The server counts the
//! requests of each flow and logs events (a request arrived, a client hung up mid-body) that a
//! test can wait for instead of sleeping.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A 100 MB body: large enough that buffering it would show in the process's memory.
pub const HUGE: u64 = 100 * 1024 * 1024;

const OK_BODY: &str = r#"{"status":"completed","result":{"ok":true},"flowId":"f","blockCount":1,"executionId":"e-1"}"#;

#[derive(Default)]
struct State {
    requests: HashMap<String, u64>,
    /// Everything that happened, in order: `request <flow> <action>`, `aborted <flow> <bytes>`,
    /// `sent <flow> <bytes>`.
    events: Vec<String>,
    /// Authorization headers seen, to check what the client sends.
    authorizations: Vec<String>,
    released: bool,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    release: tokio::sync::Notify,
}

pub struct FaultServer {
    pub url: String,
    shared: Arc<Shared>,
    runtime: Option<tokio::runtime::Runtime>,
}

/// What the server does with one request.
enum Answer {
    /// A complete response with a Content-Length.
    Full {
        status: u16,
        headers: Vec<(&'static str, String)>,
        body: String,
    },
    /// A complete JSON response whose body is these bytes (which may not be UTF-8).
    Bytes { status: u16, body: Vec<u8> },
    /// These bytes, then a clean close (FIN).
    RawThenClose(String),
    /// These bytes, then a reset (RST).
    RawThenReset(String),
    /// Accept and never answer.
    Silence,
    /// A head, then `total` bytes of `unit` repeated (or forever), until the client hangs up.
    Stream {
        head: String,
        unit: String,
        total: Option<u64>,
    },
    /// Answer like a healthy flow once the test calls [`FaultServer::release`].
    Held,
    /// A job poll: `running` until the test calls [`FaultServer::release`], then completed.
    RunningUntilReleased,
}

impl FaultServer {
    pub fn start() -> FaultServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the fault server");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the bound address")
        );
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        runtime.spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, accepting.clone()));
            }
        });
        FaultServer {
            url,
            shared,
            runtime: Some(runtime),
        }
    }

    /// Requests the server received for this flow (every action and poll).
    pub fn requests(&self, flow: &str) -> u64 {
        self.lock().requests.get(flow).copied().unwrap_or(0)
    }

    pub fn events(&self) -> Vec<String> {
        self.lock().events.clone()
    }

    pub fn authorizations(&self) -> Vec<String> {
        self.lock().authorizations.clone()
    }

    /// Wait (up to a minute, as a safety net) until an event starting with `prefix` happens;
    /// returns it.
    pub fn wait_for(&self, prefix: &str) -> String {
        let state = self.lock();
        let (state, timeout) = self
            .shared
            .changed
            .wait_timeout_while(state, Duration::from_secs(60), |s| {
                !s.events.iter().any(|e| e.starts_with(prefix))
            })
            .unwrap_or_else(|e| e.into_inner());
        assert!(
            !timeout.timed_out(),
            "no event {prefix:?} within a minute; saw {:?}",
            state.events
        );
        state
            .events
            .iter()
            .find(|e| e.starts_with(prefix))
            .cloned()
            .unwrap_or_default()
    }

    /// How many events so far start with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.lock()
            .events
            .iter()
            .filter(|e| e.starts_with(prefix))
            .count()
    }

    /// Wait (up to a minute, as a safety net) until `n` events starting with `prefix` happened.
    pub fn wait_for_count(&self, prefix: &str, n: usize) {
        let state = self.lock();
        let (state, timeout) = self
            .shared
            .changed
            .wait_timeout_while(state, Duration::from_secs(60), |s| {
                s.events.iter().filter(|e| e.starts_with(prefix)).count() < n
            })
            .unwrap_or_else(|e| e.into_inner());
        assert!(
            !timeout.timed_out(),
            "not {n} events {prefix:?} within a minute; saw {:?}",
            state.events
        );
    }

    /// Let every held (and every future) `held` request answer.
    pub fn release(&self) {
        self.lock().released = true;
        self.shared.release.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn record(shared: &Shared, event: String, flow: Option<&str>, authorization: Option<String>) {
    let mut state = shared.state.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(flow) = flow {
        *state.requests.entry(flow.to_owned()).or_default() += 1;
    }
    state.authorizations.extend(authorization);
    state.events.push(event);
    shared.changed.notify_all();
}

struct Request {
    method: String,
    path: String,
    authorization: Option<String>,
}

/// Read one request (head and body); `None` when the client closed the connection.
async fn read_request(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Option<Request> {
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let mut chunk = [0u8; 8192];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let path = request_line.next()?.to_owned();
    let mut length = 0usize;
    let mut authorization = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            match name.trim().to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().ok()?,
                "authorization" => authorization = Some(value.trim().to_owned()),
                _ => {}
            }
        }
    }
    while buffer.len() < head_end + length {
        let mut chunk = [0u8; 8192];
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    buffer.drain(..head_end + length);
    Some(Request {
        method,
        path,
        authorization,
    })
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    while let Some(request) = read_request(&mut stream, &mut buffer).await {
        // /api/v1/seq/faults/fc/<flow>[/vN]/<action>[/<id>]
        let parts: Vec<&str> = request.path.split('/').collect();
        let flow = parts.get(6).copied().unwrap_or_default().to_owned();
        let action = match parts.get(7..).unwrap_or_default() {
            [version, action, ..] if version.starts_with('v') => *action,
            ["jobs", _id] => "poll",
            [action, ..] => *action,
            [] => "",
        }
        .to_owned();
        record(
            &shared,
            format!("request {flow} {action} {}", request.method),
            Some(&flow),
            request.authorization.clone(),
        );
        // Which request of this flow this is, counting from 1.
        let nth = shared
            .state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .requests
            .get(&flow)
            .copied()
            .unwrap_or(1);
        let answer = FaultServer::behaviour(&flow, &action, request.authorization.as_deref(), nth);
        let keep_going = answer_with(&mut stream, &shared, &flow, answer).await;
        if !keep_going {
            return;
        }
    }
}

fn head(status: u16, headers: &[(&str, String)], length: Option<usize>) -> String {
    let reason = match status {
        200 => "OK",
        202 => "Accepted",
        302 => "Found",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Whatever",
    };
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    match length {
        Some(length) => head.push_str(&format!("content-length: {length}\r\n")),
        None => head.push_str("connection: close\r\n"),
    }
    head.push_str("\r\n");
    head
}

/// Returns whether the connection can serve another request.
async fn answer_with(stream: &mut TcpStream, shared: &Shared, flow: &str, answer: Answer) -> bool {
    let json = || vec![("content-type", "application/json".to_owned())];
    match answer {
        Answer::Full {
            status,
            headers,
            body,
        } => {
            let text = format!("{}{body}", head(status, &headers, Some(body.len())));
            stream.write_all(text.as_bytes()).await.is_ok()
        }
        Answer::Bytes { status, body } => {
            let mut bytes = head(status, &json(), Some(body.len())).into_bytes();
            bytes.extend_from_slice(&body);
            stream.write_all(&bytes).await.is_ok()
        }
        Answer::RawThenClose(text) => {
            let _ = stream.write_all(text.as_bytes()).await;
            let _ = stream.shutdown().await;
            false
        }
        Answer::RawThenReset(text) => {
            let _ = stream.write_all(text.as_bytes()).await;
            let _ = stream.flush().await;
            let _ = stream.set_zero_linger();
            false
        }
        Answer::Silence => {
            // Hold the connection open, answering nothing, until the client gives up.
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
            false
        }
        Answer::Stream { head, unit, total } => {
            if stream.write_all(head.as_bytes()).await.is_err() {
                return false;
            }
            if unit.is_empty() {
                // Stall: the head (and a partial event) went out; nothing more ever will.
                let mut sink = [0u8; 1024];
                while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
                return false;
            }
            let block = unit.repeat((64 * 1024 / unit.len()).max(1));
            let mut sent = 0u64;
            loop {
                if total.is_some_and(|t| sent >= t) {
                    record(shared, format!("sent {flow} {sent}"), None, None);
                    return false;
                }
                if stream.write_all(block.as_bytes()).await.is_err() {
                    record(shared, format!("aborted {flow} {sent}"), None, None);
                    return false;
                }
                sent += block.len() as u64;
            }
        }
        Answer::Held => {
            loop {
                let released = shared.release.notified();
                if shared
                    .state
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .released
                {
                    break;
                }
                released.await;
            }
            let text = format!("{}{OK_BODY}", head(200, &json(), Some(OK_BODY.len())));
            stream.write_all(text.as_bytes()).await.is_ok()
        }
        Answer::RunningUntilReleased => {
            let released = shared
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .released;
            let body = if released {
                OK_BODY
            } else {
                r#"{"executionId":"e-1","status":"running"}"#
            };
            let text = format!("{}{body}", head(200, &json(), Some(body.len())));
            stream.write_all(text.as_bytes()).await.is_ok()
        }
    }
}

impl FaultServer {
    /// The fault each flow slug stands for.
    fn behaviour(flow: &str, action: &str, authorization: Option<&str>, nth: u64) -> Answer {
        let json = || vec![("content-type", "application/json".to_owned())];
        let full = |status: u16, body: &str| Answer::Full {
            status,
            headers: json(),
            body: body.to_owned(),
        };
        let error = |status: u16, code: &str| {
            full(
                status,
                &format!(r#"{{"detail":{{"code":"{code}","message":"injected fault"}}}}"#),
            )
        };
        let sse_head = || {
            head(
                200,
                &[("content-type", "text/event-stream".to_owned())],
                None,
            )
        };
        // `echo-authorization-escaped` (and the like): the echo with every character of the
        // header escaped, as a JSON encoder may write it (`\u004e...`).
        let (flow, escaped) = match flow.strip_suffix("-escaped") {
            Some(flow) => (flow, true),
            None => (flow, false),
        };
        let escaped_authorization = authorization.map(|a| {
            a.chars()
                .map(|c| format!("\\u{:04x}", u32::from(c)))
                .collect::<String>()
        });
        let authorization = if escaped {
            escaped_authorization.as_deref()
        } else {
            authorization
        };
        match (flow, action) {
            ("ok", _) => full(200, OK_BODY),
            ("held", _) => Answer::Held,
            ("big", _) => full(
                200,
                &format!(
                    r#"{{"status":"completed","result":{{"items":[{}]}}}}"#,
                    (0..20_000)
                        .map(|i| i.to_string())
                        .collect::<Vec<_>>()
                        .join(",")
                ),
            ),
            // A legal body of 2,000,000 values in 4 MB, under the 16 MiB cap.
            ("many-values", _) => full(
                200,
                &format!(
                    r#"{{"status":"completed","result":{{"items":[{}]}}}}"#,
                    ["0"; 2_000_000].join(",")
                ),
            ),
            ("many-values-sse", _) => Answer::RawThenClose(format!(
                "{}event: flow_completed\ndata: {{\"result\":{{\"items\":[{}]}}}}\n\n",
                sse_head(),
                ["0"; 2_000_000].join(",")
            )),
            ("many-values-error", _) => full(
                500,
                &format!(
                    r#"{{"detail":{{"code":"INTERNAL_ERROR","message":"m","items":[{}]}}}}"#,
                    ["0"; 2_000_000].join(",")
                ),
            ),
            // 503 twice, then silence: the case's timeout ends the third try.
            ("503-then-silence", _) if nth <= 2 => Answer::Full {
                status: 503,
                headers: vec![
                    ("content-type", "application/json".to_owned()),
                    ("retry-after", "0".into()),
                ],
                body: r#"{"detail":{"code":"SERVICE_UNAVAILABLE","message":"injected fault"}}"#
                    .into(),
            },
            ("503-then-silence", _) => Answer::Silence,
            // A body compressed although flowcheck sent no `Accept-Encoding`.
            ("gzip-body", _) => Answer::Full {
                status: 200,
                headers: vec![
                    ("content-type", "application/json".to_owned()),
                    ("content-encoding", "gzip".into()),
                ],
                body: "\u{1f}\u{8b}\u{8}\u{0}not really gzip".into(),
            },
            ("status-204", _) => Answer::RawThenClose(head(204, &json(), None)),
            ("rate-limit-retry-after", _) => Answer::Full {
                status: 429,
                headers: vec![("retry-after", "0".into())],
                body: r#"{"detail":{"code":"RATE_LIMITED","message":"slow down"}}"#.into(),
            },
            ("rate-limit-no-retry-after", _) => error(429, "RATE_LIMITED"),
            ("rate-limit-retry-after-long", _) => Answer::Full {
                status: 429,
                headers: vec![("retry-after", "120".into())],
                body: r#"{"detail":{"code":"RATE_LIMITED","message":"come back in two minutes"}}"#
                    .into(),
            },
            ("status-500", _) => error(500, "INTERNAL_ERROR"),
            // To a flow that would answer: following it would turn the error into a pass.
            ("redirect", action) => Answer::Full {
                status: 302,
                headers: vec![("location", format!("/api/v1/seq/faults/fc/ok/{action}"))],
                body: String::new(),
            },
            ("status-502", _) => Answer::Full {
                status: 502,
                headers: vec![("content-type", "text/html".into())],
                body: "<html><body>502 Bad Gateway</body></html>".into(),
            },
            ("status-503", _) => error(503, "SERVICE_UNAVAILABLE"),
            ("status-504", _) => error(504, "GATEWAY_TIMEOUT"),
            ("reset-mid-response", _) => {
                let body = OK_BODY;
                Answer::RawThenReset(format!(
                    "{}{}",
                    head(200, &json(), Some(body.len() + 1000)),
                    &body[..20]
                ))
            }
            ("truncated-body", _) => {
                let body = OK_BODY;
                Answer::RawThenClose(format!(
                    "{}{}",
                    head(200, &json(), Some(body.len())),
                    &body[..body.len() / 2]
                ))
            }
            ("cut-json", _) => full(200, &OK_BODY[..OK_BODY.len() / 2]),
            ("not-json", _) => Answer::Full {
                status: 200,
                headers: vec![("content-type", "text/html".into())],
                body: "<html><body>Welcome to nginx!</body></html>".into(),
            },
            ("wrong-shape-array", _) => full(200, "[1, 2, 3]"),
            ("wrong-shape-status", _) => full(200, r#"{"status": 7, "result": {"ok": true}}"#),
            ("no-execution-id", "jobs") => full(202, r#"{"status":"started"}"#),
            ("unknown-job-status", "jobs") => {
                full(202, r#"{"executionId":"e-1","status":"started"}"#)
            }
            ("unknown-job-status", _) => full(200, r#"{"executionId":"e-1","status":"exploded"}"#),
            ("huge-with-length", _) => Answer::Stream {
                head: head(200, &json(), Some(HUGE as usize)),
                unit: " ".into(),
                total: Some(HUGE),
            },
            ("huge-streamed", _) => Answer::Stream {
                head: head(200, &json(), None),
                unit: " ".into(),
                total: Some(HUGE),
            },
            ("never-answers", _) => Answer::Silence,
            ("sse-cut-mid-event", _) => Answer::RawThenClose(format!(
                "{}event: run_started\ndata: {{\"executionId\":\"e-1\",\"stepCount\":2}}\n\nevent: step_completed\ndata: {{\"stepId\":\"a\",\"out",
                sse_head()
            )),
            // Step 0 completes and pauses; the call for step 1 is never answered.
            ("step-then-silence", _) if nth == 1 => Answer::Full {
                status: 200,
                headers: vec![("Content-Type", "text/event-stream".into())],
                body: "event: run_started\ndata: {\"executionId\":\"e-1\",\"stepCount\":2}\n\nevent: step_completed\ndata: {\"stepId\":\"clean\",\"stepIndex\":0,\"output\":{\"text\":\"ok\"}}\n\nevent: step_paused\ndata: {\"stepId\":\"clean\",\"nextStepIndex\":1}\n\n".into(),
            },
            ("step-then-silence", _) => Answer::Silence,
            ("sse-stalls-mid-event", _) => Answer::Stream {
                head: format!(
                    "{}event: run_started\ndata: {{\"executionId\":\"e-1\"}}\n\nevent: step_comp",
                    sse_head()
                ),
                unit: String::new(),
                total: None,
            },
            ("sse-endless", _) => Answer::Stream {
                head: sse_head(),
                unit: "event: step_started\ndata: {\"stepId\":\"a\",\"stepIndex\":0}\n\n".into(),
                total: None,
            },
            ("sse-not-json", _) => Answer::RawThenClose(format!(
                "{}event: step_completed\ndata: {{not json\n\n",
                sse_head()
            )),
            ("job-never-finishes", "jobs") => {
                full(202, r#"{"executionId":"e-1","status":"started"}"#)
            }
            ("job-never-finishes", _) => full(200, r#"{"executionId":"e-1","status":"running"}"#),
            ("job-held", "jobs") => full(202, r#"{"executionId":"e-1","status":"started"}"#),
            ("job-held", _) => Answer::RunningUntilReleased,
            ("job-huge-id", "jobs") => full(
                202,
                &format!(
                    r#"{{"executionId":"{}","status":"started"}}"#,
                    "y".repeat(20_000)
                ),
            ),
            ("not-utf8", _) => Answer::Bytes {
                status: 200,
                body: b"{\"status\":\"completed\",\"result\":{\"text\":\"caf\xe9\"}}".to_vec(),
            },
            ("status-exploded", _) => full(
                200,
                r#"{"executionId":"e-1","status":"exploded","result":{}}"#,
            ),
            ("poll-404", "jobs") => full(202, r#"{"executionId":"e-1","status":"started"}"#),
            ("poll-404", _) => error(404, "JOB_NOT_FOUND"),
            // The key echoed in a header flowcheck quotes (found by QA).
            ("echo-authorization-encoding", _) => Answer::Full {
                status: 200,
                headers: vec![
                    ("content-type", "application/json".to_owned()),
                    (
                        "content-encoding",
                        authorization
                            .unwrap_or_default()
                            .trim_start_matches("Bearer ")
                            .to_owned(),
                    ),
                ],
                body: r#"{"status":"completed","result":{}}"#.into(),
            },
            ("echo-authorization", _) => full(
                500,
                &format!(
                    r#"{{"detail":{{"code":"INTERNAL_ERROR","message":"bad header {}"}}}}"#,
                    authorization.unwrap_or_default()
                ),
            ),
            ("echo-authorization-result", _) => full(
                200,
                &format!(
                    r#"{{"status":"completed","result":{{"seen":"{}"}}}}"#,
                    authorization.unwrap_or_default()
                ),
            ),
            ("echo-authorization-sse", _) => Answer::RawThenClose(format!(
                "{}event: flow_completed\ndata: {{\"result\":{{\"seen\":\"{}\"}}}}\n\n",
                sse_head(),
                authorization.unwrap_or_default()
            )),
            ("quote-signed-url", _) => full(
                400,
                r#"{"detail":{"code":"ATTACHMENT_INVALID","message":"cannot fetch https://cdn.example.com/cat.png?X-Amz-Signature=QUOTEDSIG&token=QUOTEDTOKEN"}}"#,
            ),
            ("quote-signed-url-encoded", _) => full(
                400,
                r#"{"detail":{"code":"ATTACHMENT_INVALID","message":"cannot fetch https%3A%2F%2Fcdn.example.com%2Fcat.png%3FX-Amz-Signature%3DENCODEDSIG or https://user:USERINFOSIG@cdn.example.com/cat.png"}}"#,
            ),
            // The URL half-escaped: only its `?` percent-encoded (either case), or only its
            // scheme and path, with literal marks.
            ("quote-signed-url-mixed", _) => full(
                400,
                r#"{"detail":{"code":"ATTACHMENT_INVALID","message":"cannot fetch https://bucket.s3.amazonaws.com/cat.png%3FX-Amz-Signature=MIXEDSIG&X-Amz-Credential=MIXEDCRED#sig=MIXEDFRAG (also https://bucket.s3.amazonaws.com/cat.png%3fX-Amz-Signature=LOWERSIG, https%3A%2F%2Fbucket.s3.amazonaws.com%2Fcat.png?X-Amz-Signature=LITERALSIG#sig=LITERALFRAG)"}}"#,
            ),
            // A server error quoting the URL (with a fragment too, and percent-encoded), with
            // URLs in the headers a recording keeps.
            ("quote-signed-url-500", _) => Answer::Full {
                status: 500,
                headers: vec![
                    (
                        "content-type",
                        "application/json; profile=\"https://b.example.com/p?HEADERSIG=1\"".into(),
                    ),
                    ("retry-after", "https://b.example.com/r#RETRYSIG".into()),
                ],
                body: r#"{"detail":{"code":"INTERNAL_ERROR","message":"could not fetch https://b.example.com/a.png?X-Amz-Signature=SIG500QUERY#sig=SIG500FRAG nor https%3A%2F%2Fb.example.com%2Fa.png%3FX-Amz-Signature%3DSIG500ENCODED"}}"#.into(),
            },
            // A result quoting the URL, its slashes escaped as a JSON encoder may write them.
            ("quote-signed-url-result", _) => full(
                200,
                r#"{"status":"completed","result":{"note":"fetched https:\/\/b.example.com\/a.png?X-Amz-Signature=SIGRESULT","also":"https://b.example.com/a.png#sig=SIGRESULTFRAG","https://b.example.com/k?SIGKEY=1":true}}"#,
            ),
            ("quote-signed-url-sse", _) => Answer::RawThenClose(format!(
                "{}event: step_completed\r\ndata: {{\"stepId\":\"a\",\"stepIndex\":0,\"output\":{{\"url\":\"https:\\/\\/b.example.com\\/a.png?sig=SIGEVENT\"}}}}\r\n\r\n: comment https://b.example.com/c?SIGCOMMENT\n\nevent: flow_completed\ndata: {{\"result\":{{\"note\":\"fetched https://b.example.com/a.png?X-Amz-Signature=SIGSSE#f=SIGSSEFRAG\"}}}}\n\n",
                sse_head()
            )),
            // Go's JSON encoder writes `&`, `<` and `>` as `\u0026`, `\u003c`, `\u003e` (and some
            // encoders `=` and `?` as `\u003d`, `\u003f`, PHP's `/` as `\/`): a server quoting
            // the URL it could not fetch.
            ("quote-signed-url-go", _) => full(
                400,
                r#"{"detail":{"code":"ATTACHMENT_INVALID","message":"cannot fetch https://s3.example.com/a.png?X-Amz-Algorithm=AWS4\u0026X-Amz-Signature=GOSIG\u0026X-Amz-Credential\u003dGOCRED or \u003chttps:\/\/b.example.com\/a.png\u003fsig\u003dGOMARK#GOFRAG\u003e"}}"#,
            ),
            // A URL whose query holds `<` and `>` unencoded (and one Go-escaped): a query runs
            // on through them.
            ("quote-signed-url-angle", _) => full(
                400,
                r#"{"detail":{"code":"ATTACHMENT_INVALID","message":"cannot fetch https://s3.example.com/a.png?q=<b>&X-Amz-Signature=ANGLESIG or https://s3.example.com/b.png?q=\u003cb\u003e\u0026sig=ANGLEGOSIG"}}"#,
            ),
            // The same cut short: not JSON, so the error quotes the text itself.
            ("quote-signed-url-go-cut", _) => full(
                200,
                r#"{"status":"completed","result":{"note":"fetched https://s3.example.com/a.png?X-Amz-Algorithm=AWS4\u0026X-Amz-Signature=GOCUTSIG"#,
            ),
            // Text that is not JSON, with JSON's `\/` for `/` (the error quotes it, doubling
            // the `\`).
            ("quote-signed-url-slashes", _) => full(
                200,
                r#"fetched https:\/\/x.example\/a.png?sig=SLASHSIG tail"#,
            ),
            // A step's output quoting the URL, an event named with one, and an event whose data
            // is not JSON (the error quotes it).
            ("quote-signed-url-go-sse", _) => Answer::RawThenClose(format!(
                "{}event: step_completed\ndata: {{\"stepId\":\"a\",\"stepIndex\":0,\"output\":{{\"url\":\"https://b.example.com/a.png?sig=GOSTEP\\u0026t=GOSTEPTOKEN\"}}}}\n\nevent: note https://b.example.com/n?GOEVENTNAME\ndata: {{}}\n\nevent: flow_completed\ndata: {{\"result\":{{\"note\":\"https://b.example.com/a.png?sig=GOSSE\\u0026t=GOSSETOKEN\"}}\n\n",
                sse_head()
            )),
            _ => error(404, "FLOW_NOT_FOUND"),
        }
    }
}
