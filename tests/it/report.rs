//! `cutover report`: the change-ticket report of recorded sessions, built
//! from journals written by the real journal writer (and, where a value
//! depends on time, from hash-chained journals with fixed timestamps),
//! through the real binary and through the library.

use std::path::Path;

use crate::recorded_support::*;
use assert_cmd::Command;
use cutover_core::session::Event;
use cutover_core::session::event::NoteLevel;
use cutover_journal::Redactor;
use cutover_journal::recording::Recording;
use cutover_report::{self as report, Format};
use serde_json::Value;

fn cutover() -> Command {
    Command::cargo_bin("cutover").expect("binary")
}

/// Runs `cutover report` and returns (exit code, stdout, stderr).
fn report_cmd(journal: &Path, format: &str, extra: &[&str]) -> (i32, String, String) {
    let out = cutover()
        .arg("report")
        .arg(journal)
        .args(["--format", format])
        .args(extra)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn json_report(journal: &Path) -> Value {
    let (code, out, err) = report_cmd(journal, "json", &[]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("the JSON report is JSON")
}

fn step<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

fn timing<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["timings"]
        .as_array()
        .expect("timings")
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no timing {name}: {}", r["timings"]))
}

#[test]
fn json_report_of_a_successful_failover_has_the_facts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    let r = json_report(&j);

    assert_eq!(r["format"], "cutover-report/1");
    let s = &r["session"];
    assert_eq!(s["operator"], OPERATOR);
    assert_eq!(s["ticket"], TICKET);
    assert_eq!(s["mode"], "drill");
    assert_eq!(s["scenario"], "baseline");
    assert_eq!(s["runbook"]["id"], "er-vpn-failover");
    assert_eq!(s["runbook"]["sha256"], bundled_sha());
    assert!(s["started_at"].as_str().expect("start").ends_with('Z'));
    assert!(s["duration_ms"].is_u64());
    assert_eq!(r["outcome"]["exit_code"], 0);
    assert_eq!(r["outcome"]["closed"], true);
    assert_eq!(r["integrity"]["status"], "intact");
    assert_eq!(r["integrity"]["tampered"], false);
    assert!(
        r["integrity"]["path_rules"]
            .as_str()
            .expect("rules")
            .contains("SHA-256 matches"),
        "{}",
        r["integrity"]
    );

    // Every step with its verdict, duration, commands and evidence.
    let fw = step(&r, "fw-prefers-er-for-hub");
    assert_eq!(fw["verdict"], "passed");
    assert_eq!(fw["duration_ms"], 812);
    assert_eq!(fw["commands"][0]["command"], TABLE_CMD);
    assert_eq!(fw["commands"][0]["device"], "fw");
    assert_eq!(fw["expectations"].as_array().expect("exp").len(), 2);
    assert!(
        fw["expectations"][0]["evidence"]
            .as_str()
            .expect("evidence")
            .contains("192.168.11.0")
    );
    assert_eq!(step(&r, "disable-private-peering")["verdict"], "passed");
    assert_eq!(step(&r, "schedule-next-test")["verdict"], "passed");

    // The gate and the guarded change.
    assert_eq!(r["gates"][0]["decision"], "confirmed");
    let a = &r["actions"][0];
    assert_eq!(a["op"], "azure.peering.disable");
    assert_eq!(a["result"], "confirmed");
    let statuses: Vec<u64> = a["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|x| x["status"].as_u64().expect("status"))
        .collect();
    assert_eq!(statuses, [409, 429, 200]);
    assert_eq!(a["attempts"][0]["error_code"], "AnotherOperationInProgress");
    assert_eq!(a["attempts"][2]["request_id"], "req-disable-ok");
    assert_eq!(a["deadline"]["seconds"], 600);
    assert_eq!(a["verifications"][0]["passed"], true);
    assert!(a["confirmed_at"].is_string());
    assert!(a["rollback"].is_null());
    assert_eq!(r["actions"][1]["op"], "azure.peering.enable");

    // Measured failover; failback derived from the journal's times.
    let f = timing(&r, "failover");
    assert_eq!(f["millis"], FAILOVER_MS);
    assert_eq!(f["source"], "measured");
    assert_eq!(timing(&r, "failback")["source"], "derived");

    // The route diff shows the active path moving to the VPN and back.
    let fw_table = r["route_changes"]
        .as_array()
        .expect("routes")
        .iter()
        .find(|s| s["device"] == "fw" && s["command"] == TABLE_CMD)
        .expect("the firewall table");
    assert_eq!(fw_table["table"], "Cust11.inet.0");
    let changes = fw_table["changes"].as_array().expect("changes");
    assert_eq!(changes.len(), 2, "{fw_table}");
    let to_vpn = changes[0]["diff"]["active_changed"]
        .as_array()
        .expect("active changes")
        .iter()
        .find(|c| c["prefix"] == "10.17.11.0/25")
        .expect("the hub prefix moved");
    assert_eq!(to_vpn["before"]["kind"], "expressroute");
    assert_eq!(to_vpn["after"]["kind"], "vpn");
    assert_eq!(changes[0]["to"]["step"], "disable-private-peering");
    let back = &changes[1]["diff"]["active_changed"][0];
    assert_eq!(back["after"]["kind"], "expressroute");
    // Failed back: the table ends as it started.
    assert_eq!(fw_table["net"]["active_changed"], Value::Array(vec![]));

    // The trace diff loses the MSEE hop, then regains it.
    let tr = &r["trace_changes"][0];
    assert_eq!(tr["command"], TRACE_CMD);
    let kinds: Vec<&str> = tr["path"]
        .as_array()
        .expect("path")
        .iter()
        .map(|p| p["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["expressroute", "vpn", "expressroute"]);
    let lost: Vec<&str> = tr["changes"][0]["diff"]["lost"]
        .as_array()
        .expect("lost")
        .iter()
        .map(|h| h["address"].as_str().expect("address"))
        .collect();
    assert!(lost.contains(&"192.168.11.18"), "{lost:?}");
    assert!(lost.contains(&"192.168.11.0"), "{lost:?}");
    let gained = &tr["changes"][1]["diff"]["gained"];
    assert!(gained.to_string().contains("192.168.11.18"), "{gained}");

    // Timeline markers for gate, action, deadline, verify, confirm, end.
    let kinds: Vec<&str> = r["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|m| m["kind"].as_str().expect("kind"))
        .collect();
    for k in [
        "gate",
        "action",
        "deadline",
        "verify",
        "confirm",
        "session_end",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
}

#[test]
fn derived_failback_time_is_action_done_to_first_passing_verification() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal_at(dir.path(), "timed.jsonl", &timed(successful_failover()));
    let r = json_report(&j);
    let fb = timing(&r, "failback");
    assert_eq!(fb["millis"], 3500);
    assert_eq!(fb["source"], "derived");
    assert_eq!(fb["step"], "enable-private-peering");
    // Measured wins over derived for the failover.
    assert_eq!(
        r["timings"]
            .as_array()
            .expect("timings")
            .iter()
            .filter(|t| t["name"] == "failover")
            .count(),
        1
    );
}

#[test]
fn markdown_report_reads_as_a_ticket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    let (code, md, err) = report_cmd(&j, "md", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(md.starts_with("# Change report: Validate the S2S VPN backup"));
    for fact in [
        "| Operator | alice.netops |",
        "| Ticket | CHG-4711 |",
        "drill (scenario baseline)",
        "**exit 0**",
        "| failover time | **4.2 s** (measured) |",
        "fw-prefers-er-for-hub",
        "AnotherOperationInProgress",
        "req-disable-ok",
        "**CONFIRMED**",
        "confirmed healthy by the operator",
        "## Route changes",
        "## Traceroute changes",
        "192.168.11.18 (TTL 3)",
        "ExpressRoute → **VPN**",
        "| Status | **intact** |",
    ] {
        assert!(md.contains(fact), "missing {fact:?} in:\n{md}");
    }
    // The exact commands, verbatim in a code block.
    assert!(md.contains(&format!("fw> {TABLE_CMD}\n")), "{md}");
    assert!(md.contains(&format!("server> {TRACE_CMD}\n")), "{md}");
    // Every table row has as many cells as its header.
    let mut width = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let cells = line.replace("\\|", "").matches('|').count();
            match width {
                None => width = Some(cells),
                Some(w) => assert_eq!(w, cells, "row {line:?}"),
            }
        } else {
            width = None;
        }
    }
}

#[test]
fn rollback_is_reported_with_its_reason_and_attempts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "rb.jsonl", &rolled_back());
    let r = json_report(&j);
    assert_eq!(r["outcome"]["exit_code"], 3);
    let a = &r["actions"][0];
    assert_eq!(a["result"], "rolled_back");
    let rb = &a["rollback"];
    assert_eq!(rb["reason"], "verification_failed");
    assert_eq!(rb["result"], "done");
    assert_eq!(rb["op"], "azure.peering.enable");
    let statuses: Vec<u64> = rb["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|x| x["status"].as_u64().expect("status"))
        .collect();
    assert_eq!(statuses, [429, 200], "rollback attempts are the rollback's");
    assert_eq!(a["attempts"].as_array().expect("attempts").len(), 1);
    assert_eq!(a["verifications"][0]["passed"], false);
    assert_eq!(step(&r, "disable-private-peering")["verdict"], "failed");
    // No passing verification: no failover time can be derived.
    assert!(
        r["timings"]
            .as_array()
            .expect("timings")
            .iter()
            .all(|t| t["name"] != "failover"),
        "{}",
        r["timings"]
    );

    let (_, md, _) = report_cmd(&j, "md", &[]);
    assert!(md.contains("ROLLED BACK (the rollback succeeded)"), "{md}");
    assert!(md.contains("a verification failed"), "{md}");
    assert!(md.contains("**exit 3**"), "{md}");
    let (_, html, _) = report_cmd(&j, "html", &[]);
    assert!(html.contains("a verification failed"));
    assert!(html.contains("<title>+"), "rollback marker on the timeline");
}

/// `rolled_back()` as the engine now records a stuck failover: the trace
/// never reaches the VM, and the loss ends the wait after `max_outage`.
fn rolled_back_on_lost_traffic() -> Vec<Event> {
    use cutover_core::session::event::RollbackReason;
    let s = "disable-private-peering";
    let mut v = Vec::new();
    for e in rolled_back() {
        match e {
            Event::VerifyResult { .. } => v.extend([
                Event::VerifyStarted {
                    step: s.into(),
                    since: "2026-11-20T02:00:40.000Z".into(),
                    within_ms: 60_000,
                    max_outage_ms: Some(15_000),
                },
                Event::TrafficLost {
                    step: s.into(),
                    since: "2026-11-20T02:00:40.200Z".into(),
                    elapsed_ms: 200,
                    unseen_ms: 200,
                    rollback_at: Some("2026-11-20T02:00:55.200Z".into()),
                    evidence: "10.17.11.132 did not answer; the last hop that did: 1 10.1.11.1"
                        .into(),
                },
            ]),
            Event::RollbackStarted { step, op, .. } => v.push(Event::RollbackStarted {
                step,
                reason: RollbackReason::TrafficLost,
                op,
            }),
            other => v.push(other),
        }
    }
    v
}

#[test]
fn lost_traffic_is_reported_as_the_reason_with_its_timeline_and_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "lost.jsonl", &rolled_back_on_lost_traffic());
    let r = json_report(&j);
    assert_eq!(r["actions"][0]["rollback"]["reason"], "traffic_lost");
    let kinds: Vec<&str> = r["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    let at = |k: &str| {
        kinds
            .iter()
            .position(|x| *x == k)
            .unwrap_or_else(|| panic!("{k}: {kinds:?}"))
    };
    assert!(at("traffic_lost") < at("rollback"), "{kinds:?}");
    let (code, md, _) = report_cmd(&j, "md", &[]);
    assert_eq!(code, 0);
    assert!(
        md.contains("the test traffic was lost for longer than max_outage"),
        "{md}"
    );
    assert!(
        md.contains(
            "TRAFFIC LOST at 200 ms from the write accepted (unseen for up to 200 ms before that"
        ),
        "{md}"
    );
    assert!(
        md.contains("rollback due at 2026-11-20T02:00:55.200Z"),
        "{md}"
    );
}

#[test]
fn failed_rollback_shows_the_manual_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "rbf.jsonl", &rollback_failed());
    let r = json_report(&j);
    assert_eq!(r["outcome"]["exit_code"], 4);
    let rb = &r["actions"][0]["rollback"];
    assert_eq!(rb["result"], "failed");
    assert_eq!(r["actions"][0]["result"], "rollback_failed");
    let az = manual("Enabled").az_cli;
    assert_eq!(rb["manual"]["az_cli"], az.as_str());
    for format in ["md", "html"] {
        let (_, out, _) = report_cmd(&j, format, &[]);
        assert!(out.contains("must run one of these by hand"), "{format}");
        assert!(out.contains(&az), "{format}: {out}");
        assert!(out.contains("Set-AzExpressRouteCircuit"), "{format}");
    }
}

/// Aborted while the disable waited out a 409: the report says the change
/// was cancelled before any write was accepted, and why.
#[test]
fn a_cancelled_change_is_reported_as_cancelled() {
    use cutover_core::session::event::{GateDecision, RollbackReason, Verdict};
    let s = "disable-private-peering";
    let mut events = vec![session_start("er-disable-conflict")];
    events.extend(checks(true));
    events.extend(gate(&[], GateDecision::Confirmed));
    events.extend([
        start(s),
        Event::ActionStarted {
            step: s.into(),
            op: "azure.peering.disable".into(),
            target: "SEA-Cust11-ER/AzurePrivatePeering".into(),
            manual: manual("Disabled"),
        },
        attempt(s, 409, Some("AnotherOperationInProgress"), Some(900), "req-1"),
        Event::ActionCancelled {
            step: s.into(),
            op: "azure.peering.disable".into(),
            reason: RollbackReason::Operator,
            detail: "1 PUT sent, none accepted (409); nothing was sent after the abort; the peering reads Enabled (provisioningState Succeeded)".into(),
        },
        end(s, Verdict::Failed, 1_200),
        session_end(1, "`disable-private-peering` cancelled before any write was accepted; nothing was changed"),
    ]);
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "cancelled.jsonl", &events);
    let r = json_report(&j);
    let a = &r["actions"][0];
    assert_eq!(a["result"], "cancelled");
    assert_eq!(a["cancelled"]["reason"], "operator");
    assert_eq!(a["rollback"], Value::Null);
    assert!(
        r["outcome"]["meaning"]
            .as_str()
            .is_some_and(|m| m.contains("aborted before any write was accepted")),
        "{}",
        r["outcome"]
    );
    for format in ["md", "html"] {
        let (_, out, _) = report_cmd(&j, format, &[]);
        assert!(
            out.contains("CANCELLED before any write was accepted: nothing was changed"),
            "{format}: {out}"
        );
        assert!(out.contains("the operator aborted"), "{format}");
        assert!(out.contains("none accepted (409)"), "{format}");
    }
}

#[test]
fn declined_gate_and_failed_precheck_are_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "declined.jsonl", &declined());
    let r = json_report(&j);
    assert_eq!(r["outcome"]["exit_code"], 1);
    let g = &r["gates"][0];
    assert_eq!(g["decision"], "declined");
    assert_eq!(g["failed_checks"][0], "fw-prefers-er-for-hub");
    assert_eq!(step(&r, "fw-prefers-er-for-hub")["verdict"], "failed");
    assert_eq!(step(&r, "disable-private-peering")["verdict"], "not_run");
    assert_eq!(r["actions"], Value::Array(vec![]));
    let (_, md, _) = report_cmd(&j, "md", &[]);
    assert!(md.contains("**DECLINED**"), "{md}");
    assert!(md.contains("**FAILED**"), "{md}");
}

#[test]
fn override_reason_is_in_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "override.jsonl", &overridden());
    let r = json_report(&j);
    let g = &r["gates"][0];
    assert_eq!(g["decision"], "override");
    assert_eq!(g["reason"], OVERRIDE_REASON);
    assert_eq!(step(&r, "confirm-failover")["verdict"], "overridden");
    let (_, md, _) = report_cmd(&j, "md", &[]);
    assert!(md.contains("**OVERRIDE**"), "{md}");
    assert!(md.contains(OVERRIDE_REASON), "{md}");
    let (_, html, _) = report_cmd(&j, "html", &[]);
    assert!(html.contains(OVERRIDE_REASON));
    assert!(html.contains("gate: OVERRIDE"), "the gate marker says so");
}

#[test]
fn html_is_one_self_contained_file_with_a_timeline() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    let (code, html, err) = report_cmd(&j, "html", &[]);
    assert_eq!(code, 0, "{err}");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.trim_end().ends_with("</html>"));
    assert!(html.contains("<style>"));
    for banned in [
        "<link", "<script", "<img", "<iframe", "src=", "@import", "url(", "http://", "https://",
    ] {
        assert!(!html.contains(banned), "{banned} in the HTML");
    }
    assert!(html.contains("<svg"));
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    // A bar per started step, with its verdict on hover.
    for id in [
        "fw-prefers-er-for-hub",
        "trace-before-failover",
        "disable-private-peering",
        "enable-private-peering",
    ] {
        assert!(
            html.contains(&format!("<title>{id} — ")),
            "no timeline bar for {id}"
        );
    }
    // Markers: gate, change, deadline band, verification, confirmation.
    for glyph in [
        ">G</text>",
        ">A</text>",
        ">D</text>",
        ">V</text>",
        ">C</text>",
    ] {
        assert!(html.contains(glyph), "no {glyph} marker");
    }
    assert!(html.contains("guarded window of azure.peering.disable"));
}

#[test]
fn text_from_the_journal_is_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut events = successful_failover();
    let evil = "<script>alert('x')</script> & \"quoted\" | `tick` <img src=x>";
    for e in &mut events {
        if let Event::Expectation { evidence, .. } = e {
            *evidence = evil.to_string();
        }
    }
    if let Event::SessionStart { operator, .. } = &mut events[0] {
        *operator = "eve<b>".into();
    }
    let j = write_journal(dir.path(), "evil.jsonl", &events);

    let (_, html, _) = report_cmd(&j, "html", &[]);
    assert!(!html.contains("<script"), "raw script tag in the HTML");
    assert!(!html.contains("<img"), "raw img tag in the HTML");
    assert!(!html.contains("eve<b>"));
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;")
    );
    assert!(html.contains("eve&lt;b&gt;"));

    let (_, md, _) = report_cmd(&j, "md", &[]);
    assert!(!md.contains("<script"), "raw script tag in the Markdown");
    assert!(!md.contains("eve<b>"));
    assert!(md.contains("&lt;script&gt;"));
    assert!(md.contains("\\| \\`tick\\`"), "pipes and backticks escaped");

    // JSON keeps the text as it is: it is data, and JSON escapes itself.
    let r = json_report(&j);
    assert_eq!(
        step(&r, "fw-prefers-er-for-hub")["expectations"][0]["evidence"],
        evil
    );
}

#[test]
fn secrets_never_reach_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bearer = "Bearer eyQtoken0123456789abcdef";
    let site_secret = "tenant-secret-42xyz";
    let mut events = successful_failover();
    let n = events.len();
    events.insert(
        n - 1,
        Event::Note {
            step: None,
            level: NoteLevel::Warn,
            text: format!("ARM call used {bearer} with {site_secret}"),
        },
    );
    if let Event::Probe { command, .. } = &mut events[2] {
        command.push_str(&format!(" # {site_secret}"));
    }
    // Written without redaction, as an older version might have left it.
    let j = write_journal_at(dir.path(), "leaky.jsonl", &timed(events));
    let inv = dir.path().join("inventory.toml");
    std::fs::write(&inv, "redact = [\"tenant-secret-*\"]\n").expect("inventory");
    for format in ["md", "html", "json"] {
        let (code, out, err) =
            report_cmd(&j, format, &["--inventory", inv.to_str().expect("utf-8")]);
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains("eyQtoken0123456789abcdef"),
            "{format} leaks the bearer token"
        );
        assert!(
            !out.contains("42xyz"),
            "{format} leaks the inventory pattern"
        );
        assert!(!err.contains("42xyz"));
        assert!(out.contains("[REDACTED]"), "{format}");
    }
    // Without the inventory, the bearer token still goes (its shape is known).
    let (_, out, _) = report_cmd(&j, "md", &[]);
    assert!(!out.contains("eyQtoken0123456789abcdef"));
}

#[test]
fn tampered_journal_still_reports_with_a_loud_warning_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    let text = std::fs::read_to_string(&j).expect("read");
    // Edit one verdict's evidence: still valid JSON, the hash no longer fits.
    let edited = text.replacen(
        "2 paths with localpref 150",
        "2 paths with localpref 999",
        1,
    );
    assert_ne!(text, edited);
    std::fs::write(&j, edited).expect("write");
    let bad_seq = 4; // the second expectation of the first step

    let (code, md, err) = report_cmd(&j, "md", &[]);
    assert_eq!(code, 1, "{err}");
    let warning = md
        .find("THE JOURNAL FAILED ITS INTEGRITY CHECK")
        .expect("warning");
    let summary = md.find("## Summary").expect("summary");
    assert!(warning < summary, "the warning comes first");
    assert!(
        md.contains(&format!("chain broken at seq {bad_seq}")),
        "{md}"
    );
    assert!(err.contains("INTEGRITY CHECK FAILED"), "{err}");

    let (code, html, _) = report_cmd(&j, "html", &[]);
    assert_eq!(code, 1);
    assert!(
        html.find("class=\"warn\"").expect("warning") < html.find("<h2>Summary").expect("summary")
    );

    let (code, out, _) = report_cmd(&j, "json", &[]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["integrity"]["status"], "broken");
    assert_eq!(r["integrity"]["tampered"], true);
    assert_eq!(r["integrity"]["first_bad_seq"], bad_seq);
    // The report still has the session.
    assert_eq!(r["session"]["operator"], OPERATOR);
}

#[test]
fn a_session_that_was_not_closed_is_reported_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut events = successful_failover();
    events.truncate(events.len() - 10);
    let j = write_journal(dir.path(), "open.jsonl", &events);
    let (code, out, err) = report_cmd(&j, "json", &[]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(r["integrity"]["status"], "not_closed");
    assert_eq!(r["outcome"]["closed"], false);
    assert_eq!(r["outcome"]["exit_code"], Value::Null);
    assert!(
        r["warnings"][0]
            .as_str()
            .expect("warning")
            .contains("not closed")
    );
    assert_eq!(step(&r, "enable-private-peering")["verdict"], "unfinished");
}

#[test]
fn not_a_journal_is_bad_input_with_path_line_col() {
    let dir = tempfile::tempdir().expect("tempdir");
    let garbage = dir.path().join("notes.txt");
    std::fs::write(&garbage, "this is not a journal\n").expect("write");
    let (code, out, err) = report_cmd(&garbage, "md", &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.starts_with(&format!("{}:1:", garbage.display())),
        "{err}"
    );

    let json = dir.path().join("other.json");
    std::fs::write(&json, "{\"hello\": \"world\"}\n").expect("write");
    let (code, _, err) = report_cmd(&json, "json", &[]);
    assert_eq!(code, 2);
    assert!(
        err.starts_with(&format!("{}:1:1:", json.display())),
        "{err}"
    );

    // A journal with a line that is not JSON in the middle.
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    let text = std::fs::read_to_string(&j).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = "{\"seq\": 2, \"ts\": oops";
    std::fs::write(&j, lines.join("\n") + "\n").expect("write");
    let (code, _, err) = report_cmd(&j, "md", &[]);
    assert_eq!(code, 2);
    assert!(err.starts_with(&format!("{}:3:", j.display())), "{err}");
    let col = err.split(':').nth(2).expect("col");
    assert!(col.parse::<usize>().is_ok(), "{err}");

    let missing = dir.path().join("missing.jsonl");
    let (code, _, err) = report_cmd(&missing, "md", &[]);
    assert_eq!(code, 2);
    assert!(err.contains("missing.jsonl"), "{err}");
}

#[test]
fn output_goes_to_the_file_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    let out = dir.path().join("report.html");
    let (code, stdout, err) = report_cmd(&j, "html", &["--output", out.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty());
    let html = std::fs::read_to_string(&out).expect("written");
    assert!(html.contains("<svg"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn library_renderings_agree_with_the_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &overridden());
    let rec = Recording::open(&j, None).expect("opens");
    let built = report::build(&rec);
    let red = Redactor::new();
    let json = report::render(&built, Format::Json, &red).expect("json");
    let back: report::Report = serde_json::from_str(&json).expect("reads back");
    assert_eq!(back, built, "the JSON is the whole report");
    let md = report::render(&built, Format::Md, &red).expect("md");
    for s in &built.steps {
        assert!(md.contains(&s.id), "{} in the Markdown", s.id);
    }
}
