//! Recorded sessions for the replay and report tests: scripted event
//! sequences as the engine emits them for the bundled failover runbook,
//! with real device outputs from tests/fixtures, written to journals.
//!
//! Two writers: [`write_journal`] goes through the real `JournalWriter`
//! (redaction, hash chain, fsync; timestamps are the wall clock), and
//! [`write_journal_at`] encodes the same chain with fixed timestamps, for
//! tests whose expected values depend on time (derived timings, snapshots).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use cutover_core::azure_call::{ArmAttempt, ManualCommands, RequestIds};
use cutover_core::session::Event;
use cutover_core::session::event::{
    GateDecision, Mode, NoteLevel, RollbackReason, StepInfo, Verdict,
};
use cutover_journal::line::{ZERO_HASH, encode_event};
use cutover_journal::{JournalWriter, Redactor};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

// One copy of the fixtures and commands the console tests use too.
pub use crate::ui_support::{FW_TABLE_VPN, TABLE_CMD, TRACE_CMD, fixture};

pub const OPERATOR: &str = "alice.netops";
pub const TICKET: &str = "CHG-4711";
pub const CIRCUIT: &str = "SEA-Cust11-er-circuit";
pub const OVERRIDE_REASON: &str =
    "CE2 local-preference fix is scheduled under CHG-4712; the primary CE carries the test";
pub const FAILOVER_MS: u64 = 4213;

/// The firewall's table with both ExpressRoute paths active (the article's).
pub fn fw_table_er() -> String {
    fixture("article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt")
}

pub fn trace_er() -> String {
    fixture("article/traceroute/linux-er.txt")
}

pub fn trace_vpn() -> String {
    fixture("article/traceroute/linux-vpn.txt")
}

/// SHA-256 of the bundled runbook: the replay finds its path rules by it.
pub fn bundled_sha() -> String {
    let text = std::fs::read_to_string(format!(
        "{}/runbooks/er-vpn-failover.toml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("bundled runbook");
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn info(id: &str, title: &str, phase: &str, kind: &str) -> StepInfo {
    StepInfo {
        id: id.into(),
        title: title.into(),
        phase: phase.into(),
        kind: kind.into(),
    }
}

pub fn session_start(scenario: &str) -> Event {
    Event::SessionStart {
        session_id: "0b5c2a7e-4f1d-4c59-9a51-3f0e2b7c9d11".into(),
        mode: Mode::Drill,
        runbook_id: "er-vpn-failover".into(),
        runbook_title: "Validate the S2S VPN backup and fail ExpressRoute over to it".into(),
        runbook_sha256: bundled_sha(),
        operator: OPERATOR.into(),
        ticket: Some(TICKET.into()),
        key_fingerprint: None,
        scenario: Some(scenario.into()),
        steps: vec![
            info(
                "fw-prefers-er-for-hub",
                "Firewall prefers ExpressRoute for the hub",
                "1",
                "check",
            ),
            info(
                "trace-before-failover",
                "Traffic to the test VM crosses ExpressRoute now",
                "3",
                "check",
            ),
            info(
                "confirm-failover",
                "Confirm: disable the ExpressRoute private peering",
                "3",
                "gate",
            ),
            info(
                "disable-private-peering",
                "Disable AzurePrivatePeering and watch traffic move to the VPN",
                "3",
                "action",
            ),
            info(
                "enable-private-peering",
                "Enable AzurePrivatePeering again and watch traffic return to ExpressRoute",
                "4",
                "action",
            ),
            info(
                "schedule-next-test",
                "Schedule the next test",
                "5",
                "record",
            ),
        ],
        version: "0.1.0".into(),
    }
}

pub fn probe(step: &str, device: &str, query: &str, command: &str, raw: &str) -> Event {
    Event::Probe {
        step: step.into(),
        device: device.into(),
        query: query.into(),
        command: command.into(),
        raw: Some(raw.into()),
        error: None,
        parsed: None,
        elapsed_ms: 640,
        ids: None,
    }
}

pub fn expectation(step: &str, clause: &str, passed: bool, evidence: &str) -> Event {
    Event::Expectation {
        step: step.into(),
        clause: clause.into(),
        passed,
        evidence: evidence.into(),
    }
}

pub fn start(step: &str) -> Event {
    Event::StepStart { step: step.into() }
}

pub fn end(step: &str, verdict: Verdict, ms: u64) -> Event {
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

pub fn attempt(step: &str, status: u16, code: Option<&str>, retry: Option<u64>, id: &str) -> Event {
    Event::ActionAttempt {
        step: step.into(),
        attempt: ArmAttempt {
            method: "PUT".into(),
            path: format!(
                "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/SEA-Cust11/providers/Microsoft.Network/expressRouteCircuits/{CIRCUIT}/peerings/AzurePrivatePeering?api-version=2024-05-01"
            ),
            status,
            error_code: code.map(str::to_string),
            retry_after_ms: retry,
            ids: RequestIds {
                client_request_id: Some(format!("client-{id}")),
                request_id: Some(id.into()),
                correlation_id: Some(format!("corr-{id}")),
            },
            write: None,
        },
    }
}

/// The read-only checks and the traceroute before the change; `hub_ok`
/// false makes the firewall check fail (a pre-check for the gate).
pub fn checks(hub_ok: bool) -> Vec<Event> {
    let s1 = "fw-prefers-er-for-hub";
    let s2 = "trace-before-failover";
    vec![
        start(s1),
        probe(s1, "fw", "route.table", TABLE_CMD, &fw_table_er()),
        expectation(
            s1,
            "10.17.11.0/25 active path is expressroute",
            true,
            "active: BGP localpref 150 AS 12076 via 192.168.11.0 (reth1.11)",
        ),
        expectation(
            s1,
            "10.17.11.0/25 expressroute paths with localpref 150: at least 2",
            hub_ok,
            if hub_ok {
                "2 paths with localpref 150"
            } else {
                "1 path with localpref 150 (192.168.11.2 shows localpref 100)"
            },
        ),
        end(
            s1,
            if hub_ok {
                Verdict::Passed
            } else {
                Verdict::Failed
            },
            812,
        ),
        start(s2),
        probe(s2, "server", "trace", TRACE_CMD, &trace_er()),
        expectation(
            s2,
            "trace path is expressroute through 192.168.11.18, reached",
            true,
            "hops 10.1.11.1, 192.168.11.0, 192.168.11.18, *, 10.17.11.132: ExpressRoute (192.168.11.18)",
        ),
        end(s2, Verdict::Passed, 2150),
    ]
}

pub fn gate(failed: &[&str], decision: GateDecision) -> Vec<Event> {
    let s = "confirm-failover";
    let verdict = match decision {
        GateDecision::Confirmed => Verdict::Passed,
        GateDecision::Override { .. } => Verdict::Overridden,
        GateDecision::Declined => Verdict::Failed,
    };
    vec![
        start(s),
        Event::GatePrompt {
            step: s.into(),
            prompt: format!(
                "Disable AzurePrivatePeering on circuit {CIRCUIT} (resource group SEA-Cust11)? Traffic will move to the S2S VPN."
            ),
            confirm_text: CIRCUIT.into(),
            failed_checks: failed.iter().map(|s| s.to_string()).collect(),
            hazards: vec![],
        },
        Event::GateDecision {
            step: s.into(),
            decision,
        },
        end(s, verdict, 31_000),
    ]
}

/// The failover: disable through a conflict and a throttle, deadline
/// armed, the trace and the table move to the VPN.
pub fn disable_until_verified(measured: bool) -> Vec<Event> {
    let s = "disable-private-peering";
    let mut v = vec![
        start(s),
        Event::ActionStarted {
            step: s.into(),
            op: "azure.peering.disable".into(),
            target: format!("{CIRCUIT}/AzurePrivatePeering"),
            manual: manual("Disabled"),
        },
        attempt(
            s,
            409,
            Some("AnotherOperationInProgress"),
            Some(2000),
            "req-409",
        ),
        attempt(s, 429, None, Some(1000), "req-429"),
        attempt(s, 200, None, None, "req-disable-ok"),
        Event::ActionDone {
            step: s.into(),
            op: "azure.peering.disable".into(),
            ok: true,
            detail: "AzurePrivatePeering is Disabled (provisioning Succeeded)".into(),
        },
        Event::DeadlineArmed {
            step: s.into(),
            seconds: 600,
            expires_at: "2026-11-20T02:10:40.000Z".into(),
        },
        probe(s, "server", "trace", TRACE_CMD, &trace_vpn()),
        Event::VerifyResult {
            step: s.into(),
            clause: "trace path is vpn, without 192.168.11.18, 192.168.11.22, reached".into(),
            passed: true,
            evidence: "hops 10.1.11.1, *, 10.17.11.132: VPN (no ExpressRoute hop)".into(),
            elapsed_ms: FAILOVER_MS,
        },
        probe(s, "fw", "route.table", TABLE_CMD, FW_TABLE_VPN),
        Event::VerifyResult {
            step: s.into(),
            clause: "10.17.11.0/25 active path is vpn".into(),
            passed: true,
            evidence: "active: BGP localpref 100 AS 65515 via st0.118".into(),
            elapsed_ms: 4420,
        },
    ];
    if measured {
        v.push(Event::Measurement {
            step: s.into(),
            name: "failover".into(),
            millis: FAILOVER_MS,
            uncertainty_ms: None,
            from: None,
            to: None,
        });
    }
    v.push(Event::Note {
        step: Some(s.into()),
        level: NoteLevel::Info,
        text: "verification passed: confirm the new state is healthy before the deadline, or roll back".into(),
    });
    v
}

pub fn confirm_and_restore() -> Vec<Event> {
    let s = "disable-private-peering";
    let e = "enable-private-peering";
    vec![
        Event::ConfirmHealthy { step: s.into() },
        end(s, Verdict::Passed, 48_000),
        start(e),
        Event::ActionStarted {
            step: e.into(),
            op: "azure.peering.enable".into(),
            target: format!("{CIRCUIT}/AzurePrivatePeering"),
            manual: manual("Enabled"),
        },
        attempt(e, 200, None, None, "req-enable-ok"),
        Event::ActionDone {
            step: e.into(),
            op: "azure.peering.enable".into(),
            ok: true,
            detail: "AzurePrivatePeering is Enabled (provisioning Succeeded)".into(),
        },
        Event::DeadlineArmed {
            step: e.into(),
            seconds: 600,
            expires_at: "2026-11-20T02:11:40.000Z".into(),
        },
        probe(e, "fw", "route.table", TABLE_CMD, &fw_table_er()),
        Event::VerifyResult {
            step: e.into(),
            clause: "10.17.11.0/25 active path is expressroute".into(),
            passed: true,
            evidence: "active: BGP localpref 150 AS 12076 via 192.168.11.0".into(),
            elapsed_ms: 3500,
        },
        probe(e, "server", "trace", TRACE_CMD, &trace_er()),
        Event::VerifyResult {
            step: e.into(),
            clause: "trace path is expressroute, reached".into(),
            passed: true,
            evidence: "hops 10.1.11.1, 192.168.11.0, 192.168.11.18, *, 10.17.11.132".into(),
            elapsed_ms: 4100,
        },
        Event::ConfirmHealthy { step: e.into() },
        end(e, Verdict::Passed, 21_000),
        start("schedule-next-test"),
        Event::Note {
            step: Some("schedule-next-test".into()),
            level: NoteLevel::Info,
            text: "next test due 2027-02-18T02:12:00.000Z (in 90d): repeat this procedure in a maintenance window".into(),
        },
        Event::Measurement {
            step: "schedule-next-test".into(),
            name: "next_test_in".into(),
            millis: 7_776_000_000,
            uncertainty_ms: None,
            from: None,
            to: None,
        },
        end("schedule-next-test", Verdict::Passed, 3),
    ]
}

pub fn session_end(code: u8, outcome: &str) -> Event {
    Event::SessionEnd {
        exit_code: code,
        outcome: outcome.into(),
    }
}

/// A whole successful drill: checks, gate confirmed, failover measured,
/// confirmed healthy, failback (timing not measured: the report derives
/// it), next test scheduled.
pub fn successful_failover() -> Vec<Event> {
    let mut v = vec![session_start("baseline")];
    v.extend(checks(true));
    v.extend(gate(&[], GateDecision::Confirmed));
    v.extend(disable_until_verified(true));
    v.extend(confirm_and_restore());
    v.push(session_end(0, "completed: failover and failback verified"));
    v
}

/// Verification fails (the VM is unreachable over the VPN): the rollback
/// enables the peering again through one throttled attempt.
pub fn rolled_back() -> Vec<Event> {
    let s = "disable-private-peering";
    let mut v = vec![session_start("stuck-on-vpn")];
    v.extend(checks(true));
    v.extend(gate(&[], GateDecision::Confirmed));
    v.extend([
        start(s),
        Event::ActionStarted {
            step: s.into(),
            op: "azure.peering.disable".into(),
            target: format!("{CIRCUIT}/AzurePrivatePeering"),
            manual: manual("Disabled"),
        },
        attempt(s, 200, None, None, "req-disable-ok"),
        Event::ActionDone {
            step: s.into(),
            op: "azure.peering.disable".into(),
            ok: true,
            detail: "AzurePrivatePeering is Disabled".into(),
        },
        Event::DeadlineArmed {
            step: s.into(),
            seconds: 600,
            expires_at: "2026-11-20T02:10:40.000Z".into(),
        },
        Event::VerifyResult {
            step: s.into(),
            clause: "trace path is vpn, reached".into(),
            passed: false,
            evidence: "10.17.11.132 not reached after 60 s: hops 10.1.11.1, *, *, *".into(),
            elapsed_ms: 60_000,
        },
        Event::RollbackStarted {
            step: s.into(),
            reason: RollbackReason::VerificationFailed,
            op: "azure.peering.enable".into(),
        },
        attempt(s, 429, None, Some(1000), "req-rb-429"),
        attempt(s, 200, None, None, "req-rb-ok"),
        Event::RollbackDone {
            step: s.into(),
            detail: "AzurePrivatePeering is Enabled again".into(),
            outcome: None,
            reasserts: 0,
        },
        end(s, Verdict::Failed, 66_000),
        session_end(3, "rolled back: verification failed"),
    ]);
    v
}

/// The rollback itself fails: the operator must act by hand.
pub fn rollback_failed() -> Vec<Event> {
    let s = "disable-private-peering";
    let mut v = rolled_back();
    v.truncate(v.len() - 4);
    v.extend([
        attempt(s, 500, Some("InternalServerError"), None, "req-rb-500"),
        Event::RollbackFailed {
            step: s.into(),
            error: "gave up after 8 attempts: 500 InternalServerError".into(),
            manual: manual("Enabled"),
        },
        end(s, Verdict::Failed, 300_000),
        session_end(4, "rollback failed: the operator must act"),
    ]);
    v
}

/// A failed pre-check and the operator declines at the gate.
pub fn declined() -> Vec<Event> {
    let mut v = vec![session_start("ce2-localpref-missing")];
    v.extend(checks(false));
    v.extend(gate(&["fw-prefers-er-for-hub"], GateDecision::Declined));
    v.push(session_end(1, "declined at the gate"));
    v
}

/// A failed pre-check overridden with a typed reason, then the failover.
pub fn overridden() -> Vec<Event> {
    let mut v = vec![session_start("ce2-localpref-missing")];
    v.extend(checks(false));
    v.extend(gate(
        &["fw-prefers-er-for-hub"],
        GateDecision::Override {
            reason: OVERRIDE_REASON.into(),
            failed_checks: vec!["fw-prefers-er-for-hub".into()],
            hazards: vec![],
        },
    ));
    v.extend(disable_until_verified(true));
    v.extend(confirm_and_restore());
    v.push(session_end(0, "completed with an override"));
    v
}

/// Writes `events` through the real journal writer.
pub fn write_journal(dir: &Path, name: &str, events: &[Event]) -> PathBuf {
    write_journal_redacting(dir, name, events, Redactor::new())
}

pub fn write_journal_redacting(
    dir: &Path,
    name: &str,
    events: &[Event],
    redactor: Redactor,
) -> PathBuf {
    let path = dir.join(name);
    let mut w = JournalWriter::create(&path, Arc::new(redactor)).expect("create journal");
    for e in events {
        w.append(e).expect("append");
    }
    path
}

pub const T0: &str = "2026-11-20T02:00:00.000Z";

pub fn t0() -> OffsetDateTime {
    OffsetDateTime::parse(T0, &Rfc3339).expect("t0")
}

/// Writes a valid, hash-chained journal whose record `i` is stamped
/// `T0 + at_ms[i]` (no redaction: what an older version might have left).
pub fn write_journal_at(dir: &Path, name: &str, events: &[(u64, Event)]) -> PathBuf {
    let path = dir.join(name);
    let mut prev = ZERO_HASH.to_string();
    let mut text = String::new();
    for (seq, (ms, e)) in events.iter().enumerate() {
        let ts = t0() + time::Duration::milliseconds(*ms as i64);
        let ts = cutover_journal::line::format_ts(ts);
        let enc = encode_event(seq as u64, &ts, e, &prev).expect("encode");
        text.push_str(&enc.line);
        prev = enc.hash;
    }
    std::fs::write(&path, text).expect("write journal");
    path
}

/// Stamps `events` 500 ms apart, except that the first passing
/// verification after a change is stamped its `elapsed_ms` after the
/// change was applied (failover 4.213 s, failback 3.5 s in the scripts).
pub fn timed(events: Vec<Event>) -> Vec<(u64, Event)> {
    let mut t = 0u64;
    let mut done: Option<(String, u64)> = None;
    let mut out = Vec::with_capacity(events.len());
    for e in events {
        if let Event::VerifyResult {
            step,
            passed: true,
            elapsed_ms,
            ..
        } = &e
            && let Some((_, d)) = done.take_if(|(s, _)| s == step)
        {
            t = d + elapsed_ms;
        }
        if let Event::ActionDone { step, .. } = &e {
            done = Some((step.clone(), t));
        }
        out.push((t, e));
        t += 500;
    }
    out
}
