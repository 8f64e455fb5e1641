//! The gate's forecast: what withdrawing ExpressRoute will do, in both
//! directions, and what was seen afterwards.
//!
//! On-premises to Azure is read from the on-prem router's table (which VPN
//! path takes over each Azure prefix, which prefixes lose every path);
//! Azure to on-premises from the VPN gateway's learned routes (which
//! on-prem prefixes stay reachable over the VPN, and any VPN prefix more
//! specific than an ExpressRoute one, which keeps traffic on the VPN after
//! the restore). The analysis itself is [`crate::model::analysis`]; this
//! module turns it into what the journal records and the gate weighs: a
//! [`Hazard`] holds the gate like a failed pre-check.

mod check;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::model::Prefix;
use crate::model::analysis::{
    Outcome, PathView, TaggedRoute, Warning, WarningKind, predict_azure, predict_er_withdrawal,
};
use crate::model::azure::{GatewayRouteListResult, Origin};
use crate::model::path::{PathClassifier, PathFacts, PathKind};
use crate::model::table::{NextHop, RouteTable};

pub use check::{PathCheck, check_azure, check_onprem};

/// Which way traffic flows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Read from the on-prem router's table.
    OnpremToAzure,
    /// Read from the VPN gateway's learned routes.
    AzureToOnprem,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::OnpremToAzure, Direction::AzureToOnprem];

    /// The journal's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::OnpremToAzure => "onprem_to_azure",
            Direction::AzureToOnprem => "azure_to_onprem",
        }
    }

    /// As an operator reads it.
    pub fn label(self) -> &'static str {
        match self {
            Direction::OnpremToAzure => "on-prem → Azure",
            Direction::AzureToOnprem => "Azure → on-prem",
        }
    }
}

/// What the forecast says will go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum HazardKind {
    /// The prefix loses every path: its traffic is dropped.
    NoPath,
    /// Traffic moves to a path that is neither ExpressRoute nor the VPN.
    UnknownPath,
    /// A VPN prefix more specific than an ExpressRoute one: that range
    /// stays on the VPN, also after the restore.
    VpnMoreSpecific,
    /// ExpressRoute is not strictly preferred over the VPN by local-pref,
    /// so the way back may stay on the VPN.
    LocalprefNotHigher,
    /// A direction could not be read, so nothing about it is known.
    NotPredicted,
}

impl HazardKind {
    pub const ALL: [HazardKind; 5] = [
        HazardKind::NoPath,
        HazardKind::UnknownPath,
        HazardKind::VpnMoreSpecific,
        HazardKind::LocalprefNotHigher,
        HazardKind::NotPredicted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            HazardKind::NoPath => "no-path",
            HazardKind::UnknownPath => "unknown-path",
            HazardKind::VpnMoreSpecific => "vpn-more-specific",
            HazardKind::LocalprefNotHigher => "localpref-not-higher",
            HazardKind::NotPredicted => "not-predicted",
        }
    }
}

/// One thing the forecast says will break.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hazard {
    pub direction: Direction,
    pub kind: HazardKind,
    /// `None` when a whole direction is concerned.
    pub prefix: Option<Prefix>,
    /// The covering ExpressRoute prefix, for `vpn-more-specific`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Prefix>,
    pub message: String,
}

impl Hazard {
    /// One line: `Azure → on-prem 10.1.11.0/26 vpn-more-specific`.
    pub fn headline(&self) -> String {
        match self.prefix {
            Some(p) => format!("{} {p} {}", self.direction.label(), self.kind.as_str()),
            None => format!("{} {}", self.direction.label(), self.kind.as_str()),
        }
    }
}

/// One prefix in one direction: the path now and the path predicted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathForecast {
    pub direction: Direction,
    pub prefix: Prefix,
    /// The kind traffic takes now; `None`: no path.
    pub now: Option<PathKind>,
    pub now_path: Option<String>,
    /// The kind it takes once ExpressRoute is withdrawn; `None`: no path.
    pub predicted: Option<PathKind>,
    pub predicted_path: Option<String>,
    /// The less specific prefix whose path carries the traffic when this
    /// one loses every path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub covered_by: Option<Prefix>,
}

impl PathForecast {
    /// Traffic changes its way.
    pub fn moves(&self) -> bool {
        self.now != self.predicted
    }
}

/// Where a direction was read, and why it could not be, if it could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredictionSource {
    pub direction: Direction,
    /// The pre-check whose probe was repeated.
    pub step: String,
    pub device: String,
    pub command: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Prefixes read that the withdrawal does not touch.
    #[serde(default)]
    pub unaffected: usize,
}

/// The forecast for both directions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prediction {
    pub sources: Vec<PredictionSource>,
    pub paths: Vec<PathForecast>,
    pub hazards: Vec<Hazard>,
}

fn kind_str(k: Option<PathKind>) -> &'static str {
    k.map_or("no path", PathKind::as_str)
}

impl Prediction {
    /// A direction that could not be read: a hazard, since the gate would
    /// otherwise pass blind on that side.
    pub fn add_unreadable(&mut self, source: PredictionSource, why: &str) {
        let dir = source.direction;
        self.hazards.push(Hazard {
            direction: dir,
            kind: HazardKind::NotPredicted,
            prefix: None,
            related: None,
            message: format!(
                "{} is not predicted: {}: {} ({why})",
                dir.label(),
                source.device,
                source.command.lines().next().unwrap_or_default()
            ),
        });
        self.sources.push(PredictionSource {
            error: Some(why.to_string()),
            ..source
        });
    }

    /// On-premises to Azure, from the on-prem router's table.
    pub fn add_onprem(
        &mut self,
        source: PredictionSource,
        table: &RouteTable,
        classifier: &PathClassifier,
    ) {
        let dir = Direction::OnpremToAzure;
        let w = predict_er_withdrawal(table, classifier);
        for p in &w.prefixes {
            let (predicted, predicted_path, covered_by) =
                outcome_path(&p.outcome, p.before.as_ref());
            let f = PathForecast {
                direction: dir,
                prefix: p.prefix,
                now: p.before.as_ref().map(|b| b.kind),
                now_path: p.before.as_ref().map(PathView::describe),
                predicted,
                predicted_path,
                covered_by,
            };
            self.path_hazards(&f);
            self.paths.push(f);
        }
        self.warnings(dir, &w.warnings);
        self.sources.push(PredictionSource {
            unaffected: w.unaffected,
            ..source
        });
    }

    /// Azure to on-premises, from the VPN gateway's learned routes.
    pub fn add_azure(
        &mut self,
        source: PredictionSource,
        routes: &GatewayRouteListResult,
        classifier: &PathClassifier,
    ) {
        let dir = Direction::AzureToOnprem;
        let tagged = tagged_routes(routes, classifier);
        let a = predict_azure(&tagged);
        for p in &a.prefixes {
            let now_path = tagged
                .iter()
                .find(|r| r.prefix == p.prefix && r.kind == p.before)
                .map(describe_tagged);
            let (predicted, predicted_path, covered_by) = outcome_path(&p.outcome, None);
            let predicted = match p.outcome {
                Outcome::Unchanged => Some(p.before),
                _ => predicted,
            };
            let predicted_path = match p.outcome {
                Outcome::Unchanged => now_path.clone(),
                _ => predicted_path,
            };
            let f = PathForecast {
                direction: dir,
                prefix: p.prefix,
                now: Some(p.before),
                now_path,
                predicted,
                predicted_path,
                covered_by,
            };
            self.path_hazards(&f);
            self.paths.push(f);
        }
        self.warnings(dir, &a.warnings);
        self.sources.push(PredictionSource {
            unaffected: a.ignored,
            ..source
        });
    }

    fn path_hazards(&mut self, f: &PathForecast) {
        let (kind, message) = match f.predicted {
            None => (
                HazardKind::NoPath,
                match f.direction {
                    Direction::OnpremToAzure => format!(
                        "{}: every path is over ExpressRoute; once it is withdrawn on-premises has no route to it, and traffic to it is dropped",
                        f.prefix
                    ),
                    Direction::AzureToOnprem => format!(
                        "{}: Azure learns it over ExpressRoute only; once it is withdrawn Azure has no route back to it (no VPN route, nothing less specific)",
                        f.prefix
                    ),
                },
            ),
            Some(PathKind::Unknown) if f.moves() => (
                HazardKind::UnknownPath,
                format!(
                    "{}: once ExpressRoute is withdrawn traffic takes {}, which is neither ExpressRoute nor the VPN",
                    f.prefix,
                    f.predicted_path.as_deref().unwrap_or("an unknown path")
                ),
            ),
            _ => return,
        };
        self.hazards.push(Hazard {
            direction: f.direction,
            kind,
            prefix: Some(f.prefix),
            related: None,
            message,
        });
    }

    fn warnings(&mut self, dir: Direction, warnings: &[Warning]) {
        for w in warnings {
            self.hazards.push(Hazard {
                direction: dir,
                kind: match w.kind {
                    WarningKind::VpnMoreSpecific => HazardKind::VpnMoreSpecific,
                    WarningKind::LocalPrefNotHigher => HazardKind::LocalprefNotHigher,
                },
                prefix: Some(w.prefix),
                related: w.related,
                message: w.message.clone(),
            });
        }
    }

    /// The forecasts of one direction, in prefix order.
    pub fn paths_of(&self, dir: Direction) -> impl Iterator<Item = &PathForecast> {
        self.paths.iter().filter(move |p| p.direction == dir)
    }

    /// One line per prefix: `10.17.11.0/25 expressroute → vpn`.
    pub fn path_line(p: &PathForecast) -> String {
        let mut s = format!(
            "{} {} → {}",
            p.prefix,
            kind_str(p.now),
            kind_str(p.predicted)
        );
        if let Some(c) = p.covered_by {
            s.push_str(&format!(" (covered by {c})"));
        }
        s
    }
}

/// The kind, description and covering prefix an outcome leads to; for
/// `Unchanged`, the path before.
fn outcome_path(
    o: &Outcome,
    before: Option<&PathView>,
) -> (Option<PathKind>, Option<String>, Option<Prefix>) {
    match o {
        Outcome::Unchanged => (before.map(|b| b.kind), before.map(PathView::describe), None),
        Outcome::TakesOver { path } => (Some(path.kind), Some(path.describe()), None),
        Outcome::CoveredBy { prefix, path } => {
            (Some(path.kind), Some(path.describe()), Some(*prefix))
        }
        Outcome::Blackholed => (None, None, None),
    }
}

fn describe_tagged(r: &TaggedRoute) -> String {
    let asns: Vec<String> = r.as_path.iter().map(u32::to_string).collect();
    let mut s = format!("bgp [{}]", asns.join(" "));
    if let Some(h) = r.next_hop {
        s.push_str(&format!(" via {h}"));
    }
    s
}

/// The gateway's learned routes, each tagged with the way it came by the
/// runbook's path rules. Routes the gateway originates (`Network`) name
/// the gateway itself as source peer, which says nothing about the way,
/// so only next hop and AS path decide.
pub fn tagged_routes(
    list: &GatewayRouteListResult,
    classifier: &PathClassifier,
) -> Vec<TaggedRoute> {
    list.value
        .iter()
        .filter_map(|r| {
            let prefix = r.prefix()?;
            let next_hop = r.next_hop.as_deref().and_then(|h| h.trim().parse().ok());
            let as_path = r.as_path_asns().unwrap_or_default();
            let hops: Vec<NextHop> = next_hop.map(NextHop::addr).into_iter().collect();
            let kind = if matches!(r.origin, Some(Origin::Network)) {
                PathKind::Unknown
            } else {
                classifier.classify(PathFacts {
                    next_hops: Some(&hops),
                    learned_from: None,
                    as_path: Some(&as_path),
                })
            };
            Some(TaggedRoute {
                prefix,
                kind,
                next_hop,
                as_path,
            })
        })
        .collect()
}
