//! The suite file as written: serde shapes with a source position on everything a later
//! check may need to point at. Unknown keys are refused here; meaning is checked in `compile`.

use crate::check::RawCheck;
use crate::check::expect::FlowStatus;
use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Suite")]
pub struct RawSuite {
    #[schemars(with = "String")]
    pub suite: Spanned<String>,
    #[schemars(with = "String")]
    pub flow: Spanned<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub targets: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    #[schemars(with = "Option<Mode>")]
    pub mode: Option<Spanned<Mode>>,
    #[serde(default)]
    pub defaults: Option<RawDefaults>,
    #[schemars(with = "Vec<RawCase>")]
    #[serde(default = "no_cases")]
    /// Boxed: a raw case is large, and the list grows by copying.
    pub cases: Spanned<Vec<Spanned<Box<RawCase>>>>,
    /// Cases generated from the rows of a data file.
    #[serde(default)]
    #[schemars(with = "Vec<RawCasesFrom>")]
    pub cases_from: Vec<Spanned<RawCasesFrom>>,
}

fn no_cases() -> Spanned<Vec<Spanned<Box<RawCase>>>> {
    Spanned::new(
        Vec::new(),
        serde_saphyr::Location::UNKNOWN,
        serde_saphyr::Location::UNKNOWN,
    )
}

/// `cases_from`: one case per row of a CSV, JSONL or YAML file; `{{column}}` in the template's
/// strings is replaced by the row's value.
#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CasesFrom")]
pub struct RawCasesFrom {
    /// The data file, relative to the suite: `.csv` (with a header row), `.jsonl` (one object a
    /// line) or `.yaml`/`.yml` (a list of mappings).
    #[schemars(with = "String")]
    pub file: Spanned<String>,
    /// The case each row fills in.
    #[schemars(with = "RawCase")]
    pub case: Spanned<RawCase>,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
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

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Defaults")]
pub struct RawDefaults {
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub parameters: Option<Spanned<Value>>,
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub repeat: Option<Spanned<u32>>,
    #[serde(default)]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Case")]
pub struct RawCase {
    #[schemars(with = "String")]
    pub name: Spanned<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub message: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub parameters: Option<Spanned<Value>>,
    #[serde(default)]
    #[schemars(with = "Vec<RawAttachment>")]
    pub attachments: Vec<Spanned<RawAttachment>>,
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub block_overrides: Option<Spanned<Value>>,
    #[serde(default)]
    #[schemars(with = "Option<Mode>")]
    pub mode: Option<Spanned<Mode>>,
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub targets: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub repeat: Option<Spanned<u32>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub pass_if: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Vec<RawStep>")]
    pub steps: Vec<Spanned<RawStep>>,
    #[serde(default)]
    #[schemars(with = "Option<RawExpect>")]
    pub expect: Option<Spanned<RawExpect>>,
    /// One case per combination of these values, e.g. `{channel: [email, chat], locale: [en, fr]}`;
    /// `{{channel}}` in the case's strings is replaced by the value.
    #[serde(default)]
    #[schemars(with = "Option<std::collections::BTreeMap<String, Vec<Value>>>")]
    pub matrix: Option<Spanned<Value>>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Attachment")]
pub struct RawAttachment {
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub kind: Option<Spanned<String>>,
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub mime_type: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub filename: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expect")]
pub struct RawExpect {
    #[serde(default)]
    #[schemars(with = "Option<FlowStatus>")]
    pub status: Option<Spanned<FlowStatus>>,
    #[serde(default)]
    #[schemars(with = "Option<RawErrorExpect>")]
    pub error: Option<Spanned<RawErrorExpect>>,
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub block_count: Option<Spanned<u64>>,
    #[serde(default)]
    #[schemars(with = "Option<RawLatency>")]
    pub latency: Option<Spanned<RawLatency>>,
    #[serde(default)]
    #[schemars(with = "Option<RawUsage>")]
    pub usage: Option<Spanned<RawUsage>>,
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub threshold: Option<Spanned<f64>>,
    /// `true`, or `{redact: [paths], round: N, sort: [paths]}`.
    #[serde(default)]
    #[schemars(with = "Option<Value>")]
    pub snapshot: Option<Spanned<Value>>,
    #[serde(default)]
    #[schemars(with = "Vec<RawCheck>")]
    pub output: Vec<Spanned<RawCheck>>,
}

/// Spending limits, checked against what step-through reports.
#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Usage")]
pub struct RawUsage {
    #[serde(default)]
    pub max_tokens: Option<u64>,
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ErrorExpect")]
pub struct RawErrorExpect {
    #[serde(default)]
    #[schemars(with = "Option<u16>")]
    pub http: Option<Spanned<u16>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub code: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Latency")]
pub struct RawLatency {
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub max: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub min: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Step")]
pub struct RawStep {
    /// A step id (`summarize`) or a 0-based index.
    #[schemars(with = "Value")]
    pub step: Spanned<Value>,
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub input_overrides: Option<Spanned<Value>>,
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Map<String, Value>>")]
    pub block_overrides: Option<Spanned<Value>>,
    #[serde(default)]
    #[schemars(with = "Option<RawUsage>")]
    pub usage: Option<Spanned<RawUsage>>,
    #[serde(default)]
    #[schemars(with = "Vec<RawCheck>")]
    pub expect: Vec<Spanned<RawCheck>>,
}
