//! Drills that are judged (issue 15): the real binary against the lab,
//! each drill's `drill_score` read back from its journal and its report,
//! and the scoreboard of several. The drills run at once in one test (the
//! lab and the console of each are separate processes on 127.0.0.1).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::cli_support::cutover;
use serde_json::Value;

/// A headless drill; `input` is typed ahead on standard input (`None`:
/// `--auto-confirm`).
fn drill(state: &Path, name: &str, scenario: &[&str], input: Option<&str>) -> (Output, PathBuf) {
    let journal = state.join(format!("{name}.jsonl"));
    let mut c = cutover(state);
    c.args([
        "drill",
        "--headless",
        "--time-scale",
        "0.15",
        "--deadline",
        "20s",
        "--settle",
        "1s",
    ])
    .args(scenario)
    .arg("--operator")
    .arg(format!("trainee-{name}"))
    .arg("--journal")
    .arg(&journal)
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if input.is_none() {
        c.arg("--auto-confirm");
    }
    c.stdin(if input.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = c.spawn().expect("cutover starts");
    if let Some(text) = input {
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(text.as_bytes()).expect("typed ahead");
    }
    let out = child.wait_with_output().expect("cutover ends");
    (out, journal)
}

fn report(state: &Path, format: &str, journals: &[&PathBuf]) -> (Option<i32>, String) {
    let out = cutover(state)
        .args(["report", "--format", format])
        .args(journals)
        .output()
        .expect("report runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn json_report(state: &Path, journal: &PathBuf) -> Value {
    let (code, text) = report(state, "json", &[journal]);
    assert_eq!(code, Some(0), "{text}");
    serde_json::from_str(&text).expect("report json")
}

fn met(drill: &Value, id: &str) -> bool {
    drill["objectives"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["id"] == id))
        .unwrap_or_else(|| panic!("objective {id} in {drill:#}"))["met"]
        .as_bool()
        .expect("met")
}

fn said(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn drills_are_scored_debriefed_reported_and_ranked() {
    let dir = tempfile::tempdir().expect("dir");
    let state = dir.path();
    // The gate of vpn-bgp-down is held by failed pre-checks: a decline,
    // or a reason, OVERRIDE and the circuit's name.
    // The end of the input is the console going away: the change is undone.
    let override_it = "the change window closes in ten minutes\nOVERRIDE\nSEA-Cust11-ER\n";
    let runs: Vec<(Output, PathBuf)> = std::thread::scope(|s| {
        let jobs: Vec<(&str, Vec<&str>, Option<&str>)> = vec![
            ("baseline", vec!["--scenario", "baseline"], None),
            (
                "declined",
                vec!["--scenario", "vpn-bgp-down"],
                Some("decline\n"),
            ),
            (
                "overridden",
                vec!["--scenario", "vpn-bgp-down"],
                Some(override_it),
            ),
            (
                "random-a",
                vec!["--scenario", "random", "--seed", "7"],
                Some("decline\n"),
            ),
            (
                "random-b",
                vec!["--scenario", "random", "--seed", "7"],
                Some("decline\n"),
            ),
        ];
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|(name, args, input)| s.spawn(move || drill(state, name, &args, input)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("drill thread"))
            .collect()
    });
    let [baseline, declined, overridden, random_a, random_b] = &runs[..] else {
        unreachable!()
    };

    // baseline, auto-confirmed: every objective met, 100.
    assert_eq!(baseline.0.status.code(), Some(0), "{}", said(&baseline.0));
    let r = json_report(state, &baseline.1);
    assert_eq!(r["drill"]["score"], 100, "{:#}", r["drill"]);
    assert!(
        r["drill"]["objectives"]
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(|o| o["met"] == true)),
        "{:#}",
        r["drill"]
    );
    let debrief = String::from_utf8_lossy(&baseline.0.stdout);
    assert!(
        debrief.contains("DEBRIEF: scenario baseline: score 100/100"),
        "{debrief}"
    );

    // vpn-bgp-down declined: the gate held, 100.
    assert_eq!(declined.0.status.code(), Some(1), "{}", said(&declined.0));
    let d = json_report(state, &declined.1);
    assert_eq!(d["drill"]["score"], 100, "{:#}", d["drill"]);
    assert!(met(&d["drill"], "hold-the-gate"));
    assert_eq!(d["drill"]["decisions"][0]["what"], "declined");

    // Overridden: the hold-the-gate objective missed, a lower score, and
    // the lines that showed the fault (the VPN peers not established).
    let o = json_report(state, &overridden.1);
    assert!(
        !met(&o["drill"], "hold-the-gate"),
        "{}",
        said(&overridden.0)
    );
    let score = o["drill"]["score"].as_u64().expect("score");
    assert!(score < 100, "{:#}", o["drill"]);
    let hold = o["drill"]["objectives"]
        .as_array()
        .and_then(|a| a.iter().find(|o| o["id"] == "hold-the-gate"))
        .expect("hold-the-gate");
    let first = &hold["evidence"][0];
    assert_eq!(first["step"], "fw-bgp-to-vpn-gateway");
    assert_eq!(first["found"], true, "{hold:#}");
    assert!(
        first["line"]
            .as_str()
            .is_some_and(|l| l.contains("10.17.11.76") && l.contains("Active")),
        "{hold:#}"
    );
    assert!(
        first["command"]
            .as_str()
            .is_some_and(|c| c.contains("show bgp summary")),
        "{hold:#}"
    );
    let out = String::from_utf8_lossy(&overridden.0.stdout);
    assert!(out.contains("MISSED hold-the-gate"), "{out}");
    assert!(
        out.contains("fw-bgp-to-vpn-gateway | show bgp summary"),
        "{out}"
    );
    assert!(
        out.contains("gate OVERRIDDEN (the change window closes in ten minutes)"),
        "{out}"
    );

    // random --seed 7, twice: the same scenario, hidden until the debrief,
    // named by the debrief and the report.
    let named = |run: &(Output, PathBuf)| {
        let r = json_report(state, &run.1);
        let name = r["drill"]["scenario"].as_str().expect("named").to_string();
        assert_eq!(r["drill"]["seed"], 7);
        assert_eq!(
            r["session"]["scenario"],
            name.as_str(),
            "the report names it"
        );
        let stdout = String::from_utf8_lossy(&run.0.stdout).into_owned();
        let (before, after) = stdout
            .split_once(" drill_score ")
            .unwrap_or_else(|| panic!("a debrief: {}", said(&run.0)));
        assert!(
            !before.contains(name.as_str()),
            "{name} shown before the debrief:\n{before}"
        );
        assert!(
            after.contains(&format!("scenario {name} (drawn with --seed 7)")),
            "{after}"
        );
        let start = std::fs::read_to_string(&run.1).expect("journal");
        let start: Value =
            serde_json::from_str(start.lines().next().expect("a line")).expect("json");
        assert_eq!(start["scenario"], "random (hidden until the debrief)");
        name
    };
    let (a, b) = (named(random_a), named(random_b));
    assert_eq!(a, b, "one seed, one scenario");
    assert_ne!(a, "random");

    // The scoreboard: one row per journal.
    let (code, text) = report(
        state,
        "json",
        &[&baseline.1, &declined.1, &overridden.1, &random_a.1],
    );
    assert_eq!(code, Some(0), "{text}");
    let board: Value = serde_json::from_str(&text).expect("scoreboard json");
    assert_eq!(board["format"], "cutover-scoreboard/1");
    let rows = board["drills"].as_array().expect("rows");
    assert_eq!(rows.len(), 4);
    assert_eq!(rows[0]["who"], "trainee-baseline");
    assert_eq!(rows[0]["scenario"], "baseline");
    assert_eq!(rows[0]["score"], 100);
    assert_eq!(rows[2]["who"], "trainee-overridden");
    assert!(
        rows[2]["missed"]
            .as_array()
            .is_some_and(|m| m.iter().any(|x| x == "hold-the-gate")),
        "{text}"
    );
    assert_eq!(rows[3]["scenario"], a.as_str());
    assert!(rows.iter().all(|r| r["date"].is_string()), "{text}");
    let (code, md) = report(state, "md", &[&baseline.1, &overridden.1]);
    assert_eq!(code, Some(0), "{md}");
    assert!(md.starts_with("# Drill scoreboard"), "{md}");
    assert!(
        md.lines()
            .any(|l| l.contains("trainee-overridden") && l.contains("hold-the-gate")),
        "{md}"
    );
    let (code, html) = report(state, "html", &[&baseline.1, &overridden.1]);
    assert_eq!(code, Some(0));
    assert!(html.contains("<title>Drill scoreboard</title>"), "{html}");
}

#[test]
fn a_seed_without_random_is_bad_input_before_anything_starts() {
    let dir = tempfile::tempdir().expect("dir");
    let out = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--scenario",
            "baseline",
            "--seed",
            "7",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--scenario random"), "{err}");
    assert!(out.stdout.is_empty(), "nothing started: {}", said(&out));
}
