//! The YAML shape of a flow definition file, exactly as written, with source spans.
//! `compile` turns it into the checked model; nothing else reads these types.
//!
//! Blocks are one flat struct with every field optional, rather than an internally tagged
//! enum, because tagged enums lose serde-saphyr's spans and give poor error messages; the
//! per-kind field rules are checked by hand in `compile`.

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlow {
    pub org: Spanned<String>,
    pub project: Spanned<String>,
    pub flow: Spanned<String>,
    /// For readers of the file; the simulator does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
    pub production: Spanned<u32>,
    #[serde(default)]
    pub message_required: Option<bool>,
    #[serde(default)]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    pub faults: Option<Spanned<RawFaults>>,
    #[serde(default)]
    pub job_seconds: Option<Spanned<f64>>,
    pub versions: Spanned<Vec<Spanned<RawVersion>>>,
    #[serde(default)]
    pub draft: Option<Spanned<RawVersion>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawVersion {
    #[serde(default)]
    pub version: Option<Spanned<u32>>,
    /// For readers of the file; the simulator does not use it.
    #[serde(default)]
    #[allow(dead_code)]
    pub description: Option<String>,
    pub blocks: Spanned<Vec<Spanned<RawBlock>>>,
    #[serde(default)]
    pub result: Option<Spanned<Value>>,
    #[serde(default)]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    pub faults: Option<Spanned<RawFaults>>,
    #[serde(default)]
    pub job_seconds: Option<Spanned<f64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLatency {
    #[serde(default)]
    pub ms: Option<u64>,
    #[serde(default)]
    pub min_ms: Option<u64>,
    #[serde(default)]
    pub max_ms: Option<u64>,
    #[serde(default)]
    pub mean_ms: Option<f64>,
    #[serde(default)]
    pub stddev_ms: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFaults {
    #[serde(default)]
    pub fail: Option<Spanned<RawSchedule>>,
    #[serde(default)]
    pub rate_limit: Option<Spanned<RawSchedule>>,
    #[serde(default)]
    pub server_error: Option<Spanned<RawSchedule>>,
    #[serde(default)]
    pub unavailable: Option<Spanned<RawSchedule>>,
    #[serde(default)]
    pub gateway_timeout: Option<Spanned<RawSchedule>>,
    #[serde(default)]
    pub out_of_credits: Option<Spanned<RawSchedule>>,
    #[serde(default)]
    pub forbidden: Option<Spanned<RawSchedule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSchedule {
    #[serde(default)]
    pub every: Option<u64>,
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(default)]
    pub retry_after: Option<u32>,
    /// `fail` only: the block that fails.
    #[serde(default)]
    pub step: Option<String>,
    /// `fail` only: the error text of the failed run.
    #[serde(default)]
    pub error: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawBlock {
    pub id: Spanned<String>,
    pub kind: Spanned<String>,
    #[serde(default)]
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub input: Option<Spanned<Value>>,
    // llm
    #[serde(default)]
    pub model: Option<Spanned<String>>,
    #[serde(default)]
    pub prompt: Option<Spanned<String>>,
    #[serde(default)]
    pub decide: Option<Spanned<Vec<RawDecision>>>,
    #[serde(default)]
    pub output: Option<Spanned<Value>>,
    #[serde(default)]
    pub variants: Option<Spanned<Vec<Value>>>,
    #[serde(default)]
    pub prompt_rules: Option<Spanned<Vec<RawPromptRule>>>,
    // template
    #[serde(default)]
    pub text: Option<Spanned<String>>,
    // extract
    #[serde(default)]
    pub pattern: Option<Spanned<String>>,
    #[serde(default)]
    pub group: Option<Spanned<usize>>,
    #[serde(default)]
    pub field: Option<Spanned<String>>,
    #[serde(default)]
    pub default: Option<Spanned<String>>,
    // json_map
    #[serde(default)]
    pub fields: Option<Spanned<Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDecision {
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
    #[serde(default)]
    pub otherwise: Option<Spanned<Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRule {
    #[serde(default)]
    pub if_contains: Option<Vec<String>>,
    #[serde(default)]
    pub if_attachments: Option<bool>,
    pub set: Spanned<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPromptRule {
    pub if_contains: Vec<String>,
    pub apply: Spanned<String>,
}
