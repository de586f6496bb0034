//! `mend`: parse the command line and hand over.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    mend::cli::run(mend::cli::Cli::parse())
}
