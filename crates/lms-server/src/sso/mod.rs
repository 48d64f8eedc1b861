//! Single sign-on: LMS as an OpenID Connect relying party of one provider
//! (authorization-code flow with PKCE, S256). [`OidcProvider`] talks to
//! the provider — discovery, the authorization URL, the code exchange,
//! the ID token's checks (signature against the provider's keys, issuer,
//! audience, expiry, nonce), the userinfo endpoint when the ID token does
//! not carry the email, and the RP-initiated logout URL. The pages that
//! begin and finish a sign-in are `web::sso`; who the verified identity is
//! in LMS is `lms_app::sso`'s rule. This module must not know SQL or pages.

mod provider;

pub use provider::{OidcProvider, SsoError, Started, VerifiedSignIn};

use std::time::Duration;

/// How this instance signs people in through an OpenID provider.
#[derive(Debug, Clone)]
pub struct SsoConfig {
    /// The provider's issuer URL (its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// `None`: a public client (PKCE only, no client authentication).
    pub client_secret: Option<String>,
    /// What the sign-in button says after "Sign in with", e.g. `Okta`.
    pub display_name: String,
    /// Where people reach LMS (`https://leave.example.com`): the redirect
    /// URI registered at the provider is `<public_url>/sign-in/sso/callback`,
    /// the post-logout one `<public_url>/sign-in?signed_out=1`.
    pub public_url: String,
    /// How long a begun sign-in may take at the provider.
    pub login_ttl: Duration,
    /// Longest wait for the provider in one call.
    pub timeout: Duration,
    /// How long the discovery document and the keys are kept before they
    /// are fetched again (also at once when a token's key is unknown).
    pub metadata_ttl: Duration,
}

impl SsoConfig {
    /// A configuration with the defaults: ten minutes to sign in, 10 s per
    /// call, the provider's keys kept for 15 minutes.
    pub fn new(issuer: impl Into<String>, client_id: impl Into<String>, public_url: impl Into<String>) -> Self {
        SsoConfig {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: None,
            display_name: "single sign-on".into(),
            public_url: public_url.into().trim_end_matches('/').to_string(),
            login_ttl: Duration::from_secs(600),
            timeout: Duration::from_secs(10),
            metadata_ttl: Duration::from_secs(900),
        }
    }

    pub fn redirect_url(&self) -> String {
        format!("{}/sign-in/sso/callback", self.public_url)
    }

    pub fn post_logout_url(&self) -> String {
        format!("{}/sign-in?signed_out=1", self.public_url)
    }
}
