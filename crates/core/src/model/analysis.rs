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

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use super::path::{PathClassifier, PathKind};
use super::prefix::Prefix;
use super::table::{NextHop, Origin, PeerType, Route, RouteTable, RouteView, covering};

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

fn origin_rank(o: Option<Origin>) -> u8 {
    match o {
        None | Some(Origin::Igp) => 0,
        Some(Origin::Egp) => 1,
        Some(Origin::Incomplete) => 2,
    }
}

/// Compares only when both sides know the value; lower wins.
fn both_low<T: Ord>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => Ordering::Equal,
    }
}

/// The Junos-like order of the module docs: `Less` when `a` is preferred.
pub fn compare_paths(a: RouteView<'_>, b: RouteView<'_>) -> Ordering {
    let pref = match (a.preference(), b.preference()) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    pref.then_with(|| {
        let lp = |r: &RouteView<'_>| r.local_pref().unwrap_or(DEFAULT_LOCAL_PREF);
        lp(&b).cmp(&lp(&a))
    })
    .then_with(|| {
        let len = |r: &RouteView<'_>| r.as_path().map_or(0, <[u32]>::len);
        len(&a).cmp(&len(&b))
    })
    .then_with(|| origin_rank(a.origin()).cmp(&origin_rank(b.origin())))
    .then_with(|| {
        let neighbor = |r: &RouteView<'_>| r.as_path().and_then(|p| p.first().copied());
        if neighbor(&a) == neighbor(&b) {
            a.med().unwrap_or(0).cmp(&b.med().unwrap_or(0))
        } else {
            Ordering::Equal
        }
    })
    .then_with(|| {
        let ebgp = |t: Option<PeerType>| t.map(|t| t != PeerType::External);
        both_low(ebgp(a.peer_type()), ebgp(b.peer_type()))
    })
    .then_with(|| both_low(a.learned_from(), b.learned_from()))
    .then_with(|| both_low(a.lowest_next_hop(), b.lowest_next_hop()))
}

/// The best of `paths` by [`compare_paths`]; the first listed on a tie.
pub fn best_path<'t, I>(paths: I) -> Option<RouteView<'t>>
where
    I: IntoIterator<Item = RouteView<'t>>,
{
    paths.into_iter().reduce(|best, p| {
        if compare_paths(p, best) == Ordering::Less {
            p
        } else {
            best
        }
    })
}

/// Index, within `paths`, of the path the device selected, or of the best
/// one by [`compare_paths`] when none is marked (a summary listing).
fn selected_index(table: &RouteTable, paths: &[Route]) -> Option<usize> {
    if let Some(i) = paths.iter().position(Route::active) {
        return Some(i);
    }
    best_index(table, paths.iter().enumerate())
}

fn best_index<'t, I>(table: &'t RouteTable, paths: I) -> Option<usize>
where
    I: IntoIterator<Item = (usize, &'t Route)>,
{
    paths
        .into_iter()
        .reduce(|best, p| {
            if compare_paths(table.view(p.1), table.view(best.1)) == Ordering::Less {
                p
            } else {
                best
            }
        })
        .map(|(i, _)| i)
}

/// The paths of one prefix: the selected one and the others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixPaths {
    pub prefix: Prefix,
    /// The path marked active; `None` when the output marks none.
    pub active: Option<PathView>,
    /// The other paths, in listed order.
    pub backups: Vec<PathView>,
}

impl PrefixPaths {
    pub fn active_kind(&self) -> Option<PathKind> {
        self.active.as_ref().map(|p| p.kind)
    }

    pub fn backup_kinds(&self) -> Vec<PathKind> {
        self.backups.iter().map(|p| p.kind).collect()
    }
}

fn prefix_paths_of(
    table: &RouteTable,
    classifier: &PathClassifier,
    prefix: Prefix,
    paths: &[Route],
) -> PrefixPaths {
    let mut out = PrefixPaths {
        prefix,
        active: None,
        backups: Vec::new(),
    };
    for r in paths {
        let v = PathView::of(table.view(r), classifier);
        if r.active() && out.active.is_none() {
            out.active = Some(v);
        } else {
            out.backups.push(v);
        }
    }
    out
}

/// The active path and the backups of every prefix, with their kinds.
pub fn active_paths(table: &RouteTable, classifier: &PathClassifier) -> Vec<PrefixPaths> {
    table
        .prefixes()
        .map(|(p, paths)| prefix_paths_of(table, classifier, p, paths))
        .collect()
}

/// [`active_paths`] for one prefix; `None` when the table does not hold it.
pub fn prefix_paths(
    table: &RouteTable,
    classifier: &PathClassifier,
    prefix: Prefix,
) -> Option<PrefixPaths> {
    let paths = table.paths_for(&prefix);
    (!paths.is_empty()).then(|| prefix_paths_of(table, classifier, prefix, paths))
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

/// The prediction for one prefix that has an ExpressRoute path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrefixPrediction {
    pub prefix: Prefix,
    /// The path selected now (marked active, else the best).
    pub before: Option<PathView>,
    pub outcome: Outcome,
}

impl PrefixPrediction {
    /// The kind traffic takes afterwards.
    pub fn kind_after(&self) -> Option<PathKind> {
        match &self.outcome {
            Outcome::Unchanged => self.before.as_ref().map(|p| p.kind),
            o => o.kind(),
        }
    }
}

/// The faults the analysis recognizes; serialized with the lab scenario's
/// name so that a drill can score what was caught.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum WarningKind {
    /// A prefix learned over the VPN is more specific than an ExpressRoute
    /// prefix covering it: its traffic stays on the VPN after the restore
    /// (Azure and Junos both pick the longest match before anything else).
    #[serde(rename = "vpn-more-specific")]
    VpnMoreSpecific,
    /// An ExpressRoute path's local-pref is not higher than a VPN path's, so
    /// ExpressRoute is not strictly preferred (the CE did not set 150).
    #[serde(rename = "ce2-localpref-missing")]
    LocalPrefNotHigher,
}

/// A fault found in a table or a set of learned routes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub kind: WarningKind,
    pub prefix: Prefix,
    /// The covering ExpressRoute prefix, for `vpn-more-specific`.
    pub related: Option<Prefix>,
    pub message: String,
}

/// What withdrawing every ExpressRoute path would do to a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErWithdrawal {
    pub table: String,
    /// Every prefix with at least one ExpressRoute path, in prefix order.
    pub prefixes: Vec<PrefixPrediction>,
    /// Prefixes with no ExpressRoute path, untouched.
    pub unaffected: usize,
    pub warnings: Vec<Warning>,
}

impl ErWithdrawal {
    pub fn get(&self, prefix: &Prefix) -> Option<&PrefixPrediction> {
        self.prefixes
            .binary_search_by(|p| p.prefix.cmp(prefix))
            .ok()
            .and_then(|i| self.prefixes.get(i))
    }

    /// Prefixes left with no path at all.
    pub fn blackholed(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.prefixes
            .iter()
            .filter(|p| p.outcome == Outcome::Blackholed)
            .map(|p| p.prefix)
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

/// The best path left at `prefix` once ExpressRoute paths are gone.
fn best_remaining<'t>(
    table: &'t RouteTable,
    kinds: &[PathKind],
    prefix: &Prefix,
) -> Option<(usize, &'t Route)> {
    let (start, end) = table.range_of(prefix);
    let paths = table.routes().get(start..end)?;
    let remaining = paths.iter().enumerate().filter(|(i, _)| {
        kinds
            .get(start + i)
            .is_some_and(|k| *k != PathKind::ExpressRoute)
    });
    let i = best_index(table, remaining)?;
    paths.get(i).map(|r| (start + i, r))
}

/// Predicts, for every prefix with an ExpressRoute path, which path takes
/// over when ExpressRoute is withdrawn (every path classified ExpressRoute
/// disappears), which prefixes fall back to a less specific one, and which
/// are left with nothing; plus the faults of [`check_table`].
pub fn predict_er_withdrawal(table: &RouteTable, classifier: &PathClassifier) -> ErWithdrawal {
    let kinds = kinds_of(table, classifier);
    let mut out = ErWithdrawal {
        table: table.name().to_string(),
        prefixes: Vec::new(),
        unaffected: 0,
        warnings: warnings_of(table, &kinds),
    };
    for (prefix, paths, k) in groups(table, &kinds) {
        if !k.contains(&PathKind::ExpressRoute) {
            out.unaffected += 1;
            continue;
        }
        let sel = selected_index(table, paths);
        let before =
            sel.and_then(|i| Some(PathView::with_kind(table.view(paths.get(i)?), *k.get(i)?)));
        let outcome = if before
            .as_ref()
            .is_some_and(|b| b.kind != PathKind::ExpressRoute)
        {
            Outcome::Unchanged
        } else if let Some((i, r)) = best_remaining(table, &kinds, &prefix) {
            Outcome::TakesOver {
                path: view_at(table, &kinds, i, r),
            }
        } else {
            covering(prefix, false)
                .find_map(|c| best_remaining(table, &kinds, &c).map(|(i, r)| (c, i, r)))
                .map_or(Outcome::Blackholed, |(c, i, r)| Outcome::CoveredBy {
                    prefix: c,
                    path: view_at(table, &kinds, i, r),
                })
        };
        out.prefixes.push(PrefixPrediction {
            prefix,
            before,
            outcome,
        });
    }
    out
}

fn view_at(table: &RouteTable, kinds: &[PathKind], i: usize, r: &Route) -> PathView {
    PathView::with_kind(
        table.view(r),
        kinds.get(i).copied().unwrap_or(PathKind::Unknown),
    )
}

/// The faults a table shows with ExpressRoute up: `vpn-more-specific` and
/// `ce2-localpref-missing` (see [`WarningKind`]).
pub fn check_table(table: &RouteTable, classifier: &PathClassifier) -> Vec<Warning> {
    warnings_of(table, &kinds_of(table, classifier))
}

fn warnings_of(table: &RouteTable, kinds: &[PathKind]) -> Vec<Warning> {
    let mut out = Vec::new();
    for (prefix, paths, k) in groups(table, kinds) {
        // More specific over the VPN: the selected path is a VPN path the
        // device learned (a static /32 to the gateway's BGP address via the
        // tunnel is there by design, not a fault).
        let sel = selected_index(table, paths);
        let vpn_selected = sel.is_some_and(|i| {
            k.get(i) == Some(&PathKind::Vpn)
                && paths.get(i).is_some_and(|r| r.protocol().is_learned())
        });
        if vpn_selected {
            let er_cover = covering(prefix, false).find(|c| {
                let (s, e) = table.range_of(c);
                kinds
                    .get(s..e)
                    .is_some_and(|ks| ks.contains(&PathKind::ExpressRoute))
            });
            if let Some(c) = er_cover {
                out.push(Warning {
                    kind: WarningKind::VpnMoreSpecific,
                    prefix,
                    related: Some(c),
                    message: format!(
                        "{prefix} is learned over the VPN and is more specific than the ExpressRoute prefix {c}: \
                         its traffic stays on the VPN even with ExpressRoute up"
                    ),
                });
            }
        }
        if let Some(w) = local_pref_warning(table, prefix, paths, k) {
            out.push(w);
        }
    }
    out
}

/// Flags a prefix whose worst ExpressRoute path does not beat its best VPN
/// path on local-pref at equal route preference. Only shown values count:
/// a summary listing with blank local-prefs proves nothing either way.
fn local_pref_warning(
    table: &RouteTable,
    prefix: Prefix,
    paths: &[Route],
    kinds: &[PathKind],
) -> Option<Warning> {
    let of_kind = |want: PathKind| {
        paths
            .iter()
            .zip(kinds)
            .filter(move |(_, k)| **k == want)
            .filter_map(|(r, _)| Some((r, r.local_pref()?)))
    };
    let mut worst: Option<(&Route, u32, &Route, u32)> = None;
    for (e, elp) in of_kind(PathKind::ExpressRoute) {
        for (v, vlp) in of_kind(PathKind::Vpn) {
            if e.preference() != v.preference() || elp > vlp {
                continue;
            }
            if worst.is_none_or(|(_, w, _, wv)| elp < w || (elp == w && vlp > wv)) {
                worst = Some((e, elp, v, vlp));
            }
        }
    }
    let (e, elp, v, vlp) = worst?;
    let er = PathView::with_kind(table.view(e), PathKind::ExpressRoute).describe();
    let vpn = PathView::with_kind(table.view(v), PathKind::Vpn).describe();
    let rel = if elp == vlp { "equal to" } else { "lower than" };
    Some(Warning {
        kind: WarningKind::LocalPrefNotHigher,
        prefix,
        related: None,
        message: format!(
            "{prefix}: ExpressRoute path ({er}) has local-pref {elp}, {rel} the VPN path's ({vpn}) {vlp}: \
             ExpressRoute is not strictly preferred"
        ),
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::table::RouteSource;

    fn p(s: &str) -> Prefix {
        s.parse().expect("prefix")
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("address")
    }

    fn classifier() -> PathClassifier {
        PathClassifier {
            er_next_hops: vec![ip("192.168.11.0"), ip("2001:db8:11::")],
            vpn_next_hops: vec![ip("10.17.11.76"), ip("2001:db8:76::1")],
            er_as_markers: vec![12076],
            vpn_neighbor_as: vec![65515],
            ..PathClassifier::default()
        }
    }

    fn bgp(prefix: &str, lp: u32, path: &'static [u32]) -> RouteSource<'static> {
        RouteSource {
            protocol: Some("bgp"),
            preference: Some(170),
            local_pref: Some(lp),
            as_path: Some(path),
            ..RouteSource::new(p(prefix))
        }
    }

    fn order(a: RouteSource<'_>, b: RouteSource<'_>) -> Ordering {
        let t = RouteTable::from_sources("t", [a, b]).expect("table");
        let [x, y] = t.routes() else {
            panic!("two routes")
        };
        compare_paths(t.view(x), t.view(y))
    }

    #[test]
    fn junos_order_steps() {
        let base = bgp("10.0.0.0/8", 100, &[65001]);
        assert_eq!(
            order(
                RouteSource {
                    preference: Some(5),
                    ..base
                },
                base
            ),
            Ordering::Less
        );
        assert_eq!(
            order(
                RouteSource {
                    preference: None,
                    ..base
                },
                base
            ),
            Ordering::Greater
        );
        assert_eq!(
            order(
                RouteSource {
                    local_pref: Some(150),
                    ..base
                },
                base
            ),
            Ordering::Less
        );
        // No local-pref shown counts as the default 100.
        assert_eq!(
            order(
                RouteSource {
                    local_pref: None,
                    ..base
                },
                base
            ),
            Ordering::Equal
        );
        assert_eq!(
            order(
                RouteSource {
                    as_path: Some(&[65001, 65002]),
                    ..base
                },
                base
            ),
            Ordering::Greater
        );
        assert_eq!(
            order(
                RouteSource {
                    origin: Some(Origin::Incomplete),
                    ..base
                },
                base
            ),
            Ordering::Greater
        );
        assert_eq!(
            order(
                RouteSource {
                    med: Some(10),
                    ..base
                },
                RouteSource {
                    med: Some(20),
                    ..base
                }
            ),
            Ordering::Less
        );
        // MED compares only between paths from the same neighbour AS.
        assert_eq!(
            order(
                RouteSource {
                    med: Some(10),
                    ..base
                },
                RouteSource {
                    med: Some(20),
                    as_path: Some(&[65002]),
                    ..base
                }
            ),
            Ordering::Equal
        );
        assert_eq!(
            order(
                RouteSource {
                    peer_type: Some(PeerType::Internal),
                    ..base
                },
                RouteSource {
                    peer_type: Some(PeerType::External),
                    ..base
                }
            ),
            Ordering::Greater
        );
        assert_eq!(
            order(
                RouteSource {
                    learned_from: Some(ip("10.0.0.2")),
                    ..base
                },
                RouteSource {
                    learned_from: Some(ip("10.0.0.1")),
                    ..base
                }
            ),
            Ordering::Greater
        );
        let low = [NextHop::addr(ip("10.0.0.1"))];
        let high = [NextHop::addr(ip("10.0.0.9"))];
        assert_eq!(
            order(
                RouteSource {
                    next_hops: Some(&low),
                    ..base
                },
                RouteSource {
                    next_hops: Some(&high),
                    ..base
                }
            ),
            Ordering::Less
        );
    }

    #[test]
    fn empty_table_predicts_nothing() {
        let t = RouteTable::empty("t");
        let pred = predict_er_withdrawal(&t, &classifier());
        assert!(pred.prefixes.is_empty() && pred.warnings.is_empty());
        assert_eq!(pred.unaffected, 0);
        assert!(active_paths(&t, &classifier()).is_empty());
        assert!(prefix_paths(&t, &classifier(), p("0.0.0.0/0")).is_none());
        assert!(predict_azure(&[]).prefixes.is_empty());
    }

    #[test]
    fn ipv6_and_default_route() {
        let er = [NextHop::addr(ip("2001:db8:11::"))];
        let vpn = [NextHop::addr(ip("2001:db8:76::1"))];
        let t = RouteTable::from_sources(
            "inet6.0",
            [
                RouteSource {
                    active: true,
                    next_hops: Some(&er),
                    ..bgp("::/0", 150, &[12076])
                },
                RouteSource {
                    active: true,
                    next_hops: Some(&er),
                    ..bgp("2001:db8:17::/48", 150, &[12076])
                },
                RouteSource {
                    next_hops: Some(&vpn),
                    ..bgp("2001:db8:17::/48", 100, &[65515])
                },
            ],
        )
        .expect("table");
        let pred = predict_er_withdrawal(&t, &classifier());
        assert_eq!(
            pred.get(&p("::/0")).map(|x| &x.outcome),
            Some(&Outcome::Blackholed)
        );
        let vnet = pred.get(&p("2001:db8:17::/48")).expect("vnet");
        assert_eq!(vnet.kind_after(), Some(PathKind::Vpn));
        assert!(pred.warnings.is_empty());
    }

    #[test]
    fn vpn_already_active_is_unchanged() {
        let t = RouteTable::from_sources(
            "t",
            [
                RouteSource {
                    active: true,
                    ..bgp("10.17.11.0/25", 200, &[65515])
                },
                bgp("10.17.11.0/25", 150, &[12076]),
            ],
        )
        .expect("table");
        let pred = predict_er_withdrawal(&t, &classifier());
        let pp = pred.get(&p("10.17.11.0/25")).expect("prefix");
        assert_eq!(pp.outcome, Outcome::Unchanged);
        assert_eq!(pp.kind_after(), Some(PathKind::Vpn));
        // A VPN local-pref above ExpressRoute's is flagged as well.
        let w = check_table(&t, &classifier());
        assert_eq!(w.len(), 1);
        assert!(w[0].message.contains("lower than"), "{}", w[0].message);
    }

    #[test]
    fn without_an_active_mark_the_best_path_is_selected() {
        // A `receive-protocol` style listing marks nothing.
        let t = RouteTable::from_sources(
            "t",
            [
                bgp("10.17.11.0/25", 100, &[65515]),
                bgp("10.17.11.0/25", 150, &[12076]),
            ],
        )
        .expect("table");
        let pred = predict_er_withdrawal(&t, &classifier());
        let pp = pred.get(&p("10.17.11.0/25")).expect("prefix");
        assert_eq!(
            pp.before.as_ref().map(|b| b.kind),
            Some(PathKind::ExpressRoute)
        );
        assert_eq!(pp.kind_after(), Some(PathKind::Vpn));
        let listed = prefix_paths(&t, &classifier(), p("10.17.11.0/25")).expect("listed");
        assert_eq!(listed.active, None);
        assert_eq!(listed.backups.len(), 2);
    }

    #[test]
    fn blank_local_prefs_prove_nothing() {
        let t = RouteTable::from_sources(
            "t",
            [
                RouteSource {
                    local_pref: None,
                    ..bgp("10.17.11.0/25", 0, &[12076])
                },
                RouteSource {
                    local_pref: None,
                    ..bgp("10.17.11.0/25", 0, &[65515])
                },
            ],
        )
        .expect("table");
        assert!(check_table(&t, &classifier()).is_empty());
    }

    #[test]
    fn azure_unknown_routes_are_ignored_and_covering_vpn_counts() {
        let tag = |prefix: &str, kind| TaggedRoute {
            prefix: p(prefix),
            kind,
            next_hop: None,
            as_path: vec![],
        };
        let pred = predict_azure(&[
            tag("10.1.11.0/25", PathKind::ExpressRoute),
            tag("10.1.0.0/16", PathKind::Vpn),
            tag("10.17.11.0/25", PathKind::Unknown),
        ]);
        assert_eq!(pred.ignored, 1);
        let onprem = pred.get(&p("10.1.11.0/25")).expect("prefix");
        assert!(
            matches!(&onprem.outcome, Outcome::CoveredBy { prefix, .. } if *prefix == p("10.1.0.0/16"))
        );
        assert_eq!(
            pred.get(&p("10.1.0.0/16")).map(|a| &a.outcome),
            Some(&Outcome::Unchanged)
        );
        // A VPN prefix covering an ExpressRoute one is the normal backup shape.
        assert!(pred.warnings.is_empty());
    }

    #[test]
    fn prediction_round_trips_through_json() {
        let t = RouteTable::from_sources(
            "t",
            [
                RouteSource {
                    active: true,
                    ..bgp("10.17.11.0/25", 150, &[12076])
                },
                bgp("10.17.11.0/25", 100, &[65515]),
            ],
        )
        .expect("table");
        let pred = predict_er_withdrawal(&t, &classifier());
        let json = serde_json::to_value(&pred).expect("serialize");
        assert_eq!(json["prefixes"][0]["outcome"]["outcome"], "takes-over");
        assert_eq!(json["prefixes"][0]["outcome"]["path"]["kind"], "vpn");
        let back: ErWithdrawal = serde_json::from_value(json).expect("deserialize");
        assert_eq!(back, pred);
    }

    #[test]
    fn describe_is_readable() {
        let v = PathView {
            kind: PathKind::Vpn,
            protocol: "bgp".into(),
            active: false,
            preference: Some(170),
            local_pref: Some(100),
            med: None,
            as_path: Some(vec![65515]),
            next_hops: Some(vec![NextHop::interface("st0.118")]),
            learned_from: Some(ip("10.17.11.76")),
        };
        assert_eq!(
            v.describe(),
            "bgp lp100 [65515] via st0.118 from 10.17.11.76"
        );
    }
}
