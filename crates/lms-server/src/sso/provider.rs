//! The OpenID provider as LMS sees it: its discovery document and keys
//! (kept for `metadata_ttl`, fetched again at once when a token is signed
//! with a key not among them), the authorization URL of a new sign-in, the
//! code exchange with its checks, and the logout URL. The HTTP client
//! follows no redirects and waits `timeout` at most.

use super::SsoConfig;
use lms_app::sso::VerifiedClaims;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdToken, CoreIdTokenClaims, CoreUserInfoClaims,
};
use openidconnect::{
    AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret, CsrfToken, EmptyAdditionalClaims,
    EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, LogoutRequest, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl, ProviderMetadataWithLogout, RedirectUrl, Scope,
    TokenResponse,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::Mutex;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Why a sign-in through the provider failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SsoError {
    /// The provider could not be reached or answered what no provider should.
    #[error("the identity provider did not answer as expected: {0}")]
    Provider(String),
    /// The provider refused (e.g. the person cancelled there).
    #[error("the identity provider refused the sign-in: {0}")]
    Denied(String),
    /// The ID token failed a check (signature, issuer, audience, expiry, nonce).
    #[error("the identity provider's answer failed a check: {0}")]
    Token(String),
}

impl SsoError {
    /// The word the audit log and the page's message key use.
    pub fn reason(&self) -> &'static str {
        match self {
            SsoError::Provider(_) => "provider",
            SsoError::Denied(_) => "denied",
            SsoError::Token(_) => "token",
        }
    }
}

/// A sign-in begun: where to send the browser, and what to keep until the
/// provider answers (the caller stores it; none of it goes to the browser
/// but `state`, which is in the URL).
pub struct Started {
    pub authorize_url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A sign-in the provider vouched for.
pub struct VerifiedSignIn {
    pub claims: VerifiedClaims,
    /// The ID token as received: the hint of a later logout.
    pub id_token: String,
}

struct Discovered {
    at: Instant,
    metadata: ProviderMetadataWithLogout,
}

/// One OpenID provider, shared by every request of the instance.
pub struct OidcProvider {
    config: SsoConfig,
    http: reqwest::Client,
    discovered: Mutex<Option<Arc<Discovered>>>,
}

impl OidcProvider {
    /// Checks the configuration's URLs (nothing is fetched yet: a provider
    /// that is down at start does not keep LMS from starting).
    pub fn new(config: SsoConfig) -> Result<OidcProvider, String> {
        IssuerUrl::new(config.issuer.clone()).map_err(|e| format!("the issuer URL `{}`: {e}", config.issuer))?;
        RedirectUrl::new(config.redirect_url()).map_err(|e| format!("the public URL `{}`: {e}", config.public_url))?;
        if config.client_id.trim().is_empty() {
            return Err("the client id is empty".into());
        }
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(config.timeout)
            .build()
            .map_err(|e| format!("the HTTP client: {e}"))?;
        Ok(OidcProvider { config, http, discovered: Mutex::new(None) })
    }

    pub fn config(&self) -> &SsoConfig {
        &self.config
    }

    /// The discovery document and keys: kept, or fetched when older than
    /// `metadata_ttl` or when `refresh`.
    async fn discovered(&self, refresh: bool) -> Result<Arc<Discovered>, SsoError> {
        let mut slot = self.discovered.lock().await;
        if let Some(d) = slot.as_ref().filter(|d| !refresh && d.at.elapsed() < self.config.metadata_ttl) {
            return Ok(d.clone());
        }
        let issuer = IssuerUrl::new(self.config.issuer.clone()).map_err(|e| SsoError::Provider(e.to_string()))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| SsoError::Provider(format!("discovery at {}: {}", self.config.issuer, chain(&e))))?;
        let d = Arc::new(Discovered { at: Instant::now(), metadata });
        *slot = Some(d.clone());
        Ok(d)
    }

    fn client(&self, d: &Discovered) -> Result<Client, SsoError> {
        let redirect = RedirectUrl::new(self.config.redirect_url()).map_err(|e| SsoError::Provider(e.to_string()))?;
        Ok(CoreClient::from_provider_metadata(
            d.metadata.clone(),
            ClientId::new(self.config.client_id.clone()),
            self.config.client_secret.clone().map(ClientSecret::new),
        )
        .set_redirect_uri(redirect))
    }

    /// Begins a sign-in: fresh `state`, nonce and PKCE verifier, and the
    /// provider's authorization URL asking for `openid email profile`.
    pub async fn start(&self) -> Result<Started, SsoError> {
        let d = self.discovered(false).await?;
        let client = self.client(&d)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok(Started {
            authorize_url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Whether `iss` from the authorization response (RFC 9207), when the
    /// provider sends one, names this provider.
    pub fn issuer_matches(&self, iss: &str) -> bool {
        iss.trim_end_matches('/') == self.config.issuer.trim_end_matches('/')
    }

    /// Finishes a sign-in: exchanges `code` with the PKCE verifier, checks
    /// the ID token against `nonce`, and reads the email from the ID token
    /// or else from the userinfo endpoint.
    pub async fn finish(&self, code: &str, nonce: &str, pkce_verifier: &str) -> Result<VerifiedSignIn, SsoError> {
        let d = self.discovered(false).await?;
        let client = self.client(&d)?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(|e| SsoError::Provider(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_string()))
            .request_async(&self.http)
            .await
            .map_err(|e| match &e {
                openidconnect::RequestTokenError::ServerResponse(r) => SsoError::Denied(r.to_string()),
                _ => SsoError::Provider(format!("the token endpoint: {}", chain(&e))),
            })?;
        let id_token = token.id_token().ok_or_else(|| SsoError::Token("no ID token in the answer".into()))?;
        let nonce = Nonce::new(nonce.to_string());
        let first = id_token.claims(&client.id_token_verifier(), &nonce).cloned();
        let (client, claims) = match first {
            Ok(c) => (client, c),
            Err(ClaimsVerificationError::SignatureVerification(_)) => {
                // The provider may have rotated its keys: fetch them again, once.
                let client = self.client(&*self.discovered(true).await?)?;
                let c = id_token.claims(&client.id_token_verifier(), &nonce).map_err(token_error)?.clone();
                (client, c)
            }
            Err(e) => return Err(token_error(e)),
        };
        let mut verified = claims_of(&claims);
        if verified.email.is_none() || claims.email_verified().is_none() {
            if let Ok(request) = client.user_info(token.access_token().clone(), Some(claims.subject().clone())) {
                let info: CoreUserInfoClaims = request
                    .request_async::<EmptyAdditionalClaims, _, CoreGenderClaim>(&self.http)
                    .await
                    .map_err(|e| SsoError::Provider(format!("the userinfo endpoint: {}", chain(&e))))?;
                if let Some(email) = info.email() {
                    verified.email = Some(email.as_str().to_string());
                    verified.email_verified = info.email_verified().unwrap_or(false);
                }
                if verified.name.is_none() {
                    verified.name = info.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string());
                }
            }
        }
        Ok(VerifiedSignIn { claims: verified, id_token: id_token.to_string() })
    }

    /// Where to send a browser whose session `id_token` opened, to end its
    /// session at the provider too; `None` when the provider offers no
    /// logout (or is unreachable now).
    pub async fn logout_url(&self, id_token: &str) -> Option<String> {
        let d = self.discovered(false).await.ok()?;
        let end = d.metadata.additional_metadata().end_session_endpoint.clone()?;
        let mut request = LogoutRequest::from(end)
            .set_client_id(ClientId::new(self.config.client_id.clone()))
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(self.config.post_logout_url()).ok()?);
        if let Ok(token) = CoreIdToken::from_str(id_token) {
            request = request.set_id_token_hint(&token);
        }
        Some(request.http_get_url().to_string())
    }
}

fn claims_of(c: &CoreIdTokenClaims) -> VerifiedClaims {
    VerifiedClaims {
        issuer: c.issuer().as_str().to_string(),
        subject: c.subject().as_str().to_string(),
        email: c.email().map(|e| e.as_str().to_string()),
        email_verified: c.email_verified().unwrap_or(false),
        name: c.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
    }
}

fn token_error(e: ClaimsVerificationError) -> SsoError {
    SsoError::Token(e.to_string())
}

/// An error with its sources, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        s.push_str(": ");
        s.push_str(&inner.to_string());
        source = inner.source();
    }
    s
}
