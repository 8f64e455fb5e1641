//! The detached guard (invariant 2, "the console was killed or hung up"):
//! its whole life against the Azure double, a real journal file, and pipes
//! standing in for the console process. The console dying is its end of
//! the pipe closing, as it is when the process is killed.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::engine_support::*;
use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::ActionOp;
use cutover_core::session::event::{Event, Mode, RollbackReason};
use cutover_engine::detached::{
    ChildWatchdog, GuardEnd, GuardParams, WatchRequest, Watchdog, watch_over,
};
use cutover_engine::guard::RollbackPolicy;
use cutover_engine::port::ManualCommands;
use cutover_journal::{JournalReader, JournalWriter, Redactor, Status, verify};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};
use tokio::time::Instant;

const STEP: &str = "disable-private-peering";

/// A journal as the console leaves it once the peering is disabled and the
/// deadline armed.
pub(crate) fn journal_until_armed(dir: &Path, extra: &[Event]) -> PathBuf {
    let path = dir.join("session.jsonl");
    let mut w = JournalWriter::create(&path, Arc::new(Redactor::new())).expect("create");
    let manual = ManualCommands {
        az_cli: "az ...".into(),
        powershell: "Set-AzExpressRouteCircuit ...".into(),
    };
    let mut events = vec![
        Event::SessionStart {
            session_id: "s".into(),
            mode: Mode::Run,
            runbook_id: "er-vpn-failover".into(),
            runbook_title: "t".into(),
            runbook_sha256: String::new(),
            operator: "tester".into(),
            ticket: None,
            key_fingerprint: None,
            scenario: None,
            steps: vec![],
            version: "0".into(),
        },
        Event::ActionStarted {
            step: STEP.into(),
            op: "azure.peering.disable".into(),
            target: "SEA-Cust11/SEA-Cust11-ER/AzurePrivatePeering".into(),
            manual,
        },
        Event::ActionDone {
            step: STEP.into(),
            op: "azure.peering.disable".into(),
            ok: true,
            detail: "Enabled -> Disabled".into(),
        },
        Event::DeadlineArmed {
            step: STEP.into(),
            seconds: 600,
            expires_at: "2026-11-25T19:00:00.000Z".into(),
        },
    ];
    events.extend_from_slice(extra);
    for e in &events {
        w.append(e).expect("append");
    }
    path
}

fn params(journal: PathBuf, deadline_in: Duration) -> GuardParams {
    GuardParams {
        step: STEP.into(),
        rollback: ActionOp::AzurePeeringEnable,
        deadline_at: Instant::now() + deadline_in,
        deadline: deadline_in,
        grace: Duration::from_secs(30),
        policy: RollbackPolicy {
            attempts: 3,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(20),
        },
        settle: Duration::from_secs(30),
        budget: Duration::from_secs(600),
        journal,
    }
}

/// The console's ends of the guard's pipes.
struct Console {
    to_guard: Option<DuplexStream>,
    from_guard: tokio::io::Lines<BufReader<DuplexStream>>,
}

impl Console {
    async fn say(&mut self, m: &str) {
        let w = self.to_guard.as_mut().expect("alive");
        w.write_all(format!("{m}\n").as_bytes())
            .await
            .expect("write");
    }
    async fn hear(&mut self) -> String {
        self.from_guard
            .next_line()
            .await
            .expect("read")
            .expect("a line")
    }
    /// The console process dies: its end of the pipe closes.
    fn die(&mut self) {
        self.to_guard = None;
    }
}

fn start(net: &Net, p: GuardParams) -> (Console, tokio::task::JoinHandle<GuardEnd>) {
    let (console_w, guard_r) = tokio::io::duplex(1024);
    let (guard_w, console_r) = tokio::io::duplex(1024);
    let azure = FakeAzure { net: net.clone() };
    let task = tokio::spawn(watch_over(
        azure,
        BufReader::new(guard_r),
        guard_w,
        p,
        Arc::new(Redactor::new()),
    ));
    (
        Console {
            to_guard: Some(console_w),
            from_guard: BufReader::new(console_r).lines(),
        },
        task,
    )
}

fn disabled(net: &Net) {
    net.with(|n| n.peering = PeeringState::Disabled);
}

fn events(path: &Path) -> Vec<Event> {
    JournalReader::open(path)
        .expect("open")
        .read_all()
        .expect("read")
        .iter()
        .filter_map(|r| r.event().cloned())
        .collect()
}

fn puts(net: &Net) -> usize {
    net.order()
        .iter()
        .filter(|o| o.starts_with("azure:PUT"))
        .count()
}

#[tokio::test(start_paused = true)]
async fn the_console_dying_makes_the_guard_roll_back_and_finish_the_journal() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    disabled(&net);
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(600)));
    assert_eq!(console.hear().await, "ready");
    console.die();
    let end = guard.await.expect("guard");
    assert_eq!(
        end,
        GuardEnd::RolledBack {
            ok: true,
            reason: RollbackReason::ConsoleLost
        }
    );
    assert_eq!(end.exit_code(), 3);
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    let ev = events(&journal);
    let kinds: Vec<&str> = ev.iter().map(Event::kind).collect();
    let tail = &kinds[4..];
    assert_eq!(
        tail,
        [
            "note",
            "rollback_started",
            "action_attempt",
            "rollback_settling",
            "rollback_done",
            "session_end"
        ]
    );
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::RollbackStarted {
            reason: RollbackReason::ConsoleLost,
            ..
        }
    )));
    assert_eq!(
        session_end_text(&ev),
        format!("the console went away during `{STEP}`; the detached guard rolled the change back")
    );
    // The guard continued the console's chain: the journal verifies.
    assert!(matches!(
        verify(&journal).expect("verify").status,
        Status::Intact
    ));
}

fn session_end_text(ev: &[Event]) -> String {
    match ev.last() {
        Some(Event::SessionEnd { outcome, .. }) => outcome.clone(),
        other => panic!("the journal ends with {other:?}"),
    }
}

/// The change never landed (or was undone by someone else): the guard's
/// rollback finds the peering Enabled, and its last line says so rather
/// than claim it rolled something back.
#[tokio::test(start_paused = true)]
async fn a_guard_that_finds_the_peering_enabled_says_it_rolled_nothing_back() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(600)));
    assert_eq!(console.hear().await, "ready");
    console.die();
    let end = guard.await.expect("guard");
    assert_eq!(end.exit_code(), 3);
    let ev = events(&journal);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::RollbackDone {
            outcome: Some(cutover_core::session::event::RollbackResult::AlreadyEnabled),
            ..
        }
    )));
    let text = session_end_text(&ev);
    assert!(text.contains("found the peering already Enabled"), "{text}");
    assert!(text.contains("nothing to roll back"), "{text}");
    assert!(!text.contains("rolled the change back"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_confirmation_releases_the_guard() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    disabled(&net);
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(600)));
    assert_eq!(console.hear().await, "ready");
    console.say("confirm").await;
    assert_eq!(console.hear().await, "granted");
    console.say("resolved").await;
    assert_eq!(guard.await.expect("guard"), GuardEnd::Released);
    assert_eq!(puts(&net), 0);
    assert_eq!(events(&journal).len(), 4, "the guard wrote nothing");
}

#[tokio::test(start_paused = true)]
async fn a_silent_console_past_the_deadline_is_overruled() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    disabled(&net);
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(60)));
    assert_eq!(console.hear().await, "ready");
    // The console hangs past the deadline and the grace period...
    tokio::time::sleep(Duration::from_secs(95)).await;
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    // ...and when it wakes up, it may not call the change healthy.
    console.say("confirm").await;
    assert_eq!(console.hear().await, "denied");
    // The guard journals only once the console is gone.
    assert_eq!(events(&journal).len(), 4);
    console.die();
    let end = guard.await.expect("guard");
    assert_eq!(
        end,
        GuardEnd::RolledBack {
            ok: true,
            reason: RollbackReason::DeadlinePassed
        }
    );
    let ev = events(&journal);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::RollbackStarted {
            reason: RollbackReason::DeadlinePassed,
            ..
        }
    )));
    assert_eq!(ev.last().map(Event::kind), Some("session_end"));
    assert!(matches!(
        verify(&journal).expect("verify").status,
        Status::Intact
    ));
}

#[tokio::test(start_paused = true)]
async fn a_change_the_console_resolved_before_dying_is_left_alone() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(
        dir.path(),
        &[
            Event::RollbackStarted {
                step: STEP.into(),
                reason: RollbackReason::Operator,
                op: "azure.peering.enable".into(),
            },
            Event::RollbackDone {
                step: STEP.into(),
                detail: "Disabled -> Enabled".into(),
                outcome: None,
                reasserts: 0,
            },
        ],
    );
    let net = Net::new();
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(600)));
    assert_eq!(console.hear().await, "ready");
    console.say("rollback").await;
    assert_eq!(console.hear().await, "ack");
    console.die();
    assert_eq!(guard.await.expect("guard"), GuardEnd::AlreadyResolved);
    assert_eq!(puts(&net), 0);
    assert_eq!(events(&journal).len(), 6);
}

/// The guard granted a confirmation, but the console could not record it
/// and rolls back instead; it dies mid-rollback: the guard finishes the
/// rollback rather than take the change as confirmed.
#[tokio::test(start_paused = true)]
async fn a_rollback_after_a_granted_confirmation_is_finished_by_the_guard() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    disabled(&net);
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(600)));
    assert_eq!(console.hear().await, "ready");
    console.say("confirm").await;
    assert_eq!(console.hear().await, "granted");
    console.say("rollback").await;
    assert_eq!(console.hear().await, "ack");
    console.die();
    assert_eq!(
        guard.await.expect("guard"),
        GuardEnd::RolledBack {
            ok: true,
            reason: RollbackReason::ConsoleLost
        }
    );
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn a_console_that_dies_mid_rollback_is_finished_by_the_guard() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(
        dir.path(),
        &[Event::RollbackStarted {
            step: STEP.into(),
            reason: RollbackReason::Operator,
            op: "azure.peering.enable".into(),
        }],
    );
    let net = Net::new();
    disabled(&net);
    net.with(|n| {
        n.script.push_back(SetScript::Err(
            vec![429],
            cutover_engine::port::ArmError::Throttled("busy".into()),
        ))
    });
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(600)));
    assert_eq!(console.hear().await, "ready");
    console.say("rollback").await;
    assert_eq!(console.hear().await, "ack");
    console.die();
    let end = guard.await.expect("guard");
    assert_eq!(
        end,
        GuardEnd::RolledBack {
            ok: true,
            reason: RollbackReason::ConsoleLost
        }
    );
    assert_eq!(puts(&net), 2, "one throttled, one through");
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert!(matches!(
        verify(&journal).expect("verify").status,
        Status::Intact
    ));
}

#[tokio::test(start_paused = true)]
async fn a_torn_journal_is_left_as_it_is_and_the_guard_writes_beside_it() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let before = std::fs::read(&journal).expect("read");
    // The console died in the middle of a write.
    let mut torn = before.clone();
    torn.extend_from_slice(b"{\"seq\":4,\"ts\":\"2026-11");
    std::fs::write(&journal, &torn).expect("write");
    let net = Net::new();
    disabled(&net);
    let (mut console, guard) = start(&net, params(journal.clone(), Duration::from_secs(600)));
    assert_eq!(console.hear().await, "ready");
    console.die();
    let end = guard.await.expect("guard");
    assert_eq!(end.exit_code(), 3);
    assert_eq!(std::fs::read(&journal).expect("read"), torn);
    let side = dir.path().join("session.jsonl.guard.jsonl");
    let ev = events(&side);
    assert_eq!(ev.first().map(Event::kind), Some("session_start"));
    assert!(ev.iter().any(|e| e.kind() == "rollback_done"));
    assert!(matches!(
        verify(&side).expect("verify").status,
        Status::Intact
    ));
}

fn script(dir: &Path, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let p = dir.join("fake-guard");
    std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    p
}

fn request() -> WatchRequest {
    WatchRequest {
        step: STEP.into(),
        rollback: ActionOp::AzurePeeringEnable,
        expires_at: time::OffsetDateTime::from_unix_timestamp(1_764_100_000).expect("ts"),
        deadline: Duration::from_secs(600),
        settle: Duration::from_millis(2_500),
        budget: Duration::from_secs(600),
    }
}

#[tokio::test]
async fn the_console_side_speaks_the_protocol_to_a_child_process() {
    let dir = tempfile::tempdir().expect("dir");
    let args = dir.path().join("args.txt");
    let heard = dir.path().join("heard.txt");
    let prog = script(
        dir.path(),
        &format!(
            "printf '%s\\n' \"$@\" > '{}'\necho ready\nread a; echo \"$a\" >> '{h}'; echo granted\nread b; echo \"$b\" >> '{h}'",
            args.display(),
            h = heard.display()
        ),
    );
    let wd = ChildWatchdog::new(prog, "inv.toml".into(), "j.jsonl".into());
    let mut watch = wd.arm(request()).await.expect("started").expect("a watch");
    assert!(watch.confirm().await.expect("answered"));
    watch.resolved().await.expect("released");
    assert_eq!(
        std::fs::read_to_string(&heard).expect("heard"),
        "confirm\nresolved\n"
    );
    assert_eq!(
        std::fs::read_to_string(&args).expect("args"),
        "guard\n--inventory\ninv.toml\n--journal\nj.jsonl\n--step\ndisable-private-peering\n--rollback\nazure.peering.enable\n--deadline-at\n2025-11-25T19:46:40.000Z\n--deadline-ms\n600000\n--grace-ms\n30000\n--settle-ms\n2500\n--rollback-budget-ms\n600000\n"
    );
}

/// A drill hands its lab's token to the guard in the environment: the
/// child sees it, its command line and the watchdog's Debug do not.
#[tokio::test]
async fn the_guard_gets_its_secret_in_the_environment_only() {
    let dir = tempfile::tempdir().expect("dir");
    let seen = dir.path().join("seen.txt");
    let prog = script(
        dir.path(),
        &format!(
            "printf '%s|%s\\n' \"$CUTOVER_ARM_TOKEN\" \"$*\" > '{}'\necho ready\nread a",
            seen.display()
        ),
    );
    let mut wd = ChildWatchdog::new(prog, "inv.toml".into(), "j.jsonl".into());
    wd.env.set("CUTOVER_ARM_TOKEN", "s3cret-lab-token");
    assert!(!format!("{wd:?}").contains("s3cret"), "{wd:?}");
    let mut watch = wd.arm(request()).await.expect("started").expect("a watch");
    watch.resolved().await.expect("released");
    let seen = std::fs::read_to_string(&seen).expect("seen");
    let (env, argv) = seen.split_once('|').expect("two fields");
    assert_eq!(env, "s3cret-lab-token");
    assert!(
        argv.starts_with("guard --inventory") && !argv.contains("s3cret"),
        "{argv}"
    );
}

/// Whether `pid` is gone, reaped included (a zombie still has /proc/pid).
fn reaped(pid_file: &Path) -> bool {
    let pid = std::fs::read_to_string(pid_file).expect("pid");
    !Path::new(&format!("/proc/{}", pid.trim())).exists()
}

/// A guard that failed to start, or stopped answering, is killed and
/// reaped: left alive, it would see its input close with the console and
/// roll back a change the console still runs.
#[tokio::test]
async fn a_guard_that_is_given_up_on_is_killed_and_reaped() {
    let dir = tempfile::tempdir().expect("dir");
    let pid = dir.path().join("pid");
    let body = |then: &str| format!("echo $$ > '{}'\n{then}\nexec sleep 60", pid.display());
    // It said something else.
    let wd = ChildWatchdog::new(
        script(dir.path(), &body("echo nope")),
        "i".into(),
        "j".into(),
    );
    let err = wd.arm(request()).await.err().expect("refused");
    assert_eq!(err, "the guard did not start: it said Some(\"nope\")");
    assert!(reaped(&pid), "the guard that said `nope` still runs");
    // It said nothing in time.
    let mut wd = ChildWatchdog::new(script(dir.path(), &body("")), "i".into(), "j".into());
    wd.ready_timeout = Duration::from_millis(500);
    let err = wd.arm(request()).await.err().expect("refused");
    assert!(err.contains("did not say `ready`"), "{err}");
    assert!(reaped(&pid), "the guard that said nothing still runs");
    // It started, then stopped answering: the engine abandons it.
    let wd = ChildWatchdog::new(
        script(dir.path(), &body("echo ready")),
        "i".into(),
        "j".into(),
    );
    let mut watch = wd.arm(request()).await.expect("started").expect("a watch");
    assert!(!reaped(&pid));
    watch.abandon().await;
    assert!(reaped(&pid), "the abandoned guard still runs");
}

/// The console's ready timeout outlasts the drill guard's wait for its
/// hold on the lab (10 s), so a guard that cannot hold the lab says why.
#[test]
fn the_console_waits_for_ready_longer_than_a_guard_waits_for_the_lab() {
    let wd = ChildWatchdog::new("x".into(), "i".into(), "j".into());
    assert!(
        wd.ready_timeout > Duration::from_secs(10),
        "{:?}",
        wd.ready_timeout
    );
}

#[tokio::test]
async fn a_guard_that_does_not_start_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let wd = ChildWatchdog::new(script(dir.path(), "echo nope"), "i".into(), "j".into());
    let err = wd.arm(request()).await.err().expect("refused");
    assert_eq!(err, "the guard did not start: it said Some(\"nope\")");
    let wd = ChildWatchdog::new("/nonexistent/cutover".into(), "i".into(), "j".into());
    let err = wd.arm(request()).await.err().expect("refused");
    assert!(
        err.starts_with("cannot start `/nonexistent/cutover`"),
        "{err}"
    );
}

/// The guard is armed before the change goes out; `applied` tells it when
/// the change did, and its deadline counts from then (a slow call must not
/// make it overrule a console that is still within its own deadline).
#[tokio::test(start_paused = true)]
async fn applied_restarts_the_guards_clock() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    disabled(&net);
    let mut p = params(journal, Duration::from_secs(10));
    p.deadline = Duration::from_secs(60);
    let (mut console, guard) = start(&net, p);
    assert_eq!(console.hear().await, "ready");
    console.say("applied").await;
    assert_eq!(console.hear().await, "ack");
    // Past the provisional deadline plus grace (40 s), within the real one.
    tokio::time::sleep(Duration::from_secs(50)).await;
    assert_eq!(puts(&net), 0, "the guard waited for the console's deadline");
    // Past 60 s + 30 s grace from `applied`: a silent console is overruled.
    tokio::time::sleep(Duration::from_secs(45)).await;
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    console.die();
    assert!(matches!(
        guard.await.expect("guard"),
        GuardEnd::RolledBack { ok: true, .. }
    ));
}

/// A guard that was wanted and cannot start: `cutover guard` missing, or
/// silent past its `ready` timeout.
struct GuardWontStart {
    net: Net,
}

impl Watchdog for GuardWontStart {
    fn arm(
        &self,
        req: WatchRequest,
    ) -> futures::future::BoxFuture<
        '_,
        Result<Option<Box<dyn cutover_engine::detached::Watch>>, String>,
    > {
        Box::pin(async move {
            self.net
                .with(|n| n.order.push(format!("guard:arm {}", req.step)));
            Err("the guard did not say `ready` within 10 s".to_string())
        })
    }
}

/// Fail closed (issue 18): the disable is not sent when its guard cannot
/// start; the gate's pass is spent, the refusal and its reason are in the
/// journal, and the session ends 1 with the peering as it was.
#[tokio::test(start_paused = true)]
async fn a_change_whose_guard_cannot_start_is_not_made() {
    let net = Net::new();
    let watchdog = Arc::new(GuardWontStart { net: net.clone() });
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
        run.outcome.outcome.contains("did not start"),
        "{}",
        run.outcome.outcome
    );
    assert_eq!(puts(&run.net), 0, "nothing was sent: {:?}", run.net.order());
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert!(run.at("guard:arm disable-private-peering") > run.at("journal:action_started"));
    let done = run.events.iter().find_map(|e| match e {
        Event::ActionDone {
            step, ok, detail, ..
        } if step == "disable-private-peering" => Some((*ok, detail.clone())),
        _ => None,
    });
    let (ok, detail) = done.expect("the refusal is journaled as the action's end");
    assert!(!ok);
    assert!(
        detail.starts_with(
            "nothing was sent: the detached guard did not start (the guard did not say `ready`"
        ),
        "{detail}"
    );
    assert!(run.events.iter().any(|e| matches!(e,
        Event::Note { level: cutover_core::session::event::NoteLevel::Error, text, .. }
            if text.starts_with("refused: the detached guard did not start"))));
    assert_eq!(run.count("deadline_armed"), 0);
    assert_eq!(run.count("rollback_started"), 0);
    assert_eq!(run.kinds().last(), Some(&"session_end"));
}

/// Only the disruptive change fails closed: a restore whose guard cannot
/// start still goes out (refusing it would leave the peering disabled),
/// with the warning.
#[tokio::test(start_paused = true)]
async fn a_restore_whose_guard_cannot_start_still_restores() {
    let net = Net::new();
    disabled(&net);
    let rb = cutover_core::runbook::Runbook::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-restore.toml"),
    )
    .expect("bundled restore runbook");
    let watchdog = Arc::new(GuardWontStart { net: net.clone() });
    let mut config = config();
    config.restore = true;
    let run = run_session_guarded(rb, net, config, operator_confirming(), watchdog).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert!(run.events.iter().any(|e| matches!(e,
        Event::Note { level: cutover_core::session::event::NoteLevel::Warn, text, .. }
            if text.starts_with("the detached guard did not start"))));
}

/// A deadline no clock can count (a library caller past the command line's
/// and `check`'s bounds) refuses the change instead of overflowing.
#[tokio::test(start_paused = true)]
async fn a_deadline_no_clock_can_count_refuses_the_change() {
    let net = Net::new();
    let mut config = config();
    config.deadline_override = Some(Duration::MAX);
    let watchdog = Arc::new(RecordingWatchdog { net: net.clone() });
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config,
        operator_confirming(),
        watchdog,
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert_eq!(puts(&run.net), 0);
    assert_eq!(run.count("action_started"), 0);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
}
