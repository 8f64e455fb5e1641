//! Azure's site failover simulation on the ExpressRoute gateway
//! (`startSiteFailoverTest` and friends, api-version 2024-05-01 on): while
//! a test runs, the gateway's connection to the circuit at the tested
//! peering location is down, as Azure takes it down. The gateway loses its
//! sessions to the MSEEs (`Carrier::ErCore`), so the MSEEs stop announcing
//! the VNet to the CEs and the gateway stops holding the on-premises
//! prefixes: both directions move to the VPN, as when the private peering
//! is disabled, except that the CEs' own sessions to the MSEEs stay up
//! (Azure's simulation leaves the circuit alone). Stopping the test brings
//! the gateway's sessions back after the usual establishment time.
//!
//! The answers' shapes are the spec's (`ExpressRouteFailoverTestDetails`,
//! `ExpressRouteFailoverSingleTestDetails`, `FailoverConnectionDetails`,
//! `ExpressRouteFailoverStopApiParameters`); the lab fills them from its
//! one circuit at its one peering location: every prefix the gateway
//! learned over the circuit is non-redundant (no other location sends it),
//! and the connection that takes over is the site-to-site VPN connection.

use serde::{Deserialize, Serialize};

use super::World;
use crate::azure::{ArmError, BgpPeerStatus, civil_from_days, timespan};
use crate::bgp::PathSource;
use crate::topology::{Carrier, Node};
use crate::{mix, uuid_like};

/// `FailoverTestStatus` / `FailoverTestStatusForSingleTest`: the values
/// the lab reaches. `Stopping` is not one of them: a stop applies at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailoverTestStatus {
    Running,
    Completed,
}

impl FailoverTestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FailoverTestStatus::Running => "Running",
            FailoverTestStatus::Completed => "Completed",
        }
    }
}

/// The spec's `FailoverConnectionDetails` (also an item of the stop's
/// `details`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverConnectionDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_connection_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_verified: Option<bool>,
}

/// The spec's `ExpressRouteFailoverStopApiParameters`: the stop's body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverStopParameters {
    #[serde(default)]
    pub peering_location: Option<String>,
    #[serde(default)]
    pub was_simulation_successful: Option<bool>,
    #[serde(default)]
    pub details: Option<Vec<FailoverConnectionDetails>>,
}

/// The spec's `ExpressRouteFailoverTestDetails` (one item of
/// `getFailoverAllTestsDetails`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverTestDetails {
    pub peering_location: String,
    pub circuits: Vec<FailoverCircuitResourceDetails>,
    pub status: String,
    pub start_time: String,
    pub end_time: String,
    pub connections: Vec<FailoverConnectionResourceDetails>,
    pub test_guid: String,
    pub test_type: String,
    pub issues: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverCircuitResourceDetails {
    pub nrp_resource_uri: String,
    pub name: String,
    pub connection_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverConnectionResourceDetails {
    pub nrp_resource_uri: String,
    pub name: String,
    /// `Connected` or `Disconnected`.
    pub status: String,
    pub last_updated_time: String,
}

/// The spec's `ExpressRouteFailoverSingleTestDetails` (one item of
/// `getFailoverSingleTestDetails`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverSingleTestDetails {
    pub peering_location: String,
    pub status: String,
    pub start_time_utc: String,
    pub end_time_utc: String,
    pub redundant_routes: Vec<FailoverRedundantRoute>,
    pub non_redundant_routes: Vec<String>,
    pub was_simulation_successful: bool,
    pub failover_connection_details: Vec<FailoverConnectionDetails>,
}

/// The spec's `ExpressRouteFailoverRedundantRoute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverRedundantRoute {
    pub peering_locations: Vec<String>,
    pub routes: Vec<String>,
}

/// One test the lab ran or runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverTest {
    pub guid: String,
    pub peering_location: String,
    pub status: FailoverTestStatus,
    /// Unix seconds.
    pub started: i64,
    pub ended: Option<i64>,
    /// The ER connection's last change (down at the start, up at the stop).
    pub connection_changed: i64,
    pub was_simulation_successful: bool,
    pub non_redundant_routes: Vec<String>,
    pub failover_connections: Vec<FailoverConnectionDetails>,
}

/// Every test so far, oldest first.
#[derive(Debug, Clone, Default)]
pub struct FailoverTests {
    tests: Vec<FailoverTest>,
}

impl FailoverTests {
    /// The gateway's ExpressRoute connection is down for a test.
    pub fn er_connection_down(&self) -> bool {
        self.tests
            .iter()
            .any(|t| t.status == FailoverTestStatus::Running)
    }

    fn latest_at(&self, location: &str) -> Option<&FailoverTest> {
        self.tests
            .iter()
            .rev()
            .find(|t| t.peering_location.eq_ignore_ascii_case(location))
    }
}

/// `yyyy-mm-ddThh:mm:ssZ`, as the spec's examples write the times.
pub fn utc(unix: i64) -> String {
    let (y, mo, d) = civil_from_days(unix.div_euclid(86_400));
    let rem = unix.rem_euclid(86_400);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

fn arm_error(status: u16, code: &str, message: String) -> ArmError {
    ArmError {
        status,
        code: code.to_owned(),
        message,
        retry_after_s: None,
    }
}

impl World {
    /// The tests so far, oldest first.
    pub fn failover_tests(&self) -> &[FailoverTest] {
        &self.failover.tests
    }

    /// Whether a site failover test holds the gateway's ExpressRoute
    /// connection down now.
    pub fn er_connection_down(&self) -> bool {
        self.failover.er_connection_down()
    }

    /// The name the lab gives the ER gateway's connection to the circuit
    /// (the article's lab does not name it).
    pub fn er_connection_name(&self) -> String {
        format!("{}-cn-er", self.topo.azure.hub_vnet)
    }

    fn known_location(&self, location: &str) -> Result<String, ArmError> {
        let ours = self.topo.azure.peering_location;
        if location.trim().eq_ignore_ascii_case(ours) {
            Ok(ours.to_owned())
        } else {
            Err(arm_error(
                400,
                "InvalidParameter",
                format!(
                    "The virtual network gateway {} has no ExpressRoute connection at peering location '{location}' (it has one at '{ours}').",
                    self.topo.azure.er_gateway
                ),
            ))
        }
    }

    /// `startSiteFailoverTest`: takes the gateway's ExpressRoute connection
    /// down and answers the new test's GUID.
    pub fn start_site_failover_test(
        &mut self,
        now: std::time::Duration,
        location: &str,
    ) -> Result<String, ArmError> {
        self.tick(now);
        let location = self.known_location(location)?;
        if let Some(t) = self
            .failover
            .tests
            .iter()
            .find(|t| t.status == FailoverTestStatus::Running)
        {
            return Err(arm_error(
                409,
                "FailoverTestAlreadyRunning",
                format!(
                    "A failover test ({}) is already running at peering location '{}'; stop it first.",
                    t.guid, t.peering_location
                ),
            ));
        }
        let core = self.sessions_on(|c| matches!(c, Carrier::ErCore(_)));
        // What the gateway learned over the circuit is what the test takes
        // away: with one circuit at one location, none of it is redundant.
        let mut routes: Vec<String> = self
            .rib(Node::ErGw)
            .dests
            .values()
            .flat_map(|d| &d.paths)
            .filter(|p| {
                matches!(p.source, PathSource::Session { session, .. } if core.contains(&session))
            })
            .map(|p| p.prefix.to_string())
            .collect();
        routes.sort();
        routes.dedup();
        let serial = self.failover.tests.len() as u64 + 1;
        let guid = uuid_like(mix(self.seed ^ 0x51de_fa11 ^ serial.wrapping_mul(0x9e37)));
        let at = self.unix_at(self.t);
        let vpn = FailoverConnectionDetails {
            failover_connection_name: Some(self.topo.azure.connection.to_owned()),
            failover_location: Some(self.topo.azure.location.to_owned()),
            is_verified: Some(false),
        };
        self.failover.tests.push(FailoverTest {
            guid: guid.clone(),
            peering_location: location.clone(),
            status: FailoverTestStatus::Running,
            started: at,
            ended: None,
            connection_changed: at,
            was_simulation_successful: false,
            non_redundant_routes: routes,
            failover_connections: vec![vpn],
        });
        // Azure shuts the sessions down (a BGP NOTIFICATION, so no
        // detection time), but the tables still take their convergence
        // time to follow, as after any session loss.
        for sid in core {
            let epoch = self.bump(sid);
            let convergence = self.convergence_of(sid);
            self.schedule(convergence, epoch, super::events::Ev::Down(sid));
        }
        self.log(format!(
            "site failover test {guid} started at {location}: the ER gateway's connection goes down"
        ));
        Ok(guid)
    }

    /// `stopSiteFailoverTest`: records the operator's verdict, ends the
    /// running test at `params.peering_location` and brings the gateway's
    /// ExpressRoute connection back. Answers the test's GUID.
    pub fn stop_site_failover_test(
        &mut self,
        now: std::time::Duration,
        params: &FailoverStopParameters,
    ) -> Result<String, ArmError> {
        self.tick(now);
        let Some(location) = params.peering_location.as_deref() else {
            return Err(arm_error(
                400,
                "MissingRequiredParameter",
                "The request body needs 'peeringLocation'.".to_owned(),
            ));
        };
        let location = self.known_location(location)?;
        let at = self.unix_at(self.t);
        let Some(test) =
            self.failover.tests.iter_mut().rev().find(|t| {
                t.peering_location == location && t.status == FailoverTestStatus::Running
            })
        else {
            return Err(arm_error(
                409,
                "FailoverTestNotRunning",
                format!("No failover test is running at peering location '{location}'."),
            ));
        };
        test.status = FailoverTestStatus::Completed;
        test.ended = Some(at);
        test.connection_changed = at;
        test.was_simulation_successful = params.was_simulation_successful.unwrap_or(false);
        let sent = params.details.as_deref().unwrap_or(&[]);
        for c in &mut test.failover_connections {
            let verified = sent.iter().find(|s| {
                match (&s.failover_connection_name, &c.failover_connection_name) {
                    (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                    _ => false,
                }
            });
            c.is_verified = Some(verified.and_then(|s| s.is_verified).unwrap_or(false));
        }
        let guid = test.guid.clone();
        let verdict = test.was_simulation_successful;
        let establish = self.scenario.timing.establish;
        for sid in self.sessions_on(|c| matches!(c, Carrier::ErCore(_))) {
            let epoch = self.bump(sid);
            self.schedule(establish, epoch, super::events::Ev::Up(sid));
        }
        self.recompute(false);
        self.log(format!(
            "site failover test {guid} stopped (wasSimulationSuccessful={verdict}): the ER gateway's connection comes back"
        ));
        Ok(guid)
    }

    fn test_details(&self, t: &FailoverTest) -> FailoverTestDetails {
        let a = &self.topo.azure;
        let network = format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network",
            a.subscription, a.resource_group
        );
        let conn = self.er_connection_name();
        FailoverTestDetails {
            peering_location: t.peering_location.clone(),
            circuits: vec![FailoverCircuitResourceDetails {
                nrp_resource_uri: format!("{network}/expressRouteCircuits/{}", a.circuit),
                name: a.circuit.to_owned(),
                connection_name: conn.clone(),
            }],
            status: t.status.as_str().to_owned(),
            start_time: utc(t.started),
            end_time: t.ended.map(utc).unwrap_or_default(),
            connections: vec![FailoverConnectionResourceDetails {
                nrp_resource_uri: format!("{network}/connections/{conn}"),
                name: conn,
                status: if t.status == FailoverTestStatus::Running {
                    "Disconnected"
                } else {
                    "Connected"
                }
                .to_owned(),
                last_updated_time: utc(t.connection_changed),
            }],
            test_guid: t.guid.clone(),
            test_type: "SingleSiteFailover".to_owned(),
            issues: Vec::new(),
        }
    }

    /// `getFailoverAllTestsDetails`: per peering location its tests (only
    /// the latest with `fetch_latest`), a `NotStarted` entry for a location
    /// never tested. `test_type`: `SingleSiteFailover`, `MultiSiteFailover`
    /// or `All` (`None`: all); the lab runs single-site tests only.
    pub fn failover_all_tests(
        &self,
        test_type: Option<&str>,
        fetch_latest: bool,
    ) -> Vec<FailoverTestDetails> {
        if test_type.is_some_and(|t| t.eq_ignore_ascii_case("MultiSiteFailover")) {
            return Vec::new();
        }
        let location = self.topo.azure.peering_location;
        let mut out: Vec<FailoverTestDetails> = if fetch_latest {
            self.failover
                .latest_at(location)
                .map(|t| self.test_details(t))
                .into_iter()
                .collect()
        } else {
            self.failover
                .tests
                .iter()
                .map(|t| self.test_details(t))
                .collect()
        };
        if out.is_empty() {
            let mut never = self.test_details(&FailoverTest {
                guid: String::new(),
                peering_location: location.to_owned(),
                status: FailoverTestStatus::Completed,
                started: 0,
                ended: None,
                connection_changed: 0,
                was_simulation_successful: false,
                non_redundant_routes: Vec::new(),
                failover_connections: Vec::new(),
            });
            never.status = "NotStarted".to_owned();
            never.start_time = String::new();
            never.end_time = String::new();
            for c in &mut never.connections {
                c.last_updated_time = String::new();
            }
            out.push(never);
        }
        out
    }

    /// getBgpPeerStatus of the ER gateway: its sessions to the MSEEs,
    /// which a site failover test takes down.
    pub fn er_gateway_bgp_peer_status(&self) -> Vec<BgpPeerStatus> {
        let mut out = Vec::new();
        for (sid, s) in self.topo.sessions_of(Node::ErGw) {
            if !matches!(s.carrier, Carrier::ErCore(_)) {
                continue;
            }
            let (Some((local, peer)), Some(rt)) = (s.ends_of(Node::ErGw), self.sessions.get(sid))
            else {
                continue;
            };
            let received = self
                .rib(Node::ErGw)
                .dests
                .values()
                .flat_map(|d| &d.paths)
                .filter(
                    |p| matches!(p.source, PathSource::Session { session, .. } if session == sid),
                )
                .count() as u64;
            let up_for = self.t.saturating_sub(rt.since);
            let msgs = 23 + sid as u64 * 5 + up_for.as_secs() / 60;
            out.push(BgpPeerStatus {
                local_address: local.addr.to_string(),
                neighbor: peer.addr.to_string(),
                asn: self.topo.router(peer.node).asn,
                state: if rt.established {
                    "Connected"
                } else {
                    "Connecting"
                }
                .to_owned(),
                connected_duration: timespan(if rt.established {
                    up_for
                } else {
                    std::time::Duration::ZERO
                }),
                routes_received: if rt.established { received } else { 0 },
                messages_sent: if rt.established {
                    msgs + 2
                } else {
                    u64::from(rt.flaps) + 2
                },
                messages_received: if rt.established { msgs } else { 0 },
            });
        }
        out
    }

    /// `getFailoverSingleTestDetails` of test `id` at `location`.
    pub fn failover_single_test(
        &self,
        location: &str,
        id: &str,
    ) -> Result<Vec<FailoverSingleTestDetails>, ArmError> {
        let location = self.known_location(location)?;
        let Some(t) = self
            .failover
            .tests
            .iter()
            .find(|t| t.guid.eq_ignore_ascii_case(id.trim()) && t.peering_location == location)
        else {
            return Err(arm_error(
                404,
                "NotFound",
                format!("No failover test '{id}' at peering location '{location}'."),
            ));
        };
        Ok(vec![FailoverSingleTestDetails {
            peering_location: t.peering_location.clone(),
            status: t.status.as_str().to_owned(),
            start_time_utc: utc(t.started),
            end_time_utc: t.ended.map(utc).unwrap_or_default(),
            redundant_routes: Vec::new(),
            non_redundant_routes: t.non_redundant_routes.clone(),
            was_simulation_successful: t.was_simulation_successful,
            failover_connection_details: t.failover_connections.clone(),
        }])
    }
}
