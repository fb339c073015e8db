//! `flowcheck completions SHELL` and `flowcheck man`: generated from the clap definitions, so
//! they never drift from the commands.

use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, powershell or elvish.
    pub shell: clap_complete::Shell,
}

pub fn completions(args: CompletionsArgs) -> u8 {
    let mut command = super::Cli::command();
    clap_complete::generate(
        args.shell,
        &mut command,
        "flowcheck",
        &mut std::io::stdout(),
    );
    crate::exit::SUCCESS
}

pub fn man() -> u8 {
    let page = clap_mangen::Man::new(super::Cli::command());
    match page.render(&mut std::io::stdout()) {
        Ok(()) => crate::exit::SUCCESS,
        Err(err) => {
            eprintln!("error: cannot write the man page: {err}");
            crate::exit::INFRA
        }
    }
}
