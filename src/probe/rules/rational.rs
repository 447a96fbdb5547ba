//! Rationals as libavutil keeps them: `av_reduce`'s best approximation under a bound
//! (every frame rate ffprobe prints goes through it) and the `num/den` form it prints.

use std::fmt;

use crate::probe::convert::saturate_i64;

/// A frame rate or time base as ffprobe prints it: `30000/1001`, `0/0` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rational {
    pub num: i64,
    pub den: i64,
}

impl Rational {
    /// ffprobe's `0/0`: no rate.
    pub const UNKNOWN: Rational = Rational { num: 0, den: 0 };
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

/// `num/den` reduced, and approximated by continued fractions when a term would exceed
/// `max`: the same answer libavutil's `av_reduce` gives.
pub fn reduce(num: i64, den: i64, max: i64) -> Rational {
    let negative = (num < 0) != (den < 0);
    let (mut num, mut den) = (
        i128::from(num.unsigned_abs()),
        i128::from(den.unsigned_abs()),
    );
    let max = i128::from(max);
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
    Rational {
        num: if negative { -n } else { n },
        den: saturate_i64(a1d),
    }
}

pub fn gcd(mut a: i128, mut b: i128) -> i128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(num: i64, den: i64) -> Rational {
        Rational { num, den }
    }

    #[test]
    fn reduces_like_av_reduce() {
        let max = i64::from(i32::MAX);
        assert_eq!(reduce(30000 * 14, 14014, max), r(30000, 1001));
        assert_eq!(reduce(12800 * 9, 5632, max), r(225, 11));
        assert_eq!(reduce(1_000_000_000, 33_366_667, 30000), r(30000, 1001));
        assert_eq!(reduce(1_000_000_000, 40_000_000, 30000), r(25, 1));
        assert_eq!(reduce(1_000_000_000, 41_708_333, 30000), r(24000, 1001));
        assert_eq!(reduce(0, 5, 100), r(0, 1));
        assert_eq!(reduce(-6, 4, 100), r(-3, 2));
    }

    #[test]
    fn prints_as_ffprobe() {
        assert_eq!(r(30000, 1001).to_string(), "30000/1001");
        assert_eq!(Rational::UNKNOWN.to_string(), "0/0");
    }
}
