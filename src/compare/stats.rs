//! The statistics behind compare and gate, small and exact:
//! - Wilson score intervals for pass rates (well-behaved at 0/n and n/n, unlike the normal
//!   approximation), over the effective number of attempts when cases repeat;
//! - Fisher's exact test for one case's repeats on two targets (independent samples);
//! - the exact McNemar test for paired pass/fail outcomes of the same cases on two targets;
//! - Holm's step-down correction, so that testing many cases does not multiply false alarms;
//! - percentiles by linear interpolation.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval for `k` successes in `n` trials.
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    wilson_at(k as f64 / n.max(1) as f64, n as f64, z)
}

/// The Wilson interval for a pass rate over cases that ran several times each: attempts of
/// one case are not independent (a deterministic case passes all or none), so the interval
/// uses the effective number of attempts, `p(1-p)` over the cluster-robust variance of the
/// rate, between the number of cases and of attempts (Korn and Graubard's adjustment).
/// `cases` holds each case's (passes, judged attempts).
pub fn wilson_clustered(cases: &[(u64, u64)], z: f64) -> (f64, f64) {
    let judged: Vec<(f64, f64)> = cases
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| (*k as f64, *n as f64))
        .collect();
    let (k, n): (f64, f64) = judged
        .iter()
        .fold((0.0, 0.0), |(k, n), (ki, ni)| (k + ki, n + ni));
    let clusters = judged.len() as f64;
    if n == 0.0 || n == clusters {
        return wilson(k as u64, n as u64, z);
    }
    let p = k / n;
    let spread: f64 = judged.iter().map(|(ki, ni)| (ki - p * ni).powi(2)).sum();
    let variance = if clusters > 1.0 {
        clusters / (clusters - 1.0) * spread / (n * n)
    } else {
        0.0
    };
    // Every attempt alike (all passed, or none): nothing measures how alike a case's attempts
    // are, so count the cases alone.
    let effective = if p == 0.0 || p == 1.0 {
        clusters
    } else if variance > 0.0 {
        (p * (1.0 - p) / variance).clamp(clusters, n)
    } else {
        n
    };
    wilson_at(p, effective, z)
}

fn wilson_at(p: f64, n: f64, z: f64) -> (f64, f64) {
    if n == 0.0 {
        return (0.0, 1.0);
    }
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let center = (p + z2 / (2.0 * n)) / denominator;
    let half = z * ((p * (1.0 - p) / n) + z2 / (4.0 * n * n)).sqrt() / denominator;
    ((center - half).max(0.0), (center + half).min(1.0))
}

/// ln(n!) for the hypergeometric and binomial probabilities, exact by summation (n stays
/// small here: repeats and case counts).
fn ln_factorial(n: u64) -> f64 {
    (2..=n).map(|i| (i as f64).ln()).sum()
}

fn ln_choose(n: u64, k: u64) -> f64 {
    ln_factorial(n) - ln_factorial(k) - ln_factorial(n - k)
}

/// Two-sided Fisher exact test on the 2x2 table [[a, b], [c, d]]: the probability of a table
/// with the same margins at most as likely as the one observed.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (row1, col1, n) = (a + b, a + c, a + b + c + d);
    if n == 0 {
        return 1.0;
    }
    let probability =
        |x: u64| (ln_choose(col1, x) + ln_choose(n - col1, row1 - x) - ln_choose(n, row1)).exp();
    let observed = probability(a);
    let low = row1.saturating_sub(n - col1);
    let high = row1.min(col1);
    let p: f64 = (low..=high)
        .map(probability)
        .filter(|p| *p <= observed * (1.0 + 1e-7))
        .sum();
    p.min(1.0)
}

/// The smallest two-sided Fisher p-value that any table with these totals could give: `n1` and
/// `n2` judged attempts on the two sides, `passes` between them. The hypergeometric is
/// unimodal, so its least likely table, and with it the smallest p-value, is at an end.
pub fn fisher_least(n1: u64, n2: u64, passes: u64) -> f64 {
    let low = passes.saturating_sub(n2);
    let high = passes.min(n1);
    if passes > n1 + n2 {
        return 1.0;
    }
    let at = |a: u64| fisher_exact(a, n1 - a, passes - a, n2 - (passes - a));
    at(low).min(at(high))
}

/// Tarone's rule for discrete tests: the smallest `k` such that at most `k` tests could reach
/// `alpha / k` (given their smallest possible p-values); a test whose smallest p-value is not
/// below the returned bound can never be significant and is left out of the adjustment, so
/// that it does not dilute the others'. Returns the bound `alpha / k`.
pub fn tarone(least: &[f64], alpha: f64) -> f64 {
    let mut k = 1;
    loop {
        let bound = alpha / k as f64;
        let could = least.iter().filter(|p| **p < bound).count();
        if could <= k {
            return bound;
        }
        k += 1;
    }
}

/// Exact (binomial) McNemar test: `b` pairs passed only on the baseline, `c` only on the
/// candidate. Two-sided p-value.
pub fn mcnemar_exact(b: u64, c: u64) -> f64 {
    let n = b + c;
    if n == 0 {
        return 1.0;
    }
    let smaller = b.min(c);
    let tail: f64 = (0..=smaller)
        .map(|i| (ln_choose(n, i) - n as f64 * std::f64::consts::LN_2).exp())
        .sum();
    (2.0 * tail).min(1.0)
}

/// Holm's step-down correction: adjusted p-values in the input order.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&i, &j| p_values[i].total_cmp(&p_values[j]));
    let mut adjusted = vec![1.0; m];
    let mut running: f64 = 0.0;
    for (rank, &index) in order.iter().enumerate() {
        let value = ((m - rank) as f64 * p_values[index]).min(1.0);
        running = running.max(value);
        adjusted[index] = running;
    }
    adjusted
}

/// The q-th percentile (0..=100) by linear interpolation between closest ranks.
pub fn percentile(values: &[f64], q: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = (q / 100.0).clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
    Some(sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn wilson_matches_published_values() {
        // 8/10 at 95%: (0.4902, 0.9433) — Newcombe (1998), method 3.
        let (low, high) = wilson(8, 10, Z95);
        assert!(
            close(low, 0.4902, 5e-4) && close(high, 0.9433, 5e-4),
            "{low} {high}"
        );
        // 0/10: (0, 0.2775); 10/10: (0.7225, 1).
        let (low, high) = wilson(0, 10, Z95);
        assert!(
            close(low, 0.0, 1e-12) && close(high, 0.2775, 5e-4),
            "{low} {high}"
        );
        let (low, high) = wilson(10, 10, Z95);
        assert!(
            close(low, 0.7225, 5e-4) && close(high, 1.0, 1e-12),
            "{low} {high}"
        );
        assert_eq!(wilson(0, 0, Z95), (0.0, 1.0));
    }

    #[test]
    fn fisher_matches_known_tables() {
        // Fisher's tea-tasting table [[3, 1], [1, 3]]: two-sided p = 0.4857.
        assert!(close(fisher_exact(3, 1, 1, 3), 0.485_714, 1e-5));
        // [[10, 0], [0, 10]]: p = 2 / C(20, 10) = 1.0825e-5.
        assert!(close(fisher_exact(10, 0, 0, 10), 2.0 / 184_756.0, 1e-9));
        // Identical samples are never significant.
        assert!(close(fisher_exact(5, 5, 5, 5), 1.0, 1e-9));
        assert_eq!(fisher_exact(0, 0, 0, 0), 1.0);
    }

    #[test]
    fn mcnemar_matches_the_binomial() {
        // b = 1, c = 9: 2 · P(X <= 1 | n = 10, 1/2) = 2 · 11 / 1024.
        assert!(close(mcnemar_exact(1, 9), 22.0 / 1024.0, 1e-12));
        assert!(close(mcnemar_exact(0, 3), 0.25, 1e-12));
        assert_eq!(mcnemar_exact(0, 0), 1.0);
        assert_eq!(mcnemar_exact(4, 4), 1.0);
    }

    #[test]
    fn holm_adjusts_in_step_down_order() {
        let adjusted = holm(&[0.01, 0.04, 0.03, 0.005]);
        let expected = [0.03, 0.06, 0.06, 0.02];
        for (a, e) in adjusted.iter().zip(expected) {
            assert!(close(*a, e, 1e-12), "{adjusted:?}");
        }
    }

    #[test]
    fn percentiles_interpolate() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&values, 50.0), Some(3.0));
        assert_eq!(percentile(&values, 95.0), Some(4.8));
        assert_eq!(percentile(&[], 50.0), None);
    }

    #[test]
    fn the_least_fisher_p_is_the_most_extreme_table() {
        // 50/50 against 50/50: every table with these totals is the same table.
        assert_eq!(fisher_least(50, 50, 100), 1.0);
        // 10 attempts a side, 10 passes between them: 10/0 against 0/10 is the extreme.
        let least = fisher_least(10, 10, 10);
        assert!(close(least, fisher_exact(10, 0, 0, 10), 1e-12), "{least}");
        // Brute force over every table agrees.
        for (n1, n2, k) in [(5u64, 7u64, 4u64), (12, 3, 9), (20, 20, 37), (1, 1, 1)] {
            let brute = (k.saturating_sub(n2)..=k.min(n1))
                .map(|a| fisher_exact(a, n1 - a, k - a, n2 - (k - a)))
                .fold(1.0, f64::min);
            assert!(
                close(fisher_least(n1, n2, k), brute, 1e-12),
                "{n1} {n2} {k}"
            );
        }
    }

    #[test]
    fn tarone_leaves_out_the_tests_that_cannot_reach_significance() {
        // Twenty tests that cannot be significant, two that can: the bound is α/2.
        let mut least = vec![1.0; 20];
        least.extend([1e-6, 1e-6]);
        assert!(close(tarone(&least, 0.05), 0.025, 1e-12));
        // Every test could: Bonferroni's α/m.
        assert!(close(tarone(&[1e-9; 4], 0.05), 0.0125, 1e-12));
        assert!(close(tarone(&[], 0.05), 0.05, 1e-12));
    }

    #[test]
    fn repeating_a_deterministic_case_adds_no_evidence() {
        // Five deterministic cases, four passing: once each, or twenty times each.
        let once = wilson(4, 5, Z95);
        let repeated = wilson_clustered(&[(20, 20), (20, 20), (20, 20), (20, 20), (0, 20)], Z95);
        assert!(
            close(once.0, repeated.0, 1e-9) && close(once.1, repeated.1, 1e-9),
            "{once:?} {repeated:?}"
        );
        // Independent attempts (no spread between cases beyond chance) keep their number.
        let spread = wilson_clustered(&[(10, 20), (10, 20), (10, 20), (10, 20)], Z95);
        assert!(close(spread.0, wilson(40, 80, Z95).0, 1e-9), "{spread:?}");
        // Run once each: the plain interval.
        assert_eq!(
            wilson_clustered(&[(1, 1), (0, 1), (1, 1)], Z95),
            wilson(2, 3, Z95)
        );
    }
}
