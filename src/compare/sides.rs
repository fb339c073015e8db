//! The two sides of a comparison: the targets compared ([`Sides`]) and their samples
//! ([`SideSamples`]), assembled from a live run (with an A/A split) or from reports.

use super::aa;
use super::sample::Sample;
use super::scope::Scope;
use crate::run::CaseOutcome;
use crate::suite::Target;

/// The targets compared: the baseline and every candidate.
#[derive(Debug, Clone, Copy)]
pub struct Sides<'a> {
    pub baseline: Target,
    pub candidates: &'a [Target],
}

/// Each side's samples: the baseline's, and every candidate's (told apart by their target).
#[derive(Debug, Clone, Default)]
pub struct SideSamples {
    pub baseline: Vec<Sample>,
    pub candidates: Vec<Sample>,
}

impl SideSamples {
    /// The samples of a live run. With `aa` (the baseline is also a candidate, its cases run
    /// twice as often), each baseline case's attempts are dealt to the two sides
    /// ([`aa::dealt`]).
    pub fn of_run(outcomes: &[CaseOutcome], baseline: Target, aa: bool) -> SideSamples {
        let label = baseline.to_string();
        let mut samples: Vec<Sample> = Vec::new();
        // With an A/A comparison only: every sample, with the baseline's other half of
        // attempts as its candidate's.
        let mut again: Vec<Sample> = Vec::new();
        for outcome in outcomes {
            if aa && outcome.target == label {
                let (first, second) = aa::dealt(outcome);
                samples.push(Sample::from_outcome(&first));
                again.push(Sample::from_outcome(&second));
            } else {
                let sample = Sample::from_outcome(outcome);
                if aa {
                    again.push(sample.clone());
                }
                samples.push(sample);
            }
        }
        SideSamples {
            baseline: samples
                .iter()
                .filter(|s| s.target == label)
                .cloned()
                .collect(),
            candidates: if aa { again } else { samples },
        }
    }

    /// The samples of the comparison of `baseline` with `candidate`: the baseline's and that
    /// candidate's, of the cases `scope` holds for these two.
    pub fn compared(
        &self,
        scope: &Scope,
        baseline: Target,
        candidate: Target,
    ) -> (Vec<Sample>, Vec<Sample>) {
        let label = candidate.to_string();
        let kept = |s: &&Sample| scope.compares(s, baseline, candidate);
        let base: Vec<Sample> = self.baseline.iter().filter(kept).cloned().collect();
        let cand: Vec<Sample> = self
            .candidates
            .iter()
            .filter(|s| s.target == label)
            .filter(kept)
            .cloned()
            .collect();
        (base, cand)
    }
}

/// The samples of a candidates' report (`outcomes`) on any of `candidates`, compared with
/// `baseline`. `run` judges a target's golden snapshot against that target's own golden file;
/// a comparison asks whether the candidate still gives the baseline's approved output. Where
/// the two files hold the same output the verdict stands; where they differ (or the
/// baseline's is missing), the case is not judged on the candidate's side: the report holds no
/// output of a passing attempt to judge again.
pub fn candidate_samples_of(
    outcomes: &[CaseOutcome],
    candidates: &[Target],
    baseline: Target,
) -> Vec<Sample> {
    on_targets(outcomes, candidates)
        .map(|outcome| {
            let sample = Sample::from_outcome(outcome);
            let why = outcome
                .attempts
                .iter()
                .flat_map(|attempt| &attempt.checks)
                .filter_map(|check| crate::snapshot::verify::golden_file_of(&check.label))
                .find_map(|file| judged_elsewhere(file, &outcome.case, &outcome.target, baseline));
            match why {
                Some(why) => sample.not_judged(format!(
                    "its golden snapshot was judged against {why}: compare it live (without --candidate-report) to judge it"
                )),
                None => sample,
            }
        })
        .collect()
}

/// Why a snapshot verdict against `file`, the golden file of `case` on `target`, is not one
/// against `baseline`'s: `None` when `file` is the baseline's, or holds the same output.
fn judged_elsewhere(file: &str, case: &str, target: &str, baseline: Target) -> Option<String> {
    use crate::snapshot::golden::Golden;
    use crate::snapshot::store::file_name;
    let file = std::path::Path::new(file);
    let name = file.file_name().and_then(|name| name.to_str());
    let baselines = file.with_file_name(file_name(case, &baseline.to_string()));
    let (shown, approved) = (file.display(), baselines.display());
    if file == baselines {
        return None;
    }
    if name != Some(file_name(case, target).as_str()) {
        return Some(format!("{shown}, not {baseline}'s golden file"));
    }
    let read = |path: &std::path::Path| Golden::read(path).ok().flatten();
    match (read(file), read(&baselines)) {
        (_, None) => Some(format!(
            "{shown}, and {baseline} has no golden file ({approved})"
        )),
        (Some(own), Some(other)) if own.value == other.value => None,
        _ => Some(format!(
            "{shown}, which differs from {baseline}'s {approved}"
        )),
    }
}

/// The samples of `outcomes` (a report's) on any of `targets`.
pub fn samples_of(outcomes: &[CaseOutcome], targets: &[Target]) -> Vec<Sample> {
    on_targets(outcomes, targets)
        .map(Sample::from_outcome)
        .collect()
}

/// The outcomes on any of `targets`.
fn on_targets<'a>(
    outcomes: &'a [CaseOutcome],
    targets: &[Target],
) -> impl Iterator<Item = &'a CaseOutcome> {
    let wanted: Vec<String> = targets.iter().map(|t| t.to_string()).collect();
    outcomes.iter().filter(move |c| wanted.contains(&c.target))
}

#[cfg(test)]
mod tests {
    use super::judged_elsewhere;
    use crate::snapshot::golden::Golden;
    use crate::snapshot::store::file_name;
    use crate::suite::Target;

    /// A report's snapshot verdict against the candidate's own golden file stands only where
    /// that file holds the baseline's approved output.
    #[test]
    fn a_candidates_golden_file_counts_only_where_it_holds_the_baselines_output() {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(err) => panic!("no temporary folder: {err}"),
        };
        let write = |target: &str, value: serde_json::Value| {
            let golden = Golden {
                suite: "s".into(),
                case: "c".into(),
                target: target.into(),
                when: "then".into(),
                value,
            };
            let path = dir.path().join(file_name("c", target));
            assert!(std::fs::write(&path, golden.render(false)).is_ok());
            path.to_string_lossy().into_owned()
        };
        let production = Target::Production;
        let own = write("v2", serde_json::json!({"a": 1}));
        let missing = judged_elsewhere(&own, "c", "v2", production).unwrap_or_default();
        assert!(
            missing.contains("and production has no golden file ("),
            "{missing}"
        );
        let approved = write("production", serde_json::json!({"a": 1}));
        assert_eq!(judged_elsewhere(&own, "c", "v2", production), None);
        assert_eq!(
            judged_elsewhere(&approved, "c", "production", production),
            None
        );
        write("production", serde_json::json!({"a": 2}));
        let differs = judged_elsewhere(&own, "c", "v2", production).unwrap_or_default();
        assert!(
            differs.contains("which differs from production's"),
            "{differs}"
        );
        // Another case's file is not the baseline's.
        let other = judged_elsewhere(&own, "d", "v2", production).unwrap_or_default();
        assert!(other.ends_with("not production's golden file"), "{other}");
    }
}
