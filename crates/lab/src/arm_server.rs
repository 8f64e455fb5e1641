//! The lab's Azure Resource Manager API, served over HTTP on loopback so
//! that drills reach the world through the same ARM client as production.
//!
//! What is served, under
//! `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network`
//! (names from the lab's topology, compared case-insensitively as ARM
//! compares them):
//!
//! - `GET expressRouteCircuits/{c}` (peerings embedded, in ARM's order:
//!   MicrosoftPeering first), `GET .../peerings`, `GET|PUT .../peerings/{p}`.
//!   A PUT is long-running (`Azure-AsyncOperation`, `Location`,
//!   `Retry-After`), honours `If-Match`/`If-None-Match`, and creates a
//!   peering that does not exist (201), as ARM does.
//! - `GET virtualNetworkGateways/{g}`, `POST .../getLearnedRoutes`,
//!   `.../getAdvertisedRoutes?peer=`, `.../getBgpPeerStatus[?peer=]`
//!   (202, then the result at the `Location` URL).
//! - `POST virtualNetworkGateways/{er-gateway}/startSiteFailoverTest`,
//!   `.../stopSiteFailoverTest`, `.../getFailoverAllTestsDetails`,
//!   `.../getFailoverSingleTestDetails`: Azure's site failover simulation
//!   on the ExpressRoute gateway, and its `getBgpPeerStatus` (its MSEE
//!   sessions) (`dispatch/failover.rs` lists them);
//!   `POST expressRouteCircuits/{c}/startCircuitLinkFailoverTest`, ...:
//!   the circuit's link failover test (`dispatch/link_failover.rs`).
//! - `GET connections/{cn}`.
//! - The operation URLs the answers point at:
//!   `/subscriptions/{sub}/providers/Microsoft.Network/locations/{loc}/operations/{id}`
//!   (status) and `.../operationResults/{id}` (result).
//!
//! - `POST /{tenant}/oauth2/v2.0/token`: Entra ID's client-credentials
//!   grant, with the lab's token as the client secret, for a client whose
//!   token the scenario expired (`token.rs`).
//!
//! The scenario's `[arm]` `operations`, `result_without_status` and
//! `etag_form` choose among the forms real ARM answers in: which of the
//! two operation URLs an answer names, whether a finished gateway read's
//! status URL answers the bare result, and how etags are quoted.
//!
//! Every request needs `Authorization: Bearer <token>` (the lab's, or one
//! the token endpoint issued) and `api-version`. The scenario's
//! `[[arm.fault]]` rules then may delay, withhold, replace or mangle the
//! answer (`faults.rs`, `dispatch/inject.rs`).
//! Every answer carries `x-ms-request-id` and `x-ms-correlation-request-id`
//! and echoes `x-ms-client-request-id`. Errors are `CloudError` bodies.
//!
//! The world decides what ARM says about the network: peering state and
//! provisioning, etags, operation status, routes, the scenario's scripted
//! errors. This layer only speaks HTTP for it, plus the few things the
//! world does not model: peerings created by a PUT (kept here as sent; the
//! lab's routing ignores them) and the gateway reads' operations.

mod dispatch;
mod faults;
mod ops;
mod reply;
mod token;
mod wire;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sha2::{Digest, Sha256};
use tokio::sync::watch;

use super::SharedWorld;

/// The header of the lab's own readiness probe: the scenario's fault
/// rules neither count nor touch it, so that they count the client's
/// calls only.
pub const PROBE_HEADER: &str = "x-cutover-lab-probe";

/// Tunables of the lab's ARM API. The defaults suit a drill: ARM's own
/// timings (Retry-After of 10 s and more) would make a lab slow to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmConfig {
    /// `Retry-After` (seconds) on an accepted long-running operation and on
    /// every "still running" answer while it runs.
    pub poll_retry_after_s: u32,
    /// Caps the `Retry-After` of the scenario's scripted errors, so that a
    /// scenario written with ARM's real 17 s throttle runs in CI in a
    /// second. The error message's "retry in N seconds" follows the cap.
    /// `None`: the scenario's value as written.
    pub max_fault_retry_after_s: Option<u32>,
    /// A gateway read (learned or advertised routes, BGP peers) has its
    /// result this long after the POST, on the lab's clock...
    pub query_ready_after: Duration,
    /// ...or at the latest on this poll of its operation (status or
    /// result URL, counted together). `None`: by time only.
    pub query_ready_on_poll: Option<u32>,
    /// Operations remembered; past this the oldest are forgotten (their
    /// URLs answer 404), so that a lab polled for days stays small.
    pub max_operations: usize,
}

impl Default for ArmConfig {
    fn default() -> Self {
        Self {
            poll_retry_after_s: 1,
            max_fault_retry_after_s: None,
            query_ready_after: Duration::from_secs(1),
            query_ready_on_poll: Some(2),
            max_operations: 1024,
        }
    }
}

/// The lab's ARM API as a router, with the default [`ArmConfig`].
/// Requests must carry `Authorization: Bearer {token}`.
pub fn arm_router(world: SharedWorld, token: String) -> axum::Router {
    arm_router_with(world, token, ArmConfig::default())
}

/// [`arm_router`] with explicit tunables.
pub fn arm_router_with(world: SharedWorld, token: String, config: ArmConfig) -> axum::Router {
    // No server owns the closing switch: a scenario's hang lasts until the
    // request is dropped, and a reset cannot reach a connection.
    router(world, &token, config, None).0
}

/// Serves the lab's ARM API on `listener` until `shutdown` completes, then
/// lets the requests in flight finish.
pub async fn serve_arm(
    world: SharedWorld,
    token: String,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_arm_with(world, token, ArmConfig::default(), listener, shutdown).await
}

/// [`serve_arm`] with explicit tunables.
pub async fn serve_arm_with(
    world: SharedWorld,
    token: String,
    config: ArmConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let (app, closing) = router(world, &token, config, Some(local));
    tracing::info!(%local, "lab ARM API listening");
    let app = app.into_make_service_with_connect_info::<faults::ResetSwitch>();
    axum::serve(faults::ResettableListener(listener), app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            // Ends the scenario's hangs and latencies, so that the
            // requests in flight can finish.
            let _ = closing.send(true);
        })
        .await
}

fn router(
    world: SharedWorld,
    token: &str,
    config: ArmConfig,
    local: Option<SocketAddr>,
) -> (axum::Router, watch::Sender<bool>) {
    if token.is_empty() {
        tracing::warn!("the lab ARM API has an empty token: every request will be refused");
    }
    let (names, token_expires_after, private_peering, answers) = world.with(|w, _| {
        (
            Names::of(w),
            w.scenario().faults.token_expires_after,
            w.topology()
                .private_peering()
                .map_or_else(|| "AzurePrivatePeering".to_owned(), |p| p.name.to_owned()),
            w.scenario().arm_answers,
        )
    });
    let (closing_tx, closing) = watch::channel(false);
    let server = Server {
        world,
        token: TokenCheck::new(token),
        max_operations: config.max_operations.max(1),
        config,
        // A request without a Host header (HTTP/1.0) still gets absolute
        // operation URLs that lead back here.
        fallback_host: local.map_or_else(|| "127.0.0.1".to_owned(), |a| a.to_string()),
        names,
        store: Mutex::new(ops::Store::default()),
        tokens: Mutex::new(token::Tokens::default()),
        token_expires_after,
        private_peering,
        answers,
        closing,
    };
    let app = axum::Router::new()
        .fallback(dispatch::handle)
        .with_state(Arc::new(server));
    (app, closing_tx)
}

/// The shared state of every request.
struct Server {
    world: SharedWorld,
    token: TokenCheck,
    config: ArmConfig,
    max_operations: usize,
    fallback_host: String,
    names: Names,
    /// Operations and created peerings. Lock order: this, then the world
    /// (never the other way round).
    store: Mutex<ops::Store>,
    /// Tokens from the lab's token endpoint, and calls made with each.
    tokens: Mutex<token::Tokens>,
    /// The scenario's `token_expires_after`.
    token_expires_after: Option<u32>,
    /// The scenario's `[arm]` answer forms (operation URLs, etags).
    answers: crate::scenario::ArmAnswers,
    /// Whom a fault on a call that names no peering is about.
    private_peering: String,
    /// `true` once the server shuts down: hangs and latencies end.
    closing: watch::Receiver<bool>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token, not even its digest.
        f.debug_struct("Server")
            .field("config", &self.config)
            .field("names", &self.names)
            .finish_non_exhaustive()
    }
}

/// The Azure resource names of the lab's topology.
#[derive(Debug, Clone)]
struct Names {
    subscription: String,
    resource_group: String,
    location: String,
    circuit: String,
    er_gateway: String,
    vpn_gateway: String,
    connection: String,
    local_network_gateway: String,
}

impl Names {
    fn of(w: &super::World) -> Self {
        let a = &w.topology().azure;
        Self {
            subscription: a.subscription.to_owned(),
            resource_group: a.resource_group.to_owned(),
            location: a.location.to_owned(),
            circuit: a.circuit.to_owned(),
            er_gateway: a.er_gateway.to_owned(),
            vpn_gateway: a.vpn_gateway.to_owned(),
            connection: a.connection.to_owned(),
            local_network_gateway: a.local_network_gateway.to_owned(),
        }
    }

    /// `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network`.
    fn network(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network",
            self.subscription, self.resource_group
        )
    }

    fn circuit_id(&self) -> String {
        format!("{}/expressRouteCircuits/{}", self.network(), self.circuit)
    }

    fn peering_id(&self, name: &str) -> String {
        format!("{}/peerings/{name}", self.circuit_id())
    }

    fn gateway_id(&self) -> String {
        format!(
            "{}/virtualNetworkGateways/{}",
            self.network(),
            self.vpn_gateway
        )
    }

    fn connection_id(&self) -> String {
        format!("{}/connections/{}", self.network(), self.connection)
    }

    fn local_network_gateway_id(&self) -> String {
        format!(
            "{}/localNetworkGateways/{}",
            self.network(),
            self.local_network_gateway
        )
    }

    /// The path of an operation's status (`operations`) or result
    /// (`operationResults`) URL.
    fn operation_path(&self, kind: &str, id: &str) -> String {
        format!(
            "/subscriptions/{}/providers/Microsoft.Network/locations/{}/{kind}/{id}",
            self.subscription, self.location
        )
    }
}

/// Checks bearer tokens in constant time: both sides are hashed first, so
/// neither the content nor the length of the secret shows in the timing.
struct TokenCheck {
    digest: [u8; 32],
    usable: bool,
}

impl TokenCheck {
    fn new(token: &str) -> Self {
        Self {
            digest: Sha256::digest(token.as_bytes()).into(),
            usable: !token.is_empty(),
        }
    }

    fn accepts(&self, presented: &str) -> bool {
        let other: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let diff = self
            .digest
            .iter()
            .zip(other.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        self.usable & (diff == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_check() {
        let t = TokenCheck::new("s3cret");
        assert!(t.accepts("s3cret"));
        assert!(!t.accepts("s3cre"));
        assert!(!t.accepts("s3cret "));
        assert!(!t.accepts(""));
        let empty = TokenCheck::new("");
        assert!(!empty.accepts(""));
    }
}
