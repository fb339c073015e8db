//! `Authorization: Bearer <key>`. The key is compared in constant time and never echoed.

use crate::sim::errors::ApiError;
use axum::http::{HeaderMap, StatusCode, header};

pub fn check(headers: &HeaderMap, expected: &str) -> Result<(), ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    match presented {
        Some(key) if constant_time_eq(key.as_bytes(), expected.as_bytes()) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Invalid API key",
        )),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Missing API key: send `Authorization: Bearer <key>`",
        )),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_right_bearer_key_passes() {
        assert!(check(&with("Bearer k1"), "k1").is_ok());
        assert!(check(&with("bearer k1"), "k1").is_ok());
        assert!(check(&with("Bearer k2"), "k1").is_err());
        assert!(check(&with("Basic k1"), "k1").is_err());
        assert!(check(&HeaderMap::new(), "k1").is_err());
    }
}
