//! The command line: clap definitions, one file per command; `execution` is what run,
//! compare and gate share, `connection` resolves the server and key, `signals` Ctrl-C and
//! SIGTERM.

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
mod unread;
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
    /// `--color auto|always|never`; auto also reads NO_COLOR and CLICOLOR_FORCE.
    #[command(flatten)]
    pub color: colorchoice_clap::Color,
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
    /// Print a man page (roff), or write them all with --dir.
    Man(docs::ManArgs),
    /// Run the built-in Noukai simulator on a local port.
    Serve(serve::ServeArgs),
}

/// Parse the command line, run the command, and map its outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // Not for --help or --version, which clap reports the same way.
            if err.use_stderr() {
                let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
                unread::refused(&args, &err.render().to_string());
            }
            err.exit()
        }
    };
    cli.color.write_global();
    // Commands that show what flows answered.
    if matches!(
        cli.command,
        Command::Run(_) | Command::Compare(_) | Command::Gate(_) | Command::Merge(_)
    ) {
        crate::report::ci::stop_workflow_commands();
    }
    let code = match cli.command {
        Command::Run(args) => on_runtime(args.execution.connection.embedded, run::run(args)),
        Command::Compare(args) => {
            on_runtime(args.execution.connection.embedded, compare::compare(args))
        }
        Command::Gate(args) => on_runtime(
            args.compare.execution.connection.embedded,
            compare::gate(args),
        ),
        Command::Serve(args) => on_runtime(true, serve::serve(args)),
        Command::Validate(args) => validate::validate(args),
        Command::Merge(args) => merge::merge(args),
        Command::Init(args) => init::init(args),
        Command::Completions(args) => docs::completions(args),
        Command::Man(args) => docs::man(args),
        Command::Snapshots(command) => snapshots::snapshots(command),
        Command::Schema => schema::schema(),
    };
    crate::report::ci::resume_workflow_commands();
    crate::exit::code(code)
}

/// Run a command that talks HTTP on a tokio runtime (the others need none, and start faster
/// without one). `simulator`: whether this process also runs the simulator.
fn on_runtime(simulator: bool, command: impl std::future::Future<Output = u8>) -> u8 {
    // Every call in flight holds a socket (and the embedded simulator another): a soft limit
    // of 256 or 1,024 open files, common defaults, is below what --jobs allows. Raised to the
    // hard limit, as cargo-nextest does; if that fails, the run goes on within the old one.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    // A run against a server is I/O-bound, and its scheduler already drives every attempt from
    // the main task: one thread does the same work without waking another thread for every
    // request and response (about a fifth less CPU per case). The simulator, in `serve` or
    // `--embedded`, keeps a worker per core.
    let mut builder = match simulator {
        false => tokio::runtime::Builder::new_current_thread(),
        true => tokio::runtime::Builder::new_multi_thread(),
    };
    match builder.enable_all().build() {
        Ok(runtime) => {
            let code = runtime.block_on(command);
            // A call cut while resolving its host leaves a DNS lookup on a blocking thread,
            // which no one can cancel; dropping the runtime would wait for it (seconds, for a
            // host that does not exist) after the summary. The command is done: leave it.
            runtime.shutdown_background();
            code
        }
        Err(err) => {
            crate::errln!("error: failed to start the async runtime: {err}");
            crate::exit::INFRA
        }
    }
}

/// Write a command's output to stdout: `Ok` when written, or when the reader went away
/// (`flowcheck schema | head`), which ends the output quietly; any other failure (a full
/// disk) is reported, never a panic as `println!` would make it.
pub fn print_out(text: impl AsRef<[u8]>) -> Result<(), u8> {
    use std::io::Write;
    // Styles are kept or stripped as `--color` and the terminal say.
    let mut out = anstream::AutoStream::auto(std::io::stdout().lock());
    match out.write_all(text.as_ref()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(err) => {
            crate::errln!("error: cannot write the output: {err}");
            Err(crate::exit::INFRA)
        }
    }
}

/// Write the whole output of a command that ends with it; its exit code.
pub fn print_all(text: impl AsRef<[u8]>) -> u8 {
    print_out(text).err().unwrap_or(crate::exit::SUCCESS)
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
