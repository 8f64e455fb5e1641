//! Junos outputs other than `show route`: `show bgp summary`, `show bfd
//! session`, the SRX's IKE and IPsec SAs, `show configuration
//! routing-instances`, `show version`. Layouts follow the fixtures under
//! tests/fixtures/junos and the article.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::time::elapsed;
use super::tree::Elem;
use crate::topology::{DeviceId, Platform};
use crate::world::{BgpPeerRow, World};

/// The SRX cluster's per-node section header.
const NODE0: &str =
    "\nnode0:\n--------------------------------------------------------------------------\n";

fn is_cluster(world: &World, device: DeviceId) -> bool {
    world
        .topology()
        .device(device)
        .is_some_and(|d| d.platform == Platform::JunosSrxCluster)
}

fn version(world: &World, device: DeviceId) -> &'static str {
    world
        .topology()
        .device(device)
        .map_or("18.4R3", |d| d.version)
}

/// Peers of `instance` (all when None), sorted by address as Junos does.
fn peers(world: &World, device: DeviceId, instance: Option<&str>) -> Option<Vec<BgpPeerRow>> {
    let node = device.node()?;
    let own = world.topology().router(node).instance;
    if instance.is_some_and(|i| own != Some(i)) {
        return None;
    }
    let mut rows = world.bgp_peers(device);
    rows.sort_by_key(|r| u32::from(r.peer));
    Some(rows)
}

struct Totals {
    table: String,
    groups: usize,
    down: usize,
    total: usize,
    active: usize,
}

fn totals(world: &World, device: DeviceId, rows: &[BgpPeerRow]) -> Totals {
    let groups: BTreeSet<&str> = rows.iter().map(|r| r.group).collect();
    let table = device
        .node()
        .map(|n| world.instance_table(n))
        .unwrap_or_else(|| "inet.0".to_string());
    Totals {
        table,
        groups: groups.len(),
        down: rows.iter().filter(|r| !r.established).count(),
        total: rows.iter().map(|r| r.received).sum(),
        active: rows.iter().map(|r| r.active).sum(),
    }
}

const PEER_HEADING: &str = "Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...";

/// `show bgp summary [instance X]`.
pub fn bgp_summary_text(world: &World, device: DeviceId, instance: Option<&str>) -> String {
    let Some(rows) = peers(world, device, instance) else {
        return String::new();
    };
    let t = totals(world, device, &rows);
    let mut out = String::new();
    out.push_str("Threading mode: BGP I/O\n");
    let _ = writeln!(
        out,
        "Groups: {} Peers: {} Down peers: {}",
        t.groups,
        rows.len(),
        t.down
    );
    out.push_str(
        "Table          Tot Paths  Act Paths Suppressed    History Damp State    Pending\n",
    );
    let _ = writeln!(out, "{:<20} ", t.table);
    let _ = writeln!(
        out,
        "{:>24}{:>11}{:>11}{:>11}{:>11}{:>11}",
        t.total, t.active, 0, 0, 0, 0
    );
    out.push_str(PEER_HEADING);
    out.push('\n');
    for r in &rows {
        let peer = r.peer.to_string();
        let asn = r.peer_as.to_string();
        let gap = 27usize.saturating_sub(peer.len() + asn.len()).max(1);
        let _ = write!(
            out,
            "{peer}{}{asn}{:>11}{:>11}{:>8}{:>8} {:>11} ",
            " ".repeat(gap),
            r.in_msgs,
            r.out_msgs,
            0,
            r.flaps,
            elapsed(r.last_change)
        );
        if r.established {
            out.push_str("Establ\n");
            let _ = writeln!(
                out,
                "  {}: {}/{}/{}/0",
                r.table, r.active, r.received, r.accepted
            );
        } else {
            let _ = writeln!(out, "{}", r.state);
        }
    }
    out
}

/// `show bgp summary | display xml|json`.
pub fn bgp_summary_tree(world: &World, device: DeviceId, instance: Option<&str>) -> Elem {
    let mut root = Elem::new("bgp-information").attr(
        "xmlns",
        format!(
            "http://xml.juniper.net/junos/{}/junos-routing",
            version(world, device)
        ),
    );
    let Some(rows) = peers(world, device, instance) else {
        return root;
    };
    let t = totals(world, device, &rows);
    root.leaf("bgp-thread-mode", "BGP I/O")
        .leaf("group-count", t.groups.to_string())
        .leaf("peer-count", rows.len().to_string())
        .leaf("down-peer-count", t.down.to_string());
    let ext: usize = rows.iter().filter(|r| !r.ibgp).map(|r| r.received).sum();
    let ext_active: usize = rows.iter().filter(|r| !r.ibgp).map(|r| r.active).sum();
    let mut rib = Elem::new("bgp-rib").attr("style", "brief");
    rib.leaf("name", t.table.clone())
        .leaf("total-prefix-count", t.total.to_string())
        .leaf("received-prefix-count", t.total.to_string())
        .leaf("accepted-prefix-count", t.total.to_string())
        .leaf("active-prefix-count", t.active.to_string())
        .leaf("suppressed-prefix-count", "0")
        .leaf("history-prefix-count", "0")
        .leaf("damped-prefix-count", "0")
        .leaf("total-external-prefix-count", ext.to_string())
        .leaf("active-external-prefix-count", ext_active.to_string())
        .leaf("accepted-external-prefix-count", ext.to_string())
        .leaf("suppressed-external-prefix-count", "0")
        .leaf("total-internal-prefix-count", (t.total - ext).to_string())
        .leaf(
            "active-internal-prefix-count",
            (t.active - ext_active).to_string(),
        )
        .leaf(
            "accepted-internal-prefix-count",
            (t.total - ext).to_string(),
        )
        .leaf("suppressed-internal-prefix-count", "0")
        .leaf("pending-prefix-count", "0")
        .leaf("bgp-rib-state", "BGP restart is complete");
    root.child(rib);
    for (i, r) in rows.iter().enumerate() {
        let mut p = Elem::new("bgp-peer").attr("style", "terse");
        if i == 0 {
            p = p.attr("heading", PEER_HEADING);
        }
        p.leaf("peer-address", r.peer.to_string())
            .leaf("peer-as", r.peer_as.to_string())
            .leaf("input-messages", r.in_msgs.to_string())
            .leaf("output-messages", r.out_msgs.to_string())
            .leaf("route-queue-count", "0")
            .leaf("flap-count", r.flaps.to_string())
            .leaf_attr(
                "elapsed-time",
                elapsed(r.last_change),
                vec![("junos:seconds", r.last_change.as_secs().to_string())],
            );
        if r.established {
            p.leaf_attr(
                "peer-state",
                "Established",
                vec![("format", "Establ".to_string())],
            );
            let mut pr = Elem::new("bgp-rib").attr("style", "terse");
            pr.leaf("name", r.table.clone())
                .leaf("active-prefix-count", r.active.to_string())
                .leaf("received-prefix-count", r.received.to_string())
                .leaf("accepted-prefix-count", r.accepted.to_string())
                .leaf("suppressed-prefix-count", "0");
            p.child(pr);
        } else {
            p.leaf("peer-state", r.state);
        }
        root.child(p);
    }
    root
}

/// `show bfd session`.
pub fn bfd_text(world: &World, device: DeviceId) -> String {
    let rows = world.bfd_sessions(device);
    let mut out = String::new();
    if !rows.is_empty() {
        let _ = writeln!(out, "{}Detect   Transmit", " ".repeat(50));
        out.push_str(
            "Address                  State     Interface      Time     Interval  Multiplier\n",
        );
        for r in &rows {
            let state = if r.up { "Up" } else { "Down" };
            let _ = writeln!(
                out,
                "{:<25}{:<10}{:<15}{:>5}{:>10}{:>9}   ",
                r.peer.to_string(),
                state,
                r.interface,
                format!("{:.3}", r.detect_s),
                format!("{:.3}", r.transmit_s),
                r.multiplier
            );
        }
    }
    let (tx, rx) = rates(world, device);
    let _ = write!(
        out,
        "\n{n} sessions, {n} clients\nCumulative transmit rate {tx:.1} pps, cumulative receive rate {rx:.1} pps\n",
        n = rows.len()
    );
    out
}

fn rates(world: &World, device: DeviceId) -> (f64, f64) {
    let rows = world.bfd_sessions(device);
    // Folding from +0.0: an empty f64 sum is -0.0, which Junos never prints.
    let tx = rows
        .iter()
        .map(|r| 1.0 / r.transmit_s.max(0.001))
        .fold(0.0, |a, b| a + b);
    let rx = rows
        .iter()
        .filter(|r| r.up)
        .map(|r| 1.0 / r.transmit_s.max(0.001))
        .fold(0.0, |a, b| a + b);
    (tx, rx)
}

/// `show bfd session | display xml|json`.
pub fn bfd_tree(world: &World, device: DeviceId) -> Elem {
    let mut root = Elem::new("bfd-session-information").attr(
        "xmlns",
        format!(
            "http://xml.juniper.net/junos/{}/junos-bfd",
            version(world, device)
        ),
    );
    let rows = world.bfd_sessions(device);
    for r in &rows {
        let mut s = Elem::new("bfd-session");
        s.leaf("session-neighbor", r.peer.to_string())
            .leaf("session-state", if r.up { "Up" } else { "Down" })
            .leaf("session-interface", r.interface)
            .leaf("session-detection-time", format!("{:.3}", r.detect_s))
            .leaf(
                "session-transmission-interval",
                format!("{:.3}", r.transmit_s),
            )
            .leaf("session-adaptive-multiplier", r.multiplier.to_string());
        root.child(s);
    }
    let (tx, rx) = rates(world, device);
    root.leaf("sessions", rows.len().to_string())
        .leaf("clients", rows.len().to_string())
        .leaf("cumulative-transmission-rate", format!("{tx:.1}"))
        .leaf("cumulative-reception-rate", format!("{rx:.1}"));
    root
}

/// `show security ike security-associations` (SRX).
pub fn ike_text(world: &World, device: DeviceId) -> String {
    let mut out = String::new();
    if is_cluster(world, device) {
        out.push_str(NODE0);
    }
    let sas = world.ike_sas();
    if sas.is_empty() {
        return out;
    }
    out.push_str(
        "Index   State  Initiator cookie  Responder cookie  Mode           Remote Address\n",
    );
    for sa in &sas {
        let _ = writeln!(
            out,
            "{:<8}{:<7}{:<18}{:<18}{:<15}{}",
            sa.index,
            if sa.up { "UP" } else { "DOWN" },
            sa.initiator_cookie,
            sa.responder_cookie,
            "IKEv2",
            sa.remote
        );
    }
    out
}

/// `show security ipsec security-associations` (SRX).
pub fn ipsec_text(world: &World, device: DeviceId) -> String {
    let mut out = String::new();
    if is_cluster(world, device) {
        out.push_str(NODE0);
    }
    let sas = world.ipsec_sas();
    let _ = writeln!(out, "  Total active tunnels: {}", sas.len());
    if sas.is_empty() {
        return out;
    }
    out.push_str("  ID    Algorithm       SPI      Life:sec/kb  Mon lsys Port  Gateway\n");
    for sa in &sas {
        for (dir, spi) in [('<', &sa.inbound_spi), ('>', &sa.outbound_spi)] {
            let _ = writeln!(
                out,
                "  {dir}{} {} {spi} {}/ unlim - root {} {}",
                sa.tunnel_id, sa.algorithm, sa.lifetime_remaining_s, sa.port, sa.gateway
            );
        }
    }
    out
}

/// `show version`.
pub fn version_text(world: &World, device: DeviceId) -> String {
    let Some(d) = world.topology().device(device) else {
        return String::new();
    };
    let mut out = String::new();
    if is_cluster(world, device) {
        out.push_str(NODE0);
    }
    let _ = writeln!(out, "Hostname: {}", d.hostname);
    let _ = writeln!(out, "Model: {}", d.model);
    let _ = writeln!(out, "Junos: {}", d.version);
    out
}

/// `show configuration routing-instances [NAME]`: the BGP part of the
/// routing instance as the world has it configured, Junos' curly style.
pub fn config_text(world: &World, device: DeviceId, name: Option<&str>) -> String {
    let Some(node) = device.node() else {
        return String::new();
    };
    let topo = world.topology();
    let r = topo.router(node);
    let Some(inst) = r.instance else {
        return String::new();
    };
    if name.is_some_and(|n| n != inst) {
        return String::new();
    }
    let mut body = String::new();
    let _ = writeln!(body, "description \"Customer 11 VRF\";");
    let _ = writeln!(body, "instance-type virtual-router;");
    for i in r.interfaces.iter().filter(|i| i.instance == Some(inst)) {
        let _ = writeln!(body, "interface {};", i.name);
    }
    let statics: Vec<(String, &str)> = r
        .originate
        .iter()
        .filter_map(|o| match o.kind {
            crate::topology::OriginKind::Static { via } => Some((o.prefix.to_string(), via)),
            crate::topology::OriginKind::Network => None,
        })
        .chain(
            world
                .scenario_statics(node)
                .map(|(p, i)| (p.to_string(), i)),
        )
        .collect();
    if !statics.is_empty() {
        body.push_str("routing-options {\n    static {\n");
        for (p, via) in &statics {
            let _ = writeln!(body, "        route {p} next-hop {via};");
        }
        body.push_str("    }\n}\n");
    }
    body.push_str("protocols {\n    bgp {\n");
    // Groups in configuration order, each with its neighbors.
    let mut groups: Vec<&str> = Vec::new();
    for (_, s) in topo.sessions_of(node) {
        if let Some((me, _)) = s.ends_of(node)
            && !groups.contains(&me.group)
        {
            groups.push(me.group);
        }
    }
    for g in groups {
        let members: Vec<(usize, usize)> = topo
            .sessions_of(node)
            .filter_map(|(sid, s)| {
                let end = usize::from(s.ends[0].node != node);
                (s.ends[end].group == g).then_some((sid, end))
            })
            .collect();
        let Some(&(sid0, end0)) = members.first() else {
            continue;
        };
        let s0 = &topo.sessions[sid0];
        let peer0 = &s0.ends[1 - end0];
        let ebgp = s0.is_ebgp(topo);
        let _ = writeln!(body, "        group {g} {{");
        if ebgp {
            if matches!(s0.carrier, crate::topology::Carrier::Tunnel(_)) {
                body.push_str("            multihop {\n                ttl 2;\n            }\n");
                let _ = writeln!(body, "            local-address {};", s0.ends[end0].addr);
            }
            let _ = writeln!(body, "            peer-as {};", topo.router(peer0.node).asn);
        } else {
            body.push_str("            type internal;\n");
        }
        if let Some((_, Some(lp))) = world.export_policy(sid0, end0) {
            let _ = writeln!(body, "            local-preference {lp};");
        }
        if r.multipath && members.len() > 1 {
            body.push_str("            multipath;\n");
        }
        if s0.bfd && world.scenario().timing.bfd {
            let t = world.scenario().timing;
            body.push_str("            bfd-liveness-detection {\n");
            let _ = writeln!(
                body,
                "                minimum-interval {};",
                t.bfd_interval.as_millis()
            );
            let _ = writeln!(body, "                multiplier {};", t.bfd_multiplier);
            body.push_str("            }\n");
        }
        if let Some((ex, _)) = world.export_policy(sid0, end0)
            && !ex.originated.is_empty()
        {
            let _ = writeln!(body, "            export {g}-out;");
        }
        for (sid, end) in &members {
            let _ = writeln!(
                body,
                "            neighbor {};",
                topo.sessions[*sid].ends[1 - end].addr
            );
        }
        body.push_str("        }\n");
    }
    body.push_str("    }\n}\n");
    match name {
        Some(_) => body,
        None => {
            let mut out = format!("{inst} {{\n");
            for l in body.lines() {
                let _ = writeln!(out, "    {l}");
            }
            out.push_str("}\n");
            out
        }
    }
}
