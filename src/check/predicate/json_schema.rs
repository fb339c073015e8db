//! `json_schema`: the value validates against a JSON Schema, given inline or as a file path
//! relative to the suite. Remote and file `$ref`s are not fetched: a suite cannot make
//! flowcheck reach the network or read other files this way.

use super::{Definition, Predicate, Verdict};
use crate::check::grade::Grades;
use crate::check::raw::ParseContext;
use jsonschema::Validator;
use serde_json::Value;
use std::sync::Arc;

pub const JSON_SCHEMA: Definition = Definition {
    name: "json_schema",
    argument: super::Argument::Schema,
    parse,
    summary: "the value validates against this JSON Schema (inline, or a file path relative to the suite)",
};

/// How many validation errors a failure lists.
const SHOWN_ERRORS: usize = 5;

struct JsonSchema {
    validator: Validator,
    source: String,
}

impl std::fmt::Debug for JsonSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "JsonSchema({})", self.source)
    }
}

fn parse(value: &Value, context: &ParseContext<'_>) -> Result<Arc<dyn Predicate>, String> {
    let (schema, source) = match value {
        Value::Object(_) | Value::Bool(_) => (value.clone(), "inline schema".to_owned()),
        Value::String(path) => {
            let file = crate::suite::paths::inside(context.base_dir, path)?;
            // A schema is a few kilobytes; a file of more is not one. A fifo is refused, not
            // waited on.
            let text = crate::files::read_regular_limited(&file, 16 << 20)?;
            context.files.borrow_mut().push(file.clone());
            let schema = serde_json::from_str(&text)
                .map_err(|err| format!("{} is not JSON: {err}", file.display()))?;
            (schema, path.clone())
        }
        _ => return Err("expected a schema (a mapping) or the path of a JSON file".into()),
    };
    let validator = jsonschema::validator_for(&schema).map_err(|err| {
        let message = err.to_string();
        // The library's words name its build features; what they mean for a suite is this.
        if message.contains("resolve-http")
            || message.contains("resolve-file")
            || message.contains("custom resolver")
            || message.contains("is not present in a registry")
        {
            return "invalid schema: a `$ref` to another document (a URL or a file) is not followed: flowcheck fetches nothing and reads no file but this one; copy what it points at under $defs in this schema and refer to it as #/$defs/name".to_owned();
        }
        format!("invalid schema: {message}")
    })?;
    Ok(Arc::new(JsonSchema { validator, source }))
}

impl Predicate for JsonSchema {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        let Some(actual) = actual else {
            return Verdict::from_bool(false);
        };
        let errors: Vec<String> = self
            .validator
            .iter_errors(actual)
            .take(SHOWN_ERRORS + 1)
            .map(|err| {
                let at = err.instance_path().to_string();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                format!("at {at}: {err}")
            })
            .collect();
        if errors.is_empty() {
            return Verdict::pass();
        }
        let more = if errors.len() > SHOWN_ERRORS {
            "; …"
        } else {
            ""
        };
        Verdict::fail(format!(
            "{}{more}",
            errors
                .iter()
                .take(SHOWN_ERRORS)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        ))
    }

    fn describe(&self) -> String {
        format!("matches the JSON Schema ({})", self.source)
    }
}
