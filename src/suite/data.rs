//! Data-driven cases: reading the rows of a data file, and filling `{{name}}` placeholders of a
//! case template with a row's values (or a matrix combination's).

use super::interpolate::Unresolved;
use serde_json::{Map, Value};
use std::path::Path;

/// One row: its values by column, and where it is (for errors: "row 3 of data.csv").
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub number: u64,
    pub values: Map<String, Value>,
}

/// Data files larger than this are refused.
const MAX_DATA_BYTES: u64 = 64 * 1024 * 1024;
/// The most cases that `cases_from` and `matrix` may make in one suite, all together: each
/// loaded case costs a few kilobytes for the whole run, so a typo that multiplies a data file
/// by a matrix must be an error, not a machine out of memory.
pub const MAX_GENERATED: usize = 100_000;

/// Read every row of a `.csv` (header row, all values strings), `.jsonl` (one JSON object a
/// line; blank lines skipped) or `.yaml`/`.yml` (a list of mappings) file. `shown` names the
/// file in errors, as the suite wrote it.
pub fn read_rows(file: &Path, shown: &str) -> Result<Vec<Row>, String> {
    // A fifo would be waited on for ever; a device read to the limit.
    if std::fs::metadata(file).is_ok_and(|meta| !meta.is_file()) {
        return Err(format!("{shown} is not a regular file"));
    }
    let text = crate::files::read_regular_text(file, MAX_DATA_BYTES).map_err(|err| match err {
        crate::files::ReadError::TooLarge { limit } => {
            format!("{shown} is larger than {limit} bytes, the limit of a data file")
        }
        crate::files::ReadError::NotUtf8 { line, column } => {
            format!("{shown}:{line}:{column}: a data file is UTF-8 text; this byte is not")
        }
        crate::files::ReadError::Io(err) => format!("cannot read {shown}: {err}"),
    })?;
    // A file saved by a Windows editor or exported by a spreadsheet may begin with a byte-order
    // mark: it is no part of the first column's name or the first line's JSON.
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let extension = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match extension.as_str() {
        "csv" => csv_rows(text),
        "jsonl" | "ndjson" => jsonl_rows(text),
        "yaml" | "yml" => yaml_rows(text),
        _ => Err("data files are .csv, .jsonl or .yaml".into()),
    }
    // `data.csv:3: ...` when the error has a line, as a suite's errors read.
    .map_err(|err| match err.starts_with(|c: char| c.is_ascii_digit()) {
        true => format!("{shown}:{err}"),
        false => format!("{shown}: {err}"),
    })
}

fn csv_rows(text: &str) -> Result<Vec<Row>, String> {
    if let Some(line) = unclosed_quote(text) {
        return Err(format!(
            "{line}: a quote opened on this line is never closed: the rest of the file reads as one field"
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::Headers)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|err| format!("the header row: {err}"))?
        .clone();
    // A second column of one name would silently win over the first.
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = headers.iter().find(|h| !seen.insert(*h)) {
        return Err(format!("the header row names the column `{twice}` twice"));
    }
    let mut rows = Vec::new();
    // Rows are named by their line, as generated case names (`[row 3]`) are. The reader's own
    // line count is one short per line in a file with CRLF line ends (a Windows export), so
    // lines are counted here from where each record begins.
    let mut lines = LineCounter::new(text);
    for record in reader.records() {
        let record = record.map_err(|err| {
            // "CSV error: record 2 (line: 3, byte: 32): found record with 1 fields, ...".
            let message = err.to_string();
            let message = message
                .rfind("): ")
                .map_or(message.as_str(), |at| &message[at + 3..])
                .to_owned();
            match err.position() {
                Some(position) => format!("{}: {message}", lines.line_at(position.byte())),
                None => err.to_string(),
            }
        })?;
        let number = record
            .position()
            .map_or(0, |position| lines.line_at(position.byte()));
        let values = headers
            .iter()
            .zip(record.iter())
            .map(|(h, v)| (h.to_owned(), Value::String(v.to_owned())))
            .collect();
        rows.push(Row { number, values });
    }
    Ok(rows)
}

/// The line of a quote that opens a field and is never closed, if one is: the reader reads
/// every line after it into that field, and says nothing when it is in the last row (the rows
/// it swallowed would vanish). A quote opens a field only at its start, as the reader has it;
/// `""` inside a quoted field is one quote.
fn unclosed_quote(text: &str) -> Option<u64> {
    let (mut quoted, mut at_start, mut line, mut opened) = (false, true, 1, 0);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, '\n') => line += 1,
            (true, _) => {}
            (false, '"') if at_start => (quoted, opened, at_start) = (true, line, false),
            (false, ',') => at_start = true,
            (false, '\n') => (line, at_start) = (line + 1, true),
            (false, '\r') => {}
            (false, _) => at_start = false,
        }
    }
    quoted.then_some(opened)
}

/// The line (from 1) of a byte offset into `text`, for offsets asked in increasing order (as
/// records come): each newline is counted once, however many rows a file has.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line where the record at `byte` begins: the reader may place a record at the line
    /// end before it (the `\n` of a CRLF) or at blank lines it skips.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut byte = usize::try_from(byte).map_or(self.text.len(), |b| b.min(self.text.len()));
        while matches!(self.text.get(byte), Some(b'\r' | b'\n')) {
            byte += 1;
        }
        if byte < self.byte {
            // Not in order (cannot happen for records): count again from the start.
            (self.byte, self.line) = (0, 1);
        }
        let newlines = self.text[self.byte..byte].iter().filter(|b| **b == b'\n');
        self.line += newlines.count() as u64;
        self.byte = byte;
        self.line
    }
}

fn jsonl_rows(text: &str) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let number = index as u64 + 1;
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(values)) => rows.push(Row { number, values }),
            Ok(_) => return Err(format!("{number}: each line must be a JSON object")),
            Err(err) => {
                let message = err.to_string();
                let message = message
                    .rfind(" at line ")
                    .map_or(message.as_str(), |at| &message[..at]);
                return Err(format!("{number}:{}: {message}", err.column()));
            }
        }
    }
    Ok(rows)
}

fn yaml_rows(text: &str) -> Result<Vec<Row>, String> {
    let items: Vec<serde_saphyr::Spanned<Value>> = crate::yaml::from_str(text).map_err(|err| {
        let message = crate::diagnostic::yaml_message(&err);
        match message.starts_with("expected a list here") {
            true => {
                "a YAML data file is a list of rows, one mapping each (`- {name: a, message: hi}`)"
                    .to_owned()
            }
            false => err.without_snippet().to_string(),
        }
    })?;
    items
        .into_iter()
        .enumerate()
        .map(|(index, item)| match item.value {
            Value::Object(values) => Ok(Row {
                number: item.referenced.line().max(index as u64 + 1),
                values,
            }),
            _ => Err(format!(
                "item {} (line {}) must be a mapping",
                index + 1,
                item.referenced.line()
            )),
        })
        .collect()
}

/// How many combinations a matrix makes, counted before making any (a value that is not a list
/// counts as one; `combinations` refuses it).
pub fn count(matrix: &Map<String, Value>) -> usize {
    matrix
        .values()
        .map(|values| values.as_array().map_or(1, Vec::len))
        .fold(1, usize::saturating_mul)
}

/// Why a matrix makes no combinations, and the key at fault if one is.
#[derive(Debug, Clone, PartialEq)]
pub struct MatrixError {
    pub key: Option<String>,
    pub message: String,
}

/// Every combination of a matrix's values, in order (the first key varies slowest).
pub fn combinations(matrix: &Map<String, Value>) -> Result<Vec<Map<String, Value>>, MatrixError> {
    // It would make the case once, named `name []`.
    if matrix.is_empty() {
        return Err(MatrixError {
            key: None,
            message: "`matrix` is empty: give it names with lists of values, e.g. {channel: [email, chat]}, or leave it out".into(),
        });
    }
    let at_key = |key: &String, message: String| MatrixError {
        key: Some(key.clone()),
        message,
    };
    let mut combos = vec![Map::new()];
    for (key, values) in matrix {
        let Value::Array(values) = values else {
            return Err(at_key(
                key,
                format!("matrix `{key}` must be a list of values"),
            ));
        };
        if values.is_empty() {
            return Err(at_key(key, format!("matrix `{key}` has no values")));
        }
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                values.iter().map(move |value| {
                    let mut next = combo.clone();
                    next.insert(key.clone(), value.clone());
                    next
                })
            })
            .collect();
    }
    Ok(combos)
}

/// `key=value, key=value` for a generated case's name.
pub fn describe(values: &Map<String, Value>) -> String {
    values
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => format!("{k}={s}"),
            other => format!("{k}={other}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Fill `{{name}}` placeholders in every string of `template`. A string that is exactly one
/// placeholder takes the value itself (a number stays a number); inside text, values render
/// as text. A name the row does not have is an error, which says where the values come from
/// (`source`: "the data", "the matrix").
pub fn fill(
    template: &Value,
    values: &Map<String, Value>,
    source: &str,
) -> Result<Value, Vec<Unresolved>> {
    let mut errors = Vec::new();
    let filled = fill_into(template, values, source, &mut errors);
    match errors.is_empty() {
        true => Ok(filled),
        false => Err(errors),
    }
}

fn fill_into(
    template: &Value,
    values: &Map<String, Value>,
    source: &str,
    errors: &mut Vec<Unresolved>,
) -> Value {
    match template {
        Value::String(text) => fill_text(text, values, source, errors),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| fill_into(item, values, source, errors))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_into(v, values, source, errors)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The names between `{{` and `}}` in `text`, trimmed.
pub fn names_in(text: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start + 2..].find("}}") else {
            break;
        };
        names.push(rest[start + 2..start + 2 + end].trim());
        rest = &rest[start + 2 + end + 2..];
    }
    names
}

/// A generated case's name: the template's, filled (`filled`), with `[label]` appended for
/// what it does not name, so that generated cases stay distinct: the row when it names no
/// column of it, and the combination's values whose keys it does not name.
pub fn generated_name(
    template: &str,
    filled: &mut String,
    row: Option<(u64, &Map<String, Value>)>,
    combo: &Map<String, Value>,
) {
    let named = names_in(template);
    if let Some((number, values)) = row
        && !values.keys().any(|key| named.contains(&key.as_str()))
    {
        filled.push_str(&format!(" [row {number}]"));
    }
    let unnamed: Map<String, Value> = combo
        .iter()
        .filter(|(key, _)| !named.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    if !unnamed.is_empty() {
        filled.push_str(&format!(" [{}]", describe(&unnamed)));
    }
}

/// The name `{{inner}}` stands for, if it is a placeholder: a name of letters, digits, `_`,
/// `-` and `.`; any column's name as the data writes it (a CSV header `customer message`);
/// or words and spaces close to one (a typo, said as an error). Other text between braces (a
/// template of another language) is left as it is.
fn placeholder<'a>(inner: &'a str, values: &Map<String, Value>) -> Option<&'a str> {
    let name = inner.trim();
    let word = |c: char| c.is_alphanumeric() || matches!(c, '_' | '-' | '.');
    let valid = !name.is_empty()
        && (name.chars().all(word)
            || values.contains_key(name)
            || (name.chars().all(|c| word(c) || c == ' ')
                && crate::diagnostic::did_you_mean(name, values.keys().map(String::as_str))
                    .is_some()));
    valid.then_some(name)
}

fn fill_text(
    text: &str,
    values: &Map<String, Value>,
    source: &str,
    errors: &mut Vec<Unresolved>,
) -> Value {
    let mut lookup = |name: &str, placeholder: &str| -> Value {
        if let Some(value) = values.get(name) {
            return value.clone();
        }
        let known: Vec<&str> = values.keys().map(String::as_str).collect();
        let hint = crate::diagnostic::did_you_mean(name, known.iter().copied())
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        errors.push(Unresolved {
            message: format!(
                "there is no `{name}` in {source}{hint} (it has: {})",
                known.join(", ")
            ),
            placeholder: placeholder.to_owned(),
            at: None,
        });
        Value::String(placeholder.to_owned())
    };
    let whole = text
        .strip_prefix("{{")
        .and_then(|t| t.strip_suffix("}}"))
        .filter(|inner| !inner.contains("{{"));
    if let Some(name) = whole.and_then(|inner| placeholder(inner, values)) {
        return lookup(name, text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start + 2..].find("}}") else {
            break;
        };
        let inner = &rest[start + 2..start + 2 + end];
        match placeholder(inner, values) {
            Some(name) => {
                out.push_str(&rest[..start]);
                match lookup(name, &rest[start..start + 4 + end]) {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                }
            }
            None => out.push_str(&rest[..start + 4 + end]),
        }
        rest = &rest[start + 4 + end..];
    }
    out.push_str(rest);
    Value::String(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn row(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn fills_placeholders_keeping_types() {
        let values = row(json!({"message": "refund", "score": 0.9, "tags": ["a"]}));
        assert_eq!(
            fill(&json!("{{score}}"), &values, "the data"),
            Ok(json!(0.9))
        );
        assert_eq!(
            fill(
                &json!("Say {{ message }} at {{score}}"),
                &values,
                "the data"
            ),
            Ok(json!("Say refund at 0.9"))
        );
        assert_eq!(
            fill(&json!({"x": ["{{tags}}"]}), &values, "the data"),
            Ok(json!({"x": [["a"]]}))
        );
        assert_eq!(
            fill(&json!("a{2,3} {{ }} {x}"), &values, "the data"),
            Ok(json!("a{2,3} {{ }} {x}"))
        );
        // A column's name with spaces is a placeholder; other text between braces is not.
        let spaced = row(json!({"customer message": "refund"}));
        assert_eq!(
            fill(
                &json!("Say {{ customer message }}, {{ input | trim }}"),
                &spaced,
                "the data"
            ),
            Ok(json!("Say refund, {{ input | trim }}"))
        );
        // Every placeholder that cannot be filled is said, each with its own text.
        let unresolved = fill(
            &json!("Say {{ nope }} at {{score}} {{nada}}"),
            &values,
            "the data",
        )
        .unwrap_err();
        assert_eq!(unresolved.len(), 2, "{unresolved:?}");
        assert!(
            unresolved[0]
                .message
                .contains("there is no `nope` in the data")
        );
        assert_eq!(unresolved[0].placeholder, "{{ nope }}");
        assert_eq!(unresolved[1].placeholder, "{{nada}}");
    }

    #[test]
    fn matrices_multiply_out_in_order() {
        let combos = combinations(&row(
            json!({"channel": ["email", "chat"], "locale": ["en", "fr"]}),
        ))
        .unwrap_or_default();
        let names: Vec<String> = combos.iter().map(describe).collect();
        assert_eq!(
            names,
            [
                "channel=email, locale=en",
                "channel=email, locale=fr",
                "channel=chat, locale=en",
                "channel=chat, locale=fr"
            ]
        );
        assert!(combinations(&row(json!({"a": []}))).is_err());
        assert!(combinations(&Map::new()).is_err());
    }

    #[test]
    fn a_matrix_is_counted_without_being_made() {
        let small = row(json!({"channel": ["email", "chat"], "locale": ["en", "fr", "de"]}));
        assert_eq!(count(&small), 6);
        assert_eq!(combinations(&small).map(|c| c.len()), Ok(6));
        // Twenty lists of 10,000 values: far past usize, and counted without overflow.
        let axis: Vec<u32> = (0..10_000).collect();
        let huge = row(json!(
            (0..20)
                .map(|i| (format!("k{i}"), json!(axis)))
                .collect::<Map<String, Value>>()
        ));
        assert_eq!(count(&huge), usize::MAX);
    }

    #[test]
    fn csv_rows_know_their_lines() {
        let rows = csv_rows("message,category\n\"refund, please\",billing\nhello,general\n")
            .unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[1].number, rows[1].values.get("message")),
            (3, Some(&json!("hello")))
        );
        // CRLF line ends (a Windows export) number the rows alike, a quoted line break too.
        let rows = csv_rows("message\r\n\"two\r\nlines\"\r\nhello\r\n").unwrap_or_default();
        let numbers: Vec<u64> = rows.iter().map(|row| row.number).collect();
        assert_eq!(numbers, [2, 4]);
        assert_eq!(
            csv_rows("a,b\r\n1,2\r\n1,2,3\r\n").err().as_deref(),
            Some("3: found record with 3 fields, but the previous record has 2 fields")
        );
        assert_eq!(
            csv_rows("a,b\n1,2,3\n").err().as_deref(),
            Some("2: found record with 3 fields, but the previous record has 2 fields")
        );
        // A quote that opens a field and is never closed reads the rest of the file as one
        // field, in the last row without a word from the reader: said, in every form; closed,
        // a line break in a field (the last row's too, as spreadsheets and Python write it)
        // is the field's, and a quote inside an unquoted field is a character.
        let unclosed = |line: u64| {
            Some(format!(
                "{line}: a quote opened on this line is never closed: the rest of the file reads as one field"
            ))
        };
        for (text, line) in [
            ("a,b,c\n1,2,3\n\"x,2,3\n4,5,6\n", 3),
            ("a,b\nx,\"y\nz,w\n", 2),
            ("message,n\na,1\nb,\"2", 3),
            ("message\na\n\"b", 3),
            ("message\na\n\"", 3),
            ("message\n\"\n", 2),
            ("m\n\"a \"\"quoted\"\" word\n", 2),
        ] {
            assert_eq!(csv_rows(text).err(), unclosed(line), "{text:?}");
        }
        for (text, rows) in [
            ("a\n\"two\nlines\" \n", 1),
            ("message,n\n\"hello, world\nbye\",1\n", 1),
            (
                "message,n\r\n\"Hi,\r\nlate\",1\r\n\"second\r\nhere\",2\r\n",
                2,
            ),
            ("size,n\n5\" screen,1\n", 1),
            ("m\n\"say \"\"hi\"\"\"\n", 1),
        ] {
            assert_eq!(csv_rows(text).map(|r| r.len()), Ok(rows), "{text:?}");
        }
        assert_eq!(
            yaml_rows("a: 1\n").err().as_deref(),
            Some(
                "a YAML data file is a list of rows, one mapping each (`- {name: a, message: hi}`)"
            )
        );
        assert_eq!(
            jsonl_rows("{\"a\": 1}\n{\"b\": 2, 3: 4}\n")
                .err()
                .as_deref(),
            Some("2:10: key must be a string")
        );
        assert_eq!(
            csv_rows("a, b ,b\n1,2,3\n").err().as_deref(),
            Some("the header row names the column `b` twice")
        );
        assert!(
            jsonl_rows("{\"a\": 1}\n[1]\n")
                .unwrap_err()
                .starts_with("2: each line must be a JSON object")
        );
    }

    proptest! {
        /// Whatever the fields hold (quotes, commas, line breaks), a file a CSV writer made is
        /// read back row for row: the unclosed-quote check never refuses a well-formed file.
        #[test]
        fn a_written_csv_reads_back(fields in proptest::collection::vec("[a-z\",\n\r ]{0,8}", 1..12)) {
            let mut writer = csv::Writer::from_writer(Vec::new());
            let wrote = writer
                .write_record(["message"])
                .and_then(|()| fields.iter().try_for_each(|f| writer.write_record([f])));
            prop_assert!(wrote.is_ok());
            let text = String::from_utf8(writer.into_inner().unwrap_or_default()).unwrap_or_default();
            let rows = csv_rows(&text);
            prop_assert!(rows.is_ok(), "{text:?}: {rows:?}");
            let read: Vec<String> = rows
                .unwrap_or_default()
                .iter()
                .map(|r| r.values.get("message").and_then(Value::as_str).unwrap_or_default().to_owned())
                .collect();
            // An empty line is no row to the reader; a record of one empty field is written so.
            let written: Vec<String> = fields.into_iter().filter(|f| !f.is_empty()).collect();
            let read: Vec<String> = read.into_iter().filter(|f| !f.is_empty()).collect();
            prop_assert_eq!(read, written, "{:?}", text);
        }

        #[test]
        fn filling_never_panics(text in "\\PC{0,40}") {
            let _ = fill(&Value::String(text), &row(json!({"a": 1})), "the data");
        }
    }
}
