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

    /// `linkType=...&circuitTestCategory=...&` for a link test.
    fn link_query(link_type: &str, category: &str) -> String {
        format!(
            "linkType={}&circuitTestCategory={}&",
            query_word(link_type),
            query_word(category)
        )
    }

    fn action_path(&self, action: &str, query: &str) -> String {
        let mut s = self.segments().to_vec();
        s.push(action);
        shown_path(&s, query, &self.api_version)
    }

    /// `POST .../startSiteFailoverTest?peeringLocation=...`, or
    /// `.../startCircuitLinkFailoverTest?linkType=...&circuitTestCategory=...`
    /// (a link test is addressed by its link: `peering_location` is unused).
    pub fn start_path(&self, peering_location: &str) -> String {
        match &self.kind {
            FailoverTestKind::Site => self.action_path(
                "startSiteFailoverTest",
                &format!("peeringLocation={}&", query_word(peering_location)),
            ),
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => self.action_path(
                "startCircuitLinkFailoverTest",
                &Self::link_query(link_type, category),
            ),
        }
    }

    /// `POST .../getFailoverSingleTestDetails?peeringLocation=...&failoverTestId=...`,
    /// or `.../getCircuitLinkFailoverSingleTestDetails?linkType=...&circuitTestCategory=...&failoverTestId=...`.
    pub fn details_path(&self, peering_location: &str, test_id: &str) -> String {
        match &self.kind {
            FailoverTestKind::Site => self.action_path(
                "getFailoverSingleTestDetails",
                &format!(
                    "peeringLocation={}&failoverTestId={}&",
                    query_word(peering_location),
                    query_word(test_id)
                ),
            ),
            FailoverTestKind::CircuitLink {
                link_type,
                category,
            } => self.action_path(
                "getCircuitLinkFailoverSingleTestDetails",
                &format!(
                    "{}failoverTestId={}&",
                    Self::link_query(link_type, category),
                    query_word(test_id)
                ),
            ),
        }
    }

    /// `POST .../stopSiteFailoverTest` or `.../stopCircuitLinkFailoverTest`
    /// (the verdict is the body).
    pub fn stop_path(&self) -> String {
        match self.kind {
            FailoverTestKind::Site => self.action_path("stopSiteFailoverTest", ""),
            FailoverTestKind::CircuitLink { .. } => {
                self.action_path("stopCircuitLinkFailoverTest", "")
            }
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
mod tests {
    use super::*;

    #[test]
    fn the_three_calls_address_the_gateway_by_name() {
        let t = FailoverTestTarget::sketch("SEA-Cust11", "ergw");
        assert_eq!(
            t.start_path("Silicon Valley"),
            "/subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/virtualNetworkGateways/ergw/startSiteFailoverTest?peeringLocation=Silicon%20Valley&api-version=2024-05-01"
        );
        assert!(t.details_path("Seattle", "abc").ends_with(
            "/ergw/getFailoverSingleTestDetails?peeringLocation=Seattle&failoverTestId=abc&api-version=2024-05-01"
        ));
        assert!(
            t.stop_path()
                .ends_with("/ergw/stopSiteFailoverTest?api-version=2024-05-01")
        );
    }

    fn link() -> LinkTest {
        LinkTest {
            link_type: "Secondary".into(),
            category: "BgpDisconnect".into(),
            api_version: LinkTest::DEFAULT_API_VERSION.into(),
        }
    }

    #[test]
    fn the_link_test_addresses_the_circuit_by_link_at_its_own_api_version() {
        let t = FailoverTestTarget::link_sketch("SEA-Cust11", "er-sea", &link());
        assert_eq!(
            t.start_path("ignored"),
            "/subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network/expressRouteCircuits/er-sea/startCircuitLinkFailoverTest?linkType=Secondary&circuitTestCategory=BgpDisconnect&api-version=2025-07-01"
        );
        assert!(t.details_path("x", "abc").ends_with(
            "/er-sea/getCircuitLinkFailoverSingleTestDetails?linkType=Secondary&circuitTestCategory=BgpDisconnect&failoverTestId=abc&api-version=2025-07-01"
        ));
        assert!(
            t.stop_path()
                .ends_with("/er-sea/stopCircuitLinkFailoverTest?api-version=2025-07-01")
        );
    }

    #[test]
    fn the_link_tests_manual_stop_carries_link_category_and_verdict() {
        let t = FailoverTestTarget::link_sketch("rg", "er-sea", &link());
        let m = t.manual_stop("", false, &[]);
        for part in [
            "\"linkType\":\"Secondary\"",
            "\"circuitTestCategory\":\"BgpDisconnect\"",
            "\"wasSimulationSuccessful\":false",
            "\"isVerified\":false",
        ] {
            assert!(m.az_cli.contains(part), "{part}: {}", m.az_cli);
            assert!(m.powershell.contains(part), "{part}: {}", m.powershell);
        }
        assert!(
            m.az_cli
                .contains("/stopCircuitLinkFailoverTest?api-version=2025-07-01")
        );
        let ok = t.stop_json("", true, &[]);
        assert_eq!(ok["wasSimulationSuccessful"], true);
        assert_eq!(ok["isVerified"], true);
    }

    #[test]
    fn the_manual_stop_carries_the_verdict_and_each_connection() {
        let t = FailoverTestTarget::sketch("rg", "ergw");
        let d = [FailoverConnectionDetails {
            failover_connection_name: Some("conn1".into()),
            failover_location: Some("Denver".into()),
            is_verified: Some(false),
        }];
        let m = t.manual_stop("Seattle", false, &d);
        assert!(
            m.az_cli.starts_with("az rest --method post --url "),
            "{}",
            m.az_cli
        );
        assert!(
            m.az_cli.contains("\"wasSimulationSuccessful\":false"),
            "{}",
            m.az_cli
        );
        assert!(
            m.az_cli.contains("\"failoverConnectionName\":\"conn1\""),
            "{}",
            m.az_cli
        );
        assert!(
            m.powershell
                .starts_with("Invoke-AzRestMethod -Method POST -Path '/subscriptions/")
        );
        assert!(m.powershell.contains("\"peeringLocation\":\"Seattle\""));
    }
}
