//! A command line that could not be read (a flag misspelt, a value refused): the reports an
//! earlier command wrote at the paths this one names are replaced by ones saying it was
//! refused, so that a CI job that publishes them whatever the exit code does not show the last
//! run's results as this one's. Only a report of the kind the option writes is replaced (an
//! earlier JUnit report at `run` or `merge`'s `--junit`, a comparison flowcheck wrote at
//! `compare` or `gate`'s `--markdown`, `--html` and `--json`); nothing is written where no
//! such report is: the paths were never checked against what the command would read.

use super::compare::{Page, earlier_comparison, replace_with_refusal};
use crate::exit::Refusal;
use crate::report::junit::{self, RefusedCommand};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The options that name a file the command reads.
const READ_OPTIONS: [&str; 9] = [
    "--policy",
    "--baseline-report",
    "--candidate-report",
    "--only-failed",
    "--shard-durations",
    "--job-durations",
    "--api-key-file",
    "--ca-bundle",
    "--flows",
];

/// The command whose line could not be read, and the paths it would have written.
enum Reports {
    JUnit(RefusedCommand, PathBuf),
    Comparison(Vec<(Page, PathBuf)>),
}

/// Replace the earlier reports at the paths of `args` (the command line without the
/// program's name), which clap refused with `why`.
pub fn refused(args: &[OsString], why: &str) {
    let Some((command, rest)) = command(args) else {
        return;
    };
    // Never over a file an option names for the command to read.
    let read: Vec<(String, PathBuf)> = READ_OPTIONS
        .iter()
        .filter_map(|&flag| Some((flag.to_owned(), value_of(flag, rest)?)))
        .collect();
    let read: Vec<(String, &Path)> = read
        .iter()
        .map(|(flag, path)| (flag.clone(), path.as_path()))
        .collect();
    let replaceable = |path: &Path, earlier: fn(&Path) -> bool| {
        super::execution::may_replace_earlier(path, &read, &[], earlier)
    };
    match reports(command, rest) {
        Some(Reports::JUnit(command, path)) if replaceable(&path, junit::is_earlier_report) => {
            let mut why = why
                .lines()
                .next()
                .unwrap_or(why)
                .trim_start_matches("error: ")
                .to_owned();
            crate::secret::Keys::in_environment().scrub_in(&mut why);
            let refusal = Refusal::usage(format!("the command line could not be read: {why}"));
            super::run::write_not_run_junit(&path, &junit::refused(command, &refusal));
        }
        Some(Reports::Comparison(pages)) => {
            for (page, path) in pages {
                if replaceable(&path, earlier_comparison) {
                    replace_with_refusal(&path, page);
                }
            }
        }
        _ => {}
    }
}

/// The command (the first word that is neither an option nor `--color`'s value) and the words
/// after it.
fn command(args: &[OsString]) -> Option<(&str, &[OsString])> {
    let mut at = 0;
    while let Some(word) = args.get(at) {
        match word.to_str() {
            Some("--color") => at += 2,
            Some(option) if option.starts_with('-') => at += 1,
            Some(command) => return Some((command, &args[at + 1..])),
            None => return None,
        }
    }
    None
}

/// The report paths a `command` line names in `rest`: `--flag PATH` or `--flag=PATH`, before
/// any `--`.
fn reports(command: &str, rest: &[OsString]) -> Option<Reports> {
    match command {
        "run" => Some(Reports::JUnit(
            RefusedCommand::Run,
            value_of("--junit", rest)?,
        )),
        "merge" => Some(Reports::JUnit(
            RefusedCommand::Merge,
            value_of("--junit", rest)?,
        )),
        "compare" | "gate" => Some(Reports::Comparison(
            Page::OPTIONS
                .iter()
                .filter_map(|&(flag, page)| Some((page, value_of(flag, rest)?)))
                .collect(),
        )),
        _ => None,
    }
}

/// The value of the first `flag` in `words` (`flag PATH` or `flag=PATH`), before any `--`.
fn value_of(flag: &str, words: &[OsString]) -> Option<PathBuf> {
    let mut words = words.iter();
    while let Some(word) = words.next() {
        match word.to_str() {
            Some("--") => return None,
            Some(option) if option == flag => return words.next().map(PathBuf::from),
            Some(option)
                if let Some(path) = option
                    .strip_prefix(flag)
                    .and_then(|rest| rest.strip_prefix('=')) =>
            {
                return Some(PathBuf::from(path));
            }
            _ => {}
        }
    }
    None
}
