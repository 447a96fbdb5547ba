//! Frame rates as libavformat derives them. MP4: `avg_frame_rate` is samples over the
//! summed sample durations; `r_frame_rate` is the one delta of a single-run `stts` (or a
//! single run plus one odd last sample), else the coarsest rate that represents every
//! delta exactly. Matroska: both come from the track's `DefaultDuration`.

use super::rational::{Rational, gcd, reduce};
use crate::probe::convert::saturate_i64;

/// The bound `av_reduce` gets for MP4 rates (`INT_MAX`).
const MP4_MAX: i64 = i32::MAX as i64;
/// The bound the Matroska demuxer gives `av_reduce` for `DefaultDuration` rates.
const MATROSKA_MAX: i64 = 30000;

/// `count` samples of `delta` ticks each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleRun {
    pub count: u64,
    pub delta: u32,
}

/// Where a track's sample durations come from: its sample table (`stts`, whose shape
/// the `r_frame_rate` rule looks at) or its movie fragments (runs merged as read).
#[derive(Debug, Clone, Copy)]
pub enum SampleTiming<'a> {
    Table(&'a [SampleRun]),
    Fragments(&'a [SampleRun]),
}

impl<'a> SampleTiming<'a> {
    fn runs(self) -> &'a [SampleRun] {
        match self {
            SampleTiming::Table(runs) | SampleTiming::Fragments(runs) => runs,
        }
    }

    /// (samples, summed durations in ticks), saturating.
    pub fn totals(self) -> (u64, u64) {
        self.runs().iter().fold((0u64, 0u64), |(n, t), run| {
            (
                n.saturating_add(run.count),
                t.saturating_add(run.count.saturating_mul(u64::from(run.delta))),
            )
        })
    }
}

/// A stream's `r_frame_rate` and `avg_frame_rate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRates {
    pub r: Rational,
    pub avg: Rational,
}

/// An MP4 track's rates from its timescale and sample durations.
pub fn from_sample_timing(timescale: u32, timing: SampleTiming) -> FrameRates {
    let (frames, ticks) = timing.totals();
    let avg = match (i64::try_from(frames), i64::try_from(ticks)) {
        (Ok(frames), Ok(ticks)) if frames > 0 && ticks > 0 => {
            reduce(i64::from(timescale).saturating_mul(frames), ticks, MP4_MAX)
        }
        _ => Rational::UNKNOWN,
    };
    let single_delta = match timing {
        SampleTiming::Table([only]) | SampleTiming::Table([only, SampleRun { count: 1, .. }]) => {
            Some(only.delta).filter(|delta| *delta > 0)
        }
        _ => None,
    };
    let r = match single_delta {
        Some(delta) => reduce(i64::from(timescale), i64::from(delta), MP4_MAX),
        None => {
            let common = timing
                .runs()
                .iter()
                .filter(|run| run.delta > 0)
                .fold(0i128, |g, run| gcd(g, i128::from(run.delta)));
            if common > 0 {
                reduce(i64::from(timescale), saturate_i64(common), MP4_MAX)
            } else {
                avg
            }
        }
    };
    FrameRates { r, avg }
}

/// A Matroska video track's rates from its `DefaultDuration` (nanoseconds); `None` when
/// the rate falls outside the 5–1000 fps the demuxer accepts.
pub fn from_default_duration(nanoseconds: u64) -> Option<FrameRates> {
    let rate = reduce(
        1_000_000_000,
        i64::try_from(nanoseconds).unwrap_or(i64::MAX),
        MATROSKA_MAX,
    );
    (rate.num < rate.den * 1000 && rate.num > rate.den * 5)
        .then_some(FrameRates { r: rate, avg: rate })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(count: u64, delta: u32) -> SampleRun {
        SampleRun { count, delta }
    }

    fn rates(timescale: u32, timing: SampleTiming) -> (String, String) {
        let rates = from_sample_timing(timescale, timing);
        (rates.r.to_string(), rates.avg.to_string())
    }

    #[test]
    fn one_stts_run_gives_both_rates_from_its_delta() {
        let table = [run(300, 1001)];
        assert_eq!(
            rates(30000, SampleTiming::Table(&table)),
            ("30000/1001".into(), "30000/1001".into())
        );
    }

    #[test]
    fn one_run_plus_an_odd_last_sample_keeps_the_run_rate() {
        // 29 samples of 512 and a last one of 1024 at 12800: r from the run, avg over all.
        let table = [run(29, 512), run(1, 1024)];
        assert_eq!(
            rates(12800, SampleTiming::Table(&table)),
            ("25/1".into(), "750/31".into())
        );
    }

    #[test]
    fn mixed_deltas_give_the_rate_that_represents_every_delta() {
        let table = [run(10, 1000), run(5, 1500), run(3, 1000)];
        // gcd(1000, 1500) = 500 → 90000/500 = 180.
        assert_eq!(rates(90000, SampleTiming::Table(&table)).0, "180/1");
        // The same shape from fragments: never the single-run rule.
        let fragments = [run(1, 3000), run(1, 3003)];
        assert_eq!(
            rates(90000, SampleTiming::Fragments(&fragments)).0,
            "30000/1"
        );
    }

    #[test]
    fn no_samples_or_zero_deltas_are_unknown() {
        assert_eq!(
            rates(1000, SampleTiming::Table(&[])),
            ("0/0".into(), "0/0".into())
        );
        let zero = [run(4, 0)];
        assert_eq!(
            rates(1000, SampleTiming::Table(&zero)),
            ("0/0".into(), "0/0".into())
        );
    }

    #[test]
    fn matroska_default_duration_rates_and_their_bounds() {
        let ntsc = from_default_duration(33_366_667).unwrap();
        assert_eq!(ntsc.r.to_string(), "30000/1001");
        assert_eq!(ntsc.avg, ntsc.r);
        assert_eq!(
            from_default_duration(40_000_000).unwrap().r.to_string(),
            "25/1"
        );
        assert!(from_default_duration(250_000_000).is_none(), "4 fps");
        assert!(from_default_duration(1_000_000).is_none(), "1000 fps");
        assert!(from_default_duration(u64::MAX).is_none());
    }
}
