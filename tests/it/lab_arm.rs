//! The lab's ARM API over real HTTP on 127.0.0.1: what a client (reqwest
//! here, the console's ARM client in the last test) sees on the wire. The
//! world runs on a virtual clock that moves only when a test says so (or
//! when the ARM client sleeps), so operations are "still running" exactly
//! as long as a test wants and nothing waits on wall time.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use cutover_clients::arm::{ArmClient, ArmOptions, BearerToken, TokenSource};
use cutover_core::inventory::{Azure, Credential};
use cutover_core::model::azure::{
    AsyncOperationStatus, AsyncStatus, BgpPeerStatusListResult, CloudError, ConnectionStatus,
    ExpressRouteCircuit, ExpressRouteCircuitPeering, ExpressRouteCircuitPeeringListResult,
    GatewayRouteListResult, PeeringState, ProvisioningState, VirtualNetworkGateway,
    VirtualNetworkGatewayConnection,
};
use cutover_engine::port::{AzureApi, SendPermit};
use cutover_lab::arm_server::{ArmConfig, serve_arm_with};
use cutover_lab::scenario::{self, Scenario};
use cutover_lab::topology::{DeviceId, Topology};
use cutover_lab::{Clock as LabClock, SharedWorld, VirtualClock, World, run_command};

const TOKEN: &str = "lab-token-7d1c9e";
const API: &str = "2024-05-01";

/// One clock for the world and for the ARM client: the client's sleeps
/// (Retry-After, polling) move the world's time forward.
#[derive(Debug)]
struct TestClock {
    lab: VirtualClock,
    start: Instant,
}

impl TestClock {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            lab: VirtualClock::new(),
            start: Instant::now(),
        })
    }

    fn advance(&self, d: Duration) {
        self.lab.advance(d);
    }
}

impl LabClock for TestClock {
    fn now(&self) -> Duration {
        self.lab.now()
    }
}

impl cutover_clients::arm::Clock for TestClock {
    fn now(&self) -> Instant {
        self.start + self.lab.now()
    }

    fn sleep(&self, d: Duration) -> BoxFuture<'static, ()> {
        self.lab.advance(d);
        Box::pin(tokio::task::yield_now())
    }
}

/// A lab ARM server on an ephemeral loopback port.
pub(crate) struct Lab {
    pub(crate) base: String,
    http: reqwest::Client,
    pub(crate) world: SharedWorld,
    clock: Arc<TestClock>,
    pub(crate) names: Names,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

#[derive(Debug, Clone)]
pub(crate) struct Names {
    pub(crate) sub: String,
    pub(crate) rg: String,
    location: String,
    pub(crate) circuit: String,
    pub(crate) gateway: String,
    pub(crate) connection: String,
}

fn builtin(name: &str) -> Scenario {
    scenario::load_builtin(name, &Topology::article()).expect("scenario loads")
}

/// Test-speed defaults: a gateway read is ready on its second poll, never
/// by (virtual) time, so the first poll always sees "running".
pub(crate) fn config() -> ArmConfig {
    ArmConfig {
        query_ready_after: Duration::from_secs(3600),
        query_ready_on_poll: Some(2),
        ..ArmConfig::default()
    }
}

impl Lab {
    pub(crate) async fn start(scenario: Scenario, config: ArmConfig) -> Lab {
        let clock = TestClock::new();
        let mut world = World::new(scenario);
        // ARM's operations as these tests expect them: 3 s of lab time.
        world.set_time_scale(cutover_lab::TimeScale::TESTS);
        let world = SharedWorld::new(world, clock.clone());
        let names = world.with(|w, _| {
            let a = &w.topology().azure;
            Names {
                sub: a.subscription.to_owned(),
                rg: a.resource_group.to_owned(),
                location: a.location.to_owned(),
                circuit: a.circuit.to_owned(),
                gateway: a.vpn_gateway.to_owned(),
                connection: a.connection.to_owned(),
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(serve_arm_with(
            world.clone(),
            TOKEN.to_owned(),
            config,
            listener,
            async move {
                let _ = stopped.await;
            },
        ));
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Lab {
            base,
            http,
            world,
            clock,
            names,
            stop: Some(stop),
            server: Some(server),
        }
    }

    async fn baseline() -> Lab {
        Lab::start(builtin("baseline"), config()).await
    }

    fn network(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network",
            self.names.sub, self.names.rg
        )
    }

    fn circuit_path(&self) -> String {
        format!(
            "{}/expressRouteCircuits/{}",
            self.network(),
            self.names.circuit
        )
    }

    fn peering_path(&self, name: &str) -> String {
        format!("{}/peerings/{name}", self.circuit_path())
    }

    pub(crate) fn gateway_path(&self, action: &str) -> String {
        let g = format!(
            "{}/virtualNetworkGateways/{}",
            self.network(),
            self.names.gateway
        );
        if action.is_empty() {
            g
        } else {
            format!("{g}/{action}")
        }
    }

    fn connection_path(&self) -> String {
        format!("{}/connections/{}", self.network(), self.names.connection)
    }

    /// `path` with `api-version` (and `extra` query) on this server.
    fn url(&self, path: &str, extra: &str) -> String {
        format!("{}{path}?api-version={API}{extra}", self.base)
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.expect("HTTP exchange");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        Answer {
            status,
            headers,
            text,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.get_url(&self.url(path, "")).await
    }

    /// GET of an absolute URL the server handed out.
    pub(crate) async fn get_url(&self, url: &str) -> Answer {
        self.send(self.http.get(url).bearer_auth(TOKEN)).await
    }

    async fn put(&self, path: &str, body: &Value, if_match: Option<&str>) -> Answer {
        let mut req = self
            .http
            .put(self.url(path, ""))
            .bearer_auth(TOKEN)
            .json(body);
        if let Some(m) = if_match {
            req = req.header("If-Match", m);
        }
        self.send(req).await
    }

    pub(crate) async fn post(&self, path: &str, query: &str) -> Answer {
        self.send(self.http.post(self.url(path, query)).bearer_auth(TOKEN))
            .await
    }

    /// The private peering as GET shows it.
    async fn private_peering(&self) -> (ExpressRouteCircuitPeering, Answer) {
        let a = self.get(&self.peering_path("AzurePrivatePeering")).await;
        assert_eq!(a.status, StatusCode::OK, "{}", a.text);
        (a.json(), a)
    }

    /// The firewall's active path to the hub prefix: its AS path.
    fn fw_active_as_path(&self) -> Option<Vec<u32>> {
        let out = self
            .world
            .with(|w, _| run_command(w, DeviceId::Fw, "show route table Cust11.inet.0").stdout);
        let list = cutover_core::parse::junos_route::parse(&out).expect("fw table parses");
        list.routes
            .iter()
            .find(|r| r.prefix == "10.17.11.0/25" && r.active)
            .and_then(|r| r.as_path.clone())
    }

    /// Moves lab time in 100 ms steps, for at most `limit` of lab time,
    /// until the firewall's active path has `as_path`.
    fn advance_until_fw_path(&self, as_path: &[u32], limit: Duration) -> bool {
        let step = Duration::from_millis(100);
        let mut waited = Duration::ZERO;
        loop {
            if self.fw_active_as_path().as_deref() == Some(as_path) {
                return true;
            }
            if waited >= limit {
                return false;
            }
            self.clock.advance(step);
            waited += step;
        }
    }

    /// Polls an Azure-AsyncOperation URL, moving lab time 200 ms between
    /// polls, for at most 10 s of lab time; the last status read.
    async fn follow_operation(&self, url: &str) -> AsyncStatus {
        let mut status = AsyncStatus::InProgress;
        for _ in 0..50 {
            self.clock.advance(Duration::from_millis(200));
            let a = self.get_url(url).await;
            assert_eq!(a.status, StatusCode::OK, "{}", a.text);
            status = a.json::<AsyncOperationStatus>().status;
            if status.is_terminal() {
                break;
            }
        }
        status
    }

    /// The console's ARM client, on this lab and its clock.
    pub(crate) fn arm_client(&self) -> ArmClient {
        let azure = Azure {
            endpoint: self.base.clone(),
            subscription: self.names.sub.clone(),
            resource_group: self.names.rg.clone(),
            circuit: self.names.circuit.clone(),
            peering: "AzurePrivatePeering".into(),
            gateway: self.names.gateway.clone(),
            connection: self.names.connection.clone(),
            credential: Credential::TokenEnv,
            token_env: Some("CUTOVER_ARM_TOKEN_NOT_READ_HERE".into()),
            tenant_id: None,
            client_id: None,
            client_secret_env: None,
            api_version: API.into(),
            request_timeout: None,
        };
        ArmClient::with_token_source(&azure, ArmOptions::default(), Arc::new(FixedToken))
            .expect("client")
            .with_clock(self.clock.clone())
    }

    pub(crate) async fn stop(mut self) -> std::io::Result<()> {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        match self.server.take() {
            Some(h) => h.await.expect("server task"),
            None => Ok(()),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    headers: HeaderMap,
    pub(crate) text: String,
}

impl Answer {
    fn json<T: DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("{e}: {} {}", self.status, self.text))
    }

    pub(crate) fn value(&self) -> Value {
        self.json()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn error_code(&self) -> String {
        let e: CloudError = self.json();
        e.code().unwrap_or_default().to_owned()
    }
}

fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/fixtures/arm/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// An official example's response body for `status`.
fn official(name: &str, status: &str) -> Value {
    fixture(&format!("official/{name}.json"))["responses"][status]["body"].clone()
}

/// The member names of the `error` object of an error body.
fn error_keys(v: &Value) -> BTreeSet<String> {
    v["error"]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

/// Reads `v` as `T` and checks that `T` writes it back unchanged.
fn reads_losslessly<T: DeserializeOwned + serde::Serialize>(v: &Value, what: &str) -> T {
    let t: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        &serde_json::to_value(&t).expect("serializes"),
        v,
        "{what} does not round-trip"
    );
    t
}

/// Follows a gateway read: the 202, then its Location until 200.
async fn run_query(lab: &Lab, action: &str, query: &str) -> Answer {
    let started = lab.post(&lab.gateway_path(action), query).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    let location = started.header("location").expect("Location").to_owned();
    for _ in 0..5 {
        let a = lab.get_url(&location).await;
        if a.status == StatusCode::OK {
            return a;
        }
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
    }
    panic!("{action}: no result after 5 polls");
}

// --- authentication and the common parameters ---------------------------

#[tokio::test]
async fn requests_without_the_token_get_401_with_the_arm_error_body() {
    let lab = Lab::baseline().await;
    let url = lab.url(&lab.circuit_path(), "");
    let fixture = fixture("synthetic/error-401-invalid-authentication-token.json");
    let cases = [
        lab.http.get(&url),
        lab.http.get(&url).bearer_auth("not-the-token"),
        lab.http.get(&url).bearer_auth(format!("{TOKEN}x")),
        lab.http.get(&url).basic_auth("user", Some(TOKEN)),
        lab.http.get(&url).header("Authorization", TOKEN),
    ];
    for req in cases {
        let a = lab.send(req).await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "{}", a.text);
        assert_eq!(a.error_code(), "InvalidAuthenticationToken");
        assert_eq!(error_keys(&a.value()), error_keys(&fixture));
        let www = a.header("www-authenticate").expect("WWW-Authenticate");
        assert!(www.starts_with("Bearer"), "{www}");
        assert!(a.header("x-ms-request-id").is_some());
        assert!(!a.text.contains(TOKEN));
        assert!(
            a.headers
                .values()
                .all(|v| !v.to_str().unwrap_or("").contains(TOKEN))
        );
    }
    // The scheme is case-insensitive, as HTTP says.
    let a = lab
        .send(
            lab.http
                .get(&url)
                .header("Authorization", format!("bearer {TOKEN}")),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn requests_without_a_usable_api_version_get_400() {
    let lab = Lab::baseline().await;
    let path = lab.circuit_path();
    let a = lab
        .send(
            lab.http
                .get(format!("{}{path}", lab.base))
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error_code(), "MissingApiVersionParameter");
    let a = lab
        .send(
            lab.http
                .get(format!("{}{path}?api-version=", lab.base))
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(a.error_code(), "MissingApiVersionParameter");
    let a = lab
        .send(
            lab.http
                .get(format!("{}{path}?api-version=latest", lab.base))
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error_code(), "InvalidApiVersionParameter");
    // Authentication comes first, as on ARM.
    let a = lab.send(lab.http.get(format!("{}{path}", lab.base))).await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn every_answer_carries_request_ids_and_echoes_the_clients() {
    let lab = Lab::baseline().await;
    let url = lab.url(&lab.circuit_path(), "");
    let a = lab
        .send(
            lab.http
                .get(&url)
                .bearer_auth(TOKEN)
                .header("x-ms-client-request-id", "client-42")
                .header("x-ms-correlation-request-id", "corr-7"),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.header("x-ms-client-request-id"), Some("client-42"));
    assert_eq!(a.header("x-ms-correlation-request-id"), Some("corr-7"));
    let first = a.header("x-ms-request-id").expect("request id").to_owned();

    // Errors carry them too; without the client's ids the server makes one.
    let b = lab.get(&lab.peering_path("NoSuchPeering")).await;
    assert_eq!(b.status, StatusCode::NOT_FOUND);
    let second = b.header("x-ms-request-id").expect("request id");
    assert_ne!(first, second);
    let corr = b
        .header("x-ms-correlation-request-id")
        .expect("correlation");
    assert!(uuid::Uuid::parse_str(corr).is_ok(), "{corr}");
    assert!(b.header("x-ms-client-request-id").is_none());
    lab.stop().await.expect("clean shutdown");
}

// --- resources ----------------------------------------------------------

#[tokio::test]
async fn the_circuit_lists_microsoft_peering_first_and_peerings_by_name() {
    let lab = Lab::baseline().await;
    let a = lab.get(&lab.circuit_path()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let c: ExpressRouteCircuit = a.json();
    let names: Vec<_> = c.peerings().iter().map(|p| p.name.clone()).collect();
    assert_eq!(
        names,
        [
            Some("MicrosoftPeering".to_owned()),
            Some("AzurePrivatePeering".to_owned())
        ]
    );
    assert_eq!(a.header("etag"), c.etag.as_deref());
    let private = c.peering_by_name("AzurePrivatePeering").expect("private");
    assert_eq!(private.state(), Some(&PeeringState::Enabled));
    assert_eq!(
        private.properties.primary_peer_address_prefix.as_deref(),
        Some("192.168.11.16/30")
    );

    let l = lab.get(&format!("{}/peerings", lab.circuit_path())).await;
    assert_eq!(l.status, StatusCode::OK, "{}", l.text);
    let list: ExpressRouteCircuitPeeringListResult = l.json();
    assert_eq!(list.value.len(), 2);
    assert_eq!(list.value[0].name.as_deref(), Some("MicrosoftPeering"));
    assert_eq!(list.next_link, None);

    // ARM names are case-insensitive.
    let lower = lab
        .get(
            &lab.circuit_path()
                .to_lowercase()
                .replace("/resourcegroups/", "/resourceGroups/"),
        )
        .await;
    assert_eq!(lower.status, StatusCode::OK, "{}", lower.text);
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn wrong_names_and_unknown_routes_are_arm_shaped_404s() {
    let lab = Lab::baseline().await;
    let net = lab.network();
    let cases = [
        (
            format!("{net}/expressRouteCircuits/no-such-circuit"),
            "ResourceNotFound",
        ),
        (
            format!("{net}/expressRouteCircuits/no-such-circuit/peerings/AzurePrivatePeering"),
            "ResourceNotFound",
        ),
        (
            format!("{net}/connections/no-such-connection"),
            "ResourceNotFound",
        ),
        (
            format!(
                "/subscriptions/{}/resourceGroups/no-such-rg/providers/Microsoft.Network/connections/{}",
                lab.names.sub, lab.names.connection
            ),
            "ResourceGroupNotFound",
        ),
        (lab.peering_path("AzurePublicPeering"), "NotFound"),
        ("/no/such/route".to_owned(), "NotFound"),
        (
            format!(
                "/subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/unknown-op",
                lab.names.sub, lab.names.location
            ),
            "NotFound",
        ),
    ];
    let fixture = fixture("synthetic/error-404-resource-not-found.json");
    for (path, code) in cases {
        let a = lab.get(&path).await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}: {}", a.text);
        assert_eq!(a.error_code(), code, "{path}");
        if code == "ResourceNotFound" {
            assert_eq!(error_keys(&a.value()), error_keys(&fixture), "{path}");
        }
    }
    // A method the resource does not have.
    let a = lab
        .send(
            lab.http
                .delete(lab.url(&lab.circuit_path(), ""))
                .bearer_auth(TOKEN),
        )
        .await;
    assert_eq!(a.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(a.header("allow"), Some("GET"));
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_connection_reports_the_worlds_tunnels_and_counters() {
    let lab = Lab::baseline().await;
    let a = lab.get(&lab.connection_path()).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let c: VirtualNetworkGatewayConnection = a.json();
    // The clock has not moved: the world's view is the same now.
    let view = lab.world.with(|w, _| w.connection());
    assert_eq!(c.status(), Some(&ConnectionStatus::Connected));
    assert_eq!(c.tunnels().len(), view.tunnel_connection_status.len());
    assert_eq!(c.tunnels().len(), 2);
    assert_eq!(
        c.properties.ingress_bytes_transferred,
        Some(view.ingress_bytes_transferred)
    );
    assert!(view.ingress_bytes_transferred > 0);
    for (t, v) in c.tunnels().iter().zip(&view.tunnel_connection_status) {
        assert_eq!(t.tunnel.as_deref(), Some(v.tunnel.as_str()));
        assert_eq!(t.egress_bytes_transferred, Some(v.egress_bytes_transferred));
    }
    assert_eq!(a.header("etag"), c.etag.as_deref());

    let g = lab.get(&lab.gateway_path("")).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.text);
    let g: VirtualNetworkGateway = g.json();
    let bgp = g.properties.bgp_settings.expect("bgpSettings");
    assert_eq!(bgp.peering_addresses(), ["10.17.11.76", "10.17.11.77"]);
    assert_eq!(bgp.asn, Some(65515));
    lab.stop().await.expect("clean shutdown");
}

// --- the peering toggle ---------------------------------------------------

#[tokio::test]
async fn disable_and_restore_the_private_peering_over_the_wire() {
    let lab = Lab::baseline().await;
    let private = lab.peering_path("AzurePrivatePeering");
    assert_eq!(
        lab.fw_active_as_path(),
        Some(vec![12076]),
        "ExpressRoute first"
    );

    let (before, got) = lab.private_peering().await;
    let old_etag = before.etag.clone().expect("etag");
    assert_eq!(got.header("etag"), Some(old_etag.as_str()));
    assert_eq!(before.state(), Some(&PeeringState::Enabled));

    // A stale etag is refused and changes nothing.
    let body = before.to_put_body(PeeringState::Disabled);
    let stale = lab.put(&private, &body, Some("W/\"stale\"")).await;
    assert_eq!(
        stale.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        stale.text
    );
    assert_eq!(stale.error_code(), "PreconditionFailed");
    assert_eq!(
        error_keys(&stale.value()),
        error_keys(&fixture("synthetic/error-412-precondition-failed.json"))
    );
    assert_eq!(
        lab.private_peering().await.0.etag.as_deref(),
        Some(old_etag.as_str())
    );

    // The PUT with the current etag is accepted and runs.
    let put = lab.put(&private, &body, Some(&old_etag)).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let updating: ExpressRouteCircuitPeering = put.json();
    assert_eq!(updating.state(), Some(&PeeringState::Disabled));
    assert_eq!(
        updating.provisioning_state(),
        Some(&ProvisioningState::Updating)
    );
    let new_etag = updating.etag.clone().expect("etag");
    assert_ne!(new_etag, old_etag);
    assert_eq!(put.header("etag"), Some(new_etag.as_str()));
    let async_op = put
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    let location = put.header("location").expect("Location");
    let op_prefix = format!(
        "{}/subscriptions/{}/providers/Microsoft.Network/locations/{}/",
        lab.base, lab.names.sub, lab.names.location
    );
    assert!(
        async_op.starts_with(&format!("{op_prefix}operations/")),
        "{async_op}"
    );
    assert!(
        async_op.ends_with(&format!("?api-version={API}")),
        "{async_op}"
    );
    assert!(
        location.starts_with(&format!("{op_prefix}operationResults/")),
        "{location}"
    );
    assert_eq!(put.header("retry-after"), Some("1"));

    // Running: the status says so, the result URL answers 202, and another
    // PUT is refused.
    let s = lab.get_url(async_op).await;
    assert_eq!(s.status, StatusCode::OK);
    assert_eq!(
        s.json::<AsyncOperationStatus>().status,
        AsyncStatus::InProgress
    );
    assert_eq!(s.header("retry-after"), Some("1"));
    let r = lab.get_url(location).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.text.is_empty());
    let busy = lab.put(&private, &body, Some(&new_etag)).await;
    assert_eq!(busy.status, StatusCode::CONFLICT, "{}", busy.text);
    assert_eq!(busy.error_code(), "AnotherOperationInProgress");

    // Provisioning ends (3 s of lab time in the baseline).
    assert_eq!(lab.follow_operation(async_op).await, AsyncStatus::Succeeded);
    let done = lab.get_url(location).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let (after, _) = lab.private_peering().await;
    assert_eq!(after.state(), Some(&PeeringState::Disabled));
    assert_eq!(
        after.provisioning_state(),
        Some(&ProvisioningState::Succeeded)
    );
    assert_ne!(after.etag.as_deref(), Some(old_etag.as_str()));
    assert_eq!(done.json::<ExpressRouteCircuitPeering>().etag, after.etag);

    // The fixture's case: the enabled etag against the disabled resource.
    let again = lab.put(&private, &body, Some(&old_etag)).await;
    assert_eq!(again.status, StatusCode::PRECONDITION_FAILED);

    // The firewall moves to the VPN paths once BFD notices.
    assert!(
        lab.advance_until_fw_path(&[65515], Duration::from_secs(10)),
        "fw still on {:?}",
        lab.fw_active_as_path()
    );

    // Restore, and ExpressRoute is preferred again.
    let enable = after.to_put_body(PeeringState::Enabled);
    let put = lab.put(&private, &enable, after.etag.as_deref()).await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let op = put
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    assert_eq!(lab.follow_operation(op).await, AsyncStatus::Succeeded);
    assert!(
        lab.advance_until_fw_path(&[12076], Duration::from_secs(30)),
        "fw still on {:?}",
        lab.fw_active_as_path()
    );
    let (restored, _) = lab.private_peering().await;
    assert_eq!(restored.state(), Some(&PeeringState::Enabled));
    assert_eq!(
        restored.provisioning_state(),
        Some(&ProvisioningState::Succeeded)
    );
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_missing_peering_is_404_and_a_put_creates_it() {
    let lab = Lab::baseline().await;
    let path = lab.peering_path("AzurePublicPeering");
    assert_eq!(lab.get(&path).await.status, StatusCode::NOT_FOUND);

    let body = json!({
        "name": "AzurePublicPeering",
        "properties": {
            "peeringType": "AzurePublicPeering",
            "peerASN": 65020,
            "primaryPeerAddressPrefix": "203.0.113.0/30",
            "secondaryPeerAddressPrefix": "203.0.113.4/30",
            "vlanId": 13,
            "state": "enabled"
        }
    });
    // If-Match on a resource that does not exist fails.
    let cond = lab.put(&path, &body, Some("*")).await;
    assert_eq!(
        cond.status,
        StatusCode::PRECONDITION_FAILED,
        "{}",
        cond.text
    );

    let created = lab.put(&path, &body, None).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let p: ExpressRouteCircuitPeering = created.json();
    assert_eq!(p.provisioning_state(), Some(&ProvisioningState::Updating));
    assert_eq!(p.state(), Some(&PeeringState::Enabled), "stored canonical");
    assert!(created.header("azure-asyncoperation").is_some());
    let etag = created.header("etag").expect("etag").to_owned();

    let got = lab.get(&path).await;
    assert_eq!(got.status, StatusCode::OK, "{}", got.text);
    assert_eq!(got.header("etag"), Some(etag.as_str()));
    let c: ExpressRouteCircuit = lab.get(&lab.circuit_path()).await.json();
    let names: Vec<_> = c.peerings().iter().filter_map(|p| p.name.clone()).collect();
    assert_eq!(
        names,
        [
            "MicrosoftPeering",
            "AzurePrivatePeering",
            "AzurePublicPeering"
        ]
    );

    // The lab's routing does not know it: the private peering is untouched.
    assert_eq!(lab.fw_active_as_path(), Some(vec![12076]));

    // Once provisioned, it updates (200) under its etag.
    lab.clock.advance(Duration::from_secs(5));
    let stale = lab.put(&path, &body, Some("W/\"old\"")).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let update = lab.put(&path, &body, Some(&etag)).await;
    assert_eq!(update.status, StatusCode::OK, "{}", update.text);
    assert_ne!(update.header("etag"), Some(etag.as_str()));
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn bad_put_bodies_are_refused_and_change_nothing() {
    let lab = Lab::baseline().await;
    let private = lab.peering_path("AzurePrivatePeering");
    let (before, _) = lab.private_peering().await;
    let etag = before.etag.clone().expect("etag");
    let fixture = fixture("synthetic/error-400-invalid-request-format.json");

    let mut off = before.to_put_body(PeeringState::Disabled);
    off["properties"]["state"] = json!("Off");
    let a = lab.put(&private, &off, Some(&etag)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
    let v = a.value();
    assert_eq!(a.error_code(), "InvalidRequestFormat");
    assert_eq!(error_keys(&v), error_keys(&fixture));
    assert_eq!(v["error"]["details"][0]["code"], "InvalidJson");
    let msg = v["error"]["details"][0]["message"].as_str().unwrap_or("");
    assert!(
        msg.contains("properties.state") && msg.contains("Off"),
        "{msg}"
    );

    let mut wrong_type = before.to_put_body(PeeringState::Disabled);
    wrong_type["properties"]["vlanId"] = json!("eleven");
    let raw = lab
        .send(
            lab.http
                .put(lab.url(&private, ""))
                .bearer_auth(TOKEN)
                .header("Content-Type", "application/json")
                .body("{\"properties\": "),
        )
        .await;
    for a in [lab.put(&private, &wrong_type, Some(&etag)).await, raw] {
        assert_eq!(a.status, StatusCode::BAD_REQUEST, "{}", a.text);
        assert_eq!(a.error_code(), "InvalidRequestFormat");
        assert_eq!(a.value()["error"]["details"][0]["code"], "InvalidJson");
    }

    // The lab can only flip `state`: another vlan is refused, clearly.
    let mut vlan = before.to_put_body(PeeringState::Disabled);
    vlan["properties"]["vlanId"] = json!(99);
    let a = lab.put(&private, &vlan, Some(&etag)).await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.error_code(), "LabUnsupportedChange");
    assert!(a.text.contains("vlanId"), "{}", a.text);

    let form = lab
        .send(
            lab.http
                .put(lab.url(&private, ""))
                .bearer_auth(TOKEN)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body("state=Disabled"),
        )
        .await;
    assert_eq!(form.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let (after, _) = lab.private_peering().await;
    assert_eq!(after.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(after.state(), Some(&PeeringState::Enabled));
    lab.stop().await.expect("clean shutdown");
}

// --- the gateway reads ----------------------------------------------------

#[tokio::test]
async fn learned_routes_come_through_the_long_running_read() {
    let lab = Lab::baseline().await;
    let started = lab.post(&lab.gateway_path("getLearnedRoutes"), "").await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.text);
    assert!(started.text.is_empty());
    assert_eq!(started.header("retry-after"), Some("1"));
    let location = started.header("location").expect("Location");
    let async_op = started
        .header("azure-asyncoperation")
        .expect("Azure-AsyncOperation");
    assert!(location.starts_with(&lab.base), "{location}");

    let first = lab.get_url(location).await;
    assert_eq!(first.status, StatusCode::ACCEPTED);
    assert!(first.header("location").is_some());
    let done = lab.get_url(location).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    let routes: GatewayRouteListResult = done.json();
    let er = routes
        .value
        .iter()
        .find(|r| {
            r.network.as_deref() == Some("10.1.11.0/25")
                && r.as_path.as_deref() == Some("12076-65020")
        })
        .unwrap_or_else(|| panic!("no ER-learned on-prem route in {}", done.text));
    assert_eq!(er.as_path_asns(), Some(vec![12076, 65020]));
    assert!(
        routes
            .value
            .iter()
            .any(|r| r.network.as_deref() == Some("10.1.11.0/25")
                && r.source_peer.as_deref() == Some("192.168.11.88")),
        "the VPN-learned path is there too"
    );
    // The result stays put and the status reads Succeeded.
    assert_eq!(lab.get_url(location).await.text, done.text);
    let s = lab.get_url(async_op).await;
    assert_eq!(
        s.json::<AsyncOperationStatus>().status,
        AsyncStatus::Succeeded
    );

    // Following the status URL first works the same way.
    let again = lab.post(&lab.gateway_path("getlearnedroutes"), "").await;
    let op = again.header("azure-asyncoperation").expect("op");
    let s1: AsyncOperationStatus = lab.get_url(op).await.json();
    assert_eq!(s1.status, AsyncStatus::InProgress);
    let s2: AsyncOperationStatus = lab.get_url(op).await.json();
    assert_eq!(s2.status, AsyncStatus::Succeeded);
    let r = lab
        .get_url(again.header("location").expect("Location"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn a_gateway_read_is_ready_after_its_delay_on_the_labs_clock() {
    let lab = Lab::start(
        builtin("baseline"),
        ArmConfig {
            query_ready_after: Duration::from_secs(1),
            query_ready_on_poll: None,
            ..ArmConfig::default()
        },
    )
    .await;
    let started = lab.post(&lab.gateway_path("getBgpPeerStatus"), "").await;
    let location = started.header("location").expect("Location");
    for _ in 0..3 {
        assert_eq!(lab.get_url(location).await.status, StatusCode::ACCEPTED);
    }
    lab.clock.advance(Duration::from_secs(1));
    assert_eq!(lab.get_url(location).await.status, StatusCode::OK);
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn advertised_routes_need_a_peer_address() {
    let lab = Lab::baseline().await;
    let path = lab.gateway_path("getAdvertisedRoutes");
    let missing = lab.post(&path, "").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST, "{}", missing.text);
    assert_eq!(missing.error_code(), "MissingRequiredParameter");
    let empty = lab.post(&path, "&peer=").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    let not_ip = lab.post(&path, "&peer=test").await;
    assert_eq!(not_ip.status, StatusCode::BAD_REQUEST, "{}", not_ip.text);
    assert_eq!(not_ip.error_code(), "InvalidParameter");

    let done = run_query(&lab, "getAdvertisedRoutes", "&peer=192.168.11.88").await;
    let routes: GatewayRouteListResult = done.json();
    let hub_spoke: BTreeSet<_> = routes
        .value
        .iter()
        .filter(|r| r.as_path.as_deref() == Some("65515"))
        .filter_map(|r| Some((r.local_address.clone()?, r.network.clone()?)))
        .collect();
    for instance in ["10.17.11.76", "10.17.11.77"] {
        for prefix in ["10.17.11.0/25", "10.17.11.128/26"] {
            assert!(
                hub_spoke.contains(&(instance.to_owned(), prefix.to_owned())),
                "{instance} {prefix} missing from {}",
                done.text
            );
        }
    }
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn bgp_peer_status_lists_every_peer_or_the_one_asked_for() {
    let lab = Lab::baseline().await;
    let all: BgpPeerStatusListResult = run_query(&lab, "getBgpPeerStatus", "").await.json();
    assert!(
        all.value
            .iter()
            .any(|p| p.neighbor.as_deref() == Some("192.168.11.88")),
        "{all:?}"
    );
    assert!(
        all.value
            .iter()
            .any(|p| p.neighbor.as_deref() != Some("192.168.11.88"))
    );
    let one: BgpPeerStatusListResult = run_query(&lab, "getBgpPeerStatus", "&peer=192.168.11.88")
        .await
        .json();
    assert!(!one.value.is_empty());
    assert!(
        one.value
            .iter()
            .all(|p| p.neighbor.as_deref() == Some("192.168.11.88"))
    );
    let bad = lab
        .post(&lab.gateway_path("getBgpPeerStatus"), "&peer=not-an-ip")
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    lab.stop().await.expect("clean shutdown");
}

// --- scripted errors ------------------------------------------------------

#[tokio::test]
async fn er_disable_conflict_answers_409_then_429_then_accepts() {
    let lab = Lab::start(builtin("er-disable-conflict"), config()).await;
    let private = lab.peering_path("AzurePrivatePeering");
    let (before, _) = lab.private_peering().await;
    let etag = before.etag.clone().expect("etag");
    let body = before.to_put_body(PeeringState::Disabled);

    let first = lab.put(&private, &body, Some(&etag)).await;
    assert_eq!(first.status, StatusCode::CONFLICT, "{}", first.text);
    assert_eq!(first.error_code(), "AnotherOperationInProgress");
    assert_eq!(
        error_keys(&first.value()),
        error_keys(&fixture(
            "synthetic/error-409-another-operation-in-progress.json"
        ))
    );
    // The operation URL in the message points at the lab, not at Azure.
    assert!(first.text.contains(&lab.base), "{}", first.text);
    assert!(
        !first.text.contains("management.azure.com"),
        "{}",
        first.text
    );

    let second = lab.put(&private, &body, Some(&etag)).await;
    assert_eq!(
        second.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        second.text
    );
    assert_eq!(second.error_code(), "RetryableErrorDueToAnotherOperation");
    assert_eq!(
        second.header("retry-after"),
        Some("5"),
        "the scenario's value"
    );
    assert_eq!(
        error_keys(&second.value()),
        error_keys(&fixture(
            "synthetic/error-429-retryable-another-operation.json"
        ))
    );

    let third = lab.put(&private, &body, Some(&etag)).await;
    assert_eq!(third.status, StatusCode::OK, "{}", third.text);
    let p: ExpressRouteCircuitPeering = third.json();
    assert_eq!(p.state(), Some(&PeeringState::Disabled));
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn scripted_retry_after_is_capped_by_the_config() {
    let topo = Topology::article();
    let text = "name = \"throttled\"\ndescription = \"ARM throttles the first PUT\"\n\
                [[arm.peering_put]]\nstatus = 429\ncode = \"TooManyRequests\"\nretry_after_s = 17\n";
    let scenario = scenario::parse("throttled.toml", text, &topo).expect("scenario parses");
    let lab = Lab::start(
        scenario,
        ArmConfig {
            max_fault_retry_after_s: Some(2),
            ..config()
        },
    )
    .await;
    let private = lab.peering_path("AzurePrivatePeering");
    let (before, _) = lab.private_peering().await;
    let body = before.to_put_body(PeeringState::Disabled);
    let a = lab.put(&private, &body, before.etag.as_deref()).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.text);
    assert_eq!(a.header("retry-after"), Some("2"));
    assert_eq!(
        a.header("x-ms-ratelimit-remaining-subscription-writes"),
        Some("0")
    );
    assert_eq!(a.error_code(), "TooManyRequests");
    assert_eq!(
        error_keys(&a.value()),
        error_keys(&fixture("synthetic/error-429-too-many-requests.json"))
    );
    assert!(
        a.text.contains("2 seconds") && !a.text.contains("17"),
        "{}",
        a.text
    );
    lab.stop().await.expect("clean shutdown");
}

// --- the wire types read both the fixtures and the lab --------------------

#[tokio::test]
async fn the_fixture_types_read_the_labs_answers() {
    let lab = Lab::baseline().await;

    let circuit = lab.get(&lab.circuit_path()).await.value();
    reads_losslessly::<ExpressRouteCircuit>(&circuit, "lab circuit");
    for v in [
        official("ExpressRouteCircuitGet", "200"),
        fixture("synthetic/circuit-get-two-peerings.json"),
    ] {
        reads_losslessly::<ExpressRouteCircuit>(&v, "fixture circuit");
    }

    let peering = lab
        .get(&lab.peering_path("AzurePrivatePeering"))
        .await
        .value();
    reads_losslessly::<ExpressRouteCircuitPeering>(&peering, "lab peering");
    for v in [
        official("ExpressRouteCircuitPeeringGet", "200"),
        official("ExpressRouteCircuitPeeringCreate", "200"),
        official("ExpressRouteCircuitPeeringCreate", "201"),
        fixture("synthetic/peering-get-private-enabled.json"),
        fixture("synthetic/peering-get-private-disabled.json"),
        fixture("synthetic/peering-put-response-updating.json"),
    ] {
        reads_losslessly::<ExpressRouteCircuitPeering>(&v, "fixture peering");
    }
    // The lab's peering has the members the synthetic one has (modulo
    // what only a real circuit carries).
    let keys = |v: &Value| -> BTreeSet<String> {
        v["properties"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let synthetic = fixture("synthetic/peering-get-private-enabled.json");
    let missing: Vec<_> = keys(&synthetic)
        .difference(&keys(&peering))
        .cloned()
        .collect();
    assert!(missing.is_empty(), "the lab's peering lacks {missing:?}");

    let list = lab
        .get(&format!("{}/peerings", lab.circuit_path()))
        .await
        .value();
    reads_losslessly::<ExpressRouteCircuitPeeringListResult>(&list, "lab list");
    for v in [
        official("ExpressRouteCircuitPeeringList", "200"),
        fixture("synthetic/peering-list-microsoft-first.json"),
    ] {
        reads_losslessly::<ExpressRouteCircuitPeeringListResult>(&v, "fixture list");
    }

    let gateway = lab.get(&lab.gateway_path("")).await.value();
    reads_losslessly::<VirtualNetworkGateway>(&gateway, "lab gateway");
    reads_losslessly::<VirtualNetworkGateway>(
        &official("VirtualNetworkGatewayGet", "200"),
        "fixture gateway",
    );

    let connection = lab.get(&lab.connection_path()).await.value();
    reads_losslessly::<VirtualNetworkGatewayConnection>(&connection, "lab connection");
    for v in [
        official("VirtualNetworkGatewayConnectionGet", "200"),
        fixture("synthetic/connection-get-connected.json"),
        fixture("synthetic/connection-get-notconnected.json"),
    ] {
        reads_losslessly::<VirtualNetworkGatewayConnection>(&v, "fixture connection");
    }

    let learned = run_query(&lab, "getLearnedRoutes", "").await.value();
    let advertised = run_query(&lab, "getAdvertisedRoutes", "&peer=192.168.11.88")
        .await
        .value();
    for (v, what) in [(learned, "lab learned"), (advertised, "lab advertised")] {
        reads_losslessly::<GatewayRouteListResult>(&v, what);
    }
    for v in [
        official("VirtualNetworkGatewayLearnedRoutes", "200"),
        official("VirtualNetworkGatewayGetAdvertisedRoutes", "200"),
        fixture("synthetic/gateway-learned-routes.json"),
        fixture("synthetic/gateway-learned-routes-vpn-down.json"),
        fixture("synthetic/gateway-advertised-routes-192.168.11.88.json"),
    ] {
        serde_json::from_value::<GatewayRouteListResult>(v).expect("fixture routes read");
    }

    let peers = run_query(&lab, "getBgpPeerStatus", "").await.value();
    reads_losslessly::<BgpPeerStatusListResult>(&peers, "lab peers");
    for v in [
        official("VirtualNetworkGatewayGetBGPPeerStatus", "200"),
        fixture("synthetic/gateway-bgp-peer-status.json"),
    ] {
        serde_json::from_value::<BgpPeerStatusListResult>(v).expect("fixture peers read");
    }

    let started = lab.post(&lab.gateway_path("getLearnedRoutes"), "").await;
    let op = started.header("azure-asyncoperation").expect("op");
    let running = lab.get_url(op).await.value();
    let done = lab.get_url(op).await.value();
    assert_eq!(running, fixture("synthetic/asyncop-inprogress.json"));
    assert_eq!(done, fixture("synthetic/asyncop-succeeded.json"));
    for name in ["asyncop-failed", "asyncop-canceled"] {
        let v = fixture(&format!("synthetic/{name}.json"));
        reads_losslessly::<AsyncOperationStatus>(&v, name);
    }

    let error = lab.get(&lab.peering_path("Nope")).await.value();
    reads_losslessly::<CloudError>(&error, "lab error");
    lab.stop().await.expect("clean shutdown");
}

// --- the console's ARM client against the lab -----------------------------

#[derive(Debug)]
struct FixedToken;

impl TokenSource for FixedToken {
    fn token<'a>(
        &'a self,
        _scope: &'a str,
    ) -> BoxFuture<'a, Result<BearerToken, cutover_engine::port::ArmError>> {
        Box::pin(async { Ok(BearerToken::new(TOKEN, None)) })
    }
}

#[tokio::test]
async fn the_arm_client_disables_the_peering_through_conflict_and_throttling() {
    let lab = Lab::start(builtin("er-disable-conflict"), config()).await;
    let client = lab.arm_client();

    let change = client
        .set_peering_state(PeeringState::Disabled, &|_| {}, &SendPermit::new())
        .await
        .expect("the change goes through");
    assert_eq!(change.before.state(), Some(&PeeringState::Enabled));
    assert_eq!(change.after.state(), Some(&PeeringState::Disabled));
    assert_eq!(
        change.after.provisioning_state(),
        Some(&ProvisioningState::Succeeded)
    );
    assert_ne!(change.before.etag, change.after.etag);
    let statuses: Vec<u16> = change.attempts.iter().map(|a| a.status).collect();
    assert!(
        statuses.contains(&409) && statuses.contains(&429),
        "{statuses:?}"
    );

    let state = lab
        .world
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state));
    assert_eq!(state.as_deref(), Some("Disabled"));
    assert!(lab.advance_until_fw_path(&[65515], Duration::from_secs(10)));

    // The reads through the same client.
    let learned = client.learned_routes().await.expect("learned routes");
    assert!(
        learned
            .value
            .value
            .iter()
            .any(|r| r.network.as_deref() == Some("10.1.11.0/25"))
    );
    let peer = std::net::IpAddr::V4(Ipv4Addr::new(192, 168, 11, 88));
    let advertised = client.advertised_routes(peer).await.expect("advertised");
    assert!(!advertised.value.value.is_empty());
    lab.stop().await.expect("clean shutdown");
}

#[tokio::test]
async fn the_server_stops_on_its_shutdown_signal() {
    let lab = Lab::baseline().await;
    let base = lab.base.clone();
    assert_eq!(lab.get(&lab.circuit_path()).await.status, StatusCode::OK);
    lab.stop()
        .await
        .expect("serve_arm returns Ok after shutdown");
    let after = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
        .get(format!("{base}/"))
        .send()
        .await;
    assert!(after.is_err(), "still answering: {after:?}");
}
