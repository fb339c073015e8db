//! Splitting a plan over N machines: deterministic (the same files give the same split on
//! every machine), so N CI jobs together run every case exactly once. By count, the planned
//! cases are dealt round-robin in file order; with durations from an earlier report, the
//! longest go first, each to the least loaded shard.

use super::plan::Planned;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    /// 1-based.
    pub index: u32,
    pub total: u32,
}

impl Shard {
    /// The shard GitLab's `parallel:` gives this job. A job without `parallel:` has
    /// CI_NODE_TOTAL=1 and no CI_NODE_INDEX: the one shard, 1/1.
    fn from_gitlab() -> Result<Shard, String> {
        let one = std::env::var("CI_NODE_TOTAL").is_ok_and(|total| total.trim() == "1");
        if one && std::env::var_os("CI_NODE_INDEX").is_none() {
            return Ok(Shard { index: 1, total: 1 });
        }
        let index = std::env::var("CI_NODE_INDEX").map_err(|_| {
            "--shard auto needs CI_NODE_INDEX and CI_NODE_TOTAL (GitLab's parallel: sets them)"
                .to_owned()
        })?;
        let total = std::env::var("CI_NODE_TOTAL")
            .map_err(|_| "--shard auto needs CI_NODE_TOTAL".to_owned())?;
        Shard::parse(&format!("{index}/{total}"))
    }

    /// `K/N` with 1 <= K <= N, or `auto` for GitLab's `CI_NODE_INDEX`/`CI_NODE_TOTAL`.
    pub fn parse(text: &str) -> Result<Shard, String> {
        if text == "auto" {
            return Shard::from_gitlab();
        }
        let parsed = text.split_once('/').and_then(|(k, n)| {
            Some((k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?))
        });
        let parsed = match parsed {
            Some((_, total)) if total > u64::from(u32::MAX) => {
                return Err(format!(
                    "--shard {text:?}: N is at most {} (machines sharing one plan)",
                    u32::MAX
                ));
            }
            Some((index, total)) => u32::try_from(index).ok().zip(u32::try_from(total).ok()),
            None => None,
        };
        match parsed {
            Some((index, total)) if total >= 1 && (1..=total).contains(&index) => {
                Ok(Shard { index, total })
            }
            _ => Err(format!(
                "--shard {text:?} must read K/N with 1 <= K <= N, e.g. 2/4"
            )),
        }
    }
}

/// The planned cases of one shard, in plan order. `durations` (seconds, by plan position)
/// balance the shards by time instead of count.
pub fn select(
    plan: &[Planned],
    shard: Shard,
    durations: Option<&HashMap<usize, f64>>,
) -> Vec<Planned> {
    let total = shard.total as usize;
    let mine = shard.index as usize - 1;
    let owner: Vec<usize> = match durations {
        None => (0..plan.len()).map(|i| i % total).collect(),
        Some(known) => {
            // A case not in the report weighs the median of those that are.
            let mut seen: Vec<f64> = known
                .values()
                .copied()
                .filter(|d| d.is_finite() && *d >= 0.0)
                .collect();
            seen.sort_by(f64::total_cmp);
            let typical = seen.get(seen.len() / 2).copied().unwrap_or(1.0);
            let weight = |i: usize| {
                known
                    .get(&i)
                    .copied()
                    .filter(|d| d.is_finite() && *d >= 0.0)
                    .unwrap_or(typical)
            };
            let mut order: Vec<usize> = (0..plan.len()).collect();
            order.sort_by(|&a, &b| weight(b).total_cmp(&weight(a)).then(a.cmp(&b)));
            let mut load = vec![0.0f64; total];
            let mut owner = vec![0; plan.len()];
            for i in order {
                let lightest = (0..total)
                    .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
                    .unwrap_or(0);
                load[lightest] += weight(i);
                owner[i] = lightest;
            }
            owner
        }
    };
    plan.iter()
        .zip(owner)
        .filter(|(_, o)| *o == mine)
        .map(|(p, _)| *p)
        .collect()
}

/// [`select`] by case: every target of a case goes to the same shard, so that a comparison of
/// targets on one machine has both sides of each of its cases.
pub fn select_cases(
    plan: &[Planned],
    shard: Shard,
    durations: Option<&HashMap<usize, f64>>,
) -> Vec<Planned> {
    let same = |a: &Planned, b: &Planned| a.key.suite == b.key.suite && a.key.case == b.key.case;
    // One representative a case (its first item), weighing what its items weigh together.
    let mut firsts: Vec<Planned> = Vec::new();
    let mut group_of: Vec<usize> = Vec::with_capacity(plan.len());
    let mut weights: HashMap<usize, f64> = HashMap::new();
    for (i, planned) in plan.iter().enumerate() {
        let group = match firsts.iter().position(|first| same(first, planned)) {
            Some(group) => group,
            None => {
                firsts.push(*planned);
                firsts.len() - 1
            }
        };
        group_of.push(group);
        if let Some(d) = durations.and_then(|known| known.get(&i)) {
            *weights.entry(group).or_default() += d;
        }
    }
    let chosen = select(&firsts, shard, durations.map(|_| &weights));
    plan.iter()
        .zip(group_of)
        .filter(|(_, group)| {
            firsts
                .get(*group)
                .is_some_and(|first| chosen.iter().any(|c| same(c, first)))
        })
        .map(|(p, _)| *p)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::outcome::CaseKey;
    use crate::suite::Target;
    use proptest::prelude::*;

    fn plan(n: usize) -> Vec<Planned> {
        (0..n)
            .map(|case| Planned {
                key: CaseKey {
                    suite: 0,
                    case,
                    target: 0,
                },
                target: Target::Production,
                attempts: 1,
                pass_if: 1,
                job_took: None,
            })
            .collect()
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!(Shard::parse("2/4"), Ok(Shard { index: 2, total: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x", "1/", "/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("2/99999999999999999999").is_err_and(|e| e.contains("must read K/N")));
        assert!(Shard::parse("2/9999999999").is_err_and(|e| e.contains("N is at most 4294967295")));
    }

    #[test]
    fn durations_balance_by_time() {
        let durations: HashMap<usize, f64> = [(0, 10.0), (1, 1.0), (2, 1.0), (3, 8.0)].into();
        let shards: Vec<Vec<usize>> = (1..=2)
            .map(|k| {
                select(&plan(4), Shard { index: k, total: 2 }, Some(&durations))
                    .iter()
                    .map(|p| p.key.case)
                    .collect()
            })
            .collect();
        assert_eq!(shards, [vec![0], vec![1, 2, 3]]);
    }

    proptest! {
        #[test]
        fn shards_cover_every_case_exactly_once(n in 0usize..200, total in 1u32..9, timed in any::<bool>()) {
            let plan = plan(n);
            let durations: HashMap<usize, f64> = (0..n).filter(|i| i % 3 != 0).map(|i| (i, (i * 7 % 13) as f64)).collect();
            let mut seen = Vec::new();
            let mut sizes = Vec::new();
            for index in 1..=total {
                let part = select(&plan, Shard { index, total }, timed.then_some(&durations));
                sizes.push(part.len());
                seen.extend(part.iter().map(|p| p.key.case));
            }
            seen.sort();
            prop_assert_eq!(seen, (0..n).collect::<Vec<_>>());
            if !timed {
                let (min, max) = (sizes.iter().min().copied().unwrap_or(0), sizes.iter().max().copied().unwrap_or(0));
                prop_assert!(max - min <= 1, "unbalanced: {:?}", sizes);
            }
        }
    }

    #[test]
    fn by_case_keeps_a_cases_targets_together_and_covers_the_plan() {
        let targets = [Target::Production, Target::Version(2)];
        let plan: Vec<Planned> = (0..7)
            .flat_map(|case| {
                targets.iter().enumerate().map(move |(t, target)| Planned {
                    key: CaseKey {
                        suite: 0,
                        case,
                        target: t,
                    },
                    target: *target,
                    attempts: 1,
                    pass_if: 1,
                    job_took: None,
                })
            })
            .collect();
        let mut seen = Vec::new();
        for index in 1..=3 {
            let mine = select_cases(&plan, Shard { index, total: 3 }, None);
            for planned in &mine {
                assert!(
                    mine.iter()
                        .filter(|p| p.key.case == planned.key.case)
                        .count()
                        == 2,
                    "case {} is split",
                    planned.key.case
                );
            }
            seen.extend(mine);
        }
        assert_eq!(seen.len(), plan.len());
    }
}
