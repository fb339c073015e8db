//! Diffs between what a check expected and what it found: line diffs of pretty JSON for
//! structures and multi-line text, word diffs for one-line text.

use super::style::{ADDED, DIM, REMOVED, paint};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// A diff worth showing, or `None` when "expected"/"found" already say it all.
pub fn diff(expected: &Value, actual: &Value) -> Option<String> {
    match (expected, actual) {
        (Value::String(a), Value::String(b)) if a.contains('\n') || b.contains('\n') => {
            Some(lines(a, b))
        }
        (Value::String(a), Value::String(b)) if a.len() > 40 || b.len() > 40 => Some(words(a, b)),
        (Value::Object(_) | Value::Array(_), Value::Object(_) | Value::Array(_)) => {
            let a = serde_json::to_string_pretty(expected).unwrap_or_default();
            let b = serde_json::to_string_pretty(actual).unwrap_or_default();
            Some(lines(&a, &b))
        }
        _ => None,
    }
}

fn lines(expected: &str, actual: &str) -> String {
    let diff = TextDiff::from_lines(expected, actual);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = change.value().trim_end_matches('\n');
        let line = match change.tag() {
            ChangeTag::Delete => paint(REMOVED, format!("- {text}")),
            ChangeTag::Insert => paint(ADDED, format!("+ {text}")),
            ChangeTag::Equal => paint(DIM, format!("  {text}")),
        };
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn words(expected: &str, actual: &str) -> String {
    let diff = TextDiff::from_words(expected, actual);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Delete => out.push_str(&paint(REMOVED, format!("[-{text}-]"))),
            ChangeTag::Insert => out.push_str(&paint(ADDED, format!("{{+{text}+}}"))),
            ChangeTag::Equal => out.push_str(text),
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::style::plain;
    use serde_json::json;

    #[test]
    fn json_structures_get_a_line_diff() {
        let shown = diff(
            &json!({"category": "billing", "priority": "normal"}),
            &json!({"category": "general", "priority": "normal"}),
        );
        insta::assert_snapshot!(plain(&shown.unwrap_or_default()), @r#"
          {
        -   "category": "billing",
        +   "category": "general",
            "priority": "normal"
          }
        "#);
    }

    #[test]
    fn long_text_gets_a_word_diff_and_short_values_none() {
        let shown = diff(
            &json!("Thanks for reaching out. I have routed your request to billing."),
            &json!("Thanks for reaching out. I have routed your request to general."),
        );
        insta::assert_snapshot!(plain(&shown.unwrap_or_default()), @"Thanks for reaching out. I have routed your request to [-billing.-]{+general.+}");
        assert_eq!(diff(&json!("a"), &json!("b")), None);
    }
}
