//! Route answers as tables: a Junos route list or an Azure gateway's route
//! list becomes a [`RouteTable`], compared with the first one the session
//! saw of the same device and command.
//!
//! Only here is an unchanged capture worth skipping before it is read: a
//! table can hold a million routes, a state list a handful.

use std::net::IpAddr;
use std::sync::Arc;

use super::SessionState;
use super::live::TableView;
use crate::model::Prefix;
use crate::model::RouteList;
use crate::model::azure::{GatewayRouteListResult, Origin as AzureOrigin};
use crate::model::diff::{TableDiff, diff_tables};
use crate::model::table::{NextHop, PeerType, RouteSource, RouteTable, TableBuilder};
use crate::runbook::QueryName;

impl SessionState {
    /// Counts a capture identical to the last one read for this view as an
    /// update; true when there was one.
    pub(super) fn same_table_again(&mut self, device: &str, command: &str, raw: &Arc<str>) -> bool {
        let (at, now) = (self.applied, self.clock);
        let Some(t) = self
            .live
            .tables
            .iter_mut()
            .find(|t| t.device == device && t.command == command)
        else {
            return false;
        };
        if t.last_raw.as_deref() != Some(&**raw) {
            return false;
        }
        t.updates = t.updates.saturating_add(1);
        t.updated_at = at;
        t.seen_at = now;
        t.error = None;
        true
    }

    /// Makes `table` the latest of its view, or the baseline of a new one.
    pub(super) fn live_table(
        &mut self,
        query: QueryName,
        device: &str,
        command: &str,
        raw: &Arc<str>,
        (name, table): (String, RouteTable),
    ) {
        let (at, now) = (self.applied, self.clock);
        let classifier = &self.classifier;
        let tables = &mut self.live.tables;
        let table = Arc::new(table);
        match tables
            .iter_mut()
            .find(|t| t.device == device && t.command == command)
        {
            Some(t) => {
                let diff = diff_tables(&t.baseline, &table, classifier);
                t.changed = changed_prefixes(&diff);
                t.diff = Arc::new(diff);
                t.latest = table;
                t.name = name;
                t.last_raw = Some(Arc::clone(raw));
                t.error = None;
                t.updates = t.updates.saturating_add(1);
                t.updated_at = at;
                t.seen_at = now;
            }
            None => tables.push(TableView {
                device: device.to_string(),
                query: query.as_str().to_string(),
                command: command.to_string(),
                name,
                baseline: Arc::clone(&table),
                latest: table,
                diff: Arc::new(TableDiff::default()),
                changed: Arc::from(Vec::new()),
                updates: 1,
                updated_at: at,
                seen_at: now,
                error: None,
                last_raw: Some(Arc::clone(raw)),
            }),
        }
    }
}

pub(super) fn junos_table(list: &RouteList<'_>) -> Result<(String, RouteTable), String> {
    let out = RouteTable::from_parsed(list, None).map_err(|e| e.to_string())?;
    let name = out.table.name().to_string();
    Ok((name, out.table))
}

/// An Azure gateway's route list as a table: the source peer as the peer
/// the path was learned from, the origin as protocol and peer type. Azure
/// marks no path active.
pub(super) fn azure_table(
    query: QueryName,
    list: &GatewayRouteListResult,
) -> Result<(String, RouteTable), String> {
    let name = if query == QueryName::AzureLearnedRoutes {
        "gateway learned routes"
    } else {
        "gateway advertised routes"
    };
    let mut b = TableBuilder::new(name);
    b.reserve(list.value.len());
    for r in &list.value {
        let Some(prefix) = r.prefix() else {
            continue;
        };
        let as_path = r.as_path_asns();
        let hop: Option<IpAddr> = r.next_hop.as_deref().and_then(|h| h.trim().parse().ok());
        let hops: Vec<NextHop> = hop.map(NextHop::addr).into_iter().collect();
        let (protocol, peer_type) = match &r.origin {
            Some(AzureOrigin::IBgp) => (Some("bgp"), Some(PeerType::Internal)),
            Some(AzureOrigin::EBgp) => (Some("bgp"), Some(PeerType::External)),
            Some(AzureOrigin::Network) => (Some("network"), None),
            Some(other) => (Some(other.as_str()), None),
            None => (None, None),
        };
        let src = RouteSource {
            prefix,
            protocol,
            active: false,
            preference: None,
            local_pref: None,
            med: None,
            as_path: as_path.as_deref(),
            origin: None,
            peer_type,
            next_hops: Some(&hops),
            // The gateway's own prefixes name the gateway itself as source
            // peer; that says nothing about ExpressRoute or VPN.
            learned_from: if matches!(r.origin, Some(AzureOrigin::Network)) {
                None
            } else {
                r.source_peer.as_deref().and_then(|s| s.trim().parse().ok())
            },
        };
        b.push(&src).map_err(|e| e.to_string())?;
    }
    Ok((name.to_string(), b.build()))
}

fn changed_prefixes(diff: &TableDiff) -> Arc<[Prefix]> {
    let mut v: Vec<Prefix> = diff
        .added
        .iter()
        .chain(&diff.removed)
        .map(|c| c.prefix)
        .chain(diff.active_changed.iter().map(|c| c.prefix))
        .collect();
    v.sort_unstable();
    v.dedup();
    Arc::from(v)
}
