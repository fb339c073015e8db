//! Routing under `/api/v1/seq`: the path is parsed by hand so that every unknown path, version
//! or method gets a JSON error in the contract's shape, and authentication comes first.
//!
//! Also what the routes share before a run: the flow and version a URL names (`resolve`), the
//! checks of overrides and attachments (`run_input`), the HTTP fault knobs (`http_fault`) and
//! the seed of an `/execute` or `/jobs` run (`next_run`). Each route has its own file.

mod execute;
mod jobs;
mod step;

use crate::sim::engine::RunInput;
use crate::sim::errors::ApiError;
use crate::sim::faults::FlowCounters;
use crate::sim::model::{Flow, Version, VersionSelector};
use crate::sim::request::RunBody;
use crate::sim::server::AppState;
use crate::sim::{auth, preflight, seed};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

pub const PREFIX: &str = "/api/v1/seq/";

#[derive(Debug, PartialEq)]
enum Action<'a> {
    Execute,
    Submit,
    Step,
    Poll(&'a str),
}

struct Target<'a> {
    org: &'a str,
    project: &'a str,
    flow: &'a str,
    version: VersionSelector,
    /// The version's digits as the URL writes them (`v7`: `7`); empty without one.
    version_digits: &'a str,
    action: Action<'a>,
}

fn parse_path(path: &str) -> Option<Target<'_>> {
    let rest = path.strip_prefix(PREFIX)?.trim_end_matches('/');
    let segments: Vec<&str> = rest.split('/').collect();
    let (org, project, flow, tail) = match segments.as_slice() {
        [org, project, flow, tail @ ..] => (*org, *project, *flow, tail),
        _ => return None,
    };
    let (version, version_digits, tail) = match tail.split_first() {
        Some((first, after)) if is_version(first) => (parse_version(first), &first[1..], after),
        _ => (VersionSelector::Production, "", tail),
    };
    let action = match tail {
        ["execute"] => Action::Execute,
        ["jobs"] => Action::Submit,
        ["step"] => Action::Step,
        ["jobs", id] => Action::Poll(id),
        _ => return None,
    };
    Some(Target {
        org,
        project,
        flow,
        version,
        version_digits,
        action,
    })
}

fn is_version(segment: &str) -> bool {
    segment.len() > 1
        && segment.starts_with('v')
        && segment[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `v0` is the draft, `vN` version N; a number too large to parse is a version no flow
/// publishes (404 FLOW_NOT_FOUND, as for any other unpublished version), not an unknown
/// endpoint.
fn parse_version(segment: &str) -> VersionSelector {
    match segment[1..].parse::<u32>() {
        Ok(0) => VersionSelector::Draft,
        Ok(number) => VersionSelector::Number(number),
        Err(_) => VersionSelector::Beyond,
    }
}

/// Every request under `/api/v1/seq`.
pub async fn dispatch(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let scope = match auth::check(&headers, &state.api_key, &state.project_keys) {
        Ok(scope) => scope,
        Err(err) => return err.into_response(),
    };
    let Some(target) = parse_path(uri.path()) else {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            format!("No such endpoint: {}", uri.path()),
        )
        .into_response();
    };
    if let Err(err) = scope.allows(target.org, target.project) {
        return err.into_response();
    }
    let expected = if matches!(target.action, Action::Poll(_)) {
        Method::GET
    } else {
        Method::POST
    };
    if method != expected {
        return ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED",
            format!("{method} is not allowed here; use {expected}"),
        )
        .into_response();
    }
    let result = match target.action {
        Action::Execute => execute::handle(&state, &target, &body).await,
        Action::Submit => jobs::submit(&state, &target, &body).await,
        Action::Poll(id) => jobs::poll(&state, &target, id),
        Action::Step => step::handle(&state, &target, &body).await,
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The flow and version a URL names, or 404 FLOW_NOT_FOUND.
fn resolve(state: &AppState, target: &Target) -> Result<(Arc<Flow>, Arc<Version>), ApiError> {
    let path = format!("{}/{}/{}", target.org, target.project, target.flow);
    let flow = state
        .catalog
        .get(target.org, target.project, target.flow)
        .ok_or_else(|| ApiError::flow_not_found(format!("Flow {path} was not found")))?;
    let version = flow.version(target.version).ok_or_else(|| {
        let number = match target.version {
            VersionSelector::Number(number) => number.to_string(),
            VersionSelector::Beyond => target.version_digits.to_owned(),
            _ => return ApiError::flow_not_found(format!("Flow {path} has no such version")),
        };
        ApiError::flow_not_found(format!("Version {number} of flow {path} is not published"))
    })?;
    Ok((flow.clone(), version.clone()))
}

/// What `/execute` and `/jobs` share: resolve the flow, check the body, apply the HTTP fault
/// knobs, and set up the run of the one engine.
fn prepare_run(
    state: &AppState,
    target: &Target,
    body: &[u8],
) -> Result<(Arc<Flow>, Arc<Version>, crate::sim::engine::Execution), ApiError> {
    let (flow, version) = resolve(state, target)?;
    let body = crate::sim::request::run_body(
        &crate::sim::request::parse_json(body)?,
        flow.message_required,
    )?;
    let input = run_input(&version, body)?;
    http_fault(state, &flow, &version)?;
    let (run_seed, fails) = next_run(state, &flow, &version);
    let execution = crate::sim::engine::Execution::new(version.clone(), input, run_seed, fails);
    Ok((flow, version, execution))
}

/// The checks every run shares, before any work: overrides, attachments vs. models.
fn run_input(version: &Version, body: RunBody) -> Result<RunInput, ApiError> {
    let overrides = preflight::block_overrides(version, &body.block_overrides)?;
    preflight::vision(version, &overrides, !body.attachments.is_empty())?;
    Ok(RunInput {
        message: body.message.unwrap_or_default(),
        parameters: body.parameters,
        attachments: body.attachments,
        overrides,
    })
}

/// Injected HTTP faults (429, 500, 503, ...), counted per flow.
fn http_fault(state: &AppState, flow: &Flow, version: &Version) -> Result<(), ApiError> {
    let counters = state.counters(flow);
    match counters.http_fault(&version.knobs.faults, seed::mix(state.seed, flow.seed)) {
        Some(fault) => Err(ApiError::Coded {
            status: StatusCode::from_u16(fault.kind.status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code: fault.kind.code(),
            message: fault.kind.message().to_string(),
            retry_after: fault.retry_after,
        }),
        None => Ok(()),
    }
}

/// Seed and fail decision for a run of `/execute` or `/jobs`.
fn next_run(state: &AppState, flow: &Flow, version: &Version) -> (u64, bool) {
    let counters: &FlowCounters = state.counters(flow);
    let run = counters.next_run();
    let run_seed = seed::mix(seed::mix(state.seed, flow.seed), run);
    let fails = version
        .knobs
        .faults
        .fail
        .as_ref()
        .is_some_and(|fail| fail.schedule.fires(run, seed::mix(run_seed, FAIL_SALT)));
    (run_seed, fails)
}

const FAIL_SALT: u64 = 0x0fa1;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_parse_into_targets() {
        let t = parse_path("/api/v1/seq/demo/support/triage/v3/execute").unwrap();
        assert_eq!(
            (t.org, t.project, t.flow, t.version),
            ("demo", "support", "triage", VersionSelector::Number(3))
        );
        assert_eq!(t.action, Action::Execute);
        let t = parse_path("/api/v1/seq/demo/support/triage/v0/step").unwrap();
        assert_eq!(
            (t.version, t.action),
            (VersionSelector::Draft, Action::Step)
        );
        let t = parse_path("/api/v1/seq/demo/support/triage/jobs/abc").unwrap();
        assert_eq!(
            (t.version, t.action),
            (VersionSelector::Production, Action::Poll("abc"))
        );
        assert!(parse_path("/api/v1/seq/demo/support/triage/vx/execute").is_none());
        assert!(parse_path("/api/v1/seq/demo/support/triage").is_none());
        assert!(parse_path("/api/v1/seq/demo/support/triage/run").is_none());
    }
}
