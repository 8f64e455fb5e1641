//! A scripted drill session for the console tests: real device and ARM
//! outputs from tests/fixtures, folded as the engine would send them.

#![allow(dead_code)]

use std::net::IpAddr;

use cutover_core::azure_call::{ArmAttempt, ManualCommands, RequestIds};
use cutover_core::model::path::PathClassifier;
use cutover_core::session::Event;
use cutover_core::session::event::{
    GateDecision, Mode, NoteLevel, RollbackReason, StepInfo, Verdict,
};
use cutover_core::session::state::SessionState;
use cutover_tui::{App, Theme};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn fixture(path: &str) -> String {
    let p = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// The firewall's table once the private peering is down.
pub const FW_TABLE_VPN: &str = "\
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

pub const TABLE_CMD: &str = "show route table Cust11.inet.0 10.17.11.0/24";
pub const TRACE_CMD: &str = "traceroute -n 10.17.11.132";
pub const GUARD_STEP: &str = "disable-private-peering";
pub const GATE_STEP: &str = "confirm-failover";
pub const CIRCUIT: &str = "SEA-Cust11-er-circuit";

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// The runbook's `[paths]`.
pub fn classifier() -> PathClassifier {
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

fn info(id: &str, title: &str, phase: &str, kind: &str) -> StepInfo {
    StepInfo {
        id: id.into(),
        title: title.into(),
        phase: phase.into(),
        kind: kind.into(),
    }
}

pub fn probe(step: &str, device: &str, query: &str, command: &str, raw: &str, ms: u64) -> Event {
    Event::Probe {
        step: step.into(),
        device: device.into(),
        query: query.into(),
        command: command.into(),
        raw: Some(raw.into()),
        error: None,
        parsed: None,
        elapsed_ms: ms,
        ids: None,
    }
}

fn expect(step: &str, clause: &str, passed: bool, evidence: &str) -> Event {
    Event::Expectation {
        step: step.into(),
        clause: clause.into(),
        passed,
        evidence: evidence.into(),
    }
}

fn start(step: &str) -> Event {
    Event::StepStart { step: step.into() }
}

fn end(step: &str, verdict: Verdict, ms: u64) -> Event {
    Event::StepEnd {
        step: step.into(),
        verdict,
        elapsed_ms: ms,
    }
}

pub fn manual(state: &str) -> ManualCommands {
    ManualCommands {
        az_cli: format!(
            "az network express-route peering update --resource-group SEA-Cust11 --circuit-name {CIRCUIT} --name AzurePrivatePeering --set state={state}"
        ),
        powershell: format!(
            "$c = Get-AzExpressRouteCircuit -ResourceGroupName SEA-Cust11 -Name {CIRCUIT}; ($c.Peerings | Where-Object Name -eq 'AzurePrivatePeering').State = '{state}'; Set-AzExpressRouteCircuit -ExpressRouteCircuit $c"
        ),
    }
}

/// Session start, the checks; `bgp_ok` false makes the BGP check fail.
pub fn checks(bgp_ok: bool) -> Vec<Event> {
    let steps = vec![
        info(
            "ce1-advertises-onprem",
            "Primary CE advertises the on-prem prefix to the primary MSEE",
            "1",
            "check",
        ),
        info(
            "fw-prefers-er-for-hub",
            "Firewall prefers ExpressRoute (local-pref 150) for the hub",
            "1",
            "check",
        ),
        info(
            "fw-bgp-to-vpn-gateway",
            "Firewall's BGP sessions to both VPN gateway instances are established",
            "2",
            "check",
        ),
        info(
            "azure-learned-onprem",
            "The VPN gateway learned the on-prem prefix over VPN and ER",
            "2",
            "check",
        ),
        info(
            "azure-bgp-peers-connected",
            "Both VPN gateway instances see the firewall's BGP peer",
            "2",
            "check",
        ),
        info(
            "vpn-connection-connected",
            "The S2S VPN connection is connected",
            "2",
            "check",
        ),
        info(
            "fw-ike-sas-up",
            "IKE security associations to both instances are up",
            "2",
            "check",
        ),
        info(
            "fw-ipsec-sas-up",
            "IPsec tunnels to both gateway instances are up",
            "2",
            "check",
        ),
        info("ce1-bfd-up", "BFD to the primary MSEE is up", "2", "check"),
        info(
            "trace-before-failover",
            "Traffic to the test VM crosses ExpressRoute now",
            "3",
            "check",
        ),
        info(
            GATE_STEP,
            "Confirm: disable the ExpressRoute private peering",
            "3",
            "gate",
        ),
        info(
            GUARD_STEP,
            "Disable AzurePrivatePeering and watch traffic move to the VPN",
            "3",
            "action",
        ),
        info(
            "enable-private-peering",
            "Enable AzurePrivatePeering again",
            "4",
            "action",
        ),
        info(
            "schedule-next-test",
            "Record when the next test is due",
            "5",
            "record",
        ),
    ];
    let mut ev = vec![Event::SessionStart {
        session_id: "0c5e7a52-1111-4222-8333-944455556666".into(),
        mode: Mode::Drill,
        runbook_id: "er-vpn-failover".into(),
        runbook_title: "Validate the S2S VPN backup of ExpressRoute, fail over to it and back"
            .into(),
        runbook_sha256: "ab".repeat(32),
        operator: "netops".into(),
        ticket: Some("CHG-2026-1120".into()),
        key_fingerprint: None,
        scenario: Some(if bgp_ok { "baseline" } else { "vpn-bgp-down" }.into()),
        steps,
        version: "0.1.0".into(),
    }];
    let s = "ce1-advertises-onprem";
    ev.push(start(s));
    ev.push(probe(
        s,
        "ce1",
        "bgp.advertised",
        "show route advertising-protocol bgp 192.168.11.18",
        &fixture("article/route/mx03-01-advertising-protocol-bgp-192.168.11.18.txt"),
        212,
    ));
    ev.push(expect(
        s,
        "prefix 10.1.11.0/25",
        true,
        "10.1.11.0/25 is advertised (next hop Self, AS path I)",
    ));
    ev.push(end(s, Verdict::Passed, 230));

    let s = "fw-prefers-er-for-hub";
    ev.push(start(s));
    ev.push(probe(
        s,
        "fw",
        "route.table",
        TABLE_CMD,
        &fixture("article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt"),
        318,
    ));
    ev.push(expect(
        s,
        "prefix 10.17.11.0/25 active_path expressroute",
        true,
        "active: bgp lp150 [12076] via 192.168.11.0 via 192.168.11.2",
    ));
    ev.push(expect(
        s,
        "prefix 10.17.11.0/25 path vpn local_pref 100 as_path [65515] active false at_least 2",
        true,
        "2 inactive VPN paths (local-pref 100, AS path 65515)",
    ));
    ev.push(end(s, Verdict::Passed, 330));

    let s = "fw-bgp-to-vpn-gateway";
    ev.push(start(s));
    let bgp = if bgp_ok {
        "article/sessions/bgp-summary-srx.txt"
    } else {
        "article/sessions/bgp-summary-srx-vpn-down.txt"
    };
    ev.push(probe(
        s,
        "fw",
        "bgp.summary",
        "show bgp summary instance Cust11",
        &fixture(bgp),
        150,
    ));
    ev.push(expect(
        s,
        "peer 10.17.11.76 state Established",
        bgp_ok,
        if bgp_ok {
            "10.17.11.76 Establ for 2d 21:12:18"
        } else {
            "10.17.11.76 is Active, not Established"
        },
    ));
    ev.push(expect(
        s,
        "peer 10.17.11.77 state Established",
        bgp_ok,
        if bgp_ok {
            "10.17.11.77 Establ for 2d 0:41:56"
        } else {
            "10.17.11.77 is Active, not Established"
        },
    ));
    ev.push(end(
        s,
        if bgp_ok {
            Verdict::Passed
        } else {
            Verdict::Failed
        },
        160,
    ));

    let s = "azure-learned-onprem";
    ev.push(start(s));
    ev.push(probe(
        s,
        "azure",
        "azure.learned_routes",
        "POST /subscriptions/…/virtualNetworkGateways/SEA-Cust11-VNet01-gw-vpn/getLearnedRoutes",
        &fixture("arm/synthetic/gateway-learned-routes.json"),
        2410,
    ));
    ev.push(expect(
        s,
        "prefix 10.1.11.0/25 next_hop 192.168.11.88 as_path [65020]",
        true,
        "learned from 192.168.11.88 (EBgp, AS path 65020)",
    ));
    ev.push(end(s, Verdict::Passed, 2420));

    let s = "azure-bgp-peers-connected";
    ev.push(start(s));
    ev.push(probe(
        s,
        "azure",
        "azure.bgp_peers",
        "POST /subscriptions/…/virtualNetworkGateways/SEA-Cust11-VNet01-gw-vpn/getBgpPeerStatus",
        &fixture("arm/synthetic/gateway-bgp-peer-status.json"),
        1980,
    ));
    ev.push(expect(
        s,
        "peer 192.168.11.88 state Connected at_least 2",
        false,
        "1 of 2 instances Connected (10.17.11.77: Connecting)",
    ));
    ev.push(end(s, Verdict::Failed, 1990));

    let s = "vpn-connection-connected";
    ev.push(start(s));
    ev.push(probe(
        s,
        "azure",
        "azure.connection",
        "GET /subscriptions/…/connections/SEA-Cust11-VNet01-gw-vpn-onprem",
        &fixture("arm/synthetic/connection-get-connected.json"),
        640,
    ));
    ev.push(expect(
        s,
        "state Connected",
        true,
        "connectionStatus Connected",
    ));
    ev.push(end(s, Verdict::Passed, 650));

    let s = "fw-ike-sas-up";
    ev.push(start(s));
    ev.push(probe(
        s,
        "fw",
        "ike.sas",
        "show security ike security-associations",
        &fixture("article/sessions/ike-sa-srx.txt"),
        120,
    ));
    ev.push(expect(
        s,
        "state UP at_least 2",
        true,
        "2 IKE SAs UP (203.0.113.76, 203.0.113.77)",
    ));
    ev.push(end(s, Verdict::Passed, 125));

    let s = "fw-ipsec-sas-up";
    ev.push(start(s));
    ev.push(probe(
        s,
        "fw",
        "ipsec.sas",
        "show security ipsec security-associations",
        &fixture("article/sessions/ipsec-sa-srx.txt"),
        131,
    ));
    ev.push(expect(s, "at_least 2", true, "4 SAs on 2 tunnels"));
    ev.push(end(s, Verdict::Passed, 140));

    let s = "ce1-bfd-up";
    ev.push(start(s));
    ev.push(probe(
        s,
        "ce1",
        "bfd.sessions",
        "show bfd session",
        &fixture("article/sessions/bfd-session-ce1.txt"),
        98,
    ));
    ev.push(expect(
        s,
        "peer 192.168.11.18 state Up",
        true,
        "192.168.11.18 Up, detect 0.900 s",
    ));
    ev.push(end(s, Verdict::Passed, 100));

    let s = "trace-before-failover";
    ev.push(start(s));
    ev.push(probe(
        s,
        "server",
        "trace",
        TRACE_CMD,
        &fixture("article/traceroute/linux-er.txt"),
        4120,
    ));
    ev.push(expect(
        s,
        "path expressroute include_hops [192.168.11.18] reached true",
        true,
        "reached 10.17.11.132 via 192.168.11.18 (ER hop)",
    ));
    ev.push(end(s, Verdict::Passed, 4130));
    ev.push(Event::Note {
        step: Some("azure-bgp-peers-connected".into()),
        level: NoteLevel::Warn,
        text: "gateway instance 10.17.11.77 sees the firewall Connecting".into(),
    });
    ev
}

/// The gate's prompt; failed pre-checks as given.
pub fn gate_prompt(failed: &[&str]) -> Event {
    Event::GatePrompt {
        step: GATE_STEP.into(),
        prompt: format!(
            "Disable AzurePrivatePeering on circuit {CIRCUIT} (resource group SEA-Cust11)? Traffic will move to the S2S VPN."
        ),
        confirm_text: CIRCUIT.into(),
        failed_checks: failed.iter().map(|s| s.to_string()).collect(),
        hazards: vec![],
    }
}

pub fn gate_decision(decision: GateDecision) -> Vec<Event> {
    let verdict = match decision {
        GateDecision::Confirmed => Verdict::Passed,
        GateDecision::Override { .. } => Verdict::Overridden,
        GateDecision::Declined => Verdict::Failed,
    };
    vec![
        Event::GateDecision {
            step: GATE_STEP.into(),
            decision,
        },
        end(GATE_STEP, verdict, 41_000),
    ]
}

pub fn attempt(status: u16, code: Option<&str>, retry: Option<u64>) -> ArmAttempt {
    ArmAttempt {
        method: "PUT".into(),
        path: "/subscriptions/…/expressRouteCircuits/SEA-Cust11-er-circuit/peerings/AzurePrivatePeering?api-version=2024-05-01".into(),
        status,
        error_code: code.map(str::to_string),
        retry_after_ms: retry,
        ids: RequestIds::default(),
        write: None,
    }
}

/// The change goes out (with one conflict retried) and the deadline is armed.
pub fn action_armed() -> Vec<Event> {
    vec![
        start(GUARD_STEP),
        Event::ActionStarted {
            step: GUARD_STEP.into(),
            op: "azure.peering.disable".into(),
            target: format!("{CIRCUIT}/AzurePrivatePeering"),
            manual: manual("Disabled"),
        },
        Event::ActionAttempt {
            step: GUARD_STEP.into(),
            attempt: attempt(409, Some("AnotherOperationInProgress"), Some(2000)),
        },
        Event::ActionAttempt {
            step: GUARD_STEP.into(),
            attempt: attempt(200, None, None),
        },
        Event::ActionDone {
            step: GUARD_STEP.into(),
            op: "azure.peering.disable".into(),
            ok: true,
            detail: "AzurePrivatePeering is Disabled (provisioning Succeeded)".into(),
        },
        probe(
            GUARD_STEP,
            "azure",
            "azure.peering",
            "GET /subscriptions/…/expressRouteCircuits/SEA-Cust11-er-circuit/peerings/AzurePrivatePeering",
            &fixture("arm/synthetic/peering-get-private-disabled.json"),
            510,
        ),
        Event::DeadlineArmed {
            step: GUARD_STEP.into(),
            seconds: 600,
            expires_at: "2026-11-20T02:10:00.000Z".into(),
        },
    ]
}

/// The trace and the table move to the VPN; both verifications pass.
pub fn verified() -> Vec<Event> {
    vec![
        probe(
            GUARD_STEP,
            "server",
            "trace",
            TRACE_CMD,
            &fixture("article/traceroute/linux-vpn.txt"),
            3980,
        ),
        Event::VerifyResult {
            step: GUARD_STEP.into(),
            clause: "trace path vpn exclude_hops [192.168.11.18, 192.168.11.22] reached".into(),
            passed: true,
            evidence: "reached 10.17.11.132, no ExpressRoute hop".into(),
            elapsed_ms: 6100,
        },
        probe(
            GUARD_STEP,
            "fw",
            "route.table",
            TABLE_CMD,
            FW_TABLE_VPN,
            290,
        ),
        Event::VerifyResult {
            step: GUARD_STEP.into(),
            clause: "route.table 10.17.11.0/25 active_path vpn".into(),
            passed: true,
            evidence: "active: bgp lp100 [65515] (VPN)".into(),
            elapsed_ms: 6400,
        },
        Event::Measurement {
            step: GUARD_STEP.into(),
            name: "failover".into(),
            millis: 6100,
            uncertainty_ms: None,
            from: None,
            to: None,
        },
    ]
}

pub fn verify_failed() -> Vec<Event> {
    vec![
        probe(
            GUARD_STEP,
            "server",
            "trace",
            TRACE_CMD,
            &fixture("article/traceroute/linux-er.txt"),
            4010,
        ),
        Event::VerifyResult {
            step: GUARD_STEP.into(),
            clause: "trace path vpn exclude_hops [192.168.11.18, 192.168.11.22] reached".into(),
            passed: false,
            evidence: "after 60 s the trace still crosses 192.168.11.18 (ExpressRoute)".into(),
            elapsed_ms: 60_000,
        },
    ]
}

pub fn rollback_started(reason: RollbackReason) -> Event {
    Event::RollbackStarted {
        step: GUARD_STEP.into(),
        reason,
        op: "azure.peering.enable".into(),
    }
}

pub fn rollback_done() -> Vec<Event> {
    vec![
        Event::ActionAttempt {
            step: GUARD_STEP.into(),
            attempt: attempt(429, None, Some(5000)),
        },
        Event::ActionAttempt {
            step: GUARD_STEP.into(),
            attempt: attempt(200, None, None),
        },
        Event::RollbackDone {
            step: GUARD_STEP.into(),
            detail: "AzurePrivatePeering is Enabled again (provisioning Succeeded)".into(),
            outcome: None,
            reasserts: 0,
        },
        end(GUARD_STEP, Verdict::Failed, 64_000),
        Event::SessionEnd {
            exit_code: 3,
            outcome: "rolled back: verification failed".into(),
        },
    ]
}

pub fn rollback_failed() -> Vec<Event> {
    vec![
        Event::ActionAttempt {
            step: GUARD_STEP.into(),
            attempt: attempt(409, Some("AnotherOperationInProgress"), Some(10_000)),
        },
        Event::RollbackFailed {
            step: GUARD_STEP.into(),
            error: "conflict: AnotherOperationInProgress after 12 attempts over 5 min".into(),
            manual: manual("Enabled"),
        },
        Event::SessionEnd {
            exit_code: 4,
            outcome: "rollback failed: the peering may still be Disabled".into(),
        },
    ]
}

/// The time the countdown tests read: 9 min 31 s before the deadline.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::parse("2026-11-20T02:00:29Z", &Rfc3339).expect("time")
}

pub fn why() -> std::collections::HashMap<String, String> {
    [(
        "fw-prefers-er-for-hub".to_string(),
        "On-premises must prefer ExpressRoute too: both CEs set local-preference 150 on routes from Microsoft, the VPN paths keep the default 100.".to_string(),
    )]
    .into_iter()
    .collect()
}

/// An app with `events` folded in, the dark theme, the fixed clock.
pub fn app_with(events: &[Event]) -> App {
    app_themed(events, Theme::bundled("dark").expect("dark theme"))
}

pub fn app_themed(events: &[Event], theme: Theme) -> App {
    let mut app = App::new(SessionState::new(classifier()), theme).with_why(why());
    app.set_now(now());
    for e in events {
        app.apply(e);
    }
    app
}

pub fn cat(parts: &[Vec<Event>]) -> Vec<Event> {
    parts.iter().flatten().cloned().collect()
}

/// The gate's prediction, made from the article's firewall table and the
/// gateway's learned routes; with `more_specific`, Azure also learns
/// 10.1.11.0/26 over the VPN only, which is a hazard.
pub fn prediction(more_specific: bool) -> cutover_core::session::prediction::Prediction {
    use cutover_core::model::azure::GatewayRouteListResult;
    use cutover_core::model::table::RouteTable;
    use cutover_core::session::prediction::{Direction, Prediction, PredictionSource};
    let raw = fixture("article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt");
    let list = cutover_core::parse::junos_route::parse(&raw).expect("table");
    let table = RouteTable::from_parsed(&list, None).expect("table").table;
    let mut learned: GatewayRouteListResult =
        serde_json::from_str(&fixture("arm/synthetic/gateway-learned-routes.json"))
            .expect("routes");
    if more_specific {
        let mut r = learned
            .value
            .iter()
            .find(|r| r.next_hop.as_deref() == Some("192.168.11.88"))
            .cloned()
            .expect("a VPN route");
        r.network = Some("10.1.11.0/26".into());
        learned.value.push(r);
    }
    let source = |direction, step: &str, device: &str, command: &str| PredictionSource {
        direction,
        step: step.into(),
        device: device.into(),
        command: command.into(),
        error: None,
        unaffected: 0,
    };
    let mut p = Prediction::default();
    p.add_onprem(
        source(
            Direction::OnpremToAzure,
            "fw-prefers-er-for-hub",
            "fw",
            TABLE_CMD,
        ),
        &table,
        &classifier(),
    );
    p.add_azure(
        source(
            Direction::AzureToOnprem,
            "azure-learned-onprem",
            "azure",
            "ARM: POST .../getLearnedRoutes",
        ),
        &learned,
        &classifier(),
    );
    p
}

/// The gate with its prediction: the `prediction` event, then the prompt
/// held by the failed pre-checks and the prediction's hazards.
pub fn predicted_gate(failed: &[&str], more_specific: bool) -> Vec<Event> {
    let p = prediction(more_specific);
    let mut prompt = gate_prompt(failed);
    if let Event::GatePrompt { hazards, .. } = &mut prompt {
        *hazards = p.hazards.clone();
    }
    vec![
        Event::StepStart {
            step: GATE_STEP.into(),
        },
        Event::Prediction {
            step: GATE_STEP.into(),
            prediction: p,
        },
        prompt,
    ]
}

/// After the confirmed failover: the firewall's table on the VPN, compared
/// with the prediction.
pub fn prediction_checked(more_specific: bool) -> Event {
    use cutover_core::model::table::RouteTable;
    use cutover_core::session::prediction::check_onprem;
    let list = cutover_core::parse::junos_route::parse(FW_TABLE_VPN).expect("table");
    let table = RouteTable::from_parsed(&list, None).expect("table").table;
    let p = prediction(more_specific);
    Event::PredictionCheck {
        step: GUARD_STEP.into(),
        gate: GATE_STEP.into(),
        sources: p.sources.clone(),
        checks: check_onprem(&p.paths, &table, &classifier()),
    }
}
