//! `matches`: a string matches a regular expression (Rust `regex` syntax, unanchored).

use super::{Definition, Predicate, Verdict};
use regex::Regex;
use serde_json::Value;
use std::sync::Arc;

pub const DEFINITION: Definition = Definition {
    name: "matches",
    parse,
    summary: "a string matches this regular expression (unanchored; use ^ and $ to anchor)",
};

#[derive(Debug)]
struct Matches(Regex);

/// Large enough for any sensible pattern, small enough that a hostile suite cannot make
/// compilation eat the machine.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    let Value::String(pattern) = value else {
        return Err("expected a regular expression string".into());
    };
    let regex = regex::RegexBuilder::new(pattern)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|err| format!("invalid regular expression: {}", one_line(&err.to_string())))?;
    Ok(Arc::new(Matches(regex)))
}

/// The regex crate explains errors over several lines, ending with `error: <what>`.
fn one_line(text: &str) -> String {
    text.lines()
        .rev()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .unwrap_or(text.trim())
        .to_owned()
}

impl Predicate for Matches {
    fn evaluate(&self, actual: Option<&Value>) -> Verdict {
        match actual {
            Some(Value::String(text)) if self.0.is_match(text) => Verdict::pass(),
            Some(Value::String(_)) | None => Verdict::from_bool(false),
            Some(_) => Verdict::fail("the value is not a string"),
        }
    }

    fn describe(&self) -> String {
        format!("matches /{}/", self.0.as_str())
    }
}
