//! The YAML shape of a flow definition file, exactly as written, with source spans.
//! `compile` turns it into the checked model; nothing else reads these types.
//!
//! Blocks are one flat struct with every field optional, rather than an internally tagged
//! enum, because tagged enums lose serde-saphyr's spans and give poor error messages; the
//! per-kind field rules are checked by hand in `compile`.

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;
use std::fmt;

/// The longest simulated latency, in milliseconds: an hour.
pub const MAX_LATENCY_MS: u64 = 3_600_000;

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
    #[serde(deserialize_with = "spanned_whole::<_, u32, { u32::MAX as u64 }>")]
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
    #[serde(
        default,
        deserialize_with = "some_spanned_whole::<_, u32, { u32::MAX as u64 }>"
    )]
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
    #[serde(default, deserialize_with = "some_whole::<_, u64, MAX_LATENCY_MS>")]
    pub ms: Option<u64>,
    #[serde(default, deserialize_with = "some_whole::<_, u64, MAX_LATENCY_MS>")]
    pub min_ms: Option<u64>,
    #[serde(default, deserialize_with = "some_whole::<_, u64, MAX_LATENCY_MS>")]
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
    #[serde(default, deserialize_with = "some_whole::<_, u64, { u64::MAX }>")]
    pub every: Option<u64>,
    #[serde(default)]
    pub rate: Option<f64>,
    #[serde(
        default,
        deserialize_with = "some_whole::<_, u32, { u32::MAX as u64 }>"
    )]
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
    #[serde(
        default,
        deserialize_with = "some_spanned_whole::<_, usize, { u32::MAX as u64 }>"
    )]
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

/// A whole number from 0 to `MAX`, as a field of a flow definition takes it. One too large for
/// the field is said to be, with the largest it takes ("expected a whole number" was all the
/// parser said of `production: 99999999999`), at the number's place.
struct Whole<const MAX: u64>(u64);

impl<'de, const MAX: u64> Deserialize<'de> for Whole<MAX> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Number<const MAX: u64>;
        impl<const MAX: u64> Number<MAX> {
            fn too_large<E: de::Error>() -> E {
                E::custom(format!(
                    "this number is too large: the largest allowed here is {MAX}"
                ))
            }
        }
        impl<const MAX: u64> Visitor<'_> for Number<MAX> {
            type Value = Whole<MAX>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a whole number from 0 to {MAX}")
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Whole<MAX>, E> {
                match value <= MAX {
                    true => Ok(Whole(value)),
                    false => Err(Number::<MAX>::too_large()),
                }
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Whole<MAX>, E> {
                match u64::try_from(value) {
                    Ok(value) => self.visit_u64(value),
                    Err(_) => Err(E::custom(format!(
                        "expected a whole number from 0 to {MAX}, not a negative one"
                    ))),
                }
            }

            fn visit_bool<E: de::Error>(self, value: bool) -> Result<Whole<MAX>, E> {
                Err(E::custom(format!(
                    "expected a whole number from 0 to {MAX}, not {value}"
                )))
            }

            fn visit_unit<E: de::Error>(self) -> Result<Whole<MAX>, E> {
                Err(E::custom(format!(
                    "expected a whole number from 0 to {MAX}, not nothing"
                )))
            }

            // Quoted digits are a number too, as they were when the field was read as one.
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Whole<MAX>, E> {
                let digits = text.trim();
                match digits.parse::<u64>() {
                    Ok(value) => self.visit_u64(value),
                    Err(_) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                        Err(Number::<MAX>::too_large())
                    }
                    Err(_) => Err(E::custom(format!(
                        "expected a whole number from 0 to {MAX}, not {text:?}"
                    ))),
                }
            }

            // A whole number past u64 is read as a float: too large all the same. A fraction
            // (or a float spelling) is no whole number.
            fn visit_f64<E: de::Error>(self, value: f64) -> Result<Whole<MAX>, E> {
                if value.is_finite() && value.fract() == 0.0 && value > u64::MAX as f64 {
                    Err(Number::<MAX>::too_large())
                } else {
                    Err(E::custom(format!(
                        "expected a whole number from 0 to {MAX}"
                    )))
                }
            }
        }
        deserializer.deserialize_any(Number::<MAX>)
    }
}

/// A field's whole number, in its own type (which holds every number up to `MAX`).
fn narrowed<T: TryFrom<u64>, E: de::Error, const MAX: u64>(whole: Whole<MAX>) -> Result<T, E> {
    T::try_from(whole.0).map_err(|_| {
        E::custom(format!(
            "this number is too large: the largest allowed here is {MAX}"
        ))
    })
}

fn some_whole<'de, D, T, const MAX: u64>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    narrowed(Whole::<MAX>::deserialize(deserializer)?).map(Some)
}

fn spanned_whole<'de, D, T, const MAX: u64>(deserializer: D) -> Result<Spanned<T>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    let whole = Spanned::<Whole<MAX>>::deserialize(deserializer)?;
    let value = narrowed(whole.value)?;
    Ok(Spanned::new(value, whole.referenced, whole.defined))
}

fn some_spanned_whole<'de, D, T, const MAX: u64>(
    deserializer: D,
) -> Result<Option<Spanned<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: TryFrom<u64>,
{
    spanned_whole::<D, T, MAX>(deserializer).map(Some)
}
