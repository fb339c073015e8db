//! `flowcheck serve`: the built-in simulator as a standalone server.

use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787")]
    pub addr: String,
    /// Flow definitions to serve (a YAML file or a folder); default: the shipped examples.
    #[arg(long)]
    pub flows: Option<PathBuf>,
    /// The API key the simulator accepts (default: the documented demo key).
    #[arg(long, env = "FLOWCHECK_SIM_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

pub async fn serve(_args: ServeArgs) -> u8 {
    eprintln!("error: the simulator is not built yet");
    crate::exit::INFRA
}
