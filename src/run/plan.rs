//! Planning: which case runs against which target how many times, after selection.

use super::outcome::CaseKey;
use crate::suite::{Case, Suite, Target};
use std::time::Duration;

/// Which cases to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keep cases whose name contains one of these (case-insensitive), or matches it when it
    /// is a glob (`*` any text, `?` one character); all when empty.
    pub filters: Vec<String>,
    /// Keep cases carrying one of these tags (case-insensitive); all when empty.
    pub tags: Vec<String>,
    /// Run every case this many times (overrides `repeat` in the suites).
    pub repeat: Option<u32>,
}

impl Selection {
    /// The selection made ready to ask of many cases: names and tags lower-cased, globs
    /// compiled, once.
    pub fn matcher(&self) -> Matcher {
        let filters = self
            .filters
            .iter()
            .map(|f| {
                let text = f.trim().to_lowercase();
                // A name may hold `*` or `?` itself: the text as written matches too.
                let glob = text.contains(['*', '?']).then(|| {
                    let regex = regex::escape(&text)
                        .replace(r"\*", ".*")
                        .replace(r"\?", ".");
                    regex::Regex::new(&format!("^{regex}$")).ok()
                });
                (text, glob.flatten())
            })
            .collect();
        Matcher {
            filters,
            tags: self.tags.iter().map(|t| t.to_lowercase()).collect(),
        }
    }
}

/// A [`Selection`]'s filters and tags, ready to ask whether a case is selected.
pub struct Matcher {
    /// Each filter's text, and its glob when it has `*` or `?`.
    filters: Vec<(String, Option<regex::Regex>)>,
    tags: Vec<String>,
}

impl Matcher {
    /// Whether `case` of `suite` is selected. A filter matches the case's name, or the name as
    /// a run prints it (`suite › case`, without the ` @ target` after it).
    /// A filter is a substring, or a glob when it has `*` or `?` (`*` any text, `?` one
    /// character).
    pub fn keeps(&self, suite: &str, case: &Case) -> bool {
        if self.filters.is_empty() && self.tags.is_empty() {
            return true;
        }
        let by_name = self.filters.is_empty() || {
            let name = case.name.to_lowercase();
            self.by_name(&name) || self.by_name(&format!("{} › {name}", suite.to_lowercase()))
        };
        let by_tag = self.tags.is_empty()
            || self
                .tags
                .iter()
                .any(|t| case.tags.iter().any(|c| c.to_lowercase() == *t));
        by_name && by_tag
    }

    /// Whether a filter matches `name` (lower case).
    fn by_name(&self, name: &str) -> bool {
        self.filters.iter().any(|(text, glob)| {
            name.contains(text.as_str()) || glob.as_ref().is_some_and(|g| g.is_match(name))
        })
    }
}

/// One case against one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub key: CaseKey,
    pub target: Target,
    pub attempts: u32,
    pub pass_if: u32,
    /// How long this async case's job took in an earlier run (`--job-durations`): its first
    /// poll waits that long.
    pub job_took: Option<Duration>,
}

pub fn plan(suites: &[Suite], selection: &Selection) -> Vec<Planned> {
    let mut planned = Vec::new();
    let matcher = selection.matcher();
    for (suite_index, suite) in suites.iter().enumerate() {
        for (case_index, case) in suite.cases.iter().enumerate() {
            if !matcher.keeps(&suite.name, case) {
                continue;
            }
            let (attempts, pass_if) = match selection.repeat {
                // A forced repeat keeps the case's pass ratio: 4/5 at --repeat 10 needs 8.
                Some(repeat) => (
                    repeat,
                    (u64::from(case.pass_if) * u64::from(repeat)).div_ceil(u64::from(case.repeat))
                        as u32,
                ),
                None => (case.repeat, case.pass_if),
            };
            for (target_index, target) in case.targets.iter().enumerate() {
                planned.push(Planned {
                    key: CaseKey {
                        suite: suite_index,
                        case: case_index,
                        target: target_index,
                    },
                    target: *target,
                    attempts,
                    pass_if: pass_if.clamp(1, attempts),
                    job_took: None,
                });
            }
        }
    }
    planned
}

/// What identifies a run's plan across machines: a fingerprint of the selected cases (before
/// sharding) and the number of parts, and how many cases × targets the plan holds. Every shard
/// of one run records the same; `merge` refuses reports whose plans differ.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PlanId {
    /// 16 hex digits of FNV-1a (64 bits): stable across Rust versions and machines, as std's
    /// `DefaultHasher` is not.
    pub fingerprint: String,
    /// Cases × targets in the whole plan: the shards' reports together must hold as many.
    pub cases: usize,
}

/// The [`PlanId`] of `plan` (every selected case, before sharding), split in `parts`.
pub fn identify(suites: &[Suite], plan: &[Planned], parts: u32) -> PlanId {
    let mut hash = crate::stable_hash::Fnv1a::default();
    hash.field(&parts.to_le_bytes());
    hash.field(&(plan.len() as u64).to_le_bytes());
    for planned in plan {
        let suite = &suites[planned.key.suite];
        hash.field(suite.name.as_bytes());
        hash.field(suite.cases[planned.key.case].name.as_bytes());
        hash.field(planned.target.to_string().as_bytes());
        hash.field(&planned.attempts.to_le_bytes());
        hash.field(&planned.pass_if.to_le_bytes());
    }
    PlanId {
        fingerprint: format!("{:016x}", hash.0),
        cases: plan.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Selection, plan};

    fn name_matches(name: &str, filter: &str) -> bool {
        let selection = Selection {
            filters: vec![filter.to_owned()],
            ..Selection::default()
        };
        selection.matcher().by_name(name)
    }
    use std::path::Path;

    /// `--repeat N` keeps each case's pass ratio, rounded up (never easier than the suite
    /// asks); without it, each case keeps its own repeat and `pass_if`.
    #[test]
    fn a_forced_repeat_keeps_each_cases_pass_ratio() {
        let text = "suite: s\nflow: demo/support/triage\ncases:\n  - name: four of five\n    message: hi\n    repeat: 5\n    pass_if: 4/5\n  - name: two of three\n    message: hi\n    repeat: 3\n    pass_if: 2/3\n  - name: every time\n    message: hi\n    repeat: 2\n";
        let no_env = |_: &str| None;
        let suite = crate::suite::load::parse(Path::new("s.yaml"), text, &no_env)
            .unwrap_or_else(|errors| panic!("{}", errors[0]));
        let suites = [suite];
        let runs = |repeat: Option<u32>| -> Vec<(u32, u32)> {
            let selection = Selection {
                repeat,
                ..Selection::default()
            };
            plan(&suites, &selection)
                .iter()
                .map(|p| (p.attempts, p.pass_if))
                .collect()
        };
        assert_eq!(runs(Some(10)), [(10, 8), (10, 7), (10, 10)]);
        assert_eq!(runs(Some(1)), [(1, 1), (1, 1), (1, 1)]);
        assert_eq!(runs(None), [(5, 4), (3, 2), (2, 2)]);
    }

    #[test]
    fn a_name_holding_glob_marks_matches_its_own_text() {
        assert!(name_matches("star * and ? q", "star * and"));
        assert!(name_matches("what? now", "?"));
    }

    #[test]
    fn filters_are_substrings_or_globs() {
        assert!(name_matches("refund requests go to billing", "refund"));
        assert!(name_matches(
            "refund requests go to billing",
            "refund*billing"
        ));
        assert!(!name_matches(
            "refund requests go to billing",
            "refund*account"
        ));
        assert!(name_matches("routes [row 3]", "routes [row ?]"));
        assert!(!name_matches("a.b", "a?c"));
    }
}
