//! The runbook once loaded: every variable expanded, every value typed,
//! every command rendered. Nothing here can be half-valid; `validate` builds
//! it or reports why not.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use super::diag::Pos;
use super::duration::Duration;
use super::query::{PeeringRef, Platform, Query};
use crate::model::path::{PathClassifier, PathFacts, TraceClass};
use crate::model::table::NextHop;
use crate::model::{ParsedRoute, Prefix, Trace};

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

/// Which way traffic goes: the domain's kind, so that the runbook, the
/// analysis and the console never disagree about what "vpn" means.
pub use crate::model::path::PathKind;

// The runbook language reads kinds from text; the domain type only needs
// its serde names, so the spelling helpers live with the language.
impl PathKind {
    pub const ALL: [PathKind; 3] = [PathKind::ExpressRoute, PathKind::Vpn, PathKind::Unknown];

    /// The runbook spelling (the serde name): `expressroute`, `vpn`, `unknown`.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// `[paths.expressroute]` / `[paths.vpn]`: how to tell the two paths apart in
/// route tables and traceroutes, as the runbook declares it.
/// [`Paths::rules`] turns the declarations into the domain's
/// [`PathClassifier`], which does the classifying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PathDef {
    pub kind: PathKind,
    pub description: Option<String>,
    /// Next-hop addresses, or interface names (`st0.118`, `st0.*`), that
    /// mean this path.
    pub next_hops: Vec<String>,
    /// AS numbers that mean this path. For ExpressRoute they mark a path
    /// anywhere in its AS path (Microsoft's 12076 stays in the path however
    /// far it travels); for the VPN they must be the first AS (the VPN
    /// gateway's 65515, which the ExpressRoute gateway shares but which then
    /// reaches on-premises behind 12076).
    pub first_as: Vec<u32>,
    /// Traceroute hops whose presence proves this path.
    pub trace_hops: Vec<IpAddr>,
    /// A trace that reached its target without any declared hop is this
    /// path (a VPN tunnel hides its hops, so absence is its evidence).
    pub trace_fallback: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Paths {
    pub defs: Vec<PathDef>,
}

impl Paths {
    pub fn get(&self, kind: PathKind) -> Option<&PathDef> {
        self.defs.iter().find(|d| d.kind == kind)
    }

    /// The declarations as the domain classifier, plus the runbook's choice
    /// of trace fallback. Build it once per evaluation, not per route.
    pub fn rules(&self) -> PathRules {
        let mut c = PathClassifier::default();
        let mut trace_fallback = None;
        for d in &self.defs {
            let (addrs, ifaces, as_list, hops) = match d.kind {
                PathKind::ExpressRoute => (
                    &mut c.er_next_hops,
                    &mut c.er_interfaces,
                    &mut c.er_as_markers,
                    &mut c.er_trace_hops,
                ),
                PathKind::Vpn => (
                    &mut c.vpn_next_hops,
                    &mut c.vpn_interfaces,
                    &mut c.vpn_neighbor_as,
                    &mut c.vpn_trace_hops,
                ),
                // `validate` never declares it; nothing to learn from it.
                PathKind::Unknown => continue,
            };
            for nh in &d.next_hops {
                match nh.parse::<IpAddr>() {
                    Ok(a) => addrs.push(a),
                    Err(_) => ifaces.push(nh.clone()),
                }
            }
            as_list.extend(&d.first_as);
            hops.extend(&d.trace_hops);
            if d.trace_fallback {
                trace_fallback = Some(d.kind);
            }
        }
        PathRules {
            classifier: c,
            trace_fallback,
        }
    }
}

/// A runbook's paths, ready to classify: the domain's [`PathClassifier`]
/// and which kind (if any) a hop-less trace that arrived counts as.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathRules {
    pub classifier: PathClassifier,
    pub trace_fallback: Option<PathKind>,
}

impl PathRules {
    /// The kind of one parsed route path (see [`PathClassifier::classify`]
    /// for the rules).
    pub fn classify_route(&self, route: &ParsedRoute<'_>) -> PathKind {
        let hops: Vec<NextHop> = route
            .next_hops
            .iter()
            .flatten()
            .map(|h| match h.parse::<IpAddr>() {
                Ok(a) => NextHop::addr(a),
                Err(_) => NextHop::interface(h),
            })
            .collect();
        self.classifier.classify(PathFacts {
            next_hops: Some(&hops),
            learned_from: None,
            as_path: route.as_path.as_deref(),
        })
    }

    /// The domain's reading of a trace, with the runbook's fallback applied
    /// to a trace that arrived through no declared hop: the domain infers
    /// the VPN only when ExpressRoute hops are declared, the runbook says
    /// which kind (if any) explicitly.
    pub fn explain_trace(&self, trace: &Trace) -> TraceClass {
        let mut class = self.classifier.explain_trace(trace);
        if class.reached && class.er_hops.is_empty() && class.vpn_hops.is_empty() {
            class.kind = self.trace_fallback.unwrap_or(PathKind::Unknown);
            class.inferred = self.trace_fallback.is_some();
        }
        class
    }

    pub fn classify_trace(&self, trace: &Trace) -> PathKind {
        self.explain_trace(trace).kind
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
/// this fail" and for error messages).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expect {
    pub pos: Pos,
    pub clause: Clause,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum Clause {
    Route(RouteExpect),
    State(StateExpect),
    Trace(TraceExpect),
}

/// About the paths of one prefix (or of the prefixes more specific than one)
/// in a route list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteExpect {
    pub target: RouteTarget,
    pub select: PathSelect,
    /// All must hold; never empty (a clause without an explicit check means
    /// `present = true`).
    pub checks: Vec<RouteCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteTarget {
    /// Paths whose prefix is exactly this one.
    Prefix(Prefix),
    /// Paths whose prefix lies strictly inside this one.
    MoreSpecificThan(Prefix),
}

/// Narrows the paths of the target before the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PathSelect {
    /// Only paths classified as this kind.
    pub path: Option<PathKind>,
    /// Only paths with this next hop.
    pub next_hop: Option<String>,
    /// Only paths of this protocol (lower case, as `cutover parse` prints it).
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteCheck {
    /// At least one selected path (true) or none (false).
    Present(bool),
    /// The active path of the prefix (all its paths, whatever the
    /// selection) is of this kind; fails when none is active.
    ActivePath(PathKind),
    /// Every selected path is (not) the active one.
    Active(bool),
    /// Every selected path has this local preference.
    LocalPref(u32),
    /// Every selected path has exactly this AS path.
    AsPath(Vec<u32>),
    /// Every selected path's AS path starts with these AS numbers.
    AsPathStartsWith(Vec<u32>),
    /// Every selected path has next hops, all of them in this set.
    NextHopIn(Vec<String>),
    // `Active` to `NextHopIn` also fail when no path is selected: "every"
    // over nothing would pass a check on a route that vanished.
    /// At least this many selected paths.
    AtLeast(u32),
}

/// About things with a state: peers, sessions, SAs, one Azure resource.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateExpect {
    /// Only the item for this peer (address or name); every item otherwise.
    pub peer: Option<String>,
    /// The state they must be in (compared without regard to case).
    pub state: Option<String>,
    /// At least this many items (in `state`, when given). Without it, every
    /// item must be in `state` and there must be at least one.
    pub at_least: Option<u32>,
}

/// About a traceroute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceExpect {
    pub path: Option<PathKind>,
    pub include_hops: Vec<IpAddr>,
    pub exclude_hops: Vec<IpAddr>,
    pub reached: Option<bool>,
}

/// `present`, `absent`, ...: a clause as an operator would read it aloud.
impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Clause::Route(r) => {
                match r.target {
                    RouteTarget::Prefix(p) => write!(f, "{p}")?,
                    RouteTarget::MoreSpecificThan(p) => {
                        write!(f, "prefixes more specific than {p}")?
                    }
                }
                if let Some(k) = r.select.path {
                    write!(f, " via {k}")?;
                }
                if let Some(nh) = &r.select.next_hop {
                    write!(f, " next hop {nh}")?;
                }
                if let Some(p) = &r.select.protocol {
                    write!(f, " from {p}")?;
                }
                for (i, c) in r.checks.iter().enumerate() {
                    f.write_str(if i == 0 { ": " } else { ", " })?;
                    match c {
                        RouteCheck::Present(true) => f.write_str("present")?,
                        RouteCheck::Present(false) => f.write_str("absent")?,
                        RouteCheck::ActivePath(k) => write!(f, "active path {k}")?,
                        RouteCheck::Active(true) => f.write_str("active")?,
                        RouteCheck::Active(false) => f.write_str("not active")?,
                        RouteCheck::LocalPref(n) => write!(f, "local-pref {n}")?,
                        RouteCheck::AsPath(p) => write!(f, "AS path [{}]", join(p))?,
                        RouteCheck::AsPathStartsWith(p) => {
                            write!(f, "AS path starts [{}]", join(p))?
                        }
                        RouteCheck::NextHopIn(s) => write!(f, "next hop in [{}]", s.join(", "))?,
                        RouteCheck::AtLeast(n) => write!(f, "at least {n} paths")?,
                    }
                }
                Ok(())
            }
            Clause::State(s) => {
                match &s.peer {
                    Some(p) => write!(f, "peer {p}")?,
                    None => f.write_str("all")?,
                }
                if let Some(st) = &s.state {
                    write!(f, " {st}")?;
                }
                if let Some(n) = s.at_least {
                    write!(f, " (at least {n})")?;
                }
                Ok(())
            }
            Clause::Trace(t) => {
                f.write_str("trace")?;
                if let Some(k) = t.path {
                    write!(f, " via {k}")?;
                }
                if !t.include_hops.is_empty() {
                    write!(f, " through {}", join(&t.include_hops))?;
                }
                if !t.exclude_hops.is_empty() {
                    write!(f, " not through {}", join(&t.exclude_hops))?;
                }
                match t.reached {
                    Some(true) => f.write_str(", target reached")?,
                    Some(false) => f.write_str(", target not reached")?,
                    None => {}
                }
                Ok(())
            }
        }
    }
}

fn join<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

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
}

impl ActionOp {
    pub const ALL: [ActionOp; 2] = [ActionOp::AzurePeeringDisable, ActionOp::AzurePeeringEnable];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionOp::AzurePeeringDisable => "azure.peering.disable",
            ActionOp::AzurePeeringEnable => "azure.peering.enable",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == s)
    }

    /// True when the op can interrupt service, which is why it needs a gate.
    pub fn is_disruptive(self) -> bool {
        matches!(self, ActionOp::AzurePeeringDisable)
    }

    /// The peering state the op sets.
    pub fn peering_state(self) -> &'static str {
        match self {
            ActionOp::AzurePeeringDisable => "Disabled",
            ActionOp::AzurePeeringEnable => "Enabled",
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
    /// What undoes it; run when the deadline passes without the operator's
    /// confirmation, when a verification fails, or on request.
    pub rollback: ActionOp,
    pub deadline: Duration,
    /// The change, rendered (ARM call, az CLI, PowerShell).
    pub command: String,
    /// The rollback, rendered: what an operator runs by hand if the
    /// automatic rollback cannot.
    pub rollback_command: String,
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
mod tests {
    use super::*;
    use crate::model::Hop;

    fn paths() -> Paths {
        Paths {
            defs: vec![
                PathDef {
                    kind: PathKind::ExpressRoute,
                    description: None,
                    next_hops: vec!["192.168.11.0".into(), "192.168.11.2".into()],
                    first_as: vec![12076],
                    trace_hops: vec!["192.168.11.18".parse().expect("addr")],
                    trace_fallback: false,
                },
                PathDef {
                    kind: PathKind::Vpn,
                    description: None,
                    next_hops: vec!["192.168.11.88".into(), "st0.118".into()],
                    first_as: vec![65515],
                    trace_hops: vec![],
                    trace_fallback: true,
                },
            ],
        }
    }

    fn hop(ttl: u8, addr: Option<&str>) -> Hop {
        Hop {
            ttl,
            addresses: addr.map(|a| vec![a.to_string()]).unwrap_or_default(),
            rtts_ms: vec![],
            timeout: addr.is_none(),
        }
    }

    fn route(next_hops: &[&'static str], as_path: Option<&[u32]>) -> ParsedRoute<'static> {
        ParsedRoute {
            prefix: "10.17.11.0/25".into(),
            protocol: Some("bgp".into()),
            active: true,
            preference: Some(170),
            local_pref: None,
            as_path: as_path.map(<[u32]>::to_vec),
            next_hops: Some(next_hops.iter().map(|h| (*h).into()).collect()),
            table: None,
        }
    }

    #[test]
    fn the_declarations_become_the_domain_classifier() {
        let r = paths().rules();
        let ip = |s: &str| s.parse::<IpAddr>().expect("addr");
        assert_eq!(
            r.classifier.er_next_hops,
            [ip("192.168.11.0"), ip("192.168.11.2")]
        );
        assert_eq!(r.classifier.vpn_next_hops, [ip("192.168.11.88")]);
        assert_eq!(r.classifier.vpn_interfaces, ["st0.118"]);
        assert_eq!(r.classifier.er_as_markers, [12076]);
        assert_eq!(r.classifier.vpn_neighbor_as, [65515]);
        assert_eq!(r.classifier.er_trace_hops, [ip("192.168.11.18")]);
        assert_eq!(r.trace_fallback, Some(PathKind::Vpn));
        assert_eq!(Paths::default().rules(), PathRules::default());
    }

    #[test]
    fn classifies_route_paths() {
        let r = paths().rules();
        assert_eq!(
            r.classify_route(&route(&["192.168.11.0"], Some(&[12076]))),
            PathKind::ExpressRoute
        );
        assert_eq!(r.classify_route(&route(&[], Some(&[65515]))), PathKind::Vpn);
        assert_eq!(r.classify_route(&route(&["st0.118"], None)), PathKind::Vpn);
        assert_eq!(
            r.classify_route(&route(&["10.9.9.9"], Some(&[65020]))),
            PathKind::Unknown
        );
        // The domain's rule: where traffic is handed over beats what the
        // AS path suggests.
        assert_eq!(
            r.classify_route(&route(&["192.168.11.0"], Some(&[65515]))),
            PathKind::ExpressRoute
        );
        // Next hops on both sides at once are evidence for neither.
        assert_eq!(
            r.classify_route(&route(&["192.168.11.0", "192.168.11.88"], None)),
            PathKind::Unknown
        );
        // Azure's ExpressRoute-learned route: 12076 behind the gateway's AS.
        assert_eq!(
            r.classify_route(&route(&["10.17.11.69"], Some(&[12076, 65020]))),
            PathKind::ExpressRoute
        );
    }

    #[test]
    fn classifies_the_articles_traces() {
        let p = paths().rules();
        let target = Some("10.17.11.132".to_string());
        let er = Trace {
            target: target.clone(),
            hops: vec![
                hop(1, Some("10.1.11.1")),
                hop(2, Some("192.168.11.0")),
                hop(3, Some("192.168.11.18")),
                hop(4, None),
                hop(5, Some("10.17.11.132")),
            ],
        };
        assert_eq!(p.classify_trace(&er), PathKind::ExpressRoute);
        let vpn = Trace {
            target: target.clone(),
            hops: vec![
                hop(1, Some("10.1.11.1")),
                hop(2, None),
                hop(3, Some("10.17.11.132")),
            ],
        };
        assert_eq!(p.classify_trace(&vpn), PathKind::Vpn);
        assert!(p.explain_trace(&vpn).inferred);
        let lost = Trace {
            target,
            hops: vec![hop(1, Some("10.1.11.1")), hop(2, None), hop(3, None)],
        };
        assert_eq!(p.classify_trace(&lost), PathKind::Unknown);
        assert!(!p.explain_trace(&lost).reached);
    }

    #[test]
    fn the_trace_fallback_is_the_runbooks_choice() {
        let vpn = Trace {
            target: Some("10.17.11.132".into()),
            hops: vec![hop(1, Some("10.1.11.1")), hop(2, Some("10.17.11.132"))],
        };
        let mut p = paths();
        p.defs[1].trace_fallback = false;
        // ExpressRoute hops are declared, so the domain alone would infer
        // the VPN; without a declared fallback the runbook does not.
        assert_eq!(p.rules().classify_trace(&vpn), PathKind::Unknown);
        p.defs[0].trace_fallback = true;
        assert_eq!(p.rules().classify_trace(&vpn), PathKind::ExpressRoute);
    }

    #[test]
    fn kinds_read_their_runbook_spelling() {
        for k in PathKind::ALL {
            assert_eq!(PathKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(PathKind::parse("VPN"), None);
    }

    #[test]
    fn phases_and_ops_round_trip() {
        for ph in Phase::ALL {
            assert_eq!(Phase::parse(ph.as_str()), Some(ph));
            assert_eq!(Phase::from_number(i64::from(ph.number())), Some(ph));
        }
        assert_eq!(Phase::from_number(6), None);
        for op in ActionOp::ALL {
            assert_eq!(ActionOp::parse(op.as_str()), Some(op));
        }
        assert!(ActionOp::AzurePeeringDisable.is_disruptive());
        assert!(!ActionOp::AzurePeeringEnable.is_disruptive());
    }
}
