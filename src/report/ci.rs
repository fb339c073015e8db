//! CI conventions: on GitHub Actions, an annotation for every case that did not pass (on the
//! line of its first failed check), and a Markdown summary appended to
//! `$GITHUB_STEP_SUMMARY`; GitLab and the rest read JUnit (GitLab's shard: `Shard::parse`).

use super::comparison::markdown::{cell, in_a_row};
use super::render::{headline, title};
use crate::run::{Attempt, CaseOutcome, CaseStatus, Judgement, Totals};
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// Whether this runs on GitHub Actions, whose annotations and job summary flowcheck writes.
pub fn on_github() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The token that resumes workflow commands, while they are stopped.
static STOPPED_BY: std::sync::Mutex<Option<String>> = std::sync::Mutex::new(None);

/// On GitHub Actions, stop the runner from reading workflow commands in what follows: a flow's
/// output, shown in a failure's diff, could hold a line `::error ...::` or `::add-mask::...`
/// that the runner would obey. GitHub's own remedy for untrusted output: `::stop-commands::`
/// with a token no output can guess, until `::{token}::` ([`resume_workflow_commands`]).
pub fn stop_workflow_commands() {
    if !on_github() {
        return;
    }
    use std::hash::BuildHasher;
    let token = format!(
        "flowcheck-{:016x}",
        std::collections::hash_map::RandomState::new().hash_one(std::process::id())
    );
    if let Ok(mut stopped) = STOPPED_BY.lock()
        && stopped.is_none()
    {
        write_command(&format!("::stop-commands::{token}"));
        *stopped = Some(token);
    }
}

/// Let the runner read workflow commands again (before flowcheck's own annotations, and at
/// exit); nothing when they were not stopped, or were resumed already.
pub fn resume_workflow_commands() {
    if let Some(token) = STOPPED_BY
        .lock()
        .ok()
        .and_then(|mut stopped| stopped.take())
    {
        write_command(&format!("::{token}::"));
    }
}

/// A workflow command on a line of its own on stdout; a reader gone is no error here.
fn write_command(command: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{command}").and_then(|()| out.flush());
}

/// Whether this runs in CI: `CI` is set to anything but empty, `0` or `false`.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// GitHub's workflow-command escaping for a message and for a property.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The suite file as GitHub places annotations: relative to the checkout
/// (`$GITHUB_WORKSPACE`, else the working directory), with `/` and no `./`; a file outside it
/// keeps its own path.
fn annotation_path(file: &Path, workspace: &Path, cwd: &Path) -> String {
    // The file as the file system resolves it (links followed: `link/..` is not where a
    // lexical reading puts it), where it and the checkout exist.
    let real = std::fs::canonicalize(cwd.join(file)).ok().and_then(|real| {
        let workspace = std::fs::canonicalize(cwd.join(workspace)).ok()?;
        real.strip_prefix(workspace).ok().map(Path::to_path_buf)
    });
    let shown = real.unwrap_or_else(|| written_path(file, workspace, cwd));
    let shown = shown.to_string_lossy().into_owned();
    if cfg!(windows) {
        shown.replace('\\', "/")
    } else {
        shown
    }
}

/// [`annotation_path`] read as written, where the file or the checkout is not there to ask.
fn written_path(file: &Path, workspace: &Path, cwd: &Path) -> PathBuf {
    let absolute = cwd.join(file);
    // Without `.`, and with `dir/..` taken out as written (GitHub links a path in the
    // checkout, `fixtures/run/a.yaml`, not `fixtures/gate/../run/a.yaml`).
    let clean = |path: &Path| -> PathBuf {
        let mut parts: Vec<Component> = Vec::new();
        for part in path.components() {
            match part {
                Component::CurDir => {}
                Component::ParentDir if matches!(parts.last(), Some(Component::Normal(_))) => {
                    parts.pop();
                }
                part => parts.push(part),
            }
        }
        parts.iter().collect()
    };
    let (absolute, workspace) = (clean(&absolute), clean(&cwd.join(workspace)));
    match absolute.strip_prefix(&workspace) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => clean(file),
    }
}

/// `::error file=...,line=...,title=...::message` for each case that failed or errored, and a
/// warning for flaky ones.
pub fn github_annotations(outcomes: &[CaseOutcome]) -> Vec<String> {
    let cwd = std::env::current_dir().unwrap_or_default();
    let workspace = std::env::var_os("GITHUB_WORKSPACE")
        .map(PathBuf::from)
        .unwrap_or_else(|| cwd.clone());
    outcomes
        .iter()
        .filter_map(|outcome| {
            let level = match outcome.status {
                CaseStatus::Failed | CaseStatus::Errored | CaseStatus::Interrupted => "error",
                CaseStatus::Flaky => "warning",
                CaseStatus::Passed | CaseStatus::NotRun => return None,
            };
            // A case cut in flight is about what cut it, at the case's line.
            let (line, message) = match (outcome.status, &outcome.reason) {
                (CaseStatus::Interrupted, Some(reason)) => (outcome.line, reason.clone()),
                _ => {
                    let attempt = outcome
                        .attempts
                        .iter()
                        .find(|a| a.result != Judgement::Passed)?;
                    (failed_line(outcome, attempt), headline(attempt))
                }
            };
            Some(format!(
                "::{level} file={},line={line},title={}::{}",
                escape_property(&annotation_path(&outcome.file, &workspace, &cwd)),
                escape_property(&format!("{} ({})", title(outcome), outcome.status.as_str())),
                escape_data(&message)
            ))
        })
        .collect()
}

/// The line of the first failed check, where the headline's explanation points; the case's
/// line for an error.
fn failed_line(outcome: &CaseOutcome, attempt: &Attempt) -> u32 {
    let check = match attempt.result {
        Judgement::Failed => attempt.checks.iter().find(|c| !c.passed),
        Judgement::Passed | Judgement::Errored(_) => None,
    };
    match check.map(|c| c.line) {
        Some(line) if line > 0 => line,
        _ => outcome.line,
    }
}

/// The run as Markdown, for the job summary.
pub fn summary(outcomes: &[CaseOutcome], totals: &Totals, elapsed: Duration) -> String {
    let mut out = format!(
        "### flowcheck: {} in {:.1}s\n\n| passed | flaky | failed | errored | not run |\n|---|---|---|---|---|\n| {} | {} | {} | {}{} | {} |\n",
        crate::words::counted(totals.total() as u64, "case"),
        elapsed.as_secs_f64(),
        totals.passed,
        totals.flaky,
        totals.failed,
        totals.errored,
        match totals.interrupted {
            0 => String::new(),
            n => format!(" ({n} interrupted)"),
        },
        totals.not_run
    );
    let problems: Vec<&CaseOutcome> = outcomes
        .iter()
        .filter(|o| o.status != CaseStatus::Passed)
        .collect();
    if !problems.is_empty() {
        out.push_str("\n| case | status | why |\n|---|---|---|\n");
        for outcome in problems {
            let attempt = || {
                outcome
                    .attempts
                    .iter()
                    .find(|a| a.result != Judgement::Passed)
                    .map(headline)
            };
            // A case cut in flight is about what cut it, not an attempt that finished before.
            let why = match outcome.status {
                CaseStatus::Interrupted => outcome.reason.clone().or_else(attempt),
                _ => attempt().or_else(|| outcome.reason.clone()),
            }
            .unwrap_or_default();
            // As the comparison's Markdown: names and outputs are text, never HTML (`<!--`
            // would hide the rest of the page) or a column break. In a code span only `|`
            // needs it: GitHub splits the row before it reads the spans.
            out.push_str(&format!(
                "| {} (`{}:{}`) | {} | {} |\n",
                cell(&title(outcome).to_string()),
                in_a_row(&outcome.file.display().to_string()),
                outcome.line,
                outcome.status.as_str(),
                cell(&why)
            ));
        }
    }
    out
}

/// `$GITHUB_STEP_SUMMARY` opened to append to (GitHub's file: appended to, not replaced);
/// `None` when it is unset or empty: there is no summary file.
fn step_summary() -> Option<Result<std::fs::File, String>> {
    let path = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty())?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|err| format!("cannot open $GITHUB_STEP_SUMMARY: {err}"));
    Some(file)
}

/// Whether `$GITHUB_STEP_SUMMARY` (if set) can be appended to: checked before a run, so
/// that a finished run does not turn into an infrastructure error for want of it.
pub fn check_step_summary() -> Result<(), String> {
    step_summary().transpose().map(|_| ())
}

/// Append Markdown to `$GITHUB_STEP_SUMMARY`.
pub fn append_step_summary(markdown: &str) -> Result<(), String> {
    let Some(file) = step_summary() else {
        return Ok(());
    };
    let mut file = file?;
    file.write_all(markdown.as_bytes())
        .and_then(|()| file.write_all(b"\n"))
        .map_err(|err| format!("cannot write $GITHUB_STEP_SUMMARY: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_name_files_relative_to_the_checkout() {
        let (workspace, cwd) = (Path::new("/w/repo"), Path::new("/w/repo/sub"));
        for (file, shown) in [
            ("./errs.yaml", "sub/errs.yaml"),
            ("suites/a.yaml", "sub/suites/a.yaml"),
            ("/w/repo/b/mixed.yaml", "b/mixed.yaml"),
            ("/tmp/elsewhere.yaml", "/tmp/elsewhere.yaml"),
            // A way through a sibling folder is the file's own path in the checkout.
            ("../other/x/../run/r.yaml", "other/run/r.yaml"),
            ("fixtures/gate/../run/r.yaml", "sub/fixtures/run/r.yaml"),
        ] {
            assert_eq!(
                annotation_path(Path::new(file), workspace, cwd),
                shown,
                "{file}"
            );
        }
        // Leaving the checkout with `..` keeps the path as given, without `./`.
        assert_eq!(
            annotation_path(
                Path::new("./../esc/fe.yaml"),
                workspace,
                Path::new("/w/repo")
            ),
            "../esc/fe.yaml"
        );
    }

    /// Through a link, `..` is the link target's parent, which the file system knows and a
    /// lexical reading does not.
    #[cfg(unix)]
    #[test]
    fn annotations_follow_links_to_the_file_in_the_checkout() {
        let checkout = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(err) => panic!("no temporary folder: {err}"),
        };
        let root = checkout.path();
        let made = std::fs::create_dir_all(root.join("b"))
            .and_then(|()| std::fs::create_dir_all(root.join("sub")))
            .and_then(|()| std::fs::write(root.join("b/x.yaml"), "suite: x\n"))
            .and_then(|()| std::os::unix::fs::symlink(root.join("b"), root.join("sub/lnk")));
        assert!(made.is_ok(), "{made:?}");
        let shown = annotation_path(Path::new("lnk/../b/x.yaml"), root, &root.join("sub"));
        assert_eq!(shown, "b/x.yaml");
    }

    #[test]
    fn workflow_commands_are_escaped() {
        assert_eq!(escape_data("50% off\nnow"), "50%25 off%0Anow");
        assert_eq!(escape_property("a, b: c"), "a%2C b%3A c");
    }
}
