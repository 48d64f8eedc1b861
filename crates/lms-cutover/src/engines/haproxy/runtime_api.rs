//! HAProxy's runtime API ("stats socket") as a transport: where it is, and
//! one command line per connection, the text answer read to the end.
//!
//! Knows nothing of weights, backends or what the answers mean; that is
//! `answers` and the driver.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::error::Result;
use crate::local::err;

/// How long one command may take, connection included.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Where the runtime API listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A UNIX socket path (`/run/haproxy/admin.sock`, or `unix:///…`).
    Unix(String),
    /// `host:port` (written `tcp://host:port` in a plan).
    Tcp(String),
}

impl Address {
    /// `tcp://host:port`, `unix://path` or a plain path.
    pub fn parse(text: &str) -> Result<Self> {
        let t = text.trim();
        if let Some(hp) = t.strip_prefix("tcp://") {
            let ok = hp.rsplit_once(':').is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
            if !ok {
                return Err(err("traffic", format!("HAProxy socket {text:?}: write tcp://host:port")));
            }
            return Ok(Address::Tcp(hp.to_string()));
        }
        let path = t.strip_prefix("unix://").unwrap_or(t);
        if path.is_empty() || path.contains("://") {
            return Err(err(
                "traffic",
                format!("HAProxy socket {text:?}: write a UNIX socket path or tcp://host:port"),
            ));
        }
        Ok(Address::Unix(path.to_string()))
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Unix(p) => write!(f, "{p}"),
            Address::Tcp(hp) => write!(f, "tcp://{hp}"),
        }
    }
}

/// Sends `command` (one line; `;` separates several) and returns the whole
/// answer. HAProxy closes the connection after answering.
pub async fn send(address: &Address, command: &str) -> Result<String> {
    let work = async {
        match address {
            Address::Unix(path) => {
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .map_err(|e| err("traffic", format!("cannot reach the HAProxy runtime API at {path}: {e}")))?;
                exchange(stream, address, command).await
            }
            Address::Tcp(hp) => {
                let stream = tokio::net::TcpStream::connect(hp.as_str())
                    .await
                    .map_err(|e| err("traffic", format!("cannot reach the HAProxy runtime API at tcp://{hp}: {e}")))?;
                exchange(stream, address, command).await
            }
        }
    };
    tokio::time::timeout(TIMEOUT, work).await.map_err(|_| {
        err("traffic", format!("the HAProxy runtime API at {address} did not answer `{command}` within {TIMEOUT:?}"))
    })?
}

async fn exchange<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    address: &Address,
    command: &str,
) -> Result<String> {
    let io = |e: std::io::Error| err("traffic", format!("HAProxy runtime API at {address}, `{command}`: {e}"));
    stream.write_all(format!("{command}\n").as_bytes()).await.map_err(io)?;
    stream.flush().await.map_err(io)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.map_err(io)?;
    String::from_utf8(answer).map_err(|_| {
        err("traffic", format!("HAProxy runtime API at {address}: the answer to `{command}` is not UTF-8"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_and_refuse() {
        assert_eq!(Address::parse("/run/a.sock").ok(), Some(Address::Unix("/run/a.sock".into())));
        assert_eq!(Address::parse("unix:///run/a.sock").ok(), Some(Address::Unix("/run/a.sock".into())));
        assert_eq!(Address::parse("tcp://127.0.0.1:9999").ok(), Some(Address::Tcp("127.0.0.1:9999".into())));
        assert!(Address::parse("tcp://127.0.0.1").is_err());
        assert!(Address::parse("http://x:1").is_err());
        assert!(Address::parse(" ").is_err());
    }
}
