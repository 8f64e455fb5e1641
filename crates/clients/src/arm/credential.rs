//! Where the ARM bearer token comes from: the inventory's `credential`,
//! built on azure_identity, or an environment variable (what the lab and
//! CI use). The token itself is never printed: every type that holds one
//! redacts it in `Debug` and nothing here formats it into a message.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, Transport};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientAssertionCredentialOptions,
    ClientSecretCredential, ClientSecretCredentialOptions, DeveloperToolsCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
};
use futures::future::BoxFuture;
use time::OffsetDateTime;

use cutover_core::inventory::{Azure, Credential};
use cutover_engine::port::ArmError;

mod grant;

pub use grant::ClientCredentials;

/// How long before `expires_on` a cached token is replaced: a token that
/// expires while a PUT is in flight, or during a rollback, must not happen.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// A bearer token and, when known, when it expires.
#[derive(Clone)]
pub struct BearerToken {
    secret: String,
    expires_on: Option<OffsetDateTime>,
}

impl BearerToken {
    pub fn new(secret: impl Into<String>, expires_on: Option<OffsetDateTime>) -> Self {
        Self {
            secret: secret.into(),
            expires_on,
        }
    }

    /// The token text, for the `Authorization` header and nothing else.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    pub fn expires_on(&self) -> Option<OffsetDateTime> {
        self.expires_on
    }

    /// Whether the token can still be sent at `now` with `margin` to spare.
    /// A token without an expiry is always fresh.
    pub fn is_fresh(&self, now: OffsetDateTime, margin: Duration) -> bool {
        self.expires_on.is_none_or(|exp| now + margin < exp)
    }
}

impl fmt::Debug for BearerToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BearerToken")
            .field("secret", &"<redacted>")
            .field("expires_on", &self.expires_on)
            .finish()
    }
}

/// Anything that hands out ARM bearer tokens for a scope.
pub trait TokenSource: Send + Sync + fmt::Debug {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>>;

    /// Forgets a cached token, after ARM refused it (401), so the next call
    /// fetches a new one.
    fn invalidate(&self) {}
}

/// `credential = "token-env"`: the token is the value of an environment
/// variable, read on every request so that a rotated token is picked up.
#[derive(Debug, Clone)]
pub struct EnvToken {
    var: String,
}

impl EnvToken {
    pub fn new(var: impl Into<String>) -> Self {
        Self { var: var.into() }
    }
}

impl TokenSource for EnvToken {
    fn token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
        Box::pin(async move {
            match std::env::var(&self.var) {
                Ok(v) if !v.trim().is_empty() => Ok(BearerToken::new(v.trim(), None)),
                Ok(_) => Err(ArmError::Auth(format!(
                    "environment variable {} (token_env) is empty",
                    self.var
                ))),
                Err(std::env::VarError::NotPresent) => Err(ArmError::Auth(format!(
                    "environment variable {} (token_env) is not set",
                    self.var
                ))),
                Err(std::env::VarError::NotUnicode(_)) => Err(ArmError::Auth(format!(
                    "environment variable {} (token_env) is not valid UTF-8",
                    self.var
                ))),
            }
        })
    }
}

/// A token held in memory: the built-in lab's, which `cutover drill` makes
/// for the run and never writes anywhere.
#[derive(Clone)]
pub struct StaticToken {
    token: String,
}

impl StaticToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self {
            token: token.into(),
        }
    }
}

impl fmt::Debug for StaticToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticToken")
            .field("token", &"<redacted>")
            .finish()
    }
}

impl TokenSource for StaticToken {
    fn token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
        Box::pin(async move { Ok(BearerToken::new(self.token.clone(), None)) })
    }
}

/// The drill's tokens: the lab's own token first, then fresh ones from
/// the lab's token endpoint (a client-credentials grant with the lab's
/// token as the secret) once ARM says it expired, as a production
/// credential renews. `endpoint` is the lab's ARM endpoint, which serves
/// the token endpoint too.
pub fn lab_tokens(endpoint: &str, token: &str) -> Arc<dyn TokenSource> {
    // The lab is on this host: no system proxy, and no redirect that
    // could carry the secret elsewhere.
    let http = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build();
    let Ok(http) = http else {
        return Arc::new(StaticToken::new(token));
    };
    match ClientCredentials::new(http, endpoint, "lab", "cutover-drill", token) {
        Ok(c) => Arc::new(Cached::seeded(c, BearerToken::new(token, None))),
        // The endpoint was checked before any of this; should it not
        // parse, the token cannot be renewed, and that is all.
        Err(_) => Arc::new(StaticToken::new(token)),
    }
}

/// An azure_identity credential.
pub struct IdentityToken {
    kind: &'static str,
    inner: Arc<dyn TokenCredential>,
}

impl fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityToken")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

impl TokenSource for IdentityToken {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
        Box::pin(async move {
            let t = self
                .inner
                .get_token(&[scope], None)
                .await
                .map_err(|e| ArmError::Auth(format!("{}: {e}", self.kind)))?;
            Ok(BearerToken::new(t.token.secret(), Some(t.expires_on)))
        })
    }
}

/// Keeps the last token until [`REFRESH_MARGIN`] before it expires; one
/// fetch at a time, so concurrent probes do not each start `az`.
pub struct Cached<S> {
    inner: S,
    margin: Duration,
    slot: Mutex<Option<BearerToken>>,
    refresh: tokio::sync::Mutex<()>,
}

impl<S> Cached<S> {
    pub fn new(inner: S) -> Self {
        Self::with_margin(inner, REFRESH_MARGIN)
    }

    pub fn with_margin(inner: S, margin: Duration) -> Self {
        Self {
            inner,
            margin,
            slot: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// Starts from a token already in hand, used until it is refused or
    /// about to expire.
    pub fn seeded(inner: S, first: BearerToken) -> Self {
        let c = Self::new(inner);
        *c.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(first);
        c
    }

    fn fresh(&self) -> Option<BearerToken> {
        // A poisoned lock only means another thread panicked mid-update of
        // an Option: the value is still a whole token or None.
        let slot = self.slot.lock().unwrap_or_else(PoisonError::into_inner);
        slot.as_ref()
            .filter(|t| t.is_fresh(OffsetDateTime::now_utc(), self.margin))
            .cloned()
    }
}

impl<S: fmt::Debug> fmt::Debug for Cached<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cached")
            .field("inner", &self.inner)
            .field("margin", &self.margin)
            .finish_non_exhaustive()
    }
}

impl<S: TokenSource> TokenSource for Cached<S> {
    fn token<'a>(&'a self, scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
        Box::pin(async move {
            if let Some(t) = self.fresh() {
                return Ok(t);
            }
            let _one_at_a_time = self.refresh.lock().await;
            if let Some(t) = self.fresh() {
                return Ok(t);
            }
            let t = self.inner.token(scope).await?;
            *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(t.clone());
            Ok(t)
        })
    }

    fn invalidate(&self) {
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = None;
        self.inner.invalidate();
    }
}

/// Why the inventory's credential cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("azure credential `{kind}`: {reason}")]
pub struct CredentialError {
    pub kind: &'static str,
    pub reason: String,
}

fn kind_name(c: Credential) -> &'static str {
    match c {
        Credential::AzureCli => "azure-cli",
        Credential::DeveloperTools => "developer-tools",
        Credential::ManagedIdentity => "managed-identity",
        Credential::ClientSecret => "client-secret",
        Credential::WorkloadIdentity => "workload-identity",
        Credential::TokenEnv => "token-env",
    }
}

/// Builds the token source the inventory names. azure_identity's own HTTP
/// calls (Entra ID, IMDS) go through `http`, so there is one connection
/// pool and one redirect policy.
pub fn from_inventory(
    azure: &Azure,
    http: &reqwest::Client,
) -> Result<Arc<dyn TokenSource>, CredentialError> {
    let kind = kind_name(azure.credential);
    let fail = |reason: String| CredentialError { kind, reason };
    let client_options = || ClientOptions {
        transport: Some(Transport::new(Arc::new(http.clone()))),
        ..ClientOptions::default()
    };
    let identity = |inner: Arc<dyn TokenCredential>| -> Arc<dyn TokenSource> {
        Arc::new(Cached::new(IdentityToken { kind, inner }))
    };
    let source = match azure.credential {
        Credential::TokenEnv => {
            let var = azure
                .token_env
                .as_deref()
                .filter(|v| !v.is_empty())
                .ok_or_else(|| fail("needs `token_env`, the variable holding the token".into()))?;
            Arc::new(EnvToken::new(var)) as Arc<dyn TokenSource>
        }
        Credential::AzureCli => {
            let cred = AzureCliCredential::new(Some(AzureCliCredentialOptions {
                tenant_id: azure.tenant_id.clone(),
                ..AzureCliCredentialOptions::default()
            }))
            .map_err(|e| fail(e.to_string()))?;
            identity(cred)
        }
        Credential::DeveloperTools => {
            identity(DeveloperToolsCredential::new(None).map_err(|e| fail(e.to_string()))?)
        }
        Credential::ManagedIdentity => {
            let cred = ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: azure.client_id.clone().map(UserAssignedId::ClientId),
                client_options: client_options(),
            }))
            .map_err(|e| fail(e.to_string()))?;
            identity(cred)
        }
        Credential::ClientSecret => {
            let (Some(tenant), Some(client), Some(var)) = (
                azure.tenant_id.as_deref(),
                azure.client_id.clone(),
                azure.client_secret_env.as_deref(),
            ) else {
                return Err(fail(
                    "needs `tenant_id`, `client_id` and `client_secret_env`".into(),
                ));
            };
            let secret = std::env::var(var)
                .ok()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| fail(format!("environment variable {var} is not set or empty")))?;
            let cred = ClientSecretCredential::new(
                tenant,
                client,
                Secret::new(secret),
                Some(ClientSecretCredentialOptions {
                    client_options: client_options(),
                }),
            )
            .map_err(|e| fail(e.to_string()))?;
            identity(cred)
        }
        Credential::WorkloadIdentity => {
            // Tenant and client default to AZURE_TENANT_ID / AZURE_CLIENT_ID,
            // the token file to AZURE_FEDERATED_TOKEN_FILE (set by the
            // workload identity webhook).
            let cred = WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: client_options(),
                },
                client_id: azure.client_id.clone(),
                tenant_id: azure.tenant_id.clone(),
                ..WorkloadIdentityCredentialOptions::default()
            }))
            .map_err(|e| fail(e.to_string()))?;
            identity(cred)
        }
    };
    Ok(source)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
    }

    impl TokenSource for Counting {
        fn token<'a>(&'a self, _scope: &'a str) -> BoxFuture<'a, Result<BearerToken, ArmError>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst);
                Ok(BearerToken::new(
                    format!("tok-{n}"),
                    Some(OffsetDateTime::now_utc() + self.lifetime),
                ))
            })
        }
    }

    fn counting(lifetime: Duration) -> Cached<Counting> {
        Cached::new(Counting {
            calls: AtomicUsize::new(0),
            lifetime,
        })
    }

    #[tokio::test]
    async fn a_long_lived_token_is_fetched_once() {
        let c = counting(Duration::from_secs(3600));
        let a = c.token("s").await.expect("token");
        let b = c.token("s").await.expect("token");
        assert_eq!(a.secret(), "tok-0");
        assert_eq!(b.secret(), "tok-0");
        assert_eq!(c.inner.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_token_inside_the_refresh_margin_is_replaced() {
        let c = counting(Duration::from_secs(4 * 60));
        c.token("s").await.expect("token");
        let b = c.token("s").await.expect("token");
        assert_eq!(b.secret(), "tok-1");
        assert_eq!(c.inner.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidate_forces_a_new_fetch() {
        let c = counting(Duration::from_secs(3600));
        c.token("s").await.expect("token");
        c.invalidate();
        assert_eq!(c.token("s").await.expect("token").secret(), "tok-1");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let t = BearerToken::new("eyJ-very-secret", None);
        let shown = format!("{t:?} {:?}", counting(Duration::ZERO));
        assert!(!shown.contains("eyJ-very-secret"), "{shown}");
        assert!(shown.contains("<redacted>"));
    }

    #[tokio::test]
    async fn a_missing_variable_is_named_in_the_error() {
        let var = format!("CUTOVER_TEST_UNSET_{}", uuid::Uuid::new_v4().simple());
        let e = EnvToken::new(&var).token("s").await.expect_err("unset");
        assert!(matches!(&e, ArmError::Auth(m) if m.contains(&var)), "{e}");
    }

    #[test]
    fn token_env_without_a_variable_name_is_a_config_error() {
        let azure = Azure {
            endpoint: "http://127.0.0.1:1".into(),
            subscription: "s".into(),
            resource_group: "rg".into(),
            circuit: "c".into(),
            peering: "AzurePrivatePeering".into(),
            gateway: "g".into(),
            connection: "cn".into(),
            credential: Credential::TokenEnv,
            token_env: None,
            tenant_id: None,
            client_id: None,
            client_secret_env: None,
            api_version: cutover_core::azure_call::API_VERSION.into(),
            request_timeout: None,
        };
        let e = from_inventory(&azure, &reqwest::Client::new()).expect_err("no var");
        assert_eq!(e.kind, "token-env");
    }
}
