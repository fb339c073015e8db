//! How a request travels: straight through hyper to this machine over plain http, through
//! reqwest everywhere else. The client above sees one response and one error type either way.

use super::client::{ClientConfig, is_loopback};
use crate::secret::redact_url;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Uri;
use hyper::body::{Body as _, Incoming};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use reqwest::Method;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, USER_AGENT};
use serde_json::Value;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

const USER_AGENT_VALUE: &str = concat!("flowcheck/", env!("CARGO_PKG_VERSION"));
/// Idle connections kept per host: as many as `--jobs` runs at once, within reason.
const MAX_IDLE_PER_HOST: usize = 256;
/// reqwest's defaults, kept on the direct path so both hold connections alike.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(90);
const TCP_KEEPALIVE: Duration = Duration::from_secs(15);

#[derive(Debug, Clone)]
pub(super) enum Transport {
    /// Plain http to this machine. reqwest would add nothing there (no proxy may come between,
    /// no TLS), and its layers parsed every request's URL from text twice more and merged its
    /// default headers into each request: a call's answer took 51,400 instructions, 19,700 here.
    Direct {
        http: hyper_util::client::legacy::Client<Noting<HttpConnector>, Full<Bytes>>,
        /// The default key's `Authorization`, a default header on reqwest's side.
        authorization: Option<HeaderValue>,
        uris: Parsed<Uri>,
    },
    /// https, proxies, `--ca-bundle`, other hosts.
    Reqwest {
        http: reqwest::Client,
        urls: Parsed<reqwest::Url>,
    },
}

impl Transport {
    /// The transport for `config`'s server; `authorization` is the default key's header;
    /// `connected` is set once a connection to the server has been made.
    pub(super) fn new(
        config: &ClientConfig,
        authorization: Option<HeaderValue>,
        connected: Arc<AtomicBool>,
    ) -> Result<Transport, String> {
        if direct(&config.base_url) {
            Ok(Transport::direct(config, authorization, connected))
        } else {
            Transport::reqwest(config, authorization, connected)
        }
    }

    fn direct(
        config: &ClientConfig,
        authorization: Option<HeaderValue>,
        connected: Arc<AtomicBool>,
    ) -> Transport {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(config.connect_timeout));
        connector.set_nodelay(true);
        connector.set_keepalive(Some(TCP_KEEPALIVE));
        connector.set_keepalive_interval(Some(TCP_KEEPALIVE));
        connector.set_keepalive_retries(Some(3));
        // HTTP/1.1 only (a plain connector negotiates nothing else), and no redirect is
        // followed: the legacy client has no such layer.
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .pool_timer(TokioTimer::new())
            .pool_max_idle_per_host(MAX_IDLE_PER_HOST)
            .build(Noting {
                inner: connector,
                connected,
            });
        Transport::Direct {
            http,
            authorization,
            uris: Parsed::default(),
        }
    }

    fn reqwest(
        config: &ClientConfig,
        authorization: Option<HeaderValue>,
        connected: Arc<AtomicBool>,
    ) -> Result<Transport, String> {
        // reqwest is built without a bundled crypto provider; install ring once per process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut default_headers = HeaderMap::new();
        if let Some(authorization) = authorization {
            default_headers.insert(AUTHORIZATION, authorization);
        }
        let mut builder = reqwest::Client::builder();
        if is_loopback(&config.base_url) {
            // This machine (the embedded simulator, a replay, `serve`): a proxy from the
            // environment could not reach it, and the key must not leave the machine.
            builder = builder.no_proxy();
        }
        builder = if config.base_url.starts_with("https://") {
            builder.tls_certs_merge(config.extra_roots.iter().cloned())
        } else {
            // Every request goes to the plain-http host root: no certificate is ever checked,
            // and reading the system's roots took 10-30 ms of every run's start. Should an
            // https URL come up all the same, it fails verification; it is never trusted.
            builder.tls_certs_only(config.extra_roots.iter().cloned())
        };
        let http = builder
            .default_headers(default_headers)
            .connect_timeout(config.connect_timeout)
            .pool_max_idle_per_host(MAX_IDLE_PER_HOST)
            // The API does not redirect; a redirect is reported, not followed with the key.
            .redirect(reqwest::redirect::Policy::none())
            // flowcheck retries itself (`run::retry`); reqwest's layer for HTTP/2's refused
            // streams copied every request's headers to be ready to send it again.
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .user_agent(USER_AGENT_VALUE)
            .connector_layer(tower_layer::layer_fn(move |inner| Noting {
                inner,
                connected: connected.clone(),
            }))
            .build()
            .map_err(|err| format!("cannot build the HTTP client: {err}"))?;
        Ok(Transport::Reqwest {
            http,
            urls: Parsed::default(),
        })
    }

    /// Send one request; `authorization` is a project's own key, in place of the default.
    pub(super) async fn send(
        &self,
        method: Method,
        url: &str,
        authorization: Option<&HeaderValue>,
        body: Option<&Value>,
    ) -> Result<Response, Error> {
        match self {
            Transport::Direct {
                http,
                authorization: default,
                uris,
            } => {
                // Nothing was sent: no connection was made for it.
                let unsent = |why: String| Error {
                    message: format!("{}: {why}", sending(url)),
                    connect: true,
                    certificate: None,
                };
                let uri = uris
                    .get(&method, url, |url| url.parse::<Uri>())
                    .map_err(|err| unsent(format!("the URL is not valid ({err})")))?;
                let json = match body {
                    Some(body) => {
                        Some(serde_json::to_vec(body).map_err(|e| unsent(e.to_string()))?)
                    }
                    None => None,
                };
                let has_body = json.is_some();
                let mut request =
                    hyper::Request::new(Full::new(json.map(Bytes::from).unwrap_or_default()));
                *request.method_mut() = method;
                *request.uri_mut() = uri;
                // What reqwest sends: its default `Accept`, no `Accept-Encoding` (it is built
                // without decompression).
                let headers = request.headers_mut();
                headers.insert(USER_AGENT, HeaderValue::from_static(USER_AGENT_VALUE));
                headers.insert(ACCEPT, HeaderValue::from_static("*/*"));
                if let Some(key) = authorization.or(default.as_ref()) {
                    headers.insert(AUTHORIZATION, key.clone());
                }
                if has_body {
                    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                }
                let response = http.request(request).await.map_err(|err| {
                    Error::with_causes(sending(url), Some(&err), err.is_connect())
                })?;
                Ok(Response(Inner::Direct(response)))
            }
            Transport::Reqwest { http, urls } => {
                // A URL that does not parse is handed over as text, for reqwest to report.
                let mut request = match urls.get(&method, url, reqwest::Url::parse) {
                    Ok(parsed) => http.request(method, parsed),
                    Err(_) => http.request(method, url),
                };
                if let Some(key) = authorization {
                    request = request.header(AUTHORIZATION, key.clone());
                }
                if let Some(body) = body {
                    request = request.json(body);
                }
                let response = request.send().await.map_err(Error::reqwest)?;
                Ok(Response(Inner::Reqwest(response)))
            }
        }
    }
}

/// A connector that notes the first connection it makes: until then, no request has left
/// this machine, and a call cut short was never sent (it was resolving the host, or
/// connecting). Generic over the request, for hyper's `Uri` and reqwest's unnameable type.
#[derive(Debug, Clone)]
pub(super) struct Noting<S> {
    inner: S,
    connected: Arc<AtomicBool>,
}

impl<S, R> tower_service::Service<R> for Noting<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let connecting = self.inner.call(request);
        let connected = Arc::clone(&self.connected);
        // Once a connection, not once a request: pooled connections skip the connector.
        Box::pin(async move {
            let connection = connecting.await?;
            connected.store(true, Ordering::Relaxed);
            Ok(connection)
        })
    }
}

/// Whether calls to `base_url` go straight through hyper: plain http to this machine, and
/// only a URL reqwest would send as written (no dot segments, upper-case host or default port
/// for it to rewrite), so that both send the same request.
fn direct(base_url: &str) -> bool {
    base_url.starts_with("http://")
        && is_loopback(base_url)
        && reqwest::Url::parse(base_url)
            .is_ok_and(|url| url.as_str().trim_end_matches('/') == base_url)
        && base_url.parse::<Uri>().is_ok()
}

/// What reqwest says of a request that got no answer, the URL without its query.
fn sending(url: &str) -> String {
    format!("error sending request for url ({})", redact_url(url))
}

/// Parsed URLs of the flow endpoints POSTed to: a run sends thousands of requests to a few
/// URLs, and parsing one cost more than the rest of building a request. Poll URLs (one per
/// job) are parsed each time and not kept.
#[derive(Debug)]
pub(super) struct Parsed<T>(Arc<Mutex<HashMap<String, T>>>);

impl<T> Default for Parsed<T> {
    fn default() -> Self {
        Parsed(Arc::default())
    }
}

impl<T> Clone for Parsed<T> {
    fn clone(&self) -> Self {
        Parsed(Arc::clone(&self.0))
    }
}

impl<T: Clone> Parsed<T> {
    fn get<E>(
        &self,
        method: &Method,
        url: &str,
        parse: impl Fn(&str) -> Result<T, E>,
    ) -> Result<T, E> {
        if method != Method::POST {
            return parse(url);
        }
        let mut parsed = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match parsed.get(url) {
            Some(known) => Ok(known.clone()),
            None => parse(url).inspect(|new| {
                parsed.insert(url.to_owned(), new.clone());
            }),
        }
    }
}

/// A response whichever transport carried it: its head, then its body chunk by chunk.
pub(super) struct Response(Inner);

enum Inner {
    Direct(hyper::Response<Incoming>),
    Reqwest(reqwest::Response),
}

impl Response {
    pub(super) fn status(&self) -> u16 {
        match &self.0 {
            Inner::Direct(response) => response.status().as_u16(),
            Inner::Reqwest(response) => response.status().as_u16(),
        }
    }

    pub(super) fn headers(&self) -> &HeaderMap {
        match &self.0 {
            Inner::Direct(response) => response.headers(),
            Inner::Reqwest(response) => response.headers(),
        }
    }

    /// The body's length, when its head says.
    pub(super) fn content_length(&self) -> Option<u64> {
        match &self.0 {
            Inner::Direct(response) => response.body().size_hint().exact(),
            Inner::Reqwest(response) => response.content_length(),
        }
    }

    /// The body's next piece; `None` at its end.
    pub(super) async fn chunk(&mut self) -> Result<Option<Bytes>, Error> {
        match &mut self.0 {
            Inner::Direct(response) => loop {
                let Some(frame) = response.body_mut().frame().await else {
                    return Ok(None);
                };
                // reqwest's words, so that a broken answer reads the same either way.
                let frame = frame.map_err(|err| {
                    Error::with_causes("error decoding response body".into(), Some(&err), false)
                })?;
                // Trailers are not read.
                if let Ok(data) = frame.into_data() {
                    return Ok(Some(data));
                }
            },
            Inner::Reqwest(response) => response.chunk().await.map_err(Error::reqwest),
        }
    }
}

/// A request that got no answer, or whose answer broke off: what happened, with every cause
/// (the key is not yet scrubbed from it).
#[derive(Debug)]
pub(super) struct Error {
    pub(super) message: String,
    /// No connection could be made.
    pub(super) connect: bool,
    /// Why rustls refused the server's certificate, if that was it.
    pub(super) certificate: Option<String>,
}

impl Error {
    fn reqwest(err: reqwest::Error) -> Error {
        let connect = err.is_connect();
        Error::with_causes(err.to_string(), std::error::Error::source(&err), connect)
    }

    /// `message`, then `cause` and each of its sources, `: ` between them.
    fn with_causes(
        mut message: String,
        mut cause: Option<&(dyn std::error::Error + 'static)>,
        connect: bool,
    ) -> Error {
        let mut certificate = None;
        while let Some(inner) = cause {
            message.push_str(": ");
            message.push_str(&inner.to_string());
            certificate = certificate.or_else(|| refused_certificate(inner));
            cause = inner.source();
        }
        Error {
            message,
            connect,
            certificate,
        }
    }
}

/// The reason rustls refused the server's certificate, if that is what `err` is. rustls's error
/// comes wrapped in I/O errors, whose `source` skips what they wrap.
fn refused_certificate(err: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut err: &(dyn std::error::Error + 'static) = err;
    while let Some(io) = err.downcast_ref::<std::io::Error>() {
        err = io.get_ref()?;
    }
    match err.downcast_ref::<rustls::Error>()? {
        rustls::Error::InvalidCertificate(why) => Some(format!("{why:?}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{Transport, direct};
    use crate::api::ClientConfig;
    use crate::secret::ApiKey;
    use reqwest::Method;
    use reqwest::header::HeaderValue;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[test]
    fn plain_http_to_this_machine_goes_direct_and_the_rest_through_reqwest() {
        for url in [
            "http://127.0.0.1:8787",
            "http://localhost:1",
            "http://[::1]:1",
            "http://127.0.0.2:1/prefix",
        ] {
            assert!(direct(url), "{url}");
        }
        for url in [
            "https://127.0.0.1:8787",
            "https://localhost:1",
            "http://api.noukai.xyz",
            "http://127.0.0.1.evil.example",
            // URLs reqwest would rewrite before sending keep reqwest, so both send the same.
            "HTTP://127.0.0.1:1",
            "http://LOCALHOST:1",
            "http://127.0.0.1:80",
            "http://127.0.0.1:1/a/../b",
            "http://127.0.0.1:1/a b",
            "not a url",
        ] {
            assert!(!direct(url), "{url}");
        }
        let config = |url| ClientConfig::new(url, ApiKey::new("k"));
        let chosen = |url| Transport::new(&config(url), None, Arc::default()).expect("a client");
        assert!(matches!(
            chosen("http://127.0.0.1:1"),
            Transport::Direct { .. }
        ));
        assert!(matches!(
            chosen("https://127.0.0.1:1"),
            Transport::Reqwest { .. }
        ));
        assert!(matches!(
            chosen("http://noukai.invalid"),
            Transport::Reqwest { .. }
        ));
    }

    /// The request a transport sends, as the server reads it: the request line, then the
    /// header lines lower-cased and sorted, then the body.
    async fn sent(
        transport: &Transport,
        listener: &tokio::net::TcpListener,
        method: Method,
        own_key: bool,
        body: Option<&serde_json::Value>,
    ) -> String {
        let serve = async {
            let (mut stream, _) = listener.accept().await.expect("accept");
            let mut seen = Vec::new();
            let mut buf = [0; 4096];
            // Until the head and as much body as it announces have come.
            loop {
                let n = stream.read(&mut buf).await.expect("read");
                seen.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&seen).to_string();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            l.to_lowercase()
                                .strip_prefix("content-length: ")
                                .map(str::to_owned)
                        })
                        .map_or(0, |l| l.parse::<usize>().expect("a length"));
                    if body.len() >= length || n == 0 {
                        break;
                    }
                }
            }
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                .await
                .expect("write");
            seen
        };
        let url = format!(
            "http://{}/api/v1/seq/o/p/f/execute",
            listener.local_addr().expect("an address")
        );
        let key = HeaderValue::from_static("Bearer own");
        let call = async {
            let mut response = transport
                .send(method, &url, own_key.then_some(&key), body)
                .await
                .expect("an answer");
            assert_eq!(response.status(), 200);
            assert_eq!(response.content_length(), Some(2));
            assert_eq!(
                response.chunk().await.expect("a body").as_deref(),
                Some(&b"{}"[..])
            );
        };
        let (seen, ()) = tokio::join!(serve, call);
        let seen = String::from_utf8(seen).expect("UTF-8");
        let (head, body) = seen.split_once("\r\n\r\n").expect("a head");
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or_default().to_owned();
        let mut headers: Vec<String> = lines.map(str::to_lowercase).collect();
        headers.sort();
        format!("{request_line}\n{}\n\n{body}", headers.join("\n"))
    }

    #[tokio::test]
    async fn both_transports_send_the_same_request() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("an address");
        let config = ClientConfig::new(&format!("http://{addr}"), ApiKey::new("k"));
        let default = || Some(HeaderValue::from_static("Bearer default"));
        let connected = || Arc::new(AtomicBool::new(false));
        let (direct_connected, reqwest_connected) = (connected(), connected());
        let direct = Transport::direct(&config, default(), direct_connected.clone());
        let reqwest =
            Transport::reqwest(&config, default(), reqwest_connected.clone()).expect("a client");
        let version = env!("CARGO_PKG_VERSION");
        let body = serde_json::json!({"inputs": {"q": "é"}});
        for own_key in [false, true] {
            let by_hyper = sent(&direct, &listener, Method::POST, own_key, Some(&body)).await;
            // Each noted its connection, and only its own.
            assert!(direct_connected.load(Ordering::Relaxed));
            assert!(!reqwest_connected.load(Ordering::Relaxed) || own_key);
            let by_reqwest = sent(&reqwest, &listener, Method::POST, own_key, Some(&body)).await;
            assert!(reqwest_connected.load(Ordering::Relaxed));
            assert_eq!(by_hyper, by_reqwest);
            let key = if own_key { "own" } else { "default" };
            assert_eq!(
                by_hyper,
                format!(
                    "POST /api/v1/seq/o/p/f/execute HTTP/1.1\naccept: */*\n\
                     authorization: bearer {key}\ncontent-length: 21\n\
                     content-type: application/json\nhost: {addr}\n\
                     user-agent: flowcheck/{version}\n\n{{\"inputs\":{{\"q\":\"é\"}}}}"
                )
            );
        }
        // A poll: no body, so no length and no type.
        let by_hyper = sent(&direct, &listener, Method::GET, false, None).await;
        let by_reqwest = sent(&reqwest, &listener, Method::GET, false, None).await;
        assert_eq!(by_hyper, by_reqwest);
        assert_eq!(
            by_hyper,
            format!(
                "GET /api/v1/seq/o/p/f/execute HTTP/1.1\naccept: */*\n\
                 authorization: bearer default\nhost: {addr}\n\
                 user-agent: flowcheck/{version}\n\n"
            )
        );
    }

    #[tokio::test]
    async fn a_direct_request_that_fails_says_where_without_the_query() {
        let addr = {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            probe.local_addr().expect("an address")
        };
        // Nothing listens there now.
        let config = ClientConfig::new(&format!("http://{addr}"), ApiKey::new("k"));
        let connected = Arc::new(AtomicBool::new(false));
        let direct = Transport::direct(&config, None, connected.clone());
        let err = direct
            .send(
                Method::GET,
                &format!("http://{addr}/x?sig=secret"),
                None,
                None,
            )
            .await
            .err()
            .expect("refused");
        assert!(err.connect);
        assert!(
            err.message.starts_with(&format!(
                "error sending request for url (http://{addr}/x?[redacted]): client error (Connect): tcp connect error: Connection refused"
            )),
            "{}",
            err.message
        );
        // No connection was made: nothing was sent.
        assert!(!connected.load(Ordering::Relaxed));
        // A URL that is no URI is an error, not a panic.
        let err = direct
            .send(Method::POST, &format!("http://{addr}/a b"), None, None)
            .await
            .err()
            .expect("not a URI");
        assert_eq!(
            err.message,
            format!(
                "error sending request for url (http://{addr}/a b): the URL is not valid (invalid uri character)"
            )
        );
    }
}
