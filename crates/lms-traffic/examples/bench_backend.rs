//! A trivial HTTP/1.1 backend for benchmarks: answers every request with
//! `200 ok`, on each port given on the command line.
//!
//! `cargo run --release -p lms-traffic --example bench_backend -- 18081 18082`

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper::Response;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let ports: Vec<u16> = std::env::args().skip(1).map(|p| p.parse()).collect::<Result<_, _>>()?;
    if ports.is_empty() {
        anyhow::bail!("usage: bench_backend PORT...");
    }
    let mut set = tokio::task::JoinSet::new();
    for port in ports {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        set.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                let _ = stream.set_nodelay(true);
                tokio::spawn(async move {
                    let svc = service_fn(|_req| async {
                        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                    });
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
            }
        });
    }
    while set.join_next().await.is_some() {}
    Ok(())
}
