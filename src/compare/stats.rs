//! The statistics behind compare and gate, small and exact:
//! - Wilson score intervals for pass rates (well-behaved at 0/n and n/n, unlike the normal
//!   approximation);
//! - Fisher's exact test for one case's repeats on two targets (independent samples);
//! - the exact McNemar test for paired pass/fail outcomes of the same cases on two targets;
//! - Holm's step-down correction, so that testing many cases does not multiply false alarms;
//! - percentiles by linear interpolation.

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval for `k` successes in `n` trials.
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
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
}
