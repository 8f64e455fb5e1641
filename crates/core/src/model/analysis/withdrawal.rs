use serde::{Deserialize, Serialize};

use super::selection::{best_index, selected_index};
use super::warnings::{Warning, warnings_of};
use super::{Outcome, PathView, groups, kinds_of};
use crate::model::path::{PathClassifier, PathKind};
use crate::model::prefix::Prefix;
use crate::model::table::{Route, RouteTable, covering};

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
/// are left with nothing; plus the faults of [`check_table`](super::check_table).
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
