//! `/execute` on every shipped flow, versions, overrides and injected faults.

mod sim_support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sim_support::Sim;
use std::collections::HashSet;

async fn triage(sim: &Sim, version: &str, message: &str) -> Value {
    sim.execute(
        &format!("demo/support/triage{version}"),
        &json!({ "message": message }),
    )
    .await
}

#[tokio::test]
async fn the_envelope_carries_status_result_flow_id_block_count_and_execution_id() {
    let sim = Sim::start();
    let reply = sim
        .post("demo/support/triage/execute", &json!({"message": "hello"}))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let json = reply.json();
    assert_eq!(json["status"], "completed");
    assert_eq!(json["blockCount"], 3);
    assert!(uuid::Uuid::parse_str(json["flowId"].as_str().unwrap()).is_ok());
    assert!(uuid::Uuid::parse_str(json["executionId"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn triage_production_is_version_2() {
    let sim = Sim::start();
    let cases = [
        ("I want my money back", "billing", "normal", 0.92),
        ("Please send the INVOICE asap", "billing", "high", 0.92),
        ("I am locked out of my account", "account", "normal", 0.92),
        (
            "URGENT: the app crashes on start",
            "technical",
            "high",
            0.92,
        ),
        ("Something is not working", "technical", "normal", 0.92),
        ("What are your opening hours?", "general", "normal", 0.55),
    ];
    for (message, category, priority, confidence) in cases {
        let result = triage(&sim, "", message).await;
        assert_eq!(result, triage(&sim, "/v2", message).await);
        assert_eq!(
            result,
            json!({
                "category": category,
                "priority": priority,
                "reply": format!("Thanks for reaching out. I have routed your request to our {category} team."),
                "confidence": confidence,
            }),
            "{message}"
        );
    }
}

#[tokio::test]
async fn triage_version_3_regresses_and_version_1_knows_only_billing() {
    let sim = Sim::start();
    assert_eq!(
        triage(&sim, "/v3", "I want my money back").await["category"],
        "general"
    );
    assert_eq!(
        triage(&sim, "/v3", "Where is my invoice?").await["category"],
        "general"
    );
    assert_eq!(
        triage(&sim, "/v3", "The app crashed").await["category"],
        "general"
    );
    assert_eq!(
        triage(&sim, "/v3", "Please refund me").await["category"],
        "billing"
    );
    assert_eq!(
        triage(&sim, "/v3", "Please refund me").await["confidence"],
        0.88
    );
    assert_eq!(
        triage(&sim, "/v3", "I forgot my password, urgent").await["priority"],
        "high"
    );

    let v1 = triage(&sim, "/v1", "Refund please, urgent").await;
    assert_eq!(
        (
            v1["category"].as_str(),
            v1["priority"].as_str(),
            v1["confidence"].as_f64()
        ),
        (Some("billing"), Some("normal"), Some(0.8))
    );
    let v1 = triage(&sim, "/v1", "I forgot my password").await;
    assert_eq!(
        (v1["category"].as_str(), v1["confidence"].as_f64()),
        (Some("general"), Some(0.5))
    );
}

#[tokio::test]
async fn v0_is_the_draft_or_else_the_latest_version_and_unpublished_versions_are_404() {
    let sim = Sim::start();
    // triage defines no draft: v0 is version 3.
    assert_eq!(
        triage(&sim, "/v0", "I want my money back").await["category"],
        "general"
    );
    for path in [
        "demo/support/triage/v9/execute",
        "demo/support/nope/execute",
        "demo/nope/triage/execute",
    ] {
        let reply = sim.post(path, &json!({"message": "x"})).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.code(), "FLOW_NOT_FOUND");
        assert!(reply.json()["detail"]["message"].as_str().is_some());
    }
}

/// A version number too large for a version (past 4294967295) answered the generic
/// `NOT_FOUND` of an unknown endpoint; it is an unpublished version like any other, on every
/// action. A segment that is no `v` and digits stays no endpoint.
#[tokio::test]
async fn a_version_number_past_any_published_one_is_flow_not_found() {
    let sim = Sim::start();
    for version in ["99999999999999999999999", "4294967296"] {
        for action in ["execute", "jobs", "step"] {
            let path = format!("demo/support/triage/v{version}/{action}");
            let reply = sim.post(&path, &json!({"message": "x"})).await;
            assert_eq!(
                (reply.status, reply.code()),
                (StatusCode::NOT_FOUND, "FLOW_NOT_FOUND".to_string()),
                "{path}: {}",
                reply.text
            );
            assert_eq!(
                reply.json()["detail"]["message"],
                format!("Version {version} of flow demo/support/triage is not published"),
                "{path}"
            );
        }
    }
    for path in [
        "demo/support/triage/vx/execute",
        "demo/support/triage/v-1/execute",
    ] {
        let reply = sim.post(path, &json!({"message": "x"})).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::NOT_FOUND, "NOT_FOUND".to_string()),
            "{path}"
        );
    }
}

#[tokio::test]
async fn triage_refuses_attachments_because_its_model_has_no_vision() {
    let sim = Sim::start();
    let image =
        json!({"kind": "url", "url": "https://cdn.example.com/s.png", "mime_type": "image/png"});
    let reply = sim
        .post(
            "demo/support/triage/execute",
            &json!({"message": "What is this?", "attachments": [image]}),
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.code(), "MODEL_MIME_INCOMPATIBLE");
    // A block override to a vision model lifts the refusal, in either spelling.
    for key in ["blockOverrides", "block_overrides"] {
        let body = json!({"message": "What is this?", "attachments": [image], key: {"classify": {"model": "nk-vision-1"}}});
        let reply = sim.post("demo/support/triage/execute", &body).await;
        assert_eq!(reply.status, StatusCode::OK, "{key}: {}", reply.text);
    }
}

#[tokio::test]
async fn vision_describes_the_first_attachment() {
    let sim = Sim::start();
    let body = json!({"message": "Describe", "attachments": [
        {"kind": "url", "url": "https://cdn.example.com/cat.png", "mime_type": "image/png", "filename": "cat.png"},
        {"kind": "url", "url": "https://cdn.example.com/dog", "mime_type": "image/webp"},
    ]});
    assert_eq!(
        sim.execute("demo/vision/describe", &body).await,
        json!({"description": "An image (image/png) named cat.png.", "attachments": 2, "mime_types": ["image/png", "image/webp"]})
    );
    let unnamed = json!({"message": "Describe", "attachments": [{"kind": "url", "url": "https://x.io/a", "mime_type": "image/gif"}]});
    assert_eq!(
        sim.execute("demo/vision/describe", &unnamed).await["description"],
        "An image (image/gif) named unnamed."
    );
    assert_eq!(
        sim.execute("demo/vision/describe", &json!({"message": "Describe"}))
            .await,
        json!({"description": "No image was attached.", "attachments": 0, "mime_types": []})
    );
    let text_model = json!({"message": "x", "attachments": [{"kind": "url", "url": "https://x.io/a", "mime_type": "image/gif"}],
        "blockOverrides": {"describe": {"model": "nk-text-1"}}});
    assert_eq!(
        sim.post("demo/vision/describe/execute", &text_model)
            .await
            .code(),
        "MODEL_MIME_INCOMPATIBLE"
    );
}

#[tokio::test]
async fn summarize_gives_summary_title_and_word_count_and_obeys_prompt_overrides() {
    let sim = Sim::start();
    let body = json!({"message": "  The quick brown fox jumps over.   The lazy dog sleeps!  "});
    assert_eq!(
        sim.execute("demo/docs/summarize", &body).await,
        json!({"summary": "The quick brown fox jumps over.", "title": "The Quick Brown Fox Jumps", "word_count": 10})
    );
    let shout = json!({"message": "Calm words. More.", "block_overrides": {"summarize": {"prompt": "Please SHOUT the summary"}}});
    assert_eq!(
        sim.execute("demo/docs/summarize", &shout).await["summary"],
        "CALM WORDS."
    );
    assert_eq!(
        sim.execute("demo/docs/summarize/v2", &body).await["summary"],
        "TL;DR: The quick brown fox jumps over."
    );
    let unknown = json!({"message": "x", "blockOverrides": {"summarise": {"prompt": "p"}}});
    let reply = sim.post("demo/docs/summarize/execute", &unknown).await;
    assert_eq!(
        (reply.status, reply.code()),
        (
            StatusCode::BAD_REQUEST,
            "INVALID_BLOCK_OVERRIDE".to_string()
        )
    );
    assert!(reply.text.contains("did you mean"), "{}", reply.text);
    let bad_model = json!({"message": "x", "blockOverrides": {"summarize": {"model": "gpt-9"}}});
    assert_eq!(
        sim.post("demo/docs/summarize/execute", &bad_model)
            .await
            .code(),
        "INVALID_BLOCK_OVERRIDE"
    );
    let code_block = json!({"message": "x", "blockOverrides": {"clean": {"prompt": "p"}}});
    assert_eq!(
        sim.post("demo/docs/summarize/execute", &code_block)
            .await
            .code(),
        "INVALID_BLOCK_OVERRIDE"
    );
}

#[tokio::test]
async fn the_broken_flow_fails_with_a_200() {
    let sim = Sim::start();
    for _ in 0..3 {
        let reply = sim
            .post("demo/ops/broken/execute", &json!({"message": "status?"}))
            .await;
        assert_eq!(reply.status, StatusCode::OK);
        let json = reply.json();
        assert_eq!(json["status"], "failed");
        assert_eq!(
            json["result"],
            json!({"error": "upstream provider timed out", "step": "fetch"})
        );
    }
}

#[tokio::test]
async fn tagline_varies_among_variants_that_name_the_product() {
    let sim = Sim::start();
    let mut seen = HashSet::new();
    for _ in 0..30 {
        let result = sim
            .execute(
                "demo/creative/tagline",
                &json!({"message": "Write a tagline for Acme Rocket Boots."}),
            )
            .await;
        let tagline = result["tagline"].as_str().unwrap().to_string();
        assert!(tagline.contains("Acme Rocket Boots"), "{tagline}");
        seen.insert(tagline);
    }
    assert_eq!(seen.len(), 3, "{seen:?}");
    let plain = sim
        .execute(
            "demo/creative/tagline",
            &json!({"message": "  Zephyr   Kettle "}),
        )
        .await;
    assert!(plain["tagline"].as_str().unwrap().contains("Zephyr Kettle"));
}

#[tokio::test]
async fn echo_and_long_report() {
    let sim = Sim::start();
    assert_eq!(
        sim.execute("demo/bench/echo", &json!({"message": "ping"}))
            .await,
        json!({"echo": "ping"})
    );
    assert_eq!(
        sim.execute("demo/long/report", &json!({"message": "Q3 sales"}))
            .await,
        json!({"report": "Report for: Q3 sales", "sections": 3})
    );
}

#[tokio::test]
async fn rate_limited_answers_the_first_of_every_three_with_429_and_retry_after() {
    let sim = Sim::start();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let reply = sim
            .post("demo/flaky/rate-limited/execute", &json!({"message": "x"}))
            .await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(reply.headers["retry-after"], "1");
            assert_eq!(reply.code(), "RATE_LIMITED");
        } else {
            assert_eq!(reply.json()["result"], json!({"ok": true}));
        }
        statuses.push(reply.status.as_u16());
    }
    assert_eq!(statuses, [429, 200, 200, 429, 200, 200]);
}

#[tokio::test]
async fn rate_limited_versions_2_and_3_inject_503_and_500() {
    let sim = Sim::start();
    let mut statuses = Vec::new();
    for version in ["v2", "v2", "v3", "v3"] {
        let reply = sim
            .post(
                &format!("demo/flaky/rate-limited/{version}/execute"),
                &json!({"message": "x"}),
            )
            .await;
        statuses.push((reply.status.as_u16(), reply.code_or_ok()));
    }
    assert_eq!(
        statuses,
        [
            (503, "SERVICE_UNAVAILABLE".into()),
            (200, "ok".into()),
            (500, "INTERNAL_ERROR".into()),
            (200, "ok".into())
        ]
    );
}

trait CodeOrOk {
    fn code_or_ok(&self) -> String;
}

impl CodeOrOk for sim_support::Reply {
    fn code_or_ok(&self) -> String {
        if self.status == StatusCode::OK {
            "ok".to_string()
        } else {
            self.code()
        }
    }
}
