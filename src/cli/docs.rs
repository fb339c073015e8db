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

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// The command whose page to print (`run`, `snapshots review`); the top page without one.
    pub command: Vec<String>,
    /// Write every page (`flowcheck.1`, `flowcheck-run.1`, ...) into this folder instead.
    #[arg(long, value_name = "DIR", conflicts_with = "command",
          value_parser = crate::files::folder_argument)]
    pub dir: Option<std::path::PathBuf>,
}

pub fn man(args: ManArgs) -> u8 {
    // Every page's header names the version, the subcommands' too; only the top command
    // takes `-V` (`flowcheck run -V` is refused, so its page must not offer it).
    fn versioned(command: clap::Command) -> clap::Command {
        command
            .version(env!("CARGO_PKG_VERSION"))
            .disable_version_flag(true)
            .mut_subcommands(versioned)
    }
    let mut top = super::Cli::command()
        .disable_help_subcommand(true)
        .mut_subcommands(versioned);
    top.build();
    if let Some(dir) = args.dir {
        return write_pages(top, &dir);
    }
    let mut page = top;
    let mut path = vec!["flowcheck"];
    for name in &args.command {
        let Some(sub) = page.find_subcommand(name).cloned() else {
            let names: Vec<&str> = page.get_subcommands().map(|c| c.get_name()).collect();
            let path = path.join(" ");
            match names.is_empty() {
                true => crate::errln!(
                    "error: `{path}` has no commands (its page is `flowcheck man {}`)",
                    args.command[..path.split(' ').count() - 1].join(" ")
                ),
                false => crate::errln!(
                    "error: `{path}` has no command `{name}`; its commands are: {}",
                    names.join(", ")
                ),
            }
            return crate::exit::USAGE;
        };
        path.push(name);
        page = sub;
    }
    let mut roff = Vec::new();
    if let Err(err) = man_page(page).render(&mut roff) {
        crate::errln!("error: cannot render the man page: {err}");
        return crate::exit::INFRA;
    }
    super::print_all(roff)
}

/// A command's page; its header names flowcheck and its version (`flowcheck 0.1.0`), where
/// clap_mangen names the command (`review 0.1.0`).
fn man_page(command: clap::Command) -> clap_mangen::Man {
    clap_mangen::Man::new(command).source(format!("flowcheck {}", env!("CARGO_PKG_VERSION")))
}

/// Every page, the top one and one per command (`flowcheck-snapshots-review.1`), into `dir`.
fn write_pages(top: clap::Command, dir: &std::path::Path) -> u8 {
    fn pages(command: clap::Command, found: &mut Vec<clap::Command>) {
        for sub in command.get_subcommands() {
            pages(sub.clone(), found);
        }
        found.push(command);
    }
    if let Err(err) = std::fs::create_dir_all(dir) {
        crate::errln!("error: cannot make the folder {}: {err}", dir.display());
        return crate::exit::USAGE;
    }
    let mut found = Vec::new();
    pages(top, &mut found);
    let mut written = String::new();
    for page in found.into_iter().rev() {
        let man = man_page(page);
        let path = dir.join(man.get_filename());
        let mut roff = Vec::new();
        let result = man
            .render(&mut roff)
            .and_then(|()| std::fs::write(&path, roff));
        if let Err(err) = result {
            crate::errln!("error: cannot write {}: {err}", path.display());
            return crate::exit::INFRA;
        }
        written.push_str(&format!("{}\n", path.display()));
    }
    super::print_all(written)
}
