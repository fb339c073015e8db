//! `type`: the JSON type of the value: string, number, integer, boolean, array, object, null,
//! or a list of them. An integer is a number without a fractional part.

use super::{Definition, Predicate, Verdict};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const TYPE: Definition = Definition {
    name: "type",
    argument: super::Argument::Types,
    parse: |v, _| parse(v),
    summary: "the value's JSON type: string, number, integer, boolean, array, object or null (or a list)",
};

const TYPES: &[&str] = &[
    "string", "number", "integer", "boolean", "array", "object", "null",
];

#[derive(Debug)]
struct TypeOf(Vec<String>);

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    let names: Vec<&Value> = match value {
        Value::Array(items) if !items.is_empty() => items.iter().collect(),
        Value::String(_) => vec![value],
        // `type: null` and `type:` read alike: no value. Which was meant is not known.
        Value::Null => {
            return Err(
                "expected a type name or a list of them (unquoted, `null` is no value in YAML: write \"null\" for the null type)".into(),
            );
        }
        _ => return Err("expected a type name or a list of them".into()),
    };
    let mut types = Vec::new();
    for name in names {
        // `null` unquoted in YAML is the null value; it can only mean the null type here.
        let name = if name.is_null() {
            Some("null")
        } else {
            name.as_str()
        };
        match name {
            Some(name) if TYPES.contains(&name) => types.push(name.to_owned()),
            Some(name) => {
                let hint = crate::diagnostic::did_you_mean(name, TYPES.iter().copied())
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown type \"{name}\"{hint}: use {}",
                    TYPES.join(", ")
                ));
            }
            None => return Err("type names are strings".into()),
        }
    }
    Ok(Arc::new(TypeOf(types)))
}

pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

impl Predicate for TypeOf {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        let Some(actual) = actual else {
            return Verdict::from_bool(false);
        };
        let found = type_name(actual);
        let integral_float = actual.as_f64().is_some_and(|f| f.fract() == 0.0);
        let passed = self.0.iter().any(|t| {
            t == found
                || (t == "number" && found == "integer")
                || (t == "integer" && found == "number" && integral_float)
        });
        if passed {
            Verdict::pass()
        } else {
            Verdict::fail(format!("it is of type {found}"))
        }
    }

    fn describe(&self) -> String {
        format!("is of type {}", self.0.join(" or "))
    }
}
