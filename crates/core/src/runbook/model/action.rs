//! Steps that change the world and what guards them: the gate before, the
//! deadline and rollback during, the verifications after.

use std::fmt;

use serde::Serialize;

use super::{Expect, Probe};
use crate::runbook::duration::Duration;
use crate::runbook::query::PeeringRef;

/// Stop until the operator types `confirm_text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gate {
    pub prompt: String,
    pub confirm_text: String,
    pub require: Option<GateRequire>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GateRequire {
    /// Every check step before the gate passed, or its failure was
    /// overridden with a typed (journaled) reason.
    Prechecks,
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionStep {
    pub action: Action,
    /// Proof that the change had the intended effect; a failure (or the
    /// deadline) triggers the rollback.
    pub verify: Vec<Verify>,
}

/// A change to the world.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum ActionOp {
    #[serde(rename = "azure.peering.disable")]
    AzurePeeringDisable,
    #[serde(rename = "azure.peering.enable")]
    AzurePeeringEnable,
    /// Azure's site failover simulation on the ExpressRoute gateway
    /// (`startSiteFailoverTest`): the gateway drops the circuit's
    /// connection at one peering location while the circuit stays as it is.
    #[serde(rename = "azure.gateway.site_failover_test")]
    AzureGatewaySiteFailoverTest,
    /// `stopSiteFailoverTest`, with the operator's verdict.
    #[serde(rename = "azure.gateway.site_failover_test.stop")]
    AzureGatewaySiteFailoverTestStop,
    /// Azure's circuit link failover test (`startCircuitLinkFailoverTest`,
    /// api-version 2025-07-01 and later): one link of the circuit is
    /// disconnected from BGP while the peering stays as it is.
    #[serde(rename = "azure.circuit.link_failover_test")]
    AzureCircuitLinkFailoverTest,
    /// `stopCircuitLinkFailoverTest`, with the operator's verdict.
    #[serde(rename = "azure.circuit.link_failover_test.stop")]
    AzureCircuitLinkFailoverTestStop,
}

impl ActionOp {
    pub const ALL: [ActionOp; 6] = [
        ActionOp::AzurePeeringDisable,
        ActionOp::AzurePeeringEnable,
        ActionOp::AzureGatewaySiteFailoverTest,
        ActionOp::AzureGatewaySiteFailoverTestStop,
        ActionOp::AzureCircuitLinkFailoverTest,
        ActionOp::AzureCircuitLinkFailoverTestStop,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionOp::AzurePeeringDisable => "azure.peering.disable",
            ActionOp::AzurePeeringEnable => "azure.peering.enable",
            ActionOp::AzureGatewaySiteFailoverTest => "azure.gateway.site_failover_test",
            ActionOp::AzureGatewaySiteFailoverTestStop => "azure.gateway.site_failover_test.stop",
            ActionOp::AzureCircuitLinkFailoverTest => "azure.circuit.link_failover_test",
            ActionOp::AzureCircuitLinkFailoverTestStop => "azure.circuit.link_failover_test.stop",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// True when the op can interrupt service, which is why it needs a gate.
    pub fn is_disruptive(self) -> bool {
        matches!(
            self,
            ActionOp::AzurePeeringDisable
                | ActionOp::AzureGatewaySiteFailoverTest
                | ActionOp::AzureCircuitLinkFailoverTest
        )
    }

    /// True for Azure's failover tests and their stops: they do not
    /// write the peering, and their undo is a stop.
    pub fn is_failover_test(self) -> bool {
        matches!(
            self,
            ActionOp::AzureGatewaySiteFailoverTest
                | ActionOp::AzureGatewaySiteFailoverTestStop
                | ActionOp::AzureCircuitLinkFailoverTest
                | ActionOp::AzureCircuitLinkFailoverTestStop
        )
    }

    /// True for the circuit link test and its stop: they address the
    /// circuit (by link), not a gateway.
    pub fn is_link_test(self) -> bool {
        matches!(
            self,
            ActionOp::AzureCircuitLinkFailoverTest | ActionOp::AzureCircuitLinkFailoverTestStop
        )
    }

    /// The op that starts the test `self` stops (`None` when `self` is
    /// no stop): a stop runs only as that op's rollback.
    pub fn stops(self) -> Option<ActionOp> {
        match self {
            ActionOp::AzureGatewaySiteFailoverTestStop => {
                Some(ActionOp::AzureGatewaySiteFailoverTest)
            }
            ActionOp::AzureCircuitLinkFailoverTestStop => {
                Some(ActionOp::AzureCircuitLinkFailoverTest)
            }
            _ => None,
        }
    }

    /// What the world is left as after the op, for a person reading why a
    /// rollback does not undo an action.
    pub fn leaves(self) -> &'static str {
        match self {
            ActionOp::AzurePeeringDisable => "the peering Disabled",
            ActionOp::AzurePeeringEnable => "the peering Enabled",
            ActionOp::AzureGatewaySiteFailoverTest => "the failover test running",
            ActionOp::AzureGatewaySiteFailoverTestStop => "the failover test stopped",
            ActionOp::AzureCircuitLinkFailoverTest => "the link failover test running",
            ActionOp::AzureCircuitLinkFailoverTestStop => "the link failover test stopped",
        }
    }

    /// The rollbacks that undo `self`, the expected one first. Exhaustive on
    /// purpose: a new op does not compile until someone decides what undoes
    /// it.
    pub fn undone_by(self) -> &'static [ActionOp] {
        match self {
            // A disable is undone only by the enable: a disable as its own
            // rollback would "roll back" by taking ExpressRoute down again.
            ActionOp::AzurePeeringDisable => &[ActionOp::AzurePeeringEnable],
            // An enable (the restore) is rolled back by re-asserting
            // Enabled: the safe state is ExpressRoute up, so undoing a
            // restore never disables it (er-restore.toml's `why` says so).
            ActionOp::AzurePeeringEnable => &[ActionOp::AzurePeeringEnable],
            // A started test is undone by stopping it; a stop is "undone"
            // by stopping again (the safe state is no test running).
            ActionOp::AzureGatewaySiteFailoverTest => &[ActionOp::AzureGatewaySiteFailoverTestStop],
            ActionOp::AzureGatewaySiteFailoverTestStop => {
                &[ActionOp::AzureGatewaySiteFailoverTestStop]
            }
            ActionOp::AzureCircuitLinkFailoverTest => &[ActionOp::AzureCircuitLinkFailoverTestStop],
            ActionOp::AzureCircuitLinkFailoverTestStop => {
                &[ActionOp::AzureCircuitLinkFailoverTestStop]
            }
        }
    }

    /// The peering state the op leaves (a failover test never writes the
    /// peering: it stays Enabled throughout).
    pub fn peering_state(self) -> &'static str {
        match self {
            ActionOp::AzurePeeringDisable => "Disabled",
            ActionOp::AzurePeeringEnable
            | ActionOp::AzureGatewaySiteFailoverTest
            | ActionOp::AzureGatewaySiteFailoverTestStop
            | ActionOp::AzureCircuitLinkFailoverTest
            | ActionOp::AzureCircuitLinkFailoverTestStop => "Enabled",
        }
    }
}

impl fmt::Display for ActionOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Action {
    pub op: ActionOp,
    pub role: String,
    pub target: PeeringRef,
    /// The virtual network gateway a failover test runs on (`None` for the
    /// peering ops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gateway: Option<String>,
    /// Which link a circuit link failover test disconnects, how, and at
    /// which api-version (`None` for the other ops).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_test: Option<LinkTest>,
    /// What undoes it; run when the deadline passes without the operator's
    /// confirmation, when a verification fails, or on request.
    pub rollback: ActionOp,
    pub deadline: Duration,
    /// How long the verification's trace may fail to reach the test
    /// target before the change is rolled back, without waiting for the
    /// verification's `within`: traffic that is lost, not merely still on
    /// the old path. `None`: only `within` and the deadline apply.
    pub max_outage: Option<Duration>,
    /// How long a rollback watches the peering after its own write before
    /// it is called done (`None`: [`Action::DEFAULT_SETTLE`]).
    pub settle: Option<Duration>,
    /// How long a failing rollback keeps retrying before the peering is
    /// left to the operator (exit 4, with the manual commands); `None`:
    /// [`Action::DEFAULT_ROLLBACK_BUDGET`].
    pub rollback_budget: Option<Duration>,
    /// The change, rendered (ARM call, az CLI, PowerShell).
    pub command: String,
    /// The rollback, rendered: what an operator runs by hand if the
    /// automatic rollback cannot.
    pub rollback_command: String,
}

impl Action {
    /// The settle window when the runbook names none: long enough for a
    /// PUT held by a slow path to reach ARM, or be refused under the
    /// rollback's etag.
    pub const DEFAULT_SETTLE: std::time::Duration = std::time::Duration::from_secs(30);

    pub fn settle_window(&self) -> std::time::Duration {
        self.settle.map_or(Self::DEFAULT_SETTLE, |d| d.as_std())
    }

    /// The rollback budget when the runbook names none: long enough to
    /// ride out a throttling storm or a short ARM outage, short enough
    /// that a person takes over while it still matters.
    pub const DEFAULT_ROLLBACK_BUDGET: std::time::Duration = std::time::Duration::from_secs(600);
    /// The longest rollback budget a runbook or `--rollback-budget` may
    /// ask for: past that, retrying hides an outage a person must handle.
    pub const MAX_ROLLBACK_BUDGET: std::time::Duration = std::time::Duration::from_secs(3_600);

    pub fn rollback_budget_window(&self) -> std::time::Duration {
        self.rollback_budget
            .map_or(Self::DEFAULT_ROLLBACK_BUDGET, |d| d.as_std())
    }
}

/// The circuit link failover test's parameters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkTest {
    /// `Primary` or `Secondary`.
    pub link_type: String,
    /// `BgpDisconnect` (the only category the test runs as a failover).
    pub category: String,
    /// The test exists from 2025-07-01 on, later than the inventory's
    /// usual api-version, so the action carries its own.
    pub api_version: String,
}

impl LinkTest {
    pub const LINK_TYPES: [&str; 2] = ["Primary", "Secondary"];
    pub const CATEGORIES: [&str; 1] = ["BgpDisconnect"];
    pub const DEFAULT_API_VERSION: &str = "2025-07-01";
}

/// One verification after an action: probe until the expectations hold, at
/// most `within`.
#[derive(Debug, Clone, Serialize)]
pub struct Verify {
    pub probe: Probe,
    pub expect: Vec<Expect>,
    pub within: Duration,
    pub every: Option<Duration>,
}
