use std::cmp::Ordering;

use super::DEFAULT_LOCAL_PREF;
use crate::model::table::{Origin, PeerType, Route, RouteTable, RouteView};

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
pub(super) fn selected_index(table: &RouteTable, paths: &[Route]) -> Option<usize> {
    if let Some(i) = paths.iter().position(Route::active) {
        return Some(i);
    }
    best_index(table, paths.iter().enumerate())
}

pub(super) fn best_index<'t, I>(table: &'t RouteTable, paths: I) -> Option<usize>
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
