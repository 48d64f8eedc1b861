//! Test kit: small hyper backends on port 0, a proxy on port 0, a client,
//! and polling with a deadline (never sleeping as synchronisation).

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Empty, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use lms_traffic::{Config, ProxyArgs, ProxyHandle};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type TestBody = UnsyncBoxBody<Bytes, BoxError>;

const CHUNK: &[u8] = &[b'x'; 64 * 1024];

/// Shared switches and signals of one test backend.
#[derive(Default)]
pub struct Knobs {
    pub healthy: AtomicBool,
    pub hits: AtomicU64,
    /// Connections accepted.
    pub conns: AtomicU64,
    /// `/gated` waits on this between its two chunks.
    pub gate: Notify,
    /// Notified when `/count` receives its first body frame.
    pub first_frame: Notify,
    /// Notified when `/slow` or `/hang` has started.
    pub started: Notify,
    /// `/held` answers only once this is notified.
    pub release: Notify,
}

/// A backend that answers with its own name, plus a few test routes.
pub struct TestBackend {
    pub name: String,
    pub addr: SocketAddr,
    pub knobs: Arc<Knobs>,
    task: tokio::task::JoinHandle<()>,
}

impl TestBackend {
    pub async fn start(name: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind backend");
        let addr = listener.local_addr().expect("backend addr");
        let knobs = Arc::new(Knobs { healthy: AtomicBool::new(true), ..Knobs::default() });
        let (name_c, knobs_c) = (name.to_string(), knobs.clone());
        let task = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else { continue };
                knobs_c.conns.fetch_add(1, Ordering::Relaxed);
                let (name, knobs) = (name_c.clone(), knobs_c.clone());
                conns.spawn(async move {
                    let svc = service_fn(move |req| {
                        let (name, knobs) = (name.clone(), knobs.clone());
                        async move { Ok::<_, Infallible>(route(&name, &knobs, req).await) }
                    });
                    let _ =
                        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                });
                while conns.try_join_next().is_some() {}
            }
        });
        Self { name: name.to_string(), addr, knobs, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Crashes the backend: closes the listener and every open connection.
    pub fn kill(&self) {
        self.task.abort();
    }
}

impl Drop for TestBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn text(status: StatusCode, s: String) -> Response<TestBody> {
    let mut r = Response::new(Full::new(Bytes::from(s)).map_err(|e| match e {}).boxed_unsync());
    *r.status_mut() = status;
    r
}

fn query(req: &Request<Incoming>, key: &str) -> Option<u64> {
    req.uri().query()?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        if k == key {
            v.parse().ok()
        } else {
            None
        }
    })
}

/// A body of `remaining` bytes produced chunk by chunk.
struct Generated {
    remaining: u64,
}

impl Body for Generated {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        if self.remaining == 0 {
            return Poll::Ready(None);
        }
        let n = self.remaining.min(CHUNK.len() as u64);
        self.remaining -= n;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK[..n as usize])))))
    }
}

/// A body fed through a channel.
pub struct ChannelBody(pub mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = BoxError;
    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        self.0.poll_recv(cx).map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

async fn route(name: &str, knobs: &Arc<Knobs>, req: Request<Incoming>) -> Response<TestBody> {
    knobs.hits.fetch_add(1, Ordering::Relaxed);
    match req.uri().path() {
        "/api/health" => {
            if knobs.healthy.load(Ordering::Relaxed) {
                text(StatusCode::OK, "ok".into())
            } else {
                text(StatusCode::SERVICE_UNAVAILABLE, "sick".into())
            }
        }
        "/slow" => {
            knobs.started.notify_one();
            tokio::time::sleep(Duration::from_millis(query(&req, "ms").unwrap_or(1000))).await;
            text(StatusCode::OK, name.into())
        }
        "/held" => {
            knobs.release.notified().await;
            text(StatusCode::OK, name.into())
        }
        "/hang" => {
            knobs.started.notify_one();
            std::future::pending::<()>().await;
            text(StatusCode::OK, name.into())
        }
        "/status" => {
            let code = query(&req, "code").and_then(|c| u16::try_from(c).ok()).unwrap_or(200);
            text(StatusCode::from_u16(code).unwrap_or(StatusCode::OK), name.into())
        }
        "/maintenance" => {
            let mut r = text(StatusCode::SERVICE_UNAVAILABLE, "maintenance".into());
            r.headers_mut().insert("lms-maintenance", hyper::header::HeaderValue::from_static("on"));
            r
        }
        "/big" => {
            let remaining = query(&req, "bytes").unwrap_or(0);
            Response::new(Generated { remaining }.boxed_unsync())
        }
        "/gated" => {
            let (tx, rx) = mpsc::channel(2);
            let _ = tx.send(Bytes::from_static(b"first")).await;
            let knobs = knobs.clone();
            tokio::spawn(async move {
                knobs.gate.notified().await;
                let _ = tx.send(Bytes::from_static(b"second")).await;
            });
            Response::new(ChannelBody(rx).boxed_unsync())
        }
        "/count" => {
            let mut body = req.into_body();
            let mut n: u64 = 0;
            let mut first = true;
            while let Some(frame) = body.frame().await {
                match frame {
                    Ok(f) => {
                        if let Some(d) = f.data_ref() {
                            n += d.len() as u64;
                            if first && !d.is_empty() {
                                first = false;
                                knobs.first_frame.notify_one();
                            }
                        }
                    }
                    Err(_) => return text(StatusCode::BAD_REQUEST, "broken body".into()),
                }
            }
            text(StatusCode::OK, n.to_string())
        }
        "/headers" => {
            let map: BTreeMap<String, String> = req
                .headers()
                .iter()
                .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                .collect();
            text(StatusCode::OK, serde_json::to_string(&map).unwrap_or_default())
        }
        _ => text(StatusCode::OK, name.into()),
    }
}

/// Proxy arguments for these backends, health checks every 100 ms and the
/// backend header on so tests can see who served.
pub fn args(backends: &[&TestBackend]) -> ProxyArgs {
    let list: Vec<(&str, String)> = backends.iter().map(|b| (b.name.as_str(), b.url())).collect();
    let pairs: Vec<(&str, &str)> = list.iter().map(|(n, u)| (*n, u.as_str())).collect();
    let mut a = ProxyArgs::new("127.0.0.1:0".parse().expect("addr"), "127.0.0.1:0".parse().expect("addr"), &pairs);
    a.backend_header = Some("x-lms-backend".into());
    a.health_interval = Duration::from_millis(100);
    a.health_timeout = Duration::from_millis(500);
    a
}

pub async fn start_proxy(args: ProxyArgs) -> ProxyHandle {
    let cfg = Config::from_args(&args).expect("valid config");
    lms_traffic::start(cfg).await.expect("proxy starts")
}

pub fn client() -> Client<HttpConnector, TestBody> {
    Client::builder(TokioExecutor::new()).build(HttpConnector::new())
}

pub fn empty() -> TestBody {
    Empty::<Bytes>::new().map_err(|e| match e {}).boxed_unsync()
}

pub struct Answer {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: String,
}

/// GET through a client; transport errors come back as `Err`.
pub async fn get(c: &Client<HttpConnector, TestBody>, url: &str) -> Result<Answer, String> {
    send(c, Request::get(url).body(empty()).map_err(|e| e.to_string())?).await
}

pub async fn send(c: &Client<HttpConnector, TestBody>, req: Request<TestBody>) -> Result<Answer, String> {
    let resp = c.request(req).await.map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes();
    Ok(Answer { status, headers, body: String::from_utf8_lossy(&body).into_owned() })
}

/// Polls `cond` until it holds or `within` passes; panics with `what` on timeout.
pub async fn eventually<F, Fut>(within: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if cond().await {
            return;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends `n` GETs to `url` over `workers` keep-alive connections and
/// returns (status or 0 for transport error, served-by header) per request.
pub async fn blast(url: &str, n: usize, workers: usize) -> Vec<(u16, String)> {
    let c = client();
    let mut set = tokio::task::JoinSet::new();
    for w in 0..workers {
        let (c, url) = (c.clone(), url.to_string());
        let share = n / workers + usize::from(w < n % workers);
        set.spawn(async move {
            let mut out = Vec::with_capacity(share);
            for _ in 0..share {
                match get(&c, &url).await {
                    Ok(a) => out.push((a.status, a.body)),
                    Err(_) => out.push((0, String::new())),
                }
            }
            out
        });
    }
    let mut all = Vec::with_capacity(n);
    while let Some(r) = set.join_next().await {
        all.extend(r.expect("worker"));
    }
    all
}

/// Admin client of a test proxy (no token).
pub trait AdminForTest {
    fn admin_client_for_test(&self) -> lms_traffic::AdminClient;
}
impl AdminForTest for lms_traffic::ProxyHandle {
    fn admin_client_for_test(&self) -> lms_traffic::AdminClient {
        lms_traffic::AdminClient::new(&self.admin_url(), None).expect("admin client")
    }
}
