//! Durations as ffprobe prints them: a stream's is its ticks over its timescale; the
//! container's is first rounded to microseconds (`AV_TIME_BASE`) the way libavformat
//! rescales it; both print with `%f` (six decimals).

use crate::probe::convert::{saturate_i64, truncate_f64};

/// Seconds with six decimals, as ffprobe's `%f`.
pub fn seconds_string(seconds: f64) -> String {
    format!("{seconds:.6}")
}

/// `ticks / timescale` seconds as ffprobe prints a stream duration (`%f` of the double).
pub fn ticks_string(ticks: u64, timescale: u32) -> String {
    seconds_string(ticks as f64 * (1.0 / f64::from(timescale)))
}

/// `av_rescale(ticks, 1_000_000, timescale)`, rounding to nearest; `timescale` > 0.
pub fn rescale_us(ticks: u64, timescale: u32) -> i64 {
    let t = u128::from(timescale.max(1));
    saturate_i64(i128::try_from((u128::from(ticks) * 1_000_000 + t / 2) / t).unwrap_or(i128::MAX))
}

/// A container duration in microseconds, as the seconds ffprobe prints.
pub fn microseconds_to_seconds(us: i64) -> f64 {
    us as f64 * (1.0 / 1_000_000.0)
}

/// An MP4 container's duration in seconds: the movie header's when it has one, else
/// the video track's.
pub fn mp4_container_seconds(
    movie: Option<(u64, u32)>,
    track_ticks: u64,
    track_timescale: u32,
) -> f64 {
    let us = match movie {
        Some((duration, timescale)) if duration > 0 && timescale > 0 => {
            rescale_us(duration, timescale)
        }
        _ => rescale_us(track_ticks, track_timescale),
    };
    microseconds_to_seconds(us)
}

/// A Matroska `Info/Duration` (a float in units of `TimestampScale` nanoseconds) in
/// microseconds, truncated as the demuxer does.
pub fn matroska_us(duration: f64, timestamp_scale: u64) -> i64 {
    truncate_f64(duration * timestamp_scale as f64 * 1000.0 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_durations_print_ticks_over_timescale() {
        assert_eq!(ticks_string(153_600, 12_800), "12.000000");
        assert_eq!(ticks_string(1001, 30000), "0.033367");
    }

    #[test]
    fn container_durations_round_to_microseconds_first() {
        // 1001/30000 s = 33366.67 us → 33367 us.
        assert_eq!(rescale_us(1001, 30000), 33_367);
        assert_eq!(rescale_us(1, 3), 333_333);
        assert_eq!(rescale_us(u64::MAX, 1), i64::MAX);
        assert_eq!(
            seconds_string(mp4_container_seconds(Some((5005, 1000)), 0, 1)),
            "5.005000"
        );
        // No movie duration: the track's.
        assert_eq!(
            seconds_string(mp4_container_seconds(Some((0, 1000)), 1001, 30000)),
            "0.033367"
        );
        assert_eq!(
            seconds_string(mp4_container_seconds(None, 90_000, 90_000)),
            "1.000000"
        );
    }

    #[test]
    fn matroska_durations_truncate_to_microseconds() {
        // Duration 2002.5 at the default 1 ms scale.
        assert_eq!(matroska_us(2002.5, 1_000_000), 2_002_500);
        assert_eq!(matroska_us(1.0000019, 1_000_000), 1000);
        assert_eq!(
            seconds_string(microseconds_to_seconds(matroska_us(4004.0, 1_000_000))),
            "4.004000"
        );
    }
}
