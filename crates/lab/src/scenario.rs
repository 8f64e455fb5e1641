//! Lab scenarios: a healthy lab plus faults, each injected where it would
//! really live (a BGP session, a routing policy, a static route, a tunnel,
//! the data plane, the ARM API, the timers). Scenario files are TOML; the
//! built-in ones are embedded so that the binary stands alone.
//!
//! ```toml
//! name = "my-drill"                  # lower-case, digits, `-`
//! description = "One line for `cutover scenarios`"
//!
//! [timing]                           # every key optional
//! bfd = true                         # BFD on the CEs' eBGP sessions to the MSEE
//! bfd_interval_ms = 300
//! bfd_multiplier = 3
//! hold_time_s = 180                  # detection without BFD
//! establish_ms = 2000                # path back -> session established
//! convergence_ms = 600               # detection -> tables and forwarding moved,
//! convergence_max_ms = 1800          #   drawn per session between the two (seeded)
//! provisioning_s = 20                # ARM `Updating` after an accepted PUT
//!                                    # (hold time and this: `--time-scale` compresses)
//!
//! [[session]]                        # a BGP session that never establishes
//! router = "fw"                      # ce1 ce2 fw msee1 msee2 ergw vpngw0 vpngw1
//! neighbor = "10.17.11.76"           # the neighbor address `router` configures
//! state = "down"
//! down_for_s = 11862                 # optional: how long, at the lab's start
//!
//! [[export]]                         # `router`'s announcements to `neighbor`
//! router = "ce2"
//! neighbor = "192.168.11.3"
//! local_preference = "unset"         # or a number
//! deny = ["10.17.11.128/26"]         # withheld prefixes
//! advertise = ["10.1.11.0/26"]       # extra own routes (see [[static]])
//!
//! [[static]]
//! router = "fw"
//! prefix = "10.1.11.0/26"
//! interface = "reth0.11"             # an interface of the router's instance
//!
//! [[tunnel]]                         # an IPsec tunnel down from the start
//! index = 1
//! state = "down"
//!
//! [arm]                              # how ARM words its answers (all optional)
//! operations = "location"            # "both" (default), "azure-async-operation", "location"
//! result_without_status = true       # a done gateway read's status URL answers its result bare
//! etag_form = "backslashed"          # "weak" W/"g" (default), "strong" "g", "unquoted", "backslashed" w/\g\
//!
//! [[arm.peering_put]]                # errors for the next peering PUTs, in order
//! status = 429                       # (the older form of `[[arm.fault]]`)
//! code = "RetryableErrorDueToAnotherOperation"
//! retry_after_s = 5                  # optional; `message` optional too
//!
//! [[arm.fault]]                      # any ARM call: see `fault.rs`
//! method = "GET"
//! resource = "peering"
//! nth = 2
//! hang = true
//!
//! [[ssh.fault]]
//! device = "ce1"
//! slow_ms = 1500
//!
//! [data_plane]
//! drop = ["vpn"]                     # or "expressroute": traffic lost, BGP intact
//!
//! [[objective]]                      # what the trainee must catch or decide
//! id = "hold-the-gate"               # lower-case, digits, `-`; unique
//! text = "Hold the gate: the VPN carries nothing"
//! kind = "no_override"               # see `cutover_core::drill` for the kinds
//! evidence = [                       # the lines that show the fault (a piece ending in `$` ends its line)
//!   { step = "fw-bgp-to-vpn-gateway", line = "10.17.11.76", command = "bgp summary" },
//! ]
//! ```
//!
//! Unknown keys and bad values are errors naming `file:line:col`.

use std::time::Duration;

use serde::Deserialize;

use super::topology::{Node, Topology};
use cutover_core::model::Prefix;

mod answers;
mod fault;
mod objectives;
mod parse;
mod raw;

pub use answers::{ArmAnswers, EtagForm, OperationHeaders};

pub use fault::{ArmAction, ArmResource, ArmRule, Faults, Nth, OperationEnd, SshFault};
pub use parse::parse;

/// The built-in scenarios, in the order `cutover scenarios` lists them.
const BUILTIN: &[(&str, &str)] = &[
    (
        "baseline.toml",
        include_str!("../../../scenarios/baseline.toml"),
    ),
    (
        "vpn-bgp-down.toml",
        include_str!("../../../scenarios/vpn-bgp-down.toml"),
    ),
    (
        "spoke-not-advertised.toml",
        include_str!("../../../scenarios/spoke-not-advertised.toml"),
    ),
    (
        "vpn-more-specific.toml",
        include_str!("../../../scenarios/vpn-more-specific.toml"),
    ),
    (
        "ce2-localpref-missing.toml",
        include_str!("../../../scenarios/ce2-localpref-missing.toml"),
    ),
    (
        "er-disable-conflict.toml",
        include_str!("../../../scenarios/er-disable-conflict.toml"),
    ),
    (
        "slow-convergence.toml",
        include_str!("../../../scenarios/slow-convergence.toml"),
    ),
    (
        "stuck-on-vpn.toml",
        include_str!("../../../scenarios/stuck-on-vpn.toml"),
    ),
    (
        "rollback-throttled.toml",
        include_str!("../../../scenarios/rollback-throttled.toml"),
    ),
    (
        "disable-operation-failed.toml",
        include_str!("../../../scenarios/disable-operation-failed.toml"),
    ),
    (
        "arm-slow.toml",
        include_str!("../../../scenarios/arm-slow.toml"),
    ),
    (
        "concurrent-writer.toml",
        include_str!("../../../scenarios/concurrent-writer.toml"),
    ),
    (
        "token-expires.toml",
        include_str!("../../../scenarios/token-expires.toml"),
    ),
];

/// A scenario file that cannot be used, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{col}: {message}")]
pub struct ScenarioError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Invalid(#[from] ScenarioError),
    #[error("no scenario named `{name}` (known: {known})")]
    Unknown { name: String, known: String },
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
}

/// Timers that decide how fast the lab converges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// BFD on the CEs' eBGP sessions to the MSEE (the article's config).
    pub bfd: bool,
    pub bfd_interval: Duration,
    pub bfd_multiplier: u32,
    /// BGP hold time: how long a silent peer takes to be declared down
    /// when nothing faster notices.
    pub hold_time: Duration,
    /// From a path coming back (peering enabled, tunnel up) to the BGP
    /// session being established again.
    pub establish: Duration,
    /// From a CE declaring its MSEE dead (BFD, or the hold timer) to the
    /// routers' tables and forwarding having moved: the withdrawals
    /// travelling over iBGP, best-path selection, the FIB update. The
    /// least every failover pays after its detection.
    pub convergence: Duration,
    /// The most it pays: each session that goes down draws its own
    /// convergence between `convergence` and this (seeded by the
    /// scenario, so a run repeats), as real routers never take the same
    /// time twice.
    pub convergence_max: Duration,
    /// How long ARM reports `Updating` after an accepted PUT: the PUT's
    /// asynchronous operation, which takes tens of seconds in Azure.
    pub provisioning: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            bfd: true,
            bfd_interval: Duration::from_millis(300),
            bfd_multiplier: 3,
            hold_time: Duration::from_secs(180),
            establish: Duration::from_secs(2),
            convergence: Duration::from_millis(600),
            convergence_max: Duration::from_millis(1800),
            provisioning: Duration::from_secs(20),
        }
    }
}

impl Timing {
    /// How long a CE takes to notice that its MSEE went silent.
    pub fn detection(&self, session_has_bfd: bool) -> Duration {
        if self.bfd && session_has_bfd {
            self.bfd_interval.saturating_mul(self.bfd_multiplier)
        } else {
            self.hold_time
        }
    }
}

/// `local-preference` on a router's announcements to one neighbor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalPref {
    /// The statement is missing: the path's own value goes out.
    Unset,
    Value(u32),
}

/// A change to one end of a session's export policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportChange {
    pub session: usize,
    /// 0 or 1: the end (router) whose announcements change.
    pub end: usize,
    pub local_pref: Option<LocalPref>,
    pub deny: Vec<Prefix>,
    pub advertise: Vec<Prefix>,
}

/// A static route the scenario adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaticRoute {
    pub node: Node,
    pub prefix: Prefix,
    pub interface: &'static str,
}

/// A path through the lab that the data plane can drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Carriage {
    /// Traffic through the IPsec tunnels (a missing security policy, a
    /// traffic selector mismatch): BGP to the gateway still works.
    Vpn,
    /// Traffic through the CE-MSEE links.
    Expressroute,
}

/// An error ARM answers instead of the real answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArmFault {
    pub status: u16,
    pub code: String,
    pub message: Option<String>,
    pub retry_after_s: Option<u32>,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub timing: Timing,
    /// Sessions that never establish, with how long they have been down
    /// when the lab starts.
    pub sessions_down: Vec<(usize, Duration)>,
    pub exports: Vec<ExportChange>,
    pub statics: Vec<StaticRoute>,
    pub tunnels_down: Vec<usize>,
    /// The older `[[arm.peering_put]]` form as written; `faults.arm`
    /// holds it translated into rules on the 1st, 2nd, ... peering PUT.
    pub peering_put_errors: Vec<ArmFault>,
    /// `[[arm.fault]]` and `[[ssh.fault]]`.
    pub faults: Faults,
    pub drop: Vec<Carriage>,
    /// `[[objective]]`: what the trainee must catch or decide.
    pub objectives: Vec<cutover_core::drill::Objective>,
    /// `[arm]` `operations`, `result_without_status`, `etag_form`.
    pub arm_answers: ArmAnswers,
}

impl Default for Scenario {
    /// The healthy lab with the article's timers.
    fn default() -> Self {
        Scenario {
            name: "baseline".to_string(),
            description: String::new(),
            timing: Timing::default(),
            sessions_down: vec![],
            exports: vec![],
            statics: vec![],
            tunnels_down: vec![],
            peering_put_errors: vec![],
            faults: Faults::default(),
            drop: vec![],
            objectives: vec![],
            arm_answers: ArmAnswers::default(),
        }
    }
}

/// Every built-in scenario, parsed.
pub fn builtin(topo: &Topology) -> Result<Vec<Scenario>, ScenarioError> {
    BUILTIN
        .iter()
        .map(|(file, text)| parse(&format!("scenarios/{file}"), text, topo))
        .collect()
}

/// The built-in scenario `name`.
pub fn load_builtin(name: &str, topo: &Topology) -> Result<Scenario, LoadError> {
    let file = format!("{name}.toml");
    match BUILTIN.iter().find(|(f, _)| *f == file) {
        Some((f, text)) => Ok(parse(&format!("scenarios/{f}"), text, topo)?),
        None => Err(LoadError::Unknown {
            name: name.to_string(),
            known: builtin_names().collect::<Vec<_>>().join(", "),
        }),
    }
}

/// The built-in scenarios' names, without parsing them.
pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTIN
        .iter()
        .map(|(f, _)| f.strip_suffix(".toml").unwrap_or(f))
}

/// A scenario file from disk (for scenarios beyond the built-in ones).
pub fn load_path(path: &std::path::Path, topo: &Topology) -> Result<Scenario, LoadError> {
    let text = std::fs::read_to_string(path).map_err(|e| LoadError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(parse(&path.display().to_string(), &text, topo)?)
}

#[cfg(test)]
mod tests;
