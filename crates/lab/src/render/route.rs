//! `show route` in its forms: brief and detail text, `advertising-protocol`
//! and `receive-protocol`, and the element trees behind `| display xml` and
//! `| display json`. Columns follow real Junos output (the article's and the
//! fixtures'): the path marker in column 19, `AS path:` in column 22, the
//! advertising table's columns at 2, 26, 47, 55 and 66.

mod listing;
mod neighbor;
mod structured;

use std::net::Ipv4Addr;
use std::time::Duration;

pub use self::listing::text;
pub use self::neighbor::{neighbor_text, neighbor_tree};
pub use self::structured::tree;
use crate::bgp::{Dest, Path, Protocol};
use crate::topology::DeviceId;
use crate::world::{TableView, World};
use cutover_core::model::{HopDetails, ParsedRoute, Prefix};

/// How a destination filter matches (`show route 10.17.11.0/24 exact`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    /// The prefix and everything inside it, or else the longest route
    /// that covers it.
    Best,
    Exact,
    Longer,
    OrLonger,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Brief,
    Detail,
    Extensive,
}

/// What `show route …` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteQuery {
    pub table: Option<String>,
    pub dest: Option<Prefix>,
    pub matching: Match,
    pub protocol: Option<Protocol>,
    pub style: Style,
}

impl Default for RouteQuery {
    fn default() -> Self {
        RouteQuery {
            table: None,
            dest: None,
            matching: Match::Best,
            protocol: None,
            style: Style::Brief,
        }
    }
}

fn table_selected(name: &str, want: Option<&str>) -> bool {
    match want {
        None => true,
        // `table Cust11` names every table of the instance.
        Some(w) => {
            name == w
                || name
                    .strip_prefix(w)
                    .is_some_and(|rest| rest.starts_with('.'))
        }
    }
}

/// A destination as a query shows it: its prefix, the paths shown (with
/// their rank in the destination), and the whole destination.
type Selected<'a> = (Prefix, Vec<(usize, &'a Path)>, &'a Dest);

/// The destinations of `table` that the query shows, with only the paths
/// it shows.
fn select<'a>(table: &'a TableView, q: &RouteQuery) -> Vec<Selected<'a>> {
    let mut keys: Vec<&Prefix> = match q.dest {
        None => table.dests.iter().map(|(p, _)| p).collect(),
        Some(d) => {
            let inside = |p: &Prefix| d.contains(p);
            match q.matching {
                Match::Exact => table
                    .dests
                    .iter()
                    .map(|(p, _)| p)
                    .filter(|p| **p == d)
                    .collect(),
                Match::Longer => table
                    .dests
                    .iter()
                    .map(|(p, _)| p)
                    .filter(|p| inside(p) && **p != d)
                    .collect(),
                Match::OrLonger => table
                    .dests
                    .iter()
                    .map(|(p, _)| p)
                    .filter(|p| inside(p))
                    .collect(),
                Match::Best => {
                    let within: Vec<&Prefix> = table
                        .dests
                        .iter()
                        .map(|(p, _)| p)
                        .filter(|p| inside(p))
                        .collect();
                    if !within.is_empty() {
                        within
                    } else {
                        table
                            .dests
                            .iter()
                            .map(|(p, _)| p)
                            .filter(|p| p.contains(&d))
                            .max_by_key(|p| p.len())
                            .into_iter()
                            .collect()
                    }
                }
            }
        }
    };
    keys.sort();
    let mut out = Vec::new();
    for k in keys {
        let Some((_, dest)) = table.dests.iter().find(|(p, _)| p == k) else {
            continue;
        };
        let paths: Vec<(usize, &Path)> = dest
            .paths
            .iter()
            .enumerate()
            .filter(|(_, p)| q.protocol.is_none_or(|pr| p.protocol == pr))
            .collect();
        if !paths.is_empty() {
            out.push((*k, paths, dest));
        }
    }
    out
}

fn header(t: &TableView) -> String {
    format!(
        "{}: {} destinations, {} routes ({} active, 0 holddown, 0 hidden)",
        t.name,
        t.dests.len(),
        t.route_count(),
        t.active_count()
    )
}

/// `*`, `+`, `-` or blank for path `rank` of `dest`.
fn marker(dest: &Dest, rank: usize, p: &Path) -> char {
    if rank == 0 {
        match dest.last_active {
            Some(s) if s != p.source => '+',
            _ => '*',
        }
    } else if dest.last_active == Some(p.source) {
        '-'
    } else {
        ' '
    }
}

/// `from PEER` shows when no next hop is the peer itself (a multihop
/// session, a route reflected on).
fn shows_from(p: &Path) -> Option<Ipv4Addr> {
    let peer = p.peer?;
    if p.protocol == Protocol::Bgp && !p.next_hops.iter().any(|n| n.to == Some(peer.addr)) {
        Some(peer.addr)
    } else {
        None
    }
}

fn age(world: &World, p: &Path) -> Duration {
    world.world_time().saturating_sub(p.since)
}

fn entries_word(n: usize) -> String {
    if n == 1 {
        "1 entry".to_string()
    } else {
        format!("{n} entries")
    }
}

/// Which way `show route …-protocol bgp N` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Advertising,
    Receive,
}

/// The world's table as `cutover parse junos-route` would normalize it:
/// for comparing what the lab prints with what it holds.
pub fn parsed(world: &World, device: DeviceId, q: &RouteQuery) -> Vec<ParsedRoute<'static>> {
    let mut out = Vec::new();
    for t in world
        .tables(device)
        .iter()
        .filter(|t| table_selected(&t.name, q.table.as_deref()))
    {
        for (prefix, paths, _) in select(t, q) {
            for (rank, p) in paths {
                out.push(ParsedRoute {
                    prefix: prefix.to_string().into(),
                    protocol: Some(p.protocol.junos_name().to_ascii_lowercase().into()),
                    active: rank == 0,
                    preference: Some(p.preference),
                    local_pref: (p.protocol == Protocol::Bgp).then_some(p.local_pref),
                    // The detail forms print `AS path: I` for every path;
                    // the brief form only for BGP.
                    as_path: (p.protocol == Protocol::Bgp || q.style != Style::Brief)
                        .then(|| p.as_path.clone()),
                    next_hops: Some(
                        p.next_hops
                            .iter()
                            .filter_map(|n| n.to)
                            .map(|a| a.to_string().into())
                            .collect(),
                    ),
                    // The brief forms show `from`, only where the peer is
                    // not the next hop; the detail forms always name the
                    // peer (`Source:`, `gateway`). A Local route's own
                    // interface is its `Local via`.
                    hop_details: HopDetails::read(
                        p.local_via
                            .into_iter()
                            .chain(p.next_hops.iter().map(|n| n.via))
                            .map(Into::into)
                            .collect(),
                        match q.style {
                            Style::Brief => shows_from(p),
                            _ => p.peer.map(|peer| peer.addr),
                        }
                        .map(|a| a.to_string().into()),
                    ),
                    path_use: None,
                    table: Some(t.name.clone().into()),
                });
            }
        }
    }
    out
}
