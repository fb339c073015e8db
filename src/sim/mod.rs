//! The built-in Noukai simulator: flow definitions, one block engine, an HTTP server that
//! exposes it through `/execute`, `/jobs` and `/step`, and fault injection.
//!
//! It depends on nothing but the contract (`noukai-api.md`): it shares no code or wire types
//! with the client in `crate::api`. User documentation: `docs/simulator.md`.

mod attachments;
mod auth;
pub mod blocks;
mod catalog;
mod compile;
mod definition;
mod engine;
mod errors;
pub mod faults;
mod jobs;
pub mod latency;
pub mod llm_models;
pub mod model;
mod preflight;
mod request;
mod routes;
mod seed;
mod server;
mod slug;
mod sse;
pub mod template;
mod text;

pub use catalog::{Catalog, CatalogError};
pub use server::{
    EMBEDDED_SEED, RunningSim, SimError, SimOptions, start, start_embedded, start_embedded_with,
};
