//! Finding suite files, parsing them, and compiling them into [`Suite`]s. Every problem is a
//! [`Diagnostic`] at file:line:col; a file's problems are all reported, not just the first.

use crate::diagnostic::{Diagnostic, Position};
use crate::files::{ReadError, read_regular_text};
use crate::suite::model::Suite;
use crate::suite::raw::{HeaderParts, SuiteSeed};
use serde::de::DeserializeSeed;
use serde_saphyr::budget::BudgetReport;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

mod compile;
mod generate;
pub mod split;

use compile::{Compiler, ReadCases};

/// The timeout of a case when neither the case nor the suite's defaults set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Suites larger than this are refused before parsing.
const MAX_SUITE_BYTES: u64 = 16 * 1024 * 1024;

/// Everything found under the given paths: the suites that compiled and every error.
#[derive(Debug, Default)]
pub struct Loaded {
    pub suites: Vec<Suite>,
    pub errors: Vec<Diagnostic>,
}

/// Expand files and folders (every `*.yaml`/`*.yml` below a folder, sorted) into suite files.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found, &mut Default::default()).map_err(|err| {
                Diagnostic::new(
                    path,
                    Position::default(),
                    format!("cannot read folder: {err}"),
                )
            })?;
            if found.is_empty() {
                // A CI job pointed at the wrong folder must not pass with nothing run.
                return Err(Diagnostic::new(
                    path,
                    Position::default(),
                    "no suite files (*.yaml, *.yml) in this folder",
                ));
            }
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(Diagnostic::new(
                path,
                Position::default(),
                "no such file or folder",
            ));
        }
    }
    // A file named twice (`suites suites/triage.yaml`) is loaded once.
    let mut seen = std::collections::HashSet::new();
    files.retain(|file| seen.insert(std::fs::canonicalize(file).unwrap_or_else(|_| file.clone())));
    Ok(files)
}

/// Links to folders are followed (a suites folder may link to shared suites), but no folder is
/// walked twice: a link back up (`a -> .`) would make the walk endless.
fn walk(
    dir: &Path,
    found: &mut Vec<PathBuf>,
    walked: &mut std::collections::HashSet<PathBuf>,
) -> std::io::Result<()> {
    if !walked.insert(std::fs::canonicalize(dir)?) {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        // A fifo or a device is no suite (reading a fifo waits for ever); a broken link is
        // kept, for loading to say so.
        let meta = std::fs::metadata(&path).ok();
        let suite_file = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        );
        if meta.as_ref().is_some_and(std::fs::Metadata::is_dir) {
            walk(&path, found, walked)?;
        } else if suite_file && meta.as_ref().is_none_or(std::fs::Metadata::is_file) {
            found.push(path);
        }
    }
    Ok(())
}

/// Load every suite under `paths`, using the process environment for `${VAR}`. Its problems
/// are shown without the keys the environment holds: a line quoted from a suite may hold one.
pub fn load(paths: &[PathBuf]) -> Loaded {
    let mut loaded = load_all(paths);
    if !loaded.errors.is_empty() {
        let keys = crate::secret::Keys::in_environment();
        loaded.errors.iter_mut().for_each(|d| d.scrub(&keys));
    }
    loaded
}

fn load_all(paths: &[PathBuf]) -> Loaded {
    let env = |name: &str| std::env::var(name).ok();
    let files = match discover(paths) {
        Ok(files) => files,
        Err(err) => {
            return Loaded {
                suites: vec![],
                errors: vec![err],
            };
        }
    };
    let mut loaded = Loaded::default();
    for file in files {
        // A YAML list in a suites folder is a data file for `cases_from` (the layout the
        // README shows: `suites/data/`), not a suite; named on its own, it is said to be one.
        if holds_a_list(&file) {
            if paths.iter().any(|p| p == &file) {
                loaded.errors.push(Diagnostic::new(
                    &file,
                    Position::default(),
                    "this file holds a list, not a suite (`suite:`, `flow:`, `cases:`): a data file for `cases_from`?",
                ));
            }
            continue;
        }
        match load_file(&file, &env) {
            Ok(suite) => match loaded.suites.iter().find(|s| s.name == suite.name) {
                // Reports, --only-failed, merge and compare tell cases apart by suite and case.
                Some(first) => loaded.errors.push(Diagnostic::new(
                    &suite.file,
                    suite.name_at,
                    format!(
                        "suite \"{}\" is also the name of {}: reports tell cases apart by suite and case name, so give each suite its own",
                        suite.name,
                        first.file.display()
                    ),
                )),
                None => match snapshot_folder_shared(&loaded.suites, &suite) {
                    Some(problem) => loaded.errors.push(problem),
                    None => loaded.suites.push(suite),
                },
            },
            Err(errors) => loaded.errors.extend(errors),
        }
    }
    // Every file a list: a CI job pointed at a data folder must not pass with nothing run.
    if loaded.suites.is_empty() && loaded.errors.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        loaded.errors.push(Diagnostic::new(
            paths.first().map_or(Path::new("."), PathBuf::as_path),
            Position::default(),
            format!(
                "no suite in {}: its YAML files are lists (data for `cases_from`), not suites",
                shown.join(", ")
            ),
        ));
    }
    loaded
}

/// Two suite files with one name but for their extension (`a.yaml`, `a.yml`) have one
/// snapshot folder (`__snapshots__/a/`): where either has snapshot cases, each would judge the
/// other's golden files, and `--update-snapshots` write over them.
fn snapshot_folder_shared(loaded: &[Suite], suite: &Suite) -> Option<Diagnostic> {
    let has_snapshots = |suite: &Suite| suite.cases.iter().any(|c| c.expect.snapshot.is_some());
    let folder = crate::snapshot::store::folder(suite);
    let other = loaded.iter().find(|other| {
        crate::snapshot::store::folder(other) == folder
            && (has_snapshots(other) || has_snapshots(suite))
    })?;
    Some(Diagnostic::new(
        &suite.file,
        suite.name_at,
        format!(
            "this suite and {} would share the snapshot folder {}: rename one file",
            other.file.display(),
            folder.display()
        ),
    ))
}

/// Whether a YAML file's document is a list (its first line of content starts with `-` or
/// `[`): a data file, where a suite is a mapping.
fn holds_a_list(file: &Path) -> bool {
    use std::io::{BufRead, BufReader, Read};
    // A fifo named as a suite is refused by `load_file`, without waiting on it here.
    let Ok(handle) = crate::files::open_regular(file) else {
        return false;
    };
    // The first 64 KiB are plenty to find the first line of content.
    BufReader::new(handle.take(64 * 1024))
        .lines()
        .map_while(Result::ok)
        .map(|line| line.trim_start_matches('\u{feff}').trim().to_owned())
        .find(|line| {
            !(line.is_empty() || line.starts_with('#') || line.starts_with('%') || line == "---")
        })
        .is_some_and(|line| line.starts_with("- ") || line == "-" || line.starts_with('['))
}

pub fn load_file(file: &Path, env: Env<'_>) -> Result<Suite, Vec<Diagnostic>> {
    // A fifo would be waited on for ever (Ctrl-C and all); a device read to the limit.
    let text = read_regular_text(file, MAX_SUITE_BYTES).map_err(|err| {
        let (position, message) = match err {
            ReadError::TooLarge { limit } => (
                Position::default(),
                format!("the file is larger than {limit} bytes, the limit of a suite: split it into several files"),
            ),
            ReadError::NotUtf8 { line, column } => (
                Position::new(
                    u32::try_from(line).unwrap_or(u32::MAX),
                    u32::try_from(column).unwrap_or(u32::MAX),
                ),
                "a suite is UTF-8 text; this byte is not".to_owned(),
            ),
            ReadError::Io(err) => (Position::default(), format!("cannot read: {err}")),
        };
        vec![Diagnostic::new(file, position, message)]
    })?;
    parse(file, &text, env)
}

/// How many of the errors found after the reader's first are shown with it: enough for a
/// newcomer's mistakes, not a screenful for each of a template's thousand copies.
const MAX_LATER_ERRORS: usize = 19;

/// Looks up `${VAR}` in suites; shared by the threads that read a large file's pieces.
pub type Env<'a> = &'a (dyn Fn(&str) -> Option<String> + Sync);

/// Parse and compile one suite's text; `file` names it in diagnostics.
///
/// Each written case is compiled as soon as the YAML parser has read it, and its raw form
/// dropped: holding every raw case until the end of the file tripled the memory that loading
/// touched (and the time, in page faults). What a case inherits from the suite is applied at
/// the end, since `defaults` may come after `cases`. A large file is read in pieces, one per
/// core (see [`split`]); the result is the same.
pub fn parse(file: &Path, text: &str, env: Env<'_>) -> Result<Suite, Vec<Diagnostic>> {
    // Nothing but blank lines, comments and document markers: the reader's words for it are
    // "unexpected end of input".
    let blank = |line: &str| {
        let line = line.trim();
        line.is_empty() || line.starts_with('#') || line == "---" || line == "..."
    };
    if text.trim_start_matches('\u{feff}').lines().all(blank) {
        return Err(vec![Diagnostic::new(
            file,
            Position::default(),
            "the file is empty: a suite needs `suite`, `flow` and `cases` (`flowcheck init org/project/flow` writes a first one)",
        )]);
    }
    let pieces = split::pieces_for(text.len());
    if pieces > 1
        && let Some(suite) = split::parse_in_pieces(file, text, env, pieces)
    {
        return Ok(suite);
    }
    parse_whole(file, text, env)
}

/// [`parse`] reading the file in one go, which also gives every problem of the file.
pub fn parse_whole(file: &Path, text: &str, env: Env<'_>) -> Result<Suite, Vec<Diagnostic>> {
    let yaml_error = |err: &serde_saphyr::Error| {
        Diagnostic::from_yaml(file, err)
            .with_source(text)
            .with_placeholder_help()
    };
    let (piece, _) = read_piece(file, text, env, true).map_err(|stopped| {
        // The reader stops at its first error; the later cases' are read on their own.
        let line = stopped.error.location().map_or(u64::MAX, |at| at.line());
        let (mut later, last) = split::later_errors(file, text, env, line, MAX_LATER_ERRORS + 1);
        let more = later.len() > MAX_LATER_ERRORS;
        later.truncate(MAX_LATER_ERRORS);
        // Each stop's error, after the problems of the cases read before it.
        let mut errors: Vec<Diagnostic> = std::iter::once(stopped)
            .chain(later)
            .flat_map(|stopped| {
                let before = stopped.before.into_iter().map(|d| d.with_source(text));
                before.chain(std::iter::once(yaml_error(&stopped.error)))
            })
            .chain(last.into_iter().map(|d| d.with_source(text)))
            .collect();
        errors.sort_by_key(|d| (d.position.line, d.position.column));
        if more {
            let last = errors.last().map_or(0, |d| d.position.line);
            errors.push(Diagnostic::new(
                file,
                Position::default(),
                format!(
                    "more errors after line {last} are not shown (the first {} are): fix these and validate again",
                    MAX_LATER_ERRORS + 1
                ),
            ));
        }
        errors
    })?;
    let mut compiler = Compiler::new(file, env, piece.errors);
    let Some(header) = piece.header.finish() else {
        // `whole` made the parser refuse a file without `suite` or `flow`.
        return Err(vec![Diagnostic::new(
            file,
            Position::default(),
            "a suite needs `suite` and `flow`",
        )]);
    };
    let suite = compiler.suite(header, piece.cases);
    if compiler.errors.is_empty() {
        return Ok(suite);
    }
    // Cases report as they are read and the suite's keys at the end: put them in file order.
    let mut errors = compiler.errors;
    errors.sort_by_key(|d| (d.position.line, d.position.column));
    Err(errors.into_iter().map(|d| d.with_source(text)).collect())
}

/// What the parser read of a file or of a piece of one: the suite's keys, the cases compiled
/// from what they say themselves, and the problems found in them.
struct Piece {
    header: HeaderParts,
    cases: ReadCases,
    errors: Vec<Diagnostic>,
}

/// Where the YAML reader stopped a file or a piece: its `error`, and the problems of the
/// cases it had read by then (each case is compiled as it is read), which are not lost.
struct Stopped {
    error: Box<serde_saphyr::Error>,
    before: Vec<Diagnostic>,
}

/// Read `text` (a `whole` file, or a piece that may lack `suite` and `flow`); with the
/// parser's count of what it read, for [`split`] to hold the pieces to the file's budget.
fn read_piece(
    file: &Path,
    text: &str,
    env: Env<'_>,
    whole: bool,
) -> Result<(Piece, Option<BudgetReport>), Stopped> {
    let mut compiler = Compiler::new(file, env, Vec::new());
    let mut cases = ReadCases::default();
    let report = Rc::new(RefCell::new(None));
    let mut options = crate::yaml::options();
    if !whole {
        let slot = report.clone();
        let callback: serde_saphyr::options::BudgetReportCallback =
            Rc::new(RefCell::new(move |r| *slot.borrow_mut() = Some(r)));
        options.budget_report_cb = Some(callback);
    }
    let header = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        SuiteSeed {
            on_case: |case| compiler.read_case(case, &mut cases),
            whole,
        }
        .deserialize(de)
    });
    let header = match header {
        Ok(header) => header,
        Err(error) => {
            return Err(Stopped {
                error: Box::new(error),
                before: compiler.errors,
            });
        }
    };
    cases.files.append(&mut compiler.files.take());
    let piece = Piece {
        header,
        cases,
        errors: compiler.errors,
    };
    Ok((piece, report.take()))
}

/// The longest timeout or deadline: far beyond any run, and far from where adding it to the
/// clock's time could overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(30 * 24 * 3600);

/// A timeout or deadline, in a suite or on the command line: `500ms`, `30s`, `2m`; from 1 ms
/// (the timer's resolution: a shorter one would fire at random) to 30 days.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text.trim()) {
        Ok(d) if d < Duration::from_millis(1) => Err("a duration must be at least 1ms".into()),
        Ok(d) if d > MAX_DURATION => Err("a duration must be at most 30days".into()),
        Ok(d) => Ok(d),
        // Too large to count at all: past the limit all the same.
        Err(humantime::DurationError::NumberOverflow) => {
            Err("a duration must be at most 30days".into())
        }
        // humantime's own words list units up to years (past the limit) "and few variations".
        Err(_) => Err(format!(
            "invalid duration \"{text}\": write a number and a unit, e.g. 500ms, 30s, 2m, 1h, 2days"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::Mode;
    use proptest::prelude::*;
    use serde_json::Value;

    #[test]
    fn durations_are_from_a_millisecond_to_thirty_days() {
        assert_eq!(parse_duration(" 500ms "), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1ms"), Ok(Duration::from_millis(1)));
        assert_eq!(parse_duration("30days"), Ok(MAX_DURATION));
        for (text, why) in [
            ("0s", "at least 1ms"),
            ("999us", "at least 1ms"),
            ("1ns", "at least 1ms"),
            ("30days 1s", "at most 30days"),
            ("18446744073709551615s", "at most 30days"),
            ("300000000000years", "at most 30days"),
            ("99999999999999999999999years", "at most 30days"),
            ("99999999999999999d", "at most 30days"),
            ("soon", "invalid duration"),
        ] {
            let refused = parse_duration(text);
            assert!(
                refused.as_ref().is_err_and(|e| e.contains(why)),
                "{text}: {refused:?}"
            );
        }
    }

    const VALID: &str = "suite: s\nflow: demo/support/triage\ntargets: [production, v2]\ncases:\n  - name: one\n    message: hi\n    expect:\n      output:\n        - {path: $.category, equals: billing}\n        - {path: $.reply, matches: \"^T\"}\n";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_valid_suite_compiles() {
        let suite = parse(Path::new("s.yaml"), VALID, &no_env).map_err(|e| e[0].to_string());
        let suite = suite.as_ref().map(|s| {
            (
                s.cases.len(),
                s.cases[0].targets.len(),
                s.cases[0].expect.output.len(),
            )
        });
        assert_eq!(suite, Ok((1, 2, 2)));
    }

    #[test]
    fn settings_written_after_the_cases_are_inherited() {
        let text = "suite: s\nflow: demo/support/triage\ncases:\n  - name: one\n    message: hi\n  - name: two\n    repeat: 3\n    pass_if: 2/3\n    tags: [own]\n    parameters: {lang: fr, tone: dry}\ndefaults:\n  repeat: 2\n  timeout: 5s\n  parameters: {lang: en}\n  tags: [smoke]\nmode: async\ntargets: [v2]\n";
        let suite = parse(Path::new("s.yaml"), text, &no_env).map_err(|e| e[0].to_string());
        let cases: Result<Vec<_>, _> = suite.map(|suite| {
            suite
                .cases
                .iter()
                .map(|c| {
                    (
                        c.repeat,
                        c.pass_if,
                        c.timeout.as_secs(),
                        c.mode,
                        c.targets.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                        c.tags.clone(),
                        Value::Object(c.request.parameters.clone()).to_string(),
                    )
                })
                .collect()
        });
        let targets = vec!["v2".to_owned()];
        assert_eq!(
            cases,
            Ok(vec![
                (
                    2,
                    2,
                    5,
                    Mode::Async,
                    targets.clone(),
                    vec!["smoke".to_owned()],
                    r#"{"lang":"en"}"#.to_owned()
                ),
                (
                    3,
                    2,
                    5,
                    Mode::Async,
                    targets,
                    vec!["smoke".to_owned(), "own".to_owned()],
                    r#"{"lang":"fr","tone":"dry"}"#.to_owned()
                ),
            ])
        );
    }

    #[test]
    fn errors_come_in_file_order() {
        // Case errors are found as the cases are read, the suite's own keys' at the end.
        let text = "suite: s\nflow: demo/support/triage\ncases:\n  - name: x\n    steps:\n      - step: a\n    pass_if: 2/3\n  - name: x\n    timeout: 0s\ndefaults:\n  repeat: 0\nmode: sync\ntargets: [prod]\n";
        let lines: Vec<u32> = match parse(Path::new("s.yaml"), text, &no_env) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| e.position.line).collect(),
        };
        assert_eq!(lines, vec![6, 7, 8, 9, 11, 13]);
    }

    #[test]
    fn two_cases_cannot_share_a_snapshot_file() {
        let problems = |cases: &str| match parse(
            Path::new("s.yaml"),
            &format!("suite: s\nflow: demo/support/triage\ncases:\n{cases}"),
            &no_env,
        ) {
            Ok(_) => Vec::new(),
            Err(errors) => errors
                .iter()
                .map(|e| format!("{}:{} {}", e.position.line, e.position.column, e.message))
                .collect(),
        };
        let snap = "    expect: {snapshot: true}\n";
        // Other targets do not keep them apart: compare judges every target against one file.
        let shared = problems(&format!(
            "  - name: Refund!\n    targets: [v1]\n{snap}  - name: refund?\n    targets: [v2]\n{snap}"
        ));
        assert_eq!(
            shared,
            vec![
                "7:11 cases \"Refund!\" (line 4) and \"refund?\" would share the snapshot files __snapshots__/s/refund@*.snap; rename one"
            ]
        );
        // Only cases with a snapshot have a file; a repeated case is one case.
        assert!(problems(&format!("  - name: Refund!\n{snap}  - name: refund?\n")).is_empty());
        assert!(problems(&format!("  - name: refund\n    repeat: 3\n{snap}")).is_empty());
        // Matrix values that differ only in case make one file name.
        let matrix = problems(&format!(
            "  - name: routes {{{{m}}}}\n    matrix: {{m: [a, b, A]}}\n    message: \"{{{{m}}}}\"\n{snap}"
        ));
        assert_eq!(matrix.len(), 1, "{matrix:?}");
        assert!(
            matrix[0].contains("\"routes a\" (line 4) and \"routes A\""),
            "{matrix:?}"
        );
    }

    #[test]
    fn a_file_of_nothing_but_comments_is_said_to_be_empty() {
        for text in [
            "",
            "\n\n",
            "# later\n",
            "\u{feff}",
            "\u{feff}# a comment\r\n\r\n",
            "---\n# todo\n",
            "# c\n...\n",
        ] {
            let said = parse(Path::new("s.yaml"), text, &no_env).map_err(|e| e[0].to_string());
            assert!(
                said.as_ref()
                    .is_err_and(|e| e.contains("the file is empty")),
                "{text:?}: {:?}",
                said.map(|_| ())
            );
        }
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = parse(Path::new("s.yaml"), &text, &no_env);
        }

        /// Cases with a mistake the YAML reader stops at (an unknown key, a wrong type), among
        /// good ones, and perhaps a misspelt key in `defaults` after the list: each is reported
        /// at its own line, in file order, up to the limit.
        #[test]
        fn every_cases_reader_mistake_is_reported(
            bad in proptest::collection::vec((0u8..6, any::<bool>()), 1..40),
            keys_after in any::<bool>(),
        ) {
            let mut text = String::from("suite: s\nflow: demo/support/triage\ncases:\n");
            let mut expected = Vec::new();
            for (i, (kind, bare)) in bad.iter().enumerate() {
                // `- name: c1`, or `-` alone with the name below it.
                match bare {
                    true => text.push_str(&format!("  -\n    name: c{i}\n")),
                    false => text.push_str(&format!("  - name: c{i}\n")),
                }
                let line = text.matches('\n').count() as u32 + 1;
                match kind {
                    1 => text.push_str("    mesage: hi\n"),
                    2 => text.push_str("    message: hi\n    repeat: lots\n"),
                    3 => text.push_str("    message: hi\n    message: ho\n"),
                    4 => text.push_str("    message: hi\n    parameters: {x: .inf}\n"),
                    _ => text.push_str("    message: hi\n"),
                }
                match kind {
                    1 => expected.push(line),
                    2..=4 => expected.push(line + 1),
                    _ => {}
                }
            }
            if keys_after {
                text.push_str("defaults:\n  timeot: 1s\n");
                expected.push(text.matches('\n').count() as u32);
            }
            // Past the limit, one more: that there are more (said of the whole file, line 0).
            if expected.len() > MAX_LATER_ERRORS + 1 {
                expected.truncate(MAX_LATER_ERRORS + 1);
                expected.push(0);
            }
            let found: Vec<u32> = match parse(Path::new("s.yaml"), &text, &no_env) {
                Ok(_) => Vec::new(),
                Err(errors) => errors.iter().map(|e| e.position.line).collect(),
            };
            prop_assert_eq!(found, expected, "{}", text);
        }

        #[test]
        fn any_edit_of_a_valid_suite_loads_or_says_where(at in 0usize..200, insert in "[ -~\n]{0,8}", cut in 0usize..6) {
            let at = at.min(VALID.len());
            let end = (at + cut).min(VALID.len());
            let text = format!("{}{insert}{}", &VALID[..at], &VALID[end..]);
            if let Err(errors) = parse(Path::new("s.yaml"), &text, &no_env) {
                prop_assert!(!errors.is_empty());
                for error in errors {
                    prop_assert!(!error.message.is_empty());
                }
            }
        }
    }
}
