//! A per-worker pool of keep-alive HTTP/1.1 connections to each backend.
//!
//! Each worker thread owns one pool, so a request and the backend connection
//! serving it stay on one event loop. A connection goes back to the pool only
//! after its response body was read to the end. A request that a pooled
//! connection could not even start sending (the backend closed it while it
//! sat idle) is retried once on a fresh connection; nothing else is retried.
//! Knows nothing about routing or statistics.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::body::ProxyBody;

const MAX_IDLE: usize = 1024;

/// Why a request could not be exchanged with the backend.
#[derive(Debug)]
pub enum SendError {
    /// No connection could be opened (refused, unreachable, timed out).
    Connect(String),
    /// The connection failed while the request or response head was in transit.
    Backend(hyper::Error),
}

struct Idle {
    tx: SendRequest<ProxyBody>,
    since: Instant,
}

/// Idle connections per backend.
pub struct Pool {
    authorities: Vec<String>,
    idle: Vec<Mutex<Vec<Idle>>>,
    connect_timeout: Duration,
    idle_timeout: Duration,
}

/// A connection on loan for one exchange; give it back with [`Lease::release`]
/// once the response body has ended, or drop it to close the connection.
pub struct Lease {
    pool: Arc<Pool>,
    idx: usize,
    tx: SendRequest<ProxyBody>,
}

impl Lease {
    /// Returns the connection to the pool for the next request, as soon as
    /// its connection task has finished with the previous response.
    pub fn release(self) {
        let Lease { pool, idx, mut tx } = self;
        if tx.is_closed() {
            return;
        }
        if tx.is_ready() {
            pool.put(idx, tx);
            return;
        }
        // Outside a runtime (only while shutting down) the connection is just dropped.
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Ok(Ok(())) = tokio::time::timeout(pool.idle_timeout, tx.ready()).await {
                    pool.put(idx, tx);
                }
            });
        }
    }
}

impl Pool {
    /// A pool for backends at `authorities` (host:port), by index.
    pub fn new(authorities: Vec<String>, connect_timeout: Duration, idle_timeout: Duration) -> Arc<Self> {
        let idle = authorities.iter().map(|_| Mutex::new(Vec::new())).collect();
        Arc::new(Self { authorities, idle, connect_timeout, idle_timeout })
    }

    fn put(&self, idx: usize, tx: SendRequest<ProxyBody>) {
        if let Some(slot) = self.idle.get(idx) {
            let mut idle = slot.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(Idle { tx, since: Instant::now() });
            }
        }
    }

    /// Sends `req` to backend `idx` and waits for the response head.
    pub async fn send(
        self: &Arc<Self>,
        idx: usize,
        req: Request<ProxyBody>,
    ) -> Result<(Response<Incoming>, Lease), SendError> {
        let mut req = req;
        let mut fresh = false;
        loop {
            let mut tx = if fresh {
                self.connect(idx).await?
            } else {
                match self.checkout(idx) {
                    Some(tx) => tx,
                    None => {
                        fresh = true;
                        self.connect(idx).await?
                    }
                }
            };
            match tx.try_send_request(req).await {
                Ok(resp) => return Ok((resp, Lease { pool: self.clone(), idx, tx })),
                Err(mut e) => match e.take_message() {
                    // Never sent: safe to try again, once, on a new connection.
                    Some(unsent) if !fresh => {
                        req = unsent;
                        fresh = true;
                    }
                    _ => return Err(SendError::Backend(e.into_error())),
                },
            }
        }
    }

    /// The most recently used live idle connection, if any.
    fn checkout(&self, idx: usize) -> Option<SendRequest<ProxyBody>> {
        let slot = self.idle.get(idx)?;
        loop {
            let Idle { tx, since } = slot.lock().unwrap_or_else(|e| e.into_inner()).pop()?;
            if tx.is_closed() || since.elapsed() > self.idle_timeout {
                continue;
            }
            if tx.is_ready() {
                return Some(tx);
            }
        }
    }

    async fn connect(&self, idx: usize) -> Result<SendRequest<ProxyBody>, SendError> {
        let authority = self.authorities.get(idx).ok_or_else(|| SendError::Connect("no such backend".into()))?;
        let stream = match tokio::time::timeout(self.connect_timeout, TcpStream::connect(authority.as_str())).await {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return Err(SendError::Connect(format!("{authority}: {e}"))),
            Err(_) => {
                return Err(SendError::Connect(format!("{authority}: no connection within {:?}", self.connect_timeout)))
            }
        };
        let _ = stream.set_nodelay(true);
        let (tx, conn) = http1::Builder::new()
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|e| SendError::Connect(format!("{authority}: {e}")))?;
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(error = %e, "backend connection ended with an error");
            }
        });
        // A request sent before the connection task first runs can be refused
        // as "not ready"; wait for it, so a fresh connection never fails a request.
        let mut tx = tx;
        tx.ready().await.map_err(|e| SendError::Connect(format!("{authority}: {e}")))?;
        Ok(tx)
    }
}
