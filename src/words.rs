//! How things read in messages, whichever layer writes them: counts, and values shortened
//! with their invisible characters shown.

use serde_json::Value;

/// `1 case`, `2 cases`: a count and its noun, plural unless the count is one.
pub fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", agree(n, "", "s"))
}

/// `one` or `many`, as a count of `n` takes it: `agree(1, "is", "are")` is "is".
pub fn agree<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// Render a JSON value compactly for messages, cut to `max` characters. Outputs are JSON
/// values, so a string reads as JSON writes it (`"a\u0001b"`, not Rust's `"a\u{1}b"`); the
/// control characters JSON leaves as they are (DEL, `\u009b`) and the invisible characters
/// that reorder or hide text (`\u202e`, `\u00ad`) are escaped too, as JSON may, so that a
/// terminal shows what the value holds.
pub fn short(value: &Value, max: usize) -> String {
    let written = value.to_string();
    // Every character that hides text is beyond ASCII, and JSON escapes every control but
    // DEL below it; no byte more than `max`, no char more.
    let text = if written.is_ascii() && !written.contains('\u{7f}') {
        written
    } else {
        let mut text = String::with_capacity(written.len());
        for c in written.chars() {
            if escaped(c) {
                text.push_str(&format!("\\u{:04x}", u32::from(c)));
            } else {
                text.push(c);
            }
        }
        text
    };
    if text.len() <= max {
        return text;
    }
    let chars = text.chars().count();
    if chars <= max {
        text
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}… ({chars} chars)")
    }
}

/// Characters that show as nothing but change how the text around them reads: marks that
/// reorder text (`a\u{202E}b` shows as `b...a`) and zero-width ones (a soft hyphen, a word
/// joiner, invisible operators, Hangul fillers).
pub fn hides_text(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{180E}' | '\u{200B}' | '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{FEFF}'
            | '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}'
            | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters a message writes as JSON escapes (`\u001b`, `\u202e`): controls, which could
/// move the cursor or restyle the terminal, and those that hide or reorder text.
pub fn escaped(c: char) -> bool {
    c.is_control() || hides_text(c)
}

/// `1000000` as `1,000,000`: a count in a message.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A number as a message shows it: as Rust writes it, but in exponent form when that would
/// take more than a few digits (`1e300`, not three hundred zeros).
pub fn number(n: f64) -> String {
    let magnitude = n.abs();
    if n.is_finite() && n != 0.0 && !(1e-6..1e16).contains(&magnitude) {
        format!("{n:e}")
    } else {
        format!("{n}")
    }
}
/// Text from a server (an error message) as a terminal may show it: control characters but
/// line breaks and tabs, and the characters that reorder or hide text, escaped as JSON writes
/// them (`\u000d`), so that a message cannot move the cursor and write over other lines.
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    let shown = |c: char| matches!(c, '\n' | '\t') || !escaped(c);
    if text.chars().all(shown) {
        return text.into();
    }
    text.chars()
        .map(|c| match shown(c) {
            true => c.to_string(),
            false => format!("\\u{:04x}", u32::from(c)),
        })
        .collect::<String>()
        .into()
}

/// Text on one line of a message (a name, a label made of data values): every control
/// character, line breaks and tabs included, and the characters that reorder or hide text,
/// escaped as JSON writes them (`\n`, `\u001b`, `\u202e`), so that a value from a data file
/// cannot break the line or restyle the terminal.
pub fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(escaped) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escaped(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.into()
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// [`super::short`] as it was written first: a character at a time, counted twice.
    fn short_by_chars(value: &Value, max: usize) -> String {
        let mut text = String::new();
        for c in value.to_string().chars() {
            if c.is_control() || super::hides_text(c) {
                text.push_str(&format!("\\u{:04x}", u32::from(c)));
            } else {
                text.push(c);
            }
        }
        if text.chars().count() <= max {
            text
        } else {
            let cut: String = text.chars().take(max).collect();
            format!("{cut}… ({} chars)", text.chars().count())
        }
    }

    proptest::proptest! {
        #[test]
        fn short_is_the_text_cut_by_characters(
            text in "[a-z\"\\\\\u{e9}\u{202e}\u{200b}\u{1f600}\u{7f}\u{9b}\u{ad}]{0,24}",
            max in 0usize..30,
        ) {
            let value = Value::String(text);
            proptest::prop_assert_eq!(super::short(&value, max), short_by_chars(&value, max));
        }
    }

    /// What a failing check shows of the found value: a value that differs from the expected
    /// one only by a character that shows as nothing never reads the same.
    #[test]
    fn short_escapes_what_json_leaves_invisible() {
        for (text, shown) in [
            ("billing\u{7f}", r#""billing\u007f""#),
            ("ok\u{9b}2J", r#""ok\u009b2J""#),
            ("bill\u{ad}ing", r#""bill\u00ading""#),
            ("bill\u{2060}ing", r#""bill\u2060ing""#),
            ("line\u{85}next", r#""line\u0085next""#),
        ] {
            assert_eq!(super::short(&Value::String(text.into()), 80), shown);
        }
    }

    #[test]
    fn one_line_escapes_line_breaks_controls_and_reordering_marks() {
        assert_eq!(super::one_line("plain text"), "plain text");
        assert_eq!(
            super::one_line("a\nb\r\tc\u{1b}[31m\u{202e}d"),
            "a\\nb\\r\\tc\\u001b[31m\\u202ed"
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(super::grouped(1_000_000), "1,000,000");
        assert_eq!(super::grouped(999), "999");
    }
}
