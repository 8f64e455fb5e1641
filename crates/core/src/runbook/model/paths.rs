//! `[paths]` as data, and the rules built from it that tell the two paths
//! apart in route tables and traces.

use std::net::IpAddr;

use serde::Serialize;

use crate::model::path::{PathClassifier, PathFacts, TraceClass};
use crate::model::table::{NextHop, parsed_next_hops};
use crate::model::{ParsedRoute, Trace};

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
        let mut hops = Vec::new();
        parsed_next_hops(route, &mut hops);
        // A next-hop string that is no address is taken for an interface:
        // some outputs give the interface where the address would be.
        hops.extend(
            route
                .next_hops
                .iter()
                .flatten()
                .filter(|h| h.parse::<IpAddr>().is_err() && !h.contains('%'))
                .map(|h| NextHop::interface(h)),
        );
        self.classifier.classify(PathFacts {
            next_hops: Some(&hops),
            learned_from: route.from().and_then(|f| f.parse().ok()),
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
