//! The site failover simulation's wire types (`ExpressRouteFailover*` in
//! virtualNetworkGateway.json, api-version 2024-05-01 and later). Every
//! field is optional or defaults to empty: a test that has not produced
//! routes yet answers without them, and a read must not fail on that.

use serde::{Deserialize, Serialize};

/// One connection of the gateway, as the test reports it and as the stop
/// sends it back with the operator's verdict (`isVerified`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverConnectionDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_connection_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_location: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_verified: Option<bool>,
}

/// Routes that stay reachable through other peering locations.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverRedundantRoute {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_locations: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routes: Option<Vec<String>>,
}

/// True for a test status that says Azure still simulates the loss (or
/// is getting there or back), whichever the test.
pub fn is_running_status(status: Option<&str>) -> bool {
    matches!(status, Some("Starting" | "Running" | "Stopping"))
}

/// `getFailoverSingleTestDetails` answers a list of these.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverSingleTestDetails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peering_location: Option<String>,
    /// NotStarted, Starting, Running, StartFailed, Stopping, Completed,
    /// StopFailed, Invalid, Expired (open: kept as text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_time_utc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redundant_routes: Option<Vec<FailoverRedundantRoute>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_redundant_routes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub was_simulation_successful: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover_connection_details: Option<Vec<FailoverConnectionDetails>>,
}

impl FailoverSingleTestDetails {
    /// True while the gateway still simulates the loss (or is getting
    /// there or back): a stop is not done until this reads false.
    pub fn is_running(&self) -> bool {
        is_running_status(self.status.as_deref())
    }

    /// Every redundant route, flattened.
    pub fn redundant(&self) -> Vec<String> {
        self.redundant_routes
            .iter()
            .flatten()
            .flat_map(|r| r.routes.iter().flatten().cloned())
            .collect()
    }

    pub fn non_redundant(&self) -> Vec<String> {
        self.non_redundant_routes.clone().unwrap_or_default()
    }

    pub fn connections(&self) -> Vec<FailoverConnectionDetails> {
        self.failover_connection_details.clone().unwrap_or_default()
    }
}

/// The body of `stopSiteFailoverTest`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FailoverStopParameters {
    pub peering_location: String,
    pub was_simulation_successful: bool,
    #[serde(default)]
    pub details: Vec<FailoverConnectionDetails>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_running_test_reads_its_routes_and_connections() {
        let body = r#"[{"peeringLocation":"Seattle","status":"Running","startTimeUtc":"2026-12-07T07:00:00Z",
            "redundantRoutes":[{"peeringLocations":["Silicon Valley"],"routes":["10.17.11.0/25"]}],
            "nonRedundantRoutes":["10.17.11.128/26"],"wasSimulationSuccessful":false,
            "failoverConnectionDetails":[{"failoverConnectionName":"conn1","failoverLocation":"Seattle","isVerified":false}]}]"#;
        let d: Vec<FailoverSingleTestDetails> = serde_json::from_str(body).expect("parse");
        assert!(d[0].is_running());
        assert_eq!(d[0].redundant(), ["10.17.11.0/25"]);
        assert_eq!(d[0].non_redundant(), ["10.17.11.128/26"]);
        assert_eq!(
            d[0].connections()[0].failover_connection_name.as_deref(),
            Some("conn1")
        );
        let done: FailoverSingleTestDetails =
            serde_json::from_str(r#"{"status":"Completed"}"#).expect("parse");
        assert!(!done.is_running());
    }
}
