use std::fmt;
use std::net::IpAddr;

use super::{NextHop, Route, RouteTable};

/// A route together with the table that can resolve its interned parts.
#[derive(Clone, Copy)]
pub struct RouteView<'t> {
    pub table: &'t RouteTable,
    pub route: &'t Route,
}

impl fmt::Debug for RouteView<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteView")
            .field("prefix", &self.prefix())
            .field("protocol", &self.protocol_name())
            .field("active", &self.active())
            .field("preference", &self.preference())
            .field("local_pref", &self.local_pref())
            .field("as_path", &self.as_path())
            .field("next_hops", &self.next_hops())
            .field("learned_from", &self.learned_from())
            .finish()
    }
}

impl std::ops::Deref for RouteView<'_> {
    type Target = Route;
    fn deref(&self) -> &Route {
        self.route
    }
}

impl<'t> RouteView<'t> {
    pub fn as_path(&self) -> Option<&'t [u32]> {
        self.table.as_path(self.route)
    }

    pub fn next_hops(&self) -> Option<&'t [NextHop]> {
        self.table.next_hops(self.route)
    }

    pub fn learned_from(&self) -> Option<IpAddr> {
        self.table.learned_from(self.route)
    }

    pub fn protocol_name(&self) -> &'t str {
        self.table.protocol_name(self.route)
    }

    /// The lowest next-hop address, for tie-breaking.
    pub fn lowest_next_hop(&self) -> Option<IpAddr> {
        self.next_hops()
            .and_then(|h| h.iter().filter_map(|h| h.addr).min())
    }

    /// Equal when every attribute but `active` is equal, across tables.
    pub fn same_path(&self, other: &RouteView<'_>) -> bool {
        self.prefix() == other.prefix()
            && self.protocol_name() == other.protocol_name()
            && self.preference() == other.preference()
            && self.local_pref() == other.local_pref()
            && self.med() == other.med()
            && self.origin() == other.origin()
            && self.peer_type() == other.peer_type()
            && self.as_path() == other.as_path()
            && self.next_hops() == other.next_hops()
            && self.learned_from() == other.learned_from()
    }
}
