//! Routing: recomputing every router's table after a change (BGP's
//! decision process over the sessions that are up) and the queries on the
//! result that the devices and ARM answer from.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::{ORIGIN, World};
use crate::bgp::{self, Inputs, Path, PathSource, Rib};
use crate::topology::{Export, Node};
use cutover_core::model::Prefix;

/// A route as `show route advertising-protocol` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertised {
    pub prefix: Prefix,
    /// The sender's own path (what Junos prints).
    pub path: Path,
    /// What the neighbor receives (AS path with our AS, local preference).
    pub sent: Path,
    /// `Self` unless the next hop is passed through unchanged.
    pub next_hop_self: bool,
}

impl World {
    pub(crate) fn session_inputs(&self) -> (Vec<bool>, Vec<bool>) {
        (
            self.sessions.iter().map(|s| s.established).collect(),
            self.tunnels.iter().map(|t| t.up).collect(),
        )
    }

    pub(crate) fn with_inputs<R>(&self, f: impl FnOnce(&Inputs<'_>) -> R) -> R {
        let (up, tun) = self.session_inputs();
        let session_since: Vec<Duration> = self.sessions.iter().map(|s| s.since).collect();
        let tunnel_since: Vec<Duration> = self.tunnels.iter().map(|t| t.since).collect();
        let frozen: Vec<Option<[Vec<Path>; 2]>> =
            self.sessions.iter().map(|s| s.stale.clone()).collect();
        let inp = Inputs {
            topo: &self.topo,
            session_up: &up,
            tunnel_up: &tun,
            session_since: &session_since,
            tunnel_since: &tunnel_since,
            router_since: ORIGIN.saturating_sub(self.topo.router_uptime),
            exports: &self.exports,
            local_pref_out: &self.lp_out,
            extra_statics: &self.statics,
            frozen: &frozen,
        };
        f(&inp)
    }

    pub(super) fn recompute(&mut self, initial: bool) {
        self.traffic.advance(self.t);
        let mut next = self.with_inputs(bgp::converge);
        let prev = if initial {
            None
        } else {
            Some(self.ribs.as_slice())
        };
        bgp::carry_over(prev, &mut next, self.t);
        self.ribs = next;
        self.update_rates();
    }

    pub fn rib(&self, node: Node) -> &Rib {
        static EMPTY: std::sync::OnceLock<Rib> = std::sync::OnceLock::new();
        self.ribs
            .get(node.index())
            .unwrap_or_else(|| EMPTY.get_or_init(Rib::default))
    }

    /// The export in force on end `end` of session `sid` (the topology's,
    /// as the scenario amended it) and the local preference it sets.
    pub fn export_policy(&self, sid: usize, end: usize) -> Option<(&Export, Option<u32>)> {
        let e = self.exports.get(sid)?.get(end)?;
        let lp = *self.lp_out.get(sid)?.get(end)?;
        Some((e, lp))
    }

    /// Extra static routes the scenario put on `node`.
    pub fn scenario_statics(
        &self,
        node: Node,
    ) -> impl Iterator<Item = (Prefix, &'static str)> + '_ {
        self.statics
            .iter()
            .filter(move |(n, _, _)| *n == node)
            .map(|(_, p, i)| (*p, *i))
    }

    /// The table a neighbor's routes live in (`Cust11.inet.0`).
    pub fn instance_table(&self, node: Node) -> String {
        match self.topo.router(node).instance {
            Some(i) => format!("{i}.inet.0"),
            None => "inet.0".to_string(),
        }
    }

    /// What `node` announces to `neighbor` (None: no such neighbor).
    pub fn advertised_to(&self, node: Node, neighbor: Ipv4Addr) -> Option<Vec<Advertised>> {
        let sid = self.topo.session_by_neighbor(node, neighbor)?;
        if !self.sessions.get(sid).is_some_and(|s| s.established) {
            return Some(vec![]);
        }
        let from = usize::from(self.topo.sessions[sid].ends[0].node != node);
        let ebgp = self.topo.sessions[sid].is_ebgp(&self.topo);
        Some(self.with_inputs(|inp| {
            bgp::exported(inp, sid, from, &self.ribs)
                .into_iter()
                .map(|(prefix, path, sent)| Advertised {
                    prefix,
                    next_hop_self: ebgp || matches!(path.source, PathSource::Local(_)),
                    path,
                    sent,
                })
                .collect()
        }))
    }

    /// The paths `node` holds from `neighbor` (None: no such neighbor).
    pub fn received_from(&self, node: Node, neighbor: Ipv4Addr) -> Option<Vec<(Path, bool)>> {
        let sid = self.topo.session_by_neighbor(node, neighbor)?;
        let rib = self.rib(node);
        let mut out = Vec::new();
        for d in rib.dests.values() {
            for (i, p) in d.paths.iter().enumerate() {
                if matches!(p.source, PathSource::Session { session, .. } if session == sid) {
                    out.push((p.clone(), i == 0));
                }
            }
        }
        Some(out)
    }
}
