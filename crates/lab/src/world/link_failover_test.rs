//! Azure's circuit link failover test (`startCircuitLinkFailoverTest` and
//! friends, api-version 2025-07-01 on): Microsoft disconnects BGP on one
//! link of the circuit (`linkType` Primary or Secondary, category
//! `BgpDisconnect`). The MSEE of that link drops its session with the CE at
//! once; the CE notices after BFD (or the hold timer), as when the private
//! peering is disabled, and the traffic moves to the other link. Stopping
//! the test lets the session establish again.
//!
//! The lab simulates `BgpDisconnect` only: an `ASPathPrepend` test would
//! need Microsoft's prepending, which the lab's BGP does not model.
//! Shapes are the spec's (`ExpressRouteLinkFailoverAllTestsDetails`,
//! `ExpressRouteLinkFailoverSingleTestDetails`,
//! `ExpressRouteLinkFailoverRouteList`, `ExpressRouteLinkFailoverRoute`,
//! `ExpressRouteLinkFailoverStopApiParameters`); `bgpStatus` is left empty
//! (the spec's values for it are not modelled).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::World;
use super::events::Ev;
use super::failover_test::{FailoverTestStatus, utc};
use crate::azure::ArmError;
use crate::topology::{Carrier, Node};
use crate::{mix, uuid_like};

/// The spec's `ExpressRouteLinkFailoverStopApiParameters`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverStopParameters {
    #[serde(default)]
    pub link_type: Option<String>,
    #[serde(default)]
    pub circuit_test_category: Option<String>,
    #[serde(default)]
    pub was_simulation_successful: Option<bool>,
    #[serde(default)]
    pub is_verified: Option<bool>,
}

/// The spec's `ExpressRouteLinkFailoverRoute`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverRoute {
    pub route: String,
    pub next_hop: String,
    #[serde(rename = "primaryASPath")]
    pub primary_as_path: String,
    #[serde(rename = "secondaryASPath")]
    pub secondary_as_path: String,
}

/// The spec's `ExpressRouteLinkFailoverRouteList`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverRouteList {
    pub before_simulation: Vec<LinkFailoverRoute>,
    pub during_simulation: Vec<LinkFailoverRoute>,
}

/// The spec's `ExpressRouteLinkFailoverAllTestsDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverAllTestsDetails {
    pub test_guid: String,
    pub test_type: String,
    pub link_type: String,
    pub circuit_test_category: String,
    pub status: String,
    pub start_time: String,
    pub end_time: String,
    pub was_simulation_successful: bool,
    pub bgp_status: Vec<serde_json::Value>,
    pub issues: Vec<String>,
}

/// The spec's `ExpressRouteLinkFailoverSingleTestDetails`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverSingleTestDetails {
    pub link_type: String,
    pub circuit_test_category: String,
    pub status: String,
    pub start_time_utc: String,
    pub end_time_utc: String,
    pub was_simulation_successful: bool,
    pub is_simulation_verified: bool,
    pub redundant_routes: LinkFailoverRouteList,
    pub non_redundant_routes: LinkFailoverRouteList,
    pub bgp_status: Vec<serde_json::Value>,
}

/// One link test the lab ran or runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkFailoverTest {
    pub guid: String,
    /// 0: Primary, 1: Secondary.
    pub link: usize,
    pub status: FailoverTestStatus,
    pub started: i64,
    pub ended: Option<i64>,
    pub was_simulation_successful: bool,
    pub is_verified: bool,
    /// (redundant, non-redundant) when the test started...
    before: (Vec<LinkFailoverRoute>, Vec<LinkFailoverRoute>),
    /// ...and when it stopped (`None` while it runs: read live).
    during: Option<(Vec<LinkFailoverRoute>, Vec<LinkFailoverRoute>)>,
}

#[derive(Debug, Clone, Default)]
pub struct LinkFailoverTests {
    tests: Vec<LinkFailoverTest>,
}

pub const LINK_TYPES: [&str; 2] = ["Primary", "Secondary"];

fn arm_error(status: u16, code: &str, message: String) -> ArmError {
    ArmError {
        status,
        code: code.to_owned(),
        message,
        retry_after_s: None,
    }
}

/// `linkType` and `circuitTestCategory` checked: the link's index.
pub fn link_of(link_type: &str, category: &str) -> Result<usize, ArmError> {
    let Some(link) = LINK_TYPES
        .iter()
        .position(|l| l.eq_ignore_ascii_case(link_type.trim()))
    else {
        return Err(arm_error(
            400,
            "InvalidParameter",
            format!("The value '{link_type}' of 'linkType' is not Primary or Secondary."),
        ));
    };
    if category.trim().eq_ignore_ascii_case("ASPathPrepend") {
        return Err(arm_error(
            400,
            "InvalidParameter",
            "The lab simulates the BgpDisconnect category only; ASPathPrepend needs Microsoft's prepending, which the lab does not model.".to_owned(),
        ));
    }
    if !category.trim().eq_ignore_ascii_case("BgpDisconnect") {
        return Err(arm_error(
            400,
            "InvalidParameter",
            format!(
                "The value '{category}' of 'circuitTestCategory' is not BgpDisconnect or ASPathPrepend."
            ),
        ));
    }
    Ok(link)
}

/// The routes seen during the test, in the lists the test put them in
/// before it (as the spec's example has it: a redundant route stays in
/// `redundantRoutes` with the next hop that remains); a route seen only
/// during the test counts as non-redundant.
fn classified_as(
    before: &(Vec<LinkFailoverRoute>, Vec<LinkFailoverRoute>),
    now: (Vec<LinkFailoverRoute>, Vec<LinkFailoverRoute>),
) -> (Vec<LinkFailoverRoute>, Vec<LinkFailoverRoute>) {
    let (mut redundant, mut single) = (Vec::new(), Vec::new());
    for r in now.0.into_iter().chain(now.1) {
        if before.0.iter().any(|b| b.route == r.route) {
            redundant.push(r);
        } else {
            single.push(r);
        }
    }
    (redundant, single)
}

impl World {
    /// A link test holds link `link`'s session down.
    pub(crate) fn link_test_holds(&self, link: usize) -> bool {
        self.link_failover
            .tests
            .iter()
            .any(|t| t.link == link && t.status == FailoverTestStatus::Running)
    }

    pub fn link_failover_tests(&self) -> &[LinkFailoverTest] {
        &self.link_failover.tests
    }

    /// What each MSEE holds from its CE: redundant (on both links) and
    /// non-redundant routes.
    fn link_routes(&self) -> (Vec<LinkFailoverRoute>, Vec<LinkFailoverRoute>) {
        // prefix -> per link (next hop, AS path)
        let mut seen: BTreeMap<String, [Option<(String, String)>; 2]> = BTreeMap::new();
        for link in 0..2 {
            for sid in self.sessions_on(|c| c == Carrier::ErLink(link)) {
                let Some(spec) = self.topo.sessions.get(sid) else {
                    continue;
                };
                let held = self.held_on(sid);
                for (k, end) in spec.ends.iter().enumerate() {
                    if !matches!(end.node, Node::Msee1 | Node::Msee2) {
                        continue;
                    }
                    let peer_addr = spec.ends[1 - k].addr.to_string();
                    for p in &held[k] {
                        let path = p
                            .as_path
                            .iter()
                            .map(u32::to_string)
                            .collect::<Vec<_>>()
                            .join(" ");
                        seen.entry(p.prefix.to_string()).or_default()[link] =
                            Some((peer_addr.clone(), path));
                    }
                }
            }
        }
        let mut redundant = Vec::new();
        let mut single = Vec::new();
        for (route, [primary, secondary]) in seen {
            let next_hop = primary
                .as_ref()
                .or(secondary.as_ref())
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            let both = primary.is_some() && secondary.is_some();
            let r = LinkFailoverRoute {
                route,
                next_hop,
                primary_as_path: primary.map(|(_, p)| p).unwrap_or_default(),
                secondary_as_path: secondary.map(|(_, p)| p).unwrap_or_default(),
            };
            if both {
                redundant.push(r);
            } else {
                single.push(r);
            }
        }
        (redundant, single)
    }

    /// `startCircuitLinkFailoverTest`: Microsoft drops BGP on the link.
    pub fn start_link_failover_test(
        &mut self,
        now: Duration,
        link_type: &str,
        category: &str,
    ) -> Result<String, ArmError> {
        self.tick(now);
        let link = link_of(link_type, category)?;
        if let Some(t) = self
            .link_failover
            .tests
            .iter()
            .find(|t| t.status == FailoverTestStatus::Running)
        {
            return Err(arm_error(
                409,
                "FailoverTestAlreadyRunning",
                format!(
                    "A link failover test ({}) is already running on the {} link; stop it first.",
                    t.guid, LINK_TYPES[t.link]
                ),
            ));
        }
        let before = self.link_routes();
        let serial = self.link_failover.tests.len() as u64 + 1;
        let guid = uuid_like(mix(self.seed ^ 0x11cf_a110 ^ serial.wrapping_mul(0x9e37)));
        let at = self.unix_at(self.t);
        self.link_failover.tests.push(LinkFailoverTest {
            guid: guid.clone(),
            link,
            status: FailoverTestStatus::Running,
            started: at,
            ended: None,
            was_simulation_successful: false,
            is_verified: false,
            before,
            during: None,
        });
        let timing = self.timing();
        for sid in self.sessions_on(|c| c == Carrier::ErLink(link)) {
            let epoch = self.bump(sid);
            if self.sessions[sid].established {
                // The MSEE forgets the session now; the CE holds on to
                // what it had until BFD or the hold timer says otherwise.
                let held = self.held_on(sid);
                self.sessions[sid].stale = Some(held);
                let detect = timing.detection(self.topo.sessions[sid].bfd);
                self.schedule(detect, epoch, Ev::Detect(sid));
            }
        }
        self.recompute(false);
        self.log(format!(
            "link failover test {guid} started: BGP disconnected on the {} link",
            LINK_TYPES[link]
        ));
        Ok(guid)
    }

    /// `stopCircuitLinkFailoverTest`.
    pub fn stop_link_failover_test(
        &mut self,
        now: Duration,
        params: &LinkFailoverStopParameters,
    ) -> Result<String, ArmError> {
        self.tick(now);
        let link = link_of(
            params.link_type.as_deref().unwrap_or_default(),
            params
                .circuit_test_category
                .as_deref()
                .unwrap_or("BgpDisconnect"),
        )?;
        let during = self.link_routes();
        let at = self.unix_at(self.t);
        let Some(test) = self
            .link_failover
            .tests
            .iter_mut()
            .rev()
            .find(|t| t.link == link && t.status == FailoverTestStatus::Running)
        else {
            return Err(arm_error(
                409,
                "FailoverTestNotRunning",
                format!(
                    "No link failover test is running on the {} link.",
                    LINK_TYPES[link]
                ),
            ));
        };
        test.status = FailoverTestStatus::Completed;
        test.ended = Some(at);
        test.was_simulation_successful = params.was_simulation_successful.unwrap_or(false);
        test.is_verified = params.is_verified.unwrap_or(false);
        test.during = Some(during);
        let guid = test.guid.clone();
        let establish = self.scenario.timing.establish;
        for sid in self.sessions_on(|c| c == Carrier::ErLink(link)) {
            let epoch = self.bump(sid);
            let ev = if self.sessions[sid].established {
                Ev::Reset(sid)
            } else {
                Ev::Up(sid)
            };
            self.schedule(establish, epoch, ev);
        }
        self.recompute(false);
        self.log(format!(
            "link failover test {guid} stopped: BGP comes back on the {} link",
            LINK_TYPES[link]
        ));
        Ok(guid)
    }

    /// `getCircuitLinkFailoverAllTestsDetails`.
    pub fn link_failover_all_tests(&self, fetch_latest: bool) -> Vec<LinkFailoverAllTestsDetails> {
        let tests = &self.link_failover.tests;
        let chosen: Vec<&LinkFailoverTest> = if fetch_latest {
            tests.last().into_iter().collect()
        } else {
            tests.iter().collect()
        };
        chosen
            .into_iter()
            .map(|t| LinkFailoverAllTestsDetails {
                test_guid: t.guid.clone(),
                test_type: "SingleSiteFailover".to_owned(),
                link_type: LINK_TYPES[t.link].to_owned(),
                circuit_test_category: "BgpDisconnect".to_owned(),
                status: t.status.as_str().to_owned(),
                start_time: utc(t.started),
                end_time: t.ended.map(utc).unwrap_or_default(),
                was_simulation_successful: t.was_simulation_successful,
                bgp_status: Vec::new(),
                issues: Vec::new(),
            })
            .collect()
    }

    /// `getCircuitLinkFailoverSingleTestDetails` of test `id`.
    pub fn link_failover_single_test(
        &self,
        link: usize,
        id: &str,
    ) -> Result<Vec<LinkFailoverSingleTestDetails>, ArmError> {
        let Some(t) = self
            .link_failover
            .tests
            .iter()
            .find(|t| t.link == link && t.guid.eq_ignore_ascii_case(id.trim()))
        else {
            return Err(arm_error(
                404,
                "NotFound",
                format!(
                    "No link failover test '{id}' on the {} link.",
                    LINK_TYPES[link]
                ),
            ));
        };
        let now = t.during.clone().unwrap_or_else(|| self.link_routes());
        let during = classified_as(&t.before, now);
        Ok(vec![LinkFailoverSingleTestDetails {
            link_type: LINK_TYPES[t.link].to_owned(),
            circuit_test_category: "BgpDisconnect".to_owned(),
            status: t.status.as_str().to_owned(),
            start_time_utc: utc(t.started),
            end_time_utc: t.ended.map(utc).unwrap_or_default(),
            was_simulation_successful: t.was_simulation_successful,
            is_simulation_verified: t.is_verified,
            redundant_routes: LinkFailoverRouteList {
                before_simulation: t.before.0.clone(),
                during_simulation: during.0,
            },
            non_redundant_routes: LinkFailoverRouteList {
                before_simulation: t.before.1.clone(),
                during_simulation: during.1,
            },
            bgp_status: Vec::new(),
        }])
    }
}
