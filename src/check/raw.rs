//! A check as written in YAML: a mapping of keys to values, every key and value with its
//! position. Kept as a list of entries (not a derived struct) so that each predicate lives in
//! its own file and an unknown key can be answered with "did you mean" over the registry.

use super::Check;
use super::predicate;
use crate::diagnostic::{Position, did_you_mean};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json_path::JsonPath;
use serde_saphyr::Spanned;
use std::fmt;

/// Keys a check may hold besides its predicate.
const CHECK_FIELDS: &[&str] = &["path", "not"];

#[derive(Debug, Clone)]
pub struct RawCheck {
    pub entries: Vec<(Spanned<String>, Spanned<Value>)>,
}

/// A check that could not be compiled: where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    pub position: Position,
    pub message: String,
    pub help: Option<String>,
}

impl CheckError {
    fn at<T>(spanned: &Spanned<T>, message: impl Into<String>) -> Self {
        CheckError {
            position: Position::of(spanned),
            message: message.into(),
            help: None,
        }
    }
}

impl<'de> Deserialize<'de> for RawCheck {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CheckVisitor;
        impl<'de> Visitor<'de> for CheckVisitor {
            type Value = RawCheck;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a check: a mapping such as {path: $.category, equals: billing}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawCheck, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    let value = map.next_value::<Spanned<Value>>()?;
                    entries.push((key, value));
                }
                Ok(RawCheck { entries })
            }
        }
        deserializer.deserialize_map(CheckVisitor)
    }
}

impl RawCheck {
    /// Compile into a [`Check`]; `at` is where the check itself starts.
    pub fn compile(&self, at: Position) -> Result<Check, CheckError> {
        let mut path: Option<(String, JsonPath)> = None;
        let mut negate = false;
        let mut chosen: Option<(&Spanned<String>, &Spanned<Value>)> = None;
        for (key, value) in &self.entries {
            match key.value.as_str() {
                "path" => {
                    let Value::String(text) = &value.value else {
                        return Err(CheckError::at(
                            value,
                            "`path` must be a JSONPath string such as $.category",
                        ));
                    };
                    let parsed = JsonPath::parse(text).map_err(|err| {
                        CheckError::at(value, format!("invalid JSONPath {text:?}: {err}"))
                    })?;
                    path = Some((text.clone(), parsed));
                }
                "not" => {
                    let Value::Bool(flag) = value.value else {
                        return Err(CheckError::at(value, "`not` must be true or false"));
                    };
                    negate = flag;
                }
                name => {
                    if predicate::find(name).is_none() {
                        let known = CHECK_FIELDS.iter().copied().chain(predicate::names());
                        return Err(CheckError {
                            help: did_you_mean(name, known),
                            ..CheckError::at(key, format!("unknown predicate \"{name}\""))
                        });
                    }
                    if let Some((first, _)) = chosen {
                        return Err(CheckError::at(
                            key,
                            format!(
                                "a check holds one predicate, but this one has \"{}\" and \"{name}\": split it into two checks",
                                first.value
                            ),
                        ));
                    }
                    chosen = Some((key, value));
                }
            }
        }
        let Some((key, value)) = chosen else {
            return Err(CheckError {
                position: at,
                message: "this check has no predicate".into(),
                help: Some(format!(
                    "add one of: {}",
                    predicate::names().collect::<Vec<_>>().join(", ")
                )),
            });
        };
        let definition =
            predicate::find(&key.value).ok_or_else(|| CheckError::at(key, "unknown predicate"))?;
        let predicate = (definition.parse)(&value.value)
            .map_err(|message| CheckError::at(value, format!("{}: {message}", key.value)))?;
        let (path_text, path) = match path {
            Some(path) => path,
            None => (
                "$".to_owned(),
                JsonPath::parse("$").map_err(|err| CheckError::at(key, err.to_string()))?,
            ),
        };
        Ok(Check {
            path_text,
            path,
            negate,
            predicate,
            position: at,
        })
    }
}
