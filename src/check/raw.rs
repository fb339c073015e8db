//! A check as written: a mapping of keys to values. Kept as a list of entries (not a derived
//! struct) so that each predicate lives in its own file and an unknown key can be answered
//! with "did you mean" over the registry. Every key and value carries its position, nested
//! checks (in `all`, `each`, ...) too: an error points at the part that is wrong.

use super::Check;
use super::places::{Located, Place, Places};
use super::predicate;
use crate::diagnostic::{Position, did_you_mean};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json_path::JsonPath;
use serde_saphyr::Spanned;
use std::fmt;
use std::path::Path;

/// Keys a check may hold besides its predicate.
const CHECK_FIELDS: &[&str] = &["path", "not", "weight"];

/// What parsing a predicate may need: where its value stands and where that value's parts
/// do, the suite's folder for files it names (a JSON Schema file), and where to note each
/// file it reads.
#[derive(Debug, Clone, Copy)]
pub struct ParseContext<'a> {
    pub at: Position,
    pub places: &'a Places,
    pub base_dir: &'a Path,
    pub files: &'a std::cell::RefCell<Vec<std::path::PathBuf>>,
    /// Where the innermost nested check that did not compile stands: its error's message
    /// travels out through the predicates that hold it as text, its position here.
    failed_at: &'a std::cell::Cell<Option<Position>>,
}

#[derive(Debug, Clone)]
pub struct RawCheck {
    pub entries: Vec<RawEntry>,
}

/// One key of a check and its value as written, with where the value's parts stand.
#[derive(Debug, Clone)]
pub struct RawEntry {
    pub key: Spanned<String>,
    pub value: Spanned<Value>,
    pub places: Places,
}

/// A check that could not be compiled: where and why.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckError {
    pub position: Position,
    pub message: String,
    pub help: Option<String>,
}

impl serde::Serialize for RawCheck {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for entry in &self.entries {
            map.serialize_entry(&entry.key.value, &entry.value.value)?;
        }
        map.end()
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
                    let value = map.next_value::<Spanned<Located>>()?;
                    let Located(json, places) = value.value;
                    entries.push(RawEntry {
                        key,
                        value: Spanned::new(json, value.referenced, value.defined),
                        places,
                    });
                }
                Ok(RawCheck { entries })
            }
        }
        deserializer.deserialize_map(CheckVisitor)
    }
}

/// One key and its value, each with its position, and where the value's parts stand.
struct Entry<'a> {
    key: &'a str,
    key_at: Position,
    value: &'a Value,
    value_at: Position,
    places: &'a Places,
}

impl RawCheck {
    /// Compile into a [`Check`] that starts at `at`, for a suite in `base_dir`, noting in
    /// `files` the files its predicates read.
    pub fn compile(
        &self,
        at: Position,
        base_dir: &Path,
        files: &std::cell::RefCell<Vec<std::path::PathBuf>>,
    ) -> Result<Check, CheckError> {
        let failed_at = std::cell::Cell::new(None);
        let context = ParseContext {
            at,
            places: &Places::Unknown,
            base_dir,
            files,
            failed_at: &failed_at,
        };
        let entries = self.entries.iter().map(|entry| Entry {
            key: &entry.key.value,
            key_at: Position::of(&entry.key),
            value: &entry.value.value,
            value_at: Position::of(&entry.value),
            places: &entry.places,
        });
        compile(entries.collect(), &context)
    }
}

/// Compile a check nested in another predicate's value (which `context` locates); errors
/// become one message, and where the error is goes to the outermost check.
pub fn compile_value(value: &Value, context: &ParseContext<'_>) -> Result<Check, String> {
    let Value::Object(map) = value else {
        context.failed_at.set(Some(context.at));
        return Err(format!(
            "expected a check such as {{path: $.x, equals: 1}}, found {}",
            crate::words::short(value, 80)
        ));
    };
    let entries = map
        .iter()
        .map(|(key, value)| {
            let (key_at, place) = match context.places.entry(key) {
                Some((key_at, place)) => (key_at, Some(place)),
                None => (context.at, None),
            };
            let (value_at, places) = Place::or(place, context.at);
            Entry {
                key,
                key_at: if key_at.line > 0 { key_at } else { context.at },
                value,
                value_at,
                places,
            }
        })
        .collect();
    let check = compile(entries, context).map_err(|err| {
        context.failed_at.set(Some(err.position));
        match err.help {
            Some(help) => format!("{} ({help})", err.message),
            None => err.message,
        }
    })?;
    // The runner asks graders for the case's own checks only: nested, a judge would never be
    // graded, and would fail (or, under `not`, pass) every time.
    if check.predicate.judge().is_some() {
        context.failed_at.set(Some(context.at));
        return Err(
            "`judge` cannot be nested in `all`, `any`, `not`, `each` or `some`: write it as a check of its own"
                .into(),
        );
    }
    Ok(check)
}

/// Compile a list of nested checks.
pub fn compile_list(value: &Value, context: &ParseContext<'_>) -> Result<Vec<Check>, String> {
    let Value::Array(items) = value else {
        return Err("expected a list of checks".into());
    };
    if items.is_empty() {
        return Err("the list of checks is empty".into());
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| {
            let (at, places) = Place::or(context.places.item(index), context.at);
            compile_value(
                item,
                &ParseContext {
                    at,
                    places,
                    ..*context
                },
            )
        })
        .collect()
}

/// Where the value of the first key of a mapping argument that a message names in backticks
/// stands (`` `tolerance` must be a number `` → the tolerance's value).
fn named_part(message: &str, places: &Places) -> Option<Position> {
    message
        .split('`')
        .skip(1)
        .step_by(2)
        .find_map(|name| places.entry(name))
        .map(|(key_at, value)| Place::or(Some(value), key_at).0)
}

/// For a JSONPath written without its leading `$` (`a.b`, `.a`, `[0]`, which the parser
/// refuses only with "at position 0, parser error"), a hint that shows it with one.
pub fn without_root(text: &str) -> Option<String> {
    if text.trim_start().starts_with('$') {
        return None;
    }
    let rooted = match text.starts_with(['.', '[']) {
        true => format!("${text}"),
        false => format!("$.{text}"),
    };
    Some(match JsonPath::parse(&rooted) {
        Ok(_) => format!("a JSONPath starts with `$`: `{rooted}`"),
        Err(_) => "a JSONPath starts with `$`, as in `$.category` or `$.items[0]`".to_owned(),
    })
}

/// Parse a JSONPath once per distinct text and share it.
fn parse_path(text: &str) -> Result<std::sync::Arc<JsonPath>, serde_json_path::ParseError> {
    thread_local! {
        static PATHS: std::cell::RefCell<std::collections::HashMap<String, std::sync::Arc<JsonPath>>> = Default::default();
    }
    if let Some(path) = PATHS.with(|paths| paths.borrow().get(text).cloned()) {
        return Ok(path);
    }
    let path = std::sync::Arc::new(JsonPath::parse(text)?);
    PATHS.with(|paths| paths.borrow_mut().insert(text.to_owned(), path.clone()));
    Ok(path)
}

fn compile(entries: Vec<Entry<'_>>, context: &ParseContext<'_>) -> Result<Check, CheckError> {
    let error = |at: Position, message: String| CheckError {
        position: at,
        message,
        help: None,
    };
    let mut path: Option<(String, std::sync::Arc<JsonPath>)> = None;
    let mut negate = false;
    let mut weight = 1.0;
    let mut chosen: Option<&Entry<'_>> = None;
    for entry in &entries {
        match (entry.key, entry.value) {
            ("path", Value::String(text)) => {
                let parsed = parse_path(text).map_err(|err| CheckError {
                    help: without_root(text),
                    ..error(entry.value_at, format!("invalid JSONPath {text:?}: {err}"))
                })?;
                path = Some((text.clone(), parsed));
            }
            ("path", _) => {
                return Err(error(
                    entry.value_at,
                    "`path` must be a JSONPath string such as $.category".into(),
                ));
            }
            // `not: true` negates this check; `not: {check}` is the combinator. Text too, as
            // `weight` takes numeric text: a CSV's values are text (`not: "{{negate}}"`), and
            // quoted by hand it would read as the combinator's check.
            ("not", value) if let Some(flag) = crate::yaml::boolean(value) => negate = flag,
            // `not: yes` meant `not: true` (YAML 1.1); `not: 1` or an empty CSV cell is no
            // check to negate either.
            ("not", value) if !value.is_object() => {
                return Err(error(
                    entry.value_at,
                    format!(
                        "not: {}, or a check to negate (not: {{contains: x}})",
                        crate::yaml::expected_boolean(value)
                    ),
                ));
            }
            // Numeric text too, as the numeric predicates read it: a CSV's values are text.
            ("weight", value) => match predicate::as_number(value) {
                Some(w) if w.is_finite() && w >= 0.0 => weight = w,
                _ => {
                    return Err(error(
                        entry.value_at,
                        format!(
                            "`weight` must be a number >= 0{}",
                            predicate::percentage_hint(value)
                        ),
                    ));
                }
            },
            (name, _) => {
                if predicate::find(name).is_none() {
                    let known = CHECK_FIELDS.iter().copied().chain(predicate::names());
                    return Err(CheckError {
                        help: did_you_mean(name, known),
                        ..error(entry.key_at, format!("unknown predicate \"{name}\""))
                    });
                }
                if let Some(first) = chosen {
                    return Err(error(
                        entry.key_at,
                        format!(
                            "a check holds one predicate, but this one has \"{}\" and \"{name}\": split it into two checks, or combine them with all/any",
                            first.key
                        ),
                    ));
                }
                chosen = Some(entry);
            }
        }
    }
    let Some(entry) = chosen else {
        return Err(CheckError {
            help: Some(format!(
                "add one of: {}",
                predicate::names().collect::<Vec<_>>().join(", ")
            )),
            ..error(context.at, "this check has no predicate".into())
        });
    };
    let definition = predicate::find(entry.key)
        .ok_or_else(|| error(entry.key_at, "unknown predicate".into()))?;
    let inner = ParseContext {
        at: entry.value_at,
        places: entry.places,
        ..*context
    };
    let predicate = (definition.parse)(entry.value, &inner).map_err(|message| {
        // At the nested check that failed, if one did; else at the part of the argument the
        // message names (`threshold` of a mapping); else at this predicate's value.
        let at = context
            .failed_at
            .get()
            .or_else(|| named_part(&message, entry.places))
            .unwrap_or(entry.value_at);
        error(at, format!("{}: {message}", entry.key))
    })?;
    let (path_text, path) = match path {
        Some(path) => path,
        None => (
            "$".to_owned(),
            parse_path("$").map_err(|err| error(entry.key_at, err.to_string()))?,
        ),
    };
    Ok(Check {
        singular: super::singular(&path_text),
        path_text,
        path,
        negate,
        weight,
        predicate,
        position: context.at,
        words: std::sync::OnceLock::new(),
    })
}
