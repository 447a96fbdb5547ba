//! `moscorpus split`: flags, and the split file written atomically.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::corpus::CorpusId;
use crate::error::Error;
use crate::files::output::ClaimedOutput;
use crate::split::{Clip, Header, Method, assign, read_clips, render};

#[derive(Debug, Args)]
pub struct SplitArgs {
    #[command(flatten)]
    pub files: super::ShardsToFile,
    /// The train share of each repeat.
    #[arg(long, default_value_t = 0.8, value_name = "SHARE")]
    pub ratio: f64,
    /// Repeat r is shuffled with seed S + r (CPython's random.seed / random.shuffle).
    #[arg(long, default_value_t = 123, value_name = "S")]
    pub seed: u64,
    /// How many train/test cuts (pyiqa ships ten: --repeats 10).
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub repeats: u32,
    /// K folds instead of ratio cuts: repeat r tests on fold r.
    #[arg(long, value_name = "K", conflicts_with_all = ["ratio", "repeats", "protocol"])]
    pub folds: Option<u32>,
    /// A model repository's protocol: fast-vqa (split_train.py: 9 repeats, seeds 84…420
    /// from 42·(s+1) for s in 1..10, first int(0.8·N) train), videval (100 repeats of 80/20,
    /// seeds 0…99) or minimalistic (MinimalisticVQA's LSVQ split: one repeat, the first
    /// int(0.8·N) rows in shard order train, no shuffle).
    #[arg(long, value_enum, conflicts_with_all = ["ratio", "repeats", "seed"])]
    pub protocol: Option<Protocol>,
    /// Drop clips whose SHA-256 is in these shards first (no shared bytes across corpora).
    #[arg(long, num_args = 1.., value_name = "SHARD")]
    pub exclude_overlap_with: Vec<PathBuf>,
    /// Write the split even when a repeat has an empty train or test side (few source
    /// groups), with a warning; refused otherwise.
    #[arg(long)]
    pub allow_empty_sides: bool,
    #[command(flatten)]
    pub damaged: super::DamagedRows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    FastVqa,
    Videval,
    Minimalistic,
}

pub fn run(args: SplitArgs) -> Result<(), Error> {
    let mut guarded = args.files.inputs.clone();
    guarded.extend(args.exclude_overlap_with.iter().cloned());
    let output = ClaimedOutput::claim(
        &args.files.output,
        guarded.iter().map(PathBuf::as_path),
        args.files.force,
    )?;
    let method = method_of(&args)?;
    let (corpus, clips, excluded) = read_clips(
        &args.files.inputs,
        &args.exclude_overlap_with,
        args.damaged.include_damaged,
    )?;
    let tests = assign(&clips, method)?;
    let groups: std::collections::HashSet<&str> = clips.iter().map(|c| c.group.as_str()).collect();
    check_sides(&tests, &clips, groups.len(), corpus, args.allow_empty_sides)?;
    let header = Header {
        moscorpus_split: 1,
        corpus: corpus.info().label.to_string(),
        method,
        repeats: tests.len() as u32,
        grouped_by: corpus.info().row_group.map(|g| g.describe()),
        inputs: args
            .files
            .inputs
            .iter()
            .map(|p| {
                p.file_name().map_or_else(
                    || p.display().to_string(),
                    |n| n.to_string_lossy().into_owned(),
                )
            })
            .collect(),
        clips: clips.len(),
        groups: groups.len(),
        excluded_overlap: excluded,
    };
    let text = render(&header, &clips, &tests)?;
    output.write(text.as_bytes())?;
    let test_sizes: Vec<usize> = tests
        .iter()
        .map(|t| t.iter().filter(|x| **x).count())
        .collect();
    summary!(
        "{}: {} clips of {} ({} source groups), {} repeats, test sizes {}..{}{}",
        args.files.output.display(),
        clips.len(),
        header.corpus,
        header.groups,
        tests.len(),
        test_sizes.iter().min().unwrap_or(&0),
        test_sizes.iter().max().unwrap_or(&0),
        if excluded > 0 {
            format!("; {excluded} clips dropped: their bytes are in --exclude-overlap-with")
        } else {
            String::new()
        }
    )
}

/// The split method the flags ask for.
fn method_of(args: &SplitArgs) -> Result<Method, Error> {
    Ok(match (args.protocol, args.folds) {
        (Some(Protocol::FastVqa), _) => Method::FastVqa,
        (Some(Protocol::Videval), _) => Method::Videval,
        (Some(Protocol::Minimalistic), _) => Method::Minimalistic,
        (None, Some(folds)) => Method::Folds {
            folds,
            seed: args.seed,
        },
        (None, None) => {
            if args.repeats == 0 || args.repeats > 10_000 {
                return Err(Error::input(format!(
                    "--repeats {} is not in 1..=10000 (pyiqa ships 10, VIDEVAL 100)",
                    args.repeats
                )));
            }
            Method::Ratio {
                ratio: args.ratio,
                seed: args.seed,
                repeats: args.repeats,
            }
        }
    })
}

/// Refuses repeats with an empty train or test side (a ratio that cannot cut between
/// source groups), unless `--allow-empty-sides`, which only warns.
fn check_sides(
    tests: &[Vec<bool>],
    clips: &[Clip],
    groups: usize,
    corpus: CorpusId,
    allow_empty_sides: bool,
) -> Result<(), Error> {
    let empty: Vec<String> = tests
        .iter()
        .enumerate()
        .filter_map(|(r, test)| {
            let on_test = test.iter().filter(|t| **t).count();
            match (on_test, test.len() - on_test) {
                (0, _) => Some(format!("{r} (test)")),
                (_, 0) => Some(format!("{r} (train)")),
                _ => None,
            }
        })
        .collect();
    if !empty.is_empty() {
        let what = format!(
            "{} of {} repeats would have an empty side: repeat {}; {} clips in {} source groups{} \
             (a group never straddles the sides)",
            empty.len(),
            tests.len(),
            empty.join(", "),
            clips.len(),
            groups,
            corpus
                .info()
                .row_group
                .map_or(String::new(), |_| " grouped by their source content"
                    .to_string())
        );
        if !allow_empty_sides {
            return Err(Error::input_with_hint(
                format!("{what}; nothing was written"),
                "use a ratio that cuts between groups, --folds, more clips, or \
                 --allow-empty-sides to write it anyway",
            ));
        }
        tracing::warn!("{what}");
    }
    Ok(())
}
