//! `/jobs` (202) and polling: pending, running, completed or failed; unknown jobs are 404.

mod sim_support;

use reqwest::StatusCode;
use serde_json::json;
use sim_support::Sim;

#[tokio::test]
async fn a_long_job_goes_pending_running_completed() {
    let sim = Sim::start();
    let reply = sim
        .post("demo/long/report/jobs", &json!({"message": "Q3 sales"}))
        .await;
    assert_eq!(reply.status, StatusCode::ACCEPTED);
    let json = reply.json();
    assert_eq!(json["status"], "started");
    assert_eq!(json["blockCount"], 3);
    assert!(json["flowId"].is_string());

    let (seen, last) = sim
        .job("demo/long/report", &json!({"message": "Q3 sales"}))
        .await;
    let order = ["pending", "running", "completed"];
    let positions: Vec<usize> = seen
        .iter()
        .map(|s| order.iter().position(|o| o == s).expect("a known status"))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "statuses go forward: {seen:?}"
    );
    assert!(seen.contains(&"running".to_string()), "{seen:?}");
    assert_eq!(seen.last().map(String::as_str), Some("completed"));
    assert_eq!(
        last["result"],
        json!({"report": "Report for: Q3 sales", "sections": 3})
    );
    assert!(last["executionId"].is_string());
}

#[tokio::test]
async fn a_failing_flow_gives_a_failed_job_with_an_error() {
    let sim = Sim::start();
    let (_, last) = sim
        .job("demo/ops/broken", &json!({"message": "status?"}))
        .await;
    assert_eq!(last["status"], "failed");
    assert_eq!(last["error"], "upstream provider timed out");
}

#[tokio::test]
async fn a_versioned_submit_is_polled_at_the_unversioned_url() {
    let sim = Sim::start();
    let (_, v3) = sim
        .job(
            "demo/support/triage/v3",
            &json!({"message": "I want my money back"}),
        )
        .await;
    assert_eq!(v3["result"]["category"], "general");
    let (_, v2) = sim
        .job(
            "demo/support/triage/v2",
            &json!({"message": "I want my money back"}),
        )
        .await;
    assert_eq!(v2["result"]["category"], "billing");
}

#[tokio::test]
async fn unknown_jobs_are_404_job_not_found() {
    let sim = Sim::start();
    let reply = sim
        .get("demo/long/report/jobs/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::NOT_FOUND, "JOB_NOT_FOUND".to_string())
    );
    let reply = sim.get("demo/long/report/jobs/not-a-uuid").await;
    assert_eq!(reply.code(), "JOB_NOT_FOUND");
    // A real job, asked for under another flow.
    let submitted = sim
        .post("demo/bench/echo/jobs", &json!({"message": "x"}))
        .await
        .json();
    let id = submitted["executionId"].as_str().unwrap();
    assert_eq!(
        sim.get(&format!("demo/long/report/jobs/{id}")).await.code(),
        "JOB_NOT_FOUND"
    );
    assert_eq!(
        sim.get(&format!("demo/bench/echo/jobs/{id}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn job_submission_shares_the_request_checks() {
    let sim = Sim::start();
    let image = json!({"kind": "url", "url": "https://x.io/a.png", "mime_type": "image/png"});
    let reply = sim
        .post(
            "demo/support/triage/jobs",
            &json!({"message": "x", "attachments": [image]}),
        )
        .await;
    assert_eq!(reply.code(), "MODEL_MIME_INCOMPATIBLE");
    assert_eq!(
        sim.post("demo/support/triage/v7/jobs", &json!({"message": "x"}))
            .await
            .code(),
        "FLOW_NOT_FOUND"
    );
    assert_eq!(
        sim.post("demo/flaky/rate-limited/jobs", &json!({"message": "x"}))
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
