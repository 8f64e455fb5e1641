use cutover_journal::Redactor;

use super::*;
use crate::{html, markdown};

fn report() -> Report {
    Report {
        format: FORMAT.into(),
        generated_by: "cutover test".into(),
        journal: "j.jsonl".into(),
        integrity: Integrity {
            status: "not_closed".into(),
            tampered: false,
            summary: "intact so far".into(),
            verified_records: 3,
            records: 3,
            head_hash: None,
            first_bad_seq: None,
            unknown_kinds: 0,
            path_rules: "bundled".into(),
            signature: "unsigned: integrity only (the hash chain)".into(),
        },
        warnings: vec!["the session was not closed".into()],
        session: Session {
            session_id: Some("s-1".into()),
            operator: Some("op".into()),
            ticket: None,
            key_fingerprint: None,
            mode: Some("drill".into()),
            scenario: None,
            runbook: None,
            version: None,
            started_at: None,
            ended_at: None,
            duration_ms: None,
        },
        outcome: Outcome {
            exit_code: None,
            outcome: None,
            meaning: "unknown".into(),
            closed: false,
        },
        steps: vec![Step {
            id: "check-<bgp>".into(),
            title: "BGP *up* hunter2".into(),
            phase: "pre".into(),
            kind: "check".into(),
            started_at: None,
            ended_at: None,
            duration_ms: Some(1500),
            verdict: "failed".into(),
            expectations: vec![Expectation {
                clause: "state == Established".into(),
                passed: false,
                evidence: "state=Idle".into(),
                evaluations: 1,
                seq: 2,
            }],
            commands: Vec::new(),
        }],
        gates: Vec::new(),
        predictions: Vec::new(),
        actions: Vec::new(),
        writes: Vec::new(),
        timings: Vec::new(),
        route_changes: Vec::new(),
        trace_changes: Vec::new(),
        notes: Vec::new(),
        timeline: Vec::new(),
        drill: None,
    }
}

fn section_titles(doc: &Document<'_>) -> Vec<String> {
    doc.blocks
        .iter()
        .filter_map(|b| match b {
            Block::Heading { level: 2, text, .. } => match text.as_slice() {
                [Inline::Words(w)] => Some(w.to_string()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[test]
fn empty_sections_are_left_out_and_the_order_is_fixed() {
    let r = report();
    let doc = walk(&r);
    assert_eq!(
        section_titles(&doc),
        ["Summary", "Steps", "Journal integrity"]
    );
    assert!(matches!(doc.blocks[0], Block::Alerts(_)));
    assert!(
        doc.blocks.iter().any(|b| matches!(b, Block::Timeline(_))),
        "the walk places the timeline; the HTML draws it"
    );
}

#[test]
fn both_renderings_show_the_same_facts_redacted_and_escaped() {
    let r = report();
    let red = Redactor::new();
    red.register_secret("hunter2");
    let md = markdown::render(&r, &red);
    let html = html::render(&r, &red);
    assert!(md.contains(
        "#### 1. check-&lt;bgp&gt; — BGP \\*up\\* \\[REDACTED\\]\n\n**FAILED** in 1.5 s\n"
    ));
    assert!(html.contains("<h4 id=\"step-1\">1. <code>check-&lt;bgp&gt;</code> — BGP *up* [REDACTED] · <span class=\"failed\">FAILED</span> in 1.5 s</h4>"));
    assert!(!md.contains("hunter2") && !html.contains("hunter2"));
    // Model text is escaped (the underscore of the status), the report's
    // own words are not.
    assert!(md.contains("| Status | **not\\_closed** |"));
    assert!(
        html.contains("<td class=\"k\">Status</td><td><span class=\"pass\">not_closed</span></td>")
    );
}

#[test]
fn markdown_separates_blocks_by_one_blank_line_and_ends_with_one_newline() {
    let r = report();
    let md = markdown::render(&r, &Redactor::new());
    assert!(md.starts_with("# Change report: unknown runbook\n\n> **Warning:** the session was not closed\n\n## Summary\n\n"));
    assert!(!md.contains("\n\n\n"));
    assert!(md.ends_with("| Report by | cutover test |\n"));
}

#[test]
fn a_tight_list_keeps_the_next_block_on_the_following_line() {
    let r = report();
    let doc = Document {
        title: vec![words("t")],
        blocks: vec![
            Block::List {
                items: vec![vec![words("a")]],
                tight: true,
            },
            Block::Paragraph(vec![words("p")]),
            Block::Timeline(&r),
            Block::List {
                items: vec![vec![words("b")]],
                tight: false,
            },
            Block::Paragraph(vec![words("q")]),
        ],
    };
    assert_eq!(
        markdown::write(&doc, &Redactor::new()),
        "# t\n\n- a\np\n\n- b\n\nq\n"
    );
}

#[test]
fn the_prediction_section_shows_each_prefix_the_check_and_the_hazards() {
    use cutover_core::model::path::PathKind;
    use cutover_core::session::prediction::{
        Direction, Hazard, HazardKind, PathCheck, PathForecast, PredictionSource,
    };
    let p = |s: &str| s.parse().expect("prefix");
    let forecast = |dir, prefix: &str, now| PathForecast {
        direction: dir,
        prefix: p(prefix),
        now,
        now_path: None,
        predicted: Some(PathKind::Vpn),
        predicted_path: None,
        covered_by: None,
    };
    let mut r = report();
    r.predictions = vec![Prediction {
        step: "confirm-failover".into(),
        at: "2026-11-20T02:00:00.000Z".into(),
        seq: 40,
        sources: vec![PredictionSource {
            direction: Direction::OnpremToAzure,
            step: "fw-prefers-er-for-hub".into(),
            device: "fw".into(),
            command: "show route table Cust11.inet.0 10.17.11.0/24".into(),
            error: None,
            unaffected: 2,
        }],
        paths: vec![
            forecast(
                Direction::OnpremToAzure,
                "10.17.11.0/25",
                Some(PathKind::ExpressRoute),
            ),
            forecast(
                Direction::AzureToOnprem,
                "10.1.11.0/26",
                Some(PathKind::Vpn),
            ),
        ],
        hazards: vec![Hazard {
            direction: Direction::AzureToOnprem,
            kind: HazardKind::VpnMoreSpecific,
            prefix: Some(p("10.1.11.0/26")),
            related: Some(p("10.1.11.0/25")),
            message: "Azure learns 10.1.11.0/26 over the VPN only".into(),
        }],
        checked: Some(PredictionChecked {
            step: "disable-private-peering".into(),
            at: "2026-11-20T02:01:00.000Z".into(),
            seq: 70,
            sources: Vec::new(),
            checks: vec![PathCheck {
                direction: Direction::OnpremToAzure,
                prefix: p("10.17.11.0/25"),
                predicted: Some(PathKind::Vpn),
                observed: Some(PathKind::ExpressRoute),
                observed_path: None,
                covered_by: None,
                matched: false,
            }],
        }),
    }];
    assert_eq!(
        section_titles(&walk(&r)),
        ["Summary", "Steps", "Prediction", "Journal integrity"]
    );
    let md = markdown::render(&r, &Redactor::new());
    assert!(
        md.contains("| on-prem → Azure | 10.17.11.0/25 | ExpressRoute | VPN | ExpressRoute | **NOT AS PREDICTED** |"),
        "{md}"
    );
    assert!(
        md.contains("| Azure → on-prem | 10.1.11.0/26 | VPN | VPN | - | not read |"),
        "{md}"
    );
    assert!(
        md.contains("NOT as predicted for 1 of 1 prefix(es)."),
        "{md}"
    );
    assert!(
        md.contains("- on-prem → Azure: fw show route table Cust11.inet.0 10.17.11.0/24"),
        "{md}"
    );
    assert!(
        md.contains("| Azure → on-prem | 10.1.11.0/26 | **vpn-more-specific** | Azure learns 10.1.11.0/26 over the VPN only |"),
        "{md}"
    );
}

fn drilled(score: u8, met: bool) -> Report {
    use cutover_core::drill::{Decision, DrillScore, EvidenceLine, ObjectiveKind, ObjectiveResult};
    let mut r = report();
    r.drill = Some(DrillScore {
        scenario: "vpn-bgp-down".into(),
        seed: Some(7),
        fault: "both VPN BGP sessions down".into(),
        score,
        objectives: vec![ObjectiveResult {
            id: "hold-the-gate".into(),
            text: "Holds the gate".into(),
            kind: ObjectiveKind::NoOverride,
            met,
            why: "confirm-failover was overridden: hunter2 window".into(),
            evidence: vec![EvidenceLine {
                step: "fw-bgp-to-vpn-gateway".into(),
                command: "show bgp summary instance Cust11".into(),
                line: "10.17.11.76  65515  Active".into(),
                found: true,
            }],
        }],
        decisions: vec![Decision {
            step: "confirm-failover".into(),
            what: "override".into(),
            detail: Some("hunter2 window".into()),
            took_ms: Some(12_500),
        }],
        marks: 0,
        marks_right: 0,
        hints: 1,
    });
    r
}

#[test]
fn a_drill_has_its_section_with_the_evidence_of_each_missed_objective() {
    let r = drilled(45, false);
    assert_eq!(
        section_titles(&walk(&r)),
        ["Summary", "Drill", "Steps", "Journal integrity"]
    );
    let red = Redactor::new();
    red.register_secret("hunter2");
    let md = markdown::render(&r, &red);
    let html = html::render(&r, &red);
    assert!(md.contains("| Score | **45/100** |"), "{md}");
    assert!(
        md.contains("| Drawn at random | --scenario random --seed 7 |"),
        "{md}"
    );
    assert!(md.contains("| Hints used | 1 (-5 points each) |"), "{md}");
    assert!(
        md.contains("**What to look at for each missed objective:**"),
        "{md}"
    );
    assert!(md.contains("| fw-bgp-to-vpn-gateway |"), "{md}");
    assert!(md.contains("12.5 s"), "{md}");
    assert!(html.contains("<h2 id=\"drill\">Drill"), "{html}");
    assert!(html.contains("10.17.11.76  65515  Active"), "{html}");
    assert!(!md.contains("hunter2") && !html.contains("hunter2"));
    // Met: no evidence table, and no section at all outside drills.
    let ok = markdown::render(&drilled(100, true), &red);
    assert!(!ok.contains("What to look at"), "{ok}");
    assert!(!markdown::render(&report(), &red).contains("## Drill"));
}

#[test]
fn the_scoreboard_has_one_row_per_journal_in_every_format() {
    use crate::scoreboard::{build, render};
    let mut other = report();
    other.journal = "k.jsonl".into();
    other.session.operator = Some("bob".into());
    let board = build(&[drilled(45, false), drilled(100, true), other]);
    let rows: Vec<(Option<u8>, Vec<String>)> = board
        .drills
        .iter()
        .map(|e| (e.score, e.missed.clone()))
        .collect();
    assert_eq!(
        rows,
        [
            (Some(45), vec!["hold-the-gate".to_string()]),
            (Some(100), vec![]),
            (None, vec![])
        ]
    );
    let red = Redactor::new();
    let md = render(&board, crate::Format::Md, &red).expect("md");
    assert!(md.starts_with("# Drill scoreboard\n"), "{md}");
    assert!(md.contains("| Mean score | 72/100 |"), "{md}");
    assert!(md.contains("| bob | - | not scored | - |"), "{md}");
    let html = render(&board, crate::Format::Html, &red).expect("html");
    assert!(
        html.contains("<span class=\"fail\">45/100</span>"),
        "{html}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&render(&board, crate::Format::Json, &red).expect("json"))
            .expect("json");
    assert_eq!(json["drills"][0]["who"], "op");
    assert_eq!(json["drills"][0]["scenario"], serde_json::Value::Null);
}

/// A journal that failed its integrity check is flagged on the board and
/// its score kept out of the mean.
#[test]
fn a_broken_journal_is_flagged_and_left_out_of_the_mean() {
    use crate::scoreboard::{build, render};
    let mut forged = drilled(100, true);
    forged.integrity.status = "broken".into();
    let board = build(&[drilled(45, false), forged]);
    let md = render(&board, crate::Format::Md, &Redactor::new()).expect("md");
    assert!(md.contains("| Mean score | 45/100 |"), "{md}");
    assert!(md.contains("1 broken, left out of the mean"), "{md}");
    assert!(md.contains("do not trust its score"), "{md}");
}
