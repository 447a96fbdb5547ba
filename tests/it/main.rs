//! The integration tests, one binary: each file is a module, `common/` their kit.
//! (One binary links the crate's dependency tree once instead of once per file.)

mod common;

mod aggregate;
mod archives;
mod bad_input;
mod cli;
mod corpora;
mod corpus_file;
mod downloads;
mod evaluate;
mod export;
mod faults;
mod golden_bytes;
mod interruptions;
mod labels;
mod manifests;
mod native_probe;
mod next_corpora;
mod outputs_and_inputs;
mod probe_fields;
mod probe_robustness;
mod read_once;
mod report;
mod rerun_and_crash;
mod shards;
mod split;
