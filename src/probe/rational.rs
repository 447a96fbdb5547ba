//! The arithmetic behind ffprobe's numbers: `av_reduce`'s best rational approximation
//! under a bound (frame rates), and the `%f` form of durations.

use crate::probe::convert::saturate_i64;

/// `num/den` reduced, and approximated by continued fractions when a term would exceed
/// `max`: the same answer libavutil's `av_reduce` gives.
pub fn reduce(num: i64, den: i64, max: i64) -> (i64, i64) {
    let negative = (num < 0) != (den < 0);
    let (mut num, mut den) = (num.unsigned_abs() as i128, den.unsigned_abs() as i128);
    let max = max as i128;
    let g = gcd(num, den);
    if g != 0 {
        num /= g;
        den /= g;
    }
    let (mut a0n, mut a0d) = (0i128, 1i128);
    let (mut a1n, mut a1d) = (1i128, 0i128);
    if num <= max && den <= max {
        a1n = num;
        a1d = den;
        den = 0;
    }
    while den != 0 {
        let x = num / den;
        let next_den = num - den * x;
        let a2n = x * a1n + a0n;
        let a2d = x * a1d + a0d;
        if a2n > max || a2d > max {
            let mut x = x;
            if a1n != 0 {
                x = (max - a0n) / a1n;
            }
            if a1d != 0 {
                x = x.min((max - a0d) / a1d);
            }
            if den * (2 * x * a1d + a0d) > num * a1d {
                a1n = x * a1n + a0n;
                a1d = x * a1d + a0d;
            }
            break;
        }
        a0n = a1n;
        a0d = a1d;
        a1n = a2n;
        a1d = a2d;
        num = den;
        den = next_den;
    }
    let n = saturate_i64(a1n);
    (if negative { -n } else { n }, saturate_i64(a1d))
}

pub fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Seconds with six decimals, as ffprobe's `%f`.
pub fn seconds_string(seconds: f64) -> String {
    format!("{seconds:.6}")
}

/// `ticks / timescale` seconds as ffprobe prints a stream duration (`%f` of the double).
pub fn ticks_string(ticks: u64, timescale: u32) -> String {
    seconds_string(ticks as f64 * (1.0 / f64::from(timescale)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reduces_like_av_reduce() {
        assert_eq!(reduce(30000 * 14, 14014, i32::MAX as i64), (30000, 1001));
        assert_eq!(reduce(12800 * 9, 5632, i32::MAX as i64), (225, 11));
        assert_eq!(reduce(1_000_000_000, 33_366_667, 30000), (30000, 1001));
        assert_eq!(reduce(1_000_000_000, 40_000_000, 30000), (25, 1));
        assert_eq!(reduce(1_000_000_000, 41_708_333, 30000), (24000, 1001));
        assert_eq!(reduce(0, 5, 100), (0, 1));
    }
}
