//! Tokens beyond the lab's own: a token endpoint shaped like Microsoft
//! Entra ID's (`POST /{tenant}/oauth2/v2.0/token`, client credentials, the
//! lab's token as the client secret), so that a client can fetch a fresh
//! token the way azure_identity's `ClientSecretCredential` does; and the
//! scenario's `token_expires_after`, which expires every token after that
//! many calls made with it.
//!
//! Tokens are kept as SHA-256 digests only, compared in constant time.

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::http::header::WWW_AUTHENTICATE;
use sha2::{Digest, Sha256};

use super::reply::Reply;

type TokenDigest = [u8; 32];

/// Issued tokens and how often each has been used.
#[derive(Debug, Default)]
pub(super) struct Tokens {
    issued: Vec<TokenDigest>,
    uses: HashMap<TokenDigest, u32>,
}

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

fn ct_eq(a: &TokenDigest, b: &TokenDigest) -> bool {
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// At most this many issued tokens are remembered (the oldest go first).
const MAX_ISSUED: usize = 256;

impl Tokens {
    /// Whether the endpoint issued `token`.
    pub(super) fn issued(&self, token: &str) -> bool {
        let d = digest(token);
        self.issued
            .iter()
            .fold(false, |found, i| found | ct_eq(i, &d))
    }

    /// Counts one call made with `token`; `false` once it has made
    /// `limit` calls already (it has expired).
    pub(super) fn use_once(&mut self, token: &str, limit: u32) -> bool {
        let n = self.uses.entry(digest(token)).or_insert(0);
        if *n >= limit {
            return false;
        }
        *n += 1;
        true
    }

    /// A new token, remembered by its digest.
    pub(super) fn issue(&mut self) -> String {
        let t = format!(
            "lab.{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        if self.issued.len() >= MAX_ISSUED {
            let old = self.issued.remove(0);
            self.uses.remove(&old);
        }
        self.issued.push(digest(&t));
        t
    }
}

/// Whether `path` is the token endpoint.
pub(super) fn is_token_path(path: &str) -> bool {
    let p = path.trim_end_matches('/');
    let mut s = p.trim_start_matches('/').split('/');
    matches!(
        (s.next(), s.next(), s.next(), s.next(), s.next()),
        (Some(t), Some("oauth2"), Some("v2.0"), Some("token"), None) if !t.is_empty()
    )
}

/// The form fields of a token request (`application/x-www-form-urlencoded`).
pub(super) fn form(body: &[u8]) -> Vec<(String, String)> {
    let text = String::from_utf8_lossy(body);
    let uri = format!("/?{}", text.trim());
    uri.parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&u).ok())
        .map(|q| q.0)
        .unwrap_or_default()
}

/// Entra ID's error answer.
pub(super) fn token_error(status: StatusCode, error: &str, description: &str) -> Reply {
    Reply::json(
        status,
        &serde_json::json!({
            "error": error,
            "error_description": description,
        }),
    )
}

/// Entra ID's answer to a client-credentials grant.
pub(super) fn token_answer(token: &str) -> Reply {
    Reply::json(
        StatusCode::OK,
        &serde_json::json!({
            "token_type": "Bearer",
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": token,
        }),
    )
}

/// ARM's answer to a token past its expiry. The lab has no tenant: its
/// token endpoint takes any.
pub(super) fn expired() -> Reply {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let message = format!(
        "The access token expiry UTC time '{}' is earlier than current UTC time '{}'.",
        crate::azure::us_datetime(now - 1),
        crate::azure::us_datetime(now)
    );
    Reply::error(
        StatusCode::UNAUTHORIZED,
        "ExpiredAuthenticationToken",
        message,
    )
    .header(
        WWW_AUTHENTICATE,
        "Bearer authorization_uri=\"https://login.microsoftonline.com/common\", error=\"invalid_token\", error_description=\"The access token has expired.\"",
    )
}
