//! `show route` as text, brief and detail: one block per table, each
//! path under its destination.

use std::fmt::Write as _;

use super::super::time::{elapsed, route_age};
use super::{
    RouteQuery, Style, age, entries_word, header, marker, select, shows_from, table_selected,
};
use crate::bgp::{Dest, Path, Protocol, compare};
use crate::topology::{DeviceId, Node};
use crate::world::World;
use cutover_core::model::Prefix;

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
