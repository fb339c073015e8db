//! Authentication, request validation (FastAPI 422 shapes), malformed bodies, attachment rules
//! and unknown endpoints: always a 4xx in the contract's shape, never a 5xx.

mod sim_support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sim_support::{KEY, Sim};

#[tokio::test]
async fn a_missing_or_wrong_key_is_401_and_the_key_is_never_echoed() {
    let sim = Sim::start();
    let url = sim.api("demo/bench/echo/execute");
    let body = json!({"message": "x"}).to_string();
    let cases = [
        sim.client.post(&url).body(body.clone()),
        sim.client
            .post(&url)
            .bearer_auth("nk_test_wrongwro_wrongwrongwrongwrongwrongwrongwr")
            .body(body.clone()),
        sim.client
            .post(&url)
            .header("authorization", format!("Basic {KEY}"))
            .body(body.clone()),
        sim.client.get(sim.api("demo/bench/echo/jobs/123")),
        sim.client
            .post(sim.api("demo/bench/echo/step"))
            .body(body.clone()),
    ];
    for request in cases {
        let reply = sim.send(request).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.text);
        assert_eq!(reply.code(), "UNAUTHORIZED");
        assert!(!reply.text.contains("wrongwro") && !reply.text.contains(KEY));
    }
}

#[tokio::test]
async fn a_custom_api_key_replaces_the_demo_key() {
    let sim = Sim::start_with(&[
        "--api-key",
        "nk_test_custom00_0123456789abcdef0123456789abcdef",
    ]);
    let refused = sim
        .post("demo/bench/echo/execute", &json!({"message": "x"}))
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let request = sim
        .client
        .post(sim.api("demo/bench/echo/execute"))
        .bearer_auth("nk_test_custom00_0123456789abcdef0123456789abcdef")
        .body(json!({"message": "x"}).to_string());
    assert_eq!(sim.send(request).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_missing_message_is_fastapis_422() {
    let sim = Sim::start();
    for path in ["demo/support/triage/execute", "demo/support/triage/jobs"] {
        let reply = sim.post(path, &json!({"parameters": {"lang": "en"}})).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            reply.json(),
            json!({"detail": [{"type": "missing", "loc": ["body", "message"], "msg": "Field required"}]})
        );
    }
}

#[tokio::test]
async fn wrongly_shaped_bodies_are_422_with_locations() {
    let sim = Sim::start();
    let cases = [
        (
            json!({"message": "x", "parameters": "lang=en"}),
            json!(["body", "parameters"]),
            "dict_type",
        ),
        (
            json!({"message": 42}),
            json!(["body", "message"]),
            "string_type",
        ),
        (
            json!({"message": "x", "block_overrides": [1]}),
            json!(["body", "block_overrides"]),
            "dict_type",
        ),
        (
            json!({"message": "x", "attachments": {"url": "https://x.io"}}),
            json!(["body", "attachments"]),
            "list_type",
        ),
        (json!(["message"]), json!(["body"]), "model_attributes_type"),
    ];
    for (body, loc, kind) in cases {
        let reply = sim.post("demo/bench/echo/execute", &body).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let detail = &reply.json()["detail"][0];
        assert_eq!(
            (&detail["loc"], detail["type"].as_str()),
            (&loc, Some(kind)),
            "{body}: {detail}"
        );
        assert!(detail["msg"].is_string());
    }
    // Every problem at once, the attachments' with the others.
    let all = sim
        .post(
            "demo/bench/echo/execute",
            &json!({"message": 5, "parameters": "x", "attachments": 3, "blockOverrides": 1}),
        )
        .await;
    assert_eq!(all.status, StatusCode::UNPROCESSABLE_ENTITY);
    let locations: Vec<Value> = all.json()["detail"]
        .as_array()
        .map(|issues| issues.iter().map(|i| i["loc"][1].clone()).collect())
        .unwrap_or_default();
    for field in ["message", "parameters", "blockOverrides", "attachments"] {
        assert!(
            locations.contains(&json!(field)),
            "{field} in {locations:?}"
        );
    }
    let step = sim
        .post(
            "demo/docs/summarize/step",
            &json!({"message": "x", "stepIndex": "one"}),
        )
        .await;
    assert_eq!(step.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        step.json()["detail"][0]["loc"],
        json!(["body", "stepIndex"])
    );
}

#[tokio::test]
async fn malformed_bodies_are_4xx_never_5xx() {
    let sim = Sim::start();
    let garbage = [
        "",
        "   ",
        "{",
        "{\"message\": ",
        "nul",
        "[1,2",
        "\u{0}\u{1}",
        "{\"message\": \"x\",}",
        "\"just a string\"",
        "42",
        "null",
    ];
    for path in [
        "demo/bench/echo/execute",
        "demo/bench/echo/jobs",
        "demo/docs/summarize/step",
    ] {
        for body in garbage {
            let reply = sim.post_raw(path, body).await;
            assert!(
                reply.status.is_client_error(),
                "{path} {body:?} -> {} {}",
                reply.status,
                reply.text
            );
            let json = reply.json();
            assert!(
                json["detail"].is_array() || json["detail"]["code"].is_string(),
                "{json}"
            );
        }
    }
    let invalid = sim.post_raw("demo/bench/echo/execute", "{nope").await;
    assert_eq!(invalid.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(invalid.json()["detail"][0]["type"], "json_invalid");
    let invalid_utf8 = sim
        .send(
            sim.client
                .post(sim.api("demo/bench/echo/execute"))
                .bearer_auth(KEY)
                .body(vec![0xff, 0xfe, b'{']),
        )
        .await;
    assert!(invalid_utf8.status.is_client_error());
}

#[tokio::test]
async fn parameters_attachments_is_a_reserved_name() {
    let sim = Sim::start();
    let reply = sim
        .post(
            "demo/bench/echo/execute",
            &json!({"message": "x", "parameters": {"attachments": []}}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (
            StatusCode::BAD_REQUEST,
            "PARAMETER_NAME_RESERVED".to_string()
        )
    );
}

#[tokio::test]
async fn attachment_rules_have_their_own_400_codes() {
    let sim = Sim::start();
    let good = json!({"kind": "url", "url": "https://cdn.example.com/a.png", "mime_type": "image/png", "filename": "a.png"});
    let with = |change: &dyn Fn(&mut Value)| {
        let mut attachment = good.clone();
        change(&mut attachment);
        attachment
    };
    let cases: Vec<(Value, &str)> = vec![
        (Value::Array(vec![good.clone(); 11]), "TOO_MANY_ATTACHMENTS"),
        (
            json!([with(&|a| a["kind"] = json!("file"))]),
            "ATTACHMENT_KIND_UNSUPPORTED",
        ),
        (
            json!([with(&|a| a["url"] = json!("http://cdn.example.com/a.png"))]),
            "ATTACHMENT_URL_INVALID",
        ),
        (
            json!([with(
                &|a| a["url"] = json!(format!("https://cdn.example.com/{}", "a".repeat(2040)))
            )]),
            "ATTACHMENT_URL_INVALID",
        ),
        (
            json!([with(&|a| a["mime_type"] = json!("application/pdf"))]),
            "ATTACHMENT_MIME_UNSUPPORTED",
        ),
        (
            json!([with(&|a| a["filename"] = json!("../etc/passwd"))]),
            "ATTACHMENT_FILENAME_INVALID",
        ),
        (
            json!([with(&|a| a["filename"] = json!("dir/a.png"))]),
            "ATTACHMENT_FILENAME_INVALID",
        ),
        (
            json!([with(&|a| a["filename"] = json!("dir\\a.png"))]),
            "ATTACHMENT_FILENAME_INVALID",
        ),
        (
            json!([with(&|a| a["filename"] = json!("x".repeat(256)))]),
            "ATTACHMENT_FILENAME_INVALID",
        ),
        (
            json!([{"kind": "url", "mime_type": "image/png"}]),
            "ATTACHMENT_INVALID",
        ),
    ];
    for (attachments, code) in cases {
        let reply = sim
            .post(
                "demo/vision/describe/execute",
                &json!({"message": "x", "attachments": attachments}),
            )
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::BAD_REQUEST, code.to_string()),
            "{}",
            reply.text
        );
    }
    let ten = Value::Array(vec![good.clone(); 10]);
    let ok = sim
        .post(
            "demo/vision/describe/execute",
            &json!({"message": "x", "attachments": ten}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    let long_ok =
        with(&|a| a["url"] = json!(format!("https://cdn.example.com/{}", "a".repeat(2048 - 24))));
    let ok = sim
        .post(
            "demo/vision/describe/execute",
            &json!({"message": "x", "attachments": [long_ok]}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
}

#[tokio::test]
async fn unknown_endpoints_are_404_and_wrong_methods_405() {
    let sim = Sim::start();
    let reply = sim
        .post("demo/bench/echo/run", &json!({"message": "x"}))
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND".to_string())
    );
    let reply = sim.get("demo/bench/echo/execute").await;
    assert_eq!(
        (reply.status, reply.code()),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED".to_string()
        )
    );
    let health = sim
        .send(sim.client.get(format!("{}/health", sim.url)))
        .await;
    assert_eq!(health.status, StatusCode::OK);
    // A method the health route lacks answers the API's JSON error too, not an empty 405.
    let health = sim
        .send(sim.client.delete(format!("{}/health", sim.url)))
        .await;
    assert_eq!(
        (health.status, health.code()),
        (
            StatusCode::METHOD_NOT_ALLOWED,
            "METHOD_NOT_ALLOWED".to_string()
        )
    );
}
