//! Numbers as the checks compare them: the rounding a score or a distance computed in
//! binary may carry.

/// What two floats computed from decimals may differ by when the numbers they stand for are
/// equal as written: decimals are binary fractions, so 1.1 - 1.0 is 0.10000000000000009 and
/// 0.3 / 0.4 is 0.7499999999999999. A few units in the last place of the larger of the two
/// (and never less than of 1).
pub fn rounding(a: f64, b: f64) -> f64 {
    4.0 * f64::EPSILON * a.abs().max(b.abs()).max(1.0)
}

/// Whether a computed score reaches a threshold, forgiving the rounding of its computation: a
/// score of 0.3 / 0.4 reaches 0.75 (it is shown as 0.75 and would fail by 1e-16).
pub fn reaches(score: f64, threshold: f64) -> bool {
    score >= threshold - rounding(score, threshold)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_reaches_a_threshold_it_equals_as_written() {
        let (passed, total) = (std::hint::black_box(0.3), std::hint::black_box(0.4));
        assert!(passed / total < 0.75, "the float rounds below");
        assert!(reaches(passed / total, 0.75));
        assert!(!reaches(0.7499, 0.75));
        assert!(reaches(1.0, 1.0));
        assert!(!reaches(0.0, 1e-9));
    }
}
