//! Planning: which case runs against which target how many times, after selection.

use super::outcome::CaseKey;
use crate::suite::{Case, Suite, Target};

/// Which cases to run.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keep cases whose name contains one of these (case-insensitive), or matches it when it
    /// is a glob (`*` any text, `?` one character); all when empty.
    pub filters: Vec<String>,
    /// Keep cases carrying one of these tags; all when empty.
    pub tags: Vec<String>,
    /// Run every case this many times (overrides `repeat` in the suites).
    pub repeat: Option<u32>,
}

impl Selection {
    fn keeps(&self, case: &Case) -> bool {
        let name = case.name.to_lowercase();
        let by_name = self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|f| name_matches(&name, &f.to_lowercase()));
        let by_tag = self.tags.is_empty() || self.tags.iter().any(|t| case.tags.contains(t));
        by_name && by_tag
    }
}

/// A substring, or a glob when the pattern has `*` or `?`.
fn name_matches(name: &str, pattern: &str) -> bool {
    if !pattern.contains(['*', '?']) {
        return name.contains(pattern);
    }
    let regex = regex::escape(pattern)
        .replace(r"\*", ".*")
        .replace(r"\?", ".");
    regex::Regex::new(&format!("^{regex}$")).is_ok_and(|r| r.is_match(name))
}

/// One case against one target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub key: CaseKey,
    pub target: Target,
    pub attempts: u32,
    pub pass_if: u32,
}

pub fn plan(suites: &[Suite], selection: &Selection) -> Vec<Planned> {
    let mut planned = Vec::new();
    for (suite_index, suite) in suites.iter().enumerate() {
        for (case_index, case) in suite.cases.iter().enumerate() {
            if !selection.keeps(case) {
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
                });
            }
        }
    }
    planned
}

#[cfg(test)]
mod tests {
    use super::name_matches;

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
