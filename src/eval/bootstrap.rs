//! Bootstrap confidence intervals: resample the matched pairs with replacement, score
//! each replicate, and take the 2.5th and 97.5th percentiles (numpy's linear
//! interpolation). Seeded, so a run is reproducible; replicates are spread over cores.

use super::metrics::{krcc, plcc, rmse_rescaled, srocc};

/// A 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// Intervals for the four numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct BootstrapIntervals {
    /// Replicates that could be scored (a resample with constant values cannot).
    pub replicates: usize,
    pub seed: u64,
    pub srocc: Interval,
    pub plcc: Interval,
    pub krcc: Interval,
    pub rmse: Interval,
}

/// Runs `replicates` resamples of the pairs.
pub fn bootstrap(pred: &[f64], mos: &[f64], replicates: usize, seed: u64) -> BootstrapIntervals {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(replicates.max(1));
    let per_thread = replicates.div_ceil(threads);
    let mut samples: Vec<[f64; 4]> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let range = (t * per_thread)..((t + 1) * per_thread).min(replicates);
                    let n = pred.len();
                    let (mut p, mut m) = (vec![0.0; n], vec![0.0; n]);
                    let mut out = Vec::with_capacity(range.len());
                    for replicate in range {
                        // One stream per replicate: the result does not depend on threads.
                        let mut rng = fastrand::Rng::with_seed(
                            seed ^ (replicate as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        );
                        for i in 0..n {
                            let j = rng.usize(0..n);
                            p[i] = pred[j];
                            m[i] = mos[j];
                        }
                        if let (Ok(s), Ok(pl), Ok(k), Ok(r)) = (
                            srocc(&p, &m),
                            plcc(&p, &m),
                            krcc(&p, &m),
                            rmse_rescaled(&p, &m),
                        ) {
                            out.push((replicate, [s, pl, k, r]));
                        }
                    }
                    out
                })
            })
            .collect();
        let mut all: Vec<(usize, [f64; 4])> = handles
            .into_iter()
            .flat_map(|h| h.join().expect("bootstrap thread"))
            .collect();
        all.sort_by_key(|(replicate, _)| *replicate);
        all.into_iter().map(|(_, values)| values).collect()
    });
    let interval = |k: usize, samples: &mut Vec<[f64; 4]>| {
        let mut column: Vec<f64> = samples.iter().map(|s| s[k]).collect();
        column.sort_by(f64::total_cmp);
        Interval {
            low: percentile(&column, 2.5),
            high: percentile(&column, 97.5),
        }
    };
    BootstrapIntervals {
        replicates: samples.len(),
        seed,
        srocc: interval(0, &mut samples),
        plcc: interval(1, &mut samples),
        krcc: interval(2, &mut samples),
        rmse: interval(3, &mut samples),
    }
}

/// numpy's default (linear) percentile of sorted values; NaN when there are none.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&v, 2.5), 1.1);
        assert_eq!(percentile(&v, 97.5), 4.9);
        assert_eq!(percentile(&v, 50.0), 3.0);
    }

    #[test]
    fn intervals_bracket_the_estimate_and_are_reproducible() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mos: Vec<f64> = (0..300).map(|_| rng.f64() * 100.0).collect();
        let pred: Vec<f64> = mos.iter().map(|m| m + rng.f64() * 30.0).collect();
        let a = bootstrap(&pred, &mos, 200, 11);
        let b = bootstrap(&pred, &mos, 200, 11);
        assert_eq!(a, b);
        let s = srocc(&pred, &mos).unwrap();
        assert!(a.srocc.low < s && s < a.srocc.high, "{a:?} vs {s}");
        assert_eq!(a.replicates, 200);
    }
}
