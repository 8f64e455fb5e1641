//! Owned, compact route tables.
//!
//! A core router's full table holds about a million paths, and the console
//! keeps at least two of them (before and after a change). So a [`Route`] is
//! a fixed 48-byte record: the prefix is stored flat, and everything that
//! many routes share (AS paths, next-hop sets, peer addresses, unusual
//! protocol names) is interned once per table and referred to by a 32-bit id.
//! BGP tables have far fewer distinct attribute sets than prefixes, which is
//! exactly what makes this pay.

mod attributes;
mod builder;
mod from_parsed;
mod interner;
mod route;
mod view;

use std::net::IpAddr;

use super::prefix::Prefix;
use route::F_FROM;

pub use attributes::{NextHop, Origin, PeerType, Protocol, ProtocolId};
pub use builder::{RouteSource, TableBuilder};
pub use from_parsed::{FromParsed, parsed_next_hops};
pub use interner::{Internable, Interner};
pub use route::{AsPathId, NextHopsId, Route};
pub use view::RouteView;

/// Why a table could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    /// An interner ran out of ids; only garbage input gets here (a real
    /// device has a few dozen protocol names and well under 2^32 AS paths).
    #[error("more than {limit} distinct {what} in one table")]
    TooManyDistinct { what: &'static str, limit: u64 },
}

/// The routes of one table, sorted by prefix.
#[derive(Debug, Clone)]
pub struct RouteTable {
    name: String,
    routes: Vec<Route>,
    as_paths: Interner<[u32]>,
    next_hops: Interner<[NextHop]>,
    addrs: Interner<IpAddr>,
    protocols: Interner<str>,
}

impl RouteTable {
    /// An empty table.
    pub fn empty(name: impl Into<String>) -> Self {
        TableBuilder::new(name).build()
    }

    /// Builds a table from plain route values.
    pub fn from_sources<'a, I>(name: impl Into<String>, sources: I) -> Result<Self, TableError>
    where
        I: IntoIterator<Item = RouteSource<'a>>,
    {
        let mut b = TableBuilder::new(name);
        for s in sources {
            b.push(&s)?;
        }
        Ok(b.build())
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of paths.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Every path, sorted by prefix.
    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// Every path of `prefix` (exact match), in the device's order.
    pub fn paths_for(&self, prefix: &Prefix) -> &[Route] {
        let (start, end) = self.range_of(prefix);
        self.routes.get(start..end).unwrap_or(&[])
    }

    /// The index range of `prefix`'s paths in [`Self::routes`].
    pub fn range_of(&self, prefix: &Prefix) -> (usize, usize) {
        let start = self.routes.partition_point(|r| r.prefix() < *prefix);
        let len = self
            .routes
            .get(start..)
            .map_or(0, |rest| rest.partition_point(|r| r.prefix() == *prefix));
        (start, start + len)
    }

    /// The path the device selected for `prefix`.
    pub fn active(&self, prefix: &Prefix) -> Option<&Route> {
        self.paths_for(prefix).iter().find(|r| r.active())
    }

    /// The selected path of the longest prefix holding `addr` that has a
    /// selected path: where the device forwards a packet to `addr`.
    pub fn longest_match(&self, addr: IpAddr) -> Option<&Route> {
        covering(Prefix::host(addr), true).find_map(|p| self.active(&p))
    }

    /// The paths of the longest prefix in the table that holds `addr`,
    /// whether or not one of them is selected.
    pub fn longest_match_paths(&self, addr: IpAddr) -> Option<(Prefix, &[Route])> {
        covering(Prefix::host(addr), true).find_map(|p| {
            let paths = self.paths_for(&p);
            (!paths.is_empty()).then_some((p, paths))
        })
    }

    /// Each distinct prefix with its paths, in prefix order.
    pub fn prefixes(&self) -> impl Iterator<Item = (Prefix, &[Route])> {
        self.routes
            .chunk_by(|a, b| a.sort_key() == b.sort_key())
            .filter_map(|g| g.first().map(|r| (r.prefix(), g)))
    }

    /// The paths whose prefix lies inside `prefix` (itself included), in
    /// prefix order.
    pub fn within(&self, prefix: Prefix) -> impl Iterator<Item = &Route> {
        let start = self.routes.partition_point(|r| r.prefix() < prefix);
        self.routes
            .get(start..)
            .unwrap_or(&[])
            .iter()
            .take_while(move |r| network_not_past(&r.prefix(), &prefix))
            .filter(move |r| prefix.contains(&r.prefix()))
    }

    /// The AS path of a route of this table.
    pub fn as_path(&self, route: &Route) -> Option<&[u32]> {
        route.as_path_id().and_then(|id| self.as_paths.get(id.0))
    }

    /// The next hops of a route of this table; `None` when not pinned.
    pub fn next_hops(&self, route: &Route) -> Option<&[NextHop]> {
        route
            .next_hops_id()
            .map(|id| self.next_hops.get(id.0).unwrap_or(&[]))
    }

    /// The peer a route of this table was learned from.
    pub fn learned_from(&self, route: &Route) -> Option<IpAddr> {
        if route.flags & F_FROM == 0 {
            return None;
        }
        self.addrs.get(route.learned_from).copied()
    }

    /// The lower-case protocol name; empty when the output showed none.
    pub fn protocol_name(&self, route: &Route) -> &str {
        match route.protocol {
            Protocol::Other(ProtocolId(id)) => self.protocols.get(u32::from(id)).unwrap_or(""),
            p => p.known_name().unwrap_or(""),
        }
    }

    /// A route with its table, to read interned attributes directly.
    pub fn view<'t>(&'t self, route: &'t Route) -> RouteView<'t> {
        RouteView { table: self, route }
    }

    /// Every path as a view, in prefix order.
    pub fn views(&self) -> impl Iterator<Item = RouteView<'_>> {
        self.routes.iter().map(|r| self.view(r))
    }

    pub fn as_path_interner(&self) -> &Interner<[u32]> {
        &self.as_paths
    }

    pub fn next_hop_interner(&self) -> &Interner<[NextHop]> {
        &self.next_hops
    }

    /// Approximate heap bytes the table holds (routes and interners).
    pub fn heap_bytes(&self) -> usize {
        self.routes.capacity() * std::mem::size_of::<Route>()
            + self.name.capacity()
            + self.as_paths.heap_bytes()
            + self.next_hops.heap_bytes()
            + self.addrs.heap_bytes()
            + self.protocols.heap_bytes()
    }
}

/// The prefixes that contain `prefix`, longest first; itself first when
/// `inclusive`. Only arithmetic: whether a table holds them is the caller's
/// question.
pub fn covering(prefix: Prefix, inclusive: bool) -> impl Iterator<Item = Prefix> {
    let net = prefix.network();
    let top = prefix.len();
    let mut next = if inclusive {
        Some(top)
    } else {
        top.checked_sub(1)
    };
    std::iter::from_fn(move || {
        let len = next?;
        next = len.checked_sub(1);
        Prefix::new(net, len).ok()
    })
}

/// True when `p` is of `outer`'s family and its network address is not past
/// the last address of `outer`; past it, no later prefix in sort order can
/// lie inside `outer`.
fn network_not_past(p: &Prefix, outer: &Prefix) -> bool {
    match (*p, *outer) {
        (Prefix::V4 { addr: a, .. }, Prefix::V4 { addr: o, len }) => {
            let host = if len >= 32 { 0 } else { u32::MAX >> len };
            a <= o | host
        }
        (Prefix::V6 { addr: a, .. }, Prefix::V6 { addr: o, len }) => {
            let host = if len >= 128 { 0 } else { u128::MAX >> len };
            a <= o | host
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
