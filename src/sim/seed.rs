//! Stable hashing for seeds: every "random" choice the simulator makes is derived from the
//! server seed plus a few stable inputs, so a run is reproducible. `std`'s hasher is not
//! guaranteed stable across Rust releases, hence this small hand-written mix.

pub use crate::stable_hash::hash_str;

/// Combine two values into one well-distributed seed (splitmix64 finaliser).
pub fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_add(0x9e37_79b9_7f4a_7c15)
        .wrapping_add(a << 6)
        .wrapping_add(a >> 2);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A uniform float in [0, 1) drawn from a seed.
pub fn unit(seed: u64) -> f64 {
    fastrand::Rng::with_seed(seed).f64()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashing_is_stable_and_mixing_separates_inputs() {
        assert_eq!(hash_str(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash_str("a"), hash_str("a"));
        assert_ne!(mix(1, 2), mix(2, 1));
        assert_ne!(mix(0, 0), mix(0, 1));
        let u = unit(42);
        assert!((0.0..1.0).contains(&u));
    }
}
