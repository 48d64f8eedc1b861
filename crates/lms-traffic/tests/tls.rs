//! TLS termination: HTTPS served with the configured certificate, and a
//! reload swaps it for new connections without dropping open ones.

mod common;

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use common::*;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::net::TcpStream;

struct Cert {
    der: CertificateDer<'static>,
    cert_pem: String,
    key_pem: String,
}

fn cert() -> Cert {
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    Cert { der: ck.cert.der().clone(), cert_pem: ck.cert.pem(), key_pem: ck.key_pair.serialize_pem() }
}

fn write(dir: &std::path::Path, c: &Cert) {
    std::fs::write(dir.join("cert.pem"), &c.cert_pem).expect("write cert");
    std::fs::write(dir.join("key.pem"), &c.key_pem).expect("write key");
}

async fn connect(
    addr: std::net::SocketAddr,
    trust: &CertificateDer<'static>,
) -> Result<SendRequest<Empty<Bytes>>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(trust.clone()).map_err(|e| e.to_string())?;
    let mut cfg = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let name = ServerName::try_from("localhost").map_err(|e| e.to_string())?;
    let tls = tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await.map_err(|e| e.to_string())?;
    let (tx, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(tx)
}

async fn fetch(tx: &mut SendRequest<Empty<Bytes>>, path: &str) -> String {
    let req = Request::get(path).header("host", "localhost").body(Empty::new()).expect("request");
    tx.ready().await.expect("connection ready");
    let resp = tx.send_request(req).await.expect("response");
    let body = resp.into_body().collect().await.expect("body").to_bytes();
    String::from_utf8_lossy(&body).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_certificate_reload() {
    let dir: PathBuf = std::env::temp_dir().join(format!("lms-traffic-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (first, second) = (cert(), cert());
    write(&dir, &first);

    let blue = TestBackend::start("blue").await;
    let mut a = args(&[&blue]);
    a.tls_cert = Some(dir.join("cert.pem"));
    a.tls_key = Some(dir.join("key.pem"));
    let proxy = start_proxy(a).await;
    let addr = proxy.local_addr();

    let mut old = connect(addr, &first.der).await.expect("TLS with the first certificate");
    assert_eq!(fetch(&mut old, "/").await, "blue");
    let headers = fetch(&mut old, "/headers").await;
    assert!(headers.contains("\"x-forwarded-proto\":\"https\""), "{headers}");

    write(&dir, &second);
    proxy.reload_tls().expect("reload");
    assert!(connect(addr, &first.der).await.is_err(), "new connections get the new certificate");
    let mut new = connect(addr, &second.der).await.expect("TLS with the second certificate");
    assert_eq!(fetch(&mut new, "/").await, "blue");
    // The connection opened before the reload is still served.
    assert_eq!(fetch(&mut old, "/").await, "blue");

    // A broken file keeps the current certificate.
    std::fs::write(dir.join("cert.pem"), "not a certificate").expect("write");
    assert!(proxy.reload_tls().is_err());
    let mut again = connect(addr, &second.der).await.expect("still the second certificate");
    assert_eq!(fetch(&mut again, "/").await, "blue");
    let _ = std::fs::remove_dir_all(&dir);
}
