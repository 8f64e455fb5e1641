//! The real binary, blind: `cutover drill --headless --blind` against the
//! lab with marks and a hint typed ahead. The journal keeps each mark with
//! the check's real verdict; the output shows each check's raw output and
//! no verdict until the gate opens, then the marks against the truth.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::cli_support::cutover;
use serde_json::Value;

/// The checks before the failover runbook's gate.
fn prechecks() -> Vec<String> {
    let rb = cutover_core::runbook::Runbook::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-vpn-failover.toml"),
    )
    .expect("the bundled runbook is valid");
    rb.steps
        .iter()
        .take_while(|s| s.id != "confirm-failover")
        .filter(|s| matches!(s.body, cutover_core::runbook::StepBody::Check(_)))
        .map(|s| s.id.clone())
        .collect()
}

#[test]
fn a_blind_drill_hides_every_verdict_until_the_gate_and_journals_each_mark_with_its_truth() {
    let dir = tempfile::tempdir().expect("dir");
    let journal: PathBuf = dir.path().join("blind.jsonl");
    let checks = prechecks();
    // Typed ahead: a hint, then a mark per check (the dead BGP sessions
    // called fail, everything else pass), then a decline.
    let mut script = String::from("hint fw-bgp-to-vpn-gateway\n");
    for c in &checks {
        let m = if c == "fw-bgp-to-vpn-gateway" {
            "fail"
        } else {
            "pass"
        };
        script.push_str(&format!("mark {c} {m}\n"));
    }
    script.push_str("decline\n");
    let mut child = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--blind",
            "--scenario",
            "vpn-bgp-down",
        ])
        .arg("--journal")
        .arg(&journal)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cutover runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("typed ahead");
    let out = child.wait_with_output().expect("cutover ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Nothing before the gate said a verdict; the raw output was shown.
    let reveal = stdout
        .find("> your marks against the checks' verdicts")
        .unwrap_or_else(|| panic!("the marks are revealed: {stdout}"));
    let before = &stdout[..reveal];
    for l in before.lines() {
        assert!(
            !l.contains("PASS") && !l.contains("FAIL"),
            "a verdict before the gate: {l}"
        );
        assert!(
            !(l.contains(" step_end ") && (l.contains("passed") || l.contains("failed"))),
            "a verdict before the gate: {l}"
        );
        assert!(!l.contains(" gate_prompt "), "{l}");
    }
    assert!(
        before.contains("    | 10.17.11.76"),
        "the BGP summary's raw lines: {before}"
    );
    assert!(
        stdout[reveal..].contains(">   fw-bgp-to-vpn-gateway: marked fail, it failed: right"),
        "{stdout}"
    );
    assert!(stdout[reveal..].contains(": WRONG"), "{stdout}");

    let evs: Vec<Value> = std::fs::read_to_string(&journal)
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let verdict_of = |step: &str| {
        evs.iter()
            .find(|e| e["kind"] == "step_end" && e["step"] == step)
            .map(|e| e["verdict"].clone())
    };
    let marks: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "drill_mark").collect();
    assert_eq!(marks.len(), checks.len(), "one mark per pre-check");
    for m in &marks {
        let check = m["check"].as_str().expect("check");
        assert_eq!(Some(m["truth"].clone()), verdict_of(check), "{m}");
        assert!(m["after_ms"].as_u64().is_some(), "{m}");
    }
    let bgp = marks
        .iter()
        .find(|m| m["check"] == "fw-bgp-to-vpn-gateway")
        .expect("marked");
    assert_eq!(
        (bgp["mark"].as_str(), bgp["truth"].as_str()),
        (Some("fail"), Some("failed"))
    );
    let hint = evs
        .iter()
        .find(|e| e["kind"] == "drill_hint")
        .expect("the hint is journaled");
    assert_eq!(hint["step"], "fw-bgp-to-vpn-gateway");
    // Every mark was in before the gate opened.
    let last_mark = evs.iter().rposition(|e| e["kind"] == "drill_mark");
    let prompt = evs.iter().position(|e| e["kind"] == "gate_prompt");
    assert!(
        last_mark < prompt && prompt.is_some(),
        "{last_mark:?} {prompt:?}"
    );

    // Blind is for drills, and needs a trainee to mark.
    let run = cutover(dir.path())
        .args([
            "run",
            "--headless",
            "--blind",
            "--inventory",
            "/nonexistent.toml",
        ])
        .output()
        .expect("cutover runs");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--blind is for drills"));
    let auto = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--blind",
            "--auto-confirm",
        ])
        .output()
        .expect("cutover runs");
    assert_eq!(auto.status.code(), Some(2));
}
