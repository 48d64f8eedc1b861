//! `run_proxy` reloads its TLS certificate on SIGHUP. Alone in its test
//! binary because the signal goes to the whole process.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use rustls::pki_types::{CertificateDer, ServerName};

async fn connects_with(addr: std::net::SocketAddr, trust: CertificateDer<'static>) -> bool {
    let mut roots = rustls::RootCertStore::empty();
    if roots.add(trust).is_err() {
        return false;
    }
    let Ok(builder) = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
    else {
        return false;
    };
    let cfg = builder.with_root_certificates(roots).with_no_client_auth();
    let Ok(tcp) = tokio::net::TcpStream::connect(addr).await else { return false };
    let Ok(name) = ServerName::try_from("localhost") else { return false };
    tokio_rustls::TlsConnector::from(Arc::new(cfg)).connect(name, tcp).await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_reloads_the_certificate() {
    use tokio::signal::unix::{signal, SignalKind};
    // Take over both signals first so their default action (exit) never fires.
    let _hup = signal(SignalKind::hangup()).expect("signal");
    let _term = signal(SignalKind::terminate()).expect("signal");

    let dir = std::env::temp_dir().join(format!("lms-traffic-sighup-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let gen = || rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
    let (first, second) = (gen(), gen());
    std::fs::write(dir.join("cert.pem"), first.cert.pem()).expect("write");
    std::fs::write(dir.join("key.pem"), first.key_pair.serialize_pem()).expect("write");

    let blue = TestBackend::start("blue").await;
    let free = || std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port");
    let (listen, admin_listen) = (free(), free());
    let mut a = args(&[&blue]);
    a.listen = listen;
    a.admin_listen = admin_listen;
    a.tls_cert = Some(dir.join("cert.pem"));
    a.tls_key = Some(dir.join("key.pem"));
    let proxy = tokio::spawn(lms_traffic::run_proxy(a));
    let admin = lms_traffic::AdminClient::new(&format!("http://{admin_listen}"), None).expect("client");
    eventually(Duration::from_secs(10), "proxy up", || {
        let admin = admin.clone();
        async move { admin.state().await.is_ok() }
    })
    .await;
    assert!(connects_with(listen, first.cert.der().clone()).await);

    std::fs::write(dir.join("cert.pem"), second.cert.pem()).expect("write");
    std::fs::write(dir.join("key.pem"), second.key_pair.serialize_pem()).expect("write");
    let kill = |sig: &str| {
        std::process::Command::new("kill").args([sig, &std::process::id().to_string()]).status().expect("kill runs")
    };
    assert!(kill("-HUP").success());
    let second_der = second.cert.der().clone();
    eventually(Duration::from_secs(10), "new certificate served", || connects_with(listen, second_der.clone())).await;

    assert!(kill("-TERM").success());
    let r = tokio::time::timeout(Duration::from_secs(20), proxy).await.expect("drained").expect("join");
    assert!(r.is_ok(), "{r:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
