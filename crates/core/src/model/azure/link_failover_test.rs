//! The circuit link failover test's wire types (`ExpressRouteLinkFailover*`
//! in expressRouteCircuit.json, api-version 2025-07-01 and later), and
//! [`FailoverTestDetails`]: one reading of either test, so the guard
//! polls, stops and reports both the same way. Every field is optional or
//! defaults to empty, as the site test's are.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::failover_test::{
    FailoverConnectionDetails, FailoverSingleTestDetails, is_running_status,
};

/// One route of a link test's lists (`ExpressRouteLinkFailoverRoute`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverRoute {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_hop: Option<String>,
    #[serde(
        default,
        rename = "primaryASPath",
        skip_serializing_if = "Option::is_none"
    )]
    pub primary_as_path: Option<String>,
    #[serde(
        default,
        rename = "secondaryASPath",
        skip_serializing_if = "Option::is_none"
    )]
    pub secondary_as_path: Option<String>,
}

/// `ExpressRouteLinkFailoverRouteList`: a list as it was before the
/// simulation and as it is during it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverRouteList {
    #[serde(default)]
    pub before_simulation: Vec<LinkFailoverRoute>,
    #[serde(default)]
    pub during_simulation: Vec<LinkFailoverRoute>,
}

impl LinkFailoverRouteList {
    /// The prefixes of the list as the test classified them, before the
    /// simulation (during it, the same routes are listed with the paths
    /// that remain).
    fn routes(&self) -> Vec<String> {
        self.before_simulation
            .iter()
            .filter_map(|r| r.route.clone())
            .collect()
    }
}

/// `getCircuitLinkFailoverSingleTestDetails` answers a list of these.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkFailoverSingleTestDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub circuit_test_category: Option<String>,
    /// The same statuses as the site test's (open: kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was_simulation_successful: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_simulation_verified: Option<bool>,
    /// Routes the circuit learns on both links.
    #[serde(default)]
    pub redundant_routes: LinkFailoverRouteList,
    /// Routes it learns on one link only: a link loss can take them off
    /// ExpressRoute, onto the VPN.
    #[serde(default)]
    pub non_redundant_routes: LinkFailoverRouteList,
}

/// One item of either test's "all tests" list
/// (`ExpressRouteFailoverTestDetails`,
/// `ExpressRouteLinkFailoverAllTestsDetails`), as far as finding a test
/// goes: its id, its status, and where it ran.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverTestSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_guid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The site test's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_location: Option<String>,
    /// The link test's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_type: Option<String>,
    /// When it started (the spec's `startTime`; RFC 3339, UTC).
    #[serde(
        default,
        alias = "startTimeUtc",
        skip_serializing_if = "Option::is_none"
    )]
    pub start_time: Option<String>,
}

impl FailoverTestSummary {
    /// Whether this is a test at `peering_location` (site) or on
    /// `link_type` (link), with an id.
    pub fn is_of(&self, peering_location: &str, link_type: Option<&str>) -> bool {
        let at = match (link_type, self.link_type.as_deref()) {
            (Some(want), Some(got)) => got.eq_ignore_ascii_case(want),
            (Some(_), None) => false,
            (None, _) => self.peering_location.as_deref() == Some(peering_location),
        };
        at && self.test_guid.as_deref().is_some_and(|g| !g.is_empty())
    }

    /// When it started, if Azure said so in a form read here (RFC 3339;
    /// without an offset it is taken as UTC, as Azure's times are).
    pub fn started(&self) -> Option<OffsetDateTime> {
        let t = self.start_time.as_deref()?.trim();
        OffsetDateTime::parse(t, &Rfc3339)
            .or_else(|_| OffsetDateTime::parse(&format!("{t}Z"), &Rfc3339))
            .ok()
    }

    /// The test an action started at `since` began, out of `all`: the
    /// newest (by its start time) at `peering_location` or on `link_type`
    /// that started at or after `since`, less [`CLOCK_SKEW`]. Azure's
    /// order is not relied on; a test whose start cannot be read is not
    /// taken, as an older test stopped or watched by mistake would leave
    /// this one running.
    pub fn latest_since<'a>(
        all: &'a [FailoverTestSummary],
        peering_location: &str,
        link_type: Option<&str>,
        since: OffsetDateTime,
    ) -> Option<&'a FailoverTestSummary> {
        let from = since - CLOCK_SKEW;
        all.iter()
            .filter(|s| s.is_of(peering_location, link_type))
            .filter_map(|s| s.started().map(|at| (at, s)))
            .filter(|(at, _)| *at >= from)
            .max_by_key(|(at, _)| *at)
            .map(|(_, s)| s)
    }

    /// When no test at the place has a start time read here (Azure's
    /// time format is not in its examples): the first it lists, as asked
    /// with `fetchLatest=true`, rather than none, so that a test whose
    /// start answer was lost is still watched until it ends.
    pub fn latest_unread<'a>(
        all: &'a [FailoverTestSummary],
        peering_location: &str,
        link_type: Option<&str>,
    ) -> Option<&'a FailoverTestSummary> {
        let mut here = all.iter().filter(|s| s.is_of(peering_location, link_type));
        if here.clone().any(|s| s.started().is_some()) {
            return None;
        }
        here.next()
    }
}

/// How far Azure's clock (and its whole-second start times) may trail
/// this machine's when a test is matched to the start that began it.
pub const CLOCK_SKEW: time::Duration = time::Duration::seconds(30);

/// One reading of a failover test's details, whichever the test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailoverTestDetails {
    Site(FailoverSingleTestDetails),
    Link(LinkFailoverSingleTestDetails),
}

impl FailoverTestDetails {
    pub fn status(&self) -> Option<&str> {
        match self {
            Self::Site(d) => d.status.as_deref(),
            Self::Link(d) => d.status.as_deref(),
        }
    }

    /// True while Azure still simulates the loss (or is getting there or
    /// back): a stop is not done until this reads false.
    pub fn is_running(&self) -> bool {
        is_running_status(self.status())
    }

    pub fn was_simulation_successful(&self) -> Option<bool> {
        match self {
            Self::Site(d) => d.was_simulation_successful,
            Self::Link(d) => d.was_simulation_successful,
        }
    }

    /// Prefixes that survive the loss on another path of the circuit.
    pub fn redundant(&self) -> Vec<String> {
        match self {
            Self::Site(d) => d.redundant(),
            Self::Link(d) => d.redundant_routes.routes(),
        }
    }

    /// Prefixes the loss takes off ExpressRoute: the ones that need the VPN.
    pub fn non_redundant(&self) -> Vec<String> {
        match self {
            Self::Site(d) => d.non_redundant(),
            Self::Link(d) => d.non_redundant_routes.routes(),
        }
    }

    /// The connections a site test covers (a link test has none).
    pub fn connections(&self) -> Vec<FailoverConnectionDetails> {
        match self {
            Self::Site(d) => d.connections(),
            Self::Link(_) => Vec::new(),
        }
    }

    /// Whether this reading is the one of the test at `peering_location`
    /// (site) or on `link_type` (link); a reading that does not say is.
    pub fn is_of(&self, peering_location: &str, link_type: Option<&str>) -> bool {
        match self {
            Self::Site(d) => d
                .peering_location
                .as_deref()
                .is_none_or(|l| l == peering_location),
            Self::Link(d) => match (d.link_type.as_deref(), link_type) {
                (Some(got), Some(want)) => got.eq_ignore_ascii_case(want),
                _ => true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape of the spec's example (ExpressRouteCircuitGetCircuitLinkFailoverSingleTestDetails).
    #[test]
    fn a_link_reading_lists_its_routes_as_the_test_classified_them() {
        let body = r#"[{"startTimeUtc":"2025-01-01T00:00:00Z","endTimeUtc":"","status":"Running",
            "wasSimulationSuccessful":false,"linkType":"Primary","circuitTestCategory":"BgpDisconnect",
            "isSimulationVerified":false,
            "redundantRoutes":{"beforeSimulation":[{"route":"10.0.0.0/24","nextHop":"10.0.0.1","primaryASPath":"65000 65001","secondaryASPath":"65000 65002"}],
                               "duringSimulation":[{"route":"10.0.0.0/24","nextHop":"10.0.0.2","primaryASPath":"","secondaryASPath":"65000 65002"}]},
            "nonRedundantRoutes":{"beforeSimulation":[{"route":"10.9.0.0/24","nextHop":"10.0.0.1","primaryASPath":"65000","secondaryASPath":""}],"duringSimulation":[]},
            "bgpStatus":[]}]"#;
        let d: Vec<LinkFailoverSingleTestDetails> = serde_json::from_str(body).expect("parse");
        let r = FailoverTestDetails::Link(d[0].clone());
        assert!(r.is_running());
        assert_eq!(r.redundant(), ["10.0.0.0/24"]);
        assert_eq!(r.non_redundant(), ["10.9.0.0/24"]);
        assert!(r.connections().is_empty());
        assert!(r.is_of("", Some("primary")));
        assert!(!r.is_of("", Some("Secondary")));
        let done: LinkFailoverSingleTestDetails =
            serde_json::from_str(r#"{"status":"Completed"}"#).expect("parse");
        assert!(!FailoverTestDetails::Link(done).is_running());
        let all: Vec<FailoverTestSummary> = serde_json::from_str(
            r#"[{"testGuid":"g1","testType":"SingleSiteFailover","linkType":"Primary","status":"Running"},
                {"testGuid":"g2","peeringLocation":"Seattle","status":"Completed"}]"#,
        )
        .expect("parse");
        assert!(all[0].is_of("", Some("primary")) && !all[0].is_of("", Some("Secondary")));
        assert!(all[1].is_of("Seattle", None) && !all[1].is_of("Seattle", Some("Primary")));
        assert!(!all[0].is_of("Seattle", None));
    }

    #[test]
    fn the_latest_test_is_the_newest_started_since_the_action_whatever_the_order() {
        let all: Vec<FailoverTestSummary> = serde_json::from_str(
            r#"[{"testGuid":"new","linkType":"Primary","status":"Running","startTime":"2026-03-01T10:00:05Z"},
                {"testGuid":"old","linkType":"Primary","status":"Completed","startTime":"2026-03-01T09:00:00Z"},
                {"testGuid":"other","linkType":"Secondary","status":"Running","startTime":"2026-03-01T10:00:09Z"},
                {"testGuid":"undated","linkType":"Primary","status":"Running"},
                {"testGuid":"utc","linkType":"Primary","status":"Running","startTimeUtc":"2026-03-01T10:00:01.5"}]"#,
        )
        .expect("parse");
        let at = |s: &str| OffsetDateTime::parse(s, &Rfc3339).expect("time");
        let pick = |since: &str| {
            FailoverTestSummary::latest_since(&all, "", Some("Primary"), at(since))
                .and_then(|s| s.test_guid.as_deref())
        };
        // Newest first or last: the newest wins, never the oldest.
        assert_eq!(pick("2026-03-01T10:00:00.400Z"), Some("new"));
        let mut reversed = all.clone();
        reversed.reverse();
        assert_eq!(
            FailoverTestSummary::latest_since(
                &reversed,
                "",
                Some("Primary"),
                at("2026-03-01T10:00:00Z")
            )
            .and_then(|s| s.test_guid.as_deref()),
            Some("new")
        );
        // Whole seconds and a clock a little ahead still match; a test
        // from before the action does not.
        assert_eq!(pick("2026-03-01T10:00:20Z"), Some("new"));
        assert_eq!(pick("2026-03-01T10:01:00Z"), None);
        assert_eq!(all[4].started(), Some(at("2026-03-01T10:00:01.5Z")));
        // Some test at the place has a readable time: no guessing.
        assert!(FailoverTestSummary::latest_unread(&all, "", Some("Primary")).is_none());
    }

    #[test]
    fn with_no_start_time_read_here_the_first_listed_is_the_latest() {
        let all: Vec<FailoverTestSummary> = serde_json::from_str(
            r#"[{"testGuid":"b","linkType":"Secondary","status":"Running","startTime":"2026-03-01T10:00:05Z"},
                {"testGuid":"a","linkType":"Primary","status":"Running","startTime":"3/1/2026 10:00:05 AM"},
                {"testGuid":"z","linkType":"Primary","status":"Completed"}]"#,
        )
        .expect("parse");
        assert_eq!(
            FailoverTestSummary::latest_unread(&all, "", Some("Primary"))
                .and_then(|s| s.test_guid.as_deref()),
            Some("a")
        );
    }
}
