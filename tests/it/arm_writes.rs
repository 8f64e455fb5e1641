//! Every ARM write in full (issue 13 item 3), and a write ARM did not
//! apply (issue 18 item 2): the engine on virtual time for the outcome,
//! and a real drill whose journal and report carry each PUT with its
//! If-Match etag and the three request ids.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use crate::cli_support::cutover;
use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::session::event::Event;
use cutover_engine::port::ArmError;

/// ARM accepted the disable, then its operation ended Failed and the
/// peering stayed Enabled: nothing to undo, exit 1, the read that showed
/// it journaled, and the detached guard released.
#[tokio::test(start_paused = true)]
async fn an_operation_that_ends_failed_is_not_applied_and_exits_1() {
    let net = Net::new();
    net.with(|n| {
        n.script.push_back(SetScript::Err(
            vec![201],
            ArmError::OperationFailed("Failed: InternalServerError: An error occurred.".into()),
        ))
    });
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config(),
        operator_confirming(),
        watchdog,
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert!(
        run.outcome.outcome.contains("was not applied"),
        "{}",
        run.outcome.outcome
    );
    assert_eq!(run.count("rollback_started"), 0);
    assert_eq!(run.count("deadline_armed"), 0);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    // After the failed action: the read it was decided on.
    let done = run
        .events
        .iter()
        .position(|e| matches!(e, Event::ActionDone { ok: false, .. }))
        .expect("action_done ok=false");
    let reread = run.events[done..].iter().find_map(|e| match e {
        Event::Probe {
            query,
            command,
            parsed,
            ..
        } if query == "azure.peering" => Some((command.clone(), parsed.clone())),
        _ => None,
    });
    let (command, parsed) = reread.expect("the re-read is journaled");
    assert!(command.contains("after the failed change"), "{command}");
    assert_eq!(parsed.expect("parsed")["state"], "Enabled");
    let guard: Vec<String> = run
        .net
        .order()
        .into_iter()
        .filter(|o| o.starts_with("guard:"))
        .collect();
    assert_eq!(
        guard,
        ["guard:arm disable-private-peering", "guard:resolved"]
    );
    assert!(
        run.notes()
            .iter()
            .any(|t| t.contains("nothing to undo") && t.contains("Enabled")),
        "{:?}",
        run.notes()
    );
}

fn report(state: &Path, journal: &Path, format: &str) -> String {
    let out = cutover(state)
        .args(["report", "--format", format])
        .arg(journal)
        .output()
        .expect("report");
    assert_eq!(out.status.code(), Some(0), "{format}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The baseline drill: the disable and the enable each went out as a PUT
/// under the etag just read, and both the journal and the report (md,
/// html, json) say so with the ids a support case quotes.
#[test]
fn a_drill_records_every_put_with_its_etag_and_request_ids() {
    let dir = tempfile::tempdir().expect("dir");
    let journal: PathBuf = dir.path().join("baseline.jsonl");
    let out = cutover(dir.path())
        .args(crate::FAST_DRILL)
        .args(["--settle", "2s", "--scenario", "baseline", "--journal"])
        .arg(&journal)
        .output()
        .expect("cutover runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Value> = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let puts: Vec<&Value> = events
        .iter()
        .filter(|e| e["kind"] == "action_attempt" && e["attempt"]["method"] == "PUT")
        .map(|e| &e["attempt"])
        .collect();
    let changed: Vec<&str> = puts
        .iter()
        .filter_map(|a| a["write"]["changes"][0]["to"].as_str())
        .collect();
    assert!(
        changed.contains(&"Disabled") && changed.contains(&"Enabled"),
        "{puts:?}"
    );
    let mut client_ids = Vec::new();
    for a in &puts {
        let w = &a["write"];
        assert!(w["if_match"].as_str().is_some_and(|e| !e.is_empty()), "{a}");
        assert_eq!(w["changes"][0]["field"], "properties.state", "{a}");
        if (200..300).contains(&a["status"].as_u64().unwrap_or(0)) {
            assert!(
                w["etag"].as_str().is_some_and(|e| e != w["if_match"]),
                "{a}"
            );
            assert!(w["provisioning_state"].is_string(), "{a}");
        }
        let ids = &a["ids"];
        let cid = ids["client_request_id"].as_str().expect("client id");
        assert!(uuid::Uuid::parse_str(cid).is_ok(), "{cid}");
        assert!(
            ids["request_id"].as_str().is_some_and(|s| !s.is_empty()),
            "{a}"
        );
        assert!(
            ids["correlation_id"]
                .as_str()
                .is_some_and(|s| !s.is_empty()),
            "{a}"
        );
        client_ids.push(cid.to_string());
    }

    let json: Value = serde_json::from_str(&report(dir.path(), &journal, "json")).expect("json");
    let writes = json["writes"].as_array().expect("writes");
    assert_eq!(writes.len(), puts.len());
    for (w, a) in writes.iter().zip(&puts) {
        assert_eq!(w["if_match"], a["write"]["if_match"]);
        assert_eq!(w["request_id"], a["ids"]["request_id"]);
        assert_eq!(w["correlation_id"], a["ids"]["correlation_id"]);
    }
    for format in ["md", "html"] {
        let text = report(dir.path(), &journal, format);
        assert!(text.contains("ARM writes"), "{format}");
        assert!(text.contains("x-ms-correlation-request-id"), "{format}");
        for cid in &client_ids {
            assert!(text.contains(cid.as_str()), "{format}: {cid}");
        }
        assert!(
            text.contains("properties.state: Enabled -&gt; Disabled")
                || text.contains("properties.state: Enabled -> Disabled"),
            "{format}"
        );
    }
}
