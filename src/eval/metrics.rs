//! The four numbers the field reports (`shared/spec/evaluation.md`): SROCC with average
//! ranks for ties (scipy's `spearmanr`), raw Pearson PLCC, Kendall's tau-b (scipy's
//! default, in O(n log n)), and RMSE after rescaling predictions to the MOS mean and
//! std (DOVER / FAST-VQA). A constant vector is an error, never a NaN.

use std::cmp::Ordering;

/// Why a metric is undefined for the given data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    #[error("need at least 2 matched pairs, got {0}")]
    TooFew(usize),
    #[error("the {0} are constant: correlation is undefined")]
    Constant(&'static str),
}

/// Which vector a [`MetricError::Constant`] is about.
const PRED: &str = "predictions";
const MOS: &str = "MOS values";

pub fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

/// Population standard deviation (numpy's `std`, ddof = 0).
pub fn std_dev(values: &[f64]) -> f64 {
    let m = mean(values);
    (values.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / values.len() as f64).sqrt()
}

fn check(pred: &[f64], mos: &[f64]) -> Result<(), MetricError> {
    assert_eq!(pred.len(), mos.len(), "paired vectors");
    if pred.len() < 2 {
        return Err(MetricError::TooFew(pred.len()));
    }
    if is_constant(pred) {
        return Err(MetricError::Constant(PRED));
    }
    if is_constant(mos) {
        return Err(MetricError::Constant(MOS));
    }
    Ok(())
}

fn is_constant(values: &[f64]) -> bool {
    values.iter().all(|v| *v == values[0])
}

/// Pearson's r.
pub fn plcc(pred: &[f64], mos: &[f64]) -> Result<f64, MetricError> {
    check(pred, mos)?;
    Ok(pearson_unchecked(pred, mos))
}

fn pearson_unchecked(x: &[f64], y: &[f64]) -> f64 {
    let (mx, my) = (mean(x), mean(y));
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (a, b) in x.iter().zip(y) {
        let (dx, dy) = (a - mx, b - my);
        sxy += dx * dy;
        sxx += dx * dx;
        syy += dy * dy;
    }
    (sxy / (sxx.sqrt() * syy.sqrt())).clamp(-1.0, 1.0)
}

/// 1-based ranks, ties given their average rank.
pub fn average_ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let rank = (start + 1 + end) as f64 / 2.0; // mean of start+1 ..= end
        for &i in &order[start..end] {
            ranks[i] = rank;
        }
        start = end;
    }
    ranks
}

/// Spearman's rho: Pearson's r of the average ranks.
pub fn srocc(pred: &[f64], mos: &[f64]) -> Result<f64, MetricError> {
    check(pred, mos)?;
    Ok(pearson_unchecked(&average_ranks(pred), &average_ranks(mos)))
}

/// Kendall's tau-b (Knight's algorithm, as scipy computes it).
pub fn krcc(pred: &[f64], mos: &[f64]) -> Result<f64, MetricError> {
    check(pred, mos)?;
    let n = pred.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| pred[a].total_cmp(&pred[b]).then(mos[a].total_cmp(&mos[b])));
    let pairs = |c: u64| c * (c.saturating_sub(1)) / 2;
    // Ties in x, and joint ties in (x, y), from runs in the (x, y) order.
    let (mut x_ties, mut joint_ties) = (0u64, 0u64);
    let (mut x_run, mut joint_run) = (1u64, 1u64);
    for w in order.windows(2) {
        let same_x = pred[w[0]] == pred[w[1]];
        let same_xy = same_x && mos[w[0]] == mos[w[1]];
        if same_x {
            x_run += 1
        } else {
            x_ties += pairs(x_run);
            x_run = 1
        }
        if same_xy {
            joint_run += 1
        } else {
            joint_ties += pairs(joint_run);
            joint_run = 1
        }
    }
    x_ties += pairs(x_run);
    joint_ties += pairs(joint_run);
    let mut ys: Vec<f64> = order.iter().map(|&i| mos[i]).collect();
    let discordant = count_strict_inversions(&mut ys);
    // `ys` is now sorted: ties in y from its runs.
    let mut y_ties = 0u64;
    let mut y_run = 1u64;
    for w in ys.windows(2) {
        if w[0] == w[1] {
            y_run += 1
        } else {
            y_ties += pairs(y_run);
            y_run = 1
        }
    }
    y_ties += pairs(y_run);
    let total = pairs(n as u64);
    let numerator =
        total as f64 - x_ties as f64 - y_ties as f64 + joint_ties as f64 - 2.0 * discordant as f64;
    let tau = numerator / ((total - x_ties) as f64).sqrt() / ((total - y_ties) as f64).sqrt();
    Ok(tau.clamp(-1.0, 1.0))
}

/// Sorts `values` and returns the number of pairs i < j with values[i] > values[j].
fn count_strict_inversions(values: &mut [f64]) -> u64 {
    let mut buffer = values.to_vec();
    merge_count(values, &mut buffer)
}

fn merge_count(values: &mut [f64], buffer: &mut [f64]) -> u64 {
    let n = values.len();
    if n < 2 {
        return 0;
    }
    let mid = n / 2;
    let mut count = merge_count(&mut values[..mid], &mut buffer[..mid])
        + merge_count(&mut values[mid..], &mut buffer[mid..]);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < mid && j < n {
        if values[j].total_cmp(&values[i]) == Ordering::Less {
            buffer[k] = values[j];
            count += (mid - i) as u64;
            j += 1;
        } else {
            buffer[k] = values[i];
            i += 1;
        }
        k += 1;
    }
    buffer[k..k + (mid - i)].copy_from_slice(&values[i..mid]);
    k += mid - i;
    buffer[k..k + (n - j)].copy_from_slice(&values[j..n]);
    values.copy_from_slice(&buffer[..n]);
    count
}

/// RMSE after rescaling predictions to the MOS mean and std (population std).
pub fn rmse_rescaled(pred: &[f64], mos: &[f64]) -> Result<f64, MetricError> {
    check(pred, mos)?;
    let (mp, sp, mm, sm) = (mean(pred), std_dev(pred), mean(mos), std_dev(mos));
    Ok(rmse(pred.iter().map(|p| (p - mp) / sp * sm + mm), mos))
}

/// Root-mean-square difference of `fitted` and `mos`.
pub fn rmse(fitted: impl Iterator<Item = f64>, mos: &[f64]) -> f64 {
    let sum: f64 = fitted.zip(mos).map(|(f, m)| (f - m) * (f - m)).sum();
    (sum / mos.len() as f64).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_ranks_share_ties() {
        assert_eq!(
            average_ranks(&[10.0, 20.0, 10.0, 30.0]),
            [1.5, 3.0, 1.5, 4.0]
        );
    }

    #[test]
    fn krcc_matches_a_brute_force_count() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..50 {
            let n = rng.usize(2..40);
            let x: Vec<f64> = (0..n).map(|_| rng.u8(0..6) as f64).collect();
            let y: Vec<f64> = (0..n).map(|_| rng.u8(0..6) as f64).collect();
            if is_constant(&x) || is_constant(&y) {
                continue;
            }
            let (mut concordant, mut discordant, mut tx, mut ty) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
            for i in 0..n {
                for j in i + 1..n {
                    let (dx, dy) = (x[i] - x[j], y[i] - y[j]);
                    if dx == 0.0 && dy == 0.0 {
                    } else if dx == 0.0 {
                        tx += 1.0;
                    } else if dy == 0.0 {
                        ty += 1.0;
                    } else if dx * dy > 0.0 {
                        concordant += 1.0;
                    } else {
                        discordant += 1.0;
                    }
                }
            }
            let brute = (concordant - discordant)
                / ((concordant + discordant + tx) * (concordant + discordant + ty)).sqrt();
            assert!((krcc(&x, &y).unwrap() - brute).abs() < 1e-12, "{x:?} {y:?}");
        }
    }

    #[test]
    fn constant_and_short_vectors_are_errors() {
        assert_eq!(
            plcc(&[1.0, 1.0], &[1.0, 2.0]),
            Err(MetricError::Constant("predictions"))
        );
        assert_eq!(
            srocc(&[1.0, 2.0], &[3.0, 3.0]),
            Err(MetricError::Constant("MOS values"))
        );
        assert_eq!(krcc(&[1.0], &[1.0]), Err(MetricError::TooFew(1)));
    }
}
