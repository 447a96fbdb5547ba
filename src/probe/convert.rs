//! Checked number conversions for values read from clip headers: every one saturates at
//! the target's bounds instead of wrapping, so a forged header gives a large value (which
//! the caller then refuses or clamps as ffprobe would), never a small wrong one.

/// `v` as `usize`, `usize::MAX` when it does not fit (a length past any buffer).
pub fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// `v` as `u32`, `u32::MAX` when larger.
pub fn saturate_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// `v` as `i64`, clamped to its range.
pub fn saturate_i64(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// `v` as `i32`, clamped to its range.
pub fn saturate_i32(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

/// `v` as `u64`, negative values as 0.
pub fn non_negative_u64(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// A float rounded toward zero as `i64`, saturating at its bounds, NaN as 0 (what
/// ffprobe's C casts of finite values give, defined for every input here).
#[expect(
    clippy::cast_possible_truncation,
    reason = "Rust's float-to-int `as` saturates and maps NaN to 0: the intended rounding"
)]
pub fn truncate_f64(v: f64) -> i64 {
    v as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_saturate_instead_of_wrapping() {
        assert_eq!(saturate_u32(u64::from(u32::MAX) + 1), u32::MAX);
        assert_eq!(saturate_u32(7), 7);
        assert_eq!(saturate_i64(i128::from(i64::MAX) + 5), i64::MAX);
        assert_eq!(saturate_i64(i128::from(i64::MIN) - 5), i64::MIN);
        assert_eq!(saturate_i32(i64::from(i32::MIN) - 1), i32::MIN);
        assert_eq!(saturate_i32(-3), -3);
        assert_eq!(non_negative_u64(-1), 0);
        assert_eq!(to_usize(12), 12);
        assert_eq!(truncate_f64(-2.9), -2);
        assert_eq!(truncate_f64(f64::NAN), 0);
        assert_eq!(truncate_f64(1e300), i64::MAX);
    }
}
