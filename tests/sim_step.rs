//! `/step`: Server-Sent Events framing, the stateless cursor, runRemaining, inputOverrides,
//! blockOverrides and the step error codes.

mod sim_support;

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use sim_support::{Event, Sim};

fn names(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.event.as_str()).collect()
}

#[tokio::test]
async fn stepping_one_step_at_a_time_carries_the_cursor() {
    let sim = Sim::start();
    let message = "  The quick brown fox jumps over.   The lazy dog sleeps!  ";
    let first = sim
        .post(
            "demo/docs/summarize/step",
            &json!({"executionId": null, "stepIndex": 0, "accumulatedOutputs": {}, "message": message}),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events = first.events();
    assert_eq!(
        names(&events),
        [
            "run_started",
            "step_started",
            "step_completed",
            "step_paused"
        ]
    );
    let started = &events[0].data;
    assert_eq!(started["stepCount"], 3);
    assert_eq!(started["runId"], started["executionId"]);
    assert!(started["flowId"].is_string());
    let execution_id = started["executionId"].as_str().unwrap().to_string();
    assert_eq!(events[1].data["stepId"], "clean");
    assert_eq!(events[1].data["stepIndex"], 0);
    assert_eq!(
        events[2].data["output"],
        json!({"text": "The quick brown fox jumps over. The lazy dog sleeps!"})
    );
    assert!(events[2].data["durationMs"].is_u64());
    assert_eq!(events[2].data["costUsd"], "0.000000");
    assert_eq!(events[3].data["nextStepIndex"], 1);
    assert_eq!(events[3].data["stepIndex"], 1);

    let mut outputs = Map::new();
    outputs.insert("clean".into(), events[2].data["output"].clone());
    let second = sim
        .post(
            "demo/docs/summarize/step",
            &json!({"executionId": execution_id, "stepIndex": 1, "accumulatedOutputs": outputs, "message": message}),
        )
        .await
        .events();
    assert_eq!(
        names(&second),
        ["step_started", "step_completed", "step_paused"]
    );
    let completed = &second[1].data;
    assert_eq!(completed["stepId"], "summarize");
    assert_eq!(
        completed["output"],
        json!({"text": "The quick brown fox jumps over."})
    );
    let tokens = &completed["tokens"];
    assert_eq!(
        tokens["total"],
        tokens["prompt"].as_u64().unwrap() + tokens["completion"].as_u64().unwrap()
    );
    let cost = completed["costUsd"].as_str().expect("costUsd is a string");
    assert!(cost.parse::<f64>().unwrap() > 0.0, "{cost}");
    assert_eq!(second[2].data["nextStepIndex"], 2);

    outputs.insert("summarize".into(), completed["output"].clone());
    let third = sim
        .post(
            "demo/docs/summarize/step",
            &json!({"executionId": execution_id, "stepIndex": 2, "accumulatedOutputs": outputs, "message": message}),
        )
        .await
        .events();
    assert_eq!(
        names(&third),
        ["step_started", "step_completed", "flow_completed"]
    );
    let done = &third[2].data;
    assert_eq!(done["executionId"], execution_id.as_str());
    assert_eq!(
        done["result"],
        json!({"summary": "The quick brown fox jumps over.", "title": "The Quick Brown Fox Jumps", "word_count": 10})
    );
    assert!(done["summary"].is_object());
}

#[tokio::test]
async fn run_remaining_runs_every_step_in_one_response() {
    let sim = Sim::start();
    let events = sim
        .post(
            "demo/docs/summarize/step",
            &json!({"message": "One. Two.", "runRemaining": true}),
        )
        .await
        .events();
    assert_eq!(
        names(&events),
        [
            "run_started",
            "step_started",
            "step_completed",
            "step_started",
            "step_completed",
            "step_started",
            "step_completed",
            "flow_completed"
        ]
    );
    let summary = &events[7].data["summary"];
    assert_eq!(summary["stepsRun"], 3);
    assert!(summary["costUsd"].is_string());
}

#[tokio::test]
async fn input_overrides_replace_an_earlier_output_before_the_next_step() {
    let sim = Sim::start();
    let events = sim
        .post(
            "demo/docs/summarize/step",
            &json!({
                "executionId": uuid::Uuid::new_v4().to_string(),
                "stepIndex": 1,
                "accumulatedOutputs": {"clean": {"text": "The real text. More."}},
                "inputOverrides": {"clean": {"text": "Overridden. Rest."}},
                "message": "The real text. More.",
                "runRemaining": true,
            }),
        )
        .await
        .events();
    let done = events.last().unwrap();
    assert_eq!(done.event, "flow_completed");
    assert_eq!(done.data["result"]["summary"], "Overridden.");
    assert_eq!(done.data["result"]["word_count"], 2);
}

#[tokio::test]
async fn block_overrides_change_the_prompt_before_the_block_runs() {
    let sim = Sim::start();
    for key in ["blockOverrides", "block_overrides"] {
        let events = sim
            .post(
                "demo/docs/summarize/step",
                &json!({"message": "Quiet please. Thanks.", "runRemaining": true, key: {"summarize": {"prompt": "shout it"}}}),
            )
            .await
            .events();
        assert_eq!(
            events.last().unwrap().data["result"]["summary"],
            "QUIET PLEASE.",
            "{key}"
        );
    }
    let image = json!({"kind": "url", "url": "https://x.io/a.png", "mime_type": "image/png"});
    let reply = sim
        .post(
            "demo/vision/describe/step",
            &json!({"message": "x", "attachments": [image], "blockOverrides": {"describe": {"model": "nk-text-1"}}}),
        )
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (
            StatusCode::BAD_REQUEST,
            "MODEL_MIME_INCOMPATIBLE".to_string()
        )
    );
}

#[tokio::test]
async fn a_failing_step_ends_the_stream_with_step_error() {
    let sim = Sim::start();
    let events = sim
        .post("demo/ops/broken/step", &json!({"message": "status?"}))
        .await
        .events();
    assert_eq!(
        names(&events),
        ["run_started", "step_started", "step_error"]
    );
    assert_eq!(events[2].data["stepId"], "fetch");
    assert_eq!(events[2].data["error"], "upstream provider timed out");
}

#[tokio::test]
async fn step_error_codes() {
    let sim = Sim::start();
    let id = uuid::Uuid::new_v4().to_string();
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "demo/docs/summarize/step",
            json!({"executionId": id, "stepIndex": 7, "message": "x"}),
            "INVALID_STEP_INDEX",
        ),
        (
            "demo/docs/summarize/step",
            json!({"executionId": id, "stepIndex": -1, "message": "x"}),
            "INVALID_STEP_INDEX",
        ),
        (
            "demo/docs/summarize/step",
            json!({"executionId": id, "stepIndex": 2, "accumulatedOutputs": {"clean": {"text": "x"}}, "message": "x"}),
            "INVALID_STEP_INDEX",
        ),
        (
            "demo/docs/summarize/step",
            json!({"executionId": null, "stepIndex": 1, "message": "x"}),
            "INVALID_FIRST_CALL",
        ),
        (
            "demo/docs/summarize/step",
            json!({"executionId": null, "stepIndex": 0}),
            "MISSING_MESSAGE",
        ),
        (
            "demo/docs/summarize/step",
            json!({"executionId": "not-an-id", "stepIndex": 1, "message": "x"}),
            "EXECUTION_ID_INVALID",
        ),
        (
            "demo/docs/summarize/step",
            json!({"executionId": id, "stepIndex": 1, "accumulatedOutputs": {"cleaned": {}}, "message": "x"}),
            "STALE_TREE",
        ),
        (
            "demo/docs/summarize/step",
            json!({"executionId": id, "stepIndex": 1, "accumulatedOutputs": {"clean": {"text": "x"}}, "inputOverrides": {"summarize": {"text": "y"}}, "message": "x"}),
            "INVALID_INPUT_OVERRIDE",
        ),
        (
            // Checked in order: a stale step name is reported before a late override.
            "demo/docs/summarize/step",
            json!({"executionId": id, "stepIndex": 1, "accumulatedOutputs": {"clean": {"text": "x"}}, "inputOverrides": {"title": {}, "cleaned": {}}, "message": "x"}),
            "STALE_TREE",
        ),
        (
            "demo/docs/summarize/v0/step",
            json!({"message": "x"}),
            "INVALID_VERSION",
        ),
    ];
    for (path, body, code) in cases {
        let reply = sim.post(path, &body).await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::BAD_REQUEST, code.to_string()),
            "{body}: {}",
            reply.text
        );
    }
    let reply = sim
        .post("demo/docs/summarize/v5/step", &json!({"message": "x"}))
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::NOT_FOUND, "FLOW_NOT_FOUND".to_string())
    );
    let reply = sim
        .post(
            "demo/docs/summarize/v2/step",
            &json!({"message": "One. Two.", "runRemaining": true}),
        )
        .await;
    assert_eq!(
        reply.events().last().unwrap().data["result"]["summary"],
        "TL;DR: One."
    );
}
