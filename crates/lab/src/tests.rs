//! The lab end to end: the world's state over (virtual) time, every
//! scenario's fault, and the devices' outputs read back by the console's own
//! parsers.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use super::bgp::Protocol;
use super::dataplane::PathKind;
use super::render::route::{Match, RouteQuery, Style};
use super::render::{self, run_command};
use super::scenario::{self, Scenario};
use super::topology::{DeviceId, Node, Topology};
use super::world::{PeeringState, World};
use super::{Clock, TimeScale, VirtualClock};
use cutover_core::model::Prefix;

fn ip(s: &str) -> Ipv4Addr {
    s.parse().expect("address")
}

/// A scenario's world at the tests' time scale: ARM's operations take 3 s,
/// the hold time 27 s (`world_at` for another scale).
fn world(name: &str) -> World {
    world_at(name, TimeScale::TESTS)
}

fn world_at(name: &str, scale: TimeScale) -> World {
    let topo = Topology::article();
    let mut w = World::new(scenario::load_builtin(name, &topo).expect("scenario loads"));
    w.set_time_scale(scale);
    w
}

/// The peers of the firewall's active path to the VM's prefix.
fn fw_active_peer(w: &World) -> Option<Ipv4Addr> {
    w.rib(Node::Fw)
        .lookup(w.topology().vm.addr)
        .and_then(|p| p.peer)
        .map(|p| p.addr)
}

fn hop_addrs(w: &World) -> Vec<String> {
    let t = w.trace(w.topology().vm.addr, 30, 3);
    t.to_model()
        .hops
        .into_iter()
        .flat_map(|h| h.addresses)
        .collect()
}

fn disable(w: &mut World, at: Duration) {
    w.put_peering_state(at, "AzurePrivatePeering", PeeringState::Disabled, None)
        .expect("disable accepted");
}

fn enable(w: &mut World, at: Duration) {
    w.put_peering_state(at, "AzurePrivatePeering", PeeringState::Enabled, None)
        .expect("enable accepted");
}

#[test]
fn steady_state_prefers_expressroute_on_both_sides() {
    let w = world("baseline");
    let fw = w.rib(Node::Fw);
    let hub = fw.dests.get(&w.topology().hub).expect("hub");
    let active = &hub.paths[0];
    assert_eq!(active.local_pref, 150);
    assert_eq!(active.as_path, [12076]);
    assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.0")));
    let vpn: Vec<_> = hub.paths.iter().filter(|p| p.as_path == [65515]).collect();
    assert_eq!(vpn.len(), 2);
    assert!(vpn.iter().all(|p| p.local_pref == 100));
    let statics: Vec<_> = fw
        .dests
        .values()
        .flat_map(|d| &d.paths)
        .filter(|p| p.protocol == Protocol::Static)
        .collect();
    assert_eq!(statics.len(), 2);

    let learned = w.learned_routes();
    let onprem: Vec<_> = learned
        .iter()
        .filter(|r| r.network == "10.1.11.0/25")
        .collect();
    // Per instance: EBgp from the firewall, IBgp from the sibling, and two
    // over ExpressRoute (12076-65020, weight 32769): the article's table.
    assert_eq!(onprem.len(), 8);
    assert_eq!(
        onprem
            .iter()
            .filter(|r| r.as_path == "12076-65020" && r.weight == 32769)
            .count(),
        4
    );
    assert_eq!(
        onprem
            .iter()
            .filter(|r| r.origin == "EBgp" && r.next_hop.as_deref() == Some("192.168.11.88"))
            .count(),
        2
    );
    let adv = w.advertised_routes(ip("192.168.11.88"));
    let nets: Vec<_> = adv
        .iter()
        .map(|r| {
            (
                r.local_address.as_str(),
                r.network.as_str(),
                r.as_path.as_str(),
            )
        })
        .collect();
    assert_eq!(
        nets,
        [
            ("10.17.11.76", "10.17.11.0/25", "65515"),
            ("10.17.11.76", "10.17.11.128/26", "65515"),
            ("10.17.11.77", "10.17.11.0/25", "65515"),
            ("10.17.11.77", "10.17.11.128/26", "65515"),
        ]
    );
    assert_eq!(
        hop_addrs(&w),
        ["10.1.11.1", "192.168.11.0", "192.168.11.18", "10.17.11.132"]
    );
    assert_eq!(
        w.path_to_vm(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );
}

#[test]
fn failover_with_bfd_on_a_virtual_clock() {
    let clock = Arc::new(VirtualClock::new());
    let mut w = world("baseline");
    clock.advance(Duration::from_secs(60));
    w.tick(clock.now());
    let t0 = clock.now();
    disable(&mut w, t0);
    assert_eq!(
        w.peering("AzurePrivatePeering").map(|p| p.state),
        Some("Disabled".to_string())
    );

    clock.advance(Duration::from_millis(500));
    w.tick(clock.now());
    // The CEs have not noticed yet: the firewall still points at
    // ExpressRoute, and traffic dies behind the primary CE.
    assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.0")));
    let t = w.trace(w.topology().vm.addr, 30, 3);
    assert!(!t.reached);
    assert_eq!(hop_addrs(&w), ["10.1.11.1", "192.168.11.0"]);
    assert_eq!(t.hops.len(), 30);

    // BFD declares the MSEE dead after 3 x 300 ms; the tables and the
    // forwarding follow after each CE's own convergence (600 ms to 1.8 s,
    // drawn from the scenario's seed): the firewall leaves ExpressRoute
    // once neither CE has a path any more.
    let conv = er_link_convergence(&w);
    assert!(
        conv.iter()
            .all(|c| (Duration::from_millis(600)..=Duration::from_millis(1800)).contains(c)),
        "{conv:?}"
    );
    assert_ne!(conv[0], conv[1], "two routers, two convergence times");
    assert_eq!(conv, er_link_convergence(&world("baseline")), "seeded");
    let moved = Duration::from_millis(900) + conv.iter().copied().max().unwrap();
    clock.advance(Duration::from_millis(500));
    w.tick(clock.now());
    let bfd = w.bfd_sessions(DeviceId::Ce1);
    assert!(
        bfd.iter().any(|b| b.peer == ip("192.168.11.18") && !b.up),
        "BFD is down at 1.0 s"
    );
    assert_ne!(fw_active_peer(&w), Some(ip("10.17.11.76")));
    clock.set(t0 + moved - Duration::from_millis(1));
    w.tick(clock.now());
    assert_ne!(
        fw_active_peer(&w),
        Some(ip("10.17.11.76")),
        "not before {moved:?}"
    );
    clock.set(t0 + moved);
    w.tick(clock.now());
    let active = w
        .rib(Node::Fw)
        .lookup(w.topology().vm.addr)
        .expect("a route to the VM");
    assert_eq!(active.as_path, [65515]);
    assert_eq!(active.peer.map(|p| p.addr), Some(ip("10.17.11.76")));
    let hub = w.rib(Node::Fw).dests.get(&w.topology().hub).expect("hub");
    assert!(
        hub.paths.iter().all(|p| p.as_path == [65515]),
        "no ER path left"
    );
    let hops = hop_addrs(&w);
    assert!(!hops.contains(&"192.168.11.18".to_string()));
    assert_eq!(hops, ["10.1.11.1", "10.17.11.132"]);
    let t = w.trace(w.topology().vm.addr, 30, 3);
    assert_eq!(t.hops.len(), 3, "10.1.11.1, a silent hop, the VM");
    assert!(t.hops[1].probes.iter().all(|p| p.addr.is_none()));
    assert_eq!((t.forward, t.reverse), (PathKind::Vpn, PathKind::Vpn));
    // Azure's side moved at once: only the VPN's 65020 paths remain.
    assert!(
        w.learned_routes()
            .iter()
            .all(|r| r.as_path != "12076-65020")
    );

    // Restore: sessions come back after the establish time.
    clock.advance(Duration::from_secs(30));
    enable(&mut w, clock.now());
    clock.advance(Duration::from_secs(1));
    w.tick(clock.now());
    assert_eq!(
        fw_active_peer(&w).map(|a| a.to_string()),
        Some("10.17.11.76".to_string())
    );
    clock.advance(Duration::from_secs(1));
    w.tick(clock.now());
    assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.0")));
    assert_eq!(
        hop_addrs(&w),
        ["10.1.11.1", "192.168.11.0", "192.168.11.18", "10.17.11.132"]
    );
    assert_eq!(
        w.path_to_vm(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );
    // Junos marks the change: the new ER path `+`, the VPN one `-`.
    let out = run_command(
        &w,
        DeviceId::Fw,
        "show route table Cust11.inet.0 10.17.11.0/25",
    )
    .stdout;
    assert!(
        out.contains("10.17.11.0/25      +[BGP/170] 00:00:00, localpref 150\n"),
        "{out}"
    );
    assert!(out.contains("                   -[BGP/170] "), "{out}");
    let rows = w.bgp_peers(DeviceId::Ce1);
    let msee = rows
        .iter()
        .find(|r| r.peer == ip("192.168.11.18"))
        .expect("MSEE peer");
    assert!(msee.established);
    assert_eq!(msee.flaps, 1);
    assert_eq!(msee.last_change, Duration::ZERO);
}

/// Each ER link session's convergence after its detection, as the world
/// will draw it (the scenario's seed; no flap yet).
fn er_link_convergence(w: &World) -> Vec<Duration> {
    w.topology()
        .sessions
        .iter()
        .enumerate()
        .filter(|(_, s)| matches!(s.carrier, super::topology::Carrier::ErLink(_)))
        .map(|(i, _)| w.convergence_of(i))
        .collect()
}

#[test]
fn slow_convergence_waits_for_the_hold_time() {
    // In real time, and compressed: only the hold time shrinks.
    for (scale, hold) in [(TimeScale::REAL, 180_000), (TimeScale::TESTS, 27_000)] {
        let mut w = world_at("slow-convergence", scale);
        assert!(w.bfd_sessions(DeviceId::Ce1).is_empty());
        let conv = er_link_convergence(&w).into_iter().max().expect("ER links");
        let t0 = Duration::from_secs(10);
        disable(&mut w, t0);
        let hold = Duration::from_millis(hold);
        w.tick(t0 + hold - Duration::from_millis(1));
        assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.0")), "{scale}");
        assert!(!w.trace(w.topology().vm.addr, 30, 3).reached);
        // The hold timer fires; the tables follow after the convergence.
        w.tick(t0 + hold);
        assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.0")), "{scale}");
        w.tick(t0 + hold + conv - Duration::from_millis(1));
        assert_ne!(fw_active_peer(&w), Some(ip("10.17.11.76")), "{scale}");
        w.tick(t0 + hold + conv);
        assert_eq!(fw_active_peer(&w), Some(ip("10.17.11.76")), "{scale}");
        assert!(w.trace(w.topology().vm.addr, 30, 3).reached);
    }
}

#[test]
fn bfd_detection_is_never_compressed() {
    // The same failover in real time and at a tenth: BFD (3 x 300 ms) and
    // the convergence are what the trainee measures, so they stay real.
    let moved_at = |scale| {
        let mut w = world_at("baseline", scale);
        let t0 = Duration::from_secs(10);
        disable(&mut w, t0);
        (0..=100u64)
            .map(|n| Duration::from_millis(100 * n))
            .find(|d| {
                w.tick(t0 + *d);
                fw_active_peer(&w) == Some(ip("10.17.11.76"))
            })
    };
    let real = moved_at(TimeScale::REAL).expect("moved");
    assert_eq!(moved_at("0.1".parse().unwrap()), Some(real));
    assert!(
        (Duration::from_millis(1500)..=Duration::from_millis(2800)).contains(&real),
        "{real:?}"
    );
}

#[test]
fn arm_operations_take_tens_of_seconds_unless_compressed() {
    for (scale, secs) in [(TimeScale::REAL, 20), ("0.1".parse().unwrap(), 2)] {
        let mut w = world_at("baseline", scale);
        disable(&mut w, Duration::from_secs(1));
        let state = |w: &World| {
            w.peering("AzurePrivatePeering")
                .map(|p| p.provisioning_state)
        };
        w.tick(Duration::from_millis(1000 * (1 + secs) - 1));
        assert_eq!(state(&w).as_deref(), Some("Updating"), "{scale}");
        w.tick(Duration::from_secs(1 + secs));
        assert_eq!(state(&w).as_deref(), Some("Succeeded"), "{scale}");
    }
}

#[test]
fn reenable_before_detection_flaps_the_session() {
    let mut w = world("slow-convergence");
    disable(&mut w, Duration::from_secs(10));
    enable(&mut w, Duration::from_secs(20));
    w.tick(Duration::from_secs(22));
    assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.0")));
    let ce1 = w.bgp_peers(DeviceId::Ce1);
    let msee = ce1
        .iter()
        .find(|r| r.peer == ip("192.168.11.18"))
        .expect("peer");
    assert_eq!((msee.established, msee.flaps), (true, 1));
    // The hold timer of the old session no longer fires.
    w.tick(Duration::from_secs(400));
    let ce1 = w.bgp_peers(DeviceId::Ce1);
    assert_eq!(
        ce1.iter()
            .find(|r| r.peer == ip("192.168.11.18"))
            .map(|r| r.flaps),
        Some(1)
    );
}

#[test]
fn every_scenario_shows_its_fault() {
    let topo = Topology::article();
    let all = scenario::builtin(&topo).expect("scenarios");
    assert_eq!(all.len(), 13);
    for s in &all {
        let w = World::new(s.clone());
        let fw_from_76 = w
            .received_from(Node::Fw, ip("10.17.11.76"))
            .expect("neighbor");
        match s.name.as_str() {
            "baseline"
            | "er-disable-conflict"
            | "slow-convergence"
            | "stuck-on-vpn"
            | "rollback-throttled"
            | "disable-operation-failed"
            | "arm-slow"
            | "concurrent-writer"
            | "token-expires" => {
                assert_eq!(fw_from_76.len(), 2, "{}", s.name);
                assert_eq!(
                    w.path_to_vm(),
                    (PathKind::Expressroute, PathKind::Expressroute),
                    "{}",
                    s.name
                );
            }
            "vpn-bgp-down" => {
                assert!(fw_from_76.is_empty());
                let sum = run_command(&w, DeviceId::Fw, "show bgp summary").stdout;
                assert!(sum.contains("Down peers: 2"), "{sum}");
                assert!(w.learned_routes().iter().all(|r| r.as_path != "65020"));
                assert!(
                    w.bgp_peer_status()
                        .iter()
                        .any(|p| p.neighbor == "192.168.11.88" && p.state == "Connecting")
                );
                assert_eq!(
                    w.connection().connection_status,
                    "Connected",
                    "tunnels are up, BGP is not"
                );
                assert_eq!(w.ike_sas().iter().filter(|s| s.up).count(), 2);
            }
            "spoke-not-advertised" => {
                let nets: Vec<_> = fw_from_76.iter().map(|(p, _)| p.prefix).collect();
                assert_eq!(nets, [topo.hub]);
                assert!(
                    w.advertised_routes(ip("192.168.11.88"))
                        .iter()
                        .all(|r| r.network != "10.17.11.128/26")
                );
            }
            "vpn-more-specific" => {
                let more: Vec<_> = w
                    .learned_routes()
                    .into_iter()
                    .filter(|r| r.network == "10.1.11.0/26")
                    .collect();
                assert_eq!(more.len(), 4, "EBgp and sibling IBgp on each instance");
                assert!(more.iter().all(|r| r.as_path == "65020"));
                // Forward over ER, answers back over the VPN.
                assert_eq!(w.path_to_vm(), (PathKind::Expressroute, PathKind::Vpn));
            }
            "ce2-localpref-missing" => {
                let hub = w.rib(Node::Fw).dests.get(&topo.hub).expect("hub");
                let ce2 = hub
                    .paths
                    .iter()
                    .position(|p| p.peer.is_some_and(|x| x.addr == ip("192.168.11.2")));
                let vpn = hub.paths.iter().position(|p| p.as_path == [65515]);
                assert_eq!(hub.paths[ce2.expect("ce2 path")].local_pref, 100);
                assert!(vpn < ce2, "the VPN path outranks the secondary ER path");
                assert_eq!(
                    hub.paths[0].next_hops.len(),
                    1,
                    "no multipath over the secondary CE"
                );
                let cfg = run_command(
                    &w,
                    DeviceId::Ce2,
                    "show configuration routing-instances Cust11",
                )
                .stdout;
                assert!(!cfg.contains("local-preference"), "{cfg}");
                let cfg = run_command(
                    &w,
                    DeviceId::Ce1,
                    "show configuration routing-instances Cust11",
                )
                .stdout;
                assert!(cfg.contains("local-preference 150;"), "{cfg}");
            }
            other => panic!("unexpected scenario {other}"),
        }
    }
}

#[test]
fn spoke_not_advertised_cuts_the_vm_off_after_failover() {
    let mut w = world("spoke-not-advertised");
    disable(&mut w, Duration::from_secs(1));
    // Detection (0.9 s) and convergence (0.6 s to 1.8 s) later.
    w.tick(Duration::from_millis(3_700));
    let t = w.trace(w.topology().vm.addr, 30, 3);
    assert!(!t.reached);
    let out = run_command(&w, DeviceId::Server, "traceroute -n 10.17.11.132").stdout;
    assert!(
        out.ends_with(" 2  10.1.11.1  ") || out.contains("ms !N"),
        "{out}"
    );
    // The hub is still routed over the VPN.
    let hub = w
        .rib(Node::Fw)
        .lookup(ip("10.17.11.4"))
        .and_then(|p| p.peer)
        .map(|p| p.addr);
    assert_eq!(hub, Some(ip("10.17.11.76")));
}

#[test]
fn vpn_more_specific_keeps_return_traffic_on_the_vpn_after_restore() {
    let mut w = world("vpn-more-specific");
    disable(&mut w, Duration::from_secs(1));
    // Detection (0.9 s) and convergence (0.6 s to 1.8 s) later.
    w.tick(Duration::from_millis(3_700));
    assert_eq!(w.path_to_vm(), (PathKind::Vpn, PathKind::Vpn));
    enable(&mut w, Duration::from_secs(10));
    w.tick(Duration::from_secs(20));
    assert_eq!(w.path_to_vm(), (PathKind::Expressroute, PathKind::Vpn));
    let t = w.trace(w.topology().vm.addr, 30, 3);
    assert_eq!(
        (t.forward, t.reverse),
        (PathKind::Expressroute, PathKind::Vpn)
    );
}

#[test]
fn stuck_on_vpn_never_reaches_the_vm_after_disable() {
    let mut w = world("stuck-on-vpn");
    assert!(w.trace(w.topology().vm.addr, 30, 3).reached);
    let before = w.connection().ingress_bytes_transferred;
    disable(&mut w, Duration::from_secs(1));
    w.tick(Duration::from_secs(5));
    // Control plane moved to the VPN...
    assert_eq!(fw_active_peer(&w), Some(ip("10.17.11.76")));
    assert!(
        !w.received_from(Node::Fw, ip("10.17.11.76"))
            .unwrap_or_default()
            .is_empty()
    );
    // ...but traffic dies at the firewall.
    let t = w.trace(w.topology().vm.addr, 30, 3);
    assert!(!t.reached);
    assert_eq!(hop_addrs(&w), ["10.1.11.1"]);
    let p = run_command(&w, DeviceId::Server, "ping -c 4 10.17.11.132");
    assert_eq!(p.exit, 1);
    assert!(
        p.stdout
            .contains("4 packets transmitted, 0 received, 100% packet loss"),
        "{}",
        p.stdout
    );
    // Only keepalives cross the tunnels.
    w.tick(Duration::from_secs(65));
    let grown = w.connection().ingress_bytes_transferred - before;
    assert!(grown < 20_000, "{grown}");
    enable(&mut w, Duration::from_secs(70));
    w.tick(Duration::from_secs(75));
    assert!(w.trace(w.topology().vm.addr, 30, 3).reached);
}

#[test]
fn er_disable_conflict_is_an_arm_error_sequence() {
    let mut w = world("er-disable-conflict");
    let e = w
        .put_peering_state(
            Duration::from_secs(1),
            "AzurePrivatePeering",
            PeeringState::Disabled,
            None,
        )
        .expect_err("first PUT refused");
    assert_eq!(
        (e.status, e.code.as_str()),
        (409, "AnotherOperationInProgress")
    );
    assert!(e.message.contains("/operations/"), "{}", e.message);
    let e = w
        .put_peering_state(
            Duration::from_secs(2),
            "AzurePrivatePeering",
            PeeringState::Disabled,
            None,
        )
        .expect_err("second PUT refused");
    assert_eq!(
        (e.status, e.code.as_str(), e.retry_after_s),
        (429, "RetryableErrorDueToAnotherOperation", Some(5))
    );
    assert_eq!(
        w.peering("AzurePrivatePeering").map(|p| p.state),
        Some("Enabled".to_string())
    );
    let ok = w
        .put_peering_state(
            Duration::from_secs(7),
            "AzurePrivatePeering",
            PeeringState::Disabled,
            None,
        )
        .expect("third PUT accepted");
    assert_eq!(ok.peering.state, "Disabled");
    assert_eq!(ok.peering.provisioning_state, "Updating");
}

#[test]
fn arm_peering_semantics() {
    let mut w = world("baseline");
    let list = w.peerings();
    assert_eq!(
        list[0].name, "MicrosoftPeering",
        "the article's Peerings[0] trap"
    );
    let etag = w
        .peering("azureprivatepeering")
        .map(|p| p.etag)
        .expect("by name, any case");
    let e = w
        .put_peering_state(
            Duration::from_secs(1),
            "AzurePrivatePeering",
            PeeringState::Disabled,
            Some("W/\"stale\""),
        )
        .expect_err("stale etag");
    assert_eq!(e.status, 412);
    let ok = w
        .put_peering_state(
            Duration::from_secs(1),
            "AzurePrivatePeering",
            PeeringState::Disabled,
            Some(&etag),
        )
        .expect("current etag");
    assert_ne!(ok.peering.etag, etag);
    assert_eq!(
        w.operation(&ok.operation_id),
        Some(super::azure::OperationStatus::InProgress)
    );
    let busy = w
        .put_peering_state(
            Duration::from_secs(2),
            "AzurePrivatePeering",
            PeeringState::Enabled,
            None,
        )
        .expect_err("an operation is in progress");
    assert_eq!(busy.status, 409);
    w.tick(Duration::from_secs(4));
    assert_eq!(
        w.operation(&ok.operation_id),
        Some(super::azure::OperationStatus::Succeeded)
    );
    assert_eq!(
        w.peering("AzurePrivatePeering")
            .map(|p| p.provisioning_state),
        Some("Succeeded".to_string())
    );
    let e = w
        .put_peering_state(
            Duration::from_secs(5),
            "NoSuchPeering",
            PeeringState::Enabled,
            None,
        )
        .expect_err("404");
    assert_eq!(e.status, 404);
    // Disabling the Microsoft peering moves nothing.
    let mut w = world("baseline");
    w.put_peering_state(
        Duration::from_secs(1),
        "MicrosoftPeering",
        PeeringState::Disabled,
        None,
    )
    .expect("accepted");
    w.tick(Duration::from_secs(10));
    assert_eq!(
        w.path_to_vm(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );
}

#[test]
fn tunnels_and_sessions_go_down_and_up() {
    let mut w = world("baseline");
    w.set_tunnel(Duration::from_secs(1), 0, false)
        .expect("tunnel 0");
    let rows = w.bgp_peers(DeviceId::Fw);
    assert!(
        !rows
            .iter()
            .find(|r| r.peer == ip("10.17.11.76"))
            .is_some_and(|r| r.established)
    );
    let to_76: Prefix = "10.17.11.76/32".parse().expect("prefix");
    assert!(
        !w.rib(Node::Fw).dests.contains_key(&to_76),
        "static route via st0.118 gone"
    );
    let c = w.connection();
    assert_eq!(
        c.tunnel_connection_status[0].connection_status,
        "NotConnected"
    );
    assert_eq!(c.connection_status, "Connected");
    assert_eq!(w.ipsec_sas().len(), 1);
    w.set_tunnel(Duration::from_secs(10), 0, true)
        .expect("tunnel 0");
    w.tick(Duration::from_secs(12));
    assert_eq!(w.ipsec_sas().len(), 2);
    assert!(
        !w.bgp_peers(DeviceId::Fw)
            .iter()
            .find(|r| r.peer == ip("10.17.11.76"))
            .is_some_and(|r| r.established)
    );
    w.tick(Duration::from_secs(13));
    let r = w
        .bgp_peers(DeviceId::Fw)
        .into_iter()
        .find(|r| r.peer == ip("10.17.11.76"))
        .expect("peer");
    assert!(r.established);
    assert_eq!(r.last_change, Duration::ZERO);
    assert!(w.set_tunnel(Duration::from_secs(14), 7, false).is_err());

    w.set_session(Duration::from_secs(20), "fw-ce1", false)
        .expect("session");
    assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.2")));
    w.set_session(Duration::from_secs(30), "fw-ce1", true)
        .expect("session");
    w.tick(Duration::from_secs(32));
    assert_eq!(fw_active_peer(&w), Some(ip("192.168.11.0")));
    assert!(
        w.set_session(Duration::from_secs(33), "nope", true)
            .is_err()
    );
}

// --- what the devices print -------------------------------------------------

/// The article's firewall table at the lab's start, in current Junos
/// spacing (`>  to`), which the article's copy mangled in places.
const ARTICLE_FW_TABLE: &str = "
Cust11.inet.0: 11 destinations, 17 routes (11 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

10.17.11.0/25      *[BGP/170] 2d 00:34:04, localpref 150
                      AS path: 12076 I, validation-state: unverified
                    >  to 192.168.11.0 via reth1.11
                       to 192.168.11.2 via reth2.11
                    [BGP/170] 2d 00:34:01, localpref 150
                      AS path: 12076 I, validation-state: unverified
                    >  to 192.168.11.2 via reth2.11
                    [BGP/170] 2d 21:12:13, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    >  via st0.118
                    [BGP/170] 2d 00:41:51, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    >  via st0.119
10.17.11.76/32     *[Static/5] 2d 21:12:16
                    >  via st0.118
10.17.11.77/32     *[Static/5] 2d 00:41:56
                    >  via st0.119
10.17.11.128/26    *[BGP/170] 2d 00:34:04, localpref 150
                      AS path: 12076 I, validation-state: unverified
                    >  to 192.168.11.0 via reth1.11
                       to 192.168.11.2 via reth2.11
                    [BGP/170] 2d 00:34:01, localpref 150
                      AS path: 12076 I, validation-state: unverified
                    >  to 192.168.11.2 via reth2.11
                    [BGP/170] 2d 21:12:13, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    >  via st0.118
                    [BGP/170] 2d 00:41:51, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    >  via st0.119
";

#[test]
fn firewall_table_reads_like_the_article() {
    let w = world("baseline");
    let out = run_command(
        &w,
        DeviceId::Fw,
        "show route table Cust11.inet.0 10.17.11.0/24",
    );
    assert_eq!(out.exit, 0);
    assert_eq!(out.stdout, ARTICLE_FW_TABLE);
    // Abbreviations and `| no-more` change nothing.
    assert_eq!(
        run_command(
            &w,
            DeviceId::Fw,
            "sh ro tab Cust11.inet.0 10.17.11.0/24 | no-more"
        )
        .stdout,
        ARTICLE_FW_TABLE
    );
}

#[test]
fn neighbor_tables_read_like_the_article() {
    let w = world("baseline");
    let adv = "  Prefix                  Nexthop              MED     Lclpref    AS path\n\
               * 10.1.11.0/25            Self                                    I\n";
    for (dev, cmd) in [
        (
            DeviceId::Ce1,
            "show route advertising-protocol bgp 192.168.11.18",
        ),
        (
            DeviceId::Ce2,
            "show route advertising-protocol bgp 192.168.11.22",
        ),
        (
            DeviceId::Fw,
            "show route advertising-protocol bgp 10.17.11.76",
        ),
        (
            DeviceId::Fw,
            "show route advertising-protocol bgp 10.17.11.77",
        ),
    ] {
        let out = run_command(&w, dev, cmd).stdout;
        assert!(out.starts_with("\nCust11.inet.0: "), "{out}");
        assert!(out.ends_with(adv), "{cmd}:\n{out}");
    }
    let rcv = run_command(
        &w,
        DeviceId::Fw,
        "show route receive-protocol bgp 10.17.11.77 table Cust11.inet.0",
    )
    .stdout;
    assert!(
        rcv.ends_with(
            "  Prefix                  Nexthop              MED     Lclpref    AS path\n\
             \x20 10.17.11.0/25           10.17.11.77                             65515 I\n\
             \x20 10.17.11.128/26         10.17.11.77                             65515 I\n"
        ),
        "{rcv}"
    );
    // From a CE, over iBGP: the local preference column is filled.
    let ibgp = run_command(
        &w,
        DeviceId::Fw,
        "show route receive-protocol bgp 192.168.11.0",
    )
    .stdout;
    assert!(
        ibgp.contains(
            "* 10.17.11.0/25           192.168.11.0                 150        12076 I\n"
        ),
        "{ibgp}"
    );
    // No such neighbor: nothing.
    assert_eq!(
        run_command(
            &w,
            DeviceId::Fw,
            "show route advertising-protocol bgp 10.9.9.9"
        )
        .stdout,
        ""
    );
}

#[test]
fn text_json_and_xml_parse_back_to_the_worlds_table() {
    let mut w = world("ce2-localpref-missing");
    disable(&mut w, Duration::from_secs(5));
    w.tick(Duration::from_millis(5_400));
    let q = RouteQuery {
        table: Some("Cust11.inet.0".to_string()),
        ..RouteQuery::default()
    };
    let want = render::route::parsed(&w, DeviceId::Fw, &q);
    assert!(want.len() > 10);
    let detail = render::route::parsed(
        &w,
        DeviceId::Fw,
        &RouteQuery {
            style: Style::Detail,
            ..q.clone()
        },
    );
    for (cmd, want) in [
        ("show route table Cust11.inet.0", &want),
        ("show route table Cust11.inet.0 | display json", &want),
        ("show route table Cust11.inet.0 | display xml", &want),
        ("show route table Cust11.inet.0 detail", &detail),
        ("show route table Cust11.inet.0 extensive", &detail),
        (
            "show route table Cust11.inet.0 detail | display xml",
            &detail,
        ),
        (
            "show route table Cust11.inet.0 detail | display json",
            &detail,
        ),
    ] {
        let out = run_command(&w, DeviceId::Fw, cmd).stdout;
        let got = cutover_core::parse::junos_route::parse(&out)
            .unwrap_or_else(|e| panic!("{cmd}: {e}\n{out}"));
        assert_eq!(got.table.as_deref(), Some("Cust11.inet.0"), "{cmd}");
        assert_eq!(&got.routes, want, "{cmd}\n{out}");
    }
    // The same through a prompt and an echoed command, as an SSH capture
    // holds it.
    let capture = format!(
        "{}show route table Cust11.inet.0\n{}",
        render::prompt(&w, DeviceId::Fw, "user").trim_start(),
        run_command(&w, DeviceId::Fw, "show route table Cust11.inet.0").stdout
    );
    let got = cutover_core::parse::junos_route::parse(&capture).expect("capture parses");
    assert_eq!(got.routes, want);

    let q = RouteQuery {
        table: None,
        dest: Some("10.17.11.0/24".parse().expect("p")),
        matching: Match::Best,
        ..RouteQuery::default()
    };
    let want = render::route::parsed(&w, DeviceId::Ce1, &q);
    let out = run_command(&w, DeviceId::Ce1, "show route 10.17.11.0/24 | display json").stdout;
    assert_eq!(
        cutover_core::parse::junos_route::parse(&out)
            .expect("json")
            .routes,
        want
    );
}

#[test]
fn neighbor_outputs_parse_back() {
    let w = world("baseline");
    for cmd in [
        "show route receive-protocol bgp 10.17.11.76 table Cust11.inet.0",
        "show route advertising-protocol bgp 10.17.11.76",
        "show route receive-protocol bgp 10.17.11.76 detail",
        "show route advertising-protocol bgp 10.17.11.76 detail",
    ] {
        let out = run_command(&w, DeviceId::Fw, cmd).stdout;
        let got = cutover_core::parse::junos_route::parse(&out)
            .unwrap_or_else(|e| panic!("{cmd}: {e}\n{out}"));
        let prefixes: Vec<_> = got.routes.iter().map(|r| r.prefix.to_string()).collect();
        if cmd.contains("receive") {
            assert_eq!(prefixes, ["10.17.11.0/25", "10.17.11.128/26"], "{cmd}");
            assert!(
                got.routes
                    .iter()
                    .all(|r| r.as_path.as_deref() == Some(&[65515][..]) && !r.active),
                "{cmd}"
            );
            assert!(
                got.routes
                    .iter()
                    .all(|r| r.next_hops.as_ref().is_some_and(|n| n == &["10.17.11.76"])),
                "{cmd}"
            );
        } else {
            assert_eq!(prefixes, ["10.1.11.0/25"], "{cmd}");
            assert!(
                got.routes[0].active && got.routes[0].next_hops.is_none(),
                "{cmd}: Self is not pinned"
            );
        }
    }
}

#[test]
fn traceroute_and_ping_print_like_linux() {
    let w = world("baseline");
    let out = run_command(&w, DeviceId::Server, "traceroute -n 10.17.11.132");
    assert_eq!(out.exit, 0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "traceroute to 10.17.11.132 (10.17.11.132), 30 hops max, 60 byte packets"
    );
    assert!(lines[1].starts_with(" 1  10.1.11.1  0."), "{}", lines[1]);
    assert!(lines[3].starts_with(" 3  192.168.11.18  "), "{}", lines[3]);
    assert_eq!(lines[4], " 4  * * *");
    assert!(
        lines[5].starts_with(" 5  10.17.11.132  ") && lines[5].ends_with(" ms"),
        "{}",
        lines[5]
    );
    let parsed = cutover_core::parse::traceroute::parse(&out.stdout).expect("parses");
    let again = w.trace(ip("10.17.11.132"), 30, 3).to_model();
    let addrs = |t: &cutover_core::model::Trace| -> Vec<Vec<String>> {
        t.hops.iter().map(|h| h.addresses.clone()).collect()
    };
    assert_eq!(addrs(&parsed), addrs(&again));
    // Every probe draws its own jitter, as on a real network.
    assert_ne!(parsed.hops[4].rtts_ms, again.hops[4].rtts_ms);
    let named = run_command(&w, DeviceId::Server, "traceroute 10.17.11.132").stdout;
    assert!(
        named.contains(" 3  192.168.11.18 (192.168.11.18)  "),
        "{named}"
    );

    let ping = run_command(&w, DeviceId::Server, "ping -c 2 10.17.11.132");
    assert_eq!(ping.exit, 0);
    assert!(ping.stdout.starts_with("PING 10.17.11.132 (10.17.11.132) 56(84) bytes of data.\n64 bytes from 10.17.11.132: icmp_seq=1 ttl=60 time="));
    assert!(ping.stdout.contains("\n--- 10.17.11.132 ping statistics ---\n2 packets transmitted, 2 received, 0% packet loss, time 10"));
    assert!(ping.stdout.contains("rtt min/avg/max/mdev = "));
    let forever = run_command(&w, DeviceId::Server, "ping 10.17.11.132").stdout;
    assert!(
        forever.contains("^C\n--- 10.17.11.132 ping statistics ---\n5 packets transmitted"),
        "{forever}"
    );

    let unreachable = run_command(&w, DeviceId::Server, "traceroute -n 172.16.0.1").stdout;
    assert!(
        unreachable.contains(" 2  10.1.11.1  ") && unreachable.contains(" ms !N"),
        "{unreachable}"
    );
    let p = run_command(&w, DeviceId::Server, "ping -c 3 172.16.0.1");
    assert_eq!(p.exit, 1);
    assert!(
        p.stdout
            .contains("From 10.1.11.1 icmp_seq=1 Destination Net Unreachable"),
        "{}",
        p.stdout
    );
    assert!(
        p.stdout
            .contains("3 packets transmitted, 0 received, +3 errors, 100% packet loss"),
        "{}",
        p.stdout
    );

    let bad = run_command(&w, DeviceId::Server, "traceroute vm01");
    assert_eq!(bad.exit, 2);
    assert!(bad.stderr.contains("Name or service not known"));
    let nope = run_command(&w, DeviceId::Server, "show route");
    assert_eq!(
        (nope.exit, nope.stderr.as_str()),
        (127, "bash: show: command not found\n")
    );
    assert!(run_command(&w, DeviceId::Server, "exit").close);
}

#[test]
fn junos_errors_and_prompts() {
    let w = world("baseline");
    let e = run_command(&w, DeviceId::Fw, "show rout foo");
    // `user@SEA-SRX42-01> ` is 19 wide; `foo` starts 10 further.
    assert_eq!(e.stdout, format!("{}^\nsyntax error.\n", " ".repeat(29)));
    assert_eq!(e.exit, 1);
    let e = run_command(&w, DeviceId::Ce1, "shw route");
    assert_eq!(
        e.stdout,
        format!("{}^\nsyntax error, expecting <command>.\n", " ".repeat(18))
    );
    let e = run_command(&w, DeviceId::Ce1, "show route advertising-protocol bgp");
    assert!(
        e.stdout
            .ends_with("^\nsyntax error, expecting <neighbor>.\n"),
        "{}",
        e.stdout
    );
    let e = run_command(&w, DeviceId::Ce1, "show r");
    assert!(e.stdout.contains("'r' is ambiguous."), "{}", e.stdout);
    let e = run_command(&w, DeviceId::Ce1, "show security ike security-associations");
    assert!(
        e.stdout
            .ends_with("^\nsyntax error, expecting <command>.\n"),
        "MX has no IKE: {}",
        e.stdout
    );
    let e = run_command(&w, DeviceId::Fw, "show interfaces terse");
    assert!(e.stdout.starts_with("error: "), "{}", e.stdout);
    assert!(run_command(&w, DeviceId::Fw, "quit").close);
    assert_eq!(run_command(&w, DeviceId::Fw, "   ").stdout, "");
    assert_eq!(
        render::prompt(&w, DeviceId::Fw, "user"),
        "\n{primary:node0}\nuser@SEA-SRX42-01> "
    );
    assert_eq!(
        render::prompt(&w, DeviceId::Ce2, "netops"),
        "netops@SEA-MX03-02> "
    );
    assert_eq!(
        render::prompt(&w, DeviceId::Server, "user"),
        "user@pathlab-srv01:~$ "
    );
    let c = run_command(&w, DeviceId::Fw, "show route table Cust11.inet.0 | count");
    assert!(
        c.stdout.starts_with("Count: ") && c.stdout.ends_with(" lines\n"),
        "{}",
        c.stdout
    );
}

#[test]
fn summaries_and_security_associations_parse_back() {
    let w = world("vpn-bgp-down");
    let text = run_command(&w, DeviceId::Fw, "show bgp summary").stdout;
    let xml = run_command(&w, DeviceId::Fw, "show bgp summary | display xml").stdout;
    assert_eq!(
        run_command(&w, DeviceId::Fw, "show bgp summary instance Cust11").stdout,
        text
    );
    let rows = w.bgp_peers(DeviceId::Fw);
    for out in [&text, &xml] {
        let s = cutover_core::parse::junos_bgp_summary::parse(out)
            .unwrap_or_else(|e| panic!("{e}\n{out}"));
        assert_eq!(
            (s.peer_count, s.down_peer_count),
            (Some(4), Some(2)),
            "{out}"
        );
        for r in &rows {
            let p = s
                .peers
                .iter()
                .find(|p| p.address == r.peer.to_string())
                .expect("peer listed");
            assert_eq!(p.peer_as, r.peer_as);
            assert_eq!(p.last_up_down_secs, r.last_change.as_secs(), "{out}");
        }
    }
    let v =
        serde_json::to_value(cutover_core::parse::junos_bgp_summary::parse(&text).expect("text"))
            .expect("json");
    assert_eq!(v["peers"][0]["state"], "active", "{v}");
    assert_eq!(v["peers"][2]["state"], "established");

    let w = world("baseline");
    let bfd = run_command(&w, DeviceId::Ce1, "show bfd session").stdout;
    let b = cutover_core::parse::junos_bfd::parse(&bfd).unwrap_or_else(|e| panic!("{e}\n{bfd}"));
    assert_eq!(b.sessions.len(), 1);
    assert_eq!(
        (b.sessions[0].address.as_str(), b.sessions[0].detect_time_ms),
        ("192.168.11.18", Some(900))
    );
    let none = run_command(&w, DeviceId::Fw, "show bfd session").stdout;
    assert_eq!(
        cutover_core::parse::junos_bfd::parse(&none)
            .map(|b| b.sessions.len())
            .ok(),
        Some(0),
        "{none}"
    );
    let xml = run_command(&w, DeviceId::Ce1, "show bfd session | display xml").stdout;
    assert_eq!(
        cutover_core::parse::junos_bfd::parse(&xml)
            .map(|b| b.sessions.len())
            .ok(),
        Some(1),
        "{xml}"
    );

    let ike = run_command(&w, DeviceId::Fw, "show security ike security-associations").stdout;
    let i = cutover_core::parse::junos_ike_sa::parse(&ike).unwrap_or_else(|e| panic!("{e}\n{ike}"));
    let remotes: Vec<_> = i.sas.iter().map(|s| s.remote_address.as_str()).collect();
    assert_eq!(remotes, ["198.51.100.20", "198.51.100.21"]);
    let ipsec = run_command(
        &w,
        DeviceId::Fw,
        "show security ipsec security-associations",
    )
    .stdout;
    let s = cutover_core::parse::junos_ipsec_sa::parse(&ipsec)
        .unwrap_or_else(|e| panic!("{e}\n{ipsec}"));
    assert_eq!(s.total_active_tunnels, Some(2));
}

#[test]
fn worlds_and_outputs_are_deterministic() {
    let a = world("baseline");
    let b = world("baseline");
    for cmd in [
        "show security ike security-associations",
        "show route | display json",
        "show bgp summary",
    ] {
        assert_eq!(
            run_command(&a, DeviceId::Fw, cmd),
            run_command(&b, DeviceId::Fw, cmd)
        );
    }
    assert_eq!(
        run_command(&a, DeviceId::Server, "traceroute -n 10.17.11.132"),
        run_command(&b, DeviceId::Server, "traceroute -n 10.17.11.132")
    );
}

#[test]
fn world_without_scenario_file_is_the_baseline() {
    let w = World::new(Scenario::default());
    assert_eq!(
        w.path_to_vm(),
        (PathKind::Expressroute, PathKind::Expressroute)
    );
    // Time never runs backwards.
    let mut w = w;
    w.tick(Duration::from_secs(10));
    w.tick(Duration::from_secs(5));
    assert_eq!(w.now(), Duration::from_secs(10));
}

#[test]
fn probes_jitter_and_the_vpn_answers_slower_than_expressroute() {
    let mut w = world("baseline");
    let vm = w.topology().vm.addr;
    let last = |t: &super::TraceResult| -> Vec<f64> {
        let hop = t.hops.last().expect("hops");
        hop.probes.iter().map(|p| p.rtt_ms).collect()
    };
    let (er1, er2) = (w.trace(vm, 30, 3), w.trace(vm, 30, 3));
    assert_eq!(er1.forward, PathKind::Expressroute);
    // Two traceroutes of one path, and the three probes of one hop, differ.
    assert_ne!(last(&er1), last(&er2));
    assert!(last(&er1)[0] != last(&er1)[1], "{:?}", last(&er1));
    // A scenario's jitter repeats: tests can rely on it.
    assert_eq!(world("baseline").trace(vm, 30, 3), er1);

    disable(&mut w, Duration::from_secs(1));
    w.tick(Duration::from_secs(4));
    let vpn = w.trace(vm, 30, 3);
    assert_eq!(vpn.forward, PathKind::Vpn);
    // The Internet and IPsec, there and back: clearly above the circuit.
    let slowest_er = last(&er1).into_iter().chain(last(&er2)).fold(0.0, f64::max);
    let fastest_vpn = last(&vpn).into_iter().fold(f64::MAX, f64::min);
    assert!(
        fastest_vpn > slowest_er + 10.0,
        "VPN {:?} vs ER {:?}",
        last(&vpn),
        last(&er1)
    );
}
