use std::net::IpAddr;
use std::sync::Arc;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::*;
use crate::azure_call::{ArmAttempt, ManualCommands, RequestIds};
use crate::model::Prefix;
use crate::model::path::{PathClassifier, PathKind};
use crate::session::event::{Event, GateDecision, Mode, RollbackReason, StepInfo, Verdict};

const CE1_ADV: &str = include_str!(
    "../../../../../tests/fixtures/article/route/mx03-01-advertising-protocol-bgp-192.168.11.18.txt"
);
const FW_TABLE_ER: &str = include_str!(
    "../../../../../tests/fixtures/article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt"
);
/// The same table once the private peering is down: only the VPN
/// paths are left, and they are active.
const FW_TABLE_VPN: &str = "\
user@SEA-SRX42-01> show route table Cust11.inet.0 10.17.11.0/24

Cust11.inet.0: 12 destinations, 15 routes (12 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

10.17.11.0/25      *[BGP/170] 00:00:07, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
                    [BGP/170] 00:00:07, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    > via st0.119
10.17.11.76/32     *[Static/5] 2d 21:12:26
                    > via st0.118
10.17.11.77/32     *[Static/5] 2d 00:42:06
                    > via st0.119
10.17.11.128/26    *[BGP/170] 00:00:07, localpref 100, from 10.17.11.76
                      AS path: 65515 I, validation-state: unverified
                    > via st0.118
                    [BGP/170] 00:00:07, localpref 100, from 10.17.11.77
                      AS path: 65515 I, validation-state: unverified
                    > via st0.119
";
const BGP: &str =
    include_str!("../../../../../tests/fixtures/article/sessions/bgp-summary-srx.txt");
const IKE: &str = include_str!("../../../../../tests/fixtures/article/sessions/ike-sa-srx.txt");
const IPSEC: &str = include_str!("../../../../../tests/fixtures/article/sessions/ipsec-sa-srx.txt");
const BFD: &str =
    include_str!("../../../../../tests/fixtures/article/sessions/bfd-session-ce1.txt");
const TRACE_ER: &str =
    include_str!("../../../../../tests/fixtures/article/traceroute/linux-er.txt");
const TRACE_VPN: &str =
    include_str!("../../../../../tests/fixtures/article/traceroute/linux-vpn.txt");
const WIN_BEFORE: &str =
    include_str!("../../../../../tests/fixtures/traceroute/windows/article-before-failover.txt");
const WIN_AFTER: &str =
    include_str!("../../../../../tests/fixtures/traceroute/windows/article-after-failover.txt");
const LEARNED: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/gateway-learned-routes.json");
const PEERS: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/gateway-bgp-peer-status.json");
const CONNECTION: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/connection-get-connected.json");
const PEERING_OFF: &str =
    include_str!("../../../../../tests/fixtures/arm/synthetic/peering-get-private-disabled.json");

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

fn p(s: &str) -> Prefix {
    s.parse().expect("prefix")
}

/// The runbook's `[paths]`, as the engine would hand them over.
fn classifier() -> PathClassifier {
    PathClassifier {
        er_next_hops: [
            "192.168.11.0",
            "192.168.11.2",
            "192.168.11.18",
            "192.168.11.22",
            "10.17.11.69",
        ]
        .map(ip)
        .to_vec(),
        vpn_next_hops: ["10.17.11.76", "10.17.11.77", "192.168.11.88"]
            .map(ip)
            .to_vec(),
        er_interfaces: vec![],
        vpn_interfaces: vec!["st0.118".into(), "st0.119".into()],
        er_as_markers: vec![12076],
        vpn_neighbor_as: vec![65515],
        er_trace_hops: [
            "192.168.11.0",
            "192.168.11.2",
            "192.168.11.18",
            "192.168.11.22",
        ]
        .map(ip)
        .to_vec(),
        vpn_trace_hops: vec![],
    }
}

fn info(id: &str, phase: &str, kind: &str) -> StepInfo {
    StepInfo {
        id: id.into(),
        title: format!("title of {id}"),
        phase: phase.into(),
        kind: kind.into(),
    }
}

fn probe(step: &str, device: &str, query: &str, command: &str, raw: &str) -> Event {
    Event::Probe {
        step: step.into(),
        device: device.into(),
        query: query.into(),
        command: command.into(),
        raw: Some(raw.into()),
        error: None,
        parsed: None,
        elapsed_ms: 84,
        ids: None,
    }
}

const TABLE_CMD: &str = "show route table Cust11.inet.0 10.17.11.0/24";
const TRACE_CMD: &str = "traceroute -n 10.17.11.132";

fn manual(state: &str) -> ManualCommands {
    ManualCommands {
        az_cli: format!("az network express-route peering update --state {state}"),
        powershell: format!("Set-AzExpressRouteCircuit # state {state}"),
    }
}

fn start() -> Event {
    Event::SessionStart {
        session_id: "s-1".into(),
        mode: Mode::Drill,
        runbook_id: "er-vpn-failover".into(),
        runbook_title: "Validate and fail over".into(),
        runbook_sha256: "00".into(),
        operator: "netops".into(),
        ticket: Some("CHG-1".into()),
        key_fingerprint: None,
        scenario: Some("baseline".into()),
        steps: vec![
            info("ce1-advertises-onprem", "1", "check"),
            info("fw-prefers-er", "1", "check"),
            info("fw-tunnels", "2", "check"),
            info("azure-side", "2", "check"),
            info("trace-before", "3", "check"),
            info("confirm-failover", "3", "gate"),
            info("disable-peering", "3", "action"),
        ],
        version: "0.1.0".into(),
    }
}

/// Session start through the checks, up to the gate's prompt.
fn checks() -> Vec<Event> {
    vec![
        start(),
        Event::StepStart {
            step: "ce1-advertises-onprem".into(),
        },
        probe(
            "ce1-advertises-onprem",
            "ce1",
            "bgp.advertised",
            "show route advertising-protocol bgp 192.168.11.18",
            CE1_ADV,
        ),
        Event::Expectation {
            step: "ce1-advertises-onprem".into(),
            clause: "prefix 10.1.11.0/25".into(),
            passed: true,
            evidence: "10.1.11.0/25 advertised, next hop Self".into(),
        },
        Event::StepEnd {
            step: "ce1-advertises-onprem".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 90,
        },
        Event::StepStart {
            step: "fw-prefers-er".into(),
        },
        probe("fw-prefers-er", "fw", "route.table", TABLE_CMD, FW_TABLE_ER),
        Event::Expectation {
            step: "fw-prefers-er".into(),
            clause: "prefix 10.17.11.0/25 active_path expressroute".into(),
            passed: true,
            evidence: "active path via 192.168.11.0".into(),
        },
        Event::StepEnd {
            step: "fw-prefers-er".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 100,
        },
        Event::StepStart {
            step: "fw-tunnels".into(),
        },
        probe("fw-tunnels", "fw", "bgp.summary", "show bgp summary", BGP),
        probe(
            "fw-tunnels",
            "fw",
            "ike.sas",
            "show security ike security-associations",
            IKE,
        ),
        probe(
            "fw-tunnels",
            "fw",
            "ipsec.sas",
            "show security ipsec security-associations",
            IPSEC,
        ),
        probe("fw-tunnels", "ce1", "bfd.sessions", "show bfd session", BFD),
        Event::Expectation {
            step: "fw-tunnels".into(),
            clause: "peer 10.17.11.77 state Established".into(),
            passed: false,
            evidence: "10.17.11.77 is Active".into(),
        },
        Event::StepEnd {
            step: "fw-tunnels".into(),
            verdict: Verdict::Failed,
            elapsed_ms: 300,
        },
        Event::StepStart {
            step: "azure-side".into(),
        },
        probe(
            "azure-side",
            "azure",
            "azure.learned_routes",
            "POST .../getLearnedRoutes",
            LEARNED,
        ),
        probe(
            "azure-side",
            "azure",
            "azure.bgp_peers",
            "POST .../getBgpPeerStatus",
            PEERS,
        ),
        probe(
            "azure-side",
            "azure",
            "azure.connection",
            "GET .../connections/cn-onprem-11",
            CONNECTION,
        ),
        Event::StepEnd {
            step: "azure-side".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 400,
        },
        Event::StepStart {
            step: "trace-before".into(),
        },
        probe("trace-before", "server", "trace", TRACE_CMD, TRACE_ER),
        Event::StepEnd {
            step: "trace-before".into(),
            verdict: Verdict::Passed,
            elapsed_ms: 2000,
        },
        Event::StepStart {
            step: "confirm-failover".into(),
        },
        Event::GatePrompt {
            step: "confirm-failover".into(),
            prompt: "Disable AzurePrivatePeering?".into(),
            confirm_text: "er-circuit-11".into(),
            failed_checks: vec!["fw-tunnels".into()],
            hazards: Vec::new(),
        },
    ]
}

/// The gate overridden, the change out, verified, and confirmed.
fn failover() -> Vec<Event> {
    vec![
        Event::GateDecision {
            step: "confirm-failover".into(),
            decision: GateDecision::Override {
                reason: "tunnel 2 known down, tunnel 1 carries".into(),
                failed_checks: vec!["fw-tunnels".into()],
                hazards: Vec::new(),
            },
        },
        Event::StepEnd {
            step: "confirm-failover".into(),
            verdict: Verdict::Overridden,
            elapsed_ms: 20_000,
        },
        Event::StepStart {
            step: "disable-peering".into(),
        },
        Event::ActionStarted {
            step: "disable-peering".into(),
            op: "azure.peering.disable".into(),
            target: "er-circuit-11/AzurePrivatePeering".into(),
            manual: manual("Disabled"),
        },
        Event::ActionAttempt {
            step: "disable-peering".into(),
            attempt: ArmAttempt {
                method: "PUT".into(),
                path: "/subscriptions/x/peerings/AzurePrivatePeering".into(),
                status: 409,
                error_code: Some("AnotherOperationInProgress".into()),
                retry_after_ms: Some(2000),
                ids: RequestIds::default(),
                write: None,
            },
        },
        Event::ActionDone {
            step: "disable-peering".into(),
            op: "azure.peering.disable".into(),
            ok: true,
            detail: "state Disabled".into(),
        },
        probe(
            "disable-peering",
            "azure",
            "azure.peering",
            "GET .../peerings/AzurePrivatePeering",
            PEERING_OFF,
        ),
        Event::DeadlineArmed {
            step: "disable-peering".into(),
            seconds: 600,
            expires_at: "2026-11-20T02:10:00.000Z".into(),
        },
        probe("disable-peering", "server", "trace", TRACE_CMD, TRACE_VPN),
        probe(
            "disable-peering",
            "fw",
            "route.table",
            TABLE_CMD,
            FW_TABLE_VPN,
        ),
        Event::VerifyResult {
            step: "disable-peering".into(),
            clause: "trace path vpn".into(),
            passed: true,
            evidence: "reached 10.17.11.132 with no ER hop".into(),
            elapsed_ms: 6100,
        },
        Event::Measurement {
            step: "disable-peering".into(),
            name: "failover".into(),
            millis: 6100,
            uncertainty_ms: None,
            from: None,
            to: None,
        },
    ]
}

fn fold(events: &[Event]) -> SessionState {
    let mut s = SessionState::new(classifier());
    for e in events {
        s.apply(e);
    }
    s
}

#[test]
fn checks_fill_steps_and_live_panes() {
    let s = fold(&checks());
    let statuses: Vec<StepStatus> = s.steps.iter().map(|x| x.status).collect();
    assert_eq!(
        statuses,
        [
            StepStatus::Passed,
            StepStatus::Passed,
            StepStatus::Failed,
            StepStatus::Passed,
            StepStatus::Passed,
            StepStatus::Running,
            StepStatus::Pending
        ]
    );
    assert_eq!(s.current, s.step_index("confirm-failover"));
    let ce1 = s.step("ce1-advertises-onprem").expect("step");
    let pr = ce1.probes.first().expect("probe");
    assert_eq!(
        pr.command,
        "show route advertising-protocol bgp 192.168.11.18"
    );
    assert_eq!(pr.raw.as_deref(), Some(CE1_ADV));
    assert_eq!(pr.parse_error, None);
    assert_eq!(ce1.expectations.len(), 1);
    assert_eq!(
        s.step("fw-tunnels").map(StepState::failed_expectations),
        Some(1)
    );

    // Tables: the CE's advertisement, the firewall's table, Azure's list.
    let names: Vec<(&str, &str)> = s
        .live
        .tables
        .iter()
        .map(|t| (t.device.as_str(), t.name.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("ce1", "Cust11.inet.0"),
            ("fw", "Cust11.inet.0"),
            ("azure", "gateway learned routes")
        ]
    );
    let fw = s.live.tables.get(1).expect("fw table");
    assert!(Arc::ptr_eq(&fw.baseline, &fw.latest));
    assert!(fw.diff.is_empty() && fw.changed.is_empty());
    let hub = fw.latest.active(&p("10.17.11.0/25")).expect("active");
    assert_eq!(
        s.classifier().classify_route(fw.latest.view(hub)),
        PathKind::ExpressRoute
    );
    let azure = s.live.tables.get(2).expect("azure table");
    let onprem = azure.latest.paths_for(&p("10.1.11.0/25"));
    let kinds: Vec<PathKind> = onprem
        .iter()
        .map(|r| s.classifier().classify_route(azure.latest.view(r)))
        .collect();
    assert!(kinds.contains(&PathKind::ExpressRoute) && kinds.contains(&PathKind::Vpn));

    // Sessions.
    let bgp = s
        .live
        .bgp
        .first()
        .and_then(|l| l.value.clone())
        .expect("bgp");
    assert_eq!(bgp.peers.len(), 4);
    assert_eq!(
        s.live
            .ike
            .first()
            .and_then(|l| l.value.as_ref())
            .map(|v| v.sas.len()),
        Some(2)
    );
    assert_eq!(
        s.live
            .ipsec
            .first()
            .and_then(|l| l.value.as_ref())
            .map(|v| v.sas.len()),
        Some(4)
    );
    assert_eq!(s.live.bfd.first().map(|l| l.device.as_str()), Some("ce1"));
    assert_eq!(
        s.live
            .azure_bgp
            .first()
            .and_then(|l| l.value.as_ref())
            .map(|v| v.value.len()),
        Some(2)
    );
    assert!(
        s.live
            .azure_connection
            .first()
            .is_some_and(|l| l.value.is_some())
    );

    // Trace and gate.
    let tr = s.live.traces.first().expect("trace");
    assert_eq!(tr.first_class.kind, PathKind::ExpressRoute);
    assert!(tr.change.is_none());
    let gate = s.open_gate().expect("gate open");
    assert!(gate.needs_reason());
    assert_eq!(gate.confirm_text, "er-circuit-11");
    assert!(s.guard().is_none());
}

#[test]
fn guarded_window_phases_in_order() {
    let mut s = fold(&checks());
    let mut phases = Vec::new();
    for e in failover() {
        s.apply(&e);
        if let Some(g) = s.guard() {
            phases.push(g.phase());
        }
    }
    phases.dedup();
    assert_eq!(phases, [GuardPhase::Applying, GuardPhase::Armed]);
    assert!(s.open_gate().is_none());
    assert!(matches!(
        s.gates.first().and_then(|g| g.decision.clone()),
        Some(GateDecision::Override { .. })
    ));
    let g = s.armed_guard().expect("armed");
    assert_eq!(g.attempts.len(), 1);
    assert_eq!(g.verify_status(), VerifyStatus::Passed);
    let d = g.deadline.as_ref().expect("deadline");
    let now = OffsetDateTime::parse("2026-11-20T02:00:29Z", &Rfc3339).expect("time");
    assert_eq!(d.remaining(now), Some(std::time::Duration::from_secs(571)));
    let later = OffsetDateTime::parse("2026-11-20T03:00:00Z", &Rfc3339).expect("time");
    assert_eq!(d.remaining(later), Some(std::time::Duration::ZERO));

    // The firewall table moved to the VPN: both prefixes changed.
    let fw = s.live.tables.iter().find(|t| t.device == "fw").expect("fw");
    assert!(!Arc::ptr_eq(&fw.baseline, &fw.latest));
    assert!(fw.is_changed(&p("10.17.11.0/25")));
    assert!(fw.is_changed(&p("10.17.11.128/26")));
    assert!(!fw.is_changed(&p("10.17.11.76/32")));
    let ch = fw
        .diff
        .active_change(&p("10.17.11.0/25"))
        .expect("active change");
    assert_eq!(
        (ch.kind_before(), ch.kind_after()),
        (Some(PathKind::ExpressRoute), Some(PathKind::Vpn))
    );
    // The trace moved too, and the pair around the change is kept.
    let tr = s.live.traces.first().expect("trace");
    assert_eq!(tr.latest_class.kind, PathKind::Vpn);
    let change = tr.change.as_ref().expect("change");
    assert_eq!(change.before_class.kind, PathKind::ExpressRoute);
    assert!(tr.compare.lost_address("192.168.11.18"));
    assert_eq!(s.measurements.len(), 1);
    let peering = s
        .live
        .azure_peering
        .first()
        .and_then(|l| l.value.as_ref())
        .expect("peering");
    assert_eq!(
        peering
            .value
            .first()
            .and_then(|p| p.state())
            .map(|s| s.as_str()),
        Some("Disabled")
    );
}

#[test]
fn confirm_then_end() {
    let mut events = checks();
    events.extend(failover());
    events.push(Event::ConfirmHealthy {
        step: "disable-peering".into(),
    });
    events.push(Event::StepEnd {
        step: "disable-peering".into(),
        verdict: Verdict::Passed,
        elapsed_ms: 30_000,
    });
    events.push(Event::SessionEnd {
        exit_code: 0,
        outcome: "completed".into(),
    });
    let s = fold(&events);
    assert_eq!(
        s.guard().map(GuardState::phase),
        Some(GuardPhase::Confirmed)
    );
    assert!(s.armed_guard().is_none());
    assert_eq!(s.end.as_ref().map(|e| e.exit_code), Some(0));
    assert!(s.current.is_none());
    assert_eq!(s.applied, events.len() as u64);
}

#[test]
fn failed_verification_rolls_back() {
    let mut events = checks();
    events.extend(failover());
    events.push(Event::VerifyResult {
        step: "disable-peering".into(),
        clause: "route table active_path vpn".into(),
        passed: false,
        evidence: "10.17.11.0/25 still via 192.168.11.0".into(),
        elapsed_ms: 60_000,
    });
    let mut s = fold(&events);
    assert_eq!(
        s.guard().map(GuardState::verify_status),
        Some(VerifyStatus::Failed)
    );
    s.apply(&Event::RollbackStarted {
        step: "disable-peering".into(),
        reason: RollbackReason::VerificationFailed,
        op: "azure.peering.enable".into(),
    });
    assert_eq!(
        s.guard().map(GuardState::phase),
        Some(GuardPhase::RollingBack)
    );
    assert!(s.armed_guard().is_none());
    s.apply(&Event::ActionAttempt {
        step: "disable-peering".into(),
        attempt: ArmAttempt {
            method: "PUT".into(),
            path: "/p".into(),
            status: 429,
            error_code: None,
            retry_after_ms: Some(1000),
            ids: RequestIds::default(),
            write: None,
        },
    });
    let g = s.guard().expect("guard");
    assert_eq!(g.attempts.len(), 1, "the change's own attempts stay apart");
    assert_eq!(g.rollback.as_ref().map(|r| r.attempts.len()), Some(1));
    s.apply(&Event::RollbackDone {
        step: "disable-peering".into(),
        detail: "state Enabled".into(),
        outcome: None,
        reasserts: 0,
    });
    assert_eq!(
        s.guard().map(GuardState::phase),
        Some(GuardPhase::RolledBack)
    );
}

#[test]
fn rollback_failure_keeps_the_manual_commands() {
    let mut events = checks();
    events.extend(failover());
    events.push(Event::RollbackStarted {
        step: "disable-peering".into(),
        reason: RollbackReason::DeadlinePassed,
        op: "azure.peering.enable".into(),
    });
    events.push(Event::RollbackFailed {
        step: "disable-peering".into(),
        error: "throttled: gave up after 12 attempts".into(),
        manual: manual("Enabled"),
    });
    events.push(Event::SessionEnd {
        exit_code: 4,
        outcome: "rollback failed".into(),
    });
    let s = fold(&events);
    let g = s.guard().expect("guard");
    assert_eq!(g.phase(), GuardPhase::RollbackFailed);
    let Some(RollbackState {
        outcome: RollbackOutcome::Failed { manual: m, .. },
        reason,
        ..
    }) = &g.rollback
    else {
        panic!("{:?}", g.rollback);
    };
    assert_eq!(*reason, RollbackReason::DeadlinePassed);
    assert_eq!(m.az_cli, manual("Enabled").az_cli);
    // The step under way when the session ended did not pass.
    assert_eq!(
        s.step("disable-peering").map(|x| x.status),
        Some(StepStatus::Failed)
    );
}

#[test]
fn a_cancelled_change_is_neither_armed_nor_rolled_back() {
    let mut events = checks();
    events.push(Event::ActionStarted {
        step: "disable-peering".into(),
        op: "azure.peering.disable".into(),
        target: "rg/er/AzurePrivatePeering".into(),
        manual: manual("Disabled"),
    });
    let s = fold(&events);
    assert_eq!(s.guard().map(GuardState::phase), Some(GuardPhase::Applying));
    events.push(Event::ActionCancelled {
        step: "disable-peering".into(),
        op: "azure.peering.disable".into(),
        reason: RollbackReason::ConsoleLost,
        detail: "no PUT had been sent".into(),
    });
    let s = fold(&events);
    let g = s.guard().expect("guard");
    assert_eq!(g.phase(), GuardPhase::Cancelled);
    assert_eq!(
        g.cancelled,
        Some(Cancellation {
            reason: RollbackReason::ConsoleLost,
            detail: "no PUT had been sent".into(),
        })
    );
    assert!(s.armed_guard().is_none());
}

/// What the panes would show, as text, to compare two folds.
fn fingerprint(s: &SessionState) -> String {
    let mut out = String::new();
    for st in &s.steps {
        out.push_str(&format!(
            "{} {:?} {}\n",
            st.info.id,
            st.status,
            st.probes.len()
        ));
    }
    for t in &s.live.tables {
        out.push_str(&format!(
            "{} {} {} {} {:?}\n",
            t.device,
            t.baseline.len(),
            t.latest.len(),
            t.updates,
            t.changed
        ));
    }
    for t in &s.live.traces {
        out.push_str(&format!(
            "{:?} {:?} {:?}\n",
            t.first_class, t.latest_class, t.compare
        ));
    }
    out.push_str(&format!("{:?}\n{:?}\n", s.gates, s.guards));
    out
}

#[test]
fn replay_from_json_rebuilds_the_same_panes() {
    let mut events = checks();
    events.extend(failover());
    let live = fold(&events);
    let replayed: Vec<Event> = events
        .iter()
        .map(|e| {
            let line = serde_json::to_string(e).expect("serializes");
            serde_json::from_str(&line).expect("reads back")
        })
        .collect();
    let replay = fold(&replayed);
    assert_eq!(fingerprint(&live), fingerprint(&replay));
}

#[test]
fn an_unchanged_capture_is_not_parsed_again() {
    let mut s = fold(&checks());
    let before = s
        .live
        .tables
        .iter()
        .find(|t| t.device == "fw")
        .map(|t| Arc::clone(&t.latest));
    s.apply(&probe(
        "monitor",
        "fw",
        "route.table",
        TABLE_CMD,
        FW_TABLE_ER,
    ));
    let fw = s.live.tables.iter().find(|t| t.device == "fw").expect("fw");
    assert!(before.is_some_and(|b| Arc::ptr_eq(&b, &fw.latest)));
    assert_eq!(fw.updates, 2);
}

#[test]
fn repeated_command_in_a_step_replaces_its_record() {
    let mut s = fold(&checks());
    s.apply(&probe(
        "trace-before",
        "server",
        "trace",
        TRACE_CMD,
        WIN_BEFORE,
    ));
    let st = s.step("trace-before").expect("step");
    assert_eq!(st.probes.len(), 1);
    assert_eq!(st.probes.first().map(|p| p.runs), Some(2));
    assert_eq!(
        st.probes.first().and_then(|p| p.raw.as_deref()),
        Some(WIN_BEFORE)
    );
    // Windows tracert reads the same way: still ExpressRoute, no change.
    s.apply(&probe(
        "trace-before",
        "server",
        "trace",
        TRACE_CMD,
        WIN_AFTER,
    ));
    let tr = s.live.traces.first().expect("trace");
    assert_eq!(tr.latest_class.kind, PathKind::Vpn);
    assert_eq!(tr.kind_changes, 1);
    assert_eq!(tr.updates, 3);
}

#[test]
fn failures_are_kept_and_the_last_good_value_stays() {
    let mut s = fold(&checks());
    s.apply(&Event::Probe {
        step: "monitor".into(),
        device: "fw".into(),
        query: "route.table".into(),
        command: TABLE_CMD.into(),
        raw: None,
        error: Some("fw: connection lost: reset".into()),
        parsed: None,
        elapsed_ms: 5000,
        ids: None,
    });
    let fw = s.live.tables.iter().find(|t| t.device == "fw").expect("fw");
    assert_eq!(fw.error.as_deref(), Some("fw: connection lost: reset"));
    assert_eq!(fw.latest.len(), fw.baseline.len());
    // The monitor's polls are kept apart from the runbook's steps.
    assert!(s.step("monitor").is_none());
    let mon = s.monitor.first().expect("monitor poll");
    assert_eq!(mon.error.as_deref(), Some("fw: connection lost: reset"));

    s.apply(&probe(
        "monitor",
        "fw",
        "bgp.summary",
        "show bgp summary",
        "error: syntax error, expecting <command>",
    ));
    let bgp = s.live.bgp.first().expect("bgp");
    assert!(bgp.value.is_some() && bgp.is_stale());
    let rec = s.monitor.last().expect("probe");
    assert!(rec.parse_error.is_some());

    s.apply(&probe(
        "monitor",
        "azure",
        "azure.learned_routes",
        "POST .../getLearnedRoutes",
        "{\"error\": {\"code\": \"AuthorizationFailed\", \"message\": \"no\"}}",
    ));
    let az = s
        .live
        .tables
        .iter()
        .find(|t| t.device == "azure")
        .expect("azure");
    assert!(
        az.error
            .as_deref()
            .is_some_and(|e| e.contains("AuthorizationFailed")),
        "{:?}",
        az.error
    );
}

#[test]
fn a_query_without_a_pane_is_recorded_but_feeds_none() {
    let mut s = SessionState::new(classifier());
    // A misspelt or newer query name: its output is kept for the detail
    // pane, but no parser is guessed for it.
    s.apply(&probe("c", "fw", "route.tables", TABLE_CMD, FW_TABLE_ER));
    assert!(s.live.tables.is_empty());
    let rec = s.step("c").and_then(|st| st.probes.first()).expect("probe");
    assert_eq!(rec.raw.as_deref(), Some(FW_TABLE_ER));
    assert_eq!(rec.parse_error, None);
}

#[test]
fn a_decision_without_prompt_is_kept() {
    let mut s = SessionState::new(classifier());
    s.apply(&Event::GateDecision {
        step: "g".into(),
        decision: GateDecision::Declined,
    });
    assert_eq!(s.gates.len(), 1);
    assert!(s.open_gate().is_none());
    s.apply(&Event::DeadlineArmed {
        step: "a".into(),
        seconds: 10,
        expires_at: "not a time".into(),
    });
    let d = s
        .guard()
        .and_then(|g| g.deadline.clone())
        .expect("deadline");
    assert_eq!(d.expires_at, None);
    assert_eq!(d.remaining(OffsetDateTime::UNIX_EPOCH), None);
}

/// A change applied at 02:00:00 whose trace first stays on ExpressRoute,
/// then stops reaching the target at 02:00:10.
fn traffic_events() -> Vec<Event> {
    let step = "disable-peering";
    vec![
        Event::ActionStarted {
            step: step.into(),
            op: "azure.peering.disable".into(),
            target: "er-circuit-11/AzurePrivatePeering".into(),
            manual: manual("Disabled"),
        },
        Event::ActionDone {
            step: step.into(),
            op: "azure.peering.disable".into(),
            ok: true,
            detail: "state Disabled".into(),
        },
        Event::DeadlineArmed {
            step: step.into(),
            seconds: 600,
            expires_at: "2026-11-20T02:10:00.000Z".into(),
        },
        Event::VerifyStarted {
            step: step.into(),
            since: "2026-11-20T02:00:00.000Z".into(),
            within_ms: 60_000,
            max_outage_ms: Some(15_000),
        },
        Event::TrafficSeen {
            step: step.into(),
            path: "expressroute".into(),
            moved: false,
            elapsed_ms: 0,
            lost_ms: None,
        },
    ]
}

fn at(t: &str) -> OffsetDateTime {
    OffsetDateTime::parse(t, &Rfc3339).expect("time")
}

#[test]
fn the_fold_tells_not_moved_from_lost_and_counts_from_the_first_miss() {
    let mut s = SessionState::new(classifier());
    for e in traffic_events() {
        s.apply(&e);
    }
    let g = s.guard().expect("guard");
    let w = g.window.as_ref().expect("window");
    assert_eq!((w.within_ms, w.max_outage_ms), (60_000, Some(15_000)));
    assert_eq!(
        w.elapsed(at("2026-11-20T02:00:12Z")),
        Some(std::time::Duration::from_secs(12))
    );
    assert!(matches!(
        &g.traffic,
        Some(Traffic::Seen { path, moved: false, .. }) if path == "expressroute"
    ));
    assert!(!g.may_confirm(), "not verified yet");

    s.apply(&Event::TrafficLost {
        step: "disable-peering".into(),
        since: "2026-11-20T02:00:10.000Z".into(),
        elapsed_ms: 10_000,
        unseen_ms: 5_000,
        rollback_at: Some("2026-11-20T02:00:25.000Z".into()),
        evidence: "10.17.11.132 did not answer".into(),
    });
    let t = s.guard().and_then(|g| g.traffic.clone()).expect("traffic");
    let now = at("2026-11-20T02:00:19Z");
    assert_eq!(t.lost_for(now), Some(std::time::Duration::from_secs(9)));
    assert_eq!(t.rollback_in(now), Some(std::time::Duration::from_secs(6)));
    assert_eq!(
        t.rollback_in(at("2026-11-20T02:00:40Z")),
        Some(std::time::Duration::ZERO)
    );
    // Still armed: only `rollback_started` makes it a rollback.
    assert_eq!(s.guard().map(GuardState::phase), Some(GuardPhase::Armed));
    s.apply(&Event::RollbackStarted {
        step: "disable-peering".into(),
        reason: RollbackReason::TrafficLost,
        op: "azure.peering.enable".into(),
    });
    let g = s.guard().expect("guard");
    assert_eq!(g.phase(), GuardPhase::RollingBack);
    assert_eq!(
        g.rollback.as_ref().map(|r| r.reason),
        Some(RollbackReason::TrafficLost)
    );
}

#[test]
fn healthy_is_taken_once_verified() {
    let mut s = SessionState::new(classifier());
    for e in traffic_events() {
        s.apply(&e);
    }
    s.apply(&Event::Verified {
        step: "disable-peering".into(),
    });
    assert!(s.guard().is_some_and(GuardState::may_confirm));
}

#[test]
fn live_panes_keep_when_their_data_was_last_read() {
    let t = |s: i64| at("2026-11-20T02:00:00Z") + time::Duration::seconds(s);
    let repeated = |device: &str, query: &str, command: &str| Event::ProbeRepeated {
        step: MONITOR_STEP.into(),
        device: device.into(),
        query: query.into(),
        command: command.into(),
        elapsed_ms: 40,
    };
    let mut s = SessionState::new(classifier());
    s.apply_at(
        &probe(MONITOR_STEP, "fw", "route.table", TABLE_CMD, FW_TABLE_ER),
        t(0),
    );
    s.apply_at(
        &probe(MONITOR_STEP, "fw", "bgp.summary", "show bgp summary", BGP),
        t(0),
    );
    s.apply_at(
        &probe(MONITOR_STEP, "server", "trace", TRACE_CMD, TRACE_ER),
        t(0),
    );
    // The same answers again: the panes are current, nothing else changes.
    s.apply_at(&repeated("fw", "route.table", TABLE_CMD), t(5));
    s.apply_at(&repeated("fw", "bgp.summary", "show bgp summary"), t(5));
    assert_eq!(s.live.tables[0].seen_at, Some(t(5)));
    assert_eq!(s.live.tables[0].updates, 2);
    assert_eq!(s.live.bgp[0].seen_at, Some(t(5)));
    assert_eq!(s.live.traces[0].seen_at, Some(t(0)));
    assert_eq!(s.monitor.iter().map(|p| p.runs).sum::<u32>(), 5);
    // A failed poll keeps the last value and its time; a repeat of the
    // failure does not make the old value current.
    let failed = Event::Probe {
        step: MONITOR_STEP.into(),
        device: "fw".into(),
        query: "bgp.summary".into(),
        command: "show bgp summary".into(),
        raw: None,
        error: Some("fw: `show bgp summary` timed out after 30 s".into()),
        parsed: None,
        elapsed_ms: 30_000,
        ids: None,
    };
    s.apply_at(&failed, t(40));
    s.apply_at(&repeated("fw", "bgp.summary", "show bgp summary"), t(45));
    assert_eq!(s.live.bgp[0].seen_at, Some(t(5)));
    assert!(s.live.bgp[0].error.is_some());
    // Ages against a 5 s period: stale past two periods.
    let period = Some(std::time::Duration::from_secs(5));
    let age = |seen, now| Age::of(seen, Some(now), period).expect("known");
    assert_eq!(
        age(Some(t(5)), t(15)),
        Age {
            secs: 10,
            stale: false
        }
    );
    assert_eq!(
        age(Some(t(5)), t(16)),
        Age {
            secs: 11,
            stale: true
        }
    );
    assert_eq!(age(Some(t(0)), t(200)).text(), "3 min ago");
    assert_eq!(Age::of(None, Some(t(1)), period), None);
    assert!(
        !Age::of(Some(t(0)), Some(t(100)), None)
            .expect("known")
            .stale
    );
    // A fold without times keeps none.
    let plain = fold(&[probe(
        MONITOR_STEP,
        "fw",
        "route.table",
        TABLE_CMD,
        FW_TABLE_ER,
    )]);
    assert_eq!(plain.live.tables[0].seen_at, None);
}

#[test]
fn measured_times_read_as_their_range() {
    assert_eq!(measured_text(2_180, Some(1_000)), "1.1–2.2 s");
    // Rounded outward: never narrower than measured.
    assert_eq!(measured_text(2_150, Some(1_000)), "1.1–2.2 s");
    assert_eq!(measured_text(900, Some(900)), "0.0–0.9 s");
    assert_eq!(measured_text(5, None), "5 ms");
    assert_eq!(measured_text(15_000, Some(0)), "15.0 s");
}

#[test]
fn blind_marks_and_hints_fold_in_and_the_last_mark_of_a_check_counts() {
    use crate::session::drill::Mark;
    use crate::session::event::Verdict;
    let mut s = SessionState::new(classifier());
    let mark = |mark, after_ms| Event::DrillMark {
        check: "bgp".into(),
        mark,
        truth: Verdict::Failed,
        after_ms,
    };
    s.apply(&mark(Mark::Pass, 1_000));
    s.apply(&mark(Mark::Fail, 3_000));
    s.apply(&Event::DrillHint {
        step: "bgp".into(),
        text: "read the State column".into(),
    });
    assert_eq!(s.answers.marks.len(), 2, "each mark is kept");
    let last = s.answers.mark_of("bgp").expect("marked");
    assert_eq!(
        (last.mark, last.after_ms, last.correct()),
        (Mark::Fail, 3_000, true)
    );
    assert!(s.answers.mark_of("other").is_none());
    assert_eq!(s.answers.hints.len(), 1);
}
