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
//! provisioning_s = 3                 # ARM `Updating` after an accepted PUT
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
//! [[arm.peering_put]]                # errors for the next peering PUTs, in order
//! status = 429
//! code = "RetryableErrorDueToAnotherOperation"
//! retry_after_s = 5                  # optional; `message` optional too
//!
//! [data_plane]
//! drop = ["vpn"]                     # or "expressroute": traffic lost, BGP intact
//! ```
//!
//! Unknown keys and bad values are errors naming `file:line:col`.

use std::net::Ipv4Addr;
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::topology::{Node, OriginKind, Topology};
use cutover_core::model::Prefix;

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
    /// How long ARM reports `Updating` after an accepted PUT.
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
            provisioning: Duration::from_secs(3),
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

/// An error ARM answers to a peering PUT before it accepts one.
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
    /// Errors for the next peering PUTs, in order.
    pub peering_put_errors: Vec<ArmFault>,
    pub drop: Vec<Carriage>,
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
            drop: vec![],
        }
    }
}

// --- the file format -------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: Spanned<String>,
    description: Spanned<String>,
    #[serde(default)]
    timing: RawTiming,
    #[serde(default)]
    session: Vec<RawSession>,
    #[serde(default)]
    export: Vec<RawExport>,
    #[serde(default, rename = "static")]
    statics: Vec<RawStatic>,
    #[serde(default)]
    tunnel: Vec<RawTunnel>,
    #[serde(default)]
    arm: RawArm,
    #[serde(default)]
    data_plane: RawDataPlane,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTiming {
    bfd: Option<bool>,
    bfd_interval_ms: Option<Spanned<u64>>,
    bfd_multiplier: Option<Spanned<u32>>,
    hold_time_s: Option<Spanned<u64>>,
    establish_ms: Option<Spanned<u64>>,
    provisioning_s: Option<Spanned<u64>>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "kebab-case")]
enum RawSessionState {
    Down,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSession {
    router: Spanned<String>,
    neighbor: Spanned<String>,
    state: RawSessionState,
    #[serde(default)]
    down_for_s: Option<u64>,
}

/// `local_preference = 150` or `local_preference = "unset"`.
#[derive(Debug, Clone, Copy)]
struct RawLocalPref(LocalPref);

impl<'de> Deserialize<'de> for RawLocalPref {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = RawLocalPref;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a local preference (0 to 4294967295) or \"unset\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u32::try_from(v)
                    .map(|v| RawLocalPref(LocalPref::Value(v)))
                    .map_err(|_| {
                        E::custom(format!(
                            "local preference {v} is out of range 0..=4294967295"
                        ))
                    })
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u32::try_from(v)
                    .map(|v| RawLocalPref(LocalPref::Value(v)))
                    .map_err(|_| {
                        E::custom(format!(
                            "local preference {v} is out of range 0..=4294967295"
                        ))
                    })
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                if v == "unset" {
                    Ok(RawLocalPref(LocalPref::Unset))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExport {
    router: Spanned<String>,
    neighbor: Spanned<String>,
    #[serde(default)]
    local_preference: Option<RawLocalPref>,
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    advertise: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStatic {
    router: Spanned<String>,
    prefix: Spanned<String>,
    interface: Spanned<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTunnel {
    index: Spanned<usize>,
    state: RawSessionState,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArm {
    #[serde(default)]
    peering_put: Vec<RawArmFault>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArmFault {
    status: Spanned<u16>,
    code: Spanned<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    retry_after_s: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDataPlane {
    #[serde(default)]
    drop: Vec<Carriage>,
}

/// 1-based line and column (in characters) of byte offset `pos`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut pos = pos.min(text.len());
    while !text.is_char_boundary(pos) {
        pos -= 1;
    }
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> ScenarioError {
        let (line, col) = line_col(self.text, span.start);
        ScenarioError {
            file: self.file.to_string(),
            line,
            col,
            message: message.into(),
        }
    }

    /// A prefix where the file wrote it, so that an error points at the
    /// element rather than at its array.
    fn prefix(&self, s: &Spanned<String>) -> Result<Prefix, ScenarioError> {
        s.get_ref()
            .parse::<Prefix>()
            .map_err(|e| self.err(s.span(), e.to_string()))
    }

    fn node(&self, s: &Spanned<String>) -> Result<Node, ScenarioError> {
        s.get_ref()
            .parse::<Node>()
            .map_err(|e| self.err(s.span(), e.to_string()))
    }

    fn session(
        &self,
        topo: &Topology,
        router: &Spanned<String>,
        neighbor: &Spanned<String>,
    ) -> Result<(usize, usize), ScenarioError> {
        let node = self.node(router)?;
        let addr: Ipv4Addr = neighbor.get_ref().parse().map_err(|_| {
            self.err(
                neighbor.span(),
                format!("`{}` is not an IPv4 address", neighbor.get_ref()),
            )
        })?;
        let sid = topo.session_by_neighbor(node, addr).ok_or_else(|| {
            let known: Vec<String> = topo
                .sessions_of(node)
                .filter_map(|(_, s)| s.ends_of(node))
                .map(|(_, p)| p.addr.to_string())
                .collect();
            self.err(
                neighbor.span(),
                format!(
                    "{node} has no BGP neighbor {addr} (its neighbors: {})",
                    known.join(", ")
                ),
            )
        })?;
        let end = usize::from(topo.sessions[sid].ends[0].node != node);
        Ok((sid, end))
    }
}

/// Parses and checks a scenario file against the lab's topology.
pub fn parse(file: &str, text: &str, topo: &Topology) -> Result<Scenario, ScenarioError> {
    let cx = Ctx { file, text };
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        cx.err(span, e.message().trim_end().to_string())
    })?;

    let name = raw.name.get_ref().trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(cx.err(
            raw.name.span(),
            "a scenario name is lower-case letters, digits and `-`",
        ));
    }
    let description = raw.description.get_ref().trim().to_string();
    if description.is_empty() || description.contains('\n') {
        return Err(cx.err(
            raw.description.span(),
            "the description is one non-empty line",
        ));
    }

    let mut timing = Timing::default();
    if let Some(b) = raw.timing.bfd {
        timing.bfd = b;
    }
    let positive = |v: &Spanned<u64>, what: &str| -> Result<u64, ScenarioError> {
        if *v.get_ref() == 0 {
            Err(cx.err(v.span(), format!("{what} must be greater than 0")))
        } else {
            Ok(*v.get_ref())
        }
    };
    if let Some(v) = &raw.timing.bfd_interval_ms {
        timing.bfd_interval = Duration::from_millis(positive(v, "bfd_interval_ms")?);
    }
    if let Some(v) = &raw.timing.bfd_multiplier {
        if !(1..=255).contains(v.get_ref()) {
            return Err(cx.err(v.span(), "bfd_multiplier must be 1 to 255"));
        }
        timing.bfd_multiplier = *v.get_ref();
    }
    if let Some(v) = &raw.timing.hold_time_s {
        // RFC 4271: zero (no keepalives) or at least three seconds.
        if *v.get_ref() < 3 || *v.get_ref() > 65_535 {
            return Err(cx.err(v.span(), "hold_time_s must be 3 to 65535"));
        }
        timing.hold_time = Duration::from_secs(*v.get_ref());
    }
    if let Some(v) = &raw.timing.establish_ms {
        timing.establish = Duration::from_millis(positive(v, "establish_ms")?);
    }
    if let Some(v) = &raw.timing.provisioning_s {
        timing.provisioning = Duration::from_secs(positive(v, "provisioning_s")?);
    }

    let mut sessions_down = Vec::new();
    for s in &raw.session {
        let RawSessionState::Down = s.state;
        let (sid, _) = cx.session(topo, &s.router, &s.neighbor)?;
        let down_for =
            Duration::from_secs(s.down_for_s.unwrap_or(3 * 86_400 + 5 * 3600 + 17 * 60 + 42));
        if !sessions_down.iter().any(|(x, _)| *x == sid) {
            sessions_down.push((sid, down_for));
        }
    }

    let mut statics = Vec::new();
    for s in &raw.statics {
        let node = cx.node(&s.router)?;
        let r = topo.router(node);
        let Some(i) = r
            .interfaces
            .iter()
            .find(|i| i.name == s.interface.get_ref() && i.instance == r.instance)
        else {
            let known: Vec<&str> = r
                .interfaces
                .iter()
                .filter(|i| i.instance == r.instance)
                .map(|i| i.name)
                .collect();
            return Err(cx.err(
                s.interface.span(),
                format!(
                    "{node} has no interface `{}` in its routing instance (it has: {})",
                    s.interface.get_ref(),
                    known.join(", ")
                ),
            ));
        };
        statics.push(StaticRoute {
            node,
            prefix: cx.prefix(&s.prefix)?,
            interface: i.name,
        });
    }

    let mut exports = Vec::new();
    for e in &raw.export {
        let (sid, end) = cx.session(topo, &e.router, &e.neighbor)?;
        let node = topo.sessions[sid].ends[end].node;
        let r = topo.router(node);
        let own =
            |p: &Prefix| {
                r.interfaces.iter().any(|i| {
                    i.instance.is_some() && i.instance == r.instance && i.subnet() == Some(*p)
                }) || r.originate.iter().any(|o| {
                    o.prefix == *p
                        && matches!(o.kind, OriginKind::Static { .. } | OriginKind::Network)
                }) || statics.iter().any(|s| s.node == node && s.prefix == *p)
            };
        let mut advertise = Vec::new();
        for a in &e.advertise {
            let p = cx.prefix(a)?;
            if !own(&p) {
                return Err(cx.err(
                    a.span(),
                    format!("{node} can only advertise a route of its own; add a [[static]] for {p} first"),
                ));
            }
            advertise.push(p);
        }
        let deny = e
            .deny
            .iter()
            .map(|p| cx.prefix(p))
            .collect::<Result<Vec<_>, _>>()?;
        exports.push(ExportChange {
            session: sid,
            end,
            local_pref: e.local_preference.map(|l| l.0),
            deny,
            advertise,
        });
    }

    let mut tunnels_down = Vec::new();
    for t in &raw.tunnel {
        let RawSessionState::Down = t.state;
        let i = *t.index.get_ref();
        if i >= topo.tunnels.len() {
            return Err(cx.err(
                t.index.span(),
                format!(
                    "tunnel index {i} does not exist (the lab has {} tunnels, from 0)",
                    topo.tunnels.len()
                ),
            ));
        }
        if !tunnels_down.contains(&i) {
            tunnels_down.push(i);
        }
    }

    let mut peering_put_errors = Vec::new();
    for f in &raw.arm.peering_put {
        let st = *f.status.get_ref();
        if !(400..=599).contains(&st) {
            return Err(cx.err(
                f.status.span(),
                format!("status {st} is not an HTTP error (400 to 599)"),
            ));
        }
        let code = f.code.get_ref().trim();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(cx.err(
                f.code.span(),
                "an ARM error code is one word, e.g. AnotherOperationInProgress",
            ));
        }
        peering_put_errors.push(ArmFault {
            status: st,
            code: code.to_string(),
            message: f.message.clone(),
            retry_after_s: f.retry_after_s,
        });
    }

    let mut drop = Vec::new();
    for c in &raw.data_plane.drop {
        if !drop.contains(c) {
            drop.push(*c);
        }
    }

    Ok(Scenario {
        name,
        description,
        timing,
        sessions_down,
        exports,
        statics,
        tunnels_down,
        peering_put_errors,
        drop,
    })
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
mod tests {
    use super::*;

    fn topo() -> Topology {
        Topology::article()
    }

    #[test]
    fn every_builtin_loads_and_is_named_after_its_file() {
        let t = topo();
        let all = builtin(&t).expect("built-in scenarios parse");
        assert_eq!(all.len(), 8);
        for (s, name) in all.iter().zip(builtin_names()) {
            assert_eq!(s.name, name);
            assert!(!s.description.is_empty());
        }
        for want in [
            "baseline",
            "vpn-bgp-down",
            "spoke-not-advertised",
            "vpn-more-specific",
            "ce2-localpref-missing",
            "er-disable-conflict",
            "slow-convergence",
            "stuck-on-vpn",
        ] {
            assert!(load_builtin(want, &t).is_ok(), "{want}");
        }
        assert!(matches!(
            load_builtin("nope", &t),
            Err(LoadError::Unknown { .. })
        ));
    }

    #[test]
    fn each_fault_sits_at_its_layer() {
        let t = topo();
        let get = |n: &str| load_builtin(n, &t).expect("loads");
        assert_eq!(
            get("baseline"),
            Scenario {
                description: get("baseline").description,
                ..Scenario::default()
            }
        );
        let names = |s: &Scenario| {
            s.sessions_down
                .iter()
                .map(|(i, _)| t.sessions[*i].name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&get("vpn-bgp-down")), ["fw-vpngw0", "fw-vpngw1"]);
        let spoke = get("spoke-not-advertised");
        assert!(spoke.exports.iter().all(|e| e.deny == [t.spoke]));
        assert_eq!(spoke.exports.len(), 2);
        let ms = get("vpn-more-specific");
        assert_eq!(ms.statics.len(), 1);
        assert!(
            ms.exports
                .iter()
                .all(|e| e.advertise == [ms.statics[0].prefix])
        );
        let lp = get("ce2-localpref-missing");
        assert_eq!(lp.exports.len(), 1);
        assert_eq!(lp.exports[0].local_pref, Some(LocalPref::Unset));
        assert_eq!(
            t.sessions[lp.exports[0].session].ends[lp.exports[0].end].node,
            Node::Ce2
        );
        let conflict = get("er-disable-conflict");
        let codes: Vec<_> = conflict
            .peering_put_errors
            .iter()
            .map(|f| (f.status, f.code.as_str()))
            .collect();
        assert_eq!(
            codes,
            [
                (409, "AnotherOperationInProgress"),
                (429, "RetryableErrorDueToAnotherOperation")
            ]
        );
        assert!(conflict.peering_put_errors[1].retry_after_s.is_some());
        let slow = get("slow-convergence");
        assert!(!slow.timing.bfd);
        assert_eq!(slow.timing.detection(true), Duration::from_secs(180));
        assert_eq!(
            Timing::default().detection(true),
            Duration::from_millis(900)
        );
        assert_eq!(get("stuck-on-vpn").drop, [Carriage::Vpn]);
    }

    fn err(text: &str) -> ScenarioError {
        parse("x.toml", text, &topo()).expect_err("must fail")
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = err("name = \"a\"\ndescription = \"b\"\nfoo = 1\n");
        assert_eq!((e.file.as_str(), e.line, e.col), ("x.toml", 3, 1), "{e}");
        assert!(e.message.contains("foo"), "{e}");

        let e = err("name = \"a\"\ndescription = \"b\"\n[timing]\nbfd_multiplier = \"three\"\n");
        assert_eq!((e.line, e.col), (4, 18), "{e}");

        let e = err(
            "name = \"a\"\ndescription = \"b\"\n[[session]]\nrouter = \"fw\"\nneighbor = \"10.17.11.99\"\nstate = \"down\"\n",
        );
        assert_eq!((e.line, e.col), (5, 12), "{e}");
        assert!(e.message.contains("10.17.11.76"), "{e}");

        let e = err(
            "name = \"a\"\ndescription = \"b\"\n[[session]]\nrouter = \"fw9\"\nneighbor = \"10.17.11.76\"\nstate = \"down\"\n",
        );
        assert_eq!((e.line, e.col), (4, 10), "{e}");

        let e = err(
            "name = \"a\"\ndescription = \"b\"\n[[session]]\nrouter = \"fw\"\nneighbor = \"10.17.11.76\"\nstate = \"sideways\"\n",
        );
        assert_eq!(e.line, 6, "{e}");

        let e = err(
            "name = \"a\"\ndescription = \"b\"\n[[export]]\nrouter = \"fw\"\nneighbor = \"10.17.11.76\"\ndeny = [\"10.17.11.1/24\"]\n",
        );
        assert_eq!((e.line, e.col), (6, 9), "{e}");

        let e = err(
            "name = \"a\"\ndescription = \"b\"\n[[export]]\nrouter = \"fw\"\nneighbor = \"10.17.11.76\"\nadvertise = [\"10.1.11.0/26\"]\n",
        );
        assert_eq!((e.line, e.col), (6, 14), "{e}");

        let e = err(
            "name = \"a\"\ndescription = \"b\"\n[[arm.peering_put]]\nstatus = 200\ncode = \"X\"\n",
        );
        assert_eq!((e.line, e.col), (4, 10), "{e}");

        let e = err(
            "name = \"a\"\ndescription = \"b\"\n[[export]]\nrouter = \"ce2\"\nneighbor = \"192.168.11.3\"\nlocal_preference = \"none\"\n",
        );
        assert_eq!(e.line, 6, "{e}");

        let e = err("name = \"Bad Name\"\ndescription = \"b\"\n");
        assert_eq!((e.line, e.col), (1, 8), "{e}");

        let e = err("name = \"a\"\n");
        assert!(e.message.contains("description"), "{e}");

        let e =
            err("name = \"a\"\ndescription = \"b\"\n[data_plane]\ndrop = [\"carrier-pigeon\"]\n");
        assert_eq!(e.line, 4, "{e}");
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
        assert_eq!(line_col("ab\ncdé\nx", 6), (2, 3));
        assert_eq!(line_col("", 10), (1, 1));
    }
}
