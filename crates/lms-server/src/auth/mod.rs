//! Authentication: argon2id password hashes, random secrets (session ids and
//! API tokens) stored only as SHA-256 hashes, and the `CurrentUser`
//! extractor that accepts a session cookie or a bearer token; the login
//! limiter's policy and the device cookies that let known devices through.

pub mod current_user;
pub mod device;
pub mod login_limit;
pub mod password;
pub mod secret;
pub mod sign_in;

pub use current_user::{CurrentUser, SESSION_COOKIE};
