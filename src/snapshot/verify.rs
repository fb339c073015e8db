//! Comparing an output with its golden snapshot, and what is written when they differ.

use super::golden::{Golden, now};
use super::normalize::{SnapshotSpec, normalize};
use super::store::{golden_path, pending_path};
use crate::check::CheckOutcome;
use crate::check::predicate::json_equal;
use crate::suite::{Case, Suite, Target};
use serde_json::Value;

/// The golden files this process wrote (created, or updated with `--update-snapshots`), for
/// the run to say so: a snapshot made silently is a snapshot nobody looked at.
static WRITTEN: std::sync::Mutex<Vec<(std::path::PathBuf, bool)>> =
    std::sync::Mutex::new(Vec::new());

/// The golden files written so far, each with whether it is new; emptied.
pub fn take_written() -> Vec<(std::path::PathBuf, bool)> {
    std::mem::take(
        &mut *WRITTEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

fn wrote(file: &std::path::Path, new: bool) {
    WRITTEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push((file.to_path_buf(), new));
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

pub fn verify(
    spec: &SnapshotSpec,
    suite: &Suite,
    case: &Case,
    target: Target,
    result: &Value,
    policy: Policy,
    line: u32,
) -> CheckOutcome {
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
        label: format!("snapshot {shown}"),
        passed: true,
        expected: "the output to match its snapshot".into(),
        actual: Some(actual.clone()),
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
        return outcome;
    }
    match Golden::read(&golden_file) {
        Err(err) => fail(&mut outcome, err),
        Ok(Some(golden)) if json_equal(&golden.value, &actual) => {
            // A pending change that the output no longer makes is stale.
            let _ = std::fs::remove_file(&pending_file);
        }
        Ok(Some(golden)) => {
            outcome.expected_value = Some(golden.value.clone());
            if policy.update {
                match crate::files::write_atomic(&golden_file, &record(now()).render(false)) {
                    Ok(()) => wrote(&golden_file, false),
                    Err(err) => fail(&mut outcome, err),
                }
                let _ = std::fs::remove_file(&pending_file);
            } else if policy.ci {
                fail(&mut outcome, "the output differs from its snapshot (in CI nothing is written; run locally, or with --update-snapshots)".into());
            } else {
                let written =
                    crate::files::write_atomic(&pending_file, &record(now()).render(true));
                let detail = match written {
                    Ok(()) => format!(
                        "the output differs from its snapshot; the new output is in {}: run `flowcheck snapshots review {}`",
                        pending_file.display(),
                        suite.file.display()
                    ),
                    Err(err) => format!(
                        "the output differs from its snapshot, and the new output could not be saved: {err}"
                    ),
                };
                fail(&mut outcome, detail);
            }
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
            Ok(()) => wrote(&golden_file, true),
            Err(err) => fail(&mut outcome, err),
        },
    }
    outcome
}
