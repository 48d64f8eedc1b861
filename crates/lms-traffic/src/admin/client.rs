//! A typed async client of the admin API, for the cutover engine and tests.
//!
//! Speaks only the public HTTP API with the shared `types`; it knows nothing
//! about the proxy's internals.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::types::{ChangeResponse, ErrorResponse, FaultsRequest, RollbackRequest, StateResponse, Weights};
use crate::error::{Result, TrafficError};

/// Client of one proxy's admin API.
#[derive(Clone, Debug)]
pub struct AdminClient {
    base: String,
    token: Option<String>,
    timeout: Duration,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl AdminClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:8001`) with an optional bearer token.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self> {
        let base = base_url.trim_end_matches('/').to_string();
        let uri: Uri = base.parse().map_err(|e| TrafficError::Config(format!("admin URL `{base_url}`: {e}")))?;
        if uri.scheme_str() != Some("http") || uri.authority().is_none() {
            return Err(TrafficError::Config(format!("admin URL `{base_url}` must be http://HOST:PORT")));
        }
        let client = Client::builder(TokioExecutor::new()).build(HttpConnector::new());
        Ok(Self { base, token, timeout: Duration::from_secs(10), client })
    }

    /// Sets the timeout of each call (default 10 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `GET /state`.
    pub async fn state(&self) -> Result<StateResponse> {
        self.call(Method::GET, "/state", None::<&()>).await
    }

    /// `PUT /weights`.
    pub async fn set_weights(&self, weights: &Weights) -> Result<ChangeResponse> {
        self.call(Method::PUT, "/weights", Some(weights)).await
    }

    /// `POST /rollback`: all traffic to `backend`.
    pub async fn rollback(&self, backend: &str) -> Result<ChangeResponse> {
        self.call(Method::POST, "/rollback", Some(&RollbackRequest { backend: backend.to_string() })).await
    }

    /// `PUT /faults`.
    pub async fn set_faults(&self, faults: &FaultsRequest) -> Result<ChangeResponse> {
        self.call(Method::PUT, "/faults", Some(faults)).await
    }

    /// `GET /metrics` (Prometheus text).
    pub async fn metrics(&self) -> Result<String> {
        let (status, body) = self.send(Method::GET, "/metrics", None).await?;
        if status >= 400 {
            return Err(rejected(status, &body));
        }
        String::from_utf8(body.to_vec()).map_err(|e| TrafficError::AdminDecode(e.to_string()))
    }

    async fn call<B: Serialize, T: DeserializeOwned>(&self, method: Method, path: &str, body: Option<&B>) -> Result<T> {
        let body = match body {
            Some(b) => Some(serde_json::to_vec(b).map_err(|e| TrafficError::AdminDecode(e.to_string()))?),
            None => None,
        };
        let (status, bytes) = self.send(method, path, body).await?;
        if status >= 400 {
            return Err(rejected(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|e| TrafficError::AdminDecode(e.to_string()))
    }

    async fn send(&self, method: Method, path: &str, body: Option<Vec<u8>>) -> Result<(u16, Bytes)> {
        let mut req = Request::builder().method(method).uri(format!("{}{path}", self.base));
        if let Some(t) = &self.token {
            req = req.header(AUTHORIZATION, format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| TrafficError::AdminTransport(e.to_string()))?;
        let fut = async {
            let resp = self.client.request(req).await.map_err(|e| TrafficError::AdminTransport(e.to_string()))?;
            let status = resp.status().as_u16();
            let bytes =
                resp.into_body().collect().await.map_err(|e| TrafficError::AdminTransport(e.to_string()))?.to_bytes();
            Ok((status, bytes))
        };
        tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| TrafficError::AdminTransport(format!("no answer within {:?}", self.timeout)))?
    }
}

fn rejected(status: u16, body: &[u8]) -> TrafficError {
    match serde_json::from_slice::<ErrorResponse>(body) {
        Ok(e) => TrafficError::AdminRejected { status, code: e.error.code, message: e.error.message },
        Err(_) => TrafficError::AdminRejected {
            status,
            code: "unknown".into(),
            message: String::from_utf8_lossy(body).chars().take(200).collect(),
        },
    }
}
