//! `cutover replay`: a journal folded back into the console's state, the
//! interactive player without a terminal, the headless text, and the
//! asciicast export, through the library and the real binary.

use std::path::Path;

use crate::recorded_support::*;
use assert_cmd::Command;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use cutover_core::azure_call::{ArmAttempt, ManualCommands, RequestIds};
use cutover_core::session::Event;
use cutover_core::session::event::{
    GateDecision, Mode, NoteLevel, RollbackReason, StepInfo, Verdict,
};
use cutover_core::session::state::SessionState;
use cutover_journal::JournalReader;
use cutover_tui::replay::console::{Flow, Player};
use cutover_tui::replay::{self, Recording};
use cutover_tui::{Theme, render_to_string};
use proptest::prelude::*;
use serde_json::Value;

fn cutover() -> Command {
    Command::cargo_bin("cutover").expect("binary")
}

fn replay_cmd(journal: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = cutover()
        .arg("replay")
        .arg(journal)
        .args(extra)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

/// What the state holds, compared as text: `SessionState` has no
/// `PartialEq` (its tables are shared `Arc`s); its `Debug` form lists
/// every field, values included.
fn fingerprint(s: &SessionState) -> String {
    format!("{s:?}")
}

fn fold_events(rec: &Recording, events: &[Event]) -> SessionState {
    let mut s = SessionState::with_classifier(rec.classifier.clone());
    // Each at the time its record was written, as a replay knows it.
    for (e, r) in events.iter().zip(&rec.records) {
        s.apply_at(e, r.ts);
    }
    s
}

// ---------------------------------------------------------------- folding

#[test]
fn replaying_a_journal_rebuilds_the_session_the_console_saw() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = successful_failover();
    let j = write_journal(dir.path(), "ok.jsonl", &events);
    let rec = Recording::open(&j, None).expect("opens");
    assert_eq!(rec.records.len(), events.len());
    let state = replay::fold(&rec);
    assert_eq!(
        fingerprint(&state),
        fingerprint(&fold_events(&rec, &events))
    );
    assert_eq!(state.end.as_ref().map(|e| e.exit_code), Some(0));
    assert_eq!(state.guards.len(), 2);
    assert!(state.guards[0].confirmed);
    // The path rules came from the bundled runbook: the trace reads as
    // ExpressRoute again after the failback.
    let t = &state.live.traces[0];
    assert_eq!(
        t.latest_class.kind,
        cutover_core::model::path::PathKind::ExpressRoute
    );
    assert_eq!(t.kind_changes, 2);
}

fn step_ids() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "fw-prefers-er-for-hub",
        "trace-before-failover",
        "confirm-failover",
        "disable-private-peering",
        "monitor",
        "unannounced-step",
    ])
    .prop_map(str::to_string)
}

/// Text that no redaction rule touches, so the journal keeps it as is.
fn words() -> impl Strategy<Value = String> {
    "[a-z0-9 ./:-]{0,24}"
}

/// (device, query, command, raw): real outputs, and text that no parser
/// reads.
fn probe_output() -> impl Strategy<Value = (String, String, String, String)> {
    let table = |raw: String| {
        (
            "fw".to_string(),
            "route.table".to_string(),
            TABLE_CMD.to_string(),
            raw,
        )
    };
    let trace = |raw: String| {
        (
            "server".to_string(),
            "trace".to_string(),
            TRACE_CMD.to_string(),
            raw,
        )
    };
    prop_oneof![
        Just(table(fw_table_er())),
        Just(table(FW_TABLE_VPN.to_string())),
        Just(trace(trace_er())),
        Just(trace(trace_vpn())),
        words().prop_map(table),
        words().prop_map(trace),
        words().prop_map(|w| (
            "ce1".to_string(),
            "bgp.summary".to_string(),
            "show bgp summary".to_string(),
            w
        )),
    ]
}

fn attempt_strategy() -> impl Strategy<Value = ArmAttempt> {
    (prop::sample::select(vec![200u16, 409, 429, 500]), words()).prop_map(|(status, id)| {
        ArmAttempt {
            method: "PUT".into(),
            path: "/subscriptions/x/peerings/AzurePrivatePeering".into(),
            status,
            error_code: (status != 200).then(|| "Conflict".into()),
            retry_after_ms: (status == 429).then_some(1000),
            ids: RequestIds {
                client_request_id: None,
                request_id: Some(id),
                correlation_id: None,
            },
            write: None,
        }
    })
}

fn manual_words() -> ManualCommands {
    ManualCommands {
        az_cli: "az network express-route peering update --set state=Enabled".into(),
        powershell: "Set-AzExpressRouteCircuit".into(),
    }
}

/// Any event but `session_start` and `session_end`.
fn middle_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        step_ids().prop_map(|step| Event::StepStart { step }),
        (
            step_ids(),
            prop::sample::select(vec![
                Verdict::Passed,
                Verdict::Failed,
                Verdict::Overridden,
                Verdict::Skipped
            ]),
            0u64..100_000
        )
            .prop_map(|(step, verdict, elapsed_ms)| Event::StepEnd {
                step,
                verdict,
                elapsed_ms
            }),
        (step_ids(), probe_output(), any::<bool>()).prop_map(
            |(step, (device, query, command, raw), failed)| {
                Event::Probe {
                    step,
                    device,
                    query,
                    command,
                    raw: (!failed).then_some(raw),
                    error: failed.then(|| "connection reset".to_string()),
                    parsed: None,
                    elapsed_ms: 10,
                    ids: None,
                }
            }
        ),
        (step_ids(), words(), any::<bool>(), words()).prop_map(
            |(step, clause, passed, evidence)| {
                Event::Expectation {
                    step,
                    clause,
                    passed,
                    evidence,
                }
            }
        ),
        (step_ids(), prop::collection::vec(words(), 0..3)).prop_map(|(step, failed_checks)| {
            Event::GatePrompt {
                step,
                prompt: "Disable the private peering?".into(),
                confirm_text: CIRCUIT.into(),
                failed_checks,
                hazards: vec![],
            }
        }),
        (step_ids(), words(), 0u8..3).prop_map(|(step, reason, which)| Event::GateDecision {
            step,
            decision: match which {
                0 => GateDecision::Confirmed,
                1 => GateDecision::Declined,
                _ => GateDecision::Override {
                    reason,
                    failed_checks: vec!["fw-prefers-er-for-hub".into()],
                    hazards: vec![],
                },
            },
        }),
        step_ids().prop_map(|step| Event::ActionStarted {
            step,
            op: "azure.peering.disable".into(),
            target: CIRCUIT.into(),
            manual: manual_words(),
        }),
        (step_ids(), attempt_strategy())
            .prop_map(|(step, attempt)| Event::ActionAttempt { step, attempt }),
        (step_ids(), any::<bool>(), words()).prop_map(|(step, ok, detail)| Event::ActionDone {
            step,
            op: "azure.peering.disable".into(),
            ok,
            detail,
        }),
        (step_ids(), 1u64..3600).prop_map(|(step, seconds)| Event::DeadlineArmed {
            step,
            seconds,
            expires_at: "2026-11-20T02:10:40.000Z".into(),
        }),
        (step_ids(), words(), any::<bool>(), words(), 0u64..60_000).prop_map(
            |(step, clause, passed, evidence, elapsed_ms)| Event::VerifyResult {
                step,
                clause,
                passed,
                evidence,
                elapsed_ms,
            }
        ),
        step_ids().prop_map(|step| Event::ConfirmHealthy { step }),
        (
            step_ids(),
            prop::sample::select(vec![
                RollbackReason::DeadlinePassed,
                RollbackReason::VerificationFailed,
                RollbackReason::Operator,
                RollbackReason::ConsoleLost
            ])
        )
            .prop_map(|(step, reason)| Event::RollbackStarted {
                step,
                reason,
                op: "azure.peering.enable".into(),
            }),
        (step_ids(), words()).prop_map(|(step, detail)| Event::RollbackDone {
            step,
            detail,
            outcome: None,
            reasserts: 0,
        }),
        (step_ids(), words()).prop_map(|(step, error)| Event::RollbackFailed {
            step,
            error,
            manual: manual_words(),
        }),
        (prop::option::of(step_ids()), words()).prop_map(|(step, text)| Event::Note {
            step,
            level: NoteLevel::Warn,
            text,
        }),
        (step_ids(), 0u64..100_000).prop_map(|(step, millis)| Event::Measurement {
            step,
            name: "failover".into(),
            millis,
            uncertainty_ms: None,
            from: None,
            to: None,
        }),
    ]
}

fn session() -> impl Strategy<Value = Vec<Event>> {
    (
        prop::collection::vec(middle_event(), 0..40),
        prop::option::of((0u8..5, words())),
    )
        .prop_map(|(middle, end)| {
            let mut v = vec![Event::SessionStart {
                session_id: "prop".into(),
                mode: Mode::Drill,
                runbook_id: "er-vpn-failover".into(),
                runbook_title: "property".into(),
                runbook_sha256: bundled_sha(),
                operator: "op".into(),
                ticket: None,
                key_fingerprint: None,
                scenario: None,
                steps: vec![StepInfo {
                    id: "fw-prefers-er-for-hub".into(),
                    title: "fw".into(),
                    phase: "1".into(),
                    kind: "check".into(),
                }],
                version: "0.1.0".into(),
            }];
            v.extend(middle);
            if let Some((exit_code, outcome)) = end {
                v.push(Event::SessionEnd { exit_code, outcome });
            }
            v
        })
}

proptest! {
    // Each case writes and fsyncs a journal: fewer cases than the default.
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Issue 7, item 5: folding the journal's records gives the state that
    /// folding the engine's events gave, whatever the events were.
    #[test]
    fn folding_the_journal_equals_folding_the_events(events in session()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let j = write_journal(dir.path(), "p.jsonl", &events);
        let rec = Recording::open(&j, None).expect("opens");
        prop_assert_eq!(rec.records.len(), events.len());
        prop_assert_eq!(
            fingerprint(&replay::fold(&rec)),
            fingerprint(&fold_events(&rec, &events))
        );
        // And a replay stopped at any record shows the state of the first
        // events up to it: stepping back rebuilds the same state.
        let n = events.len() / 2;
        let mut player = Player::new(&rec, Theme::dark(), 0.0);
        for _ in 0..events.len() { player.forward(); }
        player.seek(n);
        prop_assert_eq!(
            fingerprint(&player.app.state),
            fingerprint(&fold_events(&rec, &events[..n]))
        );
    }
}

// ---------------------------------------------------------------- player

#[test]
fn stepping_back_and_forward_in_the_player() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = successful_failover();
    let j = write_journal(dir.path(), "ok.jsonl", &events);
    let rec = Recording::open(&j, None).expect("opens");
    let mut p = Player::new(&rec, Theme::dark(), 1.0);
    assert!(p.is_playing());
    for _ in 0..10 {
        assert!(p.forward());
    }
    assert_eq!(p.cursor(), 10);
    let at_ten = fingerprint(&p.app.state);

    // Space pauses; → one record forward; ← one back, to the same state.
    assert_eq!(p.key(key(KeyCode::Char(' '))), Flow::Continue);
    assert!(!p.is_playing());
    p.key(key(KeyCode::Right));
    assert_eq!(p.cursor(), 11);
    assert_ne!(fingerprint(&p.app.state), at_ten);
    p.key(key(KeyCode::Left));
    assert_eq!(p.cursor(), 10);
    assert_eq!(fingerprint(&p.app.state), at_ten);
    for _ in 0..20 {
        p.key(key(KeyCode::Left));
    }
    assert_eq!(p.cursor(), 0);
    assert!(p.app.state.session.is_none());
    p.key(key(KeyCode::Char(' ')));
    assert!(p.is_playing());

    // Speed keys.
    p.key(key(KeyCode::Char('+')));
    assert_eq!(p.speed(), 2.0);
    p.key(key(KeyCode::Char('-')));
    p.key(key(KeyCode::Char('-')));
    assert_eq!(p.speed(), 0.5);

    // To the end; the status says where the replay is.
    while p.forward() {}
    assert!(p.at_end() && !p.is_playing());
    let status = p.status();
    assert!(
        status.starts_with(&format!("record {n}/{n} ", n = events.len())),
        "{status}"
    );
    assert!(status.contains(" end "), "{status}");

    // q leaves a replay at once.
    assert_eq!(p.key(key(KeyCode::Char('q'))), Flow::Quit);
}

#[test]
fn replay_waits_as_the_journal_did_capped_and_scaled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut events = timed(successful_failover());
    // The operator thinks for ten minutes before confirming.
    let confirm = events
        .iter()
        .position(|(_, e)| matches!(e, Event::ConfirmHealthy { .. }))
        .expect("confirm");
    for (t, _) in &mut events[confirm..] {
        *t += 600_000;
    }
    let j = write_journal_at(dir.path(), "timed.jsonl", &events);
    let rec = Recording::open(&j, None).expect("opens");
    let mut p = Player::new(&rec, Theme::dark(), 2.0);
    p.forward();
    assert_eq!(p.wait_next(), Some(std::time::Duration::from_millis(250)));
    while p.cursor() < confirm {
        p.forward();
    }
    assert_eq!(
        p.wait_next(),
        Some(std::time::Duration::from_secs(1)),
        "2 s cap at speed 2"
    );
    let fast = Player::new(&rec, Theme::dark(), 0.0);
    assert_eq!(fast.wait_next(), Some(std::time::Duration::ZERO));
}

#[test]
fn a_replay_never_offers_the_gate_or_the_guard() {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = successful_failover();
    let j = write_journal(dir.path(), "ok.jsonl", &events);
    let rec = Recording::open(&j, None).expect("opens");
    let mut p = Player::new(&rec, Theme::dark(), 1.0);
    // Up to the open gate.
    let prompt = events
        .iter()
        .position(|e| matches!(e, Event::GatePrompt { .. }))
        .expect("gate prompt");
    p.seek(prompt + 1);
    assert!(p.app.state.open_gate().is_some());
    assert!(p.app.gate.is_none(), "no gate input in a replay");
    let screen = render_to_string(&p.app, 120, 36);
    // The popup's title and its input line would say so; the step's why
    // text ("Type the circuit name to confirm.") is fine to show.
    assert!(
        !screen.contains("GATE ·") && !screen.contains(" to confirm:"),
        "no confirmation field:\n{screen}"
    );
    // Up to the armed guard: `h` and `R` do nothing.
    let armed = events
        .iter()
        .position(|e| matches!(e, Event::DeadlineArmed { .. }))
        .expect("deadline");
    p.seek(armed + 1);
    assert!(p.app.state.armed_guard().is_some());
    p.key(key(KeyCode::Char('h')));
    assert!(p.app.confirm.is_none(), "no healthy? question in a replay");
    p.key(key(KeyCode::Char('R')));
    assert!(
        p.app.guard_request.is_none(),
        "nothing is sent from a replay"
    );
    let screen = render_to_string(&p.app, 120, 36);
    assert!(
        screen.contains("REPLAY") || screen.contains("GUARD"),
        "{screen}"
    );
    assert!(screen.contains(OPERATOR), "{screen}");
}

// ---------------------------------------------------------------- headless

/// The drill's journal with fixed times, so the text is the same on every
/// run.
fn timed_journal(dir: &Path, events: Vec<Event>) -> std::path::PathBuf {
    write_journal_at(dir, "timed.jsonl", &timed(events))
}

#[test]
fn headless_replay_prints_the_session_as_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = timed_journal(dir.path(), successful_failover());
    let (code, out, err) = replay_cmd(&j, &["--headless"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), successful_failover().len(), "{out}");
    insta::assert_snapshot!("headless_successful_failover", out);
}

#[test]
fn headless_replay_of_a_rollback() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = timed_journal(dir.path(), rolled_back());
    let (code, out, err) = replay_cmd(&j, &["--headless"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("headless_rolled_back", out);
}

#[test]
fn unknown_record_kinds_are_listed_not_dropped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    // A record of a kind a newer version writes, chained properly.
    let records = JournalReader::open(&j)
        .expect("open")
        .read_all()
        .expect("read");
    let last = records.last().expect("records");
    let mut body = serde_json::Map::new();
    body.insert("kind".into(), Value::from("hologram"));
    body.insert("what".into(), Value::from("from the future"));
    let mut text = std::fs::read_to_string(&j).expect("read");
    // Insert before session_end: rewrite the tail with new seqs.
    let lines: Vec<&str> = text.lines().collect();
    let keep = lines.len() - 1;
    let prev = &records[keep - 1];
    let enc = cutover_journal::line::encode(prev.seq + 1, &prev.ts_text(), &body, &prev.hash)
        .expect("encode");
    let end_event = last.event().expect("session_end").clone();
    let end =
        cutover_journal::line::encode_event(prev.seq + 2, &last.ts_text(), &end_event, &enc.hash)
            .expect("encode");
    text = lines[..keep].join("\n") + "\n" + &enc.line + &end.line;
    std::fs::write(&j, text).expect("write");

    let (code, out, err) = replay_cmd(&j, &["--headless"]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.contains("hologram"))
        .expect("the unknown record is listed");
    assert!(line.contains("not interpreted"), "{line}");
    assert!(out.lines().last().expect("last").contains("session_end"));
}

// ---------------------------------------------------------------- asciicast

fn cast(journal: &Path, extra: &[&str]) -> (Value, Vec<(f64, String)>) {
    let dir = journal.parent().expect("dir");
    let out = dir.join("session.cast");
    let mut args = vec!["--asciicast", out.to_str().expect("utf-8")];
    args.extend(extra);
    let (code, stdout, err) = replay_cmd(journal, &args);
    assert_eq!(code, 0, "{err}");
    assert!(stdout.is_empty(), "no terminal output without --headless");
    let text = std::fs::read_to_string(&out).expect("cast written");
    let mut lines = text.lines();
    let header: Value =
        serde_json::from_str(lines.next().expect("header")).expect("header is JSON");
    let frames = lines
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("frame is JSON");
            let a = v.as_array().expect("frame is an array");
            assert_eq!(a.len(), 3, "{l}");
            assert_eq!(a[1], "o");
            (
                a[0].as_f64().expect("time is a number"),
                a[2].as_str().expect("data is a string").to_string(),
            )
        })
        .collect();
    (header, frames)
}

#[test]
fn asciicast_is_a_valid_v2_recording_of_the_console() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = timed_journal(dir.path(), successful_failover());
    let (header, frames) = cast(&j, &[]);
    assert_eq!(header["version"], 2);
    assert_eq!(header["width"], 120);
    assert_eq!(header["height"], 36);
    assert_eq!(
        header["timestamp"],
        crate::recorded_support::t0().unix_timestamp()
    );
    assert!(header["env"].is_object());
    assert!(
        header["title"]
            .as_str()
            .expect("title")
            .contains("Validate the S2S VPN")
    );

    assert!(frames.len() > 10, "{} frames", frames.len());
    assert_eq!(frames[0].0, 0.0);
    for w in frames.windows(2) {
        assert!(
            w[0].0 <= w[1].0,
            "times go back: {} then {}",
            w[0].0,
            w[1].0
        );
        assert!(w[1].0 - w[0].0 <= 2.0 + 1e-9, "a gap longer than the cap");
    }
    for (_, data) in &frames {
        assert!(
            data.starts_with("\x1b[H\x1b[2J"),
            "each frame is a whole screen"
        );
    }
    // Styled text of the console: the header with the operator, SGR codes,
    // and at the end the session's exit.
    assert!(frames.iter().any(|(_, d)| d.contains(OPERATOR)));
    assert!(
        frames
            .iter()
            .all(|(_, d)| d.contains("\x1b[") && d.contains('m'))
    );
    assert!(frames.last().expect("frames").1.contains("ENDED exit 0"));
}

#[test]
fn asciicast_at_speed_zero_spaces_frames_evenly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = timed_journal(dir.path(), rolled_back());
    let (_, frames) = cast(&j, &["--speed", "0"]);
    for (t, _) in &frames {
        let steps = t / 0.1;
        assert!(
            (steps - steps.round()).abs() < 1e-6,
            "{t} is not on the 0.1 s grid"
        );
    }
    assert!(frames.windows(2).all(|w| w[0].0 < w[1].0));
}

// ---------------------------------------------------------------- bad input

#[test]
fn bad_journal_is_exit_2_with_path_line_col() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = dir.path().join("bad.jsonl");
    std::fs::write(&j, "{\"seq\":0,\"ts\":\n").expect("write");
    for args in [&["--headless"][..], &["--asciicast", "/dev/null"][..]] {
        let (code, out, err) = replay_cmd(&j, args);
        assert_eq!(code, 2, "{err}");
        assert!(out.is_empty());
        assert!(err.starts_with(&format!("{}:1:", j.display())), "{err}");
    }
    let (code, _, err) = replay_cmd(&j, &["--headless", "--speed", "-1"]);
    assert_eq!(code, 2);
    assert!(err.contains("--speed"), "{err}");
}

#[test]
fn tampered_journal_replays_with_a_warning_and_exit_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let j = write_journal(dir.path(), "ok.jsonl", &successful_failover());
    let text = std::fs::read_to_string(&j).expect("read");
    let mut lines: Vec<&str> = text.lines().collect();
    lines.swap(5, 6);
    std::fs::write(&j, lines.join("\n") + "\n").expect("write");
    let (code, out, err) = replay_cmd(&j, &["--headless"]);
    assert_eq!(code, 1);
    assert!(err.contains("INTEGRITY CHECK FAILED"), "{err}");
    assert!(err.contains("seq 5"), "{err}");
    assert_eq!(out.lines().count(), successful_failover().len());
}
