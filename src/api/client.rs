//! The HTTP client for the flow API. Each method is one call; the body of every answer is
//! read with a size cap, and nothing it prints or returns carries the key.

use super::error::ApiError;
use super::sse::Parser;
use super::transport::{self, Response, Transport};
use super::wire::{self, RunReply, StepEvent};
use crate::secret::{ApiKey, Keys, redact_url, redact_urls};
use crate::suite::{FlowRef, Target};
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The host root, e.g. `https://api.noukai.xyz`.
    pub base_url: String,
    pub keys: Keys,
    pub connect_timeout: Duration,
    /// Answers larger than this are refused, so a runaway server cannot exhaust memory.
    pub max_response_bytes: usize,
    /// Print every request and response (key redacted) to stderr.
    pub verbose: bool,
    /// Keep every exchange for `--record`.
    pub recorder: Option<std::sync::Arc<crate::record::Recorder>>,
    /// CA certificates trusted beside the system's (`--ca-bundle`).
    pub extra_roots: Vec<reqwest::Certificate>,
}

impl ClientConfig {
    /// One key for every project (the simulator's, a replay's).
    pub fn new(base_url: &str, api_key: ApiKey) -> Self {
        ClientConfig::with_keys(base_url, Keys::one(api_key))
    }

    pub fn with_keys(base_url: &str, keys: Keys) -> Self {
        ClientConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            keys,
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 16 * 1024 * 1024,
            verbose: false,
            recorder: None,
            extra_roots: Vec::new(),
        }
    }
}

/// Whether a server URL names this machine: `localhost`, 127.0.0.0/8 or `[::1]`.
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    match url.host_str() {
        Some(host) if host.eq_ignore_ascii_case("localhost") => true,
        Some(host) => host
            .trim_matches(['[', ']'])
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    transport: Transport,
    config: ClientConfig,
    /// The `Authorization` of projects with a key of their own (`org/project`); the others
    /// carry the default key, which the transport adds.
    project_keys: Arc<HashMap<String, reqwest::header::HeaderValue>>,
    reach: Arc<Reach>,
}

/// How often the server has answered and how often a connection to it could not be made, and
/// why: a run that cannot reach its server, at all or any more, stops rather than retry every
/// case.
#[derive(Debug, Default)]
struct Reach {
    /// Answers of any status.
    answers: std::sync::atomic::AtomicU64,
    /// Connections that could not be made.
    refusals: std::sync::atomic::AtomicU64,
    /// How many connections had been refused when the last answer came.
    refusals_at_answer: std::sync::atomic::AtomicU64,
    /// The last connection failure's words.
    refused: std::sync::Mutex<Option<String>>,
    /// Set by the transport once a connection to the server has been made.
    connected: Arc<std::sync::atomic::AtomicBool>,
}

/// How many connections refused in a row, with no answer between them or since, tell a
/// server that went away from one refused connection: one case's tries with the default
/// retries, or four cases side by side (or one after another) with none.
const GONE_AFTER: u64 = 4;

/// How often the server had answered and refused a connection at some moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReachMark {
    answers: u64,
    refusals: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Submitted {
    pub execution_id: String,
    /// The flow's `blockCount`, which the submission reports and a poll may not.
    pub block_count: Option<u64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum JobState {
    Pending,
    Running,
    Done(RunReply),
}

/// The longest executionId taken (Noukai's are UUIDs; a 10 KB one still fits in a URL).
const MAX_EXECUTION_ID: usize = 16 * 1024;

impl Client {
    pub fn new(config: ClientConfig) -> Result<Client, ApiError> {
        // Sent with every request (the command line checked the keys could be).
        let unsendable = || ApiError::Transport {
            message: "the API key cannot be sent in an HTTP header".into(),
            connect: true,
        };
        let authorization = match &config.keys.default {
            Some(key) => Some(key.bearer().ok_or_else(unsendable)?),
            None => None,
        };
        let mut project_keys = HashMap::new();
        for own in &config.keys.projects {
            project_keys.insert(
                own.project.clone(),
                own.key.bearer().ok_or_else(unsendable)?,
            );
        }
        let reach = Arc::new(Reach::default());
        let transport = Transport::new(&config, authorization, Arc::clone(&reach.connected))
            .map_err(|message| ApiError::Transport {
                message,
                connect: true,
            })?;
        Ok(Client {
            transport,
            config,
            project_keys: Arc::new(project_keys),
            reach,
        })
    }

    /// `text` without any of the run's keys, escaped or not.
    pub fn scrub(&self, text: &str) -> String {
        self.config.keys.scrub(text)
    }

    /// [`Client::scrub`] in place, copying only a text that holds a key.
    pub fn scrub_in<T: AsRef<str> + From<String>>(&self, text: &mut T) {
        self.config.keys.scrub_in(text);
    }

    /// [`Client::scrub`] on every string of `value`, copying only a value that holds a key.
    pub fn scrub_value(&self, value: &mut serde_json::Value) {
        self.config.keys.scrub_value(value);
    }

    /// `{base}/api/v1/seq/{org}/{project}/{flow}{version}/{action}`, built for every call.
    fn url(&self, flow: &FlowRef, target: Option<Target>, action: &str) -> String {
        let version = target.map(Target::path_segment).unwrap_or_default();
        [
            self.config.base_url.as_str(),
            "/api/v1/seq/",
            &flow.org,
            "/",
            &flow.project,
            "/",
            &flow.flow,
            &version,
            "/",
            action,
        ]
        .concat()
    }

    /// `POST .../execute`: run the flow and wait for its result.
    pub async fn execute(
        &self,
        flow: &FlowRef,
        target: Target,
        body: &Value,
    ) -> Result<RunReply, ApiError> {
        let url = self.url(flow, Some(target), "execute");
        async {
            let answer = self
                .answer(flow, reqwest::Method::POST, &url, Some(body))
                .await?;
            wire::read_run_reply(&answer)
        }
        .await
        .map_err(ApiError::redacted)
    }

    /// `POST .../jobs`: start an async run.
    pub async fn submit(
        &self,
        flow: &FlowRef,
        target: Target,
        body: &Value,
    ) -> Result<Submitted, ApiError> {
        let url = self.url(flow, Some(target), "jobs");
        async {
            let answer = self
                .send(flow, reqwest::Method::POST, &url, Some(body))
                .await?;
            let execution_id = answer
                .get("executionId")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    ApiError::Protocol("the job submission carried no executionId".into())
                })?;
            // Even encoded, these would name the jobs folder or its parent, not a job; and an
            // id of kilobytes is no id (a URL cannot carry it).
            if matches!(execution_id, "" | "." | "..") || execution_id.len() > MAX_EXECUTION_ID {
                return Err(ApiError::Protocol(format!(
                    "the job submission's executionId {} cannot name a job",
                    crate::words::short(&Value::String(execution_id.to_owned()), 80)
                )));
            }
            Ok(Submitted {
                execution_id: execution_id.to_owned(),
                block_count: answer.get("blockCount").and_then(Value::as_u64),
            })
        }
        .await
        .map_err(ApiError::redacted)
    }

    /// `GET .../jobs/{id}` (always the unversioned URL, as the SDKs do).
    pub async fn poll(&self, flow: &FlowRef, execution_id: &str) -> Result<JobState, ApiError> {
        let url = self.url(flow, None, &format!("jobs/{}", path_segment(execution_id)));
        async {
            let answer = self.send(flow, reqwest::Method::GET, &url, None).await?;
            match answer.get("status").and_then(Value::as_str) {
                Some("pending" | "started" | "queued") => Ok(JobState::Pending),
                Some("running") => Ok(JobState::Running),
                Some("completed" | "failed") => Ok(JobState::Done(wire::parse_run_reply(&answer)?)),
                other => Err(ApiError::Protocol(format!("unknown job status {other:?}"))),
            }
        }
        .await
        .map_err(ApiError::redacted)
    }

    /// `POST .../step`: one step-through call; `on_event` sees each event as it arrives.
    pub async fn step(
        &self,
        flow: &FlowRef,
        target: Target,
        body: &Value,
        on_event: &mut dyn FnMut(StepEvent),
    ) -> Result<(), ApiError> {
        self.stream_step(flow, target, body, on_event)
            .await
            .map_err(ApiError::redacted)
    }

    async fn stream_step(
        &self,
        flow: &FlowRef,
        target: Target,
        body: &Value,
        on_event: &mut dyn FnMut(StepEvent),
    ) -> Result<(), ApiError> {
        let url = self.url(flow, Some(target), "step");
        let started = Instant::now();
        let exchange = self.trace_request("POST", &url, Some(body));
        let mut response = self
            .request(flow, reqwest::Method::POST, &url, Some(body))
            .await?;
        let status = response.status();
        let is_stream = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let meta = self.meta(&response);
        if !(200..300).contains(&status) || !is_stream {
            let retry_after = retry_after(&response);
            let (text, _) = self.read_capped(&mut response).await?;
            self.trace_response(exchange, status, started, &text);
            self.record("POST", &url, Some(body), meta.as_ref(), &text);
            if (200..300).contains(&status) {
                return Err(ApiError::Protocol(format!(
                    "expected an event stream, got {}",
                    crate::words::short(&Value::String(text), 200)
                )));
            }
            return Err(self.refused(flow, http_error(status, &text, retry_after)));
        }
        let limit = self.config.max_response_bytes;
        let mut parser = Parser::new(limit);
        let mut values = wire::ValueBudget::default();
        let mut terminal = false;
        let mut raw = String::new();
        // The whole stream counts against the cap, not only each event: a server that streams
        // events forever must not grow the collected events without bound.
        let mut received = 0usize;
        loop {
            let chunk = match response.chunk().await {
                Ok(Some(chunk)) => chunk,
                Ok(None) => break,
                Err(err) => {
                    self.record("POST", &url, Some(body), meta.as_ref(), &raw);
                    return Err(self.transport(err));
                }
            };
            received = received.saturating_add(chunk.len());
            if received > limit {
                self.record("POST", &url, Some(body), meta.as_ref(), &raw);
                return Err(ApiError::Protocol(format!(
                    "the event stream is larger than the {limit}-byte limit"
                )));
            }
            if meta.is_some() {
                raw.push_str(&String::from_utf8_lossy(&chunk));
            }
            let frames = parser
                .feed(&chunk)
                .map_err(|err| ApiError::Protocol(err.to_string()))?;
            for mut frame in frames {
                frame.data = self.config.keys.scrub(&frame.data);
                frame.event = frame.event.map(|event| self.config.keys.scrub(&event));
                if self.config.verbose {
                    crate::errln!(
                        "< #{exchange} event: {} data: {}",
                        shown(&redact_url(frame.event.as_deref().unwrap_or("-"))),
                        shown(&redact_url(&frame.data))
                    );
                }
                let event = wire::parse_step_event_within(
                    frame.event.as_deref(),
                    &frame.data,
                    &mut values,
                )?;
                terminal |= matches!(
                    event,
                    StepEvent::FlowCompleted { .. }
                        | StepEvent::StepError { .. }
                        | StepEvent::StepPaused { .. }
                );
                on_event(event);
            }
        }
        self.trace_response(exchange, status, started, "(end of stream)");
        self.record("POST", &url, Some(body), meta.as_ref(), &raw);
        if !terminal || parser.is_mid_frame() {
            return Err(ApiError::Protocol(
                "the event stream ended before the step finished".into(),
            ));
        }
        Ok(())
    }

    /// What a recording keeps of a response's head; nothing when not recording (every
    /// request would pay for copying its headers).
    fn meta(&self, response: &Response) -> Option<Meta> {
        self.config.recorder.as_ref().map(|_| Meta::of(response))
    }

    /// Keep the exchange for `--record`: no header but the content type and `Retry-After`;
    /// the recorder scrubs it of the key and of URLs' queries and fragments.
    fn record(
        &self,
        method: &str,
        url: &str,
        body: Option<&Value>,
        meta: Option<&Meta>,
        text: &str,
    ) {
        let (Some(recorder), Some(meta)) = (&self.config.recorder, meta) else {
            return;
        };
        let path = url
            .strip_prefix(&self.config.base_url)
            .unwrap_or(url)
            .to_owned();
        recorder.record(crate::record::Exchange {
            method: method.to_owned(),
            path,
            body: body.cloned(),
            status: meta.status,
            content_type: meta.content_type.clone(),
            retry_after: meta.retry_after.clone(),
            response: text.to_owned(),
        });
    }

    /// Send the request with the project's key; the response's head has arrived.
    async fn request(
        &self,
        flow: &FlowRef,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Response, ApiError> {
        let own_key = if self.project_keys.is_empty() {
            None
        } else {
            self.project_keys
                .get(&format!("{}/{}", flow.org, flow.project))
        };
        let sent = self.transport.send(method, url, own_key, body).await;
        match &sent {
            Ok(_) => {
                self.reach.answers.fetch_add(1, Ordering::Relaxed);
                // Written only when a refusal came since: every answer would otherwise write
                // one more line of memory the calls on the other core share.
                let refusals = self.reach.refusals.load(Ordering::Relaxed);
                let at_answer = &self.reach.refusals_at_answer;
                if at_answer.load(Ordering::Relaxed) != refusals {
                    at_answer.store(refusals, Ordering::Relaxed);
                }
            }
            Err(err) if err.connect => {
                let why = self.config.keys.scrub(&err.message);
                *self
                    .reach
                    .refused
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(why);
                self.reach.refusals.fetch_add(1, Ordering::Relaxed);
            }
            Err(_) => {}
        }
        sent.map_err(|e| self.transport(e))
    }

    /// Whether a connection to the server has been made in this run. Until one has, no
    /// request has left this machine: a call cut short was never sent.
    pub fn connected(&self) -> bool {
        self.reach.connected.load(Ordering::Relaxed)
    }

    /// How often the server has answered and refused a connection so far, for
    /// [`Client::unreachable`] to tell what happened since.
    pub fn reach_mark(&self) -> ReachMark {
        ReachMark {
            answers: self.reach.answers.load(Ordering::Relaxed),
            refusals: self.reach.refusals.load(Ordering::Relaxed),
        }
    }

    /// Why no connection to the server could be made, for an attempt that broke after
    /// starting at `since`: the server has answered nothing in this run, so nothing will reach
    /// it; or it answered before, but connections were refused during the attempt, and the last
    /// [`GONE_AFTER`] of the run's calls at least were refused with no answer since (this
    /// attempt's tries, or those of attempts side by side): it has gone (a crash mid-run), and
    /// every case left would spend its retries for nothing. An answer earlier in the same
    /// attempt (a job's submit, before its polls were refused) does not say the server is
    /// there now.
    pub fn unreachable(&self, since: ReachMark) -> Option<String> {
        let now = self.reach_mark();
        let in_a_row = now.refusals
            - (self.reach.refusals_at_answer.load(Ordering::Relaxed)).min(now.refusals);
        let gone = now.answers > 0 && now.refusals > since.refusals && in_a_row >= GONE_AFTER;
        if now.answers > 0 && !gone {
            return None;
        }
        let why = self
            .reach
            .refused
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()?;
        // The innermost cause says it (`Connection refused (os error 111)`); the URL is the
        // server's, not one call's.
        let cause = why.rsplit(": ").next().unwrap_or(&why);
        let server = redact_url(&self.config.base_url);
        Some(match gone {
            false => format!("the server at {server} could not be reached: {cause}"),
            true => format!(
                "the server at {server} stopped answering: {cause} (it had answered {} calls of this run; {in_a_row} connections refused since)",
                now.answers
            ),
        })
    }

    async fn send(
        &self,
        flow: &FlowRef,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiError> {
        let answer = self.answer(flow, method, url, body).await?;
        wire::ValueBudget::default()
            .parse(&answer)
            .map_err(|err| err.of_body(&answer))
    }

    /// The call's answer as text: a success's body, UTF-8 and not encoded, not yet parsed.
    async fn answer(
        &self,
        flow: &FlowRef,
        method: reqwest::Method,
        url: &str,
        body: Option<&Value>,
    ) -> Result<String, ApiError> {
        let started = Instant::now();
        let exchange = self.trace_request(method.as_str(), url, body);
        let mut response = self.request(flow, method.clone(), url, body).await?;
        let status = response.status();
        let retry_after = retry_after(&response);
        let meta = self.meta(&response);
        let encoding = content_encoding(&response, &self.config.keys);
        let (text, utf8) = self.read_capped(&mut response).await?;
        self.trace_response(exchange, status, started, &text);
        self.record(method.as_str(), url, body, meta.as_ref(), &text);
        if !(200..300).contains(&status) {
            return Err(self.refused(flow, http_error(status, &text, retry_after)));
        }
        // flowcheck sends no `Accept-Encoding`: a compressed body is one it cannot read.
        if let Some(encoding) = encoding {
            return Err(ApiError::Protocol(format!(
                "the body is {encoding}-encoded, which flowcheck did not ask for"
            )));
        }
        if text.is_empty() && matches!(status, 204 | 205) {
            return Err(ApiError::Protocol(format!("HTTP {status} with no body")));
        }
        // JSON is UTF-8: other bytes would be read as U+FFFD, and a check pass on them.
        if !utf8 {
            return Err(ApiError::Protocol(
                "the body is not UTF-8, as JSON must be".into(),
            ));
        }
        Ok(text)
    }

    /// A 403 says which key the project refused and what to set (keys open one project); a
    /// 401, where the key it did not accept came from (a run may hold several).
    fn refused(&self, flow: &FlowRef, error: ApiError) -> ApiError {
        let keys = &self.config.keys;
        match error {
            ApiError::Http {
                status: status @ (401 | 403),
                code,
                message,
                retry_after,
            } => {
                let hint = match status {
                    401 => keys
                        .source(&flow.org, &flow.project)
                        .map(|from| format!("the key from {from}")),
                    _ => keys.refused_hint(&flow.org, &flow.project),
                };
                ApiError::Http {
                    status,
                    code,
                    message: match hint {
                        Some(hint) => format!("{message} ({hint})"),
                        None => message,
                    },
                    retry_after,
                }
            }
            other => other,
        }
    }

    /// The body as text (bytes that are not UTF-8 as U+FFFD), refused beyond the size cap and
    /// with the key scrubbed out; and whether it was UTF-8.
    async fn read_capped(&self, response: &mut Response) -> Result<(String, bool), ApiError> {
        let limit = self.config.max_response_bytes;
        if response
            .content_length()
            .is_some_and(|len| len as usize > limit)
        {
            return Err(ApiError::Protocol(format!(
                "the response is larger than the {limit}-byte limit"
            )));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.transport(e))? {
            if body.len() + chunk.len() > limit {
                return Err(ApiError::Protocol(format!(
                    "the response is larger than the {limit}-byte limit"
                )));
            }
            body.extend_from_slice(&chunk);
        }
        // A server that echoes the request (or its Authorization header) must not carry the
        // key into results, errors or reports.
        let text = String::from_utf8_lossy(&body);
        let utf8 = matches!(text, std::borrow::Cow::Borrowed(_));
        Ok((self.config.keys.scrub(&text), utf8))
    }

    fn transport(&self, err: transport::Error) -> ApiError {
        if let Some(why) = err.certificate {
            return ApiError::Untrusted(format!(
                "the server's TLS certificate was refused ({why}); if a private CA signed it, \
                 pass that CA with --ca-bundle"
            ));
        }
        ApiError::Transport {
            message: self.config.keys.scrub(&err.message),
            connect: err.connect,
        }
    }

    /// `-v`: the request, numbered so that its response (`< #12 ...`) can be found among
    /// the others in flight. Returns the number.
    fn trace_request(&self, method: &str, url: &str, body: Option<&Value>) -> u64 {
        static EXCHANGES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        if !self.config.verbose {
            return 0;
        }
        let exchange = EXCHANGES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // A suite may have put the key in a body by another name (`${KEY_COPY}`).
        let body = body
            .map(|b| self.config.keys.scrub(&redact_urls(b).to_string()))
            .unwrap_or_default();
        crate::errln!(
            "> #{exchange} {method} {url}\n> #{exchange} authorization: Bearer [redacted]\n> #{exchange} {}",
            shown(&body)
        );
        exchange
    }

    fn trace_response(&self, exchange: u64, status: u16, started: Instant, text: &str) {
        if self.config.verbose {
            crate::errln!(
                "< #{exchange} {status} ({} ms) {}",
                started.elapsed().as_millis(),
                shown(&redact_url(text))
            );
        }
    }
}

/// A body as `-v` prints it: as sent or received, on one line, control characters escaped
/// (a server's text must not move the terminal's cursor), cut after 2,000 characters.
fn shown(text: &str) -> String {
    const LONGEST: usize = 2000;
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n == LONGEST {
            out.push_str(&format!(
                " … ({} more characters)",
                text.chars().count() - n
            ));
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` as one segment of a URL's path: the server's job id is its to choose, and `/`, `?`,
/// `#` or a line break in it must not change which URL is asked.
fn path_segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The response's `Content-Encoding`, unless it is `identity`; shortened, its control and
/// invisible characters escaped.
fn content_encoding(response: &Response, keys: &crate::secret::Keys) -> Option<String> {
    let value = response.headers().get(CONTENT_ENCODING)?;
    // A header is the server's text too: a key it echoes is scrubbed before the value is
    // cut short for the message (cut first, the key would not be found whole).
    let text = keys.scrub(&String::from_utf8_lossy(value.as_bytes()));
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("identity") {
        return None;
    }
    let shown = crate::words::short(&Value::String(text.to_owned()), 40);
    // `gzip` reads better bare; anything odd keeps its quotes.
    Some(
        match shown.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
            Some(bare) if bare.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') => {
                bare.to_owned()
            }
            _ => shown,
        },
    )
}

fn retry_after(response: &Response) -> Option<Duration> {
    let value = response.headers().get(RETRY_AFTER)?.to_str().ok()?;
    retry_after_value(value, std::time::SystemTime::now())
}

/// `Retry-After` as seconds or as an HTTP date (`Wed, 21 Oct 2026 07:28:00 GMT`), counted from
/// `now`; at most an hour.
fn retry_after_value(value: &str, now: std::time::SystemTime) -> Option<Duration> {
    const LONGEST: Duration = Duration::from_secs(3600);
    let value = value.trim();
    let wait = match value.parse::<f64>() {
        Ok(seconds) if !seconds.is_nan() => {
            Duration::try_from_secs_f64(seconds.min(LONGEST.as_secs_f64())).ok()?
        }
        Ok(_) => return None,
        Err(_) => httpdate::parse_http_date(value)
            .ok()?
            .duration_since(now)
            .unwrap_or(Duration::ZERO),
    };
    Some(wait.min(LONGEST))
}

fn http_error(status: u16, text: &str, retry_after: Option<Duration>) -> ApiError {
    let (code, message) = wire::parse_error_detail(text);
    ApiError::Http {
        status,
        code,
        message,
        retry_after,
    }
}

/// What a recording keeps of a response besides its body.
struct Meta {
    status: u16,
    content_type: Option<String>,
    retry_after: Option<String>,
}

impl Meta {
    fn of(response: &Response) -> Meta {
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        Meta {
            status: response.status(),
            content_type: header(CONTENT_TYPE),
            retry_after: header(RETRY_AFTER),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{path_segment, retry_after_value, shown};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        // Wed, 21 Oct 2026 07:28:00 GMT
        let now = UNIX_EPOCH + Duration::from_secs(1_792_567_680);
        let after = |v| retry_after_value(v, now);
        assert_eq!(after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(
            after("Wed, 21 Oct 2026 07:28:30 GMT"),
            Some(Duration::from_secs(30))
        );
        assert_eq!(after("Wed, 21 Oct 2026 07:27:00 GMT"), Some(Duration::ZERO));
        assert_eq!(
            after("Wed, 21 Oct 2099 07:28:00 GMT"),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(after("1e300"), Some(Duration::from_secs(3600)));
        for bad in ["-1", "NaN", "soon", ""] {
            assert_eq!(after(bad), None, "{bad}");
        }
    }

    #[test]
    fn verbose_bodies_are_one_line_and_cut() {
        assert_eq!(shown(r#"{"a":"b"}"#), r#"{"a":"b"}"#);
        assert_eq!(shown("line\nbreak\u{1b}[31m"), "line\\nbreak\\u{1b}[31m");
        let long = "é".repeat(2005);
        assert_eq!(
            shown(&long),
            format!("{} … (5 more characters)", "é".repeat(2000))
        );
    }

    #[test]
    fn a_job_id_stays_one_segment_of_the_path() {
        assert_eq!(path_segment("3f2a-9c_1.x~"), "3f2a-9c_1.x~");
        assert_eq!(
            path_segment("../../x?y#z\r\nHost: é"),
            "..%2F..%2Fx%3Fy%23z%0D%0AHost%3A%20%C3%A9"
        );
    }
}
