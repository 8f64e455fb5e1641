//! A token from a client-credentials grant against a token endpoint
//! shaped like Microsoft Entra ID's (`POST {authority}/{tenant}/oauth2/
//! v2.0/token`), the exchange azure_identity's `ClientSecretCredential`
//! makes. azure_identity talks only to an https authority; the drill's
//! lab serves its endpoint over plain http on loopback, so the drill gets
//! its fresh tokens through this one, the same way.

use std::fmt;
use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::Url;
use reqwest::header::CONTENT_TYPE;
use time::OffsetDateTime;

use super::{BearerToken, TokenSource};
use cutover_engine::port::ArmError;

/// How long one token request may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Tokens by client-credentials grant: every call asks the endpoint, so
/// it is used behind [`super::Cached`], which keeps the token until ARM
/// refuses it or it is about to expire.
pub struct ClientCredentials {
    http: reqwest::Client,
    url: Url,
    client_id: String,
    secret: String,
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("url", &self.url.as_str())
            .field("client_id", &self.client_id)
            .field("secret", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl ClientCredentials {
    /// `authority`: the endpoint's origin.
    pub fn new(
        http: reqwest::Client,
        authority: &str,
        tenant: &str,
        client_id: &str,
        secret: impl Into<String>,
    ) -> Result<Self, String> {
        let mut url = Url::parse(authority.trim_end_matches('/'))
            .map_err(|e| format!("token authority `{authority}`: {e}"))?;
        url.path_segments_mut()
            .map_err(|()| format!("token authority `{authority}` cannot hold a path"))?
            .pop_if_empty()
            .extend([tenant, "oauth2", "v2.0", "token"]);
        Ok(Self {
            http,
            url,
            client_id: client_id.to_owned(),
            secret: secret.into(),
        })
    }

    async fn fetch(&self, scope: &str) -> Result<BearerToken, ArmError> {
        let mut form = self.url.clone();
        form.set_query(None);
        form.query_pairs_mut()
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", &self.secret)
            .append_pair("scope", scope);
        let body = form.query().unwrap_or_default().to_owned();
        let fail = |why: String| ArmError::Auth(format!("token endpoint {}: {why}", self.url));
        let resp = self
            .http
            .post(self.url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
            .timeout(TIMEOUT)
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        let answer: serde_json::Value = resp.json().await.map_err(|e| {
            fail(format!(
                "HTTP {status}, not a token answer ({})",
                e.without_url()
            ))
        })?;
        let field = |k: &str| answer.get(k).and_then(serde_json::Value::as_str);
        match (status, field("access_token")) {
            (200, Some(t)) if !t.is_empty() => {
                let lifetime = answer
                    .get("expires_in")
                    .and_then(serde_json::Value::as_u64)
                    .map(|s| OffsetDateTime::now_utc() + Duration::from_secs(s));
                Ok(BearerToken::new(t, lifetime))
            }
            _ => Err(fail(format!(
                "HTTP {status} {}: {}",
                field("error").unwrap_or("no error code"),
                field("error_description").unwrap_or("no description")
            ))),
        }
    }
}

impl TokenSource for ClientCredentials {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
        Box::pin(self.fetch(scope))
    }
}
