//! Where to send requests and with which key: `--embedded`, or `NOUKAI_API_URL` and
//! `NOUKAI_API_KEY` (flags override). The key is read from the environment or a file, never
//! from a command-line value that would show in `ps`.

use crate::api::ClientConfig;
use crate::exit::Refusal;
use crate::secret::{ApiKey, KeyFile, Keys, ProjectKey};
use crate::sim::RunningSim;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ConnectionArgs {
    /// Start the built-in simulator with the shipped example flows and run against it (the
    /// server URL, from NOUKAI_API_URL or --url, is not used).
    #[arg(long)]
    pub embedded: bool,
    /// With --embedded: serve these flow definitions (a YAML file or a folder) instead of the
    /// shipped examples.
    #[arg(long, value_name = "PATH", requires = "embedded")]
    pub flows: Option<PathBuf>,
    /// The Noukai host root, e.g. https://api.noukai.xyz.
    #[arg(long, env = "NOUKAI_API_URL", value_name = "URL")]
    pub url: Option<String>,
    /// Read the API keys from this file: one key, or lines of `org/project KEY` (a project's
    /// key) and `* KEY` (the default); blank lines and lines that start with `#` are passed
    /// over. It overrides NOUKAI_API_KEY and NOUKAI_API_KEY_<ORG>_<PROJECT> for the keys it
    /// gives.
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Allow sending the key over plain http:// to a host other than this machine.
    #[arg(long)]
    pub allow_insecure_http: bool,
    /// Keep every response of the run in DIR/recording.jsonl (never the key), to replay later.
    #[arg(long, value_name = "DIR", value_parser = crate::files::folder_argument)]
    pub record: Option<PathBuf>,
    /// Answer every request from a recording made with --record: no server, no network.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["embedded", "record"],
          value_parser = crate::files::folder_argument)]
    pub replay: Option<PathBuf>,
    /// Refuse responses larger than this many bytes.
    #[arg(long, value_name = "BYTES", default_value_t = 16 * 1024 * 1024, value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    pub max_response_bytes: u64,
    /// Also trust the CA certificates in this PEM file (e.g. a corporate proxy's), beside the
    /// system's. TLS verification stays on.
    #[arg(long, value_name = "PATH")]
    pub ca_bundle: Option<PathBuf>,
}

/// A resolved connection; holds the embedded simulator or the replay server alive while the
/// run needs it.
pub struct Connection {
    pub config: ClientConfig,
    pub embedded: Option<RunningSim>,
    pub replay: Option<crate::record::Replay>,
    /// Where to write what `--record` kept.
    pub record: Option<(PathBuf, std::sync::Arc<crate::record::Recorder>)>,
    /// How to name the server in output: the URL, without any credentials.
    pub label: String,
}

impl Connection {
    /// Stop what this connection started and write the recording; says what was recorded.
    pub async fn shutdown(self) -> Result<Option<String>, String> {
        if let Some(sim) = self.embedded {
            sim.shutdown().await;
        }
        if let Some(replay) = self.replay {
            replay.shutdown().await;
        }
        match self.record {
            Some((dir, recorder)) => {
                let count = recorder.write(&dir)?;
                Ok(Some(format!(
                    "recorded {count} exchanges in {}",
                    dir.join(crate::record::FILE).display()
                )))
            }
            None => Ok(None),
        }
    }
}

impl ConnectionArgs {
    /// Resolve to a connection, or why not.
    pub async fn connect(&self) -> Result<Connection, Refusal> {
        let mut connection = self.server().await?;
        connection.config.max_response_bytes =
            usize::try_from(self.max_response_bytes).unwrap_or(usize::MAX);
        if let Some(dir) = &self.record {
            let recorder =
                std::sync::Arc::new(crate::record::Recorder::new(connection.config.keys.clone()));
            connection.config.recorder = Some(recorder.clone());
            connection.record = Some((dir.clone(), recorder));
        }
        Ok(connection)
    }

    async fn server(&self) -> Result<Connection, Refusal> {
        // Read even where no TLS is spoken (the simulator, a replay): a mistyped path is
        // said, not ignored.
        let extra_roots = match &self.ca_bundle {
            Some(path) => read_ca_bundle(path)?,
            None => Vec::new(),
        };
        // The same for a key file, though the simulator and a replay ask for no key.
        if self.api_key_file.is_some() && (self.embedded || self.replay.is_some()) {
            self.keys()?;
        }
        if let Some(dir) = &self.replay {
            let replay = crate::record::serve(crate::record::read(dir)?)
                .await
                .map_err(Refusal::infra)?;
            // The replay server asks for no key, and the recording holds none.
            let config = ClientConfig::new(replay.url(), ApiKey::new("replay"));
            let label = format!("the recording in {}", dir.display());
            return Ok(Connection {
                config,
                embedded: None,
                replay: Some(replay),
                record: None,
                label,
            });
        }
        if self.embedded {
            let started = match &self.flows {
                Some(path) => {
                    // A flow definition with a mistake is the user's to fix: exit 2.
                    let catalog = crate::sim::Catalog::load(path)
                        .map_err(|err| Refusal::usage(err.to_string()))?;
                    crate::sim::start_embedded_with(catalog).await
                }
                None => crate::sim::start_embedded().await,
            };
            let sim = started.map_err(|err| {
                // A local server that would not start.
                Refusal::infra(format!("cannot start the embedded simulator: {err}"))
            })?;
            let config = ClientConfig::new(sim.url(), ApiKey::new(crate::DEMO_API_KEY));
            let label = format!("{} (embedded simulator)", sim.url());
            return Ok(Connection {
                config,
                embedded: Some(sim),
                replay: None,
                record: None,
                label,
            });
        }
        let url = self.url.clone().ok_or("no server: set NOUKAI_API_URL (or --url), or use --embedded to run against the built-in simulator")?;
        let keys = self.keys()?;
        // Two secrets swapped in CI (the key where the URL goes) would put the key in every
        // line that names the server: refused without quoting it.
        // The same, where the key is the URL: the "URL" is then a key the run does not know
        // as one, but shaped like one (`nk_live_...`).
        if keys.appear_in(&url) || crate::secret::has_key_shape(&url) {
            return Err("the server URL holds an API key (are NOUKAI_API_URL and NOUKAI_API_KEY swapped?); it is not shown, and nothing was sent".into());
        }
        if keys.any_is_url() {
            return Err("the API key is a URL (are NOUKAI_API_URL and NOUKAI_API_KEY swapped?); nothing was sent".into());
        }
        check_url(&url, self.allow_insecure_http)?;
        let mut config = ClientConfig::with_keys(&url, keys);
        config.extra_roots = extra_roots;
        // Shown in every line that says where the run went: never with a query it may hold
        // (`%3F...` is no query to the URL parser, but may be one).
        let label = crate::secret::redact_url(url.trim_end_matches('/'));
        Ok(Connection {
            config,
            embedded: None,
            replay: None,
            record: None,
            label,
        })
    }

    /// The run's keys: the key file's (`--api-key-file`) for what it names, the environment's
    /// for the rest (`NOUKAI_API_KEY_<ORG>_<PROJECT>` for a project the file gives no key,
    /// `NOUKAI_API_KEY` as the default when the file gives none); at least one. An
    /// environment key the file overrides is never sent, but scrubbed from output all the same.
    fn keys(&self) -> Result<Keys, String> {
        let sendable = |key: ApiKey, from: &str| {
            // Far beyond any key; past it the search for the key escaped (one pattern a
            // character) would outgrow what the regex engine builds, and go unscrubbed.
            const LONGEST_KEY: usize = 4096;
            let length = key.expose().len();
            if length > LONGEST_KEY {
                return Err(format!(
                    "the API key in {from} is {length} bytes long, and a key is at most {LONGEST_KEY}: is it the right variable or file?"
                ));
            }
            if key.bearer().is_none() {
                return Err(format!(
                    "the API key in {from} cannot be sent: it holds a character that an HTTP \
                     header cannot carry (a control character or non-ASCII text)"
                ));
            }
            Ok(key)
        };
        let mut keys = Keys::default();
        if let Some(path) = &self.api_key_file {
            // A pipe too (`<(pass show noukai)`), read to its end within the limit.
            let text = crate::files::read_limited(path, 64 << 10)
                .map_err(|err| format!("the key file: {err}"))?;
            let shown = path.display().to_string();
            let file = KeyFile::parse(&text, &shown)?;
            let from = |line: usize| format!("--api-key-file {shown}:{line}");
            for (project, key, line) in file.projects {
                let from = from(line);
                keys.projects.push(ProjectKey {
                    project,
                    key: sendable(key, &from)?,
                    from,
                });
            }
            if let Some((key, line)) = file.default {
                keys.default = Some(sendable(key, &from(line))?);
                keys.default_from = Some(from(line));
            }
            keys.file = Some(shown);
        }
        // CI systems export names like NOUKAI_API_KEY_FILE or _ID: what names no project is
        // no key, nor is an empty or non-text value (a 403, or a project left without a key,
        // names the variable it reads).
        let mut projects: Vec<(String, String, String)> = std::env::vars_os()
            .filter_map(|(name, value)| {
                let name = name.into_string().ok()?;
                let project = Keys::project_of(&name)?;
                let value = value.into_string().ok().filter(|v| !v.trim().is_empty())?;
                Some((project, name, value))
            })
            .collect();
        projects.sort();
        for (project, name, value) in projects {
            let key = ApiKey::new(value);
            if keys.projects.iter().any(|own| own.project == project) {
                keys.unused.push(key);
                continue;
            }
            keys.projects.push(ProjectKey {
                project,
                key: sendable(key, &name)?,
                from: name,
            });
        }
        match std::env::var("NOUKAI_API_KEY") {
            Ok(key) if !key.trim().is_empty() => {
                let key = ApiKey::new(key);
                if keys.default.is_some() {
                    keys.unused.push(key);
                } else {
                    keys.default = Some(sendable(key, "NOUKAI_API_KEY")?);
                    keys.default_from = Some("NOUKAI_API_KEY".into());
                }
            }
            _ if keys.default.is_some() => {}
            // No key at all is said once the plan is known, naming its projects' variables.
            _ => keys.default_from = Some("NOUKAI_API_KEY (not set)".into()),
        }
        Ok(keys)
    }
}

/// The certificates of a PEM bundle, each checked to be one; an unreadable file, a block that
/// is no certificate, or a file without any is a usage error.
fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<reqwest::Certificate>, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let shown = path.display();
    let pem = match crate::files::read_text(path, 64 << 20) {
        Ok(text) => text.into_bytes(),
        Err(crate::files::ReadError::Io(err)) => {
            return Err(format!("cannot read the CA bundle {shown}: {err}"));
        }
        Err(_) => {
            return Err(format!(
                "the CA bundle {shown} is not PEM text of at most 64 MiB"
            ));
        }
    };
    let mut roots = rustls::RootCertStore::empty();
    let mut certificates = Vec::new();
    for (n, der) in CertificateDer::pem_slice_iter(&pem).enumerate() {
        let der = der.map_err(|err| format!("the CA bundle {shown} is not valid PEM: {err}"))?;
        let invalid = |err: String| {
            format!(
                "certificate {} of the CA bundle {shown} is not a valid certificate: {err}",
                n + 1
            )
        };
        roots
            .add(der.clone())
            .map_err(|err| invalid(err.to_string()))?;
        certificates
            .push(reqwest::Certificate::from_der(&der).map_err(|err| invalid(err.to_string()))?);
    }
    if certificates.is_empty() {
        return Err(format!(
            "the CA bundle {shown} holds no certificate (expected PEM \"-----BEGIN CERTIFICATE-----\" blocks)"
        ));
    }
    Ok(certificates)
}

/// The key may travel over plain HTTP only to this machine, unless the user says otherwise.
fn check_url(url: &str, allow_insecure_http: bool) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url);
    // Quoted in the errors below without the query or fragment it may carry (a signed URL
    // pasted whole).
    let url = &crate::secret::redact_url(url);
    let parsed = parsed.map_err(|err| {
        if url.contains("://") {
            format!("the server URL {url:?} is not a valid URL: {err}")
        } else {
            format!(
                "the server URL {url:?} has no scheme: write https://{url} (or http:// for this machine)"
            )
        }
    })?;
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("the server URL must not carry credentials; use NOUKAI_API_KEY".into());
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "the server URL is the host root, e.g. https://api.noukai.xyz: {url:?} has a ?query or #fragment that the API paths would be added after"
        ));
    }
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || crate::api::is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "refusing to send the API key over plain http:// to {}; use https://, or --allow-insecure-http if you mean it",
            parsed.host_str().unwrap_or_default()
        )),
        _ => Err(format!(
            "the server URL must start with https:// (or http:// for this machine), got {url:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn plain_http_only_to_loopback() {
        assert!(check_url("http://127.0.0.1:8787", false).is_ok());
        assert!(check_url("http://localhost:1", false).is_ok());
        assert!(check_url("http://[::1]:1", false).is_ok());
        assert!(check_url("https://api.noukai.xyz", false).is_ok());
        assert!(check_url("http://api.noukai.xyz", false).is_err());
        assert!(check_url("http://api.noukai.xyz", true).is_ok());
        assert!(check_url("ftp://x", true).is_err());
        assert!(check_url("https://user:pw@api.noukai.xyz", false).is_err());
        // Look-alikes of this machine are not it.
        assert!(check_url("http://127.0.0.1.evil.example", false).is_err());
        assert!(check_url("http://localhost.evil.example:80", false).is_err());
        assert!(check_url("http://127.1.2.3:9", false).is_ok());
        // What is no URL says so, rather than blame plain http.
        for (url, why) in [
            (
                "http://127.0.0.1:65536",
                "is not a valid URL: invalid port number",
            ),
            ("http://", "is not a valid URL: empty host"),
            ("http://[::1", "is not a valid URL: invalid IPv6 address"),
            ("https://api.noukai.xyz/?q=1", "has a ?query or #fragment"),
            ("http://127.0.0.1:9#top", "has a ?query or #fragment"),
        ] {
            let refused = check_url(url, false);
            assert!(
                refused.as_ref().is_err_and(|e| e.contains(why)),
                "{url}: {refused:?}"
            );
        }
    }
}
