//! What the tables say and predict: the active path per prefix and its kind,
//! what takes over when ExpressRoute is withdrawn, and the faults that would
//! make the failover or the way back go wrong.
//!
//! # Path selection
//!
//! Where the analysis has to pick a path itself (the device's choice is gone
//! because ExpressRoute was withdrawn), it follows the Junos order as far as
//! the captured data allows, [`compare_paths`]:
//!
//! 1. lower route preference (`[BGP/170]`); a path showing none loses to one
//!    that shows one;
//! 2. higher local-pref; a path showing none counts as Junos' default 100;
//! 3. shorter AS path (no AS path shown counts as empty);
//! 4. lower origin (IGP, EGP, incomplete); unknown counts as IGP (the brief
//!    and detail outputs drop the origin letter, so this rarely decides);
//! 5. lower MED, only between paths from the same neighbour AS, missing
//!    MED counting as 0 (the Junos default);
//! 6. eBGP over iBGP, where both are known;
//! 7. the IGP metric to the next hop is not in the data: skipped;
//! 8. lowest router ID is not in the data either: the peer address (`from`)
//!    stands in, then the lowest next-hop address;
//! 9. still equal: the path listed first wins.
//!
//! Steps 5 to 8 compare only when both paths carry the datum, so the order
//! is not total; [`best_path`] scans in listed order and keeps the current
//! best unless a later path is strictly better, which is deterministic.

mod azure;
mod prefix_paths;
mod selection;
mod warnings;
mod withdrawal;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::path::{PathClassifier, PathKind};
use super::prefix::Prefix;
use super::table::{NextHop, Route, RouteTable, RouteView};

pub use azure::{AzurePrediction, AzurePrefix, TaggedRoute, predict_azure};
pub use prefix_paths::{PrefixPaths, active_paths, prefix_paths};
pub use selection::{best_path, compare_paths};
pub use warnings::{Warning, WarningKind, check_table};
pub use withdrawal::{ErWithdrawal, PrefixPrediction, predict_er_withdrawal};

/// Junos' local-preference when none is set.
pub const DEFAULT_LOCAL_PREF: u32 = 100;

/// One path, resolved and owned, for reports and the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathView {
    pub kind: PathKind,
    /// Lower-case protocol name; empty where the output shows none.
    pub protocol: String,
    pub active: bool,
    pub preference: Option<u32>,
    pub local_pref: Option<u32>,
    pub med: Option<u32>,
    pub as_path: Option<Vec<u32>>,
    /// `None` when the next hop is not pinned (`Self`).
    pub next_hops: Option<Vec<NextHop>>,
    pub learned_from: Option<IpAddr>,
}

impl PathView {
    pub fn of(route: RouteView<'_>, classifier: &PathClassifier) -> Self {
        Self::with_kind(route, classifier.classify_route(route))
    }

    fn with_kind(route: RouteView<'_>, kind: PathKind) -> Self {
        Self {
            kind,
            protocol: route.protocol_name().to_string(),
            active: route.active(),
            preference: route.preference(),
            local_pref: route.local_pref(),
            med: route.med(),
            as_path: route.as_path().map(<[u32]>::to_vec),
            next_hops: route.next_hops().map(<[NextHop]>::to_vec),
            learned_from: route.learned_from(),
        }
    }

    /// A short human description: `bgp lp150 [12076] via 192.168.11.0`.
    pub fn describe(&self) -> String {
        let mut s = if self.protocol.is_empty() {
            "route".to_string()
        } else {
            self.protocol.clone()
        };
        if let Some(lp) = self.local_pref {
            s.push_str(&format!(" lp{lp}"));
        }
        if let Some(p) = &self.as_path {
            let asns: Vec<String> = p.iter().map(u32::to_string).collect();
            s.push_str(&format!(" [{}]", asns.join(" ")));
        }
        match &self.next_hops {
            None => s.push_str(" via self"),
            Some(hops) => {
                for h in hops {
                    match (&h.addr, &h.interface) {
                        (Some(a), Some(i)) => s.push_str(&format!(" via {a} ({i})")),
                        (Some(a), None) => s.push_str(&format!(" via {a}")),
                        (None, Some(i)) => s.push_str(&format!(" via {i}")),
                        (None, None) => {}
                    }
                }
            }
        }
        if let Some(f) = self.learned_from {
            s.push_str(&format!(" from {f}"));
        }
        s
    }
}

/// What happens to one prefix's traffic.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// The selected path is not ExpressRoute: nothing moves.
    Unchanged,
    /// Another path of the same prefix takes over.
    TakesOver { path: PathView },
    /// The prefix loses every path; a less specific prefix still has one and
    /// carries the traffic (check that it goes where it should).
    CoveredBy { prefix: Prefix, path: PathView },
    /// Nothing is left for these addresses.
    Blackholed,
}

impl Outcome {
    /// The kind of the path traffic takes afterwards; `None` when unchanged
    /// or blackholed.
    pub fn kind(&self) -> Option<PathKind> {
        match self {
            Outcome::TakesOver { path } | Outcome::CoveredBy { path, .. } => Some(path.kind),
            Outcome::Unchanged | Outcome::Blackholed => None,
        }
    }
}

/// Every path's kind, in table order, computed once per analysis.
fn kinds_of(table: &RouteTable, classifier: &PathClassifier) -> Vec<PathKind> {
    table
        .views()
        .map(|v| classifier.classify_route(v))
        .collect()
}

/// Each prefix with its paths and their kinds.
fn groups<'t>(
    table: &'t RouteTable,
    kinds: &'t [PathKind],
) -> impl Iterator<Item = (Prefix, &'t [Route], &'t [PathKind])> {
    let mut offset = 0usize;
    table.prefixes().map(move |(p, paths)| {
        let end = offset + paths.len();
        let k = kinds.get(offset..end).unwrap_or(&[]);
        offset = end;
        (p, paths, k)
    })
}

#[cfg(test)]
mod tests;
