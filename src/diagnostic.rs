//! One rendering path for every error that points into a file: the terminal, `validate` and
//! the reports all show the same `file:line:col: message`, the offending source line with a
//! caret under it, and a "did you mean" hint where one fits.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a source file, 1-based; line 0 means "somewhere in the file".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl Position {
    pub fn new(line: u32, column: u32) -> Self {
        Position { line, column }
    }

    pub fn of<T>(spanned: &serde_saphyr::Spanned<T>) -> Self {
        Position::at(spanned.referenced)
    }

    pub fn at(location: serde_saphyr::Location) -> Self {
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Position::new(clamp(location.line()), clamp(location.column()))
    }
}

/// An error located in a file, ready to render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    pub position: Position,
    pub message: String,
    pub help: Option<String>,
    /// The offending line of source, captured when the diagnostic is made so that rendering
    /// needs no file access.
    pub source_line: Option<String>,
    /// Text within the value at `position` that the error is about (a `${NAME}`): the
    /// source, once attached, moves the position onto it.
    pub within: Option<Box<str>>,
}

impl Diagnostic {
    pub fn new(file: &Path, position: Position, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_path_buf(),
            position,
            message: message.into(),
            help: None,
            source_line: None,
            within: None,
        }
    }

    /// Point at `text` inside the value the position marks, once the source is attached.
    pub fn within(mut self, text: impl Into<Box<str>>) -> Self {
        self.within = Some(text.into());
        self
    }

    pub fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    /// A field that takes a number or a flag, given a `{{placeholder}}` (source attached):
    /// a template fills text and free-form values, and the type error alone does not say so.
    pub fn with_placeholder_help(mut self) -> Self {
        let column = usize::try_from(self.position.column).unwrap_or(0);
        let placeholder = self.source_line.as_deref().is_some_and(|line| {
            let rest: String = line.chars().skip(column.saturating_sub(1)).collect();
            let inner = rest
                .trim_start_matches(['"', '\''])
                .strip_prefix("{{")
                .and_then(|rest| rest.split_once("}}"))
                .map(|(inner, _)| inner.trim());
            inner.is_some_and(|name| !name.is_empty() && !name.contains(['{', '}']))
        });
        if self.help.is_none() && placeholder {
            self.help = Some(
                "a `{{placeholder}}` is filled only where text or any value is taken (messages, \
                 parameters, timeouts, checks); this field takes a value written in the suite"
                    .into(),
            );
        }
        self
    }

    /// Attach the offending line from the file's text.
    pub fn with_source(mut self, text: &str) -> Self {
        if let Some(within) = self.within.take() {
            self.position = find_within(text, self.position, &within).unwrap_or(self.position);
        }
        if self.position.line > 0 {
            self.source_line = text
                .lines()
                .nth(self.position.line as usize - 1)
                .map(str::to_owned);
        }
        self
    }

    /// Without `keys` in what it says or quotes.
    pub fn scrub(&mut self, keys: &crate::secret::Keys) {
        keys.scrub_in(&mut self.message);
        for text in [&mut self.source_line, &mut self.help]
            .into_iter()
            .flatten()
        {
            keys.scrub_in(text);
        }
    }

    /// `file:line:col`, or just the file when the position is unknown.
    pub fn location(&self) -> String {
        if self.position.line == 0 {
            self.file.display().to_string()
        } else {
            format!(
                "{}:{}:{}",
                self.file.display(),
                self.position.line,
                self.position.column
            )
        }
    }

    /// A YAML or serde error in `file` (a suite, a gate policy, a flow definition), at its
    /// position, in plainer words, with "did you mean" for an unknown key or value.
    pub fn from_yaml(file: &Path, err: &serde_saphyr::Error) -> Self {
        let position = err.location().map(Position::at).unwrap_or_default();
        let message = yaml_message(err);
        let help = suggestion(&message);
        let diagnostic = Diagnostic::new(file, position, message).with_help(help);
        // The parser places a control character at the start of its token: point at it.
        match control_character(&err.without_snippet().to_string()) {
            Some(c) => diagnostic.within(c.to_string()),
            None => diagnostic,
        }
    }
}

/// Where `needle` first appears at or after `from` (1-based line and column, columns
/// counted in characters), within the next few lines: a value spans a few at most.
fn find_within(text: &str, from: Position, needle: &str) -> Option<Position> {
    let first = usize::try_from(from.line).ok()?.checked_sub(1)?;
    for (index, line) in text.lines().enumerate().skip(first).take(20) {
        let skip = if index == first {
            usize::try_from(from.column).ok()?.saturating_sub(1)
        } else {
            0
        };
        let start = line.char_indices().nth(skip).map_or(line.len(), |(i, _)| i);
        // `$${NAME}` is a literal `${NAME}`, not the placeholder meant; nor is a closed
        // `${NAME}` the start of an unclosed `${NAME` (an unclosed one ends the text).
        let unclosed = needle.starts_with("${") && !needle.contains('}');
        let found = line[start..]
            .match_indices(needle)
            .map(|(at, _)| start + at)
            .filter(|&at| !(needle.starts_with('$') && line[..at].ends_with('$')))
            .find(|&at| {
                !unclosed
                    || !line[at + needle.len()..]
                        .starts_with(|c: char| c == '}' || c == '_' || c.is_ascii_alphanumeric())
            });
        if let Some(found) = found {
            let column = line[..found].chars().count() + 1;
            return Some(Position::new(
                u32::try_from(index + 1).ok()?,
                u32::try_from(column).ok()?,
            ));
        }
    }
    None
}

/// A YAML or serde error's message in plainer words, without its position (a diagnostic
/// prints that as file:line:col; in text flowcheck made itself, it would point nowhere).
pub fn yaml_message(err: &serde_saphyr::Error) -> String {
    let full = err.without_snippet().to_string();
    // The position is printed as file:line:col.
    let message = match full.rfind(" at line ") {
        Some(at) if full[at..].contains(", column ") => full[..at].to_owned(),
        _ => full.clone(),
    };
    // The parser's words name its own options and functions; say what it means for a file.
    match message.as_str() {
        // The parser's depth budget, or serde's own limit on the values it builds.
        m if m.starts_with("budget breached: Depth") || m == "recursion limit exceeded" => {
            "nested too deeply: at most 64 levels of lists and mappings".to_owned()
        }
        // A key written `null` or `~` (or left empty) is no key a JSON object can hold.
        m if m.starts_with("cannot deserialize null into string") => {
            "a mapping key here is null (`null`, `~` or nothing): quote it (\"null\") if it is the word".to_owned()
        }
        m if m.starts_with("budget breached") => {
            let limit = budget_limit(m);
            // Past the limit while an alias was being read: an alias bomb, not a long file.
            if full.contains("(defined at line") || m.starts_with("budget breached: Aliases") {
                format!(
                    "the aliases (`*name`) here repeat their anchors past {limit}: write the values out, or use fewer aliases"
                )
            } else {
                format!("the file is too large to read at once ({limit}): split it into several files")
            }
        }
        "recursive references require weak recursion types" => {
            "this alias (`*name`) is inside the value of its own anchor (`&name`): the value would never end"
                .to_owned()
        }
        m if m.starts_with("duplicate mapping key: ") => {
            let key = m["duplicate mapping key: ".len()..]
                .split(", set DuplicateKeyPolicy")
                .next()
                .unwrap_or_default();
            format!("the key `{key}` is given twice in this mapping")
        }
        m if m.starts_with("multiple YAML documents detected") => {
            "a second YAML document (after `---`): a file holds one; split it into several files"
                .to_owned()
        }
        m if m.starts_with("non-finite float") => {
            let number = m.split('`').nth(1).unwrap_or_default();
            let written = number.to_ascii_lowercase();
            if written.contains("nan") {
                format!(
                    "{number} is not a number (JSON has no NaN, so no result holds one): write a number"
                )
            } else if written.contains("inf") {
                format!(
                    "the number {number} is infinite, which JSON cannot hold: write a finite number"
                )
            } else {
                format!("the number {number} is too large")
            }
        }
        "expected string scalar" => {
            "expected text here (quote it if it looks like something else)".to_owned()
        }
        "expected sequence start" => {
            "expected a list here: `- item` lines below the key, or `[a, b]`".to_owned()
        }
        "expected mapping start" => {
            "expected a mapping here: `key: value` lines below the key, or `{key: value}`"
                .to_owned()
        }
        m if m.contains("while scanning an anchor or alias") => format!(
            "{m}: a value that starts with `*` or `&`, or holds `[*]`, must be quoted (\"$.items[*].id\")"
        ),
        m if m.contains("found a tab") || m.contains("tabs disallowed") => {
            format!("{m}: indent with spaces; YAML refuses tabs")
        }
        // The parser names it as Rust debug-prints it (`\u{1}'): said as JSON writes it.
        m if let Some(c) = control_character(m) => {
            let code = u32::from(c);
            format!(
                "unexpected character \\u{code:04x}: YAML refuses control characters in a file; in a double-quoted text, write it as \\u{code:04x}"
            )
        }
        // Said with the range: a number too large reads the same in the parser's words.
        "invalid u16" => format!("expected a whole number from 0 to {}", u16::MAX),
        "invalid u32" => format!("expected a whole number from 0 to {}", u32::MAX),
        "invalid u64" => format!("expected a whole number from 0 to {}", u64::MAX),
        "invalid bool" => "expected true or false".to_owned(),
        // YAML 1.2's booleans (see `yaml`): `yes`, `no`, `on` and `off` are text.
        m if m.starts_with("invalid boolean (strict mode") => {
            format!("expected true or false ({})", crate::yaml::ONLY_TRUE_AND_FALSE)
        }
        // A share written as a percentage (`75%`) is the likely mistake.
        "invalid floating point" => {
            "expected a number (a share is written as a fraction: 0.75, not 75%)".to_owned()
        }
        _ => message,
    }
}

/// The control character the parser refused, from its words (``unexpected character:
/// `\u{1}'``).
fn control_character(message: &str) -> Option<char> {
    let rest = message.split_once("unexpected character: `\\u{")?.1;
    let hex = rest.split_once('}')?.0;
    u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
}

/// The parser's budget that a file went past, in words: `budget breached: Nodes { nodes:
/// 250001 }` is "250,000 values, the most one file may hold".
fn budget_limit(message: &str) -> String {
    let rest = message.trim_start_matches("budget breached: ");
    let kind = rest.split([' ', '{']).next().unwrap_or_default();
    let count: Option<u64> = rest
        .split(|c: char| !c.is_ascii_digit())
        .find(|digits| !digits.is_empty())
        .and_then(|digits| digits.parse().ok());
    let (one, many) = match kind {
        "Nodes" => ("value", "values"),
        "Events" => ("parser event", "parser events"),
        "Aliases" => ("alias", "aliases"),
        "Anchors" => ("anchor", "anchors"),
        "Documents" => ("document", "documents"),
        _ => return rest.to_owned(),
    };
    match count {
        Some(n) => {
            let limit = n.saturating_sub(1);
            format!(
                "{} {}, the most one file may hold",
                crate::words::grouped(limit),
                crate::words::agree(limit, one, many)
            )
        }
        None => format!("the most {many} one file may hold"),
    }
}

/// For serde's "unknown field `x`, expected one of a, b" and "unknown variant" messages.
fn suggestion(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, rest) = rest.split_once('`')?;
    let expected = rest
        .split_once("expected one of ")
        .map(|(_, list)| list)
        .or_else(|| rest.split_once("expected ").map(|(_, one)| one))?;
    let candidates: Vec<&str> = expected
        .split(',')
        .map(|c| c.trim().trim_matches('`'))
        .collect();
    did_you_mean(word, candidates)
}

/// The longest source line shown whole, in characters; a longer one is shown around the
/// caret (a third of this before it, as much after).
const LONGEST_SHOWN: usize = 160;

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location(), self.message)?;
        if let Some(line) = &self.source_line {
            let gutter = self.position.line.to_string();
            let pad = " ".repeat(gutter.len());
            let caret_at = (self.position.column as usize).saturating_sub(1);
            // The line as it can be shown: a control character, or one that reorders or hides
            // text (U+202E), is written as its code, so that the excerpt cannot restyle the
            // terminal or read other than it is. The caret stays under the right character,
            // tabs and codes before it included.
            // A line too long to read (a generated file's, a mapping written on one line) is
            // shown around the caret, `…` where it was cut.
            let (from, to) = match line.chars().nth(LONGEST_SHOWN) {
                None => (0, usize::MAX),
                Some(_) => {
                    let from = caret_at.saturating_sub(LONGEST_SHOWN / 3);
                    (from, from + LONGEST_SHOWN * 2 / 3)
                }
            };
            let (mut shown, mut indent) = (String::new(), String::new());
            if from > 0 {
                shown.push('…');
                indent.push(' ');
            }
            for (at, c) in line.chars().enumerate().skip(from) {
                if at >= to {
                    shown.push('…');
                    break;
                }
                let piece = match c {
                    '\t' => "\t".to_owned(),
                    c if crate::words::escaped(c) => {
                        format!("\\u{:04x}", u32::from(c))
                    }
                    c => c.to_string(),
                };
                if at < caret_at {
                    let blank = |c: char| if c == '\t' { '\t' } else { ' ' };
                    indent.extend(piece.chars().map(blank));
                }
                shown.push_str(&piece);
            }
            write!(f, "\n{pad} |\n{gutter} | {shown}\n{pad} | {indent}^")?;
        }
        if let Some(help) = &self.help {
            write!(
                f,
                "\n{} = help: {help}",
                " ".repeat(self.position.line.to_string().len())
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// The closest of `candidates` to `word`, if it is close enough to be a plausible typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    // Jaro-Winkler ranks typos in words of some length; a short word one letter off
    // (`lm` for `llm`) scores low on it, and is a typo all the same.
    let candidates: Vec<&str> = candidates.into_iter().collect();
    candidates
        .iter()
        .map(|candidate| (strsim::jaro_winkler(word, candidate), *candidate))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
        .or_else(|| {
            candidates
                .iter()
                .find(|candidate| strsim::levenshtein(word, candidate) == 1)
                .copied()
        })
        .map(|candidate| format!("did you mean \"{candidate}\"?"))
}

/// ` (did you mean "x"?)` to append to a message, or nothing.
pub fn aside_did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    did_you_mean(word, candidates)
        .map(|hint| format!(" ({hint})"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_is_named_as_json_writes_it() {
        let Err(err) = crate::yaml::from_str::<serde_json::Value>("a: b\u{1}c\n") else {
            panic!("a control character is refused");
        };
        assert_eq!(
            yaml_message(&err),
            "unexpected character \\u0001: YAML refuses control characters in a file; in a double-quoted text, write it as \\u0001"
        );
        // Pointed at, not at the start of the text it is in.
        let at = Diagnostic::from_yaml(Path::new("s.yaml"), &err).with_source("a: b\u{1}c\n");
        assert_eq!(at.position, Position::new(1, 5));
    }

    /// A line of thousands of characters is shown around the caret, cut with `…` on each
    /// side, and the caret is still under the character it points at.
    #[test]
    fn a_long_line_is_shown_around_the_caret() {
        let line: String = (0..1000).map(|i| format!("k{i:04}, ")).collect();
        let column = line.find("k0500").unwrap_or_default() + 1;
        let diagnostic = Diagnostic::new(Path::new("s.yaml"), Position::new(1, column as u32), "x")
            .with_source(&line);
        let shown = diagnostic.to_string();
        let lines: Vec<&str> = shown.lines().collect();
        let (excerpt, caret) = (lines[2], lines[3]);
        assert!(
            excerpt.starts_with("1 | …") && excerpt.ends_with('…'),
            "{excerpt}"
        );
        assert!(excerpt.chars().count() < 120, "{excerpt}");
        // One of a usual length is shown whole.
        let usual = Diagnostic::new(Path::new("s.yaml"), Position::new(1, 100), "x")
            .with_source(&line[..150])
            .to_string();
        assert!(
            usual.contains(&line[..150]) && !usual.contains('…'),
            "{usual}"
        );
        let under = caret.chars().position(|c| c == '^').unwrap_or_default();
        assert_eq!(excerpt.chars().nth(under), Some('k'), "{shown}");
        assert_eq!(
            excerpt.chars().skip(under).take(5).collect::<String>(),
            "k0500"
        );
    }

    #[test]
    fn an_excerpt_shows_codes_for_what_would_restyle_or_reorder_it() {
        let text = "x\n  - name: \"a\u{202E}b\u{1b}[31m\", message: 7\n";
        let diagnostic =
            Diagnostic::new(Path::new("s.yaml"), Position::new(2, 32), "bad").with_source(text);
        let shown = diagnostic.to_string();
        assert!(!shown.contains(['\u{202E}', '\u{1b}']), "{shown}");
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(
            lines[2],
            "2 |   - name: \"a\\u202eb\\u001b[31m\", message: 7"
        );
        // The caret is under the 7, past the two codes.
        let caret = lines[3].find('^').unwrap_or(0);
        assert_eq!(
            lines[2].char_indices().nth(caret).map(|(_, c)| c),
            Some('7')
        );
    }

    #[test]
    fn suggests_only_near_misses() {
        assert_eq!(
            aside_did_you_mean("lm", ["llm", "template"]),
            " (did you mean \"llm\"?)"
        );
        assert_eq!(
            aside_did_you_mean("uppercse", ["uppercase", "lowercase"]),
            " (did you mean \"uppercase\"?)"
        );
        assert_eq!(aside_did_you_mean("zzzzzz", ["llm"]), "");
    }

    #[test]
    fn renders_location_source_caret_and_help() {
        let text = "cases:\n  - name: x\n    equal: 3\n";
        let d = Diagnostic::new(
            Path::new("s.yaml"),
            Position::new(3, 5),
            "unknown predicate \"equal\"",
        )
        .with_help(did_you_mean("equal", ["equals", "contains"]))
        .with_source(text);
        insta::assert_snapshot!(d.to_string(), @r#"
        s.yaml:3:5: unknown predicate "equal"
          |
        3 |     equal: 3
          |     ^
          = help: did you mean "equals"?
        "#);
    }

    #[test]
    fn no_suggestion_for_unrelated_words() {
        assert_eq!(did_you_mean("zzz", ["equals", "contains"]), None);
    }
}
