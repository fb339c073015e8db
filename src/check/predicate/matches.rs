//! `matches`: a string matches a regular expression (Rust `regex` syntax, unanchored).
//! `matches: "^T-\\d+$"` or `matches: {pattern: "refund", flags: "i"}` with flags from
//! `i` (ignore case), `m` (multi-line), `s` (dot matches newline), `x` (verbose).

use super::{Definition, Predicate, Verdict, text};
use crate::check::grade::Grades;
use regex::{Regex, RegexBuilder};
use serde_json::Value;
use std::sync::Arc;

pub const MATCHES: Definition = Definition {
    name: "matches",
    argument: super::Argument::Regex,
    parse: |v, _| parse(v),
    summary: "a string matches this regular expression (unanchored); {pattern, flags: \"imsx\"}",
};

/// Large enough for any sensible pattern, small enough that a hostile suite cannot make
/// compilation eat the machine.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

#[derive(Debug)]
struct Matches {
    regex: Regex,
    flags: String,
}

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    // In the mapping form, an error names its key, and is placed at its value.
    let (pattern, flags, mapping) = match value {
        Value::String(pattern) => (pattern.as_str(), "", false),
        Value::Object(map) => {
            super::only_keys(map, &["pattern", "flags"])?;
            let pattern = map
                .get("pattern")
                .and_then(Value::as_str)
                .ok_or("`pattern` must be a string")?;
            let flags = match map.get("flags") {
                None => "",
                Some(Value::String(flags)) => flags.as_str(),
                Some(_) => return Err("`flags` must be a string such as \"im\"".into()),
            };
            (pattern, flags, true)
        }
        _ => return Err("expected a regular expression string, or {pattern, flags}".into()),
    };
    let key = |key: &str| match mapping {
        true => format!("`{key}`: "),
        false => String::new(),
    };
    let mut builder = RegexBuilder::new(pattern);
    builder.size_limit(REGEX_SIZE_LIMIT);
    for flag in flags.chars() {
        match flag {
            'i' => builder.case_insensitive(true),
            'm' => builder.multi_line(true),
            's' => builder.dot_matches_new_line(true),
            'x' => builder.ignore_whitespace(true),
            other => {
                return Err(format!(
                    "{}unknown flag '{other}': use i, m, s or x",
                    key("flags")
                ));
            }
        };
    }
    let regex = builder.build().map_err(|err| {
        format!(
            "{}invalid regular expression: {}",
            key("pattern"),
            one_line(&err.to_string())
        )
    })?;
    Ok(Arc::new(Matches {
        regex,
        flags: flags.to_owned(),
    }))
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
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        match text(actual) {
            Ok(s) => Verdict::from_bool(self.regex.is_match(s)),
            Err(verdict) => verdict,
        }
    }

    fn describe(&self) -> String {
        format!("matches /{}/{}", self.regex.as_str(), self.flags)
    }
}
