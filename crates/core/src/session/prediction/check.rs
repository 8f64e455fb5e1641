//! After the change: the paths seen, compared with the forecast.

use serde::{Deserialize, Serialize};

use super::{Direction, PathForecast, tagged_routes};
use crate::model::Prefix;
use crate::model::analysis::{PathView, best_path};
use crate::model::azure::GatewayRouteListResult;
use crate::model::path::{PathClassifier, PathKind};
use crate::model::table::{RouteTable, covering};

/// One forecast, checked against what the tables show after the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathCheck {
    pub direction: Direction,
    pub prefix: Prefix,
    pub predicted: Option<PathKind>,
    /// The kind seen; `None`: no path.
    pub observed: Option<PathKind>,
    pub observed_path: Option<String>,
    /// The less specific prefix that carries the traffic now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<Prefix>,
    pub matched: bool,
}

fn checked(f: &PathForecast, seen: Option<(PathKind, String, Option<Prefix>)>) -> PathCheck {
    let (observed, observed_path, covered_by) = match seen {
        Some((k, d, c)) => (Some(k), Some(d), c),
        None => (None, None, None),
    };
    PathCheck {
        direction: f.direction,
        prefix: f.prefix,
        predicted: f.predicted,
        observed,
        observed_path,
        covered_by,
        matched: observed == f.predicted,
    }
}

/// The path the table selects for `prefix` (marked active, else the best),
/// with its kind and description.
fn selected(
    table: &RouteTable,
    classifier: &PathClassifier,
    prefix: &Prefix,
) -> Option<(PathKind, String)> {
    let paths = table.paths_for(prefix);
    let view = match paths.iter().find(|r| r.active()) {
        Some(r) => table.view(r),
        None => best_path(paths.iter().map(|r| table.view(r)))?,
    };
    let v = PathView::of(view, classifier);
    Some((v.kind, v.describe()))
}

/// Compares the on-prem → Azure forecasts with the router's table now:
/// the path it selects for each prefix, else for the longest less
/// specific prefix it holds.
pub fn check_onprem(
    forecasts: &[PathForecast],
    table: &RouteTable,
    classifier: &PathClassifier,
) -> Vec<PathCheck> {
    forecasts
        .iter()
        .filter(|f| f.direction == Direction::OnpremToAzure)
        .map(|f| {
            let seen = selected(table, classifier, &f.prefix)
                .map(|(k, d)| (k, d, None))
                .or_else(|| {
                    covering(f.prefix, false)
                        .find_map(|c| selected(table, classifier, &c).map(|(k, d)| (k, d, Some(c))))
                });
            checked(f, seen)
        })
        .collect()
}

/// Compares the Azure → on-prem forecasts with the gateway's learned
/// routes now, by Azure's rule: the longest prefix learned over either
/// way, ExpressRoute before the VPN between equal prefixes.
pub fn check_azure(
    forecasts: &[PathForecast],
    routes: &GatewayRouteListResult,
    classifier: &PathClassifier,
) -> Vec<PathCheck> {
    let tagged = tagged_routes(routes, classifier);
    let choice = |p: &Prefix| {
        [PathKind::ExpressRoute, PathKind::Vpn]
            .into_iter()
            .find_map(|k| tagged.iter().find(|r| r.prefix == *p && r.kind == k))
            .map(|r| (r.kind, super::describe_tagged(r)))
    };
    forecasts
        .iter()
        .filter(|f| f.direction == Direction::AzureToOnprem)
        .map(|f| {
            let seen = choice(&f.prefix).map(|(k, d)| (k, d, None)).or_else(|| {
                covering(f.prefix, false).find_map(|c| choice(&c).map(|(k, d)| (k, d, Some(c))))
            });
            checked(f, seen)
        })
        .collect()
}
