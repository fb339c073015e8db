//! The suite file as written: serde shapes with a source position on everything a later
//! check may need to point at. Unknown keys are refused here; meaning is checked in `compile`.

use crate::check::RawCheck;
use crate::check::expect::FlowStatus;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSuite {
    pub suite: Spanned<String>,
    pub flow: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub targets: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub mode: Option<Spanned<Mode>>,
    #[serde(default)]
    pub defaults: Option<RawDefaults>,
    pub cases: Spanned<Vec<Spanned<RawCase>>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Sync,
    Async,
    Step,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Sync => "sync",
            Mode::Async => "async",
            Mode::Step => "step",
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDefaults {
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub parameters: Option<Spanned<Value>>,
    #[serde(default)]
    pub repeat: Option<Spanned<u32>>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCase {
    pub name: Spanned<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub message: Option<Spanned<String>>,
    #[serde(default)]
    pub parameters: Option<Spanned<Value>>,
    #[serde(default)]
    pub attachments: Vec<Spanned<RawAttachment>>,
    #[serde(default)]
    pub block_overrides: Option<Spanned<Value>>,
    #[serde(default)]
    pub mode: Option<Spanned<Mode>>,
    #[serde(default)]
    pub targets: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    pub timeout: Option<Spanned<String>>,
    #[serde(default)]
    pub repeat: Option<Spanned<u32>>,
    #[serde(default)]
    pub pass_if: Option<Spanned<String>>,
    #[serde(default)]
    pub steps: Vec<Spanned<RawStep>>,
    #[serde(default)]
    pub expect: Option<Spanned<RawExpect>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAttachment {
    #[serde(default)]
    pub kind: Option<Spanned<String>>,
    pub url: Spanned<String>,
    #[serde(default)]
    pub mime_type: Option<Spanned<String>>,
    #[serde(default)]
    pub filename: Option<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpect {
    #[serde(default)]
    pub status: Option<Spanned<FlowStatus>>,
    #[serde(default)]
    pub error: Option<Spanned<RawErrorExpect>>,
    #[serde(default)]
    pub block_count: Option<Spanned<u64>>,
    #[serde(default)]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    pub usage: Option<Spanned<RawUsage>>,
    #[serde(default)]
    pub threshold: Option<Spanned<f64>>,
    /// `true`, or `{redact: [paths], round: N, sort: [paths]}`.
    #[serde(default)]
    pub snapshot: Option<Spanned<Value>>,
    #[serde(default)]
    pub output: Vec<Spanned<RawCheck>>,
}

/// Spending limits, checked against what step-through reports.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUsage {
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawErrorExpect {
    #[serde(default)]
    pub http: Option<Spanned<u16>>,
    #[serde(default)]
    pub code: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLatency {
    #[serde(default)]
    pub max: Option<Spanned<String>>,
    #[serde(default)]
    pub min: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStep {
    /// A step id (`summarize`) or a 0-based index.
    pub step: Spanned<Value>,
    #[serde(default)]
    pub input_overrides: Option<Spanned<Value>>,
    #[serde(default)]
    pub block_overrides: Option<Spanned<Value>>,
    #[serde(default)]
    pub usage: Option<Spanned<RawUsage>>,
    #[serde(default)]
    pub expect: Vec<Spanned<RawCheck>>,
}
