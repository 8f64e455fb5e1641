//! The decision process: which of a destination's paths is best, and
//! which others tie with it closely enough to share its forwarding.

use std::cmp::Ordering;

use super::Path;

/// The step of the decision process that ranked two paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Preference,
    Weight,
    LocalPref,
    AsPathLength,
    Origin,
    Med,
    ExternalOverInternal,
    RouterId,
    PeerAddress,
    Equal,
}

impl Step {
    /// The `Inactive reason:` Junos prints in `detail`.
    pub fn junos_reason(self) -> &'static str {
        match self {
            Step::Preference => "Route Preference",
            Step::Weight => "Weight",
            Step::LocalPref => "Local Preference",
            Step::AsPathLength => "AS path",
            Step::Origin => "Origin",
            Step::Med => "Not Best in its group - Lowest MED",
            Step::ExternalOverInternal => "Interior > Exterior > Exterior via Interior",
            Step::RouterId => "Not Best in its group - Router ID",
            Step::PeerAddress => "Not Best in its group - Update source",
            Step::Equal => "Not Best in its group",
        }
    }
}

/// Ranks two paths of the same destination: `Less` when `a` is better,
/// with the step that decided. Junos' order, with Azure's weight (higher
/// wins) before local preference; Junos routers carry weight 0, so for them
/// the step never decides.
pub fn compare(a: &Path, b: &Path) -> (Ordering, Step) {
    let steps: [(Ordering, Step); 4] = [
        (a.preference.cmp(&b.preference), Step::Preference),
        (b.weight.cmp(&a.weight), Step::Weight),
        (b.local_pref.cmp(&a.local_pref), Step::LocalPref),
        (a.as_path.len().cmp(&b.as_path.len()), Step::AsPathLength),
    ];
    for (o, s) in steps {
        if o != Ordering::Equal {
            return (o, s);
        }
    }
    let o = a.origin.cmp(&b.origin);
    if o != Ordering::Equal {
        return (o, Step::Origin);
    }
    // Junos compares MED only between paths from the same neighbor AS.
    let (na, nb) = (a.as_path.first(), b.as_path.first());
    if na == nb {
        let o = a.med.unwrap_or(0).cmp(&b.med.unwrap_or(0));
        if o != Ordering::Equal {
            return (o, Step::Med);
        }
    }
    let ext = |p: &Path| match p.peer {
        Some(peer) if peer.ibgp => 1,
        Some(_) => 0,
        None => 0,
    };
    let o = ext(a).cmp(&ext(b));
    if o != Ordering::Equal {
        return (o, Step::ExternalOverInternal);
    }
    let rid = |p: &Path| p.peer.map(|x| u32::from(x.router_id)).unwrap_or(0);
    let o = rid(a).cmp(&rid(b));
    if o != Ordering::Equal {
        return (o, Step::RouterId);
    }
    let addr = |p: &Path| p.peer.map(|x| u32::from(x.addr)).unwrap_or(0);
    let o = addr(a).cmp(&addr(b));
    if o != Ordering::Equal {
        return (o, Step::PeerAddress);
    }
    (a.source.cmp(&b.source), Step::Equal)
}

/// True when `b` ties with `a` up to the router-id step: BGP multipath
/// shares forwarding between such paths.
fn multipath_equal(a: &Path, b: &Path) -> bool {
    a.is_bgp() && b.is_bgp() && {
        let (_, step) = compare(a, b);
        matches!(step, Step::RouterId | Step::PeerAddress | Step::Equal)
            && a.as_path.first() == b.as_path.first()
    }
}

pub(super) fn sort_dest(paths: &mut [Path]) {
    paths.sort_by(|a, b| compare(a, b).0);
}

/// Adds the next hops of equal paths to the active one (BGP multipath).
pub(super) fn apply_multipath(paths: &mut [Path]) {
    let Some((first, rest)) = paths.split_first_mut() else {
        return;
    };
    for p in rest.iter() {
        if multipath_equal(first, p) {
            for nh in &p.next_hops {
                if !first.next_hops.contains(nh) {
                    first.next_hops.push(nh.clone());
                }
            }
        }
    }
}
