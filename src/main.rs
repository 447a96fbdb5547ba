//! The `moscorpus` binary: everything is in the library's [`moscorpus::cli::main`], so
//! the Python package's console script runs exactly the same command line.

#![forbid(unsafe_code)]

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(moscorpus::cli::main(std::env::args_os()))
}
