//! A small Kubernetes API client: GET and PATCH of one named, namespaced
//! object, with the service account's bearer token (read from its file at
//! every request, so a rotated projected token is used) over TLS trusting
//! the cluster CA.
//!
//! Answers are mapped once, here: 401 names the token file, 403 names the
//! verb, resource, namespace and the grant the Role lacks (see `rbac`),
//! 404 names the object, 409 on a patch (and 422 "Testing value … failed"
//! on a JSON patch whose `test` failed) is an expected answer
//! ([`Patched::Conflict`], the caller reads again and retries), anything
//! else carries the API server's `Status` message. This module knows HTTP
//! and the API's URL layout, not HTTPRoutes, VirtualServices or rollouts.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use serde::de::DeserializeOwned;

use super::rbac;
use crate::error::{CutoverError, Result};
use crate::local::err;
use crate::plan::kubernetes::{
    Kubernetes, IN_CLUSTER_API_SERVER, IN_CLUSTER_CA_FILE, IN_CLUSTER_NAMESPACE_FILE, IN_CLUSTER_TOKEN_FILE,
};

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A kind of namespaced object the drivers touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resource {
    /// API group, `""` for the core group.
    pub group: &'static str,
    /// API version.
    pub version: &'static str,
    /// Plural name in URLs and RBAC.
    pub plural: &'static str,
    /// The kind, for messages.
    pub kind: &'static str,
}

/// `gateway.networking.k8s.io/v1` HTTPRoutes.
pub const HTTP_ROUTES: Resource =
    Resource { group: "gateway.networking.k8s.io", version: "v1", plural: "httproutes", kind: "HTTPRoute" };
/// `networking.istio.io/v1` VirtualServices.
pub const VIRTUAL_SERVICES: Resource =
    Resource { group: "networking.istio.io", version: "v1", plural: "virtualservices", kind: "VirtualService" };
/// Core `v1` Services.
pub const SERVICES: Resource = Resource { group: "", version: "v1", plural: "services", kind: "Service" };
/// `apps/v1` Deployments.
pub const DEPLOYMENTS: Resource = Resource { group: "apps", version: "v1", plural: "deployments", kind: "Deployment" };

/// A patch and its type.
#[derive(Debug, Clone, PartialEq)]
pub enum Patch {
    /// `application/merge-patch+json` (RFC 7386). With
    /// `metadata.resourceVersion` in it, the API server refuses it with 409
    /// when the object changed since that version was read.
    Merge(serde_json::Value),
    /// `application/json-patch+json` (RFC 6902): operations, `test` ones
    /// making the whole patch fail when a value is not as expected.
    Json(serde_json::Value),
}

impl Patch {
    fn content_type(&self) -> &'static str {
        match self {
            Patch::Merge(_) => "application/merge-patch+json",
            Patch::Json(_) => "application/json-patch+json",
        }
    }

    fn body(&self) -> &serde_json::Value {
        match self {
            Patch::Merge(v) | Patch::Json(v) => v,
        }
    }
}

/// What a patch did.
#[derive(Debug, Clone, PartialEq)]
pub enum Patched<T> {
    /// Applied; the object as it is now.
    Done(T),
    /// Refused because the object changed meanwhile (409 Conflict): read
    /// it again and retry.
    Conflict(String),
}

/// Where the API server is and who the controller is, resolved from
/// `[kubernetes]` with the in-cluster defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    /// Base URL, without a trailing `/`.
    pub api_server: String,
    /// The namespace of every object the drivers touch.
    pub namespace: String,
    /// The bearer token's file.
    pub token_file: PathBuf,
    /// The CA file (PEM) for an `https` API server.
    pub ca_file: PathBuf,
}

impl Connection {
    /// The connection `[kubernetes]` describes (`None`: all defaults); the
    /// namespace, when not written, is read from the service account's
    /// namespace file.
    pub fn from_plan(k: Option<&Kubernetes>) -> Result<Self> {
        let k = k.cloned().unwrap_or_default();
        let namespace = match k.namespace {
            Some(ns) => ns,
            None => std::fs::read_to_string(IN_CLUSTER_NAMESPACE_FILE).map(|s| s.trim().to_string()).map_err(|e| {
                err(
                    "kubernetes",
                    format!(
                        "[kubernetes] names no namespace and {IN_CLUSTER_NAMESPACE_FILE} cannot be read ({e}): write `namespace`"
                    ),
                )
            })?,
        };
        Ok(Connection {
            api_server: k.api_server.unwrap_or_else(|| IN_CLUSTER_API_SERVER.into()).trim_end_matches('/').to_string(),
            namespace,
            token_file: k.token_file.unwrap_or_else(|| IN_CLUSTER_TOKEN_FILE.into()).into(),
            ca_file: k.ca_file.unwrap_or_else(|| IN_CLUSTER_CA_FILE.into()).into(),
        })
    }
}

/// GET and PATCH of named objects in one namespace.
#[derive(Debug, Clone)]
pub struct KubeClient {
    http: reqwest::Client,
    connection: Connection,
    /// Which driver speaks (for errors): "traffic" or "deploy".
    driver: &'static str,
}

impl KubeClient {
    /// A client for `connection`, speaking for `driver` in its errors. An
    /// `https` API server needs the CA file now; `http` (a local proxy such
    /// as `kubectl proxy`, or a test's fake) needs none.
    pub fn new(connection: Connection, driver: &'static str) -> Result<Self> {
        let mut builder = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).connect_timeout(Duration::from_secs(5));
        if connection.api_server.starts_with("https://") {
            builder = builder.use_preconfigured_tls(tls_config(&connection.ca_file, driver)?);
        } else if !connection.api_server.starts_with("http://") {
            return Err(err(driver, format!("API server {:?} is not an http(s) URL", connection.api_server)));
        }
        let http = builder.build().map_err(|e| err(driver, format!("cannot build the API client: {e}")))?;
        Ok(KubeClient { http, connection, driver })
    }

    /// The namespace every object is in.
    pub fn namespace(&self) -> &str {
        &self.connection.namespace
    }

    fn url(&self, r: &Resource, name: &str) -> String {
        let ns = &self.connection.namespace;
        let base = &self.connection.api_server;
        if r.group.is_empty() {
            format!("{base}/api/{}/namespaces/{ns}/{}/{name}", r.version, r.plural)
        } else {
            format!("{base}/apis/{}/{}/namespaces/{ns}/{}/{name}", r.group, r.version, r.plural)
        }
    }

    fn token(&self) -> Result<String> {
        let path = &self.connection.token_file;
        let token = std::fs::read_to_string(path)
            .map_err(|e| err(self.driver, format!("cannot read the API token file {}: {e}", path.display())))?;
        let token = token.trim().to_string();
        if token.is_empty() {
            return Err(err(self.driver, format!("the API token file {} is empty", path.display())));
        }
        Ok(token)
    }

    /// The object `name` of kind `r`.
    pub async fn get<T: DeserializeOwned>(&self, r: &Resource, name: &str) -> Result<T> {
        let request = self.http.get(self.url(r, name)).bearer_auth(self.token()?);
        let answer = self.send("get", r, name, request, false).await?;
        self.decode(r, name, answer).await
    }

    /// Patches `name`; a 409 is [`Patched::Conflict`].
    pub async fn patch<T: DeserializeOwned>(&self, r: &Resource, name: &str, patch: &Patch) -> Result<Patched<T>> {
        let body = serde_json::to_vec(patch.body()).map_err(|e| err(self.driver, e.to_string()))?;
        let request = self
            .http
            .patch(self.url(r, name))
            .bearer_auth(self.token()?)
            .header(reqwest::header::CONTENT_TYPE, patch.content_type())
            .body(body);
        let answer = match self.send("patch", r, name, request, matches!(patch, Patch::Json(_))).await {
            Ok(a) => a,
            Err(Refused::Conflict(message)) => return Ok(Patched::Conflict(message)),
            Err(Refused::Error(e)) => return Err(e),
        };
        Ok(Patched::Done(self.decode(r, name, answer).await?))
    }

    async fn decode<T: DeserializeOwned>(&self, r: &Resource, name: &str, answer: reqwest::Response) -> Result<T> {
        let bytes = answer.bytes().await.map_err(|e| err(self.driver, format!("{} {name}: {e}", r.kind)))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            err(self.driver, format!("{} {name:?} in namespace {:?} is not as expected: {e}", r.kind, self.namespace()))
        })
    }

    async fn send(
        &self,
        verb: &str,
        r: &Resource,
        name: &str,
        request: reqwest::RequestBuilder,
        json_patch: bool,
    ) -> std::result::Result<reqwest::Response, Refused> {
        let ns = self.namespace();
        let answer = request.send().await.map_err(|e| {
            Refused::Error(err(
                self.driver,
                format!("cannot {verb} {} {name:?} at {}: {e}", r.kind, self.connection.api_server),
            ))
        })?;
        let code = answer.status().as_u16();
        if answer.status().is_success() {
            return Ok(answer);
        }
        let text = answer.text().await.unwrap_or_default();
        let said = serde_json::from_str::<Status>(&text)
            .ok()
            .and_then(|s| s.message)
            .unwrap_or_else(|| text.chars().take(300).collect());
        let message = match code {
            401 => format!(
                "the API server did not accept the token from {} (401 Unauthorized: {said})",
                self.connection.token_file.display()
            ),
            403 => rbac::forbidden(verb, r.group, r.plural, name, ns, &said),
            404 => format!("{} {name:?} not found in namespace {ns:?} (404: {said})", r.kind),
            409 if verb == "patch" => return Err(Refused::Conflict(said)),
            // A JSON patch whose `test` failed: the object is not as it was
            // read (the API server answers 422 "Testing value … failed").
            422 if json_patch && said.to_ascii_lowercase().contains("testing value") => {
                return Err(Refused::Conflict(said))
            }
            _ => format!("{verb} {} {name:?} in namespace {ns:?}: {code} {said}", r.kind),
        };
        Err(Refused::Error(err(self.driver, message)))
    }
}

/// Why a request did not succeed.
enum Refused {
    /// 409: the object changed since it was read.
    Conflict(String),
    /// Anything else, already worded.
    Error(CutoverError),
}

impl From<Refused> for CutoverError {
    fn from(r: Refused) -> Self {
        match r {
            Refused::Conflict(m) => err("kubernetes", format!("conflict: {m}")),
            Refused::Error(e) => e,
        }
    }
}

/// TLS trusting only the CAs of `ca_file`.
fn tls_config(ca_file: &std::path::Path, driver: &'static str) -> Result<rustls::ClientConfig> {
    use rustls_pki_types::pem::PemObject;
    let shown = ca_file.display();
    let mut roots = rustls::RootCertStore::empty();
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(ca_file)
        .map_err(|e| err(driver, format!("the API server's CA file {shown}: {e}")))?;
    for cert in certs {
        let cert = cert.map_err(|e| err(driver, format!("the API server's CA file {shown}: {e}")))?;
        roots.add(cert).map_err(|e| err(driver, format!("the API server's CA file {shown}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(err(driver, format!("the API server's CA file {shown} holds no certificate")));
    }
    Ok(rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| err(driver, e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth())
}
