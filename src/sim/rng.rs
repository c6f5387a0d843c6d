//! Seeded random streams, one per purpose, tick and chunk, so results never depend on thread count
//! or on the order in which systems or threads run.

use rand::Rng;

pub type SimRng = rand_pcg::Pcg64Mcg;

/// What a stream is used for; each purpose draws from its own independent sequence.
#[derive(Clone, Copy, Debug)]
#[repr(u64)]
pub enum Stream {
    Population = 1,
    Post = 2,
    Expose = 3,
    React = 4,
    Spread = 5,
    Recommender = 6,
    Arrivals = 7,
    Timeline = 8,
}

/// SplitMix64's finaliser: mixes a 64-bit value so that inputs a bit apart differ in every bit.
pub fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `purpose` at `tick` for `part` (a user, a note, a creator group, ...).
#[inline]
pub fn stream(seed: u64, purpose: Stream, tick: u64, part: u64) -> SimRng {
    let mixed = splitmix(splitmix(splitmix(seed ^ splitmix(purpose as u64)) ^ tick) ^ part);
    SimRng::new(seed_state(mixed))
}

/// The state `SimRng::seed_from_u64(seed)` starts from, computed in registers: rand_core fills
/// the 16 seed bytes with four PCG32 outputs and reads them back as a little-endian number. Every
/// session opens a stream, and the byte shuffling showed in profiles. (A test holds the two
/// equal.)
#[inline]
fn seed_state(mut state: u64) -> u128 {
    const MUL: u64 = 6364136223846793005;
    const INC: u64 = 11634580027462260723;
    let mut out = 0u128;
    for k in 0..4 {
        state = state.wrapping_mul(MUL).wrapping_add(INC);
        let xorshifted = (((state >> 18) ^ state) >> 27) as u32;
        let word = xorshifted.rotate_right((state >> 59) as u32);
        out |= (word as u128) << (32 * k);
    }
    out
}

/// Draws from a standard exponential distribution (mean 1).
pub fn exponential(rng: &mut SimRng) -> f64 {
    let u: f64 = rng.random();
    -libm::log(1.0 - u)
}

/// Intervals of the inverse normal CDF table behind `normal`.
const NORMAL_TABLE: usize = 8192;

/// Draws a standard normal value: one uniform draw through a table of the inverse CDF, linearly
/// interpolated. No transcendental function per draw (a population of millions needs tens of
/// millions of draws) and the same bits on every platform. Tails end at ±3.8σ, plenty for the
/// spread of agent traits.
pub fn normal(rng: &mut SimRng) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        (0..=NORMAL_TABLE)
            .map(|i| {
                inverse_normal_cdf(
                    (i as f64).clamp(0.5, NORMAL_TABLE as f64 - 0.5) / NORMAL_TABLE as f64,
                )
            })
            .collect()
    });
    let x = rng.random::<f64>() * NORMAL_TABLE as f64;
    let i = x as usize;
    let frac = x - i as f64;
    table[i] + frac * (table[i + 1] - table[i])
}

/// Acklam's rational approximation of the inverse standard normal CDF (relative error < 1.2e-9).
pub fn inverse_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.38357751867269e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    const LOW: f64 = 0.02425;
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < LOW {
        tail(libm::sqrt(-2.0 * libm::log(p)))
    } else if p > 1.0 - LOW {
        -tail(libm::sqrt(-2.0 * libm::log(1.0 - p)))
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// Draws a Poisson count with mean `lambda` (Knuth for small means, normal approximation above 30).
pub fn poisson(rng: &mut SimRng, lambda: f64) -> u32 {
    if lambda <= 0.0 {
        return 0;
    }
    if lambda > 30.0 {
        let x = lambda + libm::sqrt(lambda) * normal(rng);
        return x.round().max(0.0) as u32;
    }
    let limit = libm::exp(-lambda);
    let mut product: f64 = rng.random();
    let mut count = 0;
    while product > limit {
        product *= rng.random::<f64>();
        count += 1;
    }
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn streams_differ_by_purpose_tick_and_part_and_repeat_exactly() {
        let draw = |p, t, c| stream(7, p, t, c).random::<u64>();
        assert_eq!(draw(Stream::React, 3, 4), draw(Stream::React, 3, 4));
        assert_ne!(draw(Stream::React, 3, 4), draw(Stream::React, 3, 5));
        assert_ne!(draw(Stream::React, 3, 4), draw(Stream::React, 4, 4));
        assert_ne!(draw(Stream::React, 3, 4), draw(Stream::Expose, 3, 4));
    }

    #[test]
    fn streams_start_where_seed_from_u64_would() {
        let mut mixer = stream(3, Stream::Population, 0, 0);
        for input in [0, 1, u64::MAX, 0x8000_0000_0000_0000]
            .into_iter()
            .chain((0..10_000).map(|_| mixer.random::<u64>()))
        {
            let mut ours = SimRng::new(seed_state(input));
            let mut theirs = SimRng::seed_from_u64(input);
            for _ in 0..3 {
                assert_eq!(ours.random::<u64>(), theirs.random::<u64>(), "{input}");
            }
        }
    }

    #[test]
    fn poisson_and_exponential_have_the_right_means() {
        let mut rng = stream(1, Stream::Post, 0, 0);
        let n = 200_000;
        let mean_p: f64 = (0..n).map(|_| poisson(&mut rng, 2.5) as f64).sum::<f64>() / n as f64;
        let mean_e: f64 = (0..n).map(|_| exponential(&mut rng)).sum::<f64>() / n as f64;
        assert!((inverse_normal_cdf(0.975) - 1.959_963_985).abs() < 1e-7);
        assert!((inverse_normal_cdf(0.01) + 2.326_347_874).abs() < 1e-7);
        assert_eq!(inverse_normal_cdf(0.5), 0.0);
        let draws: Vec<f64> = (0..n).map(|_| normal(&mut rng)).collect();
        let mean_n = draws.iter().sum::<f64>() / n as f64;
        let var_n = draws.iter().map(|x| (x - mean_n).powi(2)).sum::<f64>() / n as f64;
        assert!(
            mean_n.abs() < 0.01 && (var_n - 1.0).abs() < 0.02,
            "{mean_n} {var_n}"
        );
        assert!((mean_p - 2.5).abs() < 0.02, "{mean_p}");
        assert!((mean_e - 1.0).abs() < 0.01, "{mean_e}");
    }
}
