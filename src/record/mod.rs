//! Record and replay: `--record DIR` keeps every response of a run; `--replay DIR` answers a
//! later run from them, with no network, for deterministic CI of the suites themselves and for
//! reproducing a failure. A recording holds no header but the content type and `Retry-After`,
//! so it never holds the key; bodies are scrubbed of it and of signed-URL query strings.

mod replay;

pub use replay::{Replay, serve};

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

/// Collects the exchanges of a run, from every concurrent call.
#[derive(Debug, Default)]
pub struct Recorder {
    exchanges: Mutex<Vec<Exchange>>,
}

impl Recorder {
    pub fn record(&self, exchange: Exchange) {
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

/// Read a recording folder.
pub fn read(dir: &Path) -> Result<Vec<Exchange>, String> {
    let file = dir.join(FILE);
    let text = std::fs::read_to_string(&file)
        .map_err(|err| format!("cannot read the recording {}: {err}", file.display()))?;
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str(line).map_err(|err| {
                format!(
                    "{}:{}: not a recorded exchange: {err}",
                    file.display(),
                    index + 1
                )
            })
        })
        .collect()
}
