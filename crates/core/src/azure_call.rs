//! What an ARM call is, as cutover records it and as an operator would
//! type it by hand. The clients fill these in; the journal, the console and
//! the report read them.
//!
//! [`PeeringTarget`] is the one place that spells the peering's ARM path,
//! its az CLI commands and its PowerShell commands: the call the client
//! sends, the commands a failed rollback prints and the runbook's rendering
//! of an action must not drift apart.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::inventory::Azure;
use crate::model::azure::PeeringState;

mod failover;
pub use failover::{FailoverTestKind, FailoverTestTarget, JournaledTest, TestCall};

/// The ARM api-version cutover is written against
/// (tests/fixtures/arm/NOTES.md); an inventory may name another.
pub const API_VERSION: &str = "2024-05-01";

/// What stands for the subscription in a call rendered before an inventory
/// names one.
pub const SUBSCRIPTION_PLACEHOLDER: &str = "{subscriptionId}";

/// Identifiers that tie a call to Azure's own logs (for the journal and for
/// a support case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestIds {
    /// `x-ms-client-request-id` we sent.
    pub client_request_id: Option<String>,
    /// `x-ms-request-id` Azure returned.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` Azure returned.
    pub correlation_id: Option<String>,
}

/// One HTTP exchange of an ARM operation, reported as it happens so the
/// journal records retries and throttling while they occur.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmAttempt {
    pub method: String,
    /// Path and query, without host (never carries a token).
    pub path: String,
    pub status: u16,
    /// The ARM error code, when the answer was an error.
    pub error_code: Option<String>,
    /// How long the client waits before the next attempt, when it retries.
    pub retry_after_ms: Option<u64>,
    pub ids: RequestIds,
    /// A write's request and answer in full (issue 13): what an Azure
    /// support case quotes. Absent on reads, and in journals from before
    /// it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write: Option<WriteRecord>,
}

/// What one write sent and what came back, beyond the status: the
/// conditional it went out under, the fields it changed, and the resource
/// as the answer left it. Never the body itself (nothing in it is needed
/// to quote the call, and a body can carry keys).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteRecord {
    /// The `If-Match` etag sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub if_match: Option<String>,
    /// The fields of the body that differ from the resource as read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// The etag the answer carried (the `ETag` header or the body's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// `properties.provisioningState` of the answer's body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisioning_state: Option<String>,
}

/// One field a write changes, by its JSON path in the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// `properties.state`.
    pub field: String,
    pub from: Option<String>,
    pub to: String,
}

/// The same change, typed by a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualCommands {
    pub az_cli: String,
    pub powershell: String,
}

/// The path segments of a `Microsoft.Network` resource. The client
/// percent-encodes each one; [`shown_path`] joins them for reading.
pub fn network_segments<'a>(
    subscription: &'a str,
    resource_group: &'a str,
    kind: &'a str,
    name: &'a str,
) -> [&'a str; 8] {
    [
        "subscriptions",
        subscription,
        "resourceGroups",
        resource_group,
        "providers",
        "Microsoft.Network",
        kind,
        name,
    ]
}

/// `segments` as the path after the host, with `extra_query` (pairs each
/// ending in `&`) before the api-version. Not percent-encoded: this is the
/// call as a person reads it, not the URL the client sends.
pub fn shown_path(segments: &[&str], extra_query: &str, api_version: &str) -> String {
    format!(
        "/{}?{extra_query}api-version={api_version}",
        segments.join("/")
    )
}

/// The ExpressRoute circuit peering cutover toggles, named once for every
/// form of a call to it.
///
/// Built from an inventory, it renders commands to paste: every name
/// quoted for its shell and the subscription named, so that a different
/// default context cannot redirect them. A [`PeeringTarget::sketch`] is a
/// runbook's view before an inventory is chosen: the subscription left as
/// [`SUBSCRIPTION_PLACEHOLDER`] and the names as the runbook writes them
/// (its validator admits only names a URL takes unquoted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeeringTarget {
    /// `None` in a sketch.
    subscription: Option<String>,
    resource_group: String,
    circuit: String,
    peering: String,
    api_version: String,
}

impl PeeringTarget {
    /// The inventory's peering, at the inventory's api-version.
    pub fn from_inventory(azure: &Azure) -> Self {
        Self {
            subscription: Some(azure.subscription.clone()),
            resource_group: azure.resource_group.clone(),
            circuit: azure.circuit.clone(),
            peering: azure.peering.clone(),
            api_version: azure.api_version.clone(),
        }
    }

    /// A runbook's peering, at [`API_VERSION`], with no subscription yet.
    pub fn sketch(resource_group: &str, circuit: &str, peering: &str) -> Self {
        Self {
            subscription: None,
            resource_group: resource_group.to_owned(),
            circuit: circuit.to_owned(),
            peering: peering.to_owned(),
            api_version: API_VERSION.to_owned(),
        }
    }

    fn subscription(&self) -> &str {
        self.subscription
            .as_deref()
            .unwrap_or(SUBSCRIPTION_PLACEHOLDER)
    }

    /// The circuit's path segments.
    pub fn circuit_segments(&self) -> [&str; 8] {
        network_segments(
            self.subscription(),
            &self.resource_group,
            "expressRouteCircuits",
            &self.circuit,
        )
    }

    /// The peering's path segments: the peering by name, never by its
    /// position in the circuit's list.
    pub fn segments(&self) -> [&str; 10] {
        let [a, b, c, d, e, f, g, h] = self.circuit_segments();
        [a, b, c, d, e, f, g, h, "peerings", &self.peering]
    }

    /// The peering's path and api-version, as a person reads it.
    pub fn path(&self) -> String {
        shown_path(&self.segments(), "", &self.api_version)
    }

    /// `az network express-route peering show`.
    pub fn az_show(&self) -> String {
        format!(
            "az network express-route peering show{} --resource-group {} --circuit-name {} --name {}",
            self.az_subscription(),
            self.sh(&self.resource_group),
            self.sh(&self.circuit),
            self.sh(&self.peering),
        )
    }

    /// `Get-AzExpressRouteCircuitPeeringConfig`.
    pub fn powershell_show(&self) -> String {
        format!(
            "{}Get-AzExpressRouteCircuitPeeringConfig -Name {} -ExpressRouteCircuit (Get-AzExpressRouteCircuit -Name {} -ResourceGroupName {})",
            self.ps_context(),
            self.ps(&self.peering),
            self.ps(&self.circuit),
            self.ps(&self.resource_group),
        )
    }

    /// The az CLI command that sets the peering to `state`.
    ///
    /// `az network express-route peering update` is a generic update (GET,
    /// edit, PUT of the peering) whose `--set` paths use the flattened
    /// names that `az ... peering show` prints, hence `state`, not
    /// `properties.state`.
    pub fn az_set_state(&self, state: &PeeringState) -> String {
        format!(
            "az network express-route peering update{} --resource-group {} --circuit-name {} --name {} --set state={}",
            self.az_subscription(),
            self.sh(&self.resource_group),
            self.sh(&self.circuit),
            self.sh(&self.peering),
            self.sh(state.as_str()),
        )
    }

    /// The PowerShell command that sets the peering to `state`.
    ///
    /// The article's form, with `Peerings[0]` replaced by a lookup by name
    /// (`Where-Object` compares case-insensitively, as ARM names do); it
    /// PUTs the whole circuit, as `Set-AzExpressRouteCircuit` always does.
    pub fn powershell_set_state(&self, state: &PeeringState) -> String {
        format!(
            "{}$ckt = Get-AzExpressRouteCircuit -Name {} -ResourceGroupName {}; \
             ($ckt.Peerings | Where-Object Name -eq {}).State = {}; \
             Set-AzExpressRouteCircuit -ExpressRouteCircuit $ckt",
            self.ps_context(),
            self.ps(&self.circuit),
            self.ps(&self.resource_group),
            ps_string(&self.peering),
            ps_string(state.as_str()),
        )
    }

    /// Both commands that set the peering to `state`: what the operator
    /// runs when the console cannot (rollback failed, tool crashed).
    pub fn manual_commands(&self, state: &PeeringState) -> ManualCommands {
        ManualCommands {
            az_cli: self.az_set_state(state),
            powershell: self.powershell_set_state(state),
        }
    }

    fn az_subscription(&self) -> String {
        match &self.subscription {
            Some(s) => format!(" --subscription {}", sh_word(s)),
            None => String::new(),
        }
    }

    fn ps_context(&self) -> String {
        match &self.subscription {
            Some(s) => format!("Set-AzContext -Subscription {} | Out-Null; ", ps_string(s)),
            None => String::new(),
        }
    }

    /// A shell word: quoted when pasted, as written in a sketch.
    fn sh<'a>(&self, word: &'a str) -> Cow<'a, str> {
        match self.subscription {
            Some(_) => Cow::Owned(sh_word(word)),
            None => Cow::Borrowed(word),
        }
    }

    /// A PowerShell argument: quoted when pasted, as written in a sketch.
    fn ps<'a>(&self, word: &'a str) -> Cow<'a, str> {
        match self.subscription {
            Some(_) => Cow::Owned(ps_string(word)),
            None => Cow::Borrowed(word),
        }
    }
}

/// A POSIX shell word: as is when it holds only characters no shell
/// treats specially, else single-quoted.
fn sh_word(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/@%+=,".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A PowerShell single-quoted string (no expansion; `'` doubled).
fn ps_string(word: &str) -> String {
    let escaped: String = word
        .chars()
        .flat_map(|c| match c {
            // PowerShell also ends a single-quoted string on the
            // typographic quotes.
            '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => vec![c, c],
            _ => vec![c],
        })
        .collect();
    format!("'{escaped}'")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::Credential;

    fn azure() -> Azure {
        Azure {
            endpoint: "https://management.azure.com".into(),
            subscription: "00000000-0000-0000-0000-000000000000".into(),
            resource_group: "SEA-Cust11".into(),
            circuit: "er-circuit-11".into(),
            peering: "AzurePrivatePeering".into(),
            gateway: "vpngw-hub-11".into(),
            connection: "cn-onprem-11".into(),
            credential: Credential::AzureCli,
            token_env: None,
            tenant_id: None,
            client_id: None,
            client_secret_env: None,
            api_version: API_VERSION.into(),
            request_timeout: None,
        }
    }

    #[test]
    fn an_attempt_keeps_its_write_record_and_old_ones_still_read() {
        let old = r#"{"method":"PUT","path":"/p","status":200,"error_code":null,"retry_after_ms":null,"ids":{"client_request_id":"c","request_id":"r","correlation_id":"k"}}"#;
        let a: ArmAttempt = serde_json::from_str(old).expect("a journal from before");
        assert_eq!(a.write, None);
        let full = ArmAttempt {
            write: Some(WriteRecord {
                if_match: Some("W/\"1\"".into()),
                changes: vec![FieldChange {
                    field: "properties.state".into(),
                    from: Some("Enabled".into()),
                    to: "Disabled".into(),
                }],
                etag: Some("W/\"2\"".into()),
                provisioning_state: Some("Updating".into()),
            }),
            ..a
        };
        let text = serde_json::to_string(&full).expect("json");
        assert!(text.contains(r#""if_match":"W/\"1\"""#), "{text}");
        assert_eq!(
            serde_json::from_str::<ArmAttempt>(&text).expect("back"),
            full
        );
        // A read carries no write record, and says nothing about one.
        let read = ArmAttempt {
            write: None,
            ..full
        };
        assert!(
            !serde_json::to_string(&read)
                .expect("json")
                .contains("write")
        );
    }

    #[test]
    fn disable_and_enable_by_name() {
        let t = PeeringTarget::from_inventory(&azure());
        let m = t.manual_commands(&PeeringState::Disabled);
        assert_eq!(
            m.az_cli,
            "az network express-route peering update --subscription \
             00000000-0000-0000-0000-000000000000 --resource-group SEA-Cust11 \
             --circuit-name er-circuit-11 --name AzurePrivatePeering --set state=Disabled"
        );
        assert_eq!(
            m.powershell,
            "Set-AzContext -Subscription '00000000-0000-0000-0000-000000000000' | Out-Null; \
             $ckt = Get-AzExpressRouteCircuit -Name 'er-circuit-11' -ResourceGroupName 'SEA-Cust11'; \
             ($ckt.Peerings | Where-Object Name -eq 'AzurePrivatePeering').State = 'Disabled'; \
             Set-AzExpressRouteCircuit -ExpressRouteCircuit $ckt"
        );
        assert!(!m.powershell.contains("Peerings["));
        let m = t.manual_commands(&PeeringState::Enabled);
        assert!(m.az_cli.ends_with("--set state=Enabled"));
        assert!(m.powershell.contains(".State = 'Enabled';"));
    }

    #[test]
    fn odd_names_are_quoted_not_interpreted() {
        let mut a = azure();
        a.resource_group = "rg $(reboot) 'x'".into();
        let m = PeeringTarget::from_inventory(&a).manual_commands(&PeeringState::Disabled);
        assert!(
            m.az_cli
                .contains(r"--resource-group 'rg $(reboot) '\''x'\'''"),
            "{}",
            m.az_cli
        );
        assert!(
            m.powershell
                .contains("-ResourceGroupName 'rg $(reboot) ''x'''"),
            "{}",
            m.powershell
        );
    }

    #[test]
    fn the_path_names_the_peering_at_the_inventory_api_version() {
        let mut a = azure();
        a.api_version = "2023-09-01".into();
        let t = PeeringTarget::from_inventory(&a);
        assert_eq!(
            t.path(),
            "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/SEA-Cust11\
             /providers/Microsoft.Network/expressRouteCircuits/er-circuit-11\
             /peerings/AzurePrivatePeering?api-version=2023-09-01"
        );
        assert_eq!(t.circuit_segments()[7], "er-circuit-11");
    }

    #[test]
    fn a_sketch_leaves_the_subscription_and_quotes_nothing() {
        let t = PeeringTarget::sketch("SEA-Cust11", "er-ckt", "AzurePrivatePeering");
        assert_eq!(
            t.path(),
            "/subscriptions/{subscriptionId}/resourceGroups/SEA-Cust11/providers/Microsoft.Network\
             /expressRouteCircuits/er-ckt/peerings/AzurePrivatePeering?api-version=2024-05-01"
        );
        assert_eq!(
            t.az_set_state(&PeeringState::Enabled),
            "az network express-route peering update --resource-group SEA-Cust11 \
             --circuit-name er-ckt --name AzurePrivatePeering --set state=Enabled"
        );
        assert_eq!(
            t.powershell_set_state(&PeeringState::Disabled),
            "$ckt = Get-AzExpressRouteCircuit -Name er-ckt -ResourceGroupName SEA-Cust11; \
             ($ckt.Peerings | Where-Object Name -eq 'AzurePrivatePeering').State = 'Disabled'; \
             Set-AzExpressRouteCircuit -ExpressRouteCircuit $ckt"
        );
    }
}
