//! The command line: clap definitions, one file per command.

mod compare;
mod connection;
mod docs;
mod execution;
mod init;
mod merge;
mod run;
mod schema;
mod serve;
mod signals;
mod snapshots;
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
    /// Run the same cases on a baseline and candidates and show what changed.
    Compare(compare::CompareArgs),
    /// Compare, then apply a policy: exit 1 if the candidate must not be promoted.
    Gate(compare::GateArgs),
    /// Merge the JSON reports of sharded runs into one JSON and JUnit report.
    Merge(merge::MergeArgs),
    /// Load and check suites without calling anything; errors point at file:line:col.
    Validate(validate::ValidateArgs),
    /// Print the JSON Schema of the suite format (for editors' YAML language servers).
    Schema,
    /// Review, accept or reject pending snapshot changes; list unreferenced snapshots.
    #[command(subcommand)]
    Snapshots(snapshots::SnapshotsCommand),
    /// Scaffold a first suite for a flow (org/project/flow).
    Init(init::InitArgs),
    /// Print shell completions (bash, zsh, fish, powershell, elvish).
    Completions(docs::CompletionsArgs),
    /// Print the man page (roff).
    Man,
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
    let embedded = match &cli.command {
        Command::Run(args) => Some(args.execution.connection.embedded),
        Command::Compare(args) => Some(args.execution.connection.embedded),
        Command::Gate(args) => Some(args.compare.execution.connection.embedded),
        _ => None,
    };
    let mut builder = match embedded {
        Some(false) => tokio::runtime::Builder::new_current_thread(),
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
            Command::Compare(args) => compare::compare(args).await,
            Command::Gate(args) => compare::gate(args).await,
            Command::Validate(args) => validate::validate(args),
            Command::Merge(args) => merge::merge(args),
            Command::Init(args) => init::init(args),
            Command::Completions(args) => docs::completions(args),
            Command::Man => docs::man(),
            Command::Serve(args) => serve::serve(args).await,
            Command::Snapshots(command) => snapshots::snapshots(command),
            Command::Schema => schema::schema(),
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

pub use crate::report::ci::in_ci;
