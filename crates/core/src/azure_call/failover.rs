//! Azure's site failover simulation on a virtual network gateway
//! (`startSiteFailoverTest`, `getFailoverSingleTestDetails`,
//! `stopSiteFailoverTest`, api-version 2024-05-01 and later), named once for
//! the call the client sends, the runbook's rendering and the commands a
//! person pastes when the console cannot stop the test itself.
//!
//! The hand-run forms go through the REST call itself (`az rest`,
//! `Invoke-AzRestMethod`) so they cannot drift from what the client sends.

use super::{
    API_VERSION, ManualCommands, SUBSCRIPTION_PLACEHOLDER, network_segments, ps_string, sh_word,
    shown_path,
};
use crate::inventory::Azure;
use crate::model::azure::{FailoverConnectionDetails, FailoverStopParameters};

/// Where a manual command is sent when no inventory names an endpoint.
const PUBLIC_ARM: &str = "https://management.azure.com";

/// The gateway a failover test runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverTestTarget {
    /// `None` in a sketch (a runbook's view before an inventory).
    subscription: Option<String>,
    endpoint: String,
    resource_group: String,
    gateway: String,
    api_version: String,
}

impl FailoverTestTarget {
    /// `gateway` in the inventory's subscription and resource group.
    pub fn from_inventory(azure: &Azure, gateway: &str) -> Self {
        Self {
            subscription: Some(azure.subscription.clone()),
            endpoint: azure.endpoint.trim_end_matches('/').to_owned(),
            resource_group: azure.resource_group.clone(),
            gateway: gateway.to_owned(),
            api_version: azure.api_version.clone(),
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
        }
    }

    pub fn gateway(&self) -> &str {
        &self.gateway
    }

    /// The gateway's path segments.
    pub fn segments(&self) -> [&str; 8] {
        network_segments(
            self.subscription
                .as_deref()
                .unwrap_or(SUBSCRIPTION_PLACEHOLDER),
            &self.resource_group,
            "virtualNetworkGateways",
            &self.gateway,
        )
    }

    fn action_path(&self, action: &str, query: &str) -> String {
        let mut s = self.segments().to_vec();
        s.push(action);
        shown_path(&s, query, &self.api_version)
    }

    /// `POST .../startSiteFailoverTest?peeringLocation=...`.
    pub fn start_path(&self, peering_location: &str) -> String {
        self.action_path(
            "startSiteFailoverTest",
            &format!("peeringLocation={}&", query_word(peering_location)),
        )
    }

    /// `POST .../getFailoverSingleTestDetails?peeringLocation=...&failoverTestId=...`.
    pub fn details_path(&self, peering_location: &str, test_id: &str) -> String {
        self.action_path(
            "getFailoverSingleTestDetails",
            &format!(
                "peeringLocation={}&failoverTestId={}&",
                query_word(peering_location),
                query_word(test_id)
            ),
        )
    }

    /// `POST .../stopSiteFailoverTest` (the verdict is the body).
    pub fn stop_path(&self) -> String {
        self.action_path("stopSiteFailoverTest", "")
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
        let body = Self::stop_body(peering_location, successful, details);
        let json = serde_json::to_string(&body).unwrap_or_default();
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
