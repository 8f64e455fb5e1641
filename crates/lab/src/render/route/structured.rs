//! The element trees behind `show route … | display xml` and
//! `| display json`, with Junos' element names.

use super::super::time::route_age;
use super::super::tree::Elem;
use super::{RouteQuery, Style, age, entries_word, marker, select, shows_from, table_selected};
use crate::bgp::{Dest, Path, Protocol};
use crate::topology::DeviceId;
use crate::world::{TableView, World};

pub(super) fn routing_root(world: &World, device: DeviceId) -> Elem {
    let version = world
        .topology()
        .device(device)
        .map_or("18.4R3", |d| d.version);
    Elem::new("route-information").attr(
        "xmlns",
        format!("http://xml.juniper.net/junos/{version}/junos-routing"),
    )
}

pub(super) fn table_elem(t: &TableView) -> Elem {
    let mut e = Elem::new("route-table");
    e.leaf("table-name", t.name.clone())
        .leaf("destination-count", t.dests.len().to_string())
        .leaf("total-route-count", t.route_count().to_string())
        .leaf("active-route-count", t.active_count().to_string())
        .leaf("holddown-route-count", "0")
        .leaf("hidden-route-count", "0");
    e
}

pub(super) fn age_leaf(e: &mut Elem, world: &World, p: &Path) {
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
    // The detail forms' `Source:`.
    if let Some(peer) = p.peer.filter(|_| style != Style::Brief) {
        e.leaf("gateway", peer.addr.to_string());
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
