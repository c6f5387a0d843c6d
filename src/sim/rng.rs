//! Seeded random streams, one per purpose, tick and chunk, so results never depend on thread count
//! or on the order in which systems or threads run.

use rand::{Rng, SeedableRng};

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

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The stream for `purpose` at `tick` for `part` (a viewer chunk, a creator group, ...).
pub fn stream(seed: u64, purpose: Stream, tick: u64, part: u64) -> SimRng {
    let mixed = splitmix(splitmix(splitmix(seed ^ splitmix(purpose as u64)) ^ tick) ^ part);
    SimRng::seed_from_u64(mixed)
}

/// Draws from a standard exponential distribution (mean 1).
pub fn exponential(rng: &mut SimRng) -> f64 {
    let u: f64 = rng.random();
    -libm::log(1.0 - u)
}

/// Draws a standard normal value (ziggurat: rarely needs a logarithm).
pub fn normal(rng: &mut SimRng) -> f64 {
    rng.sample(rand_distr::StandardNormal)
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

    #[test]
    fn streams_differ_by_purpose_tick_and_part_and_repeat_exactly() {
        let draw = |p, t, c| stream(7, p, t, c).random::<u64>();
        assert_eq!(draw(Stream::React, 3, 4), draw(Stream::React, 3, 4));
        assert_ne!(draw(Stream::React, 3, 4), draw(Stream::React, 3, 5));
        assert_ne!(draw(Stream::React, 3, 4), draw(Stream::React, 4, 4));
        assert_ne!(draw(Stream::React, 3, 4), draw(Stream::Expose, 3, 4));
    }

    #[test]
    fn poisson_and_exponential_have_the_right_means() {
        let mut rng = stream(1, Stream::Post, 0, 0);
        let n = 200_000;
        let mean_p: f64 = (0..n).map(|_| poisson(&mut rng, 2.5) as f64).sum::<f64>() / n as f64;
        let mean_e: f64 = (0..n).map(|_| exponential(&mut rng)).sum::<f64>() / n as f64;
        assert!((mean_p - 2.5).abs() < 0.02, "{mean_p}");
        assert!((mean_e - 1.0).abs() < 0.01, "{mean_e}");
    }
}
