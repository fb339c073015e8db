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
use std::sync::mpsc::SyncSender;
use std::thread::JoinHandle;

/// How a run keeps its finished cases for the reports written at its end.
pub enum Keep {
    /// Every case whole: `compare` and `gate` diff the outputs; a run whose spill could not be
    /// made writes its JSON report from them.
    Whole(Vec<CaseOutcome>),
    /// A passing attempt's request and output are dropped once the case is printed.
    Light(Vec<CaseOutcome>),
    /// Each case is spilled, then kept light, on a thread of its own: writing a case's entry
    /// costs about as much as the run spends on its call, and the run goes on meanwhile.
    Spilling {
        cases: SyncSender<Box<CaseOutcome>>,
        writer: JoinHandle<(Vec<CaseOutcome>, Spill)>,
        /// Cases the thread could not take: it failed.
        orphans: Vec<CaseOutcome>,
    },
}

/// How many finished cases may wait for the spill's thread before the run waits for it.
const WAITING: usize = 4096;

impl Keep {
    /// Every case whole.
    pub fn whole() -> Keep {
        Keep::Whole(Vec::new())
    }

    /// For `run`: light, and spilled beside the JSON report if one is asked for; whole if
    /// the spill cannot be made (the report is then written as before, from memory).
    pub fn for_run(json: Option<&Path>) -> Keep {
        let Some(report) = json else {
            return Keep::Light(Vec::new());
        };
        let Ok(mut spill) = Spill::beside(report) else {
            return Keep::whole();
        };
        let (cases, waiting) = std::sync::mpsc::sync_channel::<Box<CaseOutcome>>(WAITING);
        let writer = std::thread::Builder::new()
            .name("spill".into())
            .spawn(move || {
                let mut kept = Vec::new();
                for mut outcome in waiting {
                    spill.write(&outcome);
                    outcome.drop_passing_payloads();
                    kept.push(*outcome);
                }
                (kept, spill)
            });
        match writer {
            Ok(writer) => Keep::Spilling {
                cases,
                writer,
                orphans: Vec::new(),
            },
            Err(_) => Keep::whole(),
        }
    }

    /// Keep `outcome`, printed already.
    pub fn push(&mut self, mut outcome: Box<CaseOutcome>) {
        match self {
            Keep::Whole(kept) => kept.push(*outcome),
            Keep::Light(kept) => {
                outcome.drop_passing_payloads();
                kept.push(*outcome);
            }
            Keep::Spilling { cases, orphans, .. } => {
                // The thread ends only when this side hangs up, or by a panic: then the
                // reports cannot be made whole, and say so (see `finish`).
                if let Err(std::sync::mpsc::SendError(outcome)) = cases.send(outcome) {
                    orphans.push(*outcome);
                }
            }
        }
    }

    /// The kept cases in plan order, and the spill to write the JSON report from, if the
    /// cases went there; `Err` when the spill's thread failed: the cases it held are lost,
    /// and no report can be whole.
    pub fn finish(self) -> (Vec<CaseOutcome>, Option<Result<Spill, String>>) {
        let (mut kept, spill) = match self {
            Keep::Whole(kept) | Keep::Light(kept) => (kept, None),
            Keep::Spilling {
                cases,
                writer,
                orphans,
            } => {
                drop(cases);
                match writer.join() {
                    Ok((kept, spill)) if orphans.is_empty() => (kept, Some(Ok(spill))),
                    _ => (
                        orphans,
                        Some(Err(
                            "the thread writing the finished cases aside failed".into()
                        )),
                    ),
                }
            }
        };
        // Keys are unique: the unstable sort gives the same order, without a copy.
        kept.sort_unstable_by_key(|o| o.key);
        (kept, spill)
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
        let file = match crate::files::is_stream(report) {
            false => tempfile::tempfile_in(folder).or_else(|_| tempfile::tempfile())?,
            true => tempfile::tempfile()?,
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
            Err(err) => {
                self.failed = Some(err.to_string());
                // The space it holds is the other reports' (a full disk): given back.
                self.entries = Vec::new();
                let _ = self.file.get_ref().set_len(0);
            }
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
