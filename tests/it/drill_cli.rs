//! The real binary, end to end: `cutover drill` on every scenario (the
//! table of the console issue), the journal it leaves verified and
//! reported, and the console itself driven with keys through tmux.
//!
//! Each drill starts its own lab on 127.0.0.1 (a child process of the
//! console) and talks to it through the real SSH and ARM clients.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::cli_support::{cutover, events};
use serde_json::Value;

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cutover")
}

fn count(evs: &[Value], kind: &str) -> usize {
    evs.iter().filter(|e| e["kind"] == kind).count()
}

/// Where the peering was left, as the journal tells it: the last change
/// that completed (a done enable or disable, or a rollback).
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

fn drill(state: &Path, scenario: &str) -> (Output, PathBuf) {
    let journal = state.join(format!("{scenario}.jsonl"));
    let out = cutover(state)
        .args(crate::FAST_DRILL)
        .args(["--settle", "2s"])
        .args(["--scenario", scenario, "--journal"])
        .arg(&journal)
        .output()
        .expect("cutover runs");
    (out, journal)
}

#[test]
fn every_scenario_exits_as_the_contract_says_and_leaves_the_peering_enabled() {
    let table: [(&str, i32); 8] = [
        ("baseline", 0),
        ("vpn-bgp-down", 1),
        ("spoke-not-advertised", 1),
        ("vpn-more-specific", 1),
        ("ce2-localpref-missing", 1),
        ("er-disable-conflict", 0),
        ("slow-convergence", 3),
        ("stuck-on-vpn", 3),
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
        let code = out.status.code();
        let evs = events(journal);
        let stdout = String::from_utf8_lossy(&out.stdout);
        if code != Some(*want) {
            wrong.push(format!(
                "{name}: exit {code:?}, want {want}\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        // Headless prints one line per journaled event, ending with the end.
        let last = stdout.lines().rev().find(|l| l.contains(" session_end "));
        assert!(
            last.is_some_and(|l| l.contains(&format!("exit {want}"))),
            "{name}: {stdout}"
        );
        assert_eq!(count(&evs, "session_end"), 1, "{name}");
        assert_eq!(
            peering_left(&evs),
            "Enabled",
            "{name}: peering left disabled"
        );
        match *name {
            // A failed pre-check stops before any change goes out.
            "vpn-bgp-down" | "spoke-not-advertised" | "ce2-localpref-missing" => {
                assert_eq!(count(&evs, "action_started"), 0, "{name}");
                assert_eq!(count(&evs, "gate_prompt"), 1, "{name}");
            }
            "er-disable-conflict" => {
                let statuses: Vec<u64> = evs
                    .iter()
                    .filter(|e| e["kind"] == "action_attempt")
                    .filter_map(|e| e["attempt"]["status"].as_u64())
                    .collect();
                assert!(
                    statuses.contains(&409) && statuses.contains(&429),
                    "{name}: the retries are journaled: {statuses:?}"
                );
            }
            // Both black-hole the traffic (README's scenario table): rolled
            // back because it was lost for `max_outage`, not because the
            // verification window or the deadline ran out.
            "slow-convergence" | "stuck-on-vpn" => {
                assert_eq!(count(&evs, "rollback_started"), 1, "{name}");
                let reason = evs
                    .iter()
                    .find(|e| e["kind"] == "rollback_started")
                    .map(|e| e["reason"].clone());
                assert_eq!(reason, Some(Value::from("traffic_lost")), "{name}");
                assert!(count(&evs, "traffic_lost") >= 1, "{name}");
                assert_eq!(count(&evs, "rollback_done"), 1, "{name}");
            }
            // The gate sees it coming: stopped before any change.
            "vpn-more-specific" => {
                assert_eq!(count(&evs, "action_started"), 0, "{name}");
                assert_eq!(hazard_prefixes(&evs), ["10.1.11.0/26"], "{name}");
            }
            "baseline" => {
                let mut moving = moves_to_vpn(&evs);
                moving.sort();
                assert_eq!(
                    moving,
                    [
                        "azure_to_onprem 10.1.11.0/25",
                        "onprem_to_azure 10.17.11.0/25",
                        "onprem_to_azure 10.17.11.128/26",
                    ],
                    "{name}"
                );
                assert_eq!(hazard_prefixes(&evs), Vec::<String>::new(), "{name}");
                let check = evs
                    .iter()
                    .find(|e| e["kind"] == "prediction_check")
                    .unwrap_or_else(|| panic!("{name}: no prediction_check"));
                let checks = check["checks"].as_array().expect("checks");
                assert_eq!(checks.len(), 3, "{name}: {check}");
                assert!(
                    checks.iter().all(|c| c["matched"] == true),
                    "{name}: the failover went as predicted: {check}"
                );
            }
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));

    // The baseline's journal is evidence: intact, 0600, and it reports.
    let (_, journal) = &runs[0];
    let v = cutover(dir.path())
        .arg("verify")
        .arg(journal)
        .output()
        .expect("verify");
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(journal)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    for format in ["md", "html", "json"] {
        let r = cutover(dir.path())
            .args(["report", "--format", format])
            .arg(journal)
            .output()
            .expect("report");
        assert_eq!(r.status.code(), Some(0), "{format}");
        let text = String::from_utf8_lossy(&r.stdout);
        assert!(text.contains("er-vpn-failover"), "{format}: {text}");
    }
}

/// The one `prediction` event of a drill.
fn prediction(evs: &[Value]) -> &Value {
    let all: Vec<&Value> = evs.iter().filter(|e| e["kind"] == "prediction").collect();
    assert_eq!(all.len(), 1, "one prediction, before the gate");
    all[0]
}

/// `direction prefix` of every prefix the prediction moves to the VPN.
fn moves_to_vpn(evs: &[Value]) -> Vec<String> {
    prediction(evs)["paths"]
        .as_array()
        .expect("paths")
        .iter()
        .filter(|p| p["now"] != "vpn" && p["predicted"] == "vpn")
        .map(|p| {
            format!(
                "{} {}",
                p["direction"].as_str().unwrap_or(""),
                p["prefix"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn hazard_prefixes(evs: &[Value]) -> Vec<String> {
    prediction(evs)["hazards"]
        .as_array()
        .expect("hazards")
        .iter()
        .map(|h| h["prefix"].as_str().unwrap_or("-").to_string())
        .collect()
}

#[test]
fn vpn_more_specific_stops_at_the_gate_on_the_predicted_hazard() {
    let dir = tempfile::tempdir().expect("dir");
    let (out, journal) = drill(dir.path(), "vpn-more-specific");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&journal);
    assert_eq!(count(&evs, "action_started"), 0, "{stdout}");
    let p = prediction(&evs);
    let h = &p["hazards"][0];
    assert_eq!(
        (&h["direction"], &h["kind"], &h["prefix"], &h["related"]),
        (
            &Value::from("azure_to_onprem"),
            &Value::from("vpn-more-specific"),
            &Value::from("10.1.11.0/26"),
            &Value::from("10.1.11.0/25")
        ),
        "{p}"
    );
    // Every pre-check passed: the prediction alone held the gate, which
    // the prompt, the headless lines and the decision say.
    let prompt = evs
        .iter()
        .find(|e| e["kind"] == "gate_prompt")
        .expect("a prompt");
    assert_eq!(prompt["failed_checks"], serde_json::json!([]), "{prompt}");
    assert_eq!(prompt["hazards"], p["hazards"], "{prompt}");
    assert!(
        stdout.contains("HAZARD Azure → on-prem 10.1.11.0/26 vpn-more-specific"),
        "{stdout}"
    );
    assert!(
        stdout.contains("--auto-confirm never overrides predicted hazards: declining"),
        "{stdout}"
    );
    let decision = evs
        .iter()
        .find(|e| e["kind"] == "gate_decision")
        .expect("a decision");
    assert_eq!(decision["decision"], "declined");
    // The report shows the prediction and its hazard.
    let r = cutover(dir.path())
        .args(["report", "--format", "md"])
        .arg(&journal)
        .output()
        .expect("report");
    let md = String::from_utf8_lossy(&r.stdout);
    assert!(md.contains("## Prediction"), "{md}");
    assert!(md.contains("| **vpn-more-specific** |"), "{md}");
}

/// The journal time of the first `kind` record.
fn ts_of(evs: &[Value], kind: &str) -> time::OffsetDateTime {
    let ts = evs
        .iter()
        .find(|e| e["kind"] == kind)
        .and_then(|e| e["ts"].as_str())
        .unwrap_or_else(|| panic!("no {kind}"));
    time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
}

#[test]
fn stuck_on_vpn_with_the_bundled_deadline_rolls_back_on_lost_traffic_not_after_the_window() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("stuck.jsonl");
    let out = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--auto-confirm",
            "--settle",
            "2s",
        ])
        .args(["--scenario", "stuck-on-vpn", "--journal"])
        .arg(&journal)
        .output()
        .expect("cutover runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&journal);
    let started: Vec<&Value> = evs
        .iter()
        .filter(|e| e["kind"] == "rollback_started")
        .collect();
    assert_eq!(started.len(), 1, "{stdout}");
    assert_eq!(started[0]["reason"], "traffic_lost", "{stdout}");
    // The bundled runbook: max_outage 15 s, verification window 60 s,
    // deadline 10 min. The rollback starts within max_outage + 10 s of
    // the change, long before the window would close.
    let window = evs
        .iter()
        .find(|e| e["kind"] == "verify_started")
        .expect("verify_started");
    assert_eq!(window["max_outage_ms"], 15_000);
    // The change is the first PUT ARM accepted (ARM's operation runs on
    // after it, and the traffic is lost from then on), not `action_done`.
    let accepted = evs
        .iter()
        .find(|e| {
            e["kind"] == "action_attempt"
                && e["attempt"]["method"] == "PUT"
                && e["attempt"]["status"]
                    .as_u64()
                    .is_some_and(|s| (200..300).contains(&s))
        })
        .and_then(|e| e["ts"].as_str())
        .map(|ts| {
            time::OffsetDateTime::parse(ts, &time::format_description::well_known::Rfc3339)
                .expect("RFC 3339")
        })
        .unwrap_or_else(|| panic!("no accepted PUT:\n{stdout}"));
    let took = ts_of(&evs, "rollback_started") - accepted;
    assert!(
        took <= time::Duration::seconds(25),
        "rollback {took} after the PUT was accepted:\n{stdout}"
    );
    // The loss is told from the accepted PUT, as the measurements are.
    assert!(stdout.contains(" from the write accepted"), "{stdout}");
    let lost = ts_of(&evs, "traffic_lost");
    assert!(lost <= ts_of(&evs, "rollback_started"));
    assert_eq!(count(&evs, "verified"), 0);
    assert_eq!(count(&evs, "rollback_done"), 1);
    assert_eq!(peering_left(&evs), "Enabled");
    assert!(stdout.contains("TRAFFIC LOST"), "{stdout}");
    assert!(stdout.contains("(traffic_lost)"), "{stdout}");
}

#[test]
fn bad_input_is_exit_2_before_anything_starts() {
    let dir = tempfile::tempdir().expect("dir");
    let out = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--scenario",
            "no-such-scenario",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-scenario"));

    let out = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--time-scale",
            "0.15",
            "--deadline",
            "ten minutes",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--deadline"));

    // A settle window that is not a duration, or longer than a runbook's
    // may be, is bad input too (on every command that takes it).
    for (cmd, settle) in [("drill", "soon"), ("drill", "11m"), ("restore", "2x")] {
        let out = cutover(dir.path())
            .args([cmd, "--headless", "--settle", settle])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(2), "{cmd} --settle {settle}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("--settle"), "{err}");
    }

    let rb = dir.path().join("bad.toml");
    std::fs::write(&rb, "[runbook]\nid = \"x\"\ntitel = \"y\"\n").expect("write");
    let out = cutover(dir.path())
        .args(["drill", "--headless", "--time-scale", "0.15", "--runbook"])
        .arg(&rb)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("{}:3:", rb.display())), "{err}");

    // No terminal and no --headless: said, not crashed.
    let out = cutover(dir.path())
        .arg("drill")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--headless"));
}

// ---------------------------------------------------------------- tmux

/// One tmux server per test (its own socket), killed on drop.
struct Tmux {
    socket: PathBuf,
    session: String,
}

impl Tmux {
    fn start(dir: &Path, shell_cmd: &str) -> Self {
        let tmux = Path::new("/usr/bin/tmux");
        assert!(
            tmux.exists(),
            "tmux is missing: ./scripts/test installs it (apt-get install tmux)"
        );
        let t = Tmux {
            socket: dir.join("tmux.sock"),
            session: "cutover".into(),
        };
        let ok = t
            .cmd()
            .args([
                "new-session",
                "-d",
                "-x",
                "120",
                "-y",
                "40",
                "-s",
                &t.session,
            ])
            .arg(shell_cmd)
            .status()
            .expect("tmux starts");
        assert!(ok.success());
        t
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("/usr/bin/tmux");
        c.arg("-S").arg(&self.socket);
        c
    }

    fn screen(&self) -> String {
        let out = self
            .cmd()
            .args(["capture-pane", "-p", "-t", &self.session])
            .output()
            .expect("capture");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen shows `text`; panics with the screen after
    /// `limit`. (A wait for a state, not a timing assertion.)
    fn wait_for(&self, text: &str, limit: Duration) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if s.contains(text) {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "the console never showed {text:?}:\n{s}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn keys(&self, keys: &[&str]) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", &self.session])
            .args(keys)
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }

    fn literal(&self, text: &str) {
        let ok = self
            .cmd()
            .args(["send-keys", "-t", &self.session, "-l", text])
            .status()
            .expect("send-keys");
        assert!(ok.success());
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").status();
    }
}

fn wait_file(path: &Path, limit: Duration) -> String {
    let start = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(path)
            && s.ends_with('\n')
        {
            return s;
        }
        assert!(start.elapsed() < limit, "{} never came", path.display());
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn tui_drill(dir: &Path) -> (Tmux, PathBuf, PathBuf) {
    let journal = dir.join("tui.jsonl");
    let status = dir.join("status");
    let shell = format!(
        "env XDG_STATE_HOME={state} TERM=xterm-256color {bin} drill --settle 2s --journal {journal}; echo $? > {status}; sleep 60",
        state = dir.display(),
        bin = bin().display(),
        journal = journal.display(),
        status = status.display(),
    );
    (Tmux::start(dir, &shell), journal, status)
}

const CIRCUIT: &str = "SEA-Cust11-ER";
const LIMIT: Duration = Duration::from_secs(90);

#[test]
fn the_console_shows_every_pane_and_a_declined_gate_changes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let (tmux, journal, status) = tui_drill(dir.path());
    // Every pane at once, before the gate's popup covers some titles.
    let screen = tmux.wait_for("5 Traceroute", LIMIT);
    for pane in [
        "1 Steps",
        "2 Step detail",
        "3 Routes",
        "4 Tunnels & BGP",
        "6 Notes & log",
    ] {
        assert!(screen.contains(pane), "{pane} missing:\n{screen}");
    }
    tmux.wait_for("GATE · confirm-failover", LIMIT);
    // A wrong text is not a confirmation; Esc then y declines.
    tmux.literal("SEA-Cust11");
    tmux.keys(&["Enter"]);
    tmux.wait_for("does not match", LIMIT);
    tmux.keys(&["Escape"]);
    tmux.wait_for("Decline?", LIMIT);
    tmux.keys(&["y"]);
    tmux.wait_for("ENDED", LIMIT);
    tmux.keys(&["q"]);
    assert_eq!(wait_file(&status, LIMIT).trim(), "1");
    let evs = events(&journal);
    assert_eq!(count(&evs, "action_started"), 0, "nothing was changed");
    assert!(
        evs.iter()
            .any(|e| e["kind"] == "gate_decision" && e.to_string().contains("declined"))
    );
}

#[test]
fn the_console_goes_through_the_gate_and_rolls_back_on_the_key() {
    let dir = tempfile::tempdir().expect("dir");
    let (tmux, journal, status) = tui_drill(dir.path());
    tmux.wait_for("GATE · confirm-failover", LIMIT);
    tmux.literal(CIRCUIT);
    tmux.wait_for("matches", LIMIT);
    tmux.keys(&["Enter"]);
    tmux.wait_for("GUARDED CHANGE", LIMIT);
    tmux.wait_for("verification passed", LIMIT);
    tmux.keys(&["R"]);
    tmux.wait_for("ROLLED BACK", LIMIT);
    tmux.keys(&["q"]);
    assert_eq!(wait_file(&status, LIMIT).trim(), "3");
    let evs = events(&journal);
    assert_eq!(count(&evs, "action_started"), 1);
    assert_eq!(count(&evs, "rollback_done"), 1);
    assert_eq!(peering_left(&evs), "Enabled");
}

#[test]
fn the_baseline_failover_is_measured_from_the_accepted_put_with_its_uncertainty() {
    let dir = tempfile::tempdir().expect("dir");
    let (out, journal) = drill(dir.path(), "baseline");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&journal);
    let failover: Vec<&Value> = evs
        .iter()
        .filter(|e| e["kind"] == "measurement" && e["step"] == "disable-private-peering")
        .collect();
    let names: Vec<&str> = failover.iter().filter_map(|e| e["name"].as_str()).collect();
    assert!(
        names.contains(&"failover.trace") && names.contains(&"failover.table"),
        "{names:?}"
    );
    for m in failover {
        let millis = m["millis"].as_u64().expect("millis");
        let uncertainty = m["uncertainty_ms"].as_u64().expect("an uncertainty");
        // The lab moves the path 1.5 s to 2.7 s after the accepted PUT
        // (BFD's 3 x 300 ms, then each CE's convergence, drawn between
        // 0.6 s and 1.8 s): hundreds of ms to a few seconds, never the few
        // ms from the end of ARM's operation to the next probe.
        assert!((100..=10_000).contains(&millis), "{m}");
        assert!(uncertainty <= millis, "{m}");
        assert!(
            millis - uncertainty <= 2_700 && 1_500 <= millis + 100,
            "{m}"
        );
        assert!(
            m["from"]
                .as_str()
                .is_some_and(|f| f.starts_with("PUT accepted (2")),
            "{m}"
        );
    }
    // The headless line shows the range.
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .lines()
            .any(|l| l.contains("measurement") && l.contains("failover.trace") && l.contains("–")),
        "{stdout}"
    );
    // And the report shows it too.
    let r = cutover(dir.path())
        .args(["report", "--format", "md"])
        .arg(&journal)
        .output()
        .expect("report");
    let md = String::from_utf8_lossy(&r.stdout);
    assert!(md.contains("failover.trace"), "{md}");
    assert!(md.contains("PUT accepted (2"), "{md}");
}
