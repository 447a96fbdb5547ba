//! ffmpeg's rules, without containers: how libavformat and ffprobe turn the numbers a
//! container holds into the strings ffprobe prints. Frame rates from sample-delta runs or
//! a default duration ([`rates`]), durations and their `%f` form ([`duration`]), the
//! best rational under a bound ([`rational`]), pixel-format names ([`pixel_format`]).
//! Pure functions of numbers: each is unit-tested here, the container readers in
//! `probe/native/` only gather their inputs.

pub mod duration;
pub mod pixel_format;
pub mod rates;
pub mod rational;

pub use rational::Rational;
