//! The VQEG 4-parameter logistic `f(x) = (b1 − b2) / (1 + exp(−(x − b3) / |b4|)) + b2`,
//! fitted by least squares (Levenberg–Marquardt) from pyiqa's initial guess
//! `[max y, min y, mean x, std x / 4]`, as scipy's `curve_fit` does.

use super::metrics::{MetricError, mean, std_dev};

/// Enough for data whose best fit lies far out on a flat valley (a near-linear
/// relation), where scipy's MINPACK stops at its tolerance and this goes on a little
/// further; well-posed data converges in tens of iterations.
const MAX_ITERATIONS: usize = 20_000;

/// Fitted parameters `[b1, b2, b3, b4]`.
pub type Params = [f64; 4];

/// The logistic at `x`.
pub fn logistic(b: &Params, x: f64) -> f64 {
    (b[0] - b[1]) * sigmoid((x - b[2]) / b[3].abs()) + b[1]
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Fits the logistic mapping predictions `x` to MOS `y`.
pub fn fit(x: &[f64], y: &[f64]) -> Result<Params, MetricError> {
    if x.len() < 4 {
        return Err(MetricError::TooFew(x.len()));
    }
    let sx = std_dev(x);
    if sx == 0.0 {
        return Err(MetricError::Constant("predictions"));
    }
    let y_max = y.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let y_min = y.iter().copied().fold(f64::INFINITY, f64::min);
    let mut b: Params = [y_max, y_min, mean(x), sx / 4.0];
    let mut sse = sum_squares(&b, x, y);
    let mut lambda = 1e-3;
    for _ in 0..MAX_ITERATIONS {
        let (jtj, jtr) = normal_equations(&b, x, y);
        let mut improved = false;
        while lambda < 1e16 {
            let mut a = jtj;
            for (i, row) in a.iter_mut().enumerate() {
                row[i] += lambda * jtj[i][i].max(1e-12);
            }
            let Some(step) = solve4(a, jtr.map(|v| -v)) else {
                lambda *= 10.0;
                continue;
            };
            let trial: Params = std::array::from_fn(|i| b[i] + step[i]);
            let trial_sse = sum_squares(&trial, x, y);
            if trial_sse.is_finite() && trial_sse <= sse {
                let relative = (sse - trial_sse) / sse.max(f64::MIN_POSITIVE);
                let step_size = step
                    .iter()
                    .zip(&b)
                    .map(|(s, p)| (s / p.abs().max(1e-12)).abs())
                    .fold(0.0, f64::max);
                b = trial;
                sse = trial_sse;
                lambda = (lambda / 10.0).max(1e-15);
                improved = true;
                if relative < 1e-14 || step_size < 1e-12 {
                    return Ok(b);
                }
                break;
            }
            lambda *= 10.0;
        }
        if !improved {
            break;
        }
    }
    Ok(b)
}

fn sum_squares(b: &Params, x: &[f64], y: &[f64]) -> f64 {
    x.iter()
        .zip(y)
        .map(|(xi, yi)| (logistic(b, *xi) - yi).powi(2))
        .sum()
}

/// JᵀJ and Jᵀr for the residuals r = f(x) − y.
fn normal_equations(b: &Params, x: &[f64], y: &[f64]) -> ([[f64; 4]; 4], [f64; 4]) {
    let mut jtj = [[0.0; 4]; 4];
    let mut jtr = [0.0; 4];
    let s = b[3].abs();
    let sign = if b[3] < 0.0 { -1.0 } else { 1.0 };
    for (xi, yi) in x.iter().zip(y) {
        let g = sigmoid((xi - b[2]) / s);
        let dg = (b[0] - b[1]) * g * (1.0 - g);
        let jac = [g, 1.0 - g, -dg / s, -dg * (xi - b[2]) / (s * s) * sign];
        let r = (b[0] - b[1]) * g + b[1] - yi;
        for i in 0..4 {
            jtr[i] += jac[i] * r;
            for j in 0..4 {
                jtj[i][j] += jac[i] * jac[j];
            }
        }
    }
    (jtj, jtr)
}

/// Solves a 4×4 system by Gaussian elimination with partial pivoting.
fn solve4(mut a: [[f64; 4]; 4], mut rhs: [f64; 4]) -> Option<[f64; 4]> {
    for col in 0..4 {
        let pivot = (col..4).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        rhs.swap(col, pivot);
        let pivot_row = a[col];
        for row in col + 1..4 {
            let factor = a[row][col] / pivot_row[col];
            for (cell, pivot_cell) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                *cell -= factor * pivot_cell;
            }
            rhs[row] -= factor * rhs[col];
        }
    }
    let mut out = [0.0; 4];
    for row in (0..4).rev() {
        let tail: f64 = (row + 1..4).map(|k| a[row][k] * out[k]).sum();
        out[row] = (rhs[row] - tail) / a[row][row];
    }
    out.iter().all(|v| v.is_finite()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_known_logistic() {
        let truth = [90.0, 10.0, 0.5, 0.1];
        let x: Vec<f64> = (0..200).map(|i| i as f64 / 200.0).collect();
        let y: Vec<f64> = x.iter().map(|xi| logistic(&truth, *xi)).collect();
        let b = fit(&x, &y).unwrap();
        for xi in &x {
            assert!((logistic(&b, *xi) - logistic(&truth, *xi)).abs() < 1e-6);
        }
    }
}
