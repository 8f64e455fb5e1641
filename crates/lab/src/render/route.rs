//! `show route` in its forms: brief and detail text, `advertising-protocol`
//! and `receive-protocol`, and the element trees behind `| display xml` and
//! `| display json`. Columns follow real Junos output (the article's and the
//! fixtures'): the path marker in column 19, `AS path:` in column 22, the
//! advertising table's columns at 2, 26, 47, 55 and 66.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::time::Duration;

use super::time::{elapsed, route_age};
use super::tree::Elem;
use crate::bgp::{Dest, Path, Protocol, compare};
use crate::topology::{DeviceId, Node};
use crate::world::{Advertised, TableView, World};
use cutover_core::model::{ParsedRoute, Prefix};

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

fn brief_path(out: &mut String, world: &World, first: Option<&Prefix>, mark: char, p: &Path) {
    let lead = match first {
        Some(prefix) => format!("{:<18} ", prefix.to_string()),
        None => " ".repeat(19),
    };
    let _ = write!(
        out,
        "{lead}{mark}[{}/{}] {}",
        p.protocol.junos_name(),
        p.preference,
        route_age(age(world, p))
    );
    if p.protocol == Protocol::Bgp {
        if let Some(m) = p.med {
            let _ = write!(out, ", MED {m}");
        }
        let _ = write!(out, ", localpref {}", p.local_pref);
        if let Some(f) = shows_from(p) {
            let _ = write!(out, ", from {f}");
        }
        out.push('\n');
        let _ = writeln!(
            out,
            "{}AS path: {}, validation-state: unverified",
            " ".repeat(22),
            p.as_path_text()
        );
    } else {
        out.push('\n');
    }
    if let Some(via) = p.local_via {
        let _ = writeln!(out, "{}Local via {via}", " ".repeat(23));
    }
    for (i, nh) in p.next_hops.iter().enumerate() {
        let sel = if i == 0 { '>' } else { ' ' };
        match nh.to {
            Some(to) => {
                let _ = writeln!(out, "{}{sel}  to {to} via {}", " ".repeat(20), nh.via);
            }
            None => {
                let _ = writeln!(out, "{}{sel}  via {}", " ".repeat(20), nh.via);
            }
        }
    }
}

fn entries_word(n: usize) -> String {
    if n == 1 {
        "1 entry".to_string()
    } else {
        format!("{n} entries")
    }
}

fn detail_path(
    out: &mut String,
    world: &World,
    node: Node,
    dest: &Dest,
    rank: usize,
    p: &Path,
    extensive: bool,
) {
    let mark = if rank == 0 { '*' } else { ' ' };
    let pad = " ".repeat(16);
    let proto = format!("{:<7}", p.protocol.junos_name());
    if p.protocol == Protocol::Bgp {
        let _ = writeln!(
            out,
            "        {mark}{proto}Preference: {}/-{}",
            p.preference,
            u64::from(p.local_pref) + 1
        );
    } else {
        let _ = writeln!(out, "        {mark}{proto}Preference: {}", p.preference);
    }
    let addr_of = |x: u64| format!("0x{:x}", 0x9a0_0000 + (crate::mix(x) & 0xf_fff0));
    let prefix_seed =
        u64::from(p.prefix.len()) ^ (p.prefix.network().to_string().len() as u64) << 8;
    match p.protocol {
        Protocol::Local => {
            let _ = writeln!(out, "{pad}Next hop type: Local, Next hop index: 0");
            let _ = writeln!(out, "{pad}Address: {}", addr_of(prefix_seed ^ 0x10c));
            let _ = writeln!(out, "{pad}Next-hop reference count: 1");
            if let Some(via) = p.local_via {
                let _ = writeln!(out, "{pad}Interface: {via}");
            }
        }
        _ => {
            let kind = if p.next_hops.iter().any(|n| n.to.is_some()) {
                "Router"
            } else {
                "Interface"
            };
            let _ = writeln!(out, "{pad}Next hop type: {kind}, Next hop index: 0");
            let _ = writeln!(
                out,
                "{pad}Address: {}",
                addr_of(prefix_seed ^ p.next_hops.len() as u64)
            );
            let _ = writeln!(
                out,
                "{pad}Next-hop reference count: {}",
                2 * p.next_hops.len().max(1)
            );
            if let Some(peer) = p.peer {
                let _ = writeln!(out, "{pad}Source: {}", peer.addr);
            }
            for (i, nh) in p.next_hops.iter().enumerate() {
                let sel = if i == 0 { ", selected" } else { "" };
                match nh.to {
                    Some(to) => {
                        let _ = writeln!(out, "{pad}Next hop: {to} via {}{sel}", nh.via);
                    }
                    None => {
                        let _ = writeln!(out, "{pad}Next hop: via {}{sel}", nh.via);
                    }
                }
                let _ = writeln!(out, "{pad}Session Id: 0x0");
            }
            if let Some(f) = shows_from(p) {
                let _ = writeln!(out, "{pad}Protocol next hop: {f}");
                let _ = writeln!(
                    out,
                    "{pad}Indirect next hop: 0x2 1048577 INH Session ID: 0x0"
                );
            }
        }
    }
    let ibgp = p.peer.is_some_and(|x| x.ibgp);
    let state = match (rank == 0, p.protocol, ibgp) {
        (true, Protocol::Bgp, true) => "<Active Int Ext>",
        (true, Protocol::Bgp, false) => "<Active Ext>",
        (false, Protocol::Bgp, true) => "<Int Ext>",
        (false, Protocol::Bgp, false) => "<Ext>",
        (true, Protocol::Local, _) => "<Active NoReadvrt Int>",
        (true, _, _) => "<Active Int>",
        (false, _, _) => "<Int>",
    };
    let _ = writeln!(out, "{pad}State: {state}");
    if rank > 0
        && let Some(best) = dest.active()
    {
        let (_, step) = compare(best, p);
        let _ = writeln!(out, "{pad}Inactive reason: {}", step.junos_reason());
    }
    let local_as = world.topology().router(node).asn;
    if let Some(peer) = p.peer {
        let _ = writeln!(out, "{pad}Local AS: {local_as} Peer AS: {}", peer.asn);
    } else {
        let _ = writeln!(out, "{pad}Local AS: {local_as}");
    }
    let _ = writeln!(out, "{pad}Age: {}", elapsed(age(world, p)));
    let _ = writeln!(out, "{pad}Validation State: unverified");
    match p.peer {
        Some(peer) => {
            let _ = writeln!(out, "{pad}Task: BGP_{}.{}", peer.asn, peer.addr);
        }
        None => {
            let task = if p.protocol == Protocol::Static {
                "RT"
            } else {
                "IF"
            };
            let _ = writeln!(out, "{pad}Task: {task}");
        }
    }
    if rank == 0 {
        let _ = writeln!(out, "{pad}Announcement bits (1): 0-KRT");
    }
    let _ = writeln!(out, "{pad}AS path: {}", p.as_path_text());
    if let Some(peer) = p.peer {
        let mp = if rank == 0 && p.next_hops.len() > 1 {
            " Multipath"
        } else {
            ""
        };
        let _ = writeln!(out, "{pad}Accepted{mp}");
        let _ = writeln!(out, "{pad}Localpref: {}", p.local_pref);
        let _ = writeln!(out, "{pad}Router ID: {}", peer.router_id);
    }
    if extensive {
        let _ = writeln!(out, "{pad}Thread: junos-main");
    }
}

/// `show route …` as text.
pub fn text(world: &World, device: DeviceId, q: &RouteQuery) -> String {
    let Some(node) = device.node() else {
        return String::new();
    };
    let mut out = String::new();
    for t in world
        .tables(device)
        .iter()
        .filter(|t| table_selected(&t.name, q.table.as_deref()))
    {
        let sel = select(t, q);
        let _ = writeln!(out, "\n{}", header(t));
        if sel.is_empty() {
            continue;
        }
        match q.style {
            Style::Brief => {
                out.push_str("+ = Active Route, - = Last Active, * = Both\n\n");
                for (prefix, paths, dest) in &sel {
                    for (i, (rank, p)) in paths.iter().enumerate() {
                        let first = (i == 0).then_some(prefix);
                        brief_path(&mut out, world, first, marker(dest, *rank, p), p);
                    }
                }
            }
            Style::Detail | Style::Extensive => {
                for (k, (prefix, paths, dest)) in sel.iter().enumerate() {
                    if k > 0 {
                        out.push('\n');
                    }
                    let announced = usize::from(!dest.paths.is_empty());
                    let _ = writeln!(
                        out,
                        "{prefix} ({}, {announced} announced)",
                        entries_word(dest.paths.len())
                    );
                    for (rank, p) in paths {
                        detail_path(
                            &mut out,
                            world,
                            node,
                            dest,
                            *rank,
                            p,
                            q.style == Style::Extensive,
                        );
                    }
                }
            }
        }
    }
    out
}

fn adv_row(
    out: &mut String,
    mark: char,
    prefix: &Prefix,
    nexthop: &str,
    med: Option<u32>,
    lp: Option<u32>,
    as_path: &str,
) {
    let med = med.map(|m| m.to_string()).unwrap_or_default();
    let lp = lp.map(|m| m.to_string()).unwrap_or_default();
    let prefix = prefix.to_string();
    if prefix.len() > 23 {
        let _ = writeln!(out, "  {prefix}");
        let _ = writeln!(
            out,
            "{mark} {:<23} {nexthop:<20} {med:<7} {lp:<10} {as_path}",
            ""
        );
    } else {
        let _ = writeln!(
            out,
            "{mark} {prefix:<23} {nexthop:<20} {med:<7} {lp:<10} {as_path}"
        );
    }
}

/// Which way `show route …-protocol bgp N` looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Advertising,
    Receive,
}

/// The routes of one neighbor, as the brief or detail table shows them:
/// (prefix, marker, the path to print, next hop text, MED, Lclpref, AS
/// path text).
struct NeighborRow {
    prefix: Prefix,
    active: bool,
    next_hop: Option<Ipv4Addr>,
    med: Option<u32>,
    local_pref: Option<u32>,
    as_path: String,
    /// AS path as the detail form prints it (`[65020] I` when advertising).
    as_path_detail: String,
    entries: usize,
    path: Path,
}

fn neighbor_rows(
    world: &World,
    node: Node,
    dir: Direction,
    neighbor: Ipv4Addr,
    dest_filter: Option<Prefix>,
) -> Option<(String, Vec<NeighborRow>)> {
    let topo = world.topology();
    let sid = topo.session_by_neighbor(node, neighbor)?;
    let ibgp = !topo.sessions[sid].is_ebgp(topo);
    let local_as = topo.router(node).asn;
    let table = world.instance_table(node);
    let rib = world.rib(node);
    let entries = |p: &Prefix| rib.dests.get(p).map_or(0, |d| d.paths.len());
    let mut rows: Vec<NeighborRow> = match dir {
        Direction::Advertising => world
            .advertised_to(node, neighbor)?
            .into_iter()
            .map(
                |Advertised {
                     prefix,
                     path,
                     sent,
                     next_hop_self,
                 }| NeighborRow {
                    prefix,
                    active: true,
                    next_hop: if next_hop_self {
                        None
                    } else {
                        sent.peer.map(|x| x.addr)
                    },
                    med: sent.med,
                    local_pref: ibgp.then_some(sent.local_pref),
                    as_path: path.as_path_text(),
                    as_path_detail: if ibgp {
                        path.as_path_text()
                    } else {
                        format!("[{local_as}] {}", path.as_path_text())
                    },
                    entries: entries(&prefix),
                    path,
                },
            )
            .collect(),
        Direction::Receive => world
            .received_from(node, neighbor)?
            .into_iter()
            .map(|(p, active)| NeighborRow {
                prefix: p.prefix,
                active,
                next_hop: p.peer.map(|x| x.addr),
                med: p.med,
                local_pref: ibgp.then_some(p.local_pref),
                as_path: p.as_path_text(),
                as_path_detail: p.as_path_text(),
                entries: entries(&p.prefix),
                path: p,
            })
            .collect(),
    };
    if let Some(d) = dest_filter {
        rows.retain(|r| d.contains(&r.prefix) || r.prefix.contains(&d));
    }
    rows.sort_by_key(|r| r.prefix);
    Some((table, rows))
}

fn neighbor_table(world: &World, node: Node, name: &str) -> Option<TableView> {
    let device = match node {
        Node::Ce1 => DeviceId::Ce1,
        Node::Ce2 => DeviceId::Ce2,
        Node::Fw => DeviceId::Fw,
        _ => return None,
    };
    world.tables(device).into_iter().find(|t| t.name == name)
}

/// `show route advertising-protocol|receive-protocol bgp N [table T] [detail]`.
pub fn neighbor_text(
    world: &World,
    device: DeviceId,
    dir: Direction,
    neighbor: Ipv4Addr,
    table: Option<&str>,
    dest: Option<Prefix>,
    style: Style,
) -> String {
    let Some(node) = device.node() else {
        return String::new();
    };
    let Some((tname, rows)) = neighbor_rows(world, node, dir, neighbor, dest) else {
        return String::new();
    };
    if !table_selected(&tname, table) {
        return String::new();
    }
    let Some(t) = neighbor_table(world, node, &tname) else {
        return String::new();
    };
    let topo = world.topology();
    let mut out = String::new();
    let _ = writeln!(out, "\n{}", header(&t));
    match style {
        Style::Brief => {
            if !rows.is_empty() {
                out.push_str(
                    "  Prefix                  Nexthop              MED     Lclpref    AS path\n",
                );
            }
            for r in &rows {
                let nh = r
                    .next_hop
                    .map_or_else(|| "Self".to_string(), |a| a.to_string());
                adv_row(
                    &mut out,
                    if r.active { '*' } else { ' ' },
                    &r.prefix,
                    &nh,
                    r.med,
                    r.local_pref,
                    &r.as_path,
                );
            }
        }
        Style::Detail | Style::Extensive => {
            let sid = topo.session_by_neighbor(node, neighbor);
            let (group, kind) = sid
                .and_then(|s| topo.sessions.get(s))
                .and_then(|s| {
                    s.ends_of(node).map(|(me, _)| {
                        (
                            me.group,
                            if s.is_ebgp(topo) {
                                "External"
                            } else {
                                "Internal"
                            },
                        )
                    })
                })
                .unwrap_or(("", "External"));
            for (k, r) in rows.iter().enumerate() {
                if k > 0 {
                    out.push('\n');
                }
                let mark = if r.active { "* " } else { "" };
                let announced = usize::from(r.entries > 0);
                let _ = writeln!(
                    out,
                    "{mark}{} ({}, {announced} announced)",
                    r.prefix,
                    entries_word(r.entries)
                );
                match dir {
                    Direction::Advertising => {
                        let _ = writeln!(out, "BGP group {group} type {kind}");
                        let nh = r
                            .next_hop
                            .map_or_else(|| "Self".to_string(), |a| a.to_string());
                        let _ = writeln!(out, "    Nexthop: {nh}");
                        if r.next_hop.is_none() && r.path.peer.is_some() {
                            let _ = writeln!(out, "    Flags: Nexthop Change");
                        }
                        if let Some(m) = r.med {
                            let _ = writeln!(out, "    MED: {m}");
                        }
                        if let Some(lp) = r.local_pref {
                            let _ = writeln!(out, "    Localpref: {lp}");
                        }
                        let _ = writeln!(out, "    AS path: {}", r.as_path_detail);
                    }
                    Direction::Receive => {
                        let _ = writeln!(out, "    Accepted");
                        if let Some(a) = r.next_hop {
                            let _ = writeln!(out, "    Nexthop: {a}");
                        }
                        if let Some(m) = r.med {
                            let _ = writeln!(out, "    MED: {m}");
                        }
                        let _ = writeln!(out, "    Localpref: {}", r.path.local_pref);
                        let _ = writeln!(out, "    AS path: {}", r.as_path_detail);
                    }
                }
            }
        }
    }
    out
}

// --- structured ------------------------------------------------------------

fn routing_root(world: &World, device: DeviceId) -> Elem {
    let version = world
        .topology()
        .device(device)
        .map_or("18.4R3", |d| d.version);
    Elem::new("route-information").attr(
        "xmlns",
        format!("http://xml.juniper.net/junos/{version}/junos-routing"),
    )
}

fn table_elem(t: &TableView) -> Elem {
    let mut e = Elem::new("route-table");
    e.leaf("table-name", t.name.clone())
        .leaf("destination-count", t.dests.len().to_string())
        .leaf("total-route-count", t.route_count().to_string())
        .leaf("active-route-count", t.active_count().to_string())
        .leaf("holddown-route-count", "0")
        .leaf("hidden-route-count", "0");
    e
}

fn age_leaf(e: &mut Elem, world: &World, p: &Path) {
    let a = age(world, p);
    e.leaf_attr(
        "age",
        route_age(a),
        vec![("junos:seconds", a.as_secs().to_string())],
    );
}

fn entry_elem(world: &World, dest: &Dest, rank: usize, p: &Path, style: Style) -> Elem {
    let mut e = Elem::new("rt-entry");
    let m = marker(dest, rank, p);
    e.leaf("active-tag", m.to_string());
    if rank == 0 {
        e.flag("current-active");
    }
    if dest.last_active == Some(p.source) {
        e.flag("last-active");
    }
    e.leaf("protocol-name", p.protocol.junos_name())
        .leaf("preference", p.preference.to_string());
    if style != Style::Brief && p.protocol == Protocol::Bgp {
        e.leaf("preference2", format!("-{}", u64::from(p.local_pref) + 1));
    }
    if style == Style::Brief {
        age_leaf(&mut e, world, p);
    }
    if p.protocol == Protocol::Local {
        e.leaf("nh-type", "Local");
    }
    if p.protocol == Protocol::Bgp && style == Style::Brief {
        if let Some(m) = p.med {
            e.leaf("med", m.to_string());
        }
        e.leaf("local-preference", p.local_pref.to_string());
        if let Some(f) = shows_from(p) {
            e.leaf("learned-from", f.to_string());
        }
        e.leaf("as-path", p.as_path_text())
            .leaf("validation-state", "unverified");
    }
    if let Some(via) = p.local_via {
        let mut nh = Elem::new("nh");
        nh.leaf("nh-local-interface", via);
        e.child(nh);
    }
    for (i, n) in p.next_hops.iter().enumerate() {
        let mut nh = Elem::new("nh");
        if style != Style::Brief {
            nh.leaf("nh-string", "Next hop");
        }
        if i == 0 {
            nh.flag("selected-next-hop");
        }
        if let Some(to) = n.to {
            nh.leaf("to", to.to_string());
        }
        nh.leaf("via", n.via);
        e.child(nh);
    }
    if style != Style::Brief {
        if let Some(peer) = p.peer {
            e.leaf(
                "local-as",
                world.topology().router(peer.node).asn.to_string(),
            );
            e.leaf("peer-as", peer.asn.to_string());
        }
        age_leaf(&mut e, world, p);
        e.leaf("validation-state", "unverified");
        e.leaf("as-path", format!("AS path: {}\n", p.as_path_text()));
        if p.protocol == Protocol::Bgp {
            e.leaf("bgp-rt-flag", "Accepted");
            e.leaf("local-preference", p.local_pref.to_string());
            if let Some(peer) = p.peer {
                e.leaf("peer-id", peer.router_id.to_string());
            }
        }
    }
    e
}

/// `show route … | display xml|json` as an element tree.
pub fn tree(world: &World, device: DeviceId, q: &RouteQuery) -> Elem {
    let mut root = routing_root(world, device);
    for t in world
        .tables(device)
        .iter()
        .filter(|t| table_selected(&t.name, q.table.as_deref()))
    {
        let sel = select(t, q);
        root.comment("keepalive");
        let mut te = table_elem(t);
        for (prefix, paths, dest) in &sel {
            let style_name = if q.style == Style::Brief {
                "brief"
            } else {
                "detail"
            };
            let mut rt = Elem::new("rt").attr("junos:style", style_name);
            if q.style == Style::Brief {
                rt.leaf("rt-destination", prefix.to_string());
            } else {
                rt.leaf("rt-destination", prefix.network().to_string())
                    .leaf("rt-prefix-length", prefix.len().to_string())
                    .leaf_attr(
                        "rt-entry-count",
                        dest.paths.len().to_string(),
                        vec![("junos:format", entries_word(dest.paths.len()))],
                    )
                    .leaf(
                        "rt-announced-count",
                        usize::from(!dest.paths.is_empty()).to_string(),
                    );
            }
            for (rank, p) in paths {
                rt.child(entry_elem(world, dest, *rank, p, q.style));
            }
            te.child(rt);
        }
        root.child(te);
    }
    root
}

/// `show route advertising-protocol|receive-protocol … | display xml|json`.
pub fn neighbor_tree(
    world: &World,
    device: DeviceId,
    dir: Direction,
    neighbor: Ipv4Addr,
    table: Option<&str>,
    dest: Option<Prefix>,
) -> Elem {
    let mut root = routing_root(world, device);
    let Some(node) = device.node() else {
        return root;
    };
    let Some((tname, rows)) = neighbor_rows(world, node, dir, neighbor, dest) else {
        return root;
    };
    if !table_selected(&tname, table) {
        return root;
    }
    let Some(t) = neighbor_table(world, node, &tname) else {
        return root;
    };
    root.comment("keepalive");
    let mut te = table_elem(&t);
    for r in &rows {
        let mut rt = Elem::new("rt").attr("junos:style", "brief");
        rt.leaf("rt-destination", r.prefix.to_string());
        let mut e = Elem::new("rt-entry");
        e.leaf("active-tag", if r.active { "*" } else { " " });
        e.leaf("protocol-name", r.path.protocol.junos_name());
        e.leaf("preference", r.path.preference.to_string());
        age_leaf(&mut e, world, &r.path);
        let mut nh = Elem::new("nh");
        nh.leaf(
            "to",
            r.next_hop
                .map_or_else(|| "Self".to_string(), |a| a.to_string()),
        );
        e.child(nh);
        if let Some(m) = r.med {
            e.leaf("med", m.to_string());
        }
        if let Some(lp) = r.local_pref {
            e.leaf("local-preference", lp.to_string());
        }
        e.leaf("as-path", r.as_path_detail.clone());
        rt.child(e);
        te.child(rt);
    }
    root.child(te);
    root
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
                    table: Some(t.name.clone().into()),
                });
            }
        }
    }
    out
}
