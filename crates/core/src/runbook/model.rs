//! The runbook once loaded: every variable expanded, every value typed,
//! every command rendered. Nothing here can be half-valid; `validate` builds
//! it or reports why not.

mod action;
mod expect;
mod paths;

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::diag::Pos;
use super::duration::Duration;
use super::query::{Platform, Query};

pub use action::{Action, ActionOp, ActionStep, Gate, GateRequire, LinkTest, Verify};
pub use expect::{
    Clause, Expect, PathSelect, RouteCheck, RouteExpect, RouteTarget, StateExpect, TraceExpect,
};
pub use paths::{PathDef, PathKind, PathRules, Paths};

/// A whole runbook.
#[derive(Debug, Clone, Serialize)]
pub struct Runbook {
    /// The file name it was loaded from, as given (for messages).
    pub source: String,
    pub meta: Meta,
    /// Every variable, already expanded.
    pub vars: BTreeMap<String, String>,
    pub roles: BTreeMap<String, Role>,
    pub paths: Paths,
    pub steps: Vec<Step>,
}

/// `[runbook]`.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
    pub version: Option<String>,
    /// How often the live monitor polls during a run.
    pub monitor_every: Option<Duration>,
    /// How often the whole procedure should be repeated (the next test is
    /// due this long after a successful run).
    pub repeat_every: Option<Duration>,
    /// Declared read-only: a gate or an action in it is an error.
    pub read_only: bool,
}

/// `[roles.NAME]`: a device or service the steps talk to. The inventory maps
/// the role to a real host or subscription.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    pub name: String,
    pub platform: Platform,
    pub description: Option<String>,
    /// Azure resource names probes and actions on this role default to.
    #[serde(skip_serializing_if = "AzureNames::is_empty")]
    pub azure: AzureNames,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AzureNames {
    pub resource_group: Option<String>,
    pub gateway: Option<String>,
    pub circuit: Option<String>,
    pub peering: Option<String>,
    pub connection: Option<String>,
}

impl AzureNames {
    pub fn is_empty(&self) -> bool {
        *self == AzureNames::default()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        match key {
            "resource_group" => self.resource_group.as_deref(),
            "gateway" => self.gateway.as_deref(),
            "circuit" => self.circuit.as_deref(),
            "peering" => self.peering.as_deref(),
            "connection" => self.connection.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn slot(&mut self, key: &str) -> Option<&mut Option<String>> {
        match key {
            "resource_group" => Some(&mut self.resource_group),
            "gateway" => Some(&mut self.gateway),
            "circuit" => Some(&mut self.circuit),
            "peering" => Some(&mut self.peering),
            "connection" => Some(&mut self.connection),
            _ => None,
        }
    }
}

/// The five phases of the procedure (procedure/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    /// 1: ExpressRoute advertisements and on-prem preference.
    ValidateEr,
    /// 2: route exchange over the VPN, from both sides.
    ValidateVpn,
    /// 3: fail over to the VPN (maintenance window only).
    Failover,
    /// 4: restore ExpressRoute.
    Restore,
    /// 5: keep the backup maintained.
    Maintain,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::ValidateEr,
        Phase::ValidateVpn,
        Phase::Failover,
        Phase::Restore,
        Phase::Maintain,
    ];

    pub fn number(self) -> u8 {
        match self {
            Phase::ValidateEr => 1,
            Phase::ValidateVpn => 2,
            Phase::Failover => 3,
            Phase::Restore => 4,
            Phase::Maintain => 5,
        }
    }

    pub fn from_number(n: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|p| i64::from(p.number()) == n)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::ValidateEr => "validate-er",
            Phase::ValidateVpn => "validate-vpn",
            Phase::Failover => "failover",
            Phase::Restore => "restore",
            Phase::Maintain => "maintain",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.number(), self.as_str())
    }
}

/// One `[[step]]`.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub id: String,
    pub title: String,
    pub phase: Phase,
    /// What the step proves and what to do when it fails, for the operator.
    pub why: String,
    /// What to look at, shown in a drill on request (`H`, or `hint STEP`
    /// headless) and journaled as `drill_hint`: it teaches where the
    /// evidence is without giving the verdict away. Never shown in `run`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Where the step starts in the file.
    pub pos: Pos,
    pub body: StepBody,
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepBody {
    /// Probe and compare with expectations; changes nothing.
    Check(Check),
    /// Stop and ask the operator.
    Gate(Gate),
    /// Change the world, guarded by a deadline and a rollback.
    Action(ActionStep),
    /// Write down when the next test is due and what to keep in mind.
    Record(Record),
}

impl Step {
    /// The exact command this step sends (a probe's CLI command or API call,
    /// or an action's change); `None` for gates and records.
    pub fn rendered_command(&self) -> Option<&str> {
        match &self.body {
            StepBody::Check(c) => Some(&c.probe.command),
            StepBody::Action(a) => Some(&a.action.command),
            StepBody::Gate(_) | StepBody::Record(_) => None,
        }
    }

    pub fn probe(&self) -> Option<&Probe> {
        match &self.body {
            StepBody::Check(c) => Some(&c.probe),
            _ => None,
        }
    }

    pub fn action(&self) -> Option<&Action> {
        match &self.body {
            StepBody::Action(a) => Some(&a.action),
            _ => None,
        }
    }

    pub fn gate(&self) -> Option<&Gate> {
        match &self.body {
            StepBody::Gate(g) => Some(g),
            _ => None,
        }
    }

    /// True for steps that only read.
    pub fn is_read_only(&self) -> bool {
        matches!(self.body, StepBody::Check(_) | StepBody::Record(_))
    }

    /// A check whose failure warns instead of failing (`advisory = true`).
    pub fn is_advisory(&self) -> bool {
        matches!(&self.body, StepBody::Check(c) if c.advisory)
    }

    /// Every probe this step runs, the verifications of an action included.
    pub fn probes(&self) -> Vec<&Probe> {
        match &self.body {
            StepBody::Check(c) => vec![&c.probe],
            StepBody::Action(a) => a.verify.iter().map(|v| &v.probe).collect(),
            StepBody::Gate(_) | StepBody::Record(_) => Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub probe: Probe,
    pub expect: Vec<Expect>,
    /// Keep probing until the expectations hold or this much time passed;
    /// `None`: probe once.
    pub within: Option<Duration>,
    /// Pause between probes while waiting (`within`); the engine's default
    /// when `None`.
    pub every: Option<Duration>,
    /// A failure is a warning, not a failed pre-check: it is shown and
    /// journaled but does not hold the gate (BFD, for instance, only makes
    /// the failover faster; without it the procedure still proves the VPN).
    pub advisory: bool,
}

/// Who is asked what, and the exact command that asks it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub role: String,
    pub platform: Platform,
    pub query: Query,
    /// `render::render(query, platform)`: what the console shows and records.
    pub command: String,
}

/// One expectation, with where it was written (for the operator's "why did
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub next_test_in: Duration,
    /// Things to keep in place until then (alerts, BFD, ...).
    pub reminders: Vec<String>,
}

/// Counts for `cutover check`'s summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub steps: usize,
    /// Check probes plus action verifications.
    pub probes: usize,
    pub gates: usize,
    pub actions: usize,
    /// Distinct phases the steps cover.
    pub phases: usize,
}

impl Runbook {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn summary(&self) -> Summary {
        let mut phases: Vec<Phase> = self.steps.iter().map(|s| s.phase).collect();
        phases.dedup();
        phases.sort();
        phases.dedup();
        Summary {
            steps: self.steps.len(),
            probes: self.steps.iter().map(|s| s.probes().len()).sum(),
            gates: self.steps.iter().filter(|s| s.gate().is_some()).count(),
            actions: self.steps.iter().filter(|s| s.action().is_some()).count(),
            phases: phases.len(),
        }
    }

    /// True when no step changes anything (what `cutover validate` needs).
    pub fn is_read_only(&self) -> bool {
        self.steps.iter().all(Step::is_read_only)
    }

    /// The read-only steps, in order (the checks `cutover validate` runs
    /// from a runbook that also fails over).
    pub fn read_only_steps(&self) -> impl Iterator<Item = &Step> {
        self.steps.iter().filter(|s| s.is_read_only())
    }

    /// The check steps that must have passed before the gate at `index`
    /// (every check before it).
    pub fn prechecks_for(&self, index: usize) -> impl Iterator<Item = &Step> {
        self.steps
            .iter()
            .take(index)
            .filter(|s| matches!(s.body, StepBody::Check(_)))
    }
}

#[cfg(test)]
mod tests;
