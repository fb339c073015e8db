//! `Authorization: Bearer <key>`. Keys are compared in constant time and never echoed. The
//! simulator's own key opens every project; a project key (`serve --project-key`) opens one,
//! as Noukai's keys do.

use crate::sim::errors::ApiError;
use axum::http::{HeaderMap, StatusCode, header};

/// What a key may reach: every project, or the one it was issued for (`org/project`).
#[derive(Debug, PartialEq)]
pub enum Scope<'a> {
    All,
    Project(&'a str),
}

impl Scope<'_> {
    /// 403 for a flow of another project than the key's.
    pub fn allows(&self, org: &str, project: &str) -> Result<(), ApiError> {
        match self {
            Scope::Project(scoped) if *scoped != format!("{org}/{project}") => Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "FORBIDDEN",
                format!("This API key has no access to project {org}/{project}"),
            )),
            _ => Ok(()),
        }
    }
}

pub fn check<'a>(
    headers: &HeaderMap,
    expected: &str,
    project_keys: &'a [(String, String)],
) -> Result<Scope<'a>, ApiError> {
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim());
    let Some(key) = presented else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "UNAUTHORIZED",
            "Missing API key: send `Authorization: Bearer <key>`",
        ));
    };
    if constant_time_eq(key.as_bytes(), expected.as_bytes()) {
        return Ok(Scope::All);
    }
    project_keys
        .iter()
        .find(|(_, project_key)| constant_time_eq(key.as_bytes(), project_key.as_bytes()))
        .map(|(project, _)| Scope::Project(project.as_str()))
        .ok_or_else(|| ApiError::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", "Invalid API key"))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use axum::response::IntoResponse;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn only_the_right_bearer_key_passes() {
        assert!(check(&with("Bearer k1"), "k1", &[]).is_ok());
        assert!(check(&with("bearer k1"), "k1", &[]).is_ok());
        assert!(check(&with("Bearer k2"), "k1", &[]).is_err());
        assert!(check(&with("Basic k1"), "k1", &[]).is_err());
        assert!(check(&HeaderMap::new(), "k1", &[]).is_err());
    }

    #[test]
    fn a_project_key_opens_its_project_only() {
        let keys = [("acme/shop".to_owned(), "shop-key".to_owned())];
        let scope = check(&with("Bearer shop-key"), "k1", &keys);
        assert_eq!(scope.as_ref().ok(), Some(&Scope::Project("acme/shop")));
        let scope = scope.unwrap_or(Scope::All);
        assert!(scope.allows("acme", "shop").is_ok());
        let refused = scope
            .allows("acme", "support")
            .map_err(|e| e.into_response().status());
        assert_eq!(refused, Err(StatusCode::FORBIDDEN));
        assert_eq!(
            check(&with("Bearer k1"), "k1", &keys).ok(),
            Some(Scope::All)
        );
    }
}
