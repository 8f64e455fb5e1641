//! Which way traffic goes: over ExpressRoute, over the VPN, or unknown.
//!
//! Nothing in a route or a traceroute says "ExpressRoute" by itself; the
//! operator's topology does (which next hops are the CE routers, which AS is
//! Microsoft's, which hop is the MSEE). A [`PathClassifier`] holds those
//! facts, from the runbook's variables, and applies fixed, documented rules.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::table::{NextHop, RouteView};
use super::trace::Trace;

/// The way a path or a trace goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PathKind {
    ExpressRoute,
    Vpn,
    Unknown,
}

impl PathKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PathKind::ExpressRoute => "expressroute",
            PathKind::Vpn => "vpn",
            PathKind::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for PathKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The topology facts that tell ExpressRoute from VPN paths.
///
/// Interface patterns are exact names (`reth1.11`) or a prefix followed by
/// `*` (`st0.*`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PathClassifier {
    /// Next hops and BGP peers on the ExpressRoute side (the CE routers'
    /// addresses as the firewall sees them, the MSEE addresses as a CE sees
    /// them).
    pub er_next_hops: Vec<IpAddr>,
    /// Next hops and BGP peers on the VPN side (the VPN gateway's BGP
    /// addresses, or the on-prem VPN peer as Azure sees it).
    pub vpn_next_hops: Vec<IpAddr>,
    pub er_interfaces: Vec<String>,
    pub vpn_interfaces: Vec<String>,
    /// AS numbers whose presence anywhere in an AS path marks the path as
    /// having crossed ExpressRoute (Microsoft's 12076).
    pub er_as_markers: Vec<u32>,
    /// The VPN gateway's AS (65515): a path whose first AS is one of these,
    /// and that carries no ExpressRoute marker, came over the VPN. The
    /// ExpressRoute gateway uses the same AS, but its routes reach on-prem
    /// behind 12076, so the marker check comes first.
    pub vpn_neighbor_as: Vec<u32>,
    /// Trace hops that prove ExpressRoute (the MSEE interfaces).
    pub er_trace_hops: Vec<IpAddr>,
    /// Trace hops that prove the VPN (the VPN gateway's addresses).
    pub vpn_trace_hops: Vec<IpAddr>,
}

/// The parts of a path the classifier looks at, from whatever source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PathFacts<'a> {
    pub next_hops: Option<&'a [NextHop]>,
    pub learned_from: Option<IpAddr>,
    pub as_path: Option<&'a [u32]>,
}

impl<'t> From<RouteView<'t>> for PathFacts<'t> {
    fn from(v: RouteView<'t>) -> Self {
        Self {
            next_hops: v.next_hops(),
            learned_from: v.learned_from(),
            as_path: v.as_path(),
        }
    }
}

/// What decided a route's kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Evidence {
    NextHop {
        addr: IpAddr,
    },
    Interface {
        name: String,
    },
    /// Next hops point both ways (ECMP over ExpressRoute and the VPN).
    MixedNextHops,
    LearnedFrom {
        addr: IpAddr,
    },
    AsPathMarker {
        asn: u32,
    },
    NeighborAs {
        asn: u32,
    },
    Nothing,
}

/// A route's kind and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RouteClass {
    pub kind: PathKind,
    pub evidence: Evidence,
}

/// A trace's kind and what it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceClass {
    pub kind: PathKind,
    /// The target answered.
    pub reached: bool,
    /// Hops that prove ExpressRoute, in order.
    pub er_hops: Vec<IpAddr>,
    /// Hops that prove the VPN, in order.
    pub vpn_hops: Vec<IpAddr>,
    /// True when the kind is VPN only because no ExpressRoute hop showed up
    /// (the article's own reading of its after-failover trace).
    pub inferred: bool,
}

fn iface_matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(head) => name.starts_with(head),
        None => pattern == name,
    }
}

impl PathClassifier {
    /// The kind of a route of a table.
    pub fn classify_route(&self, route: RouteView<'_>) -> PathKind {
        self.classify(route.into())
    }

    /// The kind of a path. Rules, first match wins:
    ///
    /// 1. Next hops (where the traffic is handed over): a next hop whose
    ///    address or interface is on one side decides; next hops on both
    ///    sides give `Unknown`.
    /// 2. The peer the path was learned from, against the same address sets.
    /// 3. The AS path: an ExpressRoute marker anywhere gives ExpressRoute;
    ///    else a first AS in `vpn_neighbor_as` gives VPN.
    /// 4. Otherwise `Unknown` (static routes, connected networks, ...).
    pub fn classify(&self, facts: PathFacts<'_>) -> PathKind {
        self.explain(facts).kind
    }

    /// [`Self::classify`] with the evidence that decided it.
    pub fn explain(&self, facts: PathFacts<'_>) -> RouteClass {
        let class = |kind, evidence| RouteClass { kind, evidence };
        let mut er: Option<Evidence> = None;
        let mut vpn: Option<Evidence> = None;
        for hop in facts.next_hops.unwrap_or(&[]) {
            if er.is_none() {
                er = self.hop_evidence(hop, &self.er_next_hops, &self.er_interfaces);
            }
            if vpn.is_none() {
                vpn = self.hop_evidence(hop, &self.vpn_next_hops, &self.vpn_interfaces);
            }
        }
        match (er, vpn) {
            (Some(_), Some(_)) => return class(PathKind::Unknown, Evidence::MixedNextHops),
            (Some(e), None) => return class(PathKind::ExpressRoute, e),
            (None, Some(e)) => return class(PathKind::Vpn, e),
            (None, None) => {}
        }
        if let Some(addr) = facts.learned_from {
            if self.er_next_hops.contains(&addr) {
                return class(PathKind::ExpressRoute, Evidence::LearnedFrom { addr });
            }
            if self.vpn_next_hops.contains(&addr) {
                return class(PathKind::Vpn, Evidence::LearnedFrom { addr });
            }
        }
        if let Some(path) = facts.as_path {
            if let Some(&asn) = path.iter().find(|a| self.er_as_markers.contains(a)) {
                return class(PathKind::ExpressRoute, Evidence::AsPathMarker { asn });
            }
            if let Some(&asn) = path.first().filter(|a| self.vpn_neighbor_as.contains(a)) {
                return class(PathKind::Vpn, Evidence::NeighborAs { asn });
            }
        }
        class(PathKind::Unknown, Evidence::Nothing)
    }

    fn hop_evidence(&self, hop: &NextHop, addrs: &[IpAddr], ifaces: &[String]) -> Option<Evidence> {
        if let Some(a) = hop.addr.filter(|a| addrs.contains(a)) {
            return Some(Evidence::NextHop { addr: a });
        }
        let name = hop.interface.as_deref()?;
        ifaces
            .iter()
            .any(|p| iface_matches(p, name))
            .then(|| Evidence::Interface {
                name: name.to_string(),
            })
    }

    /// The kind of a traceroute.
    pub fn classify_trace(&self, trace: &Trace) -> PathKind {
        self.explain_trace(trace).kind
    }

    /// [`Self::classify_trace`] with what it rests on. Rules:
    ///
    /// 1. A trace that did not reach its target is `Unknown`: it proves no
    ///    path at all, whatever hops it crossed. A trace that names no
    ///    target cannot show that it arrived, so it is `Unknown` too.
    /// 2. Hops of both sides in one trace: `Unknown` (contradictory).
    /// 3. An ExpressRoute hop (an MSEE address): `ExpressRoute`.
    /// 4. A VPN hop (a VPN gateway address): `Vpn`.
    /// 5. Reached, with no hop of either side: `Vpn`, *inferred*, as the
    ///    article reads its after-failover trace; only when ExpressRoute
    ///    hops are configured at all (else nothing tells the two apart).
    pub fn explain_trace(&self, trace: &Trace) -> TraceClass {
        let target = trace.target.as_deref().map(str::trim);
        let target_ip: Option<IpAddr> = target.and_then(|t| t.parse().ok());
        let mut reached = false;
        let mut er_hops = Vec::new();
        let mut vpn_hops = Vec::new();
        for hop in &trace.hops {
            for a in &hop.addresses {
                let a = a.trim();
                let ip: Option<IpAddr> = a.parse().ok();
                let is_target = match (ip, target_ip) {
                    (Some(x), Some(t)) => x == t,
                    _ => target.is_some_and(|t| !t.is_empty() && t.eq_ignore_ascii_case(a)),
                };
                if is_target {
                    reached = true;
                    continue;
                }
                if let Some(ip) = ip {
                    if self.er_trace_hops.contains(&ip) && !er_hops.contains(&ip) {
                        er_hops.push(ip);
                    }
                    if self.vpn_trace_hops.contains(&ip) && !vpn_hops.contains(&ip) {
                        vpn_hops.push(ip);
                    }
                }
            }
        }
        let mut inferred = false;
        let kind = if !reached {
            PathKind::Unknown
        } else {
            match (er_hops.is_empty(), vpn_hops.is_empty()) {
                (false, false) => PathKind::Unknown,
                (false, true) => PathKind::ExpressRoute,
                (true, false) => PathKind::Vpn,
                (true, true) if !self.er_trace_hops.is_empty() => {
                    inferred = true;
                    PathKind::Vpn
                }
                (true, true) => PathKind::Unknown,
            }
        };
        TraceClass {
            kind,
            reached,
            er_hops,
            vpn_hops,
            inferred,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::trace::Hop;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn classifier() -> PathClassifier {
        PathClassifier {
            er_next_hops: vec![ip("192.168.11.0"), ip("192.168.11.2"), ip("2001:db8:11::2")],
            vpn_next_hops: vec![ip("10.17.11.76"), ip("10.17.11.77")],
            er_interfaces: vec!["reth1.11".into(), "reth2.11".into()],
            vpn_interfaces: vec!["st0.*".into()],
            er_as_markers: vec![12076],
            vpn_neighbor_as: vec![65515],
            er_trace_hops: vec![ip("192.168.11.18"), ip("192.168.11.22")],
            vpn_trace_hops: vec![ip("10.17.11.76")],
        }
    }

    fn hop(ttl: u8, addrs: &[&str]) -> Hop {
        Hop {
            ttl,
            addresses: addrs.iter().map(|s| s.to_string()).collect(),
            rtts_ms: vec![1.0; addrs.len()],
            timeout: addrs.is_empty(),
        }
    }

    #[test]
    fn serde_names() {
        let json =
            serde_json::to_string(&[PathKind::ExpressRoute, PathKind::Vpn, PathKind::Unknown])
                .expect("serialize");
        assert_eq!(json, r#"["expressroute","vpn","unknown"]"#);
        let back: PathKind = serde_json::from_str(r#""vpn""#).expect("deserialize");
        assert_eq!(back, PathKind::Vpn);
    }

    #[test]
    fn next_hop_beats_as_path() {
        let c = classifier();
        let hops = [NextHop::addr(ip("10.17.11.76"))];
        let f = PathFacts {
            next_hops: Some(&hops),
            learned_from: None,
            as_path: Some(&[12076]),
        };
        assert_eq!(c.explain(f).kind, PathKind::Vpn);
        assert_eq!(
            c.explain(f).evidence,
            Evidence::NextHop {
                addr: ip("10.17.11.76")
            }
        );
    }

    #[test]
    fn interface_pattern_and_exact_name() {
        let c = classifier();
        let st = [NextHop::interface("st0.119")];
        assert_eq!(
            c.classify(PathFacts {
                next_hops: Some(&st),
                ..Default::default()
            }),
            PathKind::Vpn
        );
        let reth = [NextHop::interface("reth1.11")];
        assert_eq!(
            c.classify(PathFacts {
                next_hops: Some(&reth),
                ..Default::default()
            }),
            PathKind::ExpressRoute
        );
        let other = [NextHop::interface("reth1.110")];
        assert_eq!(
            c.classify(PathFacts {
                next_hops: Some(&other),
                ..Default::default()
            }),
            PathKind::Unknown
        );
    }

    #[test]
    fn mixed_next_hops_are_unknown() {
        let c = classifier();
        let hops = [
            NextHop::addr(ip("192.168.11.0")),
            NextHop::interface("st0.118"),
        ];
        let f = PathFacts {
            next_hops: Some(&hops),
            ..Default::default()
        };
        assert_eq!(c.explain(f).evidence, Evidence::MixedNextHops);
        assert_eq!(c.classify(f), PathKind::Unknown);
    }

    #[test]
    fn learned_from_then_as_path() {
        let c = classifier();
        let f = PathFacts {
            next_hops: Some(&[]),
            learned_from: Some(ip("10.17.11.77")),
            as_path: Some(&[]),
        };
        assert_eq!(c.classify(f), PathKind::Vpn);
        let f = PathFacts {
            as_path: Some(&[65515, 12076]),
            ..Default::default()
        };
        assert_eq!(c.classify(f), PathKind::ExpressRoute);
        let f = PathFacts {
            as_path: Some(&[65515]),
            ..Default::default()
        };
        assert_eq!(c.classify(f), PathKind::Vpn);
        let f = PathFacts {
            as_path: Some(&[65020, 65515]),
            ..Default::default()
        };
        assert_eq!(c.classify(f), PathKind::Unknown);
        assert_eq!(c.classify(PathFacts::default()), PathKind::Unknown);
    }

    #[test]
    fn ipv6_next_hop() {
        let c = classifier();
        let hops = [NextHop::addr(ip("2001:db8:11::2"))];
        assert_eq!(
            c.classify(PathFacts {
                next_hops: Some(&hops),
                ..Default::default()
            }),
            PathKind::ExpressRoute
        );
    }

    #[test]
    fn trace_rules() {
        let c = classifier();
        let target = Some("10.17.11.132".to_string());
        let er = Trace {
            target: target.clone(),
            hops: vec![
                hop(1, &["10.1.11.1"]),
                hop(2, &["192.168.11.22"]),
                hop(3, &["10.17.11.132"]),
            ],
        };
        assert_eq!(c.classify_trace(&er), PathKind::ExpressRoute);

        let not_reached = Trace {
            target: target.clone(),
            hops: vec![hop(1, &["10.1.11.1"]), hop(2, &[])],
        };
        let class = c.explain_trace(&not_reached);
        assert_eq!((class.kind, class.reached), (PathKind::Unknown, false));

        let er_not_reached = Trace {
            target: target.clone(),
            hops: vec![hop(1, &["192.168.11.18"]), hop(2, &[])],
        };
        assert_eq!(c.classify_trace(&er_not_reached), PathKind::Unknown);

        let via_gw = Trace {
            target: target.clone(),
            hops: vec![hop(1, &["10.17.11.76"]), hop(2, &["10.17.11.132"])],
        };
        let class = c.explain_trace(&via_gw);
        assert_eq!((class.kind, class.inferred), (PathKind::Vpn, false));

        let both = Trace {
            target: target.clone(),
            hops: vec![
                hop(1, &["10.17.11.76", "192.168.11.18"]),
                hop(2, &["10.17.11.132"]),
            ],
        };
        assert_eq!(c.classify_trace(&both), PathKind::Unknown);

        let no_target = Trace {
            target: None,
            hops: vec![hop(1, &["10.1.11.1"])],
        };
        assert_eq!(c.classify_trace(&no_target), PathKind::Unknown);

        let silent = Trace {
            target: target.clone(),
            hops: vec![hop(1, &[]), hop(2, &["10.17.11.132"])],
        };
        let class = c.explain_trace(&silent);
        assert_eq!((class.kind, class.inferred), (PathKind::Vpn, true));

        let unconfigured = PathClassifier::default();
        assert_eq!(unconfigured.classify_trace(&silent), PathKind::Unknown);
    }

    #[test]
    fn trace_target_by_name_and_ipv6() {
        let c = PathClassifier {
            er_trace_hops: vec![ip("2001:db8::18")],
            ..Default::default()
        };
        let t = Trace {
            target: Some("2001:DB8::132".into()),
            hops: vec![hop(1, &["2001:db8::18"]), hop(2, &["2001:db8::132"])],
        };
        assert_eq!(c.classify_trace(&t), PathKind::ExpressRoute);
        let named = Trace {
            target: Some("vm1".into()),
            hops: vec![hop(1, &["VM1"])],
        };
        let class = c.explain_trace(&named);
        assert!(class.reached);
        assert_eq!(class.kind, PathKind::Vpn);
    }

    #[test]
    fn deserializes_from_toml() {
        let c: PathClassifier = toml::from_str(
            r#"
            er_next_hops = ["192.168.11.0"]
            vpn_interfaces = ["st0.*"]
            er_as_markers = [12076]
            "#,
        )
        .expect("toml");
        assert_eq!(c.er_next_hops, vec![ip("192.168.11.0")]);
        assert!(c.vpn_next_hops.is_empty());
    }
}
