//! Comparing an output with its golden snapshot, and what is written when they differ.

use super::golden::{Golden, now};
use super::normalize::{SnapshotSpec, normalize};
use super::store::{golden_path, pending_path};
use crate::check::CheckOutcome;
use crate::check::predicate::json_equal;
use crate::suite::{Case, Suite, Target};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, PoisonError};

/// What this run has written beside the suites. Attempts of one case × target (its repeats,
/// or every target of a comparison) share one golden file and run at the same time, so each
/// verification holds this lock from reading the files to writing them: the first attempt to
/// finish decides what the golden file holds, and the later ones are judged against it.
#[derive(Default)]
struct Written {
    /// The golden files written (created, or updated with `--update-snapshots`), each with
    /// whether it is new, for the run to say so: a snapshot made silently is a snapshot nobody
    /// looked at.
    golden: Vec<(PathBuf, bool)>,
    /// The pending files written, with the output each holds: a later attempt neither deletes
    /// one as stale nor overwrites it, so every message naming it stays true.
    pending: HashMap<PathBuf, Value>,
    /// The golden files some attempt has been judged against. With `--update-snapshots` the
    /// first attempt to finish decides (keeping, creating or replacing the file), and a later
    /// one that differs is judged against that instead of replacing it.
    settled: HashSet<PathBuf>,
}

// A run with many snapshot cases looks files up here once per attempt: sets, not lists.
static WRITTEN: LazyLock<Mutex<Written>> = LazyLock::new(Mutex::default);

fn written() -> std::sync::MutexGuard<'static, Written> {
    WRITTEN.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The golden files written so far, each with whether it is new; the run's record is emptied.
pub fn take_written() -> Vec<(PathBuf, bool)> {
    let mut written = written();
    written.pending.clear();
    written.settled.clear();
    std::mem::take(&mut written.golden)
}

/// What a run may write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Policy {
    /// `--update-snapshots`: accept every new or changed output.
    pub update: bool,
    /// Running in CI: write nothing unless asked, and a missing snapshot is an error.
    pub ci: bool,
    /// Compare every target's output with this target's snapshot (compare and gate: does the
    /// candidate still give the approved output of the baseline?).
    pub golden_target: Option<Target>,
}

/// How a snapshot check's label starts: `snapshot <its golden file>`.
const LABEL: &str = "snapshot ";

/// The golden file a snapshot check's `label` names; `None` for any other check's.
pub fn golden_file_of(label: &str) -> Option<&str> {
    label.strip_prefix(LABEL)
}

/// The output judged against its golden file, or why it cannot be: in a comparison, the
/// baseline has no golden file (nothing approved to compare with, and a comparison writes
/// none), so the attempt is not judged rather than failed on both sides alike.
pub fn verify(
    spec: &SnapshotSpec,
    suite: &Suite,
    case: &Case,
    target: Target,
    result: &Value,
    policy: Policy,
    line: u32,
) -> Result<CheckOutcome, String> {
    let actual = normalize(result, spec);
    let golden_file = golden_path(suite, case, policy.golden_target.unwrap_or(target));
    let pending_file = pending_path(&golden_file);
    let shown = golden_file.display().to_string();
    let record = |when: String| Golden {
        suite: suite.name.clone(),
        case: case.name.clone(),
        target: target.to_string(),
        when,
        value: actual.clone(),
    };
    let mut outcome = CheckOutcome {
        label: format!("{LABEL}{shown}").into(),
        passed: true,
        expected: "the output to match its snapshot".into(),
        actual: Some(Box::new(actual.clone())),
        expected_value: None,
        detail: None,
        score: None,
        weight: 1.0,
        line,
    };
    let fail = |outcome: &mut CheckOutcome, detail: String| {
        outcome.passed = false;
        outcome.detail = Some(detail);
    };
    if let Err(err) = super::store::check_inside(suite, &golden_file) {
        fail(&mut outcome, err);
        return Ok(outcome);
    }
    let mut written = written();
    let settled = !written.settled.insert(golden_file.clone());
    // A regular file that is no snapshot (emptied, its JSON cut by a hand edit) is what
    // `--update-snapshots` replaces; a fifo or a link in its place is not.
    let regular = || std::fs::symlink_metadata(&golden_file).is_ok_and(|m| m.is_file());
    // `--update-snapshots`: the output becomes the golden file, and its pending change goes.
    let replace = |outcome: &mut CheckOutcome, written: &mut Written| {
        match crate::files::write_atomic(&golden_file, &record(now()).render(false)) {
            Ok(()) => written.golden.push((golden_file.clone(), false)),
            Err(err) => fail(outcome, err),
        }
        let _ = std::fs::remove_file(&pending_file);
    };
    match Golden::read(&golden_file) {
        Err(_) if policy.update && !settled && regular() => replace(&mut outcome, &mut written),
        Err(err) if regular() => fail(
            &mut outcome,
            format!("{err}; `flowcheck run --update-snapshots` replaces it"),
        ),
        Err(err) => fail(&mut outcome, err),
        Ok(Some(golden)) if json_equal(&golden.value, &actual) => {
            // A pending change that the output no longer makes is stale, unless another
            // attempt of this run made it.
            if !written.pending.contains_key(&pending_file) {
                let _ = std::fs::remove_file(&pending_file);
            }
        }
        Ok(Some(golden)) => {
            outcome.expected_value = Some(Box::new(golden.value.clone()));
            if policy.update && !settled {
                replace(&mut outcome, &mut written);
            } else if policy.ci && !policy.update {
                fail(&mut outcome, "the output differs from its snapshot (in CI nothing is written; run locally, or with --update-snapshots)".into());
            } else {
                let review = format!("run `flowcheck snapshots review {}`", suite.file.display());
                let pending = written.pending.get(&pending_file);
                let detail = match pending {
                    // One pending change per case and target: the first attempt to differ
                    // saves it, and a later one says whether its output is the same.
                    Some(saved) if json_equal(saved, &actual) => format!(
                        "the output differs from its snapshot; the new output is in {}: {review}",
                        pending_file.display()
                    ),
                    Some(_) => format!(
                        "the output differs from its snapshot, and from the new output another attempt saved in {} (this one is not saved): {review}",
                        pending_file.display()
                    ),
                    None => {
                        match crate::files::write_atomic(&pending_file, &record(now()).render(true))
                        {
                            Ok(()) => {
                                written.pending.insert(pending_file.clone(), actual.clone());
                                format!(
                                    "the output differs from its snapshot; the new output is in {}: {review}",
                                    pending_file.display()
                                )
                            }
                            Err(err) => format!(
                                "the output differs from its snapshot, and the new output could not be saved: {err}"
                            ),
                        }
                    }
                };
                fail(&mut outcome, detail);
            }
        }
        Ok(None) if policy.golden_target.is_some() => {
            let baseline = policy.golden_target.unwrap_or(target);
            return Err(format!(
                "not judged: there is no snapshot {shown} of {baseline} to compare with, and a comparison writes none"
            ));
        }
        Ok(None) if policy.ci && !policy.update => {
            fail(
                &mut outcome,
                format!(
                    "there is no snapshot {shown}, and in CI none is created: run locally, or with --update-snapshots"
                ),
            );
        }
        Ok(None) => match crate::files::write_atomic(&golden_file, &record(now()).render(false)) {
            Ok(()) => written.golden.push((golden_file.clone(), true)),
            Err(err) => fail(&mut outcome, err),
        },
    }
    Ok(outcome)
}
