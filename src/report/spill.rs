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
use std::io::{BufWriter, Read, Seek, Write};
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
        /// Cases go to the thread in batches: one by one, waking it for each took about as
        /// much CPU as writing them.
        batch: Vec<CaseOutcome>,
        cases: SyncSender<Vec<CaseOutcome>>,
        writer: JoinHandle<(Vec<CaseOutcome>, Spill)>,
        /// Cases the thread could not take: it failed.
        orphans: Vec<CaseOutcome>,
    },
}

/// Cases handed to the spill's thread at once, and how many such batches may wait for it
/// before the run waits.
const BATCH: usize = 64;
const WAITING: usize = 64;

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
        let (cases, waiting) = std::sync::mpsc::sync_channel::<Vec<CaseOutcome>>(WAITING);
        let writer = std::thread::Builder::new()
            .name("spill".into())
            .spawn(move || {
                let mut kept = Vec::new();
                for batch in waiting {
                    for mut outcome in batch {
                        spill.write(&outcome);
                        outcome.drop_passing_payloads();
                        kept.push(outcome);
                    }
                }
                (kept, spill)
            });
        match writer {
            Ok(writer) => Keep::Spilling {
                batch: Vec::with_capacity(BATCH),
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
            Keep::Spilling {
                batch,
                cases,
                orphans,
                ..
            } => {
                batch.push(*outcome);
                if batch.len() >= BATCH {
                    let full = std::mem::replace(batch, Vec::with_capacity(BATCH));
                    send(cases, full, orphans);
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
                batch,
                cases,
                writer,
                mut orphans,
            } => {
                send(&cases, batch, &mut orphans);
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

/// Hand `batch` to the spill's thread. The thread ends only when the run hangs up, or by a
/// panic: then the reports cannot be made whole, and say so (see [`Keep::finish`]).
fn send(
    cases: &SyncSender<Vec<CaseOutcome>>,
    batch: Vec<CaseOutcome>,
    orphans: &mut Vec<CaseOutcome>,
) {
    if let Err(std::sync::mpsc::SendError(batch)) = cases.send(batch) {
        orphans.extend(batch);
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
    /// Where an entry is serialized before it is written.
    scratch: Vec<u8>,
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
            scratch: Vec::new(),
        })
    }

    /// Write `outcome`'s entry as the whole report would hold it (pretty, at its depth).
    fn write(&mut self, outcome: &CaseOutcome) {
        if self.failed.is_some() {
            return;
        }
        // Serialized whole first: written token by token through an indenting writer, it cost
        // half as much again as the serializing.
        self.scratch.clear();
        let written = serde_json::to_writer_pretty(&mut self.scratch, outcome)
            .map_err(std::io::Error::from)
            .and_then(|()| indented(&self.scratch, &mut self.file));
        match written {
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
        // Cases finish about in plan order: most entries follow the one before in the file,
        // and are read from the buffer without a seek.
        file.rewind()?;
        let mut file = std::io::BufReader::with_capacity(256 * 1024, file);
        let mut at: u64 = 0;
        for (index, (_, start, len)) in self.entries.iter().enumerate() {
            out.write_all(if index == 0 { b"\n" } else { b",\n" })?;
            if *start != at {
                let offset = i64::try_from(*start).unwrap_or(i64::MAX)
                    - i64::try_from(at).unwrap_or(i64::MAX);
                file.seek_relative(offset)?;
            }
            let copied = std::io::copy(&mut (&mut file).take(*len), out)?;
            if copied != *len {
                return Err(std::io::Error::other(
                    "the finished cases' file was cut short",
                ));
            }
            at = start + len;
        }
        out.write_all(b"\n  ]")
    }
}

/// Write a case's pretty JSON as `serde_json::to_writer_pretty` writes it inside the report:
/// each line indented by the entry's depth (JSON text holds no line break but between its
/// tokens). How many bytes were written.
fn indented(pretty: &[u8], out: &mut impl Write) -> std::io::Result<u64> {
    let mut written = 0;
    for line in pretty.split_inclusive(|&b| b == b'\n') {
        out.write_all(ENTRY_INDENT)?;
        out.write_all(line)?;
        written += (ENTRY_INDENT.len() + line.len()) as u64;
    }
    Ok(written)
}
