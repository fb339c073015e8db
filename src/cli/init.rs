//! `flowcheck init`: scaffold a first suite for a flow.

use crate::exit;
use crate::suite::FlowRef;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The flow to test: org/project/flow.
    pub flow: String,
    /// The folder to write the suite in.
    #[arg(long, default_value = "suites", value_parser = crate::files::folder_argument)]
    pub dir: PathBuf,
    /// Replace the file if it exists.
    #[arg(long)]
    pub force: bool,
}

pub fn init(args: InitArgs) -> u8 {
    let flow = match FlowRef::parse(&args.flow) {
        Ok(flow) => flow,
        Err(message) => {
            crate::errln!("error: {message}");
            return exit::USAGE;
        }
    };
    if args.dir.exists() && !args.dir.is_dir() {
        crate::errln!("error: {} is not a folder", args.dir.display());
        return exit::USAGE;
    }
    let file = args.dir.join(format!("{}.yaml", flow.flow));
    if file.exists() && !args.force {
        crate::errln!(
            "error: {} exists; pass --force to replace it",
            file.display()
        );
        return exit::USAGE;
    }
    if let Err(message) =
        crate::files::write_atomic(&file, &scaffold(&flow, &schema_path(&args.dir)))
    {
        crate::errln!("error: {message}");
        return exit::INFRA;
    }
    let file = file.display();
    super::print_all(format!(
        "wrote {file}\nnext: edit the case, then `flowcheck validate {file}` and `flowcheck run {file}`\n      (add `--embedded` to run a demo/... flow on the built-in simulator)\n      (`flowcheck schema > .flowcheck-schema.json` gives your editor completion)\n"
    ))
}

/// Where the suite's editor finds `.flowcheck-schema.json` in the current folder (where the
/// hint writes it), from the suite's folder: `../` once a folder below it, an absolute path
/// when the folder is not below it.
fn schema_path(dir: &Path) -> String {
    const FILE: &str = ".flowcheck-schema.json";
    let below = dir.is_relative()
        && dir
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if below {
        let depth = dir
            .components()
            .filter(|c| matches!(c, Component::Normal(_)))
            .count();
        return format!("{}{FILE}", "../".repeat(depth));
    }
    std::env::current_dir()
        .map(|cwd| cwd.join(FILE).display().to_string())
        .unwrap_or_else(|_| FILE.to_owned())
}

fn scaffold(flow: &FlowRef, schema: &str) -> String {
    format!(
        r#"# yaml-language-server: $schema={schema}
# A flowcheck suite for {flow}. Reference: the README's "Writing suites".
suite: {name}
flow: {flow}
targets: [production]          # add versions to compare, e.g. [production, v2]
mode: sync                     # sync (/execute), async (/jobs + polling) or step (/step)
defaults:
  timeout: 30s

cases:
  - name: answers a typical message
    tags: [smoke]
    message: "Replace this with a real input"
    expect:
      status: completed
      output:
        # JSONPath into the flow's result, and one predicate per check:
        - path: $
          exists: true
        # - {{path: $.category, equals: billing}}
        # - {{path: $.reply, contains: refund}}
        # - {{path: $.confidence, gte: 0.7}}
"#,
        name = flow.flow
    )
}
