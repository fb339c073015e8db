//! Finished cases kept for the reports written at the end of a run, without holding every
//! request and output until then. The terminal prints a case as it finishes; after it, only
//! the JSON report reads a passing attempt's request and output (JUnit, the job summary and
//! the annotations read the attempts that did not pass). So a run with a JSON report writes
//! each finished case's entry to a temporary file beside the report (the spill), and the
//! report is then put together from it in plan order; a passing attempt's request and
//! output are dropped from memory once written there, or at once without a JSON report.
//!
//! ```text
//! case finished ──► terminal ──► spill (its JSON entry, as the report holds it) ──► light copy kept
//! run ended ──► JSON report: header, then the spilled entries in plan order
//! ```

use crate::run::{CaseKey, CaseOutcome};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

/// How a run keeps its finished cases for the reports written at its end.
pub enum Keep {
    /// Every case whole: `compare` and `gate` diff the outputs; a run whose spill could not be
    /// made writes its JSON report from them.
    Whole,
    /// A passing attempt's request and output are dropped once the case is printed (and
    /// spilled, for a JSON report).
    Light(Option<Spill>),
}

impl Keep {
    /// For `run`: light, with a spill beside the JSON report if one is asked for; whole if
    /// the spill cannot be made there (the report is then written as before, from memory).
    pub fn for_run(json: Option<&Path>) -> Keep {
        match json.map(Spill::beside) {
            None => Keep::Light(None),
            Some(Ok(spill)) => Keep::Light(Some(spill)),
            Some(Err(_)) => Keep::Whole,
        }
    }

    /// Keep `outcome`, printed already: spilled, then lightened, as this keeping says.
    pub fn keep(&mut self, outcome: &mut CaseOutcome) {
        let Keep::Light(spill) = self else {
            return;
        };
        if let Some(spill) = spill {
            spill.write(outcome);
        }
        outcome.drop_passing_payloads();
    }
}

/// The JSON report's case entries, written as cases finish, in the order they finished.
pub struct Spill {
    file: BufWriter<File>,
    /// Where each case's entry starts and how long it is.
    entries: Vec<(CaseKey, u64, u64)>,
    written: u64,
    /// Why an entry could not be written: the report cannot be made whole.
    failed: Option<String>,
}

/// Indentation of a case entry in the report (`"cases"` is a field of the report object).
const ENTRY_INDENT: &[u8] = b"    ";

impl Spill {
    /// A spill in the JSON report's folder (on the file system that will hold the report
    /// anyway, not a /tmp that may be memory), or in the temporary folder for a report
    /// written to a device or a pipe. The file has no name: it is gone when the process is.
    fn beside(report: &Path) -> std::io::Result<Spill> {
        let folder = match report.parent() {
            Some(folder) if folder.as_os_str().is_empty() => Path::new("."),
            Some(folder) => folder,
            None => Path::new("."),
        };
        let is_file = std::fs::metadata(report).map_or(true, |meta| meta.is_file());
        let file = match is_file {
            true => tempfile::tempfile_in(folder).or_else(|_| tempfile::tempfile())?,
            false => tempfile::tempfile()?,
        };
        Ok(Spill {
            file: BufWriter::with_capacity(256 * 1024, file),
            entries: Vec::new(),
            written: 0,
            failed: None,
        })
    }

    /// Write `outcome`'s entry as the whole report would hold it (pretty, at its depth).
    fn write(&mut self, outcome: &CaseOutcome) {
        if self.failed.is_some() {
            return;
        }
        match entry(outcome).and_then(|entry| {
            self.file.write_all(&entry)?;
            Ok(entry.len() as u64)
        }) {
            Ok(len) => {
                self.entries.push((outcome.key, self.written, len));
                self.written += len;
            }
            Err(err) => self.failed = Some(err.to_string()),
        }
    }

    /// Write the entries into `out` as the report's `cases` list, in plan order.
    pub fn write_cases(mut self, out: &mut dyn Write) -> std::io::Result<()> {
        if let Some(why) = self.failed {
            return Err(std::io::Error::other(format!(
                "the finished cases could not be written aside for it: {why}"
            )));
        }
        let mut file = self.file.into_inner().map_err(|err| err.into_error())?;
        self.entries.sort_unstable_by_key(|(key, ..)| *key);
        if self.entries.is_empty() {
            return out.write_all(b"[]");
        }
        out.write_all(b"[")?;
        let mut buffer = Vec::new();
        for (index, (_, start, len)) in self.entries.iter().enumerate() {
            out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
            file.seek(SeekFrom::Start(*start))?;
            buffer.clear();
            (&mut file).take(*len).read_to_end(&mut buffer)?;
            out.write_all(&buffer)?;
        }
        out.write_all(b"\n  ]")
    }
}

/// A case's entry as `serde_json::to_writer_pretty` writes it inside the report: each line
/// indented by the entry's depth (JSON text holds no line break but between its tokens).
fn entry(outcome: &CaseOutcome) -> std::io::Result<Vec<u8>> {
    let pretty = serde_json::to_vec_pretty(outcome)?;
    let mut entry = Vec::with_capacity(pretty.len() + pretty.len() / 8);
    for (index, line) in pretty.split(|&b| b == b'\n').enumerate() {
        if index > 0 {
            entry.push(b'\n');
        }
        entry.extend_from_slice(ENTRY_INDENT);
        entry.extend_from_slice(line);
    }
    Ok(entry)
}
