//! What can go wrong on a call, and which of it may be retried.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error, PartialEq)]
pub enum ApiError {
    /// The server answered with an HTTP error status.
    #[error("HTTP {status}{}: {message}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default())]
    Http {
        status: u16,
        code: Option<String>,
        message: String,
        retry_after: Option<Duration>,
    },
    /// No answer: the connection failed or broke.
    #[error("{message}")]
    Transport { message: String, connect: bool },
    /// The server's TLS certificate was refused: trying again cannot help.
    #[error("{0}")]
    Untrusted(String),
    /// An answer that does not follow the contract.
    #[error("unexpected response: {0}")]
    Protocol(String),
}

impl ApiError {
    /// Whether trying again could help: rate limits, gateway errors and broken connections;
    /// a 500 only when the user asked for it; never another 4xx.
    pub fn is_retryable(&self, retry_server_errors: bool) -> bool {
        match self {
            ApiError::Http { status, .. } => match status {
                429 | 502 | 503 | 504 => true,
                500 => retry_server_errors,
                _ => false,
            },
            ApiError::Transport { .. } => true,
            ApiError::Untrusted(_) | ApiError::Protocol(_) => false,
        }
    }

    /// The error with every URL's query, fragment and user cut from its text
    /// ([`crate::secret::redact_url`]): a server's message may quote a signed URL, as it came
    /// or as its JSON wrote it (`\u0026`), and the text of a body that is not JSON is quoted
    /// raw.
    pub fn redacted(self) -> ApiError {
        use crate::secret::redact_url;
        match self {
            ApiError::Http {
                status,
                code,
                message,
                retry_after,
            } => ApiError::Http {
                status,
                code: code.map(|code| redact_url(&code)),
                message: redact_url(&message),
                retry_after,
            },
            ApiError::Transport { message, connect } => ApiError::Transport {
                message: redact_url(&message),
                connect,
            },
            ApiError::Untrusted(message) => ApiError::Untrusted(redact_url(&message)),
            ApiError::Protocol(message) => ApiError::Protocol(redact_url(&message)),
        }
    }

    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ApiError::Http { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}
