//! The replay server: answers each request with the response recorded for the same method,
//! path and body, in recorded order (the last one again when a request repeats more often,
//! as polling may), on a loopback port.

use super::Exchange;
use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

type Answers = Arc<Mutex<HashMap<String, VecDeque<Exchange>>>>;

pub struct Replay {
    url: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Replay {
    pub fn url(&self) -> &str {
        &self.url
    }

    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

pub async fn serve(exchanges: Vec<Exchange>) -> Result<Replay, String> {
    let mut answers: HashMap<String, VecDeque<Exchange>> = HashMap::new();
    for exchange in exchanges {
        let key = Exchange::key(&exchange.method, &exchange.path, exchange.body.as_ref());
        answers.entry(key).or_default().push_back(exchange);
    }
    let answers: Answers = Arc::new(Mutex::new(answers));
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, body: Bytes| {
        answer(answers.clone(), method, uri, body)
    });
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|err| format!("cannot start the replay server: {err}"))?;
    let address = listener.local_addr().map_err(|err| err.to_string())?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    Ok(Replay {
        url: format!("http://{address}"),
        stop: Some(stop),
        task,
    })
}

async fn answer(answers: Answers, method: Method, uri: Uri, body: Bytes) -> Response {
    let body: Option<serde_json::Value> = if body.is_empty() {
        None
    } else {
        serde_json::from_slice(&body).ok()
    };
    let key = Exchange::key(method.as_str(), uri.path(), body.as_ref());
    let recorded = answers.lock().ok().and_then(|mut answers| {
        let queue = answers.get_mut(&key)?;
        if queue.len() > 1 {
            queue.pop_front()
        } else {
            queue.front().cloned()
        }
    });
    let Some(exchange) = recorded else {
        let message = format!(
            "nothing was recorded for {} {} with this body; record the run again",
            method,
            uri.path()
        );
        let body =
            serde_json::json!({"detail": {"code": "NOT_RECORDED", "message": message}}).to_string();
        return respond(StatusCode::NOT_FOUND, Some("application/json"), None, body);
    };
    let status = StatusCode::from_u16(exchange.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    respond(
        status,
        exchange.content_type.as_deref(),
        exchange.retry_after.as_deref(),
        exchange.response,
    )
}

fn respond(
    status: StatusCode,
    content_type: Option<&str>,
    retry_after: Option<&str>,
    body: String,
) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    if let Some(value) = content_type.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(v).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
