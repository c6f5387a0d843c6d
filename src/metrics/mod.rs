//! Fairness and merit metrics as pure functions over plain numbers (definitions in DESIGN.md).

pub mod collector;

/// Gini coefficient, Σᵢ Σⱼ |xᵢ − xⱼ| ÷ (2 n Σ x), over all values (zeros included); 0 = equal.
/// Computed in O(n log n) on the sorted values. Empty or all-zero input gives 0.
pub fn gini(values: &[f64]) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    // Values equal under `total_cmp` are the same bits: an unstable sort gives the same sequence.
    sorted.sort_unstable_by(f64::total_cmp);
    // Σᵢ Σⱼ |xᵢ − xⱼ| = 2 Σᵢ (2i − n + 1) x₍ᵢ₎ for 0-based ranks of the sorted values.
    let weighted: f64 = sorted
        .iter()
        .enumerate()
        .map(|(i, &x)| (2.0 * i as f64 - n as f64 + 1.0) * x)
        .sum();
    (2.0 * weighted) / (2.0 * n as f64 * total)
}

/// Share of the total held by the top `fraction` of values (⌈n·fraction⌉ of them, at least one).
pub fn top_share(values: &[f64], fraction: f64) -> f64 {
    let n = values.len();
    let total: f64 = values.iter().sum();
    if n == 0 || total <= 0.0 {
        return 0.0;
    }
    let k = ((n as f64 * fraction).ceil() as usize).clamp(1, n);
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    sorted[..k].iter().sum::<f64>() / total
}

/// Ranks from 1, ties sharing the average of the ranks they span.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    // Sorting (value, position) pairs in place is the order a stable sort by value gives, without
    // a lookup per comparison (a sample ranks tens of thousands of notes).
    let mut order: Vec<(f64, usize)> = values.iter().copied().zip(0..).collect();
    order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out = vec![0.0; values.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && order[j + 1].0 == order[i].0 {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &(_, k) in &order[i..=j] {
            out[k] = rank;
        }
        i = j + 1;
    }
    out
}

/// `ranks` of values given by order-preserving integer keys (counts, or the bits of non-negative
/// floats): the same ranks, from a sort of plain integers.
pub fn ranks_of_keys(keys: &[u32]) -> Vec<f64> {
    let mut order: Vec<u64> = keys
        .iter()
        .zip(0u64..)
        .map(|(&k, i)| ((k as u64) << 32) | i)
        .collect();
    order.sort_unstable();
    let mut out = vec![0.0; keys.len()];
    let mut i = 0;
    while i < order.len() {
        let key = order[i] >> 32;
        let mut j = i;
        while j + 1 < order.len() && order[j + 1] >> 32 == key {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            out[(k & 0xFFFF_FFFF) as usize] = rank;
        }
        i = j + 1;
    }
    out
}

/// Pearson correlation; NaN when either side has no variation.
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    let n = x.len().min(y.len());
    if n < 2 {
        return f64::NAN;
    }
    let mx = x[..n].iter().sum::<f64>() / n as f64;
    let my = y[..n].iter().sum::<f64>() / n as f64;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let (dx, dy) = (x[i] - mx, y[i] - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    if sxx <= 0.0 || syy <= 0.0 {
        f64::NAN
    } else {
        sxy / (sxx * syy).sqrt()
    }
}

/// Spearman rank correlation with ties handled by average ranks; NaN when a side is constant.
pub fn spearman(x: &[f64], y: &[f64]) -> f64 {
    pearson(&ranks(x), &ranks(y))
}

/// Lorenz curve points (share of creators, share of the total), from (0,0) to (1,1), at most
/// `max_points + 1` points, smallest values first.
pub fn lorenz(values: &[f64], max_points: usize) -> Vec<(f64, f64)> {
    let n = values.len();
    let total: f64 = values.iter().sum();
    let mut points = vec![(0.0, 0.0)];
    if n == 0 || total <= 0.0 {
        points.push((1.0, 1.0));
        return points;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let step = n.div_ceil(max_points.max(1)).max(1);
    let mut acc = 0.0;
    for (i, x) in sorted.iter().enumerate() {
        acc += x;
        if (i + 1) % step == 0 || i + 1 == n {
            points.push(((i + 1) as f64 / n as f64, acc / total));
        }
    }
    points
}

/// Mean, spread and 95% confidence interval of one quantity over replicate runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Runs with a finite value (a correlation without variation has none).
    pub n: usize,
    pub mean: f64,
    /// Sample standard deviation (n - 1 in the denominator); NaN below two runs.
    pub sd: f64,
    /// Half-width of the 95% confidence interval of the mean, Student's t with n - 1 degrees of
    /// freedom; NaN below two runs.
    pub ci95: f64,
}

/// The estimate over the finite values (NaN mean when there are none).
pub fn estimate(values: &[f64]) -> Estimate {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return Estimate {
            n,
            mean: f64::NAN,
            sd: f64::NAN,
            ci95: f64::NAN,
        };
    }
    let mean = finite.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Estimate {
            n,
            mean,
            sd: f64::NAN,
            ci95: f64::NAN,
        };
    }
    let var = finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    let sd = var.sqrt();
    Estimate {
        n,
        mean,
        sd,
        ci95: t_975(n - 1) * sd / (n as f64).sqrt(),
    }
}

/// The 97.5% quantile of Student's t with `df` degrees of freedom (two-sided 95%).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    if df == 0 {
        return f64::NAN;
    }
    if df <= TABLE.len() {
        return TABLE[df - 1];
    }
    // Cornish-Fisher expansion around the normal quantile; within 1e-3 of the table beyond 30.
    let z: f64 = 1.959_963_985;
    let d = df as f64;
    z + (z.powi(3) + z) / (4.0 * d)
        + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * d * d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn ranks_of_integer_keys_match_ranks_of_the_values() {
        // Counts with many ties, and the bits of positive floats (which sort like the floats).
        let counts: Vec<u32> = (0..5_000u32).map(|i| (i * 7919) % 97 / 3).collect();
        let as_f64: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        assert_eq!(ranks_of_keys(&counts), ranks(&as_f64));
        let appeal: Vec<f32> = (0..5_000u32)
            .map(|i| 0.01 + ((i * 2654435761u32) >> 20) as f32 / 4096.0 * 0.99)
            .collect();
        let bits: Vec<u32> = appeal.iter().map(|a| a.to_bits()).collect();
        let as_f64: Vec<f64> = appeal.iter().map(|&a| a as f64).collect();
        assert_eq!(ranks_of_keys(&bits), ranks(&as_f64));
        assert_eq!(ranks_of_keys(&[3, 1, 3, 2]), vec![3.5, 1.0, 3.5, 2.0]);
        assert!(ranks_of_keys(&[]).is_empty());
    }

    #[test]
    fn gini_matches_hand_computed_values() {
        assert_eq!(gini(&[5.0, 5.0, 5.0, 5.0]), 0.0);
        // one of four holds everything: Σ|xi-xj| = 2*3*1 = 6; 2*n*Σx = 2*4*1 = 8 -> 0.75
        assert!(close(gini(&[0.0, 0.0, 0.0, 1.0]), 0.75));
        // [1,2,3]: pairs |1-2|+|1-3|+|2-3| = 4, doubled = 8; 2*3*6 = 36 -> 2/9
        assert!(close(gini(&[3.0, 1.0, 2.0]), 8.0 / 36.0));
        // [0,0,1,3]: pair sums 0+1+3+1+3+2 = 10, doubled 20; 2*4*4 = 32 -> 0.625
        assert!(close(gini(&[0.0, 3.0, 0.0, 1.0]), 0.625));
        assert_eq!(gini(&[]), 0.0);
        assert_eq!(gini(&[0.0, 0.0]), 0.0);
    }

    #[test]
    fn gini_agrees_with_the_pairwise_definition() {
        let x: Vec<f64> = (0..57)
            .map(|i| ((i * 37) % 11) as f64 * (i % 3) as f64)
            .collect();
        let n = x.len() as f64;
        let pairwise: f64 = x
            .iter()
            .flat_map(|a| x.iter().map(move |b| (a - b).abs()))
            .sum();
        assert!((gini(&x) - pairwise / (2.0 * n * x.iter().sum::<f64>())).abs() < 1e-12);
    }

    #[test]
    fn top_share_uses_the_ceiling_of_n_times_k() {
        let values: Vec<f64> = (1..=10).map(|v| v as f64).collect(); // total 55
        assert!(close(top_share(&values, 0.01), 10.0 / 55.0)); // ceil(0.1) = 1 creator
        assert!(close(top_share(&values, 0.10), 10.0 / 55.0)); // ceil(1.0) = 1
        assert!(close(top_share(&values, 0.11), 19.0 / 55.0)); // ceil(1.1) = 2
        assert!(close(top_share(&values, 1.0), 1.0));
        assert_eq!(top_share(&[0.0, 0.0], 0.1), 0.0);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[10.0, 20.0, 20.0, 5.0]), vec![2.0, 3.5, 3.5, 1.0]);
    }

    #[test]
    fn spearman_matches_hand_computed_values() {
        assert!(close(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[10.0, 20.0, 30.0, 40.0]),
            1.0
        ));
        assert!(close(
            spearman(&[1.0, 2.0, 3.0, 4.0], &[9.0, 7.0, 4.0, 1.0]),
            -1.0
        ));
        // ranks x: 1 2 3 4 5, y: 2 1 4 3 5 -> d² = 1+1+1+1+0 = 4 -> 1 - 6*4/(5*24) = 0.8
        assert!(close(
            spearman(&[1.0, 2.0, 3.0, 4.0, 5.0], &[2.0, 1.0, 4.0, 3.0, 5.0]),
            0.8
        ));
        // with ties: x ranks 1, 2.5, 2.5, 4; y ranks 1 2 3 4.
        // mean 2.5; dx = -1.5,0,0,1.5; dy = -1.5,-.5,.5,1.5; sxy = 4.5; sxx = 4.5; syy = 5
        assert!(close(
            spearman(&[1.0, 2.0, 2.0, 3.0], &[1.0, 2.0, 3.0, 4.0]),
            4.5 / (4.5f64 * 5.0).sqrt()
        ));
        assert!(spearman(&[1.0, 1.0, 1.0], &[1.0, 2.0, 3.0]).is_nan());
    }

    #[test]
    fn estimates_match_hand_computed_values() {
        // 1, 2, 3, 4: mean 2.5, var = (2.25 + 0.25 + 0.25 + 2.25) / 3 = 5/3, sd = 1.2910
        // ci = 3.182 * 1.2910 / 2 = 2.0540
        let e = estimate(&[1.0, 2.0, f64::NAN, 3.0, 4.0]);
        assert_eq!(e.n, 4);
        assert!(close(e.mean, 2.5));
        assert!((e.sd - (5.0f64 / 3.0).sqrt()).abs() < 1e-12);
        assert!((e.ci95 - 3.182 * (5.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-12);
        assert!(estimate(&[7.0]).ci95.is_nan());
        assert!(estimate(&[]).mean.is_nan());
        assert!((t_975(31) - 2.0395).abs() < 2e-3);
        assert!((t_975(100) - 1.984).abs() < 2e-3);
    }

    #[test]
    fn lorenz_points_run_from_origin_to_one() {
        let points = lorenz(&[0.0, 0.0, 1.0, 3.0], 10);
        assert_eq!(
            points,
            vec![
                (0.0, 0.0),
                (0.25, 0.0),
                (0.5, 0.0),
                (0.75, 0.25),
                (1.0, 1.0)
            ]
        );
        let coarse = lorenz(&(0..1000).map(|i| i as f64).collect::<Vec<_>>(), 10);
        assert_eq!(coarse.len(), 11);
        assert_eq!(*coarse.last().unwrap(), (1.0, 1.0));
    }
}
