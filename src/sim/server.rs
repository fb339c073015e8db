//! The HTTP server: shared state, the router, start and graceful shutdown.

use crate::sim::catalog::{Catalog, CatalogError};
use crate::sim::faults::FlowCounters;
use crate::sim::jobs::JobTable;
use crate::sim::model::Flow;
use crate::sim::routes;
use axum::Router;
use axum::routing::{any, get};
use serde_json::json;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The seed `start_embedded` uses, so embedded runs are reproducible.
pub const EMBEDDED_SEED: u64 = 42;

pub struct SimOptions {
    pub addr: SocketAddr,
    pub api_key: String,
    /// Keys scoped to one project (`org/project`, key), as Noukai issues them.
    pub project_keys: Vec<(String, String)>,
    pub catalog: Catalog,
    pub seed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("failed to listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("failed to load the built-in flows: {0}")]
    Catalog(#[from] CatalogError),
}

pub struct AppState {
    pub api_key: String,
    pub project_keys: Vec<(String, String)>,
    pub catalog: Catalog,
    pub seed: u64,
    pub jobs: JobTable,
    /// Built once at start for every flow: the hot path only reads this map.
    counters: HashMap<String, FlowCounters>,
    /// For a flow missing from `counters` (cannot happen; kept so lookups need no unwrap).
    spare: FlowCounters,
}

impl AppState {
    pub fn counters(&self, flow: &Flow) -> &FlowCounters {
        self.counters.get(&flow.path()).unwrap_or(&self.spare)
    }
}

/// A simulator serving in the background.
pub struct RunningSim {
    url: String,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl RunningSim {
    /// The host root, e.g. `http://127.0.0.1:41234`; the API lives under `/api/v1/seq`.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop accepting connections, let requests in flight finish, and return.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

pub async fn start(options: SimOptions) -> Result<RunningSim, SimError> {
    let bind_error = |source| SimError::Bind {
        addr: options.addr,
        source,
    };
    let listener = tokio::net::TcpListener::bind(options.addr)
        .await
        .map_err(bind_error)?;
    let addr = listener.local_addr().map_err(bind_error)?;
    let counters = options
        .catalog
        .flows()
        .iter()
        .map(|flow| (flow.path(), FlowCounters::default()))
        .collect();
    let state = Arc::new(AppState {
        api_key: options.api_key,
        project_keys: options.project_keys,
        catalog: options.catalog,
        seed: options.seed,
        jobs: JobTable::default(),
        counters,
        spare: FlowCounters::default(),
    });
    let app = Router::new()
        .route("/api/v1/seq/{*rest}", any(routes::dispatch))
        .route(
            "/health",
            get(|| async { axum::Json(json!({ "status": "ok" })) }).fallback(|| async {
                // Every error is the API's JSON, a method the route lacks too.
                crate::sim::errors::ApiError::new(
                    axum::http::StatusCode::METHOD_NOT_ALLOWED,
                    "METHOD_NOT_ALLOWED",
                    "/health answers GET",
                )
            }),
        )
        .fallback(|| async {
            crate::sim::errors::ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "NOT_FOUND",
                "No such endpoint",
            )
        })
        .with_state(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let serving = axum::serve(listener, app).with_graceful_shutdown(async {
            // A dropped handle also stops the server.
            let _ = stopped.await;
        });
        if let Err(err) = serving.await {
            crate::errln!("flowcheck simulator: server error: {err}");
        }
    });
    Ok(RunningSim {
        url: format!("http://{}", display_addr(addr)),
        addr,
        stop: Some(stop),
        task,
    })
}

/// The shipped flows on an ephemeral loopback port with the demo key and a fixed seed.
pub async fn start_embedded() -> Result<RunningSim, SimError> {
    start_embedded_with(Catalog::builtin()?).await
}

/// [`start_embedded`] serving `catalog` (`--embedded --flows PATH`).
pub async fn start_embedded_with(catalog: Catalog) -> Result<RunningSim, SimError> {
    start(SimOptions {
        addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
        api_key: crate::DEMO_API_KEY.to_string(),
        project_keys: Vec::new(),
        catalog,
        seed: EMBEDDED_SEED,
    })
    .await
}

/// A wildcard bind is reachable on loopback; print that rather than 0.0.0.0.
fn display_addr(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}
