//! One engine, three transports: the same input gives the same result through `/execute`, a
//! polled job, step-through with runRemaining, and step-through one step at a time.

mod sim_support;

use serde_json::{Map, Value, json};
use sim_support::Sim;

async fn step_by_step(sim: &Sim, flow: &str, body: &Value) -> Value {
    let mut request = body.clone();
    request["stepIndex"] = json!(0);
    request["executionId"] = Value::Null;
    let mut outputs = Map::new();
    loop {
        request["accumulatedOutputs"] = Value::Object(outputs.clone());
        let events = sim.post(&format!("{flow}/step"), &request).await.events();
        for event in &events {
            match event.event.as_str() {
                "run_started" => request["executionId"] = event.data["executionId"].clone(),
                "step_completed" => {
                    let id = event.data["stepId"].as_str().unwrap().to_string();
                    outputs.insert(id, event.data["output"].clone());
                }
                "step_started" => {}
                "step_paused" => request["stepIndex"] = event.data["nextStepIndex"].clone(),
                "flow_completed" => return event.data["result"].clone(),
                other => panic!("unexpected {other}: {events:?}"),
            }
        }
    }
}

#[tokio::test]
async fn execute_jobs_and_step_agree() {
    let sim = Sim::start();
    let image = json!({"kind": "url", "url": "https://cdn.example.com/a.png", "mime_type": "image/png", "filename": "a.png"});
    let cases = [
        (
            "demo/support/triage",
            json!({"message": "I want my money back ASAP"}),
        ),
        (
            "demo/support/triage/v1",
            json!({"message": "refund please"}),
        ),
        (
            "demo/support/triage/v3",
            json!({"message": "The app crashed, urgent"}),
        ),
        (
            "demo/support/triage",
            json!({"message": "Hello there", "parameters": {"channel": "email"}}),
        ),
        (
            "demo/docs/summarize",
            json!({"message": "  Alpha beta gamma.  Delta!  "}),
        ),
        (
            "demo/docs/summarize",
            json!({"message": "Loud text. More.", "blockOverrides": {"summarize": {"prompt": "shout"}}}),
        ),
        (
            "demo/docs/summarize/v2",
            json!({"message": "Short one? Yes."}),
        ),
        (
            "demo/vision/describe",
            json!({"message": "what is it", "attachments": [image]}),
        ),
        ("demo/bench/echo", json!({"message": "ping"})),
    ];
    for (flow, body) in cases {
        let executed = sim.execute(flow, &body).await;
        let (_, job) = sim.job(flow, &body).await;
        assert_eq!(job["status"], "completed", "{flow}");
        assert_eq!(job["result"], executed, "job vs execute: {flow} {body}");
        assert_eq!(
            sim.step_all(flow, &body).await,
            executed,
            "step (runRemaining) vs execute: {flow} {body}"
        );
        assert_eq!(
            step_by_step(&sim, flow, &body).await,
            executed,
            "step by step vs execute: {flow} {body}"
        );
    }
}
