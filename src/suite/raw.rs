//! The suite file as written: serde shapes with a source position on everything a later
//! check may need to point at. Unknown keys are refused here; meaning is checked in `compile`.

use crate::check::RawCheck;
use crate::check::expect::FlowStatus;
use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::fmt;

/// The shape of a suite file, for its JSON Schema (`flowcheck schema`). The loader does not
/// build it: it reads the same keys with [`SuiteSeed`], which hands over each case as soon as it
/// is read, so that a large suite's cases are never all held in this raw form (every value
/// carries its position, which makes a raw case about 1.8 KB).
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Suite")]
pub struct RawSuite {
    pub suite: String,
    pub flow: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub targets: Option<Vec<String>>,
    #[serde(default)]
    pub mode: Option<Mode>,
    #[serde(default)]
    pub defaults: Option<RawDefaults>,
    #[serde(default)]
    pub cases: Vec<RawCase>,
    /// Cases generated from the rows of a data file.
    #[serde(default)]
    pub cases_from: Vec<RawCasesFrom>,
}

/// A suite file's keys, in [`RawSuite`]'s order; an unknown key is refused with this list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum SuiteKey {
    Suite,
    Flow,
    Description,
    Targets,
    Mode,
    Defaults,
    Cases,
    CasesFrom,
}

const SUITE_KEYS: &[&str] = &[
    "suite",
    "flow",
    "description",
    "targets",
    "mode",
    "defaults",
    "cases",
    "cases_from",
];

/// Everything in a suite file but its written cases, which [`SuiteSeed`] hands over one by one.
#[derive(Debug)]
pub struct RawHeader {
    pub suite: Spanned<String>,
    pub flow: Spanned<String>,
    pub targets: Option<Spanned<Vec<Spanned<String>>>>,
    pub mode: Option<Spanned<Mode>>,
    pub defaults: Option<RawDefaults>,
    /// Where the `cases` key is, if the file has one.
    pub cases_at: Option<serde_saphyr::Location>,
    pub cases_from: Vec<Spanned<RawCasesFrom>>,
}

/// The suite keys read from a whole file or from one piece of it (a large file's `cases` are
/// read in pieces, each on its own thread: see `load::split`). Pieces are put together with
/// [`HeaderParts::merge`]; [`HeaderParts::finish`] makes the header of the whole.
#[derive(Debug, Default)]
pub struct HeaderParts {
    suite: Option<Spanned<String>>,
    flow: Option<Spanned<String>>,
    targets: Option<Spanned<Vec<Spanned<String>>>>,
    mode: Option<Spanned<Mode>>,
    defaults: Option<RawDefaults>,
    cases_at: Option<serde_saphyr::Location>,
    cases_from: Vec<Spanned<RawCasesFrom>>,
    /// The keys written, in order.
    keys: Vec<SuiteKey>,
}

impl HeaderParts {
    /// The keys of two pieces of one file, or `None` if both write the same key (other than
    /// `cases`, which every piece has): the whole file repeats it, which only the reading of
    /// the whole file reports as it should.
    pub fn merge(mut self, later: HeaderParts) -> Option<HeaderParts> {
        let repeated = later
            .keys
            .iter()
            .any(|key| *key != SuiteKey::Cases && self.keys.contains(key));
        if repeated {
            return None;
        }
        self.suite = self.suite.or(later.suite);
        self.flow = self.flow.or(later.flow);
        self.targets = self.targets.or(later.targets);
        self.mode = self.mode.or(later.mode);
        self.defaults = self.defaults.or(later.defaults);
        self.cases_at = self.cases_at.or(later.cases_at);
        self.cases_from.extend(later.cases_from);
        self.keys.extend(later.keys);
        Some(self)
    }

    /// The header, if `suite` and `flow` were written.
    pub fn finish(self) -> Option<RawHeader> {
        Some(RawHeader {
            suite: self.suite?,
            flow: self.flow?,
            targets: self.targets,
            mode: self.mode,
            defaults: self.defaults,
            cases_at: self.cases_at,
            cases_from: self.cases_from,
        })
    }
}

/// Reads a suite file (a [`RawSuite`]) key by key and calls `on_case` with each written case
/// as soon as it is read; returns the rest. Unknown and repeated keys are refused as a derived
/// `Deserialize` would refuse them, and missing ones too when it reads a `whole` file (not a
/// piece of one).
pub struct SuiteSeed<F> {
    pub on_case: F,
    pub whole: bool,
}

impl<'de, F: FnMut(Spanned<RawCase>)> DeserializeSeed<'de> for SuiteSeed<F> {
    type Value = HeaderParts;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<HeaderParts, D::Error> {
        deserializer.deserialize_struct("Suite", SUITE_KEYS, self)
    }
}

impl<'de, F: FnMut(Spanned<RawCase>)> Visitor<'de> for SuiteSeed<F> {
    type Value = HeaderParts;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a suite: a mapping with `suite`, `flow` and `cases`")
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<HeaderParts, A::Error> {
        fn once<T, E: de::Error>(
            slot: &mut Option<T>,
            value: T,
            key: &'static str,
        ) -> Result<(), E> {
            match slot {
                Some(_) => Err(E::duplicate_field(key)),
                None => {
                    *slot = Some(value);
                    Ok(())
                }
            }
        }
        let mut parts = HeaderParts::default();
        let mut description: Option<Option<String>> = None;
        let mut targets = None;
        let mut mode = None;
        let mut defaults = None;
        let mut cases_from = None;
        while let Some(key) = map.next_key::<Spanned<SuiteKey>>()? {
            parts.keys.push(key.value);
            match key.value {
                SuiteKey::Suite => once(&mut parts.suite, map.next_value()?, "suite")?,
                SuiteKey::Flow => once(&mut parts.flow, map.next_value()?, "flow")?,
                SuiteKey::Description => once(&mut description, map.next_value()?, "description")?,
                SuiteKey::Targets => once(&mut targets, map.next_value()?, "targets")?,
                SuiteKey::Mode => once(&mut mode, map.next_value()?, "mode")?,
                SuiteKey::Defaults => once(&mut defaults, map.next_value()?, "defaults")?,
                SuiteKey::Cases => {
                    once(&mut parts.cases_at, key.referenced, "cases")?;
                    map.next_value_seed(CasesSeed(&mut self.on_case))?;
                }
                SuiteKey::CasesFrom => once(&mut cases_from, map.next_value()?, "cases_from")?,
            }
        }
        if self.whole {
            if parts.suite.is_none() {
                return Err(de::Error::missing_field("suite"));
            }
            if parts.flow.is_none() {
                return Err(de::Error::missing_field("flow"));
            }
        }
        parts.targets = targets.flatten();
        parts.mode = mode.flatten();
        parts.defaults = defaults.flatten();
        parts.cases_from = cases_from.unwrap_or_default();
        Ok(parts)
    }
}

/// The `cases` list: each case goes to the function as soon as it is read.
struct CasesSeed<'f, F>(&'f mut F);

impl<'de, F: FnMut(Spanned<RawCase>)> DeserializeSeed<'de> for CasesSeed<'_, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, F: FnMut(Spanned<RawCase>)> Visitor<'de> for CasesSeed<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(case) = seq.next_element::<Spanned<RawCase>>()? {
            (self.0)(case);
        }
        Ok(())
    }
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
    #[schemars(with = "Option<u32>", range(min = 1, max = super::model::MAX_REPEAT))]
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
    /// `message:` with no value is a mistake, not "no message": refused where it is.
    #[serde(
        default,
        deserialize_with = "text_if_given",
        skip_serializing_if = "Option::is_none"
    )]
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
    #[schemars(with = "Option<Vec<String>>", length(min = 1))]
    pub targets: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    #[schemars(with = "Option<String>")]
    pub timeout: Option<Spanned<String>>,
    #[serde(default)]
    #[schemars(with = "Option<u32>", range(min = 1, max = super::model::MAX_REPEAT))]
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
    #[schemars(with = "Option<u16>", range(min = 400, max = 599))]
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

/// A text key written with no value (`message:`) is refused, where "no message" is leaving
/// the key out: the run would send none and every attempt fail with a 422.
fn text_if_given<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Spanned<String>>, D::Error> {
    let given = Spanned::<Option<String>>::deserialize(d)?;
    match given.value {
        Some(text) => Ok(Some(Spanned::new(text, given.referenced, given.defined))),
        None => Err(serde::de::Error::custom(
            "this key has no value: write the text (\"\" for an empty one), or leave the key out",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_loader_reads_the_keys_the_schema_describes() {
        let schema = schemars::SchemaGenerator::default().into_root_schema_for::<RawSuite>();
        let keys: Vec<String> = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(keys, SUITE_KEYS);
        // ...and `SuiteKey` knows the same keys, in the same order: an unknown key's error
        // lists them all.
        let unknown = serde_json::from_str::<SuiteKey>("\"sute\"")
            .map(|_| String::new())
            .unwrap_or_else(|err| err.to_string());
        let listed: Vec<String> = SUITE_KEYS.iter().map(|k| format!("`{k}`")).collect();
        assert!(
            unknown.contains(&format!("expected one of {}", listed.join(", "))),
            "{unknown}"
        );
    }
}
