//! Record and replay: `--record DIR` keeps every response of a run; `--replay DIR` answers a
//! later run from them, with no network, for deterministic CI of the suites themselves and for
//! reproducing a failure. A recording holds no header but the content type and `Retry-After`,
//! so it never holds the key; the [`Recorder`] scrubs every string it keeps (path, request and
//! response bodies, each event of a stream, the headers it keeps) of the key and of URLs'
//! query strings and fragments.

mod replay;

pub use replay::{Replay, serve};

use crate::secret::{Keys, map_strings, redact_url};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::sync::Mutex;

/// The file inside the recording folder.
pub const FILE: &str = "recording.jsonl";

/// One request and the answer it got.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    pub method: String,
    /// The path under the server root, e.g. `/api/v1/seq/demo/support/triage/v2/execute`.
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<String>,
    pub response: String,
}

impl Exchange {
    /// What identifies a request on replay: method, path and the (redacted) body.
    pub fn key(method: &str, path: &str, body: Option<&Value>) -> String {
        let body = body
            .map(|b| crate::secret::redact_urls(b).to_string())
            .unwrap_or_default();
        format!("{method} {path} {body}")
    }
}

/// Collects the exchanges of a run, from every concurrent call, each scrubbed as it comes.
#[derive(Debug)]
pub struct Recorder {
    key: Keys,
    exchanges: Mutex<Vec<Exchange>>,
}

impl Recorder {
    /// A recorder that scrubs the run's keys from everything it keeps.
    pub fn new(key: Keys) -> Recorder {
        Recorder {
            key,
            exchanges: Mutex::default(),
        }
    }

    /// Keep `exchange`, scrubbed of the key and of URLs' query strings and fragments.
    pub fn record(&self, exchange: Exchange) {
        let exchange = exchange.scrubbed(&self.key);
        if let Ok(mut exchanges) = self.exchanges.lock() {
            exchanges.push(exchange);
        }
    }

    /// Write `DIR/recording.jsonl` (atomically), one exchange a line.
    pub fn write(&self, dir: &Path) -> Result<usize, String> {
        let exchanges = self
            .exchanges
            .lock()
            .map_err(|_| "the recording was lost".to_owned())?;
        let mut text = String::new();
        for exchange in exchanges.iter() {
            text.push_str(&serde_json::to_string(exchange).map_err(|err| err.to_string())?);
            text.push('\n');
        }
        crate::files::write_atomic(&dir.join(FILE), &text)?;
        Ok(exchanges.len())
    }
}

impl Exchange {
    /// Every string of the exchange without the key and without URLs' query strings and
    /// fragments (a server may quote the signed attachment URL it could not fetch, in an
    /// error, a result or an event).
    fn scrubbed(self, key: &Keys) -> Exchange {
        let text = |s: &str| scrub_text(key, s);
        Exchange {
            method: text(&self.method),
            // A job's path holds the id the server chose: as the replayed run will ask for it
            // once its answer is scrubbed (`[` and `]` percent-encoded in a path).
            path: text(&self.path).replace("[redacted]", "%5Bredacted%5D"),
            body: self.body.as_ref().map(|b| map_strings(b, &mut |s| text(s))),
            status: self.status,
            content_type: self.content_type.as_deref().map(text),
            retry_after: self.retry_after.as_deref().map(text),
            response: scrub_body(key, &self.response),
        }
    }
}

/// Text without the key (escaped or not) and without URLs' query strings and fragments.
fn scrub_text(key: &Keys, text: &str) -> String {
    redact_url(&key.scrub(text))
}

/// A response body: JSON is scrubbed string by string, read decoded (a URL written
/// `https:\/\/...` is still a URL) and written again only when something was cut; other text
/// (an event stream, HTML) line by line, each event's JSON data as JSON.
fn scrub_body(key: &Keys, body: &str) -> String {
    let body = key.scrub(body);
    if let Some(json) = scrub_json(key, &body) {
        return json;
    }
    let mut out = String::with_capacity(body.len());
    for line in body.split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        let end = &line[content.len()..];
        match content.strip_prefix("data:") {
            Some(data) => {
                let (space, data) = match data.strip_prefix(' ') {
                    Some(data) => (" ", data),
                    None => ("", data),
                };
                out.push_str("data:");
                out.push_str(space);
                match scrub_json(key, data) {
                    Some(json) => out.push_str(&json),
                    None => out.push_str(&scrub_text(key, data)),
                }
            }
            None => out.push_str(&scrub_text(key, content)),
        }
        out.push_str(end);
    }
    out
}

/// `text` scrubbed, if it is JSON; itself when nothing in it needed cutting.
fn scrub_json(key: &Keys, text: &str) -> Option<String> {
    let value: Value = serde_json::from_str(text).ok()?;
    let scrubbed = map_strings(&value, &mut |s| scrub_text(key, s));
    Some(if scrubbed == value {
        text.to_owned()
    } else {
        scrubbed.to_string()
    })
}

/// The largest recording read: a 100,000-case run's is some hundreds of megabytes, as its
/// JSON report is (read up to the same limit).
const MAX_RECORDING_BYTES: u64 = 1 << 30;

/// Read a recording folder. Its file must be a regular one: a fifo is refused without being
/// opened to wait for a writer (that wait would last for ever, Ctrl-C and all), as a suite is.
pub fn read(dir: &Path) -> Result<Vec<Exchange>, String> {
    use crate::files::ReadError;
    let file = dir.join(FILE);
    let shown = file.display();
    let text =
        crate::files::read_regular_text(&file, MAX_RECORDING_BYTES).map_err(|err| match err {
            ReadError::Io(err) => format!("cannot read the recording {shown}: {err}"),
            ReadError::TooLarge { limit } => {
                format!("the recording {shown} is larger than {limit} bytes, more than it can be")
            }
            ReadError::NotUtf8 { line, column } => {
                format!(
                    "{shown}:{line}:{column}: not a recorded exchange: this byte is not UTF-8 text"
                )
            }
        })?;
    // Else every case would err with `NOT_RECORDED`, as if the server were down.
    if text.trim().is_empty() {
        return Err(format!(
            "the recording {shown} holds no exchange: record one with `flowcheck run --record {}`",
            dir.display()
        ));
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            let not_one = |why: String| {
                format!(
                    "{}:{}: not a recorded exchange: {why}",
                    file.display(),
                    index + 1
                )
            };
            let exchange: Exchange =
                serde_json::from_str(line).map_err(|err| not_one(err.to_string()))?;
            // A recording edited by hand: a status no answer has would be replayed as a 500.
            if !(100..=599).contains(&exchange.status) {
                return Err(not_one(format!(
                    "status {} is not an HTTP status (100 to 599)",
                    exchange.status
                )));
            }
            Ok(exchange)
        })
        .collect()
}
