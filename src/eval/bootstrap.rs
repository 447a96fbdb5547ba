//! Bootstrap confidence intervals: resample the matched pairs with replacement, score
//! each replicate, and take the 2.5th and 97.5th percentiles (numpy's linear
//! interpolation). Seeded, so a run is reproducible; replicates are spread over cores.

/// A 95 % interval, serialized as `[low, high]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

impl serde::Serialize for Interval {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        [self.low, self.high].serialize(serializer)
    }
}

/// Intervals for the four numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct BootstrapIntervals {
    /// Replicates that could be scored (a resample with constant values cannot).
    pub replicates: usize,
    pub seed: u64,
    pub srocc: Interval,
    pub plcc: Interval,
    pub krcc: Interval,
    pub rmse: Interval,
}

/// The most resamples `--bootstrap` takes: a million give intervals stable to the
/// fourth digit in seconds; a mistyped 10^8 would hold gigabytes for many minutes.
pub const MAX_REPLICATES: usize = 1_000_000;

/// Runs `replicates` resamples of the pairs; stops within a few milliseconds when
/// SIGINT/SIGTERM asks the run to ([`crate::interrupt::requested`]).
///
/// A resample is held as a count per original pair (how often it was drawn), and each
/// metric is computed from the counts over orders sorted once up front, so a replicate
/// costs O(n log n) integer work and no sorting.
pub fn bootstrap(
    pred: &[f64],
    mos: &[f64],
    replicates: usize,
    seed: u64,
) -> Result<BootstrapIntervals, crate::error::Error> {
    let sorted = SortedPairs::new(pred, mos);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(replicates.max(1));
    let per_thread = replicates.div_ceil(threads);
    let mut samples: Vec<[f64; 4]> = std::thread::scope(|scope| {
        let sorted = &sorted;
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    let range = (t * per_thread)..((t + 1) * per_thread).min(replicates);
                    let n = pred.len();
                    let mut counts = vec![0u32; n];
                    let mut scratch = Scratch::new(n, sorted.mos_levels);
                    let mut out = Vec::with_capacity(range.len());
                    for replicate in range {
                        if replicate % 64 == 0 && crate::interrupt::requested().is_some() {
                            break;
                        }
                        // One stream per replicate: the result does not depend on threads.
                        let mut rng = fastrand::Rng::with_seed(
                            seed ^ (replicate as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                        );
                        counts.fill(0);
                        for _ in 0..n {
                            counts[rng.usize(0..n)] += 1;
                        }
                        if let Some(values) = sorted.score(pred, mos, &counts, &mut scratch) {
                            out.push((replicate, values));
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
    if let Some(signal) = crate::interrupt::requested() {
        return Err(crate::error::Error::Interrupted { signal });
    }
    let interval = |k: usize, samples: &mut Vec<[f64; 4]>| {
        let mut column: Vec<f64> = samples.iter().map(|s| s[k]).collect();
        column.sort_by(f64::total_cmp);
        Interval {
            low: percentile(&column, 2.5),
            high: percentile(&column, 97.5),
        }
    };
    Ok(BootstrapIntervals {
        replicates: samples.len(),
        seed,
        srocc: interval(0, &mut samples),
        plcc: interval(1, &mut samples),
        krcc: interval(2, &mut samples),
        rmse: interval(3, &mut samples),
    })
}

/// The pairs' orders, computed once: by prediction, by MOS, by (prediction, MOS), with
/// the runs of equal values in each, and each MOS's dense rank.
struct SortedPairs {
    by_pred: Vec<usize>,
    by_mos: Vec<usize>,
    by_both: Vec<usize>,
    /// `[start, end)` of each run of equal values in the order above.
    pred_runs: Vec<(usize, usize)>,
    mos_runs: Vec<(usize, usize)>,
    both_runs: Vec<(usize, usize)>,
    mos_rank: Vec<usize>,
    mos_levels: usize,
}

/// Per-thread buffers.
struct Scratch {
    rank_pred: Vec<f64>,
    rank_mos: Vec<f64>,
    fenwick: Vec<u64>,
}

impl Scratch {
    fn new(n: usize, levels: usize) -> Self {
        Self {
            rank_pred: vec![0.0; n],
            rank_mos: vec![0.0; n],
            fenwick: vec![0; levels + 1],
        }
    }
}

fn runs(order: &[usize], same: impl Fn(usize, usize) -> bool) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=order.len() {
        if i == order.len() || !same(order[i - 1], order[i]) {
            out.push((start, i));
            start = i;
        }
    }
    out
}

impl SortedPairs {
    fn new(pred: &[f64], mos: &[f64]) -> Self {
        let n = pred.len();
        let mut by_pred: Vec<usize> = (0..n).collect();
        by_pred.sort_by(|&a, &b| pred[a].total_cmp(&pred[b]));
        let mut by_mos: Vec<usize> = (0..n).collect();
        by_mos.sort_by(|&a, &b| mos[a].total_cmp(&mos[b]));
        let mut by_both: Vec<usize> = (0..n).collect();
        by_both.sort_by(|&a, &b| pred[a].total_cmp(&pred[b]).then(mos[a].total_cmp(&mos[b])));
        let pred_runs = runs(&by_pred, |a, b| pred[a] == pred[b]);
        let mos_runs = runs(&by_mos, |a, b| mos[a] == mos[b]);
        let both_runs = runs(&by_both, |a, b| pred[a] == pred[b] && mos[a] == mos[b]);
        let mut mos_rank = vec![0; n];
        for (level, &(start, end)) in mos_runs.iter().enumerate() {
            for &i in &by_mos[start..end] {
                mos_rank[i] = level;
            }
        }
        let mos_levels = mos_runs.len();
        Self {
            by_pred,
            by_mos,
            by_both,
            pred_runs,
            mos_runs,
            both_runs,
            mos_rank,
            mos_levels,
        }
    }

    /// SROCC, PLCC, KRCC, RMSE of the resample given by `counts`; `None` if a side is constant.
    fn score(
        &self,
        pred: &[f64],
        mos: &[f64],
        counts: &[u32],
        scratch: &mut Scratch,
    ) -> Option<[f64; 4]> {
        let weight = |order: &[usize], (start, end): (usize, usize)| -> u64 {
            order[start..end]
                .iter()
                .map(|&i| u64::from(counts[i]))
                .sum()
        };
        let pairs = |g: u64| g * g.saturating_sub(1) / 2;
        // Average ranks; ties (and repeated draws) share the mean of their positions.
        let assign =
            |order: &[usize], runs: &[(usize, usize)], ranks: &mut [f64]| -> (u64, usize) {
                let (mut position, mut ties, mut levels) = (0u64, 0u64, 0usize);
                for &run in runs {
                    let g = weight(order, run);
                    if g == 0 {
                        continue;
                    }
                    levels += 1;
                    let rank = position as f64 + (g as f64 + 1.0) / 2.0;
                    for &i in &order[run.0..run.1] {
                        ranks[i] = rank;
                    }
                    position += g;
                    ties += pairs(g);
                }
                (ties, levels)
            };
        let (pred_ties, pred_levels) =
            assign(&self.by_pred, &self.pred_runs, &mut scratch.rank_pred);
        let (mos_ties, mos_levels) = assign(&self.by_mos, &self.mos_runs, &mut scratch.rank_mos);
        if pred_levels < 2 || mos_levels < 2 {
            return None;
        }
        let srocc = weighted_pearson(&scratch.rank_pred, &scratch.rank_mos, counts);
        let plcc = weighted_pearson(pred, mos, counts);
        let rmse = weighted_rmse_rescaled(pred, mos, counts);
        // Kendall's tau-b: discordant pairs by a Fenwick tree over MOS levels, walking
        // the (prediction, MOS) order; equal predictions come in ascending MOS, so they
        // add none.
        let joint_ties: u64 = self
            .both_runs
            .iter()
            .map(|&run| pairs(weight(&self.by_both, run)))
            .sum();
        let (seen, discordant) = self.discordant(counts, &mut scratch.fenwick);
        let total = pairs(seen);
        let numerator = total as f64 - pred_ties as f64 - mos_ties as f64 + joint_ties as f64
            - 2.0 * discordant as f64;
        let krcc =
            (numerator / ((total - pred_ties) as f64).sqrt() / ((total - mos_ties) as f64).sqrt())
                .clamp(-1.0, 1.0);
        Some([srocc, plcc, krcc, rmse])
    }

    /// Walks the (prediction, MOS) order with a Fenwick tree over MOS levels: the
    /// weighted pairs seen and the discordant ones among them.
    fn discordant(&self, counts: &[u32], tree: &mut [u64]) -> (u64, u64) {
        tree.fill(0);
        let (mut seen, mut discordant) = (0u64, 0u64);
        for &i in &self.by_both {
            let c = u64::from(counts[i]);
            if c == 0 {
                continue;
            }
            let level = self.mos_rank[i] + 1;
            let mut at_or_below = 0;
            let mut k = level;
            while k > 0 {
                at_or_below += tree[k];
                k &= k - 1;
            }
            discordant += c * (seen - at_or_below);
            let mut k = level;
            while k < tree.len() {
                tree[k] += c;
                k += k & k.wrapping_neg();
            }
            seen += c;
        }
        (seen, discordant)
    }
}

fn weighted_moments(x: &[f64], counts: &[u32]) -> (f64, f64, f64) {
    let total: f64 = counts.iter().map(|&c| f64::from(c)).sum();
    let mean = x
        .iter()
        .zip(counts)
        .map(|(v, &c)| v * f64::from(c))
        .sum::<f64>()
        / total;
    let var = x
        .iter()
        .zip(counts)
        .map(|(v, &c)| (v - mean) * (v - mean) * f64::from(c))
        .sum::<f64>()
        / total;
    (total, mean, var.sqrt())
}

fn weighted_pearson(x: &[f64], y: &[f64], counts: &[u32]) -> f64 {
    let (_, mx, _) = weighted_moments(x, counts);
    let (_, my, _) = weighted_moments(y, counts);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for ((a, b), &c) in x.iter().zip(y).zip(counts) {
        let (dx, dy, w) = (a - mx, b - my, f64::from(c));
        sxy += w * dx * dy;
        sxx += w * dx * dx;
        syy += w * dy * dy;
    }
    (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
}

fn weighted_rmse_rescaled(pred: &[f64], mos: &[f64], counts: &[u32]) -> f64 {
    let (total, mp, sp) = weighted_moments(pred, counts);
    let (_, mm, sm) = weighted_moments(mos, counts);
    let sum: f64 = pred
        .iter()
        .zip(mos)
        .zip(counts)
        .map(|((p, m), &c)| {
            let d = (p - mp) / sp * sm + mm - m;
            d * d * f64::from(c)
        })
        .sum();
    (sum / total).sqrt()
}

/// numpy's default (linear) percentile of sorted values; NaN when there are none.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q / 100.0 * (sorted.len() - 1) as f64;
    // 0 ≤ pos ≤ len − 1: both ends are indices of `sorted`.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "pos is in 0..=len-1, a whole index after floor/ceil"
    )]
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::metrics::{krcc, plcc, rmse_rescaled, srocc};

    #[test]
    fn percentiles_interpolate_like_numpy() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(percentile(&v, 2.5), 1.1);
        assert_eq!(percentile(&v, 97.5), 4.9);
        assert_eq!(percentile(&v, 50.0), 3.0);
    }

    #[test]
    fn counted_resamples_score_like_expanded_ones() {
        let mut rng = fastrand::Rng::with_seed(5);
        for round in 0..20 {
            let n = 5 + round * 7;
            // Few distinct values: ties everywhere.
            let mos: Vec<f64> = (0..n).map(|_| f64::from(rng.u8(0..8))).collect();
            let pred: Vec<f64> = mos.iter().map(|m| m + f64::from(rng.u8(0..5))).collect();
            let counts: Vec<u32> = (0..n).map(|_| rng.u32(0..4)).collect();
            let (mut p, mut m) = (Vec::new(), Vec::new());
            for i in 0..n {
                for _ in 0..counts[i] {
                    p.push(pred[i]);
                    m.push(mos[i]);
                }
            }
            let sorted = SortedPairs::new(&pred, &mos);
            let got = sorted.score(
                &pred,
                &mos,
                &counts,
                &mut Scratch::new(n, sorted.mos_levels),
            );
            match (
                srocc(&p, &m),
                plcc(&p, &m),
                krcc(&p, &m),
                rmse_rescaled(&p, &m),
            ) {
                (Ok(s), Ok(pl), Ok(k), Ok(r)) => {
                    let got = got.expect("scorable");
                    for (a, b) in got.iter().zip([s, pl, k, r]) {
                        assert!(
                            (a - b).abs() < 1e-9,
                            "round {round}: {got:?} vs {:?}",
                            [s, pl, k, r]
                        );
                    }
                }
                _ => assert!(got.is_none(), "round {round}"),
            }
        }
    }

    #[test]
    fn intervals_bracket_the_estimate_and_are_reproducible() {
        let mut rng = fastrand::Rng::with_seed(3);
        let mos: Vec<f64> = (0..300).map(|_| rng.f64() * 100.0).collect();
        let pred: Vec<f64> = mos.iter().map(|m| m + rng.f64() * 30.0).collect();
        let a = bootstrap(&pred, &mos, 200, 11).unwrap();
        let b = bootstrap(&pred, &mos, 200, 11).unwrap();
        assert_eq!(a, b);
        let s = srocc(&pred, &mos).unwrap();
        assert!(a.srocc.low < s && s < a.srocc.high, "{a:?} vs {s}");
        assert_eq!(a.replicates, 200);
    }
}
