//! Azure's failover test as the session sees it: what the gateway's
//! details said last (journaled as `failover_test_status` after the start,
//! at each poll and after the stop). The console's banner and routes pane,
//! the headless line and the report all read this one view.

use serde::{Deserialize, Serialize};

/// One reading of the test's details.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FailoverTestView {
    /// `resource group/gateway`, or `resource group/circuit` for a link
    /// test.
    pub gateway: String,
    /// The site test's (empty for a link test).
    pub peering_location: String,
    /// The link a circuit link test disconnects (`Primary`, `Secondary`);
    /// `None` for a site test.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_id: Option<String>,
    /// Azure's status text (`Running`, `Completed`, ...).
    pub status: String,
    /// Prefixes still reachable through another peering location (or,
    /// for a link test, learned on both links).
    #[serde(default)]
    pub redundant: Vec<String>,
    /// Prefixes reachable only through this location (or only on one
    /// link): exactly the ones that need the VPN while it is down.
    #[serde(default)]
    pub non_redundant: Vec<String>,
    /// The connections the test covers (their names).
    #[serde(default)]
    pub connections: Vec<String>,
    /// The verdict the stop carried, once stopped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successful: Option<bool>,
}

impl FailoverTestView {
    /// One line for a person: the status, where, and the routes.
    pub fn summary(&self) -> String {
        let mut s = match &self.link {
            None => format!(
                "failover test {} at {} on {}",
                self.status, self.peering_location, self.gateway
            ),
            Some(link) => format!(
                "link failover test {} on the {link} link of {}",
                self.status, self.gateway
            ),
        };
        s.push_str(&format!(
            ": {} redundant, {} non-redundant route(s)",
            self.redundant.len(),
            self.non_redundant.len()
        ));
        if !self.non_redundant.is_empty() {
            s.push_str(&format!(
                " (need the VPN: {})",
                self.non_redundant.join(", ")
            ));
        }
        match self.successful {
            Some(true) => s.push_str("; stopped as successful"),
            Some(false) => s.push_str("; stopped as NOT successful"),
            None => {}
        }
        s
    }

    /// The status and the routes, for a pane's one line.
    pub fn brief(&self) -> String {
        let list = |v: &[String]| {
            if v.is_empty() {
                "none".to_string()
            } else {
                v.join(", ")
            }
        };
        let what = match &self.link {
            None => format!(
                "Azure failover test {} at {}",
                self.status, self.peering_location
            ),
            Some(link) => format!(
                "Azure link failover test {} on the {link} link",
                self.status
            ),
        };
        format!(
            "{what} · non-redundant (need the VPN): {} · redundant: {}",
            list(&self.non_redundant),
            list(&self.redundant)
        )
    }

    /// True while Azure still simulates the loss.
    pub fn is_running(&self) -> bool {
        crate::model::azure::is_running_status(Some(&self.status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_the_routes_that_need_the_vpn() {
        let v = FailoverTestView {
            gateway: "rg/ergw".into(),
            peering_location: "Seattle".into(),
            link: None,
            test_id: Some("t1".into()),
            status: "Running".into(),
            redundant: vec!["10.17.11.0/25".into()],
            non_redundant: vec!["10.17.11.128/26".into()],
            connections: vec!["conn1".into()],
            successful: None,
        };
        assert!(v.is_running());
        assert_eq!(
            v.summary(),
            "failover test Running at Seattle on rg/ergw: 1 redundant, 1 non-redundant route(s) (need the VPN: 10.17.11.128/26)"
        );
        let done = FailoverTestView {
            status: "Completed".into(),
            successful: Some(true),
            ..v
        };
        assert!(!done.is_running());
        assert!(done.summary().ends_with("; stopped as successful"));
        assert_eq!(
            done.brief(),
            "Azure failover test Completed at Seattle · non-redundant (need the VPN): 10.17.11.128/26 · redundant: 10.17.11.0/25"
        );
        let link = FailoverTestView {
            gateway: "rg/er".into(),
            peering_location: String::new(),
            link: Some("Secondary".into()),
            status: "Running".into(),
            successful: None,
            connections: Vec::new(),
            ..done
        };
        assert_eq!(
            link.summary(),
            "link failover test Running on the Secondary link of rg/er: 1 redundant, 1 non-redundant route(s) (need the VPN: 10.17.11.128/26)"
        );
        assert_eq!(
            link.brief(),
            "Azure link failover test Running on the Secondary link · non-redundant (need the VPN): 10.17.11.128/26 · redundant: 10.17.11.0/25"
        );
    }
}
