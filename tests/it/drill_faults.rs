//! The fault scenarios of issue 18, end to end: the real binary drills
//! each against its own lab (faults injected by the lab's ARM API on
//! 127.0.0.1), all at once so that the slowest (`arm-slow`) sets the
//! wall time. Each must end with the exit status the issue names and the
//! peering Enabled, as the journal's last word on the peering says.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::cli_support::events;
use serde_json::Value;

fn drill(state: &Path, scenario: &str) -> (Output, PathBuf) {
    let journal = state.join(format!("{scenario}.jsonl"));
    let out = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .env("XDG_STATE_HOME", state)
        .env_remove("NO_COLOR")
        .env_remove("CUTOVER_LOG")
        .args(crate::FAST_DRILL)
        .args(["--settle", "2s"])
        .args(["--scenario", scenario, "--journal"])
        .arg(&journal)
        .output()
        .expect("cutover runs");
    (out, journal)
}

/// `Disabled -> Enabled (...)`: the state after the arrow.
fn after_arrow(detail: &str) -> Option<&'static str> {
    let after = detail.rsplit_once("-> ")?.1;
    if after.starts_with("Enabled") {
        Some("Enabled")
    } else if after.starts_with("Disabled") {
        Some("Disabled")
    } else {
        None
    }
}

/// The peering's state by the journal's last word on it: a peering read
/// (its raw ARM answer), a completed change, or a rollback.
fn peering_left(evs: &[Value]) -> Option<&'static str> {
    let mut state = None;
    for e in evs {
        let read = match e["kind"].as_str() {
            Some("probe" | "peering_preflight") if e["query"] == "azure.peering" => e["raw"]
                .as_str()
                .and_then(|r| serde_json::from_str::<Value>(r).ok())
                .and_then(|v| match v["properties"]["state"].as_str() {
                    Some("Enabled") => Some("Enabled"),
                    Some("Disabled") => Some("Disabled"),
                    _ => None,
                }),
            Some("action_done") if e["ok"] == true => e["detail"].as_str().and_then(after_arrow),
            Some("rollback_done") => e["detail"].as_str().and_then(after_arrow),
            _ => None,
        };
        if read.is_some() {
            state = read;
        }
    }
    state
}

/// The PUT attempts' statuses, in order.
fn put_statuses(evs: &[Value]) -> Vec<u64> {
    evs.iter()
        .filter(|e| e["kind"] == "action_attempt" && e["attempt"]["method"] == "PUT")
        .filter_map(|e| e["attempt"]["status"].as_u64())
        .collect()
}

#[test]
fn fault_scenarios_end_as_the_issue_says_with_the_peering_enabled() {
    let table: [(&str, i32); 5] = [
        ("rollback-throttled", 3),
        ("disable-operation-failed", 1),
        ("arm-slow", 0),
        ("concurrent-writer", 0),
        ("token-expires", 0),
    ];
    let dir = tempfile::tempdir().expect("dir");
    let runs: Vec<(Output, PathBuf)> = std::thread::scope(|s| {
        let handles: Vec<_> = table
            .iter()
            .map(|(name, _)| s.spawn(|| drill(dir.path(), name)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("drill thread"))
            .collect()
    });
    let mut wrong = Vec::new();
    for ((name, want), (out, journal)) in table.iter().zip(&runs) {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let evs = events(journal);
        if out.status.code() != Some(*want) {
            wrong.push(format!(
                "{name}: exit {:?}, want {want}\n{stdout}\n{stderr}",
                out.status.code()
            ));
            continue;
        }
        if peering_left(&evs) != Some("Enabled") {
            wrong.push(format!(
                "{name}: the peering is left {:?}\n{stdout}",
                peering_left(&evs)
            ));
            continue;
        }
        let puts = put_statuses(&evs);
        match *name {
            "rollback-throttled" => {
                // The disable, then the rollback through 429, 503, 500.
                assert!(
                    puts.windows(3).any(|w| w == [429, 503, 500]),
                    "{name}: PUTs {puts:?}"
                );
                assert_eq!(puts.last(), Some(&200), "{name}: PUTs {puts:?}");
                assert!(
                    evs.iter()
                        .any(|e| e["kind"] == "rollback_done" && e["outcome"] == "rolled_back"),
                    "{name}: {stdout}"
                );
            }
            "disable-operation-failed" => {
                let end = evs
                    .iter()
                    .rfind(|e| e["kind"] == "session_end")
                    .expect("session_end");
                let outcome = end["outcome"].as_str().unwrap_or_default();
                assert!(outcome.contains("not applied"), "{name}: {outcome}");
                assert!(
                    !evs.iter()
                        .any(|e| e["kind"] == "rollback_done" && e["outcome"] == "rolled_back"),
                    "{name}: no rollback of a change that never happened"
                );
            }
            "concurrent-writer" => {
                assert_eq!(puts.first(), Some(&412), "{name}: PUTs {puts:?}");
                assert_eq!(puts.get(1), Some(&200), "{name}: PUTs {puts:?}");
            }
            "arm-slow" => {
                // The lab's 2 s on every call shows between the disable's
                // read and its PUT...
                let ts: Vec<&str> = evs
                    .iter()
                    .filter(|e| e["kind"] == "action_attempt")
                    .filter_map(|e| e["ts"].as_str())
                    .take(2)
                    .collect();
                let ms = |t: &str| -> i128 {
                    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                        .unwrap_or_else(|e| panic!("{t}: {e}"))
                        .unix_timestamp_nanos()
                        / 1_000_000
                };
                assert!(
                    ts.len() == 2 && ms(ts[1]) - ms(ts[0]) >= 1900,
                    "{name}: {ts:?}"
                );
                // ...and the hung read was timed out and made again.
                assert!(stderr.contains("Timeout"), "{name}: {stderr}");
            }
            "token-expires" => {
                // More ARM calls than one token lives for, and the disable
                // and the enable both went through.
                let attempts = evs.iter().filter(|e| e["kind"] == "action_attempt").count();
                assert!(attempts > 5, "{name}: {attempts} attempts");
                assert!(
                    puts.iter().filter(|s| **s == 200).count() >= 2,
                    "{name}: PUTs {puts:?}"
                );
            }
            _ => unreachable!(),
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
