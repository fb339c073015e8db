//! The golden file format: a few `# key: value` header lines naming the suite, case and
//! target and when it was accepted, then the output as pretty JSON. Readable in a diff.

use serde_json::Value;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct Golden {
    pub suite: String,
    pub case: String,
    pub target: String,
    /// When it was accepted (golden files) or recorded (pending `.new` files).
    pub when: String,
    pub value: Value,
}

const MAGIC: &str = "# flowcheck snapshot";
/// Golden files larger than this are refused (a JSON report may be as large).
const MAX_BYTES: u64 = 1 << 30;

impl Golden {
    pub fn render(&self, pending: bool) -> String {
        let when = if pending { "recorded" } else { "accepted" };
        let body =
            serde_json::to_string_pretty(&self.value).unwrap_or_else(|_| self.value.to_string());
        let one_line = |s: &str| s.replace(['\n', '\r'], " ");
        format!(
            "{MAGIC}\n# suite: {}\n# case: {}\n# target: {}\n# {when}: {}\n{body}\n",
            one_line(&self.suite),
            one_line(&self.case),
            one_line(&self.target),
            self.when
        )
    }

    pub fn parse(text: &str) -> Result<Golden, String> {
        // A file saved by a Windows editor (a byte-order mark, CRLF line ends) reads the same.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text.lines();
        if lines.next().map(str::trim_end) != Some(MAGIC) {
            return Err(format!(
                "not a flowcheck snapshot (the first line must be {MAGIC:?})"
            ));
        }
        let mut golden = Golden {
            suite: String::new(),
            case: String::new(),
            target: String::new(),
            when: String::new(),
            value: Value::Null,
        };
        let mut body = String::new();
        for line in lines {
            match line.strip_prefix("# ").and_then(|l| l.split_once(": ")) {
                Some((key, value)) if body.is_empty() => match key {
                    "suite" => golden.suite = value.to_owned(),
                    "case" => golden.case = value.to_owned(),
                    "target" => golden.target = value.to_owned(),
                    "accepted" | "recorded" => golden.when = value.to_owned(),
                    _ => {}
                },
                _ => {
                    body.push_str(line);
                    body.push('\n');
                }
            }
        }
        golden.value = serde_json::from_str(&body)
            .map_err(|err| format!("the snapshot's JSON is invalid: {err}"))?;
        Ok(golden)
    }

    /// Read a golden (or pending) file; `Ok(None)` when there is none. Only a regular file is
    /// read: a fifo in its place would hold the run (and the lock every snapshot check takes)
    /// for ever, so it is refused at once.
    pub fn read(path: &Path) -> Result<Option<Golden>, String> {
        use crate::files::ReadError;
        match crate::files::read_regular_text(path, MAX_BYTES) {
            Ok(text) => Golden::parse(&text)
                .map(Some)
                .map_err(|err| format!("{}: {err}", path.display())),
            Err(ReadError::Io(err)) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(ReadError::Io(err)) => Err(format!("cannot read {}: {err}", path.display())),
            Err(ReadError::TooLarge { limit }) => Err(format!(
                "{} is larger than {limit} bytes, more than a snapshot can be",
                path.display()
            )),
            Err(ReadError::NotUtf8 { line, column }) => Err(format!(
                "{}:{line}:{column}: a snapshot is UTF-8 text; this byte is not",
                path.display()
            )),
        }
    }
}

pub fn now() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_and_parses_back() {
        let golden = Golden {
            suite: "support-triage".into(),
            case: "refund\ngoes to billing".into(),
            target: "v2".into(),
            when: "2026-11-29T20:00:00Z".into(),
            value: json!({"category": "billing", "text": "# not a header"}),
        };
        let text = golden.render(false);
        assert!(text.starts_with(
            "# flowcheck snapshot\n# suite: support-triage\n# case: refund goes to billing\n"
        ));
        let back = Golden::parse(&text).expect("parses");
        assert_eq!(
            (back.value, back.when.as_str()),
            (golden.value, "2026-11-29T20:00:00Z")
        );
        assert!(Golden::parse("{}").is_err());
    }
}
