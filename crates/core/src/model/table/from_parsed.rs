use std::net::IpAddr;

use super::{NextHop, RouteSource, RouteTable, TableBuilder, TableError};
use crate::model::prefix::Prefix;
use crate::model::route::{ParsedRoute, RouteList};

/// What [`RouteTable::from_parsed`] built, and what it left out.
#[derive(Debug, Clone)]
pub struct FromParsed {
    pub table: RouteTable,
    /// Paths whose destination is no IP prefix (EVPN NLRIs, MPLS labels).
    pub skipped_non_ip: usize,
    /// Paths listed under another table than the one asked for.
    pub other_tables: usize,
    /// Next-hop strings that are no IP address; the path is kept without
    /// them.
    pub unparsed_next_hops: usize,
}

impl RouteTable {
    /// Converts parser output. With `table_filter`, only paths listed under
    /// that table are kept (a path that names no table is taken to be in the
    /// list's table); the result is named after the filter, else after the
    /// list's first table.
    pub fn from_parsed(
        list: &RouteList<'_>,
        table_filter: Option<&str>,
    ) -> Result<FromParsed, TableError> {
        let name = table_filter.or(list.table.as_deref()).unwrap_or_default();
        let mut b = TableBuilder::new(name);
        b.reserve(list.routes.len());
        let mut out = FromParsed {
            table: RouteTable::empty(""),
            skipped_non_ip: 0,
            other_tables: 0,
            unparsed_next_hops: 0,
        };
        let mut hops: Vec<NextHop> = Vec::new();
        for r in &list.routes {
            if let Some(want) = table_filter {
                let listed = r.table.as_deref().or(list.table.as_deref());
                if listed != Some(want) {
                    out.other_tables += 1;
                    continue;
                }
            }
            let Some(prefix) = ip_prefix(&r.prefix) else {
                out.skipped_non_ip += 1;
                continue;
            };
            out.unparsed_next_hops += parsed_next_hops(r, &mut hops);
            let src = RouteSource {
                prefix,
                protocol: r.protocol.as_deref(),
                active: r.active,
                preference: r.preference,
                local_pref: r.local_pref,
                med: None,
                as_path: r.as_path.as_deref(),
                origin: None,
                peer_type: None,
                next_hops: r.next_hops.as_ref().map(|_| hops.as_slice()),
                learned_from: r.from().and_then(parse_next_hop),
            };
            b.push(&src)?;
        }
        out.table = b.build();
        Ok(out)
    }
}

/// The next hops of a parsed path as a table keeps them, into `out`
/// (cleared first): each address with the interface of its next-hop line
/// where every line shows both (`> to A via IF`), else the addresses and
/// the interfaces (`> via st0.118`) each on their own. Gives how many
/// next-hop strings were no address (they are left out).
pub fn parsed_next_hops(r: &ParsedRoute<'_>, out: &mut Vec<NextHop>) -> usize {
    out.clear();
    let addrs = r.next_hops.as_deref().unwrap_or_default();
    let ifaces = r.next_hop_interfaces();
    let mut unparsed = 0;
    let paired = addrs.len() == ifaces.len();
    for (i, s) in addrs.iter().enumerate() {
        match parse_next_hop(s) {
            Some(a) if paired => out.push(NextHop::addr_via(a, ifaces[i])),
            Some(a) => out.push(NextHop::addr(a)),
            None => unparsed += 1,
        }
    }
    if !paired {
        out.extend(ifaces.iter().map(|i| NextHop::interface(i)));
    }
    unparsed
}

/// Parses a prefix as a device prints it; `None` for anything that is not
/// `ADDRESS/LENGTH` (EVPN NLRIs, MPLS labels, `default`).
fn ip_prefix(s: &str) -> Option<Prefix> {
    if !s.contains('/') {
        return None;
    }
    Prefix::parse_lenient(s).ok().map(|(p, _)| p)
}

/// Parses a next-hop string, dropping an IPv6 zone (`fe80::1%ge-0/0/0.0`)
/// that `IpAddr` does not read.
fn parse_next_hop(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    let addr = s.split_once('%').map_or(s, |(a, _)| a);
    addr.parse().ok()
}
