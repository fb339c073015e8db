//! Diffs between what a check expected and what it found: line diffs of pretty JSON for
//! structures and multi-line text, word diffs for one-line text. What a flow wrote is shown
//! as `words::visible` shows a server's text: its control characters and the marks that
//! reorder or hide text escaped (`\u001b`, `\u202e`), so that an output cannot restyle the
//! terminal, write over a line or reverse one.

use super::style::{ADDED, DIM, REMOVED, paint};
use crate::words::{short, visible};
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// The longest text (in bytes) given a line or word diff, as the similarity predicates refuse
/// longer ones: the diff's time grows with the product of the lengths when the texts differ
/// throughout (a megabyte took a minute), and it would print all of it.
const MAX_TEXT: usize = 20_000;
/// The longest pretty JSON given a line diff: lines are fewer than words.
const MAX_JSON: usize = 200_000;

/// A diff worth showing, or `None` when "expected"/"found" already say it all.
pub fn diff(expected: &Value, actual: &Value) -> Option<String> {
    let too_long = |what: &str, limit: usize| {
        Some(paint(
            DIM,
            format!(
                "not shown: the {what} are over {} bytes\n",
                crate::words::grouped(limit as u64)
            ),
        ))
    };
    match (expected, actual) {
        (Value::String(a), Value::String(b)) if a.len().max(b.len()) > MAX_TEXT => {
            too_long("texts", MAX_TEXT)
        }
        (Value::String(a), Value::String(b)) if a.contains('\n') || b.contains('\n') => {
            Some(lines(a, b))
        }
        (Value::String(a), Value::String(b)) if a.len() > 40 || b.len() > 40 => Some(words(a, b)),
        (Value::Object(_) | Value::Array(_), Value::Object(_) | Value::Array(_)) => {
            let a = serde_json::to_string_pretty(expected).unwrap_or_default();
            let b = serde_json::to_string_pretty(actual).unwrap_or_default();
            if a.len() > MAX_JSON || b.len() > MAX_JSON {
                return too_long("values", MAX_JSON);
            }
            Some(json_lines(&a, &b))
        }
        _ => None,
    }
}

/// A line diff of pretty JSON: lines that differ only by a trailing comma (a key added after
/// them) are the same line, and a long string value that changed gets a word diff under its
/// two lines, so that "twelve" → "two" in a paragraph is seen, not just a replaced line.
fn json_lines(expected: &str, actual: &str) -> String {
    // Pretty JSON escapes control characters but writes the marks that reorder text as they
    // are.
    let (expected, actual) = (visible(expected), visible(actual));
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let bare = |lines: &[&str]| -> Vec<String> {
        lines
            .iter()
            .map(|l| format!("{}\n", l.trim_end_matches(',')))
            .collect()
    };
    let (old_bare, new_bare) = (bare(&old), bare(&new));
    let old_refs: Vec<&str> = old_bare.iter().map(String::as_str).collect();
    let new_refs: Vec<&str> = new_bare.iter().map(String::as_str).collect();
    let diff = TextDiff::from_slices(&old_refs, &new_refs);
    let mut out = String::new();
    let (mut removed, mut added): (Vec<&str>, Vec<&str>) = (Vec::new(), Vec::new());
    let flush = |out: &mut String, removed: &mut Vec<&str>, added: &mut Vec<&str>| {
        for line in removed.iter() {
            out.push_str(&paint(REMOVED, format!("- {line}")));
            out.push('\n');
        }
        for line in added.iter() {
            out.push_str(&paint(ADDED, format!("+ {line}")));
            out.push('\n');
        }
        if removed.len() == added.len() {
            for (before, after) in removed.iter().zip(added.iter()) {
                if let Some(words) = changed_text(before, after) {
                    out.push_str(&paint(DIM, "~ "));
                    out.push_str(&words);
                }
            }
        }
        removed.clear();
        added.clear();
    };
    for change in diff.iter_all_changes() {
        match (change.tag(), change.old_index(), change.new_index()) {
            (ChangeTag::Delete, Some(i), _) => removed.push(old.get(i).copied().unwrap_or("")),
            (ChangeTag::Insert, _, Some(i)) => added.push(new.get(i).copied().unwrap_or("")),
            (_, _, Some(i)) => {
                flush(&mut out, &mut removed, &mut added);
                let line = new.get(i).copied().unwrap_or("");
                out.push_str(&paint(DIM, format!("  {line}")));
                out.push('\n');
            }
            _ => {}
        }
    }
    flush(&mut out, &mut removed, &mut added);
    out
}

/// The word diff of a long string value that one pretty-JSON line replaced in another under
/// the same key (`"summary": "..."`).
fn changed_text(before: &str, after: &str) -> Option<String> {
    let value = |line: &str| -> Option<(String, String)> {
        let line = line.trim().trim_end_matches(',');
        let (key, rest) = line.split_once("\": ")?;
        match serde_json::from_str::<Value>(rest).ok()? {
            Value::String(text) => Some((key.to_owned(), text)),
            _ => None,
        }
    };
    let ((key_a, a), (key_b, b)) = (value(before)?, value(after)?);
    (key_a == key_b && (41..=MAX_TEXT).contains(&a.len().max(b.len()))).then(|| words(&a, &b))
}

/// A line diff of two texts, split at line feeds only (a carriage return is shown, escaped,
/// where it is). A removed and an added line that would read the same (they differ by a line
/// end or a trailing space) are both shown quoted, as JSON writes them, to say where they
/// differ.
pub fn lines(expected: &str, actual: &str) -> String {
    let old: Vec<&str> = expected.split_inclusive('\n').collect();
    let new: Vec<&str> = actual.split_inclusive('\n').collect();
    let diff = TextDiff::from_slices(&old, &new);
    let looks = |line: &str| visible(line.trim_end()).into_owned();
    let changes: Vec<_> = diff.iter_all_changes().collect();
    let seen = |tag: ChangeTag| -> std::collections::HashSet<String> {
        changes
            .iter()
            .filter(|c| c.tag() == tag)
            .map(|c| looks(c.value()))
            .collect()
    };
    let (removed, added) = (seen(ChangeTag::Delete), seen(ChangeTag::Insert));
    let none = std::collections::HashSet::new();
    let mut out = String::new();
    for change in &changes {
        let value = change.value();
        let other = match change.tag() {
            ChangeTag::Delete => &added,
            ChangeTag::Insert => &removed,
            ChangeTag::Equal => &none,
        };
        let text = if other.contains(&looks(value)) {
            short(&Value::from(value), usize::MAX)
        } else {
            visible(value.trim_end_matches('\n')).into_owned()
        };
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
        let text = visible(change.value());
        let text = text.as_ref();
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

    #[test]
    fn a_key_added_last_does_not_change_the_line_before_it() {
        let shown = diff(&json!({"a": 1, "b": 2}), &json!({"a": 1, "b": 2, "c": 3}));
        insta::assert_snapshot!(plain(&shown.unwrap_or_default()), @r#"
          {
            "a": 1,
            "b": 2,
        +   "c": 3
          }
        "#);
    }

    #[test]
    fn a_long_string_in_a_structure_gets_a_word_diff() {
        let shown = diff(
            &json!({"summary": "The quick brown fox jumps over twelve lazy dogs in the yard.", "score": 3}),
            &json!({"summary": "The quick brown fox jumps over two lazy dogs in the yard.", "score": 3}),
        );
        insta::assert_snapshot!(plain(&shown.unwrap_or_default()), @r#"
          {
        -   "summary": "The quick brown fox jumps over twelve lazy dogs in the yard.",
        +   "summary": "The quick brown fox jumps over two lazy dogs in the yard.",
        ~ The quick brown fox jumps over [-twelve-]{+two+} lazy dogs in the yard.
            "score": 3
          }
        "#);
    }
}
