//! `flowcheck serve`: the built-in simulator as a standalone server.

use crate::exit::{INFRA, SUCCESS, USAGE};
use crate::sim::{Catalog, SimOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8787")]
    pub addr: String,
    /// Flow definitions to serve (a YAML file or a folder); default: the shipped examples.
    #[arg(long, value_name = "PATH")]
    pub flows: Option<PathBuf>,
    /// The API key the simulator accepts (default: the documented demo key).
    #[arg(
        long,
        value_name = "KEY",
        env = "FLOWCHECK_SIM_API_KEY",
        hide_env_values = true
    )]
    pub api_key: Option<String>,
    /// A key that opens one project only, as Noukai's keys do: `ORG/PROJECT=KEY` (repeatable);
    /// another project's flows answer 403 to it.
    #[arg(long = "project-key", value_name = "ORG/PROJECT=KEY", value_parser = project_key)]
    pub project_keys: Vec<(String, String)>,
    /// Seed for every simulated random choice (latency, fault rates, llm variants).
    #[arg(long, value_name = "N", default_value_t = crate::sim::EMBEDDED_SEED)]
    pub seed: u64,
}

/// `acme/shop=KEY`.
fn project_key(text: &str) -> Result<(String, String), String> {
    let wrong = || {
        format!("{text:?} is not ORG/PROJECT=KEY with lower-case slugs (e.g. acme/shop=nk_test_1)")
    };
    let (project, key) = text.split_once('=').ok_or_else(wrong)?;
    let (org, name) = project.split_once('/').ok_or_else(wrong)?;
    let slug = |s: &str| crate::suite::target::check_slug(s).is_ok();
    if !slug(org) || !slug(name) {
        return Err(wrong());
    }
    // Keys are compared trimmed, as clients send them; a client can send only what an HTTP
    // header carries.
    let key = key.trim();
    if key.is_empty() || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(format!(
            "the key of {project} must be printable ASCII without spaces, as an HTTP header carries it"
        ));
    }
    Ok((project.to_owned(), key.to_owned()))
}

pub async fn serve(args: ServeArgs) -> u8 {
    let addr = match resolve(&args.addr).await {
        Ok(addr) => addr,
        Err(message) => {
            crate::errln!("error: {message}");
            return USAGE;
        }
    };
    let loaded = match &args.flows {
        Some(path) => Catalog::load(path),
        None => Catalog::builtin(),
    };
    let catalog = match loaded {
        Ok(catalog) => catalog,
        Err(err) => {
            crate::errln!("error: {err}");
            let hint = match err {
                crate::sim::CatalogError::Invalid { .. } => ": fix the flow definition above",
                _ => "",
            };
            crate::errln!("error: the simulator did not start{hint}");
            return USAGE;
        }
    };
    // A key for a project no flow is in would open nothing: a typo, said now.
    let projects: std::collections::BTreeSet<String> = catalog
        .flows()
        .iter()
        .map(|flow| format!("{}/{}", flow.org, flow.project))
        .collect();
    if let Some((project, _)) = args
        .project_keys
        .iter()
        .find(|(p, _)| !projects.contains(p))
    {
        let served: Vec<&str> = projects.iter().map(String::as_str).collect();
        crate::errln!(
            "error: --project-key names {project}, which no served flow is in (projects: {})",
            served.join(", ")
        );
        return USAGE;
    }
    let flow_count = catalog.len();
    let options = SimOptions {
        addr,
        api_key: args
            .api_key
            .unwrap_or_else(|| crate::DEMO_API_KEY.to_string()),
        project_keys: args.project_keys,
        catalog,
        seed: args.seed,
    };
    let running = match crate::sim::start(options).await {
        Ok(running) => running,
        Err(err) => {
            crate::errln!("error: {err}");
            return INFRA;
        }
    };
    // Handlers go in before the line is printed: whoever reads it may signal us at once.
    let stop = StopSignal::install();
    // The one line on stdout: scripts and tests wait for it to learn the URL.
    let mut stdout = std::io::stdout().lock();
    let printed = writeln!(stdout, "flowcheck simulator listening on {}", running.url())
        .and_then(|()| stdout.flush());
    drop(stdout);
    if printed.is_err() {
        running.shutdown().await;
        return INFRA;
    }
    let bound = running.local_addr();
    if bound.ip().is_unspecified() {
        // The URL above is this machine's way in; the socket takes every interface's.
        crate::errln!(
            "note: bound to {bound}: other machines can reach the simulator too, with its key"
        );
    }
    crate::errln!(
        "serving {}; press Ctrl-C to stop",
        crate::words::counted(flow_count as u64, "flow")
    );
    stop.wait().await;
    running.shutdown().await;
    crate::errln!("simulator stopped");
    SUCCESS
}

async fn resolve(addr: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = addr.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let mut found = tokio::net::lookup_host(addr)
        .await
        .map_err(|err| format!("--addr {addr:?} is not HOST:PORT: {err}"))?;
    found
        .next()
        .ok_or_else(|| format!("--addr {addr:?} resolves to no address"))
}

/// Ctrl-C or (on Unix) SIGTERM.
struct StopSignal {
    #[cfg(unix)]
    signals: Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>,
}

impl StopSignal {
    fn install() -> StopSignal {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let interrupt = signal(SignalKind::interrupt()).ok();
            let terminate = signal(SignalKind::terminate()).ok();
            StopSignal {
                signals: interrupt.zip(terminate),
            }
        }
        #[cfg(not(unix))]
        {
            StopSignal {}
        }
    }

    async fn wait(self) {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = self.signals {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::project_key;

    #[test]
    fn a_project_key_names_a_project_by_its_slugs_and_is_trimmed() {
        assert_eq!(
            project_key("acme/shop=k1 "),
            Ok(("acme/shop".to_owned(), "k1".to_owned()))
        );
        for wrong in [
            "Acme/shop=k1",
            "acme=k1",
            "acme/shop=",
            "acme/shop/x=k1",
            "a/shop=k",
        ] {
            assert!(project_key(wrong).is_err(), "{wrong}");
        }
    }
}
