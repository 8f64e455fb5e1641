//! `show route advertising-protocol|receive-protocol bgp N`: the routes
//! one BGP neighbor is sent or has sent, as text and as an element tree.

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use super::super::tree::Elem;
use super::structured::{age_leaf, routing_root, table_elem};
use super::{Direction, Style, entries_word, header, table_selected};
use crate::bgp::Path;
use crate::topology::{DeviceId, Node};
use crate::world::{Advertised, TableView, World};
use cutover_core::model::Prefix;

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
