//! TLS termination on the client listener (rustls, PEM certificate and key).
//!
//! The server configuration sits behind an atomic pointer: `reload` (on
//! SIGHUP) swaps in freshly read files for new handshakes while existing
//! connections keep the configuration they started with. A reload that fails
//! keeps the old certificate. Knows nothing about HTTP.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpStream;

use crate::error::{Result, TrafficError};

/// Accepts TLS connections with the current certificate.
#[derive(Clone, Debug)]
pub struct TlsAcceptor {
    current: Arc<ArcSwap<ServerConfig>>,
    cert: PathBuf,
    key: PathBuf,
}

fn load(cert: &Path, key: &Path) -> Result<ServerConfig> {
    let certs = CertificateDer::pem_file_iter(cert)
        .map_err(|e| TrafficError::Tls(format!("{}: {e}", cert.display())))?
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| TrafficError::Tls(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(TrafficError::Tls(format!("{}: no certificate found", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| TrafficError::Tls(format!("{}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TrafficError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TrafficError::Tls(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

impl TlsAcceptor {
    /// Loads the certificate and key.
    pub fn new(cert: &Path, key: &Path) -> Result<Self> {
        let config = load(cert, key)?;
        Ok(Self { current: Arc::new(ArcSwap::from_pointee(config)), cert: cert.to_path_buf(), key: key.to_path_buf() })
    }

    /// Re-reads the files; on failure the current certificate stays.
    pub fn reload(&self) -> Result<()> {
        let config = load(&self.cert, &self.key)?;
        self.current.store(Arc::new(config));
        tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded");
        Ok(())
    }

    /// Performs the handshake on a new connection.
    pub async fn accept(&self, stream: TcpStream) -> std::io::Result<tokio_rustls::server::TlsStream<TcpStream>> {
        tokio_rustls::TlsAcceptor::from(self.current.load_full()).accept(stream).await
    }
}
