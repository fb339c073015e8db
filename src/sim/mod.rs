//! The built-in Noukai simulator (placeholder until the simulator lands).

/// A running simulator.
pub struct RunningSim {
    url: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SimError(String);

impl RunningSim {
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn shutdown(self) {}
}

pub async fn start_embedded() -> Result<RunningSim, SimError> {
    Err(SimError("the simulator is not built yet".into()))
}
