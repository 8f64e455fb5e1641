//! Nothing is left stranded, through the real binary against a lab on
//! 127.0.0.1: a peering disabled behind cutover's back (a plain PUT on the
//! lab's ARM API) stops `cutover run` before any write, naming the
//! Disabled peering and `cutover restore`; `cutover restore` enables it
//! again through the same ARM client and verifies the path; on a peering
//! that is Enabled, `restore` changes and writes nothing. `run` also names
//! a journal left unclosed in the state directory. A detached guard killed
//! during the change is replaced, and the replacement rolls the change back
//! when the console is killed in turn.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cutover_core::model::azure::{ExpressRouteCircuitPeering, PeeringState};
use cutover_lab::serve::{LabHandle, LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};

pub(crate) const TOKEN: &str = "restore-cli-test-token";
const API: &str = "2024-05-01";

fn peering_state(lab: &LabHandle) -> Option<String> {
    lab.world()
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state))
}

/// PUTs the lab accepted so far.
fn accepted_puts(lab: &LabHandle) -> usize {
    lab.world().with(|w, _| {
        w.log_entries()
            .iter()
            .filter(|e| e.what.starts_with("ARM accepted the PUT"))
            .count()
    })
}

pub(crate) async fn lab(dir: &Path) -> LabHandle {
    let s = scenario::load_builtin("baseline", &Topology::article()).expect("scenario");
    start(
        LabOptions::new(s, dir.join("inventory.toml"), TOKEN)
            .with_time_scale(cutover_lab::TimeScale::TESTS),
    )
    .await
    .expect("the lab starts")
}

/// What someone else does: GET the private peering, PUT it back Disabled
/// under its etag, straight on the lab's ARM API.
pub(crate) async fn disable_behind_the_back(lab: &LabHandle) {
    let az = lab.inventory().azure.clone().expect("[azure]");
    let url = format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/expressRouteCircuits/{}/peerings/AzurePrivatePeering?api-version={API}",
        lab.arm_endpoint(),
        az.subscription,
        az.resource_group,
        az.circuit
    );
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let got = http.get(&url).bearer_auth(TOKEN).send().await.expect("GET");
    assert!(got.status().is_success(), "GET {}", got.status());
    let peering: ExpressRouteCircuitPeering = got.json().await.expect("peering");
    let etag = peering.etag.clone().expect("etag");
    let put = http
        .put(&url)
        .bearer_auth(TOKEN)
        .header("If-Match", etag)
        .json(&peering.to_put_body(PeeringState::Disabled))
        .send()
        .await
        .expect("PUT");
    assert!(put.status().is_success(), "PUT {}", put.status());
    assert_eq!(peering_state(lab).as_deref(), Some("Disabled"));
}

fn cutover(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("cutover"));
    c.args(args)
        .env(TOKEN_ENV, TOKEN)
        .env("XDG_STATE_HOME", dir)
        .env_remove("CUTOVER_LOG")
        .stdin(Stdio::null());
    c
}

async fn output(mut c: Command) -> Output {
    let out = tokio::task::spawn_blocking(move || c.output().expect("cutover runs"));
    tokio::time::timeout(Duration::from_secs(240), out)
        .await
        .expect("cutover ends in time")
        .expect("join")
}

fn kinds(journal: &Path) -> Vec<String> {
    std::fs::read_to_string(journal)
        .expect("journal")
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["kind"].as_str().unwrap_or_default().to_string()
        })
        .collect()
}

/// A journal the state directory keeps from a console that was killed.
fn leave_unclosed_journal(dir: &Path) -> std::path::PathBuf {
    let sessions = dir.join("cutover").join("sessions");
    std::fs::create_dir_all(&sessions).expect("sessions dir");
    let p = sessions.join("20260101T000000Z-er-vpn-failover-0badc0de.jsonl");
    let mut w = cutover_journal::JournalWriter::create(
        &p,
        std::sync::Arc::new(cutover_journal::Redactor::new()),
    )
    .expect("journal");
    w.append(&cutover_core::session::Event::SessionStart {
        session_id: "0badc0de-0000-4000-8000-000000000000".into(),
        mode: cutover_core::session::event::Mode::Run,
        runbook_id: "er-vpn-failover".into(),
        runbook_title: "t".into(),
        runbook_sha256: String::new(),
        operator: "op".into(),
        ticket: None,
        key_fingerprint: None,
        scenario: None,
        steps: Vec::new(),
        version: "0".into(),
    })
    .expect("append");
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peering_disabled_behind_the_back_stops_run_and_restore_brings_it_back() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path()).await;
    let unclosed = leave_unclosed_journal(dir.path());
    disable_behind_the_back(&lab).await;
    let puts = accepted_puts(&lab);
    let inventory = lab
        .inventory_path()
        .to_str()
        .expect("utf-8 path")
        .to_string();

    // `run` refuses before any write, and says why and what to do.
    let journal = dir.path().join("run.jsonl");
    let run = output(cutover(
        dir.path(),
        &[
            "run",
            "--headless",
            "--inventory",
            &inventory,
            "--journal",
            journal.to_str().expect("utf-8"),
        ],
    ))
    .await;
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("REFUSED: AzurePrivatePeering is Disabled"),
        "{stdout}"
    );
    assert!(stdout.contains("cutover restore --inventory"), "{stdout}");
    // The journal left by the killed console is named, with its last seq.
    assert!(
        stdout.contains(&format!("UNCLOSED JOURNAL {}", unclosed.display())),
        "{stdout}"
    );
    assert!(stdout.contains("last seq 0 (session_start"), "{stdout}");
    let k = kinds(&journal);
    assert!(
        !k.iter().any(|k| k == "action_started" || k == "probe"),
        "{k:?}"
    );
    assert!(k.iter().any(|k| k == "peering_preflight"), "{k:?}");
    assert_eq!(k.last().map(String::as_str), Some("session_end"));
    assert_eq!(accepted_puts(&lab), puts, "run wrote nothing");
    assert_eq!(peering_state(&lab).as_deref(), Some("Disabled"));

    // `restore` enables it (through any 409 of the operation still running)
    // and proves the path is back.
    let journal = dir.path().join("restore.jsonl");
    let restore = output(cutover(
        dir.path(),
        &[
            "restore",
            "--headless",
            "--yes",
            "--inventory",
            &inventory,
            "--journal",
            journal.to_str().expect("utf-8"),
        ],
    ))
    .await;
    let stdout = String::from_utf8_lossy(&restore.stdout);
    assert_eq!(
        restore.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    assert_eq!(peering_state(&lab).as_deref(), Some("Enabled"));
    let k = kinds(&journal);
    for want in [
        "action_started",
        "verified",
        "confirm_healthy",
        "session_end",
    ] {
        assert!(k.iter().any(|k| k == want), "{want} in {k:?}");
    }
    let verify = output(cutover(
        dir.path(),
        &["verify", journal.to_str().expect("utf-8")],
    ))
    .await;
    assert_eq!(verify.status.code(), Some(0));
    let text = std::fs::read_to_string(&journal).expect("journal");
    assert!(!text.contains(TOKEN), "the token never reaches the journal");
    lab.shutdown().await.expect("lab stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_of_an_enabled_peering_changes_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path()).await;
    let inventory = lab
        .inventory_path()
        .to_str()
        .expect("utf-8 path")
        .to_string();
    let journal = dir.path().join("restore.jsonl");
    let restore = output(cutover(
        dir.path(),
        &[
            "restore",
            "--headless",
            "--yes",
            "--inventory",
            &inventory,
            "--journal",
            journal.to_str().expect("utf-8"),
        ],
    ))
    .await;
    let stdout = String::from_utf8_lossy(&restore.stdout);
    assert_eq!(restore.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "AzurePrivatePeering is Enabled (provisioningState Succeeded): nothing to restore"
        ),
        "{stdout}"
    );
    assert_eq!(accepted_puts(&lab), 0, "no PUT");
    assert!(!journal.exists(), "no journal");
    assert!(
        !dir.path().join("cutover").join("sessions").exists(),
        "nothing in the state directory either"
    );
    lab.shutdown().await.expect("lab stops");
}

#[test]
fn restore_yes_needs_headless() {
    let dir = tempfile::tempdir().expect("dir");
    let out = cutover(dir.path(), &["restore", "--yes", "--inventory", "x.toml"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}

/// The processes whose parent is `pid` (the console's detached guards).
fn children(pid: u32) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(Result::ok)
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|p| {
            std::fs::read_to_string(format!("/proc/{p}/stat"))
                .ok()
                .and_then(|st| {
                    // `pid (comm) state ppid ...`; comm may hold spaces.
                    let rest = &st[st.rfind(')')? + 1..];
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|st| {
        !st.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

async fn until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_guard_is_replaced_and_its_replacement_covers_a_killed_console() {
    let dir = tempfile::tempdir().expect("dir");
    let lab = lab(dir.path()).await;
    let journal = dir.path().join("session.jsonl");
    let mut c = cutover(
        dir.path(),
        &["run", "--headless", "--settle", "2s", "--deadline", "10m"],
    );
    c.arg("--inventory")
        .arg(lab.inventory_path())
        .arg("--journal")
        .arg(&journal)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let mut console = c.spawn().expect("cutover run starts");
    let mut input = console.stdin.take().expect("stdin");
    let stdout = console.stdout.take().expect("stdout");
    // Read every line (the console must never block on a full pipe), and
    // answer the gate; the input stays open so the console stays.
    let lines: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&lines);
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if line.contains(" gate_prompt ") {
                let _ = writeln!(input, "SEA-Cust11-ER");
            }
            seen.lock().expect("lock").push(line);
        }
        input
    });
    let has = |what: &str| lines.lock().expect("lock").iter().any(|l| l.contains(what));
    let text = || lines.lock().expect("lock").join("\n");

    until("the countdown", Duration::from_secs(120), || {
        has(" deadline_armed ")
    })
    .await;
    let first = children(console.id());
    assert_eq!(first.len(), 1, "one guard: {first:?}\n{}", text());
    let killed_at = Instant::now();
    Command::new("kill")
        .args(["-9", &first[0].to_string()])
        .status()
        .expect("kill the guard");

    until("guard_rearmed", Duration::from_secs(30), || {
        has(" guard_rearmed ")
    })
    .await;
    // The console checks every monitor period (5 s in the bundled runbook).
    assert!(
        killed_at.elapsed() < Duration::from_secs(10),
        "seen {:?} after the kill",
        killed_at.elapsed()
    );
    assert!(
        has("DETACHED GUARD LOST: the guard process exited"),
        "{}",
        text()
    );
    assert!(has("a new detached guard watches the change"), "{}", text());
    let second = children(console.id());
    assert_eq!(second.len(), 1, "one guard again: {second:?}");
    assert_ne!(second, first);
    assert_eq!(peering_state(&lab).as_deref(), Some("Disabled"));

    // The console dies too: the replacement undoes the change and closes
    // the journal.
    console.kill().expect("SIGKILL the console");
    let _ = console.wait();
    until("the peering enabled again", Duration::from_secs(90), || {
        peering_state(&lab).as_deref() == Some("Enabled")
    })
    .await;
    until("the journal closed", Duration::from_secs(30), || {
        kinds(&journal).last().map(String::as_str) == Some("session_end")
    })
    .await;
    let k = kinds(&journal);
    for want in ["guard_lost", "guard_rearmed", "rollback_done"] {
        assert!(k.iter().any(|k| k == want), "{want} in {k:?}");
    }
    let verify = output(cutover(
        dir.path(),
        &["verify", journal.to_str().expect("utf-8")],
    ))
    .await;
    assert_eq!(verify.status.code(), Some(0));
    until(
        "the replacement guard gone",
        Duration::from_secs(30),
        || !alive(second[0]),
    )
    .await;
    drop(reader);
    lab.shutdown().await.expect("lab stops");
}

fn report(dir: &Path, journal: &Path, format: &str) -> String {
    let out = Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(["report"])
        .arg(journal)
        .args(["--format", format])
        .env("XDG_STATE_HOME", dir)
        .output()
        .expect("cutover report");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_report_names_a_refused_start_and_a_replaced_guard() {
    use crate::recorded_support::{session_end, session_start, successful_failover, write_journal};
    use cutover_core::session::Event;
    let dir = tempfile::tempdir().expect("dir");

    let refused = write_journal(
        dir.path(),
        "refused.jsonl",
        &[
            session_start("baseline"),
            Event::PeeringPreflight {
                target: "SEA-Cust11/SEA-Cust11-ER/AzurePrivatePeering".into(),
                state: Some("Disabled".into()),
                provisioning_state: Some("Succeeded".into()),
                ok: false,
                detail: "AzurePrivatePeering is Disabled (provisioningState Succeeded)".into(),
                remedy: Some("run `cutover restore --inventory site.toml` to enable it".into()),
                ids: None,
            },
            session_end(1, "refused to start: AzurePrivatePeering is Disabled"),
        ],
    );
    let md = report(dir.path(), &refused, "md");
    assert!(
        md.contains(
            "refused to start: AzurePrivatePeering is Disabled (provisioningState Succeeded); run"
        ),
        "{md}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&report(dir.path(), &refused, "json")).expect("json");
    let marks: Vec<&str> = json["timeline"]
        .as_array()
        .expect("timeline")
        .iter()
        .filter_map(|m| m["kind"].as_str())
        .collect();
    assert!(marks.contains(&"preflight"), "{marks:?}");

    let mut events = Vec::new();
    for e in successful_failover() {
        let armed =
            matches!(&e, Event::DeadlineArmed { step, .. } if step == "disable-private-peering");
        events.push(e);
        if armed {
            events.push(Event::GuardLost {
                step: "disable-private-peering".into(),
                detail: "the guard process exited (signal: 9 (SIGKILL))".into(),
            });
            events.push(Event::GuardRearmed {
                step: "disable-private-peering".into(),
                ok: true,
                detail: "the deadline is unchanged (594 s left)".into(),
            });
        }
    }
    let j = write_journal(dir.path(), "rearmed.jsonl", &events);
    let md = report(dir.path(), &j, "md");
    assert!(
        md.contains("the detached guard died: the guard process exited (signal: 9 (SIGKILL))"),
        "{md}"
    );
    assert!(md.contains("a new detached guard was armed"), "{md}");
}
