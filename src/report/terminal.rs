//! The terminal: one line per case as it finishes (and a progress bar below them when stderr
//! is a terminal), then every failure in detail, then a summary. Colours only on a colour
//! terminal (and never with NO_COLOR).

use super::render::{case_details, status_word, title};
use super::style::{BOLD, DIM, FAIL, PASS, WARN, paint};
use crate::run::{CaseKey, CaseOutcome, CaseStatus, Stop, Totals};
use crate::words::counted;
use anstyle::Style;
use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

pub struct Terminal {
    out: anstream::AutoStream<std::io::Stdout>,
    /// Case lines not yet written: [`Terminal::flush`] writes them in one go.
    pending: String,
    /// Cases that did not pass, shown in detail at the end in plan (file) order, whatever
    /// order they finished in, so two runs' logs compare line by line.
    problems: Vec<(CaseKey, String)>,
    /// Print a line for passing cases too.
    show_passes: bool,
    /// Explain every case that did not pass at the end (off when a comparison follows).
    show_details: bool,
    /// The bar on stderr, while a run is in progress on a terminal.
    bar: Option<indicatif::ProgressBar>,
    /// Cases finished that did not pass, for the bar.
    not_passed: usize,
    /// Why stdout could not be written (a full disk), for the command to report at the end;
    /// after it, or after the reader left (`| head`), nothing more is written.
    write_error: Option<std::io::Error>,
    closed: bool,
    /// Whether stdout shows colours; without, styles are stripped before a write.
    styled: bool,
}

impl Terminal {
    pub fn new(show_passes: bool) -> Self {
        let out = anstream::stdout();
        Terminal {
            styled: out.current_choice() != anstream::ColorChoice::Never,
            out,
            pending: String::new(),
            problems: Vec::new(),
            show_passes,
            show_details: true,
            bar: None,
            not_passed: 0,
            write_error: None,
            closed: false,
        }
    }

    /// A run of `total` cases starts: show a progress bar on stderr if `bar` (the caller knows
    /// whether stderr is a terminal a person watches) until [`Terminal::finish`].
    pub fn start(&mut self, total: usize, bar: bool) {
        if !bar {
            return;
        }
        let Ok(style) = indicatif::ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} cases{msg}",
        ) else {
            return;
        };
        let progress = indicatif::ProgressBar::with_draw_target(
            Some(total as u64),
            indicatif::ProgressDrawTarget::stderr(),
        )
        .with_style(style.progress_chars("=> "));
        progress.enable_steady_tick(Duration::from_millis(250));
        self.not_passed = 0;
        self.bar = Some(progress);
    }

    /// Progress lines only: a comparison explains the differences itself.
    pub fn progress_only() -> Self {
        let mut terminal = Terminal::new(false);
        terminal.show_details = false;
        terminal
    }

    /// Write a line now (after any case lines still pending).
    pub fn line(&mut self, text: &str) {
        let _ = writeln!(self.pending, "{text}");
        self.flush();
    }

    /// Write the pending case lines; the scheduler says when (`Event::ShowProgress`).
    pub fn flush(&mut self) {
        match self.bar.clone() {
            Some(bar) => bar.suspend(|| self.write_pending()),
            None => self.write_pending(),
        }
    }

    fn write_pending(&mut self) {
        if !self.pending.is_empty() {
            // Stripped here in one piece: the stream would write every piece between two
            // styles on its own, a system call per line.
            if !self.styled && self.pending.contains('\x1b') {
                self.pending = super::style::plain(&self.pending);
            }
            let mut text = std::mem::take(&mut self.pending);
            self.write_out(&text);
            text.clear();
            self.pending = text;
        }
    }

    /// Write to stdout unless it failed before: a reader that left ends the output quietly,
    /// any other failure is kept for [`Terminal::write_error`].
    fn write_out(&mut self, text: &str) {
        if self.closed {
            return;
        }
        if let Err(err) = self
            .out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
        {
            self.closed = true;
            if err.kind() != std::io::ErrorKind::BrokenPipe {
                self.write_error = Some(err);
            }
        }
    }

    /// Why the output could not be written, if it could not (not when its reader left): the
    /// lines still pending are tried first. The command reports it and exits 3, as for a report.
    pub fn write_error(&mut self) -> Option<&std::io::Error> {
        self.flush();
        self.write_error.as_ref()
    }

    pub fn case_finished(&mut self, outcome: &CaseOutcome) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
            if !outcome.status.is_success() {
                self.not_passed += 1;
                bar.set_message(format!(", {} not passed", self.not_passed));
            }
        }
        // A case never started has nothing to show but its name: the summary counts them and
        // the note at the end says why the run stopped (after a refused key or a Ctrl-C, a
        // line each would bury both under thousands of lines); the reports list them.
        let never_started = outcome.status == CaseStatus::NotRun && outcome.duration.is_zero();
        if (self.show_passes || !outcome.status.is_success()) && !never_started {
            let seconds = outcome.duration.as_secs_f64();
            // A pass that needed retries (a 429, a dropped connection) says so, as nextest's
            // `TRY 2 PASS` does: it took longer, and the server was not well.
            let retries: u32 = outcome.attempts.iter().map(|a| a.retries).sum();
            let suffix = match retries {
                0 => String::new(),
                1 => paint(DIM, " (1 retry)"),
                n => paint(DIM, format!(" ({n} retries)")),
            };
            // A case stopped after it started says how far it got.
            let suffix = match (&outcome.reason, outcome.status) {
                (Some(reason), CaseStatus::NotRun) => {
                    format!("{suffix}{}", paint(DIM, format!(": {reason}")))
                }
                _ => suffix,
            };
            // Written plain where no colour is shown: a line per case, not stripped after.
            let ((style, word), dim) = if self.styled {
                (status_word(outcome.status), DIM)
            } else {
                ((Style::new(), status_word(outcome.status).1), Style::new())
            };
            let _ = writeln!(
                self.pending,
                "{style}{word}{style:#} {dim}[{seconds:>7.3}s]{dim:#} {}{suffix}",
                title(outcome)
            );
        }
        // A case not run has nothing to explain but why the run stopped, which the end says
        // once (`note: stopped after the first failure`), not once a case.
        if self.show_details && !matches!(outcome.status, CaseStatus::Passed | CaseStatus::NotRun) {
            let header = format!(
                "{} {} {}",
                paint(
                    if outcome.status == CaseStatus::Flaky {
                        WARN
                    } else {
                        FAIL
                    },
                    format!("--- {}:", outcome.status.as_str().to_uppercase())
                ),
                paint(BOLD, title(outcome)),
                paint(
                    DIM,
                    format!("({}:{})", outcome.file.display(), outcome.line)
                )
            );
            let body: String = case_details(outcome)
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| format!("  {l}\n"))
                .collect();
            self.problems
                .push((outcome.key, format!("{header}\n{body}")));
        }
    }

    pub fn finish(&mut self, totals: &Totals, elapsed: Duration, stop: Option<&Stop>) {
        self.show_problems();
        if let Some(stop) = stop {
            let why = stop.note();
            self.line(&format!("{} {why}", paint(WARN, "note:")));
        }
        self.line(&summary(totals, elapsed));
    }

    /// The case lines still pending, then every case that did not pass in detail, in plan
    /// order (for `finish`, and for `merge`, which has its own summary).
    pub fn show_problems(&mut self) {
        self.flush();
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        if !self.problems.is_empty() {
            self.line("");
            let mut problems = std::mem::take(&mut self.problems);
            problems.sort_by_key(|(key, _)| *key);
            for (_, problem) in problems {
                self.write_out(&problem);
            }
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.flush();
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

/// `Summary [1.234s] 12 cases: 10 passed, 1 flaky, 1 failed, 0 errored, 0 not run`; the
/// counts are JUnit's (`errored` its errors, `not run` its skipped), so errors that were cases
/// interrupted in flight say so: `2 errored (1 interrupted)`.
pub fn summary(totals: &Totals, elapsed: Duration) -> String {
    let count = |n: usize, word: &str, style| {
        if n > 0 {
            paint(style, format!("{n} {word}"))
        } else {
            format!("{n} {word}")
        }
    };
    format!(
        "{} [{:.3}s] {}: {}, {}, {}, {}, {}",
        paint(BOLD, "Summary"),
        elapsed.as_secs_f64(),
        counted(totals.total() as u64, "case"),
        count(totals.passed, "passed", PASS),
        count(totals.flaky, "flaky", WARN),
        count(totals.failed, "failed", FAIL),
        count(totals.errored, &errored(totals), FAIL),
        count(totals.not_run, "not run", WARN),
    )
}

/// The word after the number of errors: `errored`, or `errored (1 interrupted)` when some
/// were cases cut while their call was in flight.
pub fn errored(totals: &Totals) -> String {
    match totals.interrupted {
        0 => "errored".into(),
        n => format!("errored ({n} interrupted)"),
    }
}
