//! The record is true, and a write in flight cannot fool the guard (issue
//! 18 items 1 and 5):
//! - through the real binary, a loopback proxy between the console and the
//!   lab's ARM API holds the console's disable PUT; the console is killed
//!   (SIGKILL) while it is held, then the PUT is forwarded. The detached
//!   guard's rollback re-asserts under the etag (the stale PUT meets 412),
//!   the peering is Enabled within 30 s, and the journal says what
//!   happened (`not_applied`: no write of the change was seen accepted);
//! - the journal reader merges the guard's sidecar in time order, marked
//!   as the guard's, its chain checked on its own.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Mutex, mpsc};

use cutover_core::session::event::{Event, NoteLevel};
use cutover_journal::{JournalReader, JournalWriter, RecordSource, Redactor, sidecar_path};
use cutover_lab::serve::{LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};

const TOKEN: &str = "guard-inflight-test-token";

/// What the proxy saw of the held PUT.
#[derive(Debug)]
enum Seen {
    /// The disable PUT arrived and is held.
    Held,
    /// ARM's answer to it, once forwarded (the status line).
    Answered(String),
}

/// A loopback proxy to `upstream` that holds the first PUT asking for
/// `Disabled` for `hold`, whatever becomes of its client meanwhile.
async fn proxy(
    upstream: std::net::SocketAddr,
    hold: Duration,
    seen: mpsc::UnboundedSender<Seen>,
) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let held_once = Arc::new(Mutex::new(false));
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let seen = seen.clone();
            let held_once = Arc::clone(&held_once);
            tokio::spawn(async move {
                let Ok(up) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut up_r, mut up_w) = up.into_split();
                // Answers flow back as they come; the first answer after
                // the held PUT went out is its answer.
                let (answered_tx, mut answered_rx) = mpsc::unbounded_channel::<()>();
                let (mut c_r, mut c_w) = client.into_split();
                let back_seen = seen.clone();
                let back = tokio::spawn(async move {
                    let mut chunk = [0u8; 8192];
                    let mut watching = false;
                    loop {
                        tokio::select! {
                            Some(()) = answered_rx.recv() => watching = true,
                            n = up_r.read(&mut chunk) => {
                                let n = match n { Ok(0) | Err(_) => break, Ok(n) => n };
                                if watching {
                                    let text = String::from_utf8_lossy(&chunk[..n]);
                                    let status = text.lines().next().unwrap_or_default().to_string();
                                    let _ = back_seen.send(Seen::Answered(status));
                                    watching = false;
                                }
                                // The client may be dead: its answer is lost.
                                let _ = c_w.write_all(&chunk[..n]).await;
                            }
                        }
                    }
                });
                let mut buf = Vec::new();
                while let Some(req) = read_request_half(&mut c_r, &mut buf).await {
                    let text = String::from_utf8_lossy(&req);
                    let disable = text.starts_with("PUT ") && text.contains("\"Disabled\"");
                    let hold_this = disable && {
                        let mut h = held_once.lock().await;
                        !std::mem::replace(&mut *h, true)
                    };
                    if hold_this {
                        let _ = seen.send(Seen::Held);
                        tokio::time::sleep(hold).await;
                        let _ = answered_tx.send(());
                    }
                    if up_w.write_all(&req).await.is_err() {
                        break;
                    }
                }
                // The client is gone: keep the upstream open until ARM has
                // answered what was sent.
                let _ = tokio::time::timeout(Duration::from_secs(20), back).await;
            });
        }
    });
    addr
}

/// One HTTP/1.1 request read whole (head and a `Content-Length` body);
/// `None` at the end of the stream.
async fn read_request_half(
    from: &mut tokio::net::tcp::OwnedReadHalf,
    buf: &mut Vec<u8>,
) -> Option<Vec<u8>> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let total = end + 4 + len;
            if buf.len() >= total {
                return Some(buf.drain(..total).collect());
            }
        }
        let mut chunk = [0u8; 8192];
        match from.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}

fn peering_state(lab: &cutover_lab::serve::LabHandle) -> Option<String> {
    lab.world()
        .with(|w, _| w.peering("AzurePrivatePeering").map(|p| p.state))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disable_put_held_while_the_console_is_killed_cannot_leave_the_peering_disabled() {
    let dir = tempfile::tempdir().expect("dir");
    let s = scenario::load_builtin("baseline", &Topology::article()).expect("scenario");
    let lab = start(
        LabOptions::new(s, dir.path().join("inventory.toml"), TOKEN)
            .with_time_scale(cutover_lab::TimeScale::TESTS),
    )
    .await
    .expect("the lab starts");
    let (seen_tx, mut seen) = mpsc::unbounded_channel();
    let via = proxy(lab.arm_addr(), Duration::from_secs(1), seen_tx).await;
    // The lab's inventory, its ARM endpoint the proxy.
    let inventory = dir.path().join("proxied.toml");
    let text = lab
        .inventory_text()
        .replace(&lab.arm_endpoint(), &format!("http://{via}"));
    assert!(text.contains(&via.to_string()), "{text}");
    std::fs::write(&inventory, text).expect("write the inventory");
    let journal = dir.path().join("session.jsonl");
    let mut console = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args([
            "run",
            "--headless",
            "--settle",
            "3s",
            "--deadline",
            "10m",
            "--inventory",
        ])
        .arg(&inventory)
        .arg("--journal")
        .arg(&journal)
        .env(TOKEN_ENV, TOKEN)
        .env("XDG_STATE_HOME", dir.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("cutover run starts");
    let input = console.stdin.take().expect("stdin");
    let output = console.stdout.take().expect("stdout");
    // Answers the gate; the session never gets further than the held PUT.
    let reader = tokio::task::spawn_blocking(move || {
        crate::run_guard::follow(
            input,
            output,
            "deadline_armed",
            true,
            Duration::from_secs(120),
        )
    });
    match tokio::time::timeout(Duration::from_secs(120), seen.recv()).await {
        Ok(Some(Seen::Held)) => {}
        other => panic!("the disable PUT never reached the proxy: {other:?}"),
    }
    console
        .kill()
        .expect("SIGKILL the console while its PUT is held");
    let _ = console.wait();
    let killed = std::time::Instant::now();
    let _ = reader.await;
    // The held PUT goes out 1 s after it arrived: ARM's answer.
    let answer = match tokio::time::timeout(Duration::from_secs(20), seen.recv()).await {
        Ok(Some(Seen::Answered(status))) => status,
        other => panic!("the held PUT was never answered: {other:?}"),
    };
    // 30 s after the kill (bounded wait): the journal closed, and the
    // peering Enabled after the stale PUT had its chance.
    let closed = journal.clone();
    let text = tokio::task::spawn_blocking(move || {
        crate::run_guard::wait_closed(&closed, Duration::from_secs(30))
    })
    .await
    .expect("journal reader");
    assert!(
        killed.elapsed() < Duration::from_secs(30),
        "{:?}",
        killed.elapsed()
    );
    assert_eq!(
        peering_state(&lab).as_deref(),
        Some("Enabled"),
        "held PUT: {answer}\n{text}"
    );
    // The stale PUT was refused: its etag was replaced by the guard's own
    // write (412), or that write's operation still ran (409).
    assert!(
        answer.contains(" 412 ") || answer.contains(" 409 "),
        "the held PUT was answered {answer}"
    );
    // What happened, in the journal: the guard took over, found the change
    // not applied (no write of it seen accepted), re-asserted and watched.
    let records = crate::run_guard::records(&text);
    let done = records
        .iter()
        .find(|r| r["kind"] == "rollback_done")
        .unwrap_or_else(|| panic!("no rollback_done:\n{text}"));
    assert_eq!(done["outcome"], "not_applied", "{done}");
    let end = records.last().expect("records");
    assert_eq!(end["kind"], "session_end", "{text}");
    let outcome = end["outcome"].as_str().unwrap_or_default();
    assert!(outcome.contains("not applied"), "{outcome}");
    assert!(!outcome.contains("rolled the change back"), "{outcome}");
    assert_eq!(crate::run_guard::verify(&journal), Some(0));
    lab.shutdown().await.expect("lab stops");
}

#[test]
fn the_reader_merges_the_guards_sidecar_in_time_order_marked_as_the_guards() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("s.jsonl");
    let redactor = Arc::new(Redactor::new());
    let start = |_: &str| crate::recorded_support::session_start("baseline");
    let note = |text: &str| Event::Note {
        step: None,
        level: NoteLevel::Info,
        text: text.into(),
    };
    let mut main = JournalWriter::create(&path, Arc::clone(&redactor)).expect("journal");
    main.append(&start("er-vpn-failover")).expect("append");
    main.append(&note("console 1")).expect("append");
    std::thread::sleep(Duration::from_millis(5));
    let mut side =
        JournalWriter::create(&sidecar_path(&path), Arc::clone(&redactor)).expect("sidecar");
    side.append(&start("cutover-guard")).expect("append");
    side.append(&note("guard 1")).expect("append");
    side.append(&note("guard 2")).expect("append");
    std::thread::sleep(Duration::from_millis(5));
    main.append(&note("console 2")).expect("append");
    main.append(&Event::SessionEnd {
        exit_code: 3,
        outcome: "rolled back".into(),
    })
    .expect("append");
    drop((main, side));

    let reader = JournalReader::open(&path).expect("open");
    let sidecar = reader.sidecar().expect("a sidecar").clone();
    let read: Vec<(String, RecordSource)> = reader
        .map(|r| {
            let r = r.expect("record");
            let what = match r.event() {
                Some(Event::Note { text, .. }) => text.clone(),
                _ => r.kind().to_string(),
            };
            (what, r.source)
        })
        .collect();
    use RecordSource::{GuardSidecar as G, Journal as J};
    assert_eq!(
        read,
        [
            ("session_start".to_string(), J),
            ("console 1".into(), J),
            ("guard 1".into(), G),
            ("guard 2".into(), G),
            ("console 2".into(), J),
            ("session_end".into(), J),
        ]
    );
    assert_eq!(sidecar.merged, 2);
    // The session's own chain is untouched by the merge.
    assert_eq!(
        cutover_journal::verify(&path).expect("verify").exit_code(),
        0
    );

    // A sidecar edited by hand is merged only up to its break.
    let side_path = sidecar_path(&path);
    let forged = std::fs::read_to_string(&side_path)
        .expect("read")
        .replace("guard 2", "guard 2!");
    std::fs::write(&side_path, forged).expect("write");
    let reader = JournalReader::open(&path).expect("open");
    let sidecar = reader.sidecar().expect("a sidecar").clone();
    let guards: Vec<String> = reader
        .filter_map(Result::ok)
        .filter(|r| r.source == RecordSource::GuardSidecar)
        .filter_map(|r| match r.event() {
            Some(Event::Note { text, .. }) => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(guards, ["guard 1"]);
    assert_ne!(sidecar.integrity.expect("a journal").exit_code(), 0);
}

/// A frozen console (SIGSTOP): the guard hears nothing past the deadline
/// and its grace, rolls back, and the console then resumes and resolves
/// the change itself. The guard's events are not dropped: they go to its
/// sidecar, and the session's journal read back shows them, marked as
/// the guard's.
#[tokio::test(start_paused = true)]
async fn a_frozen_consoles_guard_keeps_its_rollback_in_the_sidecar_and_the_reader_shows_it() {
    use crate::engine_support::Net;
    use cutover_core::model::azure::PeeringState;

    let dir = tempfile::tempdir().expect("dir");
    let journal = crate::engine_detached::journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let mut guard = crate::guard_escalate::GuardUnderTest::start(
        &net,
        journal.clone(),
        Duration::from_secs(600),
    );
    assert_eq!(guard.hear().await, "ready");
    // Frozen: nothing said past the deadline (10 s) and the grace (30 s),
    // then long enough for the rollback and its settle window.
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    // Resumed: the console resolves the change itself.
    guard.say("resolved").await;
    let end = guard.task.await.expect("guard");
    assert_eq!(end, cutover_engine::detached::GuardEnd::Released);
    assert!(sidecar_path(&journal).exists(), "no sidecar");
    let guards: Vec<String> = JournalReader::open(&journal)
        .expect("open")
        .filter_map(Result::ok)
        .filter(|r| r.source == RecordSource::GuardSidecar)
        .map(|r| r.kind().to_string())
        .collect();
    for kind in ["rollback_started", "rollback_settling", "rollback_done"] {
        assert!(
            guards.iter().any(|k| k == kind),
            "{kind} missing: {guards:?}"
        );
    }
    // Chain-checked on its own: intact, not closed (the console closes
    // the session in its own journal).
    let side = cutover_journal::verify(&sidecar_path(&journal)).expect("a journal");
    assert!(side.first_bad_seq().is_none(), "{side:?}");
    // The report reads through the reader: the guard's rollback is in it,
    // said to be the guard's.
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .arg("report")
        .arg(&journal)
        .args(["--format", "json"])
        .output()
        .expect("report");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("rollback done") && text.contains("detached guard's sidecar journal"),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The console's journal cut short by a failed write (a torn last line):
/// the guard wrote to its sidecar, closed it, and the reader gives every
/// guard record and the guard's `session_end` before the torn line.
#[test]
fn a_torn_journal_is_read_with_the_guards_sidecar_and_its_end_first() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("t.jsonl");
    let redactor = Arc::new(Redactor::new());
    let mut main = JournalWriter::create(&path, Arc::clone(&redactor)).expect("journal");
    main.append(&crate::recorded_support::session_start("baseline"))
        .expect("append");
    drop(main);
    std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .and_then(|mut f| f.write_all(b"{\"seq\":1,\"ts\":\"2026-"))
        .expect("tear");
    std::thread::sleep(Duration::from_millis(5));
    let mut side =
        JournalWriter::create(&sidecar_path(&path), Arc::clone(&redactor)).expect("sidecar");
    side.append(&crate::recorded_support::session_start("baseline"))
        .expect("append");
    side.append(&Event::Note {
        step: None,
        level: NoteLevel::Warn,
        text: "guard".into(),
    })
    .expect("append");
    side.append(&Event::SessionEnd {
        exit_code: 3,
        outcome: "the detached guard rolled the change back".into(),
    })
    .expect("append");
    drop(side);
    let read: Vec<Result<(String, RecordSource), String>> = JournalReader::open(&path)
        .expect("open")
        .map(|r| {
            r.map(|r| (r.kind().to_string(), r.source))
                .map_err(|e| e.to_string())
        })
        .collect();
    assert_eq!(read.len(), 4, "{read:?}");
    assert_eq!(read[0], Ok(("session_start".into(), RecordSource::Journal)));
    assert_eq!(read[1], Ok(("note".into(), RecordSource::GuardSidecar)));
    assert_eq!(
        read[2],
        Ok(("session_end".into(), RecordSource::GuardSidecar))
    );
    assert!(read[3].is_err(), "{read:?}");
}

/// A journal that fails after the change went out (a full disk): the
/// change is rolled back because nothing could be recorded, and the
/// session says so, not that a verification failed.
#[tokio::test(start_paused = true)]
async fn a_rollback_for_a_failed_journal_is_not_called_a_failed_verification() {
    use crate::engine_support::*;
    use cutover_core::model::azure::PeeringState;
    let net = Net::new();
    net.with(|n| n.journal_fails_at = Some("deadline_armed"));
    let run = run_session(failover_runbook(), net, config(), operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 3, "{}", run.outcome.outcome);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    let outcome = &run.outcome.outcome;
    assert!(
        outcome.contains("the journal could not record the change"),
        "{outcome}"
    );
    assert!(!outcome.contains("verification"), "{outcome}");
}
