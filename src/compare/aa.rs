//! A/A comparisons (a candidate that is the baseline itself, to see the noise): the baseline's
//! cases run twice as often, and each case's attempts are dealt at random to the two sides, so
//! that the two sides are not the same samples twice.

use crate::run::{CaseOutcome, Planned};
use crate::suite::Target;

/// Double the attempts (and the passes needed) of the baseline's cases in `plan`.
pub fn run_twice(plan: &mut [Planned], baseline: Target) {
    for planned in plan.iter_mut().filter(|p| p.target == baseline) {
        planned.attempts = planned.attempts.saturating_mul(2);
        planned.pass_if = planned.pass_if.saturating_mul(2);
    }
}

/// A case's attempts dealt at random to two sides, half each (a shuffle seeded by the case, so
/// a comparison is reproducible), each needing half the passes. Dealing in turn made any
/// behaviour of period two (every other call failing) a difference between the sides.
pub fn dealt(outcome: &CaseOutcome) -> (CaseOutcome, CaseOutcome) {
    let mut order: Vec<usize> = (0..outcome.attempts.len()).collect();
    let seed = crate::stable_hash::hash_str(&format!("{} › {}", outcome.suite, outcome.case));
    fastrand::Rng::with_seed(seed).shuffle(&mut order);
    let (first, second) = order.split_at(order.len().div_ceil(2));
    let side = |picked: &[usize]| {
        let mut half = outcome.clone();
        let mut picked = picked.to_vec();
        picked.sort_unstable();
        half.attempts = picked
            .iter()
            .filter_map(|i| outcome.attempts.get(*i).cloned())
            .collect();
        half.pass_if = outcome.pass_if.div_ceil(2);
        half.status = CaseOutcome::status_of(&half.attempts, half.pass_if);
        half
    };
    (side(first), side(second))
}
