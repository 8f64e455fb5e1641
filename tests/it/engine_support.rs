//! Test doubles for the engine: devices that answer with the article's real
//! outputs (tests/fixtures), an Azure double with a scripted peering, and a
//! journal double that records, in one shared order log, when each event
//! became durable and when each PUT went out.
//!
//! The network behind them is a tiny state machine on tokio's clock (virtual
//! in `start_paused` tests): after the peering is disabled, the firewall's
//! table and the trace move to the VPN once `converge` has passed (never,
//! with `converge = None`: the stuck-on-VPN fault), and back to
//! ExpressRoute when it is enabled again.

#![allow(dead_code)]

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cutover_core::model::azure::{
    BgpPeerStatusListResult, ExpressRouteCircuit, ExpressRouteCircuitPeering,
    GatewayRouteListResult, PeeringState, VirtualNetworkGatewayConnection,
};
use cutover_core::runbook::Runbook;
use cutover_core::session::event::{Event, Mode};
use cutover_engine::detached::{NoWatchdog, Watch, WatchRequest, Watchdog};
use cutover_engine::guard::RollbackPolicy;
use cutover_engine::port::{
    ArmAttempt, ArmError, ArmRead, AzureApi, CommandOutput, DeviceError, DeviceSession,
    ManualCommands, PeeringChange, RequestIds, SendPermit,
};
use cutover_engine::sink::EventLog;
use cutover_engine::{
    Command, Engine, EventSink, NoLocalTracer, SessionConfig, SessionOutcome, World,
};
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::time::Instant;

pub fn fixture(rel: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel),
    )
    .unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

pub fn failover_runbook() -> Runbook {
    Runbook::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-vpn-failover.toml"))
        .expect("the bundled runbook is valid")
}

/// The firewall's table once the ExpressRoute routes are withdrawn: the
/// VPN paths of the article's table, now active.
pub const FW_TABLE_ON_VPN: &str = "\
user@SEA-SRX42-01> show route table Cust11.inet.0 10.17.11.0/24

Cust11.inet.0: 12 destinations, 15 routes (12 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

10.17.11.0/25      *[BGP/170] 00:00:04, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
                    [BGP/170] 00:00:04, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    > via st0.119
10.17.11.76/32     *[Static/5] 2d 21:12:16
                    > via st0.118
10.17.11.77/32     *[Static/5] 2d 00:41:56
                    > via st0.119
10.17.11.128/26    *[BGP/170] 00:00:04, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
                    [BGP/170] 00:00:04, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    > via st0.119
";

/// The trace when the traffic goes nowhere.
pub const TRACE_LOST: &str = "\
traceroute to 10.17.11.132 (10.17.11.132), 30 hops max, 60 byte packets
 1  10.1.11.1  0.398 ms  0.362 ms  0.349 ms
 2  * * *
 3  * * *
";

/// What one `set_peering_state` call does.
#[derive(Debug, Clone)]
pub enum SetScript {
    /// Succeeds after reporting these HTTP statuses (the last one the
    /// success).
    Ok(Vec<u16>),
    /// Fails with this error after reporting these statuses.
    Err(Vec<u16>, ArmError),
    /// The change happens, yet the call fails (the PUT went through, the
    /// polling timed out).
    ErrAfterChange(ArmError),
    /// One PUT per entry, each on the network's clock: the PUT is on the
    /// wire for `put_rtt`, answered with the status, then the call waits
    /// the duration (a refusal's Retry-After; after a 2xx, the operation
    /// running until the peering settles). Like the real client, it asks
    /// the permit before every PUT, wakes from a wait when it is revoked,
    /// and fails with the last refusal when the entries run out.
    Paced(Vec<(u16, Duration)>),
    /// The PUT's answer is lost (status 0) and the call fails with the
    /// error; the write itself is held on its way and reaches ARM after
    /// the duration, under the etag it was sent with: applied if that is
    /// still current, else refused (412). `held:PUT <state> applied|412`
    /// in the shared order.
    Held(Duration, ArmError),
}

#[derive(Debug)]
pub struct NetState {
    pub peering: PeeringState,
    pub changed_at: Instant,
    /// How long after a disable the paths move to the VPN; `None`: never.
    pub converge: Option<Duration>,
    /// Until the paths have moved, the trace reaches nothing (the
    /// ExpressRoute path is gone, the VPN not yet used) instead of still
    /// crossing ExpressRoute.
    pub blackhole_until_converged: bool,
    /// Scripted `set_peering_state` calls, in order; an empty script
    /// succeeds at once.
    pub script: VecDeque<SetScript>,
    /// Shared order of what happened: `journal:<kind>` and `azure:PUT <state>`.
    pub order: Vec<String>,
    /// Commands the devices were asked that they do not know.
    pub unexpected: Vec<String>,
    /// Breaks a pre-check: the firewall's BGP sessions to the VPN gateway
    /// are down.
    pub vpn_bgp_down: bool,
    pub etag: u32,
    /// The `vpn-more-specific` fault: the firewall also advertises
    /// 10.1.11.0/26 over the VPN, so Azure learns it there only.
    pub vpn_more_specific: bool,
    /// The journal fails from the first event of this kind on.
    pub journal_fails_at: Option<&'static str>,
    pub journal_failed: bool,
    /// Writing an event of this kind takes this long (virtual time): a
    /// slow disk while the session ends.
    pub journal_slow_at: Option<(&'static str, Duration)>,
    /// The only test `latest_failover_tests` lists at the place started
    /// 10 min before now: not the one this session began.
    pub latest_test_before: bool,
    /// Azure refuses the failover test's stop (403): it fails for good.
    pub test_stop_refused: bool,
    /// How long a `SetScript::Paced` PUT is on the wire before its answer.
    pub put_rtt: Duration,
    /// How long each device takes to answer a command, by role (virtual
    /// time): a slow device.
    pub device_delay: BTreeMap<String, Duration>,
    /// A failover test's start reaches Azure but its answer is lost.
    pub test_start_lost: bool,
    /// A failover test's first start is answered 429 with this
    /// Retry-After, and sent again after it unless the permit is revoked.
    pub test_start_throttled: Option<Duration>,
    /// Once ARM accepts a failover test's start, the test drops
    /// ExpressRoute (the peering reads as disabled to the paths) and the
    /// start's operation runs this long before it answers with the id.
    pub test_start_runs: Option<Duration>,
}

/// The simulated network all doubles share.
#[derive(Debug, Clone)]
pub struct Net(pub Arc<Mutex<NetState>>);

impl Net {
    pub fn new() -> Self {
        Net(Arc::new(Mutex::new(NetState {
            peering: PeeringState::Enabled,
            changed_at: Instant::now(),
            converge: Some(Duration::from_secs(3)),
            blackhole_until_converged: false,
            script: VecDeque::new(),
            order: Vec::new(),
            unexpected: Vec::new(),
            vpn_bgp_down: false,
            etag: 1,
            vpn_more_specific: false,
            journal_fails_at: None,
            journal_failed: false,
            journal_slow_at: None,
            latest_test_before: false,
            test_stop_refused: false,
            put_rtt: Duration::ZERO,
            device_delay: BTreeMap::new(),
            test_start_lost: false,
            test_start_throttled: None,
            test_start_runs: None,
        })))
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut NetState) -> R) -> R {
        f(&mut self.0.lock().expect("net lock"))
    }

    pub fn order(&self) -> Vec<String> {
        self.with(|n| n.order.clone())
    }

    fn on_vpn(&self) -> Option<bool> {
        self.with(|n| {
            if n.peering != PeeringState::Disabled {
                return Some(false);
            }
            match n.converge {
                Some(d) if n.changed_at.elapsed() >= d => Some(true),
                Some(_) => Some(false),
                None => None,
            }
        })
    }

    /// Disabled, not converged yet, and the traffic goes nowhere meanwhile.
    fn blackholed(&self) -> bool {
        self.with(|n| n.peering == PeeringState::Disabled && n.blackhole_until_converged)
    }

    fn peering_json(&self) -> String {
        let (state, etag) = self.with(|n| (n.peering.to_string(), n.etag));
        fixture("arm/synthetic/peering-get-private-enabled.json")
            .replace("\"state\": \"Enabled\"", &format!("\"state\": \"{state}\""))
            .replace(
                "3c7e9a52-1f4b-4d6e-9b8a-5e2d7c1f0a11",
                &format!("etag-{etag}"),
            )
    }
}

/// A device of the article's lab.
#[derive(Debug, Clone)]
pub struct FakeDevice {
    pub role: String,
    pub net: Net,
}

impl DeviceSession for FakeDevice {
    fn role(&self) -> &str {
        &self.role
    }

    async fn run(&self, command: &str) -> Result<CommandOutput, DeviceError> {
        let delay = self
            .net
            .with(|n| n.device_delay.get(&self.role).copied())
            .unwrap_or_default();
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let a = "article/";
        let text = match (self.role.as_str(), command) {
            ("ce1", "show route advertising-protocol bgp 192.168.11.18 | no-more") => fixture(
                &format!("{a}route/mx03-01-advertising-protocol-bgp-192.168.11.18.txt"),
            ),
            ("ce2", "show route advertising-protocol bgp 192.168.11.22 | no-more") => fixture(
                &format!("{a}route/mx03-02-advertising-protocol-bgp-192.168.11.22.txt"),
            ),
            ("fw", "show route table Cust11.inet.0 10.17.11.0/24 | no-more") => {
                match self.net.on_vpn() {
                    Some(false) => fixture(&format!(
                        "{a}route/srx42-01-route-table-cust11-10.17.11.0-24.txt"
                    )),
                    // Stuck: the routes moved, the traffic did not.
                    Some(true) | None => FW_TABLE_ON_VPN.to_string(),
                }
            }
            ("fw", "show bgp summary instance Cust11 | no-more") => {
                if self.net.with(|n| n.vpn_bgp_down) {
                    fixture(&format!("{a}sessions/bgp-summary-srx-vpn-down.txt"))
                } else {
                    fixture(&format!("{a}sessions/bgp-summary-srx.txt"))
                }
            }
            (
                "fw",
                "show route advertising-protocol bgp 10.17.11.76 | no-more"
                | "show route advertising-protocol bgp 10.17.11.77 | no-more",
            ) => fixture(&format!(
                "{a}route/srx42-01-advertising-protocol-bgp-10.17.11.76-and-77.txt"
            )),
            (
                "fw",
                "show route receive-protocol bgp 10.17.11.76 table Cust11.inet.0 | no-more"
                | "show route receive-protocol bgp 10.17.11.77 table Cust11.inet.0 | no-more",
            ) => fixture(&format!(
                "{a}route/srx42-01-receive-protocol-bgp-10.17.11.76-and-77-table-cust11.txt"
            )),
            ("fw", "show security ike security-associations | no-more") => {
                fixture(&format!("{a}sessions/ike-sa-srx.txt"))
            }
            ("fw", "show security ipsec security-associations | no-more") => {
                fixture(&format!("{a}sessions/ipsec-sa-srx.txt"))
            }
            ("ce1", "show bfd session | no-more") => {
                fixture(&format!("{a}sessions/bfd-session-ce1.txt"))
            }
            ("ce2", "show bfd session | no-more") => {
                fixture(&format!("{a}sessions/bfd-session-ce1.txt"))
                    .replace("192.168.11.18", "192.168.11.22")
                    .replace("MX03-01", "MX03-02")
            }
            ("server", "traceroute -n 10.17.11.132") => match self.net.on_vpn() {
                Some(false) if self.net.blackholed() => TRACE_LOST.to_string(),
                Some(false) => fixture(&format!("{a}traceroute/linux-er.txt")),
                Some(true) => fixture(&format!("{a}traceroute/linux-vpn.txt")),
                None => TRACE_LOST.to_string(),
            },
            _ => {
                self.net
                    .with(|n| n.unexpected.push(format!("{}: {command}", self.role)));
                return Err(DeviceError::Other {
                    device: self.role.clone(),
                    reason: format!("unexpected command `{command}`"),
                });
            }
        };
        Ok(CommandOutput {
            stdout: text,
            stderr: String::new(),
            exit_status: Some(0),
            elapsed: Duration::from_millis(5),
        })
    }
}

/// Azure, with a scripted peering.
#[derive(Debug, Clone)]
pub struct FakeAzure {
    pub net: Net,
}

fn read<T: serde::de::DeserializeOwned>(raw: String) -> Result<ArmRead<T>, ArmError> {
    let value = serde_json::from_str(&raw).map_err(|e| ArmError::Protocol(e.to_string()))?;
    Ok(ArmRead {
        value,
        raw,
        ids: RequestIds::default(),
    })
}

/// One exchange of a failover test, at the path `t` renders for it.
fn test_attempt(path: String, status: u16) -> ArmAttempt {
    ArmAttempt {
        method: "POST".into(),
        path,
        status,
        error_code: None,
        retry_after_ms: None,
        ids: RequestIds::default(),
        write: None,
    }
}

fn attempt(status: u16) -> ArmAttempt {
    ArmAttempt {
        method: "PUT".into(),
        path: "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/SEA-Cust11/providers/Microsoft.Network/expressRouteCircuits/SEA-Cust11-ER/peerings/AzurePrivatePeering?api-version=2024-05-01".into(),
        status,
        error_code: match status {
            409 => Some("AnotherOperationInProgress".into()),
            429 => Some("TooManyRequests".into()),
            _ => None,
        },
        retry_after_ms: (status == 429).then_some(10_000),
        ids: RequestIds::default(),
        write: None,
    }
}

impl AzureApi for FakeAzure {
    async fn get_peering(&self) -> Result<ArmRead<ExpressRouteCircuitPeering>, ArmError> {
        read(self.net.peering_json())
    }

    async fn get_circuit(&self) -> Result<ArmRead<ExpressRouteCircuit>, ArmError> {
        read(fixture("arm/synthetic/circuit-get-two-peerings.json"))
    }

    async fn set_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        let before: ExpressRouteCircuitPeering = read(self.net.peering_json())?.value;
        if let Some(SetScript::Paced(_)) = self.net.with(|n| n.script.front().cloned()) {
            let Some(SetScript::Paced(puts)) = self.net.with(|n| n.script.pop_front()) else {
                unreachable!("just seen")
            };
            return self.paced(state, before, puts, on_attempt, permit).await;
        }
        let Some(ticket) = permit.begin_write() else {
            return Err(ArmError::Cancelled("revoked before the PUT".into()));
        };
        let step = self.net.with(|n| {
            n.order.push(format!("azure:PUT {state}"));
            n.script.pop_front()
        });
        if let Some(SetScript::Held(after, error)) = step {
            ticket.answered(0);
            on_attempt(&attempt(0));
            let net = self.net.clone();
            let etag = net.with(|n| n.etag);
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                net.with(|n| {
                    let lands = n.etag == etag;
                    let how = if lands { "applied" } else { "412" };
                    n.order.push(format!("held:PUT {state} {how}"));
                    if lands {
                        n.peering = state;
                        n.changed_at = Instant::now();
                        n.etag += 1;
                    }
                });
            });
            return Err(error);
        }
        let (statuses, error, change) = match step {
            None => (vec![200], None, true),
            Some(SetScript::Ok(s)) => (s, None, true),
            Some(SetScript::Err(s, e)) => (s, Some(e), false),
            Some(SetScript::ErrAfterChange(e)) => (vec![200], Some(e), true),
            Some(SetScript::Paced(_) | SetScript::Held(..)) => unreachable!("handled above"),
        };
        ticket.answered(if change { 200 } else { 400 });
        let mut attempts = Vec::new();
        for s in statuses {
            let a = attempt(s);
            on_attempt(&a);
            attempts.push(a);
        }
        if change {
            self.net.with(|n| {
                n.peering = state.clone();
                n.changed_at = Instant::now();
                n.etag += 1;
            });
        }
        if let Some(e) = error {
            return Err(e);
        }
        let after = read(self.net.peering_json())?.value;
        Ok(PeeringChange {
            before,
            after,
            attempts,
            notes: Vec::new(),
        })
    }

    /// This fake's PUT always goes out, so the forced one is the same.
    async fn assert_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        self.set_peering_state(state, on_attempt, permit).await
    }

    async fn learned_routes(&self) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        let mut list: GatewayRouteListResult =
            read(fixture("arm/synthetic/gateway-learned-routes.json"))?.value;
        if self.net.on_vpn() != Some(false) {
            // ExpressRoute withdrawn: the gateway no longer learns the
            // routes the ExpressRoute gateway (10.17.11.69) relayed.
            list.value
                .retain(|r| r.next_hop.as_deref() != Some("10.17.11.69"));
        }
        if self.net.with(|n| n.vpn_more_specific) {
            for local in ["10.17.11.76", "10.17.11.77"] {
                let mut r = list
                    .value
                    .iter()
                    .find(|r| r.next_hop.as_deref() == Some("192.168.11.88"))
                    .cloned()
                    .expect("a route from the firewall");
                r.local_address = Some(local.into());
                r.network = Some("10.1.11.0/26".into());
                list.value.push(r);
            }
        }
        let raw = serde_json::to_string(&list).map_err(|e| ArmError::Protocol(e.to_string()))?;
        read(raw)
    }

    async fn advertised_routes(
        &self,
        peer: IpAddr,
    ) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        assert_eq!(peer.to_string(), "192.168.11.88");
        read(fixture(
            "arm/synthetic/gateway-advertised-routes-192.168.11.88.json",
        ))
    }

    async fn bgp_peer_status(&self) -> Result<ArmRead<BgpPeerStatusListResult>, ArmError> {
        // The fixture's second instance is still connecting; the healthy
        // lab has both connected.
        read(
            fixture("arm/synthetic/gateway-bgp-peer-status.json")
                .replace("Connecting", "Connected"),
        )
    }

    async fn get_connection(&self) -> Result<ArmRead<VirtualNetworkGatewayConnection>, ArmError> {
        read(fixture("arm/synthetic/connection-get-connected.json"))
    }

    fn manual_commands(&self, state: PeeringState) -> ManualCommands {
        ManualCommands {
            az_cli: format!(
                "az network express-route peering update --resource-group SEA-Cust11 --circuit-name SEA-Cust11-ER --name AzurePrivatePeering --set state={state}"
            ),
            powershell: format!(
                "$c = Get-AzExpressRouteCircuit -Name SEA-Cust11-ER -ResourceGroupName SEA-Cust11; ($c.Peerings | Where-Object Name -eq 'AzurePrivatePeering').State = '{state}'; Set-AzExpressRouteCircuit -ExpressRouteCircuit $c"
            ),
        }
    }

    fn failover_test_target(
        &self,
        gateway: &str,
    ) -> Option<cutover_core::azure_call::FailoverTestTarget> {
        Some(cutover_core::azure_call::FailoverTestTarget::sketch(
            "SEA-Cust11",
            gateway,
        ))
    }

    fn link_failover_test_target(
        &self,
        circuit: &str,
        link: &cutover_core::runbook::LinkTest,
    ) -> Option<cutover_core::azure_call::FailoverTestTarget> {
        Some(cutover_core::azure_call::FailoverTestTarget::link_sketch(
            "SEA-Cust11",
            circuit,
            link,
        ))
    }

    /// Azure's failover tests, in the shared order: `azure:start_test
    /// <location>` (or `link <Primary|Secondary>`), `azure:test_details`,
    /// `azure:stop_test successful=<b> verified=<n>` (`n`: the connections,
    /// or the link test, verified); it reads Running until a stop,
    /// Completed after.
    async fn start_failover_test(
        &self,
        t: &cutover_core::azure_call::FailoverTestTarget,
        peering_location: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<String, ArmError> {
        let on = match t.link() {
            Some((link, _)) => format!("link {link}"),
            None => peering_location.to_owned(),
        };
        if let Some(wait) = self.net.with(|n| n.test_start_throttled) {
            let Some(ticket) = permit.begin_write() else {
                return Err(ArmError::Cancelled("revoked before the POST".into()));
            };
            self.net
                .with(|n| n.order.push(format!("azure:start_test {on}")));
            ticket.answered(429);
            let mut a = test_attempt(t.start_path(peering_location), 429);
            a.retry_after_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
            on_attempt(&a);
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = permit.revoked() => {}
            }
        }
        let Some(ticket) = permit.begin_write() else {
            self.net.with(|n| n.order.push("azure:revoked".into()));
            return Err(ArmError::Cancelled("revoked before the POST".into()));
        };
        let lost = self.net.with(|n| {
            n.order.push(format!("azure:start_test {on}"));
            n.test_start_lost
        });
        if lost {
            // Sent, and no answer read: it may have been accepted.
            ticket.answered(0);
            on_attempt(&test_attempt(t.start_path(peering_location), 0));
            return Err(ArmError::Transport("connection reset".into()));
        }
        ticket.answered(200);
        let runs = self.net.with(|n| n.test_start_runs);
        let mut accepted = test_attempt(t.start_path(peering_location), 202);
        if runs.is_some() {
            // As the client reports the POST it sent under the permit.
            accepted.write = Some(cutover_core::azure_call::WriteRecord::default());
        }
        on_attempt(&accepted);
        self.net.with(|n| {
            if n.test_start_runs.is_some() {
                n.peering = PeeringState::Disabled;
                n.changed_at = Instant::now();
            }
        });
        if let Some(runs) = runs {
            tokio::time::sleep(runs).await;
        }
        on_attempt(&test_attempt(t.start_path(peering_location), 200));
        Ok("test-1".into())
    }

    async fn failover_test_details(
        &self,
        t: &cutover_core::azure_call::FailoverTestTarget,
        peering_location: &str,
        test_id: &str,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> Result<ArmRead<Vec<cutover_core::model::azure::FailoverTestDetails>>, ArmError> {
        use cutover_core::model::azure::FailoverTestDetails;
        let stopped = self.net.with(|n| {
            n.order.push("azure:test_details".into());
            n.order.iter().any(|o| o.starts_with("azure:stop_test"))
        });
        on_attempt(&test_attempt(
            t.details_path(peering_location, test_id),
            200,
        ));
        let status = if stopped { "Completed" } else { "Running" };
        let parsed = match t.link() {
            None => read::<Vec<cutover_core::model::azure::FailoverSingleTestDetails>>(format!(
                r#"[{{"peeringLocation":"{peering_location}","status":"{status}","redundantRoutes":[],"nonRedundantRoutes":["10.1.11.0/25"],"failoverConnectionDetails":[{{"failoverConnectionName":"SEA-Cust11-VNet01-cn-onprem","failoverLocation":"{peering_location}","isVerified":false}}]}}]"#
            ))
            .map(|r| (r.raw, r.value.into_iter().map(FailoverTestDetails::Site).collect())),
            Some((link, category)) => read::<Vec<cutover_core::model::azure::LinkFailoverSingleTestDetails>>(format!(
                r#"[{{"linkType":"{link}","circuitTestCategory":"{category}","status":"{status}","redundantRoutes":{{"beforeSimulation":[{{"route":"10.1.11.0/25"}}],"duringSimulation":[]}},"nonRedundantRoutes":{{"beforeSimulation":[{{"route":"10.1.12.0/24"}}],"duringSimulation":[]}}}}]"#
            ))
            .map(|r| (r.raw, r.value.into_iter().map(FailoverTestDetails::Link).collect())),
        };
        let (raw, value) = parsed?;
        Ok(ArmRead {
            value,
            raw,
            ids: RequestIds::default(),
        })
    }

    /// `azure:latest_tests` in the shared order, newest first: the test
    /// the start began (`test-1`, started now; Running until a stop), and
    /// an older one at the same place (`test-0`, an hour ago, Completed).
    async fn latest_failover_tests(
        &self,
        t: &cutover_core::azure_call::FailoverTestTarget,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> Result<ArmRead<Vec<cutover_core::model::azure::FailoverTestSummary>>, ArmError> {
        let stopped = self.net.with(|n| {
            n.order.push("azure:latest_tests".into());
            n.order.iter().any(|o| o.starts_with("azure:stop_test"))
        });
        let call = t.latest_call();
        on_attempt(&test_attempt(format!("/{}", call.action), 200));
        let status = if stopped { "Completed" } else { "Running" };
        let at = match t.link() {
            Some((link, _)) => format!(r#""linkType":"{link}""#),
            None => r#""peeringLocation":"Seattle""#.to_owned(),
        };
        let now = time::OffsetDateTime::now_utc();
        let since = |ago: time::Duration| {
            (now - ago)
                .format(&time::format_description::well_known::Rfc3339)
                .expect("a time")
        };
        let (new, old) = if self.net.with(|n| n.latest_test_before) {
            (
                since(time::Duration::minutes(10)),
                since(time::Duration::hours(1)),
            )
        } else {
            (since(time::Duration::ZERO), since(time::Duration::hours(1)))
        };
        read(format!(
            r#"[{{"testGuid":"test-1","testType":"SingleSiteFailover",{at},"status":"{status}","startTime":"{new}"}},
                {{"testGuid":"test-0","testType":"SingleSiteFailover",{at},"status":"Completed","startTime":"{old}"}}]"#
        ))
    }

    async fn stop_failover_test(
        &self,
        t: &cutover_core::azure_call::FailoverTestTarget,
        stop: &cutover_core::model::azure::FailoverStopParameters,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<(), ArmError> {
        let Some(ticket) = permit.begin_write() else {
            return Err(ArmError::Cancelled("revoked before the POST".into()));
        };
        if self.net.with(|n| n.test_stop_refused) {
            ticket.answered(403);
            self.net.with(|n| n.order.push("azure:stop_refused".into()));
            on_attempt(&test_attempt(t.stop_path(), 403));
            return Err(ArmError::Refused("AuthorizationFailed".into()));
        }
        ticket.answered(200);
        // What would be sent, counted: each connection's `isVerified`,
        // or the link test's own.
        let body = t.stop_json(
            &stop.peering_location,
            stop.was_simulation_successful,
            &stop.details,
        );
        let verified = match body.get("isVerified") {
            Some(v) => usize::from(v == &serde_json::Value::Bool(true)),
            None => body["details"]
                .as_array()
                .map(|d| d.iter().filter(|d| d["isVerified"] == true).count())
                .unwrap_or(0),
        };
        self.net.with(|n| {
            n.order.push(format!(
                "azure:stop_test successful={} verified={verified}",
                body["wasSimulationSuccessful"]
            ))
        });
        on_attempt(&test_attempt(t.stop_path(), 200));
        Ok(())
    }
}

impl FakeAzure {
    /// [`SetScript::Paced`]: `azure:PUT <state>` in the shared order for
    /// every PUT that went out, `azure:revoked` when a PUT was refused by
    /// the permit.
    async fn paced(
        &self,
        state: PeeringState,
        before: ExpressRouteCircuitPeering,
        puts: Vec<(u16, Duration)>,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        let mut attempts = Vec::new();
        let mut last = ArmError::Throttled("no PUT was answered".into());
        for (status, wait) in puts {
            let Some(ticket) = permit.begin_write() else {
                self.net.with(|n| n.order.push("azure:revoked".into()));
                return Err(ArmError::Cancelled(format!(
                    "not sent again after the abort; last answer: {last}"
                )));
            };
            let rtt = self.net.with(|n| {
                n.order.push(format!("azure:PUT {state}"));
                n.put_rtt
            });
            tokio::time::sleep(rtt).await;
            ticket.answered(status);
            let mut a = attempt(status);
            a.retry_after_ms = Some(u64::try_from(wait.as_millis()).unwrap_or(u64::MAX));
            on_attempt(&a);
            attempts.push(a);
            if (200..300).contains(&status) {
                self.net.with(|n| {
                    n.peering = state.clone();
                    n.changed_at = Instant::now();
                    n.etag += 1;
                });
                tokio::time::sleep(wait).await;
                let after = read(self.net.peering_json())?.value;
                return Ok(PeeringChange {
                    before,
                    after,
                    attempts,
                    notes: Vec::new(),
                });
            }
            last = if status == 409 {
                ArmError::Conflict("AnotherOperationInProgress".into())
            } else {
                ArmError::Throttled("TooManyRequests".into())
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = permit.revoked() => {}
            }
        }
        Err(last)
    }
}

/// A journal that records events and, in the shared order log, the moment
/// each became durable.
#[derive(Debug, Clone)]
pub struct OrderedLog {
    pub net: Net,
    pub events: Arc<Mutex<Vec<Event>>>,
}

impl EventLog for OrderedLog {
    fn append(&self, event: Event) -> BoxFuture<'_, Result<Event, String>> {
        Box::pin(async move {
            let fail = self.net.with(|n| {
                if n.journal_fails_at == Some(event.kind()) {
                    n.journal_failed = true;
                }
                n.journal_failed
            });
            if fail {
                return Err("disk full".to_string());
            }
            let slow = self.net.with(|n| n.journal_slow_at);
            if let Some((kind, d)) = slow
                && kind == event.kind()
            {
                tokio::time::sleep(d).await;
            }
            self.net
                .with(|n| n.order.push(format!("journal:{}", event.kind())));
            self.events.lock().expect("lock").push(event.clone());
            Ok(event)
        })
    }
}

pub type TestWorld = World<FakeDevice, FakeAzure, NoLocalTracer>;

pub fn world(net: &Net) -> TestWorld {
    let devices: BTreeMap<String, FakeDevice> = ["ce1", "ce2", "fw", "server"]
        .iter()
        .map(|r| {
            (
                r.to_string(),
                FakeDevice {
                    role: r.to_string(),
                    net: net.clone(),
                },
            )
        })
        .collect();
    World::new(
        devices,
        Some(FakeAzure { net: net.clone() }),
        None::<NoLocalTracer>,
    )
}

pub fn config() -> SessionConfig {
    let mut c = SessionConfig::new(Mode::Drill);
    c.operator = "tester".into();
    c.monitor = false;
    c.rollback = RollbackPolicy {
        attempts: 4,
        first_backoff: Duration::from_secs(5),
        max_backoff: Duration::from_secs(20),
    };
    c
}

/// What the scripted operator does in answer to an event.
pub enum Reply {
    Nothing,
    Send(Command),
    /// Sends after this much (virtual) time.
    After(Duration, Command),
    /// Closes the command channel: the console is gone.
    Hangup,
    /// Closes it after this much (virtual) time.
    HangupAfter(Duration),
    /// Several of the above, in order.
    Many(Vec<Reply>),
}

/// A session run to its end, and everything that was recorded.
#[derive(Debug)]
pub struct Run {
    pub outcome: SessionOutcome,
    /// What the journal recorded, in order.
    pub events: Vec<Event>,
    /// What the console was shown, in order.
    pub shown: Vec<Event>,
    pub net: Net,
}

impl Run {
    pub fn kinds(&self) -> Vec<&'static str> {
        self.events.iter().map(Event::kind).collect()
    }

    /// Where `what` first stands in the network's shared order (panics
    /// with the whole order when it is missing).
    pub fn at(&self, what: &str) -> usize {
        let order = self.net.order();
        order
            .iter()
            .position(|o| o == what)
            .unwrap_or_else(|| panic!("{what} in {order:?}"))
    }

    pub fn count(&self, kind: &str) -> usize {
        self.events.iter().filter(|e| e.kind() == kind).count()
    }

    pub fn notes(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Note { text, .. } => Some(text.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A detached guard that only writes down what the engine tells it, in
/// the network's shared order: `guard:arm <step>`, `guard:applied`,
/// `guard:confirm`, `guard:rolling_back`, `guard:resolved`.
#[derive(Debug, Clone)]
pub struct RecordingWatchdog {
    pub net: Net,
}

struct RecordingWatch {
    net: Net,
}

impl RecordingWatch {
    fn say(&self, what: &str) {
        self.net.with(|n| n.order.push(format!("guard:{what}")));
    }
}

impl Watchdog for RecordingWatchdog {
    fn arm(&self, req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>> {
        Box::pin(async move {
            self.net
                .with(|n| n.order.push(format!("guard:arm {}", req.step)));
            Ok(Some(Box::new(RecordingWatch {
                net: self.net.clone(),
            }) as Box<dyn Watch>))
        })
    }
}

impl Watch for RecordingWatch {
    fn applied(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        self.say("applied");
        Box::pin(async { Ok(true) })
    }
    fn confirm(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        self.say("confirm");
        Box::pin(async { Ok(true) })
    }
    fn rolling_back(&mut self) -> BoxFuture<'_, Result<(), String>> {
        self.say("rolling_back");
        Box::pin(async { Ok(()) })
    }
    fn resolved(&mut self) -> BoxFuture<'_, Result<(), String>> {
        self.say("resolved");
        Box::pin(async { Ok(()) })
    }
}

/// Runs `rb` against the simulated network with a scripted operator.
pub async fn run_session(
    rb: Runbook,
    net: Net,
    config: SessionConfig,
    operator: impl FnMut(&Event) -> Reply + Send + 'static,
) -> Run {
    run_session_guarded(rb, net, config, operator, Arc::new(NoWatchdog)).await
}

/// [`run_session`] with a detached guard.
pub async fn run_session_guarded(
    rb: Runbook,
    net: Net,
    config: SessionConfig,
    mut operator: impl FnMut(&Event) -> Reply + Send + 'static,
    watchdog: Arc<dyn Watchdog>,
) -> Run {
    let events = Arc::new(Mutex::new(Vec::new()));
    let log = OrderedLog {
        net: net.clone(),
        events: Arc::clone(&events),
    };
    let (shown_tx, mut shown_rx) = mpsc::unbounded_channel();
    let sink = EventSink::new(Some(Arc::new(log)), vec![shown_tx]);
    let (cmd_tx, cmd_rx) = mpsc::channel::<Command>(64);
    let engine =
        Engine::new(Arc::new(rb), Arc::new(world(&net)), sink, config).with_watchdog(watchdog);
    let session = tokio::spawn(engine.run(cmd_rx));
    let console = tokio::spawn(async move {
        let mut shown = Vec::new();
        let mut tx = Some(cmd_tx);
        while let Some(ev) = shown_rx.recv().await {
            let mut replies = vec![operator(&ev)];
            while let Some(r) = replies.pop() {
                match r {
                    Reply::Nothing => {}
                    Reply::Many(rs) => replies.extend(rs.into_iter().rev()),
                    Reply::Send(c) => {
                        if let Some(t) = &tx {
                            let _ = t.send(c).await;
                        }
                    }
                    Reply::After(d, c) => {
                        if let Some(t) = tx.clone() {
                            tokio::spawn(async move {
                                tokio::time::sleep(d).await;
                                let _ = t.send(c).await;
                            });
                        }
                    }
                    Reply::Hangup => tx = None,
                    Reply::HangupAfter(d) => {
                        if let Some(t) = tx.take() {
                            tokio::spawn(async move {
                                tokio::time::sleep(d).await;
                                drop(t);
                            });
                        }
                    }
                }
            }
            shown.push(ev);
        }
        shown
    });
    let outcome = session.await.expect("the engine does not panic");
    let shown = console.await.expect("console task");
    let events = events.lock().expect("lock").clone();
    Run {
        outcome,
        events,
        shown,
        net,
    }
}

/// The answers a careful operator gives: confirms the gate when every
/// pre-check passed and no hazard was predicted (typing the circuit
/// name), else declines; and calls each change
/// healthy once its verification passed.
pub fn operator_confirming() -> impl FnMut(&Event) -> Reply + Send + 'static {
    move |ev| match ev {
        Event::GatePrompt {
            step,
            confirm_text,
            failed_checks,
            hazards,
            ..
        } if failed_checks.is_empty() && hazards.is_empty() => Reply::Send(Command::GateConfirm {
            step: step.clone(),
            typed: confirm_text.clone(),
        }),
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateDecline { step: step.clone() }),
        Event::Verified { step } => Reply::Send(Command::ConfirmHealthy { step: step.clone() }),
        _ => Reply::Nothing,
    }
}
