//! A real TLS handshake: flowcheck against the simulator behind a TLS proxy whose certificate is
//! signed by a CA made for this test, which only `--ca-bundle` makes trusted.

mod common;

use common::{Sim, tempdir};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, SanType};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA, and a certificate for 127.0.0.1, `localhost` and `noukai.invalid` signed by it with
/// its key.
struct Certificates {
    ca_pem: String,
    server: CertificateDer<'static>,
    server_key: PrivateKeyDer<'static>,
}

fn new_certificates(common_name: &str) -> Certificates {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, format!("{common_name} test CA"));
    let ca_key = KeyPair::generate().expect("a CA key");
    let ca_cert = ca.self_signed(&ca_key).expect("the CA certificate");
    let issuer = Issuer::new(ca, ca_key);

    let names = vec!["localhost".to_owned(), "noukai.invalid".to_owned()];
    let mut server = CertificateParams::new(names).expect("parameters");
    server
        .subject_alt_names
        .push(SanType::IpAddress([127, 0, 0, 1].into()));
    let server_key = KeyPair::generate().expect("a server key");
    let server_cert = server
        .signed_by(&server_key, &issuer)
        .expect("the server certificate");
    Certificates {
        ca_pem: ca_cert.pem(),
        server: server_cert.der().clone(),
        server_key: PrivatePkcs8KeyDer::from(server_key.serialize_der()).into(),
    }
}

/// Terminates TLS on a loopback port and forwards the bytes to `backend`; stops on drop.
struct TlsProxy {
    url: String,
    _runtime: tokio::runtime::Runtime,
}

fn tls_proxy(backend: SocketAddr, certificates: &Certificates) -> TlsProxy {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("TLS versions")
    .with_no_client_auth()
    .with_single_cert(
        vec![certificates.server.clone()],
        certificates.server_key.clone_key(),
    )
    .expect("the server certificate is usable");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    runtime.spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that does not trust the certificate ends the handshake here.
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                if let Ok(mut upstream) = TcpStream::connect(backend).await {
                    let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                }
            });
        }
    });
    TlsProxy {
        url: format!("https://127.0.0.1:{port}"),
        _runtime: runtime,
    }
}

/// An HTTP proxy for `https://` hosts: answers `CONNECT` and tunnels the bytes to `upstream`,
/// whatever host was asked for; keeps every byte the client sent it. Stops on drop.
struct ConnectProxy {
    url: String,
    seen: Arc<std::sync::Mutex<Vec<u8>>>,
    _runtime: tokio::runtime::Runtime,
}

fn connect_proxy(upstream: SocketAddr) -> ConnectProxy {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    runtime.spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let log = log.clone();
            tokio::spawn(async move {
                let (Ok(mut server), mut buffer) =
                    (TcpStream::connect(upstream).await, [0u8; 16 * 1024])
                else {
                    return;
                };
                // The request head, then the tunnel: both logged as they come.
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    match client.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buffer[..n]),
                    }
                }
                log.lock().map(|mut l| l.extend_from_slice(&head)).ok();
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let (mut client_in, mut client_out) = client.split();
                let (mut server_in, mut server_out) = server.split();
                let upload = async {
                    loop {
                        match client_in.read(&mut buffer).await {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                log.lock()
                                    .map(|mut l| l.extend_from_slice(&buffer[..n]))
                                    .ok();
                                if server_out.write_all(&buffer[..n]).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = server_out.shutdown().await;
                };
                let download = tokio::io::copy(&mut server_in, &mut client_out);
                let _ = tokio::join!(upload, download);
            });
        }
    });
    ConnectProxy {
        url: format!("http://127.0.0.1:{port}"),
        seen,
        _runtime: runtime,
    }
}

fn backend(sim: &Sim) -> SocketAddr {
    sim.url
        .trim_start_matches("http://")
        .parse()
        .expect("the simulator listens on an IP address")
}

#[test]
fn a_private_ca_is_trusted_through_ca_bundle_and_only_then() {
    let sim = Sim::start();
    let certificates = new_certificates("flowcheck");
    let proxy = tls_proxy(backend(&sim), &certificates);
    let dir = tempdir();
    let bundle = dir.path().join("ca.pem");
    std::fs::write(&bundle, &certificates.ca_pem).expect("the bundle is written");
    let bundle = bundle.to_string_lossy().into_owned();
    let suite = "suites/triage.yaml";

    let trusted = common::run_against(
        &proxy.url,
        &sim.key,
        &["run", suite, "--ca-bundle", &bundle, "--filter", "refund"],
    );
    assert_eq!(trusted.code, 0, "{}", trusted.all());
    assert!(trusted.stdout.contains("PASS"), "{}", trusted.all());
    assert!(trusted.stdout.contains(&proxy.url), "{}", trusted.all());

    let untrusted =
        common::run_against(&proxy.url, &sim.key, &["run", suite, "--filter", "refund"]);
    assert_eq!(untrusted.code, 3, "{}", untrusted.all());
    // Said plainly, with the way out, and not retried: no retry can change a certificate.
    assert!(
        untrusted.stdout.contains(
            "the server's TLS certificate was refused (UnknownIssuer); if a private CA signed it, pass that CA with --ca-bundle"
        ),
        "{}",
        untrusted.all()
    );
    assert!(!untrusted.stdout.contains("retries"), "{}", untrusted.all());

    // Another CA's bundle does not vouch for this server.
    let other = dir.path().join("other.pem");
    std::fs::write(&other, new_certificates("other").ca_pem).expect("the bundle is written");
    let other = other.to_string_lossy().into_owned();
    let wrong = common::run_against(
        &proxy.url,
        &sim.key,
        &["run", suite, "--ca-bundle", &other, "--filter", "refund"],
    );
    assert_eq!(wrong.code, 3, "{}", wrong.all());
    assert!(!wrong.all().contains(&sim.key), "{}", wrong.all());
}

#[test]
fn https_goes_through_the_environment_proxy_which_never_sees_the_key() {
    let sim = Sim::start();
    let certificates = new_certificates("flowcheck");
    let tls = tls_proxy(backend(&sim), &certificates);
    let port = tls.url.rsplit(':').next().unwrap_or_default().to_owned();
    let upstream: SocketAddr = format!("127.0.0.1:{port}").parse().expect("an address");
    let proxy = connect_proxy(upstream);
    let dir = tempdir();
    let bundle = dir.path().join("ca.pem");
    std::fs::write(&bundle, &certificates.ca_pem).expect("the bundle is written");
    // A host that does not resolve: only the proxy can reach "it".
    let url = format!("https://noukai.invalid:{port}");
    let result = common::Run::from(
        common::flowcheck()
            .args([
                "run",
                "suites/triage.yaml",
                "--filter",
                "refund",
                "--ca-bundle",
            ])
            .arg(&bundle)
            .env("NOUKAI_API_URL", &url)
            .env("NOUKAI_API_KEY", &sim.key)
            .env("HTTPS_PROXY", &proxy.url)
            .env_remove("NO_PROXY")
            .output()
            .expect("flowcheck runs"),
    );
    assert_eq!(result.code, 0, "{}", result.all());
    let seen = proxy.seen.lock().map(|s| s.clone()).unwrap_or_default();
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        seen.starts_with(&format!("CONNECT noukai.invalid:{port} ")),
        "{seen}"
    );
    assert!(!seen.contains(&sim.key), "the proxy saw the key");
}
