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
    // Generated in memory: clap_complete panics when it cannot write.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "flowcheck", &mut script);
    super::print_all(script)
}

pub fn man() -> u8 {
    let mut page = Vec::new();
    if let Err(err) = clap_mangen::Man::new(super::Cli::command()).render(&mut page) {
        crate::errln!("error: cannot render the man page: {err}");
        return crate::exit::INFRA;
    }
    super::print_all(page)
}
