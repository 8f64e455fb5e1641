use serde::{Deserialize, Serialize};

use super::selection::selected_index;
use super::{PathView, groups, kinds_of};
use crate::model::path::{PathClassifier, PathKind};
use crate::model::prefix::Prefix;
use crate::model::table::{Route, RouteTable, covering};

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

/// The faults a table shows with ExpressRoute up: `vpn-more-specific` and
/// `ce2-localpref-missing` (see [`WarningKind`]).
pub fn check_table(table: &RouteTable, classifier: &PathClassifier) -> Vec<Warning> {
    warnings_of(table, &kinds_of(table, classifier))
}

pub(super) fn warnings_of(table: &RouteTable, kinds: &[PathKind]) -> Vec<Warning> {
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
