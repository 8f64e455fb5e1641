use serde::{Deserialize, Serialize};

use super::PathView;
use crate::model::path::{PathClassifier, PathKind};
use crate::model::prefix::Prefix;
use crate::model::table::{Route, RouteTable};

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
