//! Command-line arguments of `lms proxy` and their validated form.
//!
//! `ProxyArgs` is what clap parses; `Config` is what the proxy runs on. All
//! parsing and checking happens here, once, so the rest of the crate only
//! ever sees valid values. Knows nothing about what the backends serve.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use hyper::Uri;

use crate::error::{Result, TrafficError};

/// Arguments of `lms proxy`: a weighted blue/green reverse proxy.
#[derive(clap::Args, Debug, Clone)]
pub struct ProxyArgs {
    /// Address to accept client traffic on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,

    /// A backend as NAME=URL, e.g. blue=http://127.0.0.1:8081 (repeat for each backend).
    #[arg(long = "backend", value_name = "NAME=URL", required = true)]
    pub backends: Vec<String>,

    /// Initial weights as NAME=PERCENT pairs summing to 100, e.g. blue=100,green=0.
    /// Backends left out get 0; without this flag the first backend gets 100.
    #[arg(long, value_name = "NAME=PERCENT,...")]
    pub weights: Option<String>,

    /// Address of the admin API (JSON state, weights, rollback, faults, /metrics).
    #[arg(long, default_value = "127.0.0.1:8001")]
    pub admin_listen: SocketAddr,

    /// Admin bearer token: the whole value is the secret (at least 16 bytes,
    /// `=` and `,` included), recorded as `admin` with every change; repeat
    /// for several. Required unless the admin address is loopback.
    #[arg(long = "admin-token", env = "LMS_PROXY_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_tokens: Vec<String>,

    /// Named admin tokens: a file with one `NAME SECRET` per line (`#`
    /// comments); NAME, never the secret, is recorded with every change.
    #[arg(long, value_name = "FILE")]
    pub admin_token_file: Option<PathBuf>,

    /// Response header that names the backend which served the request (off when not given).
    #[arg(long, value_name = "HEADER")]
    pub backend_header: Option<String>,

    /// Timeout for opening a TCP connection to a backend (e.g. 500ms, 2s).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub connect_timeout: Duration,

    /// Timeout from sending the request to receiving the response head; 504 when exceeded.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub first_byte_timeout: Duration,

    /// Idle timeout: longest silence inside a body, and longest idle keep-alive client connection.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Longest time a client may take to send a request head (HTTP/1):
    /// slow or stuck clients cannot hold the connection slots.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub header_timeout: Duration,

    /// Session stickiness: `none`, or `cookie` (a signed cookie keeps a client on its backend).
    #[arg(long, default_value = "none", value_parser = ["none", "cookie"])]
    pub sticky: String,

    /// Name of the stickiness cookie.
    #[arg(long, default_value = "lms_backend")]
    pub sticky_cookie: String,

    /// Secret that signs stickiness cookies (random per process when not given).
    #[arg(long, env = "LMS_PROXY_STICKY_SECRET", hide_env_values = true)]
    pub sticky_secret: Option<String>,

    /// Length of the sliding statistics window (1s to 1h).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub window: Duration,

    /// Path requested by active health checks on every backend.
    #[arg(long, default_value = "/api/health")]
    pub health_path: String,

    /// Interval between active health checks; 0 disables them (every backend counts as up).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub health_interval: Duration,

    /// Timeout of one health check.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    pub health_timeout: Duration,

    /// Consecutive failed checks before a backend is marked down.
    #[arg(long, default_value_t = 2)]
    pub health_fails: u32,

    /// Threads serving client traffic, each with its own event loop and backend
    /// connection pool (0 = one per CPU core).
    #[arg(long, default_value_t = 0)]
    pub workers: usize,

    /// Most client connections open at once; further clients wait in the accept queue.
    #[arg(long, default_value_t = 10_000)]
    pub max_connections: usize,

    /// Largest request head (request line and headers) accepted from a client, in bytes.
    #[arg(long, default_value_t = 16_384)]
    pub max_header_bytes: usize,

    /// On SIGTERM/SIGINT, how long in-flight requests may take before connections are closed.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub drain_timeout: Duration,

    /// PEM certificate chain: terminate TLS on the listener (needs --tls-key; reloaded on SIGHUP).
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// PEM private key for --tls-cert.
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// One backend: a name and where it lives.
#[derive(Debug, Clone)]
pub struct BackendSpec {
    /// Name used in weights, stats and the admin API (e.g. `blue`).
    pub name: String,
    /// Scheme, authority and optional path prefix of the backend.
    pub url: Uri,
}

/// An admin token and the name recorded when it is used.
#[derive(Debug, Clone)]
pub struct AdminToken {
    /// Who this token stands for in the change log.
    pub name: String,
    /// The bearer secret.
    pub secret: String,
}

/// Validated configuration the proxy runs on.
#[derive(Debug, Clone)]
pub struct Config {
    /// Client listener address.
    pub listen: SocketAddr,
    /// Admin listener address.
    pub admin_listen: SocketAddr,
    /// Backends in command-line order.
    pub backends: Vec<BackendSpec>,
    /// Initial weights, same order as `backends`, summing to 100.
    pub weights: Vec<u32>,
    /// Admin tokens; empty means no authentication (loopback only).
    pub admin_tokens: Vec<AdminToken>,
    /// Header naming the serving backend, if any.
    pub backend_header: Option<hyper::header::HeaderName>,
    /// Backend connect timeout.
    pub connect_timeout: Duration,
    /// Backend time-to-response-head timeout.
    pub first_byte_timeout: Duration,
    /// Body silence / idle keep-alive timeout.
    pub idle_timeout: Duration,
    /// Longest time to receive a request head.
    pub header_timeout: Duration,
    /// Cookie stickiness: cookie name and signing secret.
    pub sticky: Option<StickyConfig>,
    /// Sliding window length.
    pub window: Duration,
    /// Active health checks, if enabled.
    pub health: Option<HealthConfig>,
    /// Serving threads (at least 1).
    pub workers: usize,
    /// Connection limit.
    pub max_connections: usize,
    /// Request head size limit.
    pub max_header_bytes: usize,
    /// Drain deadline.
    pub drain_timeout: Duration,
    /// TLS material, if terminating TLS.
    pub tls: Option<TlsConfig>,
}

/// Cookie stickiness settings.
#[derive(Debug, Clone)]
pub struct StickyConfig {
    /// Cookie name.
    pub cookie: String,
    /// HMAC key.
    pub secret: Vec<u8>,
}

/// Active health check settings.
#[derive(Debug, Clone)]
pub struct HealthConfig {
    /// Path and query requested.
    pub path: String,
    /// Interval between checks.
    pub interval: Duration,
    /// Timeout of one check.
    pub timeout: Duration,
    /// Consecutive failures before marking down.
    pub fails: u32,
}

/// TLS certificate and key paths.
#[derive(Debug, Clone)]
pub struct TlsConfig {
    /// PEM certificate chain.
    pub cert: PathBuf,
    /// PEM private key.
    pub key: PathBuf,
}

impl ProxyArgs {
    /// Arguments with defaults for the given backends, as clap would produce them.
    /// Handy for embedding the proxy (tests, rehearsals) without a command line.
    pub fn new(listen: SocketAddr, admin_listen: SocketAddr, backends: &[(&str, &str)]) -> Self {
        Self {
            listen,
            backends: backends.iter().map(|(n, u)| format!("{n}={u}")).collect(),
            weights: None,
            admin_listen,
            admin_tokens: Vec::new(),
            admin_token_file: None,
            backend_header: None,
            connect_timeout: Duration::from_secs(2),
            first_byte_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(60),
            header_timeout: Duration::from_secs(10),
            sticky: "none".into(),
            sticky_cookie: "lms_backend".into(),
            sticky_secret: None,
            window: Duration::from_secs(60),
            health_path: "/api/health".into(),
            health_interval: Duration::from_secs(2),
            health_timeout: Duration::from_secs(1),
            health_fails: 2,
            workers: 0,
            max_connections: 10_000,
            max_header_bytes: 16_384,
            drain_timeout: Duration::from_secs(30),
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl Config {
    /// Validates command-line arguments.
    pub fn from_args(args: &ProxyArgs) -> Result<Self> {
        let backends = args.backends.iter().map(|b| parse_backend(b)).collect::<Result<Vec<_>>>()?;
        if backends.is_empty() {
            return Err(cfg("at least one --backend NAME=URL is required"));
        }
        for (i, b) in backends.iter().enumerate() {
            if backends[..i].iter().any(|o| o.name == b.name) {
                return Err(cfg(format!("backend `{}` is given twice", b.name)));
            }
        }
        let names: Vec<&str> = backends.iter().map(|b| b.name.as_str()).collect();
        let weights = match &args.weights {
            Some(w) => parse_weights(w, &names)?,
            None => {
                let mut w = vec![0; backends.len()];
                w[0] = 100;
                w
            }
        };
        let admin_tokens = admin_tokens(&args.admin_tokens, args.admin_token_file.as_deref())?;
        if admin_tokens.is_empty() && !args.admin_listen.ip().is_loopback() {
            return Err(cfg(format!(
                "the admin API on {} is not loopback: give --admin-token or LMS_PROXY_ADMIN_TOKEN",
                args.admin_listen
            )));
        }
        let backend_header = match &args.backend_header {
            Some(h) => Some(
                hyper::header::HeaderName::from_bytes(h.as_bytes())
                    .map_err(|_| cfg(format!("--backend-header `{h}` is not a valid header name")))?,
            ),
            None => None,
        };
        let sticky = match args.sticky.as_str() {
            "cookie" => {
                if args.sticky_cookie.is_empty()
                    || !args.sticky_cookie.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
                {
                    return Err(cfg("--sticky-cookie must be letters, digits, '_' or '-'"));
                }
                let secret = match &args.sticky_secret {
                    Some(s) if !s.is_empty() => s.as_bytes().to_vec(),
                    _ => {
                        use rand::RngCore;
                        let mut k = vec![0u8; 32];
                        rand::thread_rng().fill_bytes(&mut k);
                        k
                    }
                };
                Some(StickyConfig { cookie: args.sticky_cookie.clone(), secret })
            }
            "none" => None,
            other => return Err(cfg(format!("--sticky must be none or cookie, not `{other}`"))),
        };
        if args.window < Duration::from_secs(1) || args.window > Duration::from_secs(3600) {
            return Err(cfg("--window must be between 1s and 1h"));
        }
        let health = if args.health_interval.is_zero() {
            None
        } else {
            if !args.health_path.starts_with('/') {
                return Err(cfg("--health-path must start with '/'"));
            }
            Some(HealthConfig {
                path: args.health_path.clone(),
                interval: args.health_interval,
                timeout: args.health_timeout.max(Duration::from_millis(1)),
                fails: args.health_fails.max(1),
            })
        };
        for (what, d) in [
            ("--connect-timeout", args.connect_timeout),
            ("--first-byte-timeout", args.first_byte_timeout),
            ("--idle-timeout", args.idle_timeout),
            ("--header-timeout", args.header_timeout),
        ] {
            if d.is_zero() {
                return Err(cfg(format!("{what} must be more than 0")));
            }
        }
        if args.max_connections == 0 || args.max_connections > 1_000_000 {
            return Err(cfg("--max-connections must be between 1 and 1000000"));
        }
        if args.max_header_bytes > 1 << 20 {
            return Err(cfg("--max-header-bytes must be at most 1048576"));
        }
        let tls = match (&args.tls_cert, &args.tls_key) {
            (Some(cert), Some(key)) => Some(TlsConfig { cert: cert.clone(), key: key.clone() }),
            (None, None) => None,
            _ => return Err(cfg("--tls-cert and --tls-key go together")),
        };
        Ok(Self {
            listen: args.listen,
            admin_listen: args.admin_listen,
            backends,
            weights,
            admin_tokens,
            backend_header,
            connect_timeout: args.connect_timeout,
            first_byte_timeout: args.first_byte_timeout,
            idle_timeout: args.idle_timeout,
            header_timeout: args.header_timeout,
            sticky,
            window: args.window,
            health,
            workers: if args.workers == 0 {
                std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
            } else {
                args.workers.min(256)
            },
            max_connections: args.max_connections,
            // hyper refuses buffers under 8 KiB.
            max_header_bytes: args.max_header_bytes.max(8192),
            drain_timeout: args.drain_timeout,
            tls,
        })
    }
}

fn cfg(msg: impl Into<String>) -> TrafficError {
    TrafficError::Config(msg.into())
}

/// True when `name` is usable as a backend or token name.
pub(crate) fn valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= 64 && name.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-')
}

fn parse_backend(s: &str) -> Result<BackendSpec> {
    let (name, url) = s.split_once('=').ok_or_else(|| cfg(format!("--backend `{s}` must be NAME=URL")))?;
    if !valid_name(name) {
        return Err(cfg(format!("backend name `{name}` must be letters, digits, '_' or '-'")));
    }
    let url: Uri = url.parse().map_err(|e| cfg(format!("backend `{name}`: `{url}` is not a URL: {e}")))?;
    if url.scheme_str() != Some("http") || url.authority().is_none() {
        return Err(cfg(format!("backend `{name}`: URL must be http://HOST:PORT[/prefix]")));
    }
    if url.query().is_some() {
        return Err(cfg(format!("backend `{name}`: URL must not carry a query")));
    }
    Ok(BackendSpec { name: name.to_string(), url })
}

/// Parses `blue=90,green=10` against the known backend names.
pub(crate) fn parse_weights(s: &str, names: &[&str]) -> Result<Vec<u32>> {
    let mut weights = vec![0u32; names.len()];
    let mut seen = vec![false; names.len()];
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, w) = pair.split_once('=').ok_or_else(|| cfg(format!("weight `{pair}` must be NAME=PERCENT")))?;
        let idx = names
            .iter()
            .position(|n| *n == name.trim())
            .ok_or_else(|| cfg(format!("weight for unknown backend `{name}`")))?;
        if seen[idx] {
            return Err(cfg(format!("weight for `{name}` is given twice")));
        }
        seen[idx] = true;
        weights[idx] =
            w.trim().parse().map_err(|_| cfg(format!("weight `{w}` for `{name}` must be an integer from 0 to 100")))?;
    }
    check_sum(&weights)?;
    Ok(weights)
}

/// Weights must sum to exactly 100.
pub(crate) fn check_sum(weights: &[u32]) -> Result<()> {
    let sum: u64 = weights.iter().map(|w| u64::from(*w)).sum();
    if sum != 100 {
        return Err(cfg(format!("weights must sum to 100, not {sum}")));
    }
    Ok(())
}

/// Shortest admin secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;

/// The admin tokens: each `--admin-token` value whole (named `admin`,
/// `admin-2`, …), then the file's `NAME SECRET` lines.
fn admin_tokens(bare: &[String], file: Option<&std::path::Path>) -> Result<Vec<AdminToken>> {
    let mut out: Vec<AdminToken> = Vec::new();
    for (i, secret) in bare.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).enumerate() {
        let name = if i == 0 { "admin".to_string() } else { format!("admin-{}", i + 1) };
        out.push(token(name, secret, "--admin-token")?);
    }
    if let Some(path) = file {
        let text =
            std::fs::read_to_string(path).map_err(|e| cfg(format!("--admin-token-file {}: {e}", path.display())))?;
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let at = format!("{}:{}", path.display(), n + 1);
            let Some((name, secret)) = line.split_once(char::is_whitespace) else {
                return Err(cfg(format!("{at}: write `NAME SECRET`")));
            };
            if !valid_name(name) {
                return Err(cfg(format!("{at}: token name `{name}`: letters, digits, `-` and `_` only")));
            }
            out.push(token(name.to_string(), secret.trim(), &at)?);
        }
    }
    for (i, t) in out.iter().enumerate() {
        if out[..i].iter().any(|o| o.name == t.name) {
            return Err(cfg(format!("admin token name `{}` is used twice", t.name)));
        }
    }
    Ok(out)
}

fn token(name: String, secret: &str, at: &str) -> Result<AdminToken> {
    if secret.len() < MIN_SECRET_LEN {
        return Err(cfg(format!(
            "{at}: the admin token `{name}` is {} bytes; use at least {MIN_SECRET_LEN} (e.g. `openssl rand -base64 24`)",
            secret.len()
        )));
    }
    if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(cfg(format!("{at}: the admin token `{name}` holds spaces or control characters")));
    }
    Ok(AdminToken { name, secret: secret.to_string() })
}

/// Parses `250ms`, `2s`, `5m`, `1h` or a bare number of seconds.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("`{s}` is not a duration like 500ms, 2s, 1m"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s, m or h)")),
    };
    if !secs.is_finite() || !(0.0..=86_400.0 * 365.0).contains(&secs) {
        return Err(format!("`{s}` is out of range"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(parse_duration("1m"), Ok(Duration::from_secs(60)));
        assert!(parse_duration("x").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }

    #[test]
    fn weights() {
        let names = ["blue", "green"];
        assert_eq!(parse_weights("blue=90,green=10", &names).ok(), Some(vec![90, 10]));
        assert_eq!(parse_weights("green=100", &names).ok(), Some(vec![0, 100]));
        assert!(parse_weights("blue=90,green=20", &names).is_err());
        assert!(parse_weights("blue=90,red=10", &names).is_err());
        assert!(parse_weights("blue=x", &names).is_err());
    }
}

#[cfg(test)]
mod cli_tests {
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: super::ProxyArgs,
    }

    #[test]
    fn clap_definition_is_valid_and_parses_the_issue_example() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "lms-proxy",
            "--listen",
            "127.0.0.1:8000",
            "--backend",
            "blue=http://127.0.0.1:8081",
            "--backend",
            "green=http://127.0.0.1:8082",
            "--weights",
            "blue=100,green=0",
            "--admin-listen",
            "127.0.0.1:8001",
        ]);
        let Ok(cli) = cli else { panic!("the documented command line parses") };
        let cfg = super::Config::from_args(&cli.args).map_err(|e| e.to_string());
        assert_eq!(cfg.map(|c| c.weights), Ok(vec![100, 0]));
        assert!(Cli::try_parse_from(["lms-proxy", "--backend", "b=http://x:1", "--tls-cert", "c.pem"]).is_err());
    }
}
