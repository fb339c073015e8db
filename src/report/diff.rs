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

/// A line diff of two texts.
pub fn lines(expected: &str, actual: &str) -> String {
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
    // Between unchanged words, show everything removed, then everything added, so a changed
    // phrase reads as one replacement rather than word by word.
    let mut out = String::new();
    let (mut removed, mut added) = (String::new(), String::new());
    let flush = |out: &mut String, removed: &mut String, added: &mut String| {
        if !removed.trim().is_empty() {
            out.push_str(&paint(REMOVED, format!("[-{}-]", removed.trim_end())));
        }
        if !added.trim().is_empty() {
            out.push_str(&paint(ADDED, format!("{{+{}+}}", added.trim_end())));
        }
        let had_change = !removed.is_empty() || !added.is_empty();
        removed.clear();
        added.clear();
        had_change
    };
    for change in diff.iter_all_changes() {
        let text = change.value();
        match change.tag() {
            ChangeTag::Delete => removed.push_str(text),
            ChangeTag::Insert => added.push_str(text),
            // Whitespace inside a changed stretch belongs to both sides of it.
            ChangeTag::Equal
                if text.trim().is_empty() && !(removed.is_empty() && added.is_empty()) =>
            {
                removed.push_str(text);
                added.push_str(text);
            }
            ChangeTag::Equal => {
                if flush(&mut out, &mut removed, &mut added) {
                    out.push(' ');
                }
                out.push_str(text);
            }
        }
    }
    flush(&mut out, &mut removed, &mut added);
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
