//! `moscorpus completions SHELL`: the shell's completion script for every command and
//! flag, on stdout (clap's own generator, so it never falls behind the flags).

use clap::{Args, CommandFactory};

use crate::error::Error;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs) -> Result<(), Error> {
    use std::io::Write as _;
    let mut command = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "moscorpus", &mut script);
    std::io::stdout()
        .lock()
        .write_all(&script)
        .map_err(super::stdout_error)
}
