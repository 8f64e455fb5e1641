//! The Azure Resource Manager client: production and drills alike (in a
//! drill the inventory points `endpoint` at the lab on 127.0.0.1 and
//! `credential = "token-env"`; nothing else differs).
//!
//! - `credential`: the token, from azure_identity or an environment
//!   variable, cached until 5 minutes before it expires.
//! - `http`: one request with retries (429 and Retry-After, 409
//!   AnotherOperationInProgress, 408, 5xx, network errors and timeouts, a
//!   read's garbled body), every exchange reported as an [`ArmAttempt`]
//!   (a write's with its If-Match, changed fields, new etag and
//!   provisioningState). A write whose answer was lost is never sent
//!   again blind: `peering` reads what it did first.
//! - `retry`: which answers are transient, backoff, budgets, the clock.
//! - `lro`: Azure-AsyncOperation / Location polling.
//! - `peering`: the guarded peering state change.
//!
//! The peering's path and the same change as az CLI and PowerShell
//! commands come from [`PeeringTarget`], which the runbook's rendering
//! uses too.

pub mod credential;
mod failover_test;
mod http;
mod lro;
mod peering;
pub mod retry;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use tracing::Instrument as _;

pub use credential::{
    BearerToken, ClientCredentials, CredentialError, EnvToken, StaticToken, TokenSource, lab_tokens,
};
pub use retry::{Clock, RetryPolicy, TokioClock};

use self::http::{Http, Req};
use self::peering::parse_read;
use self::retry::Deadline;
use cutover_core::azure_call::{FailoverTestTarget, PeeringTarget, network_segments};
use cutover_core::inventory::Azure;
use cutover_core::model::azure::{
    BgpPeerStatusListResult, ExpressRouteCircuit, ExpressRouteCircuitPeering,
    FailoverStopParameters, FailoverTestDetails, FailoverTestSummary, GatewayRouteListResult,
    PeeringState, VirtualNetworkGatewayConnection,
};
use cutover_core::runbook::LinkTest;
use cutover_engine::port::{
    ArmAttempt, ArmError, ArmRead, AzureApi, ManualCommands, PeeringChange, SendPermit,
};

/// Timeouts and retry behaviour of an [`ArmClient`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmOptions {
    pub retry: RetryPolicy,
    /// TCP + TLS handshake.
    pub connect_timeout: Duration,
    /// One whole HTTP exchange: a read that takes longer is asked again,
    /// a write is followed by a read of what it may have done. The
    /// inventory's `request_timeout`, when set, wins.
    pub request_timeout: Duration,
}

impl Default for ArmOptions {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Azure::DEFAULT_REQUEST_TIMEOUT,
        }
    }
}

/// Why an [`ArmClient`] cannot be built from the inventory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArmConfigError {
    #[error("azure endpoint `{endpoint}`: {reason}")]
    Endpoint { endpoint: String, reason: String },
    #[error("azure `{0}` is empty")]
    Empty(&'static str),
    #[error(transparent)]
    Credential(#[from] CredentialError),
    #[error("cannot build the HTTP client: {0}")]
    Http(String),
}

/// The ARM client. Cheap to share behind an `Arc`; one connection pool.
#[derive(Debug)]
pub struct ArmClient {
    azure: Azure,
    /// The inventory's peering, named once for its URL and its commands.
    peering: PeeringTarget,
    http: Http,
}

impl ArmClient {
    /// The client for the inventory's `[azure]`, with its credential and
    /// the default options.
    pub fn new(azure: &Azure) -> Result<Self, ArmConfigError> {
        Self::with_options(azure, ArmOptions::default())
    }

    pub fn with_options(azure: &Azure, options: ArmOptions) -> Result<Self, ArmConfigError> {
        let (base, client) = prepare(azure, &options)?;
        let tokens = credential::from_inventory(azure, &client)?;
        Ok(Self::assemble(azure, base, client, tokens, options))
    }

    /// The client with another token source than the inventory's (a
    /// credential the inventory cannot name, or a fixed token in tests).
    pub fn with_token_source(
        azure: &Azure,
        options: ArmOptions,
        tokens: Arc<dyn TokenSource>,
    ) -> Result<Self, ArmConfigError> {
        let (base, client) = prepare(azure, &options)?;
        Ok(Self::assemble(azure, base, client, tokens, options))
    }

    /// Replaces the clock that times backoff, polling and budgets.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.http.clock = clock;
        self
    }

    pub fn azure(&self) -> &Azure {
        &self.azure
    }

    fn assemble(
        azure: &Azure,
        base: Url,
        client: reqwest::Client,
        tokens: Arc<dyn TokenSource>,
        options: ArmOptions,
    ) -> Self {
        let scope = format!("{}/.default", azure.endpoint.trim_end_matches('/'));
        Self {
            azure: azure.clone(),
            peering: PeeringTarget::from_inventory(azure),
            http: Http {
                client,
                base,
                api_version: azure.api_version.clone(),
                scope,
                tokens,
                clock: Arc::new(TokioClock),
                policy: options.retry,
            },
        }
    }

    fn read_deadline(&self) -> Deadline {
        Deadline::after(self.http.clock.as_ref(), self.http.policy.read_budget)
    }

    fn network_url(
        &self,
        kind: &str,
        name: &str,
        action: Option<&str>,
        query: &[(&str, &str)],
    ) -> Url {
        let a = &self.azure;
        let mut segments =
            network_segments(&a.subscription, &a.resource_group, kind, name).to_vec();
        segments.extend(action);
        self.http.resource_url(&segments, query)
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        what: &'static str,
    ) -> Result<ArmRead<T>, ArmError> {
        let span = tracing::info_span!("arm_read", what);
        async {
            let (reply, _) = self
                .http
                .call(&Req::get(url), self.read_deadline(), &log_only, &|_| None)
                .await?;
            parse_read(reply, what)
        }
        .instrument(span)
        .await
    }

    async fn post<T: serde::de::DeserializeOwned>(
        &self,
        url: Url,
        what: &'static str,
    ) -> Result<ArmRead<T>, ArmError> {
        let span = tracing::info_span!("arm_read", what);
        async {
            let reply = self
                .http
                .post_read(url, self.read_deadline(), &log_only)
                .await?;
            parse_read(reply, what)
        }
        .instrument(span)
        .await
    }

    fn gateway_action(&self, action: &str, query: &[(&str, &str)]) -> Url {
        self.network_url(
            "virtualNetworkGateways",
            &self.azure.gateway,
            Some(action),
            query,
        )
    }
}

/// Reads report their exchanges to the log only (the span already holds
/// them); the journal records a read's evidence, not its retries.
fn log_only(_: &ArmAttempt) {}

/// Checks the inventory's names and endpoint and builds the HTTP client.
fn prepare(azure: &Azure, options: &ArmOptions) -> Result<(Url, reqwest::Client), ArmConfigError> {
    for (field, value) in [
        ("subscription", &azure.subscription),
        ("resource_group", &azure.resource_group),
        ("circuit", &azure.circuit),
        ("peering", &azure.peering),
        ("gateway", &azure.gateway),
        ("connection", &azure.connection),
        ("api_version", &azure.api_version),
    ] {
        // An empty segment would turn `peerings/{name}` into the list URL.
        if value.trim().is_empty() {
            return Err(ArmConfigError::Empty(field));
        }
    }
    let base = parse_endpoint(&azure.endpoint)?;
    let loopback = is_loopback(&base);
    let mut builder = reqwest::Client::builder()
        // ARM does not redirect; a redirect would carry the token elsewhere.
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(options.connect_timeout)
        .timeout(match azure.request_timeout {
            Some(_) => azure.request_timeout(),
            None => options.request_timeout,
        })
        .user_agent(concat!("cutover/", env!("CARGO_PKG_VERSION")));
    if loopback {
        // The lab is on this host; a system proxy must not see its traffic.
        builder = builder.no_proxy();
    }
    let client = builder
        .build()
        .map_err(|e| ArmConfigError::Http(e.to_string()))?;
    Ok((base, client))
}

fn parse_endpoint(endpoint: &str) -> Result<Url, ArmConfigError> {
    let bad = |reason: &str| ArmConfigError::Endpoint {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(endpoint.trim_end_matches('/')).map_err(|e| bad(&e.to_string()))?;
    if url.cannot_be_a_base() || url.host_str().is_none() {
        return Err(bad("not an http(s) URL with a host"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("credentials do not belong in the URL"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("no query or fragment expected"));
    }
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(bad("plain http is allowed only for loopback addresses")),
        _ => Err(bad("the scheme must be https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some(h) if h.eq_ignore_ascii_case("localhost") => true,
        Some(h) => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

impl AzureApi for ArmClient {
    async fn get_peering(&self) -> Result<ArmRead<ExpressRouteCircuitPeering>, ArmError> {
        let span = tracing::info_span!("arm_read", what = "the peering");
        self.read_peering(self.read_deadline(), &log_only)
            .instrument(span)
            .await
    }

    async fn get_circuit(&self) -> Result<ArmRead<ExpressRouteCircuit>, ArmError> {
        let url = self
            .http
            .resource_url(&self.peering.circuit_segments(), &[]);
        self.get(url, "the circuit").await
    }

    async fn set_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        self.change_peering_state(state, on_attempt, permit, false)
            .await
    }

    async fn assert_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        self.change_peering_state(state, on_attempt, permit, true)
            .await
    }

    async fn learned_routes(&self) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        let url = self.gateway_action("getLearnedRoutes", &[]);
        self.post(url, "the gateway's learned routes").await
    }

    async fn advertised_routes(
        &self,
        peer: IpAddr,
    ) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        let peer = peer.to_string();
        let url = self.gateway_action("getAdvertisedRoutes", &[("peer", &peer)]);
        self.post(url, "the gateway's advertised routes").await
    }

    async fn bgp_peer_status(&self) -> Result<ArmRead<BgpPeerStatusListResult>, ArmError> {
        let url = self.gateway_action("getBgpPeerStatus", &[]);
        self.post(url, "the gateway's BGP peers").await
    }

    async fn get_connection(&self) -> Result<ArmRead<VirtualNetworkGatewayConnection>, ArmError> {
        let url = self.network_url("connections", &self.azure.connection, None, &[]);
        self.get(url, "the VPN connection").await
    }

    fn manual_commands(&self, state: PeeringState) -> ManualCommands {
        self.peering.manual_commands(&state)
    }

    fn failover_test_target(&self, gateway: &str) -> Option<FailoverTestTarget> {
        Some(FailoverTestTarget::from_inventory(&self.azure, gateway))
    }

    fn link_failover_test_target(
        &self,
        circuit: &str,
        link: &LinkTest,
    ) -> Option<FailoverTestTarget> {
        Some(FailoverTestTarget::link_from_inventory(
            &self.azure,
            circuit,
            link,
        ))
    }

    async fn start_failover_test(
        &self,
        t: &FailoverTestTarget,
        peering_location: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<String, ArmError> {
        let span = tracing::info_span!("arm_write", what = "start the failover test");
        self.start_test(t, peering_location, on_attempt, permit)
            .instrument(span)
            .await
    }

    async fn failover_test_details(
        &self,
        t: &FailoverTestTarget,
        peering_location: &str,
        test_id: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> Result<ArmRead<Vec<FailoverTestDetails>>, ArmError> {
        let span = tracing::info_span!("arm_read", what = "the failover test's details");
        self.test_details(t, peering_location, test_id, on_attempt)
            .instrument(span)
            .await
    }

    async fn latest_failover_tests(
        &self,
        t: &FailoverTestTarget,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> Result<ArmRead<Vec<FailoverTestSummary>>, ArmError> {
        let span = tracing::info_span!("arm_read", what = "the latest failover test");
        self.latest_tests(t, on_attempt).instrument(span).await
    }

    async fn stop_failover_test(
        &self,
        t: &FailoverTestTarget,
        stop: &FailoverStopParameters,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<(), ArmError> {
        let span = tracing::info_span!("arm_write", what = "stop the failover test");
        self.stop_test(t, stop, on_attempt, permit)
            .instrument(span)
            .await
    }
}

#[cfg(test)]
mod tests;
