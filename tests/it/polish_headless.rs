//! Headless input as a script writes it (issue 17): answers typed ahead
//! wait for the question they answer, an early `healthy` waits for the
//! verification, and end of input is the console going away only once the
//! queued answers are used. And what the operator reads: no duration is a
//! raw millisecond count above 10 s, in the headless lines, the journal's
//! notes or the report; the planned next test is a date, not a timing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::cli_support::{cutover, events};
use serde_json::Value;

/// A headless drill with `input` piped to it; standard input closes after
/// it, as with `printf ... | cutover drill --headless`.
fn drill(state: &Path, name: &str, input: &'static str) -> (Output, PathBuf) {
    let journal = state.join(format!("{name}.jsonl"));
    let mut child = cutover(state)
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--deadline",
            "20s",
            "--settle",
            "2s",
        ])
        .arg("--journal")
        .arg(&journal)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cutover starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).expect("input written");
    drop(stdin);
    (child.wait_with_output().expect("cutover ends"), journal)
}

/// Where the peering was left: the last completed change or rollback.
fn peering_left(evs: &[Value]) -> &'static str {
    let mut state = "Enabled";
    for e in evs {
        match (e["kind"].as_str(), e["op"].as_str(), e["ok"].as_bool()) {
            (Some("action_done"), Some("azure.peering.disable"), Some(true)) => state = "Disabled",
            (Some("action_done"), Some("azure.peering.enable"), Some(true)) => state = "Enabled",
            (Some("rollback_done"), _, _) => state = "Enabled",
            _ => {}
        }
    }
    state
}

/// Every millisecond count above 10 s written as such (`66075 ms`,
/// `12000ms`): a duration a person must convert to read.
pub fn raw_millis_above_10s(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut found = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() || (i > 0 && (b[i - 1].is_ascii_digit() || b[i - 1] == b'.')) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &text[start..i];
        let rest = &text[i..];
        let unit = rest.strip_prefix(' ').unwrap_or(rest);
        let is_ms = unit.starts_with("ms") && !unit[2..].starts_with(|c: char| c.is_alphanumeric());
        if is_ms && digits.parse::<u64>().map_or(true, |n| n > 10_000) {
            found.push(format!("{digits} ms"));
        }
    }
    found
}

#[test]
fn the_scan_finds_raw_millisecond_counts() {
    assert_eq!(
        raw_millis_above_10s("next_test_in 7776000000 ms; failed in 66075 ms; 12000ms"),
        vec!["7776000000 ms", "66075 ms", "12000 ms"]
    );
    assert!(
        raw_millis_above_10s("850 ms, 9999 ms, 1.2 s, 1m 06s, 90d, 4.5 ms, 20000 msgs").is_empty()
    );
}

fn report_md(state: &Path, journal: &Path) -> String {
    let r = cutover(state)
        .args(["report", "--format", "md"])
        .arg(journal)
        .output()
        .expect("report");
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    String::from_utf8_lossy(&r.stdout).into_owned()
}

#[test]
fn answers_typed_ahead_drive_a_drill_and_end_of_input_still_means_console_gone() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = dir.path();
    // Three drills at once: each takes seconds, mostly waiting on the lab.
    let (full, one, none) = std::thread::scope(|s| {
        let full = s.spawn(|| drill(state, "full", "SEA-Cust11-ER\nhealthy\nhealthy\n"));
        let one = s.spawn(|| drill(state, "one", "SEA-Cust11-ER\nhealthy\n"));
        let none = s.spawn(|| drill(state, "none", "SEA-Cust11-ER\n"));
        (
            full.join().expect("full"),
            one.join().expect("one"),
            none.join().expect("none"),
        )
    });

    // Done when: the gate and both changes answered from the queue.
    let (out, journal) = full;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.matches("> kept for the next question").count(),
        3,
        "{text}"
    );
    assert_eq!(text.matches("confirmed healthy").count(), 2, "{text}");
    // `healthy` is asked once the verification passed, never before.
    let asked = text.find("type `healthy`").expect("asked");
    let verified = text.find(" verified ").expect("a verified line");
    assert!(verified < asked, "{text}");
    let evs = events(&journal);
    assert_eq!(peering_left(&evs), "Enabled");
    // No raw millisecond count above 10 s anywhere the operator reads.
    assert_eq!(
        raw_millis_above_10s(&text),
        Vec::<String>::new(),
        "headless: {text}"
    );
    let notes: Vec<&str> = evs
        .iter()
        .filter(|e| e["kind"] == "note")
        .filter_map(|e| e["text"].as_str())
        .collect();
    assert!(!notes.is_empty());
    for n in &notes {
        assert_eq!(raw_millis_above_10s(n), Vec::<String>::new(), "note: {n}");
    }
    let md = report_md(state, &journal);
    assert_eq!(
        raw_millis_above_10s(&md),
        Vec::<String>::new(),
        "report: {md}"
    );
    // The next test is planned, a date: not among the measured timings.
    let planned = md.find("## Planned").expect("a Planned section");
    let row = md[planned..]
        .lines()
        .find(|l| l.contains("next\\_test\\_in") || l.contains("next_test_in"))
        .expect("the planned next test");
    assert!(row.contains("90d after the record"), "{row}");
    assert!(
        !md.lines()
            .any(|l| l.contains("next_test_in") && l.contains("measured by the engine")),
        "{md}"
    );
    assert!(!md.contains("2160 h"), "{md}");
    assert!(text.contains("next_test_in 90d (planned)"), "{text}");

    // One `healthy` for two changes: the restore is not confirmed when
    // input ends, so it is rolled back (the peering stays Enabled).
    let (out, journal) = one;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert_eq!(text.matches("confirmed healthy").count(), 1, "{text}");
    assert!(text.contains("(console_lost)"), "{text}");
    assert_eq!(peering_left(&events(&journal)), "Enabled");

    // Only the gate's answer: the console is gone before the change is
    // confirmed. Cancelled before any write (exit 1) or rolled back
    // (exit 3): either way the peering is Enabled and nothing waits for
    // the deadline.
    let (out, journal) = none;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(matches!(out.status.code(), Some(1 | 3)), "{text}");
    assert!(
        text.contains("gate_decision") && text.contains("confirmed"),
        "{text}"
    );
    assert!(!text.contains("confirmed healthy"), "{text}");
    assert!(!text.contains("deadline_passed"), "{text}");
    assert_eq!(peering_left(&events(&journal)), "Enabled");
}

#[test]
fn check_refuses_an_unknown_placeholder_at_its_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundled = include_str!("../../runbooks/er-vpn-failover.toml");
    assert!(bundled.contains("result within {deadline}, the peering"));
    let bad = bundled.replace(
        "result within {deadline}, the peering",
        "result within {dedline}, the peering",
    );
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, &bad).expect("write");
    let (line, text) = bad
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("{dedline}"))
        .expect("the line");
    let col = text.find("{dedline}").expect("col") + 1;
    let out = cutover(dir.path())
        .arg("check")
        .arg(&path)
        .output()
        .expect("check runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains(&format!(
            "bad.toml:{}:{col}: unknown placeholder `{{dedline}}`",
            line + 1
        )),
        "{said}"
    );
    // The bundled runbooks check clean with their placeholders.
    for rb in ["er-vpn-failover", "er-restore"] {
        let out = cutover(dir.path())
            .arg("check")
            .arg(format!("{}/runbooks/{rb}.toml", env!("CARGO_MANIFEST_DIR")))
            .output()
            .expect("check runs");
        assert_eq!(out.status.code(), Some(0), "{rb}");
    }
}
