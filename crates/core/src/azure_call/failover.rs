//! Azure's failover tests, named once for the call the client sends, the
//! runbook's rendering and the commands a person pastes when the console
//! cannot stop the test itself: the site failover simulation on a virtual
//! network gateway (`startSiteFailoverTest`, `getFailoverSingleTestDetails`,
//! `stopSiteFailoverTest`, api-version 2024-05-01 and later) and the
//! circuit link failover test (`startCircuitLinkFailoverTest`,
//! `getCircuitLinkFailoverSingleTestDetails`, `stopCircuitLinkFailoverTest`,
//! api-version 2025-07-01 and later).
//!
//! The hand-run forms go through the REST call itself (`az rest`,
//! `Invoke-AzRestMethod`) so they cannot drift from what the client sends.

use super::{
    API_VERSION, ManualCommands, SUBSCRIPTION_PLACEHOLDER, network_segments, ps_string, sh_word,
    shown_path,
};
use crate::inventory::Azure;
use crate::model::azure::{FailoverConnectionDetails, FailoverStopParameters};
use crate::runbook::LinkTest;

/// Where a manual command is sent when no inventory names an endpoint.
const PUBLIC_ARM: &str = "https://management.azure.com";

/// What follows the resource in a journaled link test's target.
const LINK_MARK: &str = "link ";

/// One call of a test: the action after the resource's path and its
/// query (before `api-version`). The client sends it and the manual
/// commands show it, from this one description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCall {
    pub action: &'static str,
    pub query: Vec<(&'static str, String)>,
}

/// A test as its console journaled it ([`FailoverTestTarget::journaled`]):
/// what the detached guard needs to stop it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournaledTest {
    /// The gateway (site test) or the circuit (link test), by name.
    pub resource: String,
    /// The site test's peering location (empty for a link test).
    pub location: String,
    /// The link test's parameters (`None` for a site test).
    pub link: Option<LinkTest>,
}

impl JournaledTest {
    /// Reads `target` back; `None` when it is neither form.
    pub fn parse(target: &str) -> Option<Self> {
        let name = |at: &str| at.rsplit('/').next().unwrap_or(at).to_string();
        // A site test's location may hold any word; a link test's target
        // has no ` at `.
        if let Some((at, location)) = target.split_once(" at ") {
            return Some(Self {
                resource: name(at),
                location: location.to_owned(),
                link: None,
            });
        }
        let (at, rest) = target.split_once(&format!(" {LINK_MARK}"))?;
        let mut w = rest.split_whitespace();
        let (Some(link_type), Some(category), Some("api-version"), Some(v), None) =
            (w.next(), w.next(), w.next(), w.next(), w.next())
        else {
            return None;
        };
        Some(Self {
            resource: name(at),
            location: String::new(),
            link: Some(LinkTest {
                link_type: link_type.to_owned(),
                category: category.to_owned(),
                api_version: v.to_owned(),
            }),
        })
    }
}

/// Which of Azure's failover tests, and what addresses it besides the
/// resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailoverTestKind {
    /// The site failover simulation on a virtual network gateway, at the
    /// circuit's peering location.
    Site,
    /// The link failover test on a circuit: one link, one category.
    CircuitLink { link_type: String, category: String },
}

/// The resource a failover test runs on: a gateway (site test) or a
/// circuit (link test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverTestTarget {
    /// `None` in a sketch (a runbook's view before an inventory).
    subscription: Option<String>,
    endpoint: String,
    resource_group: String,
    /// The gateway's name (site test) or the circuit's (link test).
    gateway: String,
    api_version: String,
    kind: FailoverTestKind,
}

impl FailoverTestTarget {
    /// The link test on `circuit` in the inventory's subscription and
    /// resource group, at the action's api-version (the test is newer than
    /// the inventory's usual one).
    pub fn link_from_inventory(azure: &Azure, circuit: &str, link: &LinkTest) -> Self {
        Self {
            api_version: link.api_version.clone(),
            kind: Self::link_kind(link),
            ..Self::from_inventory(azure, circuit)
        }
    }

    /// A runbook's link test, with no subscription yet.
    pub fn link_sketch(resource_group: &str, circuit: &str, link: &LinkTest) -> Self {
        Self {
            api_version: link.api_version.clone(),
            kind: Self::link_kind(link),
            ..Self::sketch(resource_group, circuit)
        }
    }

    fn link_kind(link: &LinkTest) -> FailoverTestKind {
        FailoverTestKind::CircuitLink {
            link_type: link.link_type.clone(),
            category: link.category.clone(),
        }
    }

    pub fn kind(&self) -> &FailoverTestKind {
        &self.kind
    }

    /// `gateway` in the inventory's subscription and resource group.
    pub fn from_inventory(azure: &Azure, gateway: &str) -> Self {
        Self {
            subscription: Some(azure.subscription.clone()),
            endpoint: azure.endpoint.trim_end_matches('/').to_owned(),
            resource_group: azure.resource_group.clone(),
            gateway: gateway.to_owned(),
            api_version: azure.api_version.clone(),
            kind: FailoverTestKind::Site,
        }
    }

    /// A runbook's gateway, at [`API_VERSION`], with no subscription yet.
    pub fn sketch(resource_group: &str, gateway: &str) -> Self {
        Self {
            subscription: None,
            endpoint: PUBLIC_ARM.to_owned(),
            resource_group: resource_group.to_owned(),
            gateway: gateway.to_owned(),
            api_version: API_VERSION.to_owned(),
            kind: FailoverTestKind::Site,
        }
    }

    /// The tested resource's name: the gateway, or the circuit for a
    /// link test.
    pub fn gateway(&self) -> &str {
        &self.gateway
    }

    /// The tested resource's path segments.
    pub fn segments(&self) -> [&str; 8] {
        let kind = match self.kind {
            FailoverTestKind::Site => "virtualNetworkGateways",
            FailoverTestKind::CircuitLink { .. } => "expressRouteCircuits",
        };
        network_segments(
            self.subscription
                .as_deref()
                .unwrap_or(SUBSCRIPTION_PLACEHOLDER),
            &self.resource_group,
            kind,
            &self.gateway,
        )
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    /// The link and category of a link test (`None` for a site test).
    pub fn link(&self) -> Option<(&str, &str)> {
        match &self.kind {
            FailoverTestKind::Site => None,
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => Some((link_type, category)),
        }
    }

    /// `linkType`, `circuitTestCategory` for a link test.
    fn link_query(link_type: &str, category: &str) -> Vec<(&'static str, String)> {
        vec![
            ("linkType", link_type.to_owned()),
            ("circuitTestCategory", category.to_owned()),
        ]
    }

    /// `startSiteFailoverTest?peeringLocation=...`, or
    /// `startCircuitLinkFailoverTest?linkType=...&circuitTestCategory=...`
    /// (a link test is addressed by its link: `peering_location` is unused).
    pub fn start_call(&self, peering_location: &str) -> TestCall {
        match &self.kind {
            FailoverTestKind::Site => TestCall {
                action: "startSiteFailoverTest",
                query: vec![("peeringLocation", peering_location.to_owned())],
            },
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => TestCall {
                action: "startCircuitLinkFailoverTest",
                query: Self::link_query(link_type, category),
            },
        }
    }

    /// `getFailoverSingleTestDetails?peeringLocation=...&failoverTestId=...`,
    /// or `getCircuitLinkFailoverSingleTestDetails?linkType=...&circuitTestCategory=...&failoverTestId=...`.
    pub fn details_call(&self, peering_location: &str, test_id: &str) -> TestCall {
        let (action, mut query) = match &self.kind {
            FailoverTestKind::Site => (
                "getFailoverSingleTestDetails",
                vec![("peeringLocation", peering_location.to_owned())],
            ),
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => (
                "getCircuitLinkFailoverSingleTestDetails",
                Self::link_query(link_type, category),
            ),
        };
        query.push(("failoverTestId", test_id.to_owned()));
        TestCall { action, query }
    }

    /// `stopSiteFailoverTest` or `stopCircuitLinkFailoverTest` (the
    /// verdict is the body).
    pub fn stop_call(&self) -> TestCall {
        let action = match self.kind {
            FailoverTestKind::Site => "stopSiteFailoverTest",
            FailoverTestKind::CircuitLink { .. } => "stopCircuitLinkFailoverTest",
        };
        TestCall {
            action,
            query: Vec::new(),
        }
    }

    /// The latest test on the resource (`getFailoverAllTestsDetails` or
    /// `getCircuitLinkFailoverAllTestsDetails`, `fetchLatest=true`): how a
    /// test whose start answer was lost is found again.
    pub fn latest_call(&self) -> TestCall {
        let (action, mut query) = match self.kind {
            FailoverTestKind::Site => (
                "getFailoverAllTestsDetails",
                vec![("type", "SingleSiteFailover".to_owned())],
            ),
            FailoverTestKind::CircuitLink { .. } => {
                ("getCircuitLinkFailoverAllTestsDetails", Vec::new())
            }
        };
        query.push(("fetchLatest", "true".to_owned()));
        TestCall { action, query }
    }

    /// `call` as a person reads it.
    fn shown(&self, call: &TestCall) -> String {
        let mut s = self.segments().to_vec();
        s.push(call.action);
        let query: String = call
            .query
            .iter()
            .map(|(k, v)| format!("{k}={}&", query_word(v)))
            .collect();
        shown_path(&s, &query, &self.api_version)
    }

    /// The start as a person reads it (see [`Self::start_call`]).
    pub fn start_path(&self, peering_location: &str) -> String {
        self.shown(&self.start_call(peering_location))
    }

    /// The details read as a person reads it (see [`Self::details_call`]).
    pub fn details_path(&self, peering_location: &str, test_id: &str) -> String {
        self.shown(&self.details_call(peering_location, test_id))
    }

    /// The stop as a person reads it (see [`Self::stop_call`]).
    pub fn stop_path(&self) -> String {
        self.shown(&self.stop_call())
    }

    /// What `action_started` journals as the test's target, and what the
    /// detached guard reads back ([`JournaledTest::parse`]) to stop it:
    /// `RG/GATEWAY at LOCATION`, or
    /// `RG/CIRCUIT link LINK CATEGORY api-version VERSION`.
    pub fn journaled(&self, peering_location: &str) -> String {
        let at = self.resource();
        match &self.kind {
            FailoverTestKind::Site => format!("{at} at {peering_location}"),
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => format!(
                "{at} {LINK_MARK}{link_type} {category} api-version {}",
                self.api_version
            ),
        }
    }

    /// `RG/NAME` of the tested resource.
    pub fn resource(&self) -> String {
        format!("{}/{}", self.resource_group, self.gateway)
    }

    /// Where the test runs, for a person: `at LOCATION on RG/GATEWAY` or
    /// `on the LINK link of RG/CIRCUIT (CATEGORY)`.
    pub fn place(&self, peering_location: &str) -> String {
        let at = self.resource();
        match &self.kind {
            FailoverTestKind::Site => format!("at {peering_location} on {at}"),
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => format!("on the {link_type} link of {at} ({category})"),
        }
    }

    /// The stop's body as sent, for either kind: the site test's
    /// [`FailoverStopParameters`], or the link test's
    /// `{linkType, circuitTestCategory, wasSimulationSuccessful, isVerified}`
    /// where `isVerified` is every connection's (the link test has none
    /// to name, so it is the verdict).
    pub fn stop_json(
        &self,
        peering_location: &str,
        successful: bool,
        details: &[FailoverConnectionDetails],
    ) -> serde_json::Value {
        match &self.kind {
            FailoverTestKind::Site => {
                serde_json::to_value(Self::stop_body(peering_location, successful, details))
                    .unwrap_or_default()
            }
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => serde_json::json!({
                "linkType": link_type,
                "circuitTestCategory": category,
                "wasSimulationSuccessful": successful,
                "isVerified": successful && details.iter().all(|d| d.is_verified != Some(false)),
            }),
        }
    }

    /// The stop's body: the verdict, and each connection's.
    pub fn stop_body(
        peering_location: &str,
        successful: bool,
        details: &[FailoverConnectionDetails],
    ) -> FailoverStopParameters {
        FailoverStopParameters {
            peering_location: peering_location.to_owned(),
            was_simulation_successful: successful,
            details: details.to_vec(),
        }
    }

    fn az_post(&self, path: &str, body: Option<&str>) -> String {
        let mut c = format!(
            "az rest --method post --url {}",
            sh_word(&format!("{}{path}", self.endpoint))
        );
        if let Some(b) = body {
            c.push_str(" --body ");
            c.push_str(&sh_word(b));
        }
        c
    }

    fn ps_post(&self, path: &str, body: Option<&str>) -> String {
        let mut c = format!("Invoke-AzRestMethod -Method POST -Path {}", ps_string(path));
        if let Some(b) = body {
            c.push_str(" -Payload ");
            c.push_str(&ps_string(b));
        }
        c
    }

    /// Starting the test by hand.
    pub fn manual_start(&self, peering_location: &str) -> ManualCommands {
        let p = self.start_path(peering_location);
        ManualCommands {
            az_cli: self.az_post(&p, None),
            powershell: self.ps_post(&p, None),
        }
    }

    /// Stopping the test by hand with `successful` as the verdict: what the
    /// operator runs when the console cannot stop it.
    pub fn manual_stop(
        &self,
        peering_location: &str,
        successful: bool,
        details: &[FailoverConnectionDetails],
    ) -> ManualCommands {
        let json = self
            .stop_json(peering_location, successful, details)
            .to_string();
        let p = self.stop_path();
        ManualCommands {
            az_cli: self.az_post(&p, Some(&json)),
            powershell: self.ps_post(&p, Some(&json)),
        }
    }

    /// Reading the test's details by hand.
    pub fn manual_details(&self, peering_location: &str, test_id: &str) -> ManualCommands {
        let p = self.details_path(peering_location, test_id);
        ManualCommands {
            az_cli: self.az_post(&p, None),
            powershell: self.ps_post(&p, None),
        }
    }
}

/// A query value as a person reads it: spaces (peering locations such as
/// `Silicon Valley`) percent-encoded, nothing else touched.
fn query_word(v: &str) -> String {
    v.replace('%', "%25")
        .replace(' ', "%20")
        .replace('&', "%26")
}

#[cfg(test)]
mod tests;
