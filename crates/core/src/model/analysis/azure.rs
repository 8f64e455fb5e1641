use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::{Outcome, PathView, Warning, WarningKind};
use crate::model::path::PathKind;
use crate::model::prefix::Prefix;
use crate::model::table::{NextHop, covering};

/// A route an Azure gateway learned, tagged with the way it came.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaggedRoute {
    pub prefix: Prefix,
    pub kind: PathKind,
    pub next_hop: Option<IpAddr>,
    pub as_path: Vec<u32>,
}

impl TaggedRoute {
    fn view(&self) -> PathView {
        PathView {
            kind: self.kind,
            protocol: "bgp".to_string(),
            active: false,
            preference: None,
            local_pref: None,
            med: None,
            as_path: Some(self.as_path.clone()),
            next_hops: Some(self.next_hop.map(NextHop::addr).into_iter().collect()),
            learned_from: None,
        }
    }
}

/// One on-prem prefix as Azure would route it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzurePrefix {
    pub prefix: Prefix,
    /// The way Azure sends traffic now: ExpressRoute when the prefix is
    /// learned over it at all.
    pub before: PathKind,
    pub outcome: Outcome,
}

/// Azure's side of the failover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AzurePrediction {
    /// Every prefix learned over ExpressRoute or the VPN, in prefix order.
    pub prefixes: Vec<AzurePrefix>,
    pub warnings: Vec<Warning>,
    /// Routes tagged `Unknown` (the VNet's own ranges, other peerings):
    /// not part of the ExpressRoute/VPN choice.
    pub ignored: usize,
}

impl AzurePrediction {
    pub fn get(&self, prefix: &Prefix) -> Option<&AzurePrefix> {
        self.prefixes
            .binary_search_by(|p| p.prefix.cmp(prefix))
            .ok()
            .and_then(|i| self.prefixes.get(i))
    }

    pub fn blackholed(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.prefixes
            .iter()
            .filter(|p| p.outcome == Outcome::Blackholed)
            .map(|p| p.prefix)
    }
}

/// Predicts Azure's side from the routes its gateways learned. Azure picks
/// the longest matching prefix first, and between equal prefixes prefers
/// ExpressRoute over the VPN whatever the AS path; so withdrawing
/// ExpressRoute moves a prefix to its own VPN route, else to the longest
/// less specific prefix still learned over the VPN, else nowhere. A prefix
/// learned only over the VPN inside one learned over ExpressRoute is the
/// `vpn-more-specific` fault: Azure sends that range over the VPN already.
pub fn predict_azure(routes: &[TaggedRoute]) -> AzurePrediction {
    #[derive(Default)]
    struct Entry<'r> {
        er: bool,
        vpn: Option<&'r TaggedRoute>,
    }
    let mut by_prefix: BTreeMap<Prefix, Entry<'_>> = BTreeMap::new();
    let mut ignored = 0;
    for r in routes {
        match r.kind {
            PathKind::ExpressRoute => by_prefix.entry(r.prefix).or_default().er = true,
            PathKind::Vpn => {
                let e = by_prefix.entry(r.prefix).or_default();
                if e.vpn.is_none() {
                    e.vpn = Some(r);
                }
            }
            PathKind::Unknown => ignored += 1,
        }
    }
    let mut out = AzurePrediction {
        prefixes: Vec::new(),
        warnings: Vec::new(),
        ignored,
    };
    for (prefix, e) in &by_prefix {
        let before = if e.er {
            PathKind::ExpressRoute
        } else {
            PathKind::Vpn
        };
        let outcome = if !e.er {
            Outcome::Unchanged
        } else if let Some(v) = e.vpn {
            Outcome::TakesOver { path: v.view() }
        } else {
            covering(*prefix, false)
                .find_map(|c| by_prefix.get(&c).and_then(|ce| ce.vpn).map(|v| (c, v)))
                .map_or(Outcome::Blackholed, |(c, v)| Outcome::CoveredBy {
                    prefix: c,
                    path: v.view(),
                })
        };
        let er_cover = if e.er {
            None
        } else {
            covering(*prefix, false).find(|c| by_prefix.get(c).is_some_and(|ce| ce.er))
        };
        if let Some(c) = er_cover {
            out.warnings.push(Warning {
                kind: WarningKind::VpnMoreSpecific,
                prefix: *prefix,
                related: Some(c),
                message: format!(
                    "Azure learns {prefix} over the VPN only, inside {c} learned over ExpressRoute: \
                     Azure sends that range over the VPN even with ExpressRoute up"
                ),
            });
        }
        out.prefixes.push(AzurePrefix {
            prefix: *prefix,
            before,
            outcome,
        });
    }
    out
}
