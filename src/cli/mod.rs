//! The command line: clap definitions, one file per command.

mod connection;
mod run;
mod serve;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "flowcheck",
    version,
    about = "A declarative test-and-eval harness for Noukai flows"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run suites against their flows' targets and report.
    Run(run::RunArgs),
    /// Load and check suites without calling anything; errors point at file:line:col.
    Validate(validate::ValidateArgs),
    /// Run the built-in Noukai simulator on a local port.
    Serve(serve::ServeArgs),
}

/// Parse the command line, run the command, and map its outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A run against a server is I/O-bound, and its scheduler already drives every attempt from
    // the main task: one thread does the same work without waking another thread for every
    // request and response (about a fifth less CPU per case). The simulator, in `serve` or
    // `--embedded`, keeps a worker per core.
    let mut builder = match &cli.command {
        Command::Run(args) if !args.connection.embedded => {
            tokio::runtime::Builder::new_current_thread()
        }
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: failed to start the async runtime: {err}");
            return crate::exit::code(crate::exit::INFRA);
        }
    };
    let code = runtime.block_on(async {
        match cli.command {
            Command::Run(args) => run::run(args).await,
            Command::Validate(args) => validate::validate(args),
            Command::Serve(args) => serve::serve(args).await,
        }
    });
    crate::exit::code(code)
}

/// Print suite diagnostics to stderr, each with its source line and hint.
pub fn print_diagnostics(errors: &[crate::diagnostic::Diagnostic]) {
    use std::io::Write;
    let mut err = anstream::stderr();
    for diagnostic in errors {
        let _ = writeln!(
            err,
            "{} {diagnostic}\n",
            crate::report::style::paint(crate::report::style::FAIL, "error:")
        );
    }
}
