//! The TLS check against a real TLS server on loopback whose certificate an
//! internal CA (made here) issued: valid with the CA, days to expiry from the
//! leaf, refused without the CA or for another host name.

use chrono::{Datelike, NaiveDate, Utc};
use lms_cutover::drivers::check::ProbeOutcome;
use lms_cutover::drivers::CheckDriver;
use lms_cutover::local::checks::{tls_probe, LocalChecks};
use lms_cutover::plan::model::Probe;
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use std::sync::Arc;

struct Pki {
    ca_pem: String,
    chain: Vec<rustls_pki_types::CertificateDer<'static>>,
    key: rustls_pki_types::PrivateKeyDer<'static>,
    not_after: NaiveDate,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().expect("key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key).expect("ca");
    let leaf_key = KeyPair::generate().expect("key");
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    let year = Utc::now().year() + 1;
    leaf.not_after = rcgen::date_time_ymd(year, 3, 1);
    let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).expect("leaf");
    Pki {
        ca_pem: ca.pem(),
        chain: vec![leaf.der().clone(), ca.der().clone()],
        key: rustls_pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into()),
        not_after: NaiveDate::from_ymd_opt(year, 3, 1).expect("date"),
    }
}

/// A TLS server on a free loopback port that completes handshakes.
async fn serve(pki: &Pki) -> u16 {
    let cfg = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(pki.chain.clone(), pki.key.clone_key())
        .expect("server config");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(cfg));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let _ = acceptor.accept(tcp).await;
            });
        }
    });
    port
}

#[tokio::test]
async fn certificate_from_an_internal_ca_is_checked_for_host_and_expiry() {
    let pki = pki();
    let port = serve(&pki).await;
    let dir = std::env::temp_dir().join(format!("lms-tls-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ca_file = dir.join("ca.pem");
    std::fs::write(&ca_file, &pki.ca_pem).expect("write");
    let ca = ca_file.to_str().expect("utf-8 path");

    let ok = tls_probe("localhost", port, Some(ca)).await.expect("probe");
    assert!(ok.valid_for_host, "{}", ok.detail);
    let expected = (pki.not_after - Utc::now().date_naive()).num_days();
    assert!((ok.days_to_expiry - expected).abs() <= 1, "{} vs {expected}", ok.days_to_expiry);

    // Without the internal CA the chain does not verify.
    let untrusted = tls_probe("localhost", port, None).await.expect("probe");
    assert!(!untrusted.valid_for_host);
    assert!(untrusted.detail.contains("TLS handshake"), "{}", untrusted.detail);

    // The certificate is not valid for another name on the same address.
    let wrong_host = tls_probe("127.0.0.1", port, Some(ca)).await.expect("probe");
    assert!(!wrong_host.valid_for_host, "{}", wrong_host.detail);

    // Nothing listening: a failed check with the reason, not an error.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let closed_port = closed.local_addr().expect("addr").port();
    drop(closed);
    let down = tls_probe("localhost", closed_port, Some(ca)).await.expect("probe");
    assert!(!down.valid_for_host && down.detail.contains("connect"), "{}", down.detail);

    // Through the plan's probe: min_days decides against the measured days.
    let driver = LocalChecks::new("sqlite://unused.db", "3.0.0");
    let probe = |min_days: u32| Probe::Tls { host: "localhost".into(), port, min_days, ca_file: Some(ca.to_string()) };
    for (min_days, want) in [(1, true), ((expected + 30) as u32, false)] {
        match driver.run(&probe(min_days)).await.expect("run") {
            ProbeOutcome::Done(o) => assert_eq!(o.ok, want, "min_days {min_days}: {}", o.detail),
            ProbeOutcome::NeedsPerson => panic!("a TLS probe needs no person"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
