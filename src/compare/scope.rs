//! Which cases a comparison holds: those the selection (`--filter`, `--tag`, `--shard`,
//! `--only-failed`) keeps, each compared only between targets it names when it names its own
//! (the pinned-target rule, here once). Applied to reports as to a run, whose suites are fitted
//! to the compared targets before they run.

use super::sample::Sample;
use super::sides::Sides;
use crate::run::Planned;
use crate::suite::{Suite, Target};
use std::collections::{HashMap, HashSet};

/// A case by name: (suite, case).
pub type CaseName = (String, String);

/// A case that names its own targets is about those versions (`v9` is not found, `v1` knew
/// less): run on others it would fail by design and count against both sides. It is compared
/// only between a baseline and a candidate it names both of.
fn names_both(targets: &[Target], baseline: Target, candidate: Target) -> bool {
    targets.contains(&baseline) && targets.contains(&candidate)
}

/// The targets of each case that names its own.
#[derive(Debug, Clone, Default)]
pub struct Pinned(HashMap<CaseName, Vec<Target>>);

impl Pinned {
    pub fn of(suites: &[Suite]) -> Pinned {
        Pinned(
            suites
                .iter()
                .flat_map(|suite| {
                    suite.cases.iter().filter(|case| case.pinned).map(|case| {
                        (
                            (suite.name.to_string(), case.name.clone()),
                            case.targets.clone(),
                        )
                    })
                })
                .collect(),
        )
    }

    /// Whether the case is compared between `baseline` and `candidate`: it names no targets of
    /// its own, or names both.
    fn allows(&self, case: &CaseName, baseline: Target, candidate: Target) -> bool {
        self.0
            .get(case)
            .is_none_or(|targets| names_both(targets, baseline, candidate))
    }
}

/// Which cases a comparison holds.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// The selected cases: of the run when one ran, else of the suites.
    selected: HashSet<CaseName>,
    pinned: Pinned,
}

impl Scope {
    pub fn new(selected: HashSet<CaseName>, pinned: Pinned) -> Scope {
        Scope { selected, pinned }
    }

    /// Whether the comparison of `baseline` with `candidate` holds the sample's case: selected,
    /// and not naming targets that leave out either side (a case about v1 and v2 is compared
    /// when v2 is, not when v3 is).
    pub fn compares(&self, sample: &Sample, baseline: Target, candidate: Target) -> bool {
        let case = (sample.suite.clone(), sample.case.clone());
        self.compares_case(&case, baseline, candidate)
    }

    /// [`Scope::compares`] for a case by name.
    pub fn compares_case(&self, case: &CaseName, baseline: Target, candidate: Target) -> bool {
        self.selected.contains(case) && self.pinned.allows(case, baseline, candidate)
    }

    /// The cases the comparison of `baseline` with `candidate` holds, by name, in order.
    pub fn cases(&self, baseline: Target, candidate: Target) -> Vec<&CaseName> {
        let mut cases: Vec<&CaseName> = (self.selected.iter())
            .filter(|case| self.pinned.allows(case, baseline, candidate))
            .collect();
        cases.sort();
        cases
    }
}

/// The cases (suite, case) a plan holds.
pub fn planned_cases(suites: &[Suite], plan: &[Planned]) -> HashSet<CaseName> {
    plan.iter()
        .filter_map(|planned| {
            let suite = suites.get(planned.key.suite)?;
            let case = suite.cases.get(planned.key.case)?;
            Some((suite.name.to_string(), case.name.clone()))
        })
        .collect()
}

/// Fit the suites to a live comparison of `sides` that runs `targets`: every case's targets are
/// replaced by them; a case that names its own runs on those of them it names, and is left out
/// when no comparison holds it (it names the baseline and no candidate). Returns the cases left
/// out, as `suite › case`.
pub fn fit_suites(suites: &mut [Suite], sides: Sides<'_>, targets: &[Target]) -> Vec<String> {
    let mut left_out: Vec<String> = Vec::new();
    for suite in suites {
        suite.cases.retain(|case| {
            let kept = !case.pinned
                || sides
                    .candidates
                    .iter()
                    .any(|c| names_both(&case.targets, sides.baseline, *c));
            if !kept {
                left_out.push(format!("{} › {}", suite.name, case.name));
            }
            kept
        });
        for case in &mut suite.cases {
            case.targets = targets
                .iter()
                .copied()
                .filter(|t| !case.pinned || case.targets.contains(t))
                .collect();
        }
        suite.cases.retain(|case| !case.targets.is_empty());
    }
    left_out
}
