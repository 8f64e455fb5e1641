use std::cmp::Ordering;

use super::decision::{apply_multipath, sort_dest};
use super::*;
use crate::topology::{Export, Topology};

fn peer(session: usize, addr: [u8; 4], asn: u32, ibgp: bool) -> Option<Peer> {
    let a = Ipv4Addr::from(addr);
    Some(Peer {
        session,
        node: Node::Ce1,
        addr: a,
        asn,
        router_id: a,
        ibgp,
    })
}

fn bgp(lp: u32, as_path: Vec<u32>, peer: Option<Peer>) -> Path {
    Path {
        prefix: "10.17.11.0/25".parse().expect("prefix"),
        protocol: Protocol::Bgp,
        preference: 170,
        local_pref: lp,
        weight: 0,
        as_path,
        origin: Origin::Igp,
        med: None,
        source: PathSource::Session {
            session: peer.map(|p| p.session).unwrap_or(0),
            n: 0,
        },
        peer,
        next_hops: vec![],
        local_via: None,
        since: Duration::ZERO,
    }
}

#[test]
fn decision_order() {
    let er1 = bgp(150, vec![12076], peer(2, [192, 168, 11, 0], 65020, true));
    let er2 = bgp(150, vec![12076], peer(3, [192, 168, 11, 2], 65020, true));
    let vpn = bgp(100, vec![65515], peer(4, [10, 17, 11, 76], 65515, false));
    assert_eq!(compare(&er1, &vpn), (Ordering::Less, Step::LocalPref));
    assert_eq!(compare(&er1, &er2), (Ordering::Less, Step::RouterId));
    // Without the CE's local preference the eBGP VPN path beats iBGP.
    let er2_plain = bgp(100, vec![12076], peer(3, [192, 168, 11, 2], 65020, true));
    assert_eq!(
        compare(&vpn, &er2_plain),
        (Ordering::Less, Step::ExternalOverInternal)
    );
    let long = bgp(
        100,
        vec![65515, 65515],
        peer(5, [10, 17, 11, 77], 65515, false),
    );
    assert_eq!(compare(&vpn, &long), (Ordering::Less, Step::AsPathLength));
    let mut stat = bgp(100, vec![], None);
    stat.protocol = Protocol::Static;
    stat.preference = 5;
    assert_eq!(compare(&stat, &er1), (Ordering::Less, Step::Preference));
    let mut heavy = vpn.clone();
    heavy.weight = 32769;
    let mut light = er1.clone();
    light.weight = 32768;
    assert_eq!(compare(&heavy, &light), (Ordering::Less, Step::Weight));
    let mut e = vpn.clone();
    e.origin = Origin::Egp;
    assert_eq!(compare(&vpn, &e), (Ordering::Less, Step::Origin));
    let mut m = vpn.clone();
    m.med = Some(10);
    assert_eq!(compare(&vpn, &m), (Ordering::Less, Step::Med));
}

#[test]
fn multipath_joins_equal_paths_only() {
    let mut paths = vec![
        bgp(100, vec![65515], peer(4, [10, 17, 11, 76], 65515, false)),
        bgp(150, vec![12076], peer(3, [192, 168, 11, 2], 65020, true)),
        bgp(150, vec![12076], peer(2, [192, 168, 11, 0], 65020, true)),
    ];
    paths[0].next_hops = vec![NextHop {
        to: None,
        via: "st0.118",
    }];
    paths[1].next_hops = vec![NextHop {
        to: Some(Ipv4Addr::new(192, 168, 11, 2)),
        via: "reth2.11",
    }];
    paths[2].next_hops = vec![NextHop {
        to: Some(Ipv4Addr::new(192, 168, 11, 0)),
        via: "reth1.11",
    }];
    sort_dest(&mut paths);
    apply_multipath(&mut paths);
    let vias: Vec<_> = paths[0].next_hops.iter().map(|n| n.via).collect();
    assert_eq!(vias, ["reth1.11", "reth2.11"]);
    assert_eq!(paths[1].next_hops.len(), 1);
    assert_eq!(paths[2].next_hops[0].via, "st0.118");
}

fn inputs_default(topo: &Topology) -> (Vec<[Export; 2]>, Vec<[Option<u32>; 2]>) {
    let ex = topo
        .sessions
        .iter()
        .map(|s| [s.ends[0].export.clone(), s.ends[1].export.clone()])
        .collect();
    let lp = topo
        .sessions
        .iter()
        .map(|s| [s.ends[0].local_pref_out, s.ends[1].local_pref_out])
        .collect();
    (ex, lp)
}

#[test]
fn article_steady_state() {
    let topo = Topology::article();
    let up = vec![true; topo.sessions.len()];
    let tun = vec![true; topo.tunnels.len()];
    let (ex, lp) = inputs_default(&topo);
    let since = vec![Duration::ZERO; topo.sessions.len()];
    let tsince = vec![Duration::ZERO; topo.tunnels.len()];
    let inp = Inputs {
        topo: &topo,
        session_up: &up,
        tunnel_up: &tun,
        session_since: &since,
        tunnel_since: &tsince,
        router_since: Duration::ZERO,
        exports: &ex,
        local_pref_out: &lp,
        extra_statics: &[],
        frozen: &[],
    };
    let ribs = converge(&inp);
    let fw = &ribs[Node::Fw.index()];
    let hub = fw.dests.get(&topo.hub).expect("hub on fw");
    assert_eq!(hub.paths.len(), 4);
    let a = &hub.paths[0];
    assert_eq!((a.local_pref, a.as_path.clone()), (150, vec![12076]));
    assert_eq!(a.peer.map(|p| p.addr), Some(Ipv4Addr::new(192, 168, 11, 0)));
    assert_eq!(a.next_hops.len(), 2, "multipath over both CEs");
    assert!(
        hub.paths[2..]
            .iter()
            .all(|p| p.local_pref == 100 && p.as_path == [65515])
    );
    // Azure: ER-learned on-prem path (weight 32769) beats the VPN one.
    let v0 = &ribs[Node::VpnGw0.index()];
    let onprem = v0.dests.get(&topo.onprem).expect("on-prem on vpngw0");
    assert_eq!(onprem.paths[0].as_path, [12076, 65020]);
    assert_eq!(onprem.paths[0].weight, 32769);
    // Two ER paths (add-path from the ER gateway), the EBgp one from
    // the firewall and the IBgp one from the sibling instance.
    assert_eq!(onprem.paths.len(), 4);
    // The CE advertises the on-prem prefix to its MSEE, learned from the
    // firewall over iBGP.
    let ce1 = &ribs[Node::Ce1.index()];
    let p = ce1
        .dests
        .get(&topo.onprem)
        .and_then(Dest::active)
        .expect("on-prem on ce1");
    assert_eq!(p.as_path, Vec::<u32>::new());
}
