use super::*;
use crate::model::path::PathKind;
use crate::session::prediction::{Direction, HazardKind, PathForecast};

fn hazard() -> Hazard {
    Hazard {
        direction: Direction::AzureToOnprem,
        kind: HazardKind::VpnMoreSpecific,
        prefix: Some("10.1.11.0/26".parse().expect("prefix")),
        related: Some("10.1.11.0/25".parse().expect("prefix")),
        message: "more specific over the VPN".into(),
    }
}

#[test]
fn serialized_kind_matches_kind() {
    let events = [
        Event::StepStart { step: "a".into() },
        Event::LabTimeScale {
            factor: 0.1,
            hold_time_ms: 18_000,
            arm_operation_ms: 2_000,
        },
        Event::DrillMark {
            check: "vpn-bgp".into(),
            mark: crate::session::drill::Mark::Pass,
            truth: Verdict::Failed,
            after_ms: 4_200,
        },
        Event::DrillHint {
            step: "vpn-bgp".into(),
            text: "look at the peer state".into(),
        },
        Event::Verified { step: "a".into() },
        Event::DrillScore(crate::drill::DrillScore {
            scenario: "vpn-bgp-down".into(),
            seed: Some(7),
            fault: "the VPN's BGP sessions are down".into(),
            score: 50,
            objectives: vec![crate::drill::ObjectiveResult {
                id: "hold-the-gate".into(),
                text: "hold the gate".into(),
                kind: crate::drill::ObjectiveKind::NoOverride,
                met: false,
                why: "overridden".into(),
                evidence: vec![crate::drill::EvidenceLine {
                    step: "fw-bgp-to-vpn-gateway".into(),
                    command: "show bgp summary".into(),
                    line: "10.17.11.76 65515 Active".into(),
                    found: true,
                }],
            }],
            decisions: vec![crate::drill::Decision {
                step: "confirm-failover".into(),
                what: "override".into(),
                detail: Some("the change window closes soon".into()),
                took_ms: Some(12_000),
            }],
            marks: 0,
            marks_right: 0,
            hints: 1,
        }),
        Event::FailoverTestStatus {
            step: "test".into(),
            test: crate::session::failover_test::FailoverTestView {
                gateway: "rg/ergw".into(),
                peering_location: "Seattle".into(),
                link: None,
                test_id: Some("t1".into()),
                status: "Running".into(),
                redundant: vec!["10.17.11.0/25".into()],
                non_redundant: vec!["10.17.11.128/26".into()],
                connections: vec!["conn1".into()],
                successful: Some(false),
            },
        },
        Event::ProbeRepeated {
            step: MONITOR_STEP.into(),
            device: "fw".into(),
            query: "route.table".into(),
            command: "show route table Cust11.inet.0".into(),
            elapsed_ms: 40,
        },
        Event::Measurement {
            step: "disable".into(),
            name: "failover.trace".into(),
            millis: 1_520,
            uncertainty_ms: Some(1_000),
            from: Some("PUT accepted (201)".into()),
            to: Some("server trace".into()),
        },
        Event::GateDecision {
            step: "g".into(),
            decision: GateDecision::Override {
                reason: "known".into(),
                failed_checks: vec!["x".into()],
                hazards: vec![hazard()],
            },
        },
        Event::GatePrompt {
            step: "g".into(),
            prompt: "Disable?".into(),
            confirm_text: "er".into(),
            failed_checks: Vec::new(),
            hazards: vec![hazard()],
        },
        Event::Prediction {
            step: "g".into(),
            prediction: Prediction {
                sources: vec![PredictionSource {
                    direction: Direction::AzureToOnprem,
                    step: "azure-learned-onprem".into(),
                    device: "azure".into(),
                    command: "getLearnedRoutes".into(),
                    error: None,
                    unaffected: 3,
                }],
                paths: vec![PathForecast {
                    direction: Direction::AzureToOnprem,
                    prefix: "10.1.11.0/25".parse().expect("prefix"),
                    now: Some(PathKind::ExpressRoute),
                    now_path: Some("bgp [12076 65020]".into()),
                    predicted: Some(PathKind::Vpn),
                    predicted_path: Some("bgp [65020]".into()),
                    covered_by: None,
                }],
                hazards: vec![hazard()],
            },
        },
        Event::PredictionCheck {
            step: "disable".into(),
            gate: "g".into(),
            sources: Vec::new(),
            checks: vec![PathCheck {
                direction: Direction::OnpremToAzure,
                prefix: "10.17.11.0/25".parse().expect("prefix"),
                predicted: Some(PathKind::Vpn),
                observed: None,
                observed_path: None,
                covered_by: None,
                matched: false,
            }],
        },
        Event::ActionCancelled {
            step: "disable".into(),
            op: "azure.peering.disable".into(),
            reason: RollbackReason::Operator,
            detail: "no write was accepted".into(),
        },
        Event::VerifyStarted {
            step: "disable".into(),
            since: "2026-11-20T02:00:00.000Z".into(),
            within_ms: 60_000,
            max_outage_ms: Some(15_000),
        },
        Event::TrafficSeen {
            step: "disable".into(),
            path: "expressroute".into(),
            moved: false,
            elapsed_ms: 5_000,
            lost_ms: None,
        },
        Event::TrafficLost {
            step: "disable".into(),
            since: "2026-11-20T02:00:10.000Z".into(),
            elapsed_ms: 10_000,
            unseen_ms: 5_000,
            rollback_at: Some("2026-11-20T02:00:25.000Z".into()),
            evidence: "no answer after hop 1".into(),
        },
        Event::RollbackStarted {
            step: "disable".into(),
            reason: RollbackReason::TrafficLost,
            op: "azure.peering.enable".into(),
        },
        Event::RollbackSettling {
            step: "disable".into(),
            seconds: 30,
            until: "2026-11-20T02:01:00.000Z".into(),
        },
        Event::RollbackDone {
            step: "disable".into(),
            detail: "already Enabled".into(),
            outcome: Some(RollbackResult::AlreadyEnabled),
            reasserts: 1,
        },
        Event::RollbackDone {
            step: "disable".into(),
            detail: "never went out".into(),
            outcome: Some(RollbackResult::NotApplied),
            reasserts: 0,
        },
        Event::RollbackEscalated {
            step: "disable".into(),
            attempts: 3,
            error: "transport: connection refused".into(),
            next_attempt_at: Some("2026-11-20T02:01:05.000Z".into()),
            gives_up_at: "2026-11-20T02:11:00.000Z".into(),
            manual: ManualCommands {
                az_cli: "az network express-route peering update".into(),
                powershell: "Set-AzExpressRouteCircuit".into(),
            },
        },
        Event::PeeringPreflight {
            target: "rg/er/AzurePrivatePeering".into(),
            state: Some("Disabled".into()),
            provisioning_state: Some("Succeeded".into()),
            ok: false,
            detail: "AzurePrivatePeering is Disabled".into(),
            remedy: Some("cutover restore".into()),
            ids: None,
        },
        Event::GuardLost {
            step: "disable".into(),
            detail: "exited (signal 9)".into(),
        },
        Event::GuardRearmed {
            step: "disable".into(),
            ok: true,
            detail: "a new guard watches".into(),
        },
        Event::ChainSigned {
            covers_seq: 7,
            bytes: 4096,
            head: "ab".repeat(32),
            key_fingerprint: "SHA256:abc".into(),
            signature: "-----BEGIN SSH SIGNATURE-----\nU1NIU0lH\n-----END SSH SIGNATURE-----\n"
                .into(),
        },
        Event::SessionEnd {
            exit_code: 0,
            outcome: "completed".into(),
        },
    ];
    for e in events {
        let v = serde_json::to_value(&e).expect("serializes");
        assert_eq!(v["kind"], e.kind());
        let back: Event = serde_json::from_value(v).expect("reads back");
        assert_eq!(back, e);
    }
}

#[test]
fn traffic_lost_reason_reads_as_the_contract_says() {
    let v = serde_json::to_value(RollbackReason::TrafficLost).expect("serializes");
    assert_eq!(v, "traffic_lost");
    let v = serde_json::to_value(RollbackReason::ChangeFailed).expect("serializes");
    assert_eq!(v, "change_failed");
}

#[test]
fn a_measurement_without_its_uncertainty_still_reads() {
    let old = serde_json::json!({
        "kind": "measurement", "step": "disable", "name": "failover", "millis": 5
    });
    let e: Event = serde_json::from_value(old.clone()).expect("an older journal reads");
    assert_eq!(
        e,
        Event::Measurement {
            step: "disable".into(),
            name: "failover".into(),
            millis: 5,
            uncertainty_ms: None,
            from: None,
            to: None,
        }
    );
    // And it is written back the same way: no null fields.
    assert_eq!(serde_json::to_value(&e).expect("serializes"), old);
}

#[test]
fn gate_decision_is_flat_in_the_line() {
    let e = Event::GateDecision {
        step: "gate".into(),
        decision: GateDecision::Declined,
    };
    let v = serde_json::to_value(&e).expect("serializes");
    assert_eq!(
        v,
        serde_json::json!({"kind": "gate_decision", "step": "gate", "decision": "declined"})
    );
}
