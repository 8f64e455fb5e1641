//! The rollback never trusts one read (issue 18, item 1): a disable PUT
//! still on its way when the console dies, a peering that flips during the
//! settle window, and a peering that already reads Enabled. On virtual
//! time, through the detached guard's whole life.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use crate::engine_detached::journal_until_armed;
use crate::engine_support::*;
use cutover_core::model::azure::{
    BgpPeerStatusListResult, ExpressRouteCircuit, ExpressRouteCircuitPeering,
    GatewayRouteListResult, PeeringState, VirtualNetworkGatewayConnection,
};
use cutover_core::runbook::ActionOp;
use cutover_core::session::event::{Event, RollbackReason, RollbackResult};
use cutover_engine::detached::{GuardEnd, GuardParams, watch_over};
use cutover_engine::guard::RollbackPolicy;
use cutover_engine::port::{
    ArmAttempt, ArmError, ArmRead, AzureApi, ManualCommands, PeeringChange, SendPermit,
};
use cutover_journal::{JournalReader, Redactor};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::time::{Instant, sleep};

const STEP: &str = "disable-private-peering";
const SETTLE: Duration = Duration::from_secs(10);

/// ARM as the guard meets it: reads from the shared `Net`; a write under
/// the current etag (or a forced one) moves the etag.
#[derive(Clone)]
struct Arm {
    net: Net,
    inner: FakeAzure,
}

impl Arm {
    fn new(net: &Net) -> Self {
        Self {
            net: net.clone(),
            inner: FakeAzure { net: net.clone() },
        }
    }

    /// A PUT made under the etag of now that reaches ARM `after` from now:
    /// applied if the etag is still the same, refused (412) otherwise.
    /// Returns whether it landed.
    fn held_put(&self, state: PeeringState, after: Duration) -> tokio::task::JoinHandle<bool> {
        let net = self.net.clone();
        let etag = net.with(|n| n.etag);
        tokio::spawn(async move {
            sleep(after).await;
            net.with(|n| {
                let lands = n.etag == etag;
                n.order.push(format!(
                    "held:PUT {state} {}",
                    if lands { "applied" } else { "412" }
                ));
                if lands {
                    n.peering = state;
                    n.etag += 1;
                }
                lands
            })
        })
    }

    /// Someone else sets the peering at `at` from now, unconditionally.
    fn writer_at(&self, state: PeeringState, after: Duration) {
        let net = self.net.clone();
        tokio::spawn(async move {
            sleep(after).await;
            net.with(|n| {
                n.order.push(format!("other:PUT {state}"));
                n.peering = state;
                n.etag += 1;
            });
        });
    }
}

impl AzureApi for Arm {
    async fn get_peering(&self) -> Result<ArmRead<ExpressRouteCircuitPeering>, ArmError> {
        self.inner.get_peering().await
    }
    async fn get_circuit(&self) -> Result<ArmRead<ExpressRouteCircuit>, ArmError> {
        self.inner.get_circuit().await
    }
    async fn set_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        self.inner
            .set_peering_state(state, on_attempt, permit)
            .await
    }
    async fn assert_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        self.net.with(|n| n.order.push("guard:assert".into()));
        self.inner
            .set_peering_state(state, on_attempt, permit)
            .await
    }
    async fn learned_routes(&self) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        self.inner.learned_routes().await
    }
    async fn advertised_routes(
        &self,
        peer: IpAddr,
    ) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        self.inner.advertised_routes(peer).await
    }
    async fn bgp_peer_status(&self) -> Result<ArmRead<BgpPeerStatusListResult>, ArmError> {
        self.inner.bgp_peer_status().await
    }
    async fn get_connection(&self) -> Result<ArmRead<VirtualNetworkGatewayConnection>, ArmError> {
        self.inner.get_connection().await
    }
    fn manual_commands(&self, state: PeeringState) -> ManualCommands {
        self.inner.manual_commands(state)
    }
}

fn params(journal: std::path::PathBuf) -> GuardParams {
    GuardParams {
        step: STEP.into(),
        rollback: ActionOp::AzurePeeringEnable,
        deadline_at: Instant::now() + Duration::from_secs(600),
        deadline: Duration::from_secs(600),
        grace: Duration::from_secs(30),
        policy: RollbackPolicy {
            attempts: 3,
            first_backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(20),
        },
        settle: SETTLE,
        budget: Duration::from_secs(600),
        journal,
    }
}

/// Runs the guard until its `ready`, then kills the console; the guard's
/// end and when it came.
async fn console_dies(arm: Arm, journal: std::path::PathBuf) -> (GuardEnd, Duration) {
    let (console_w, guard_r) = tokio::io::duplex(1024);
    let (guard_w, console_r) = tokio::io::duplex(1024);
    let t0 = Instant::now();
    let task = tokio::spawn(watch_over(
        arm,
        BufReader::new(guard_r),
        guard_w,
        params(journal),
        Arc::new(Redactor::new()),
    ));
    let mut from_guard = BufReader::new(console_r).lines();
    assert_eq!(
        from_guard.next_line().await.expect("read").as_deref(),
        Some("ready")
    );
    drop(console_w);
    let end = task.await.expect("guard");
    (end, t0.elapsed())
}

fn events(path: &std::path::Path) -> Vec<Event> {
    JournalReader::open(path)
        .expect("open")
        .read_all()
        .expect("read")
        .iter()
        .filter_map(|r| r.event().cloned())
        .collect()
}

fn done(ev: &[Event]) -> (String, Option<RollbackResult>, u32) {
    ev.iter()
        .find_map(|e| match e {
            Event::RollbackDone {
                detail,
                outcome,
                reasserts,
                ..
            } => Some((detail.clone(), *outcome, *reasserts)),
            _ => None,
        })
        .expect("rollback_done")
}

fn kinds(ev: &[Event]) -> Vec<&'static str> {
    ev.iter().map(Event::kind).collect()
}

#[tokio::test(start_paused = true)]
async fn a_disable_put_still_in_flight_is_refused_by_the_guards_own_write() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    let arm = Arm::new(&net);
    // The console's disable, made under today's etag, reaches ARM 1 s
    // after the console died: after the guard's first read.
    let held = arm.held_put(PeeringState::Disabled, Duration::from_secs(1));
    let (end, took) = console_dies(arm, journal.clone()).await;
    assert!(!held.await.expect("held"), "the stale PUT must meet a 412");
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(
        end,
        GuardEnd::RolledBack {
            ok: true,
            reason: RollbackReason::ConsoleLost
        }
    );
    assert!(
        took >= SETTLE,
        "the guard ended after {took:?}, before its settle window"
    );
    let order = net.order();
    let assert_at = order.iter().position(|o| o == "guard:assert");
    let held_at = order.iter().position(|o| o.starts_with("held:PUT"));
    assert!(assert_at < held_at, "{order:?}");
    let ev = events(&journal);
    let (detail, outcome, reasserts) = done(&ev);
    assert_eq!(outcome, Some(RollbackResult::AlreadyEnabled), "{detail}");
    assert_eq!(reasserts, 0);
    assert!(detail.contains("already read Enabled"), "{detail}");
    let k = kinds(&ev);
    let settling = k.iter().position(|k| *k == "rollback_settling");
    let finished = k.iter().position(|k| *k == "rollback_done");
    assert!(settling.is_some() && settling < finished, "{k:?}");
    assert_eq!(k.last(), Some(&"session_end"));
}

#[tokio::test(start_paused = true)]
async fn a_put_that_lands_before_the_guards_write_is_rolled_back() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let arm = Arm::new(&net);
    let (end, _) = console_dies(arm, journal.clone()).await;
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(end.exit_code(), 3);
    let (_, outcome, reasserts) = done(&events(&journal));
    assert_eq!(outcome, Some(RollbackResult::RolledBack));
    assert_eq!(reasserts, 0);
}

#[tokio::test(start_paused = true)]
async fn a_flip_during_the_settle_window_is_written_back() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let arm = Arm::new(&net);
    // Lands mid-window, whatever the etag (a write that was accepted
    // before the guard's and applied late).
    arm.writer_at(PeeringState::Disabled, Duration::from_secs(4));
    let (end, took) = console_dies(arm, journal.clone()).await;
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    assert_eq!(end.exit_code(), 3);
    // The window starts again after the second write.
    assert!(took >= SETTLE + Duration::from_secs(4), "{took:?}");
    let ev = events(&journal);
    let (_, outcome, reasserts) = done(&ev);
    assert_eq!(outcome, Some(RollbackResult::RolledBack));
    assert_eq!(reasserts, 1);
    assert_eq!(
        kinds(&ev)
            .iter()
            .filter(|k| **k == "rollback_settling")
            .count(),
        2
    );
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::Note { text, .. } if text.contains("reads Disabled during the settle window")
    )));
    assert_eq!(
        net.order().iter().filter(|o| *o == "guard:assert").count(),
        2
    );
}

#[tokio::test(start_paused = true)]
async fn a_peering_that_keeps_flipping_is_handed_to_a_person() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    let arm = Arm::new(&net);
    for i in 1..=8 {
        arm.writer_at(PeeringState::Disabled, Duration::from_secs(6 * i));
    }
    let (end, _) = console_dies(arm, journal.clone()).await;
    assert_eq!(end.exit_code(), 4);
    let ev = events(&journal);
    assert!(ev.iter().any(|e| matches!(
        e,
        Event::RollbackFailed { error, .. } if error.contains("something else keeps writing")
    )));
    assert!(!kinds(&ev).contains(&"rollback_done"));
}

/// Review 2a: the peering read Enabled at the guard's first write, then a
/// write landed in the settle window: it was rolled back, not "already".
#[tokio::test(start_paused = true)]
async fn a_flip_after_an_already_enabled_read_says_rolled_back() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    let arm = Arm::new(&net);
    arm.writer_at(PeeringState::Disabled, Duration::from_secs(4));
    let (end, _) = console_dies(arm, journal.clone()).await;
    assert_eq!(end.exit_code(), 3);
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    let ev = events(&journal);
    let (detail, outcome, reasserts) = done(&ev);
    assert_eq!(outcome, Some(RollbackResult::RolledBack), "{detail}");
    assert_eq!(reasserts, 1);
    assert!(!detail.contains("nothing to undo"), "{detail}");
    let Some(Event::SessionEnd { outcome, .. }) = ev.last() else {
        panic!("{:?}", kinds(&ev));
    };
    assert!(outcome.contains("rolled the change back"), "{outcome}");
}

/// ARM as the guard meets it, whose first forced write goes through (the
/// peering moves back) but whose call then fails (the settle reads time
/// out): the next call reads the peering already as wanted.
#[derive(Clone)]
struct FirstCallFails {
    arm: Arm,
    failed: Arc<std::sync::atomic::AtomicBool>,
}

impl AzureApi for FirstCallFails {
    async fn get_peering(&self) -> Result<ArmRead<ExpressRouteCircuitPeering>, ArmError> {
        self.arm.get_peering().await
    }
    async fn get_circuit(&self) -> Result<ArmRead<ExpressRouteCircuit>, ArmError> {
        self.arm.get_circuit().await
    }
    async fn set_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        self.arm.set_peering_state(state, on_attempt, permit).await
    }
    async fn assert_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> Result<PeeringChange, ArmError> {
        if self.failed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return self
                .arm
                .assert_peering_state(state, on_attempt, permit)
                .await;
        }
        // As the real client records it: the write's field change.
        let from = self.arm.net.with(|n| n.peering.to_string());
        let to = state.to_string();
        let recorded = |a: &ArmAttempt| {
            let mut a = a.clone();
            a.write = Some(cutover_core::azure_call::WriteRecord {
                changes: vec![cutover_core::azure_call::FieldChange {
                    field: "properties.state".into(),
                    from: Some(from.clone()),
                    to: to.clone(),
                }],
                ..Default::default()
            });
            on_attempt(&a);
        };
        self.arm
            .assert_peering_state(state, &recorded, permit)
            .await?;
        Err(ArmError::Timeout("the peering to settle".into()))
    }
    async fn learned_routes(&self) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        self.arm.learned_routes().await
    }
    async fn advertised_routes(
        &self,
        peer: IpAddr,
    ) -> Result<ArmRead<GatewayRouteListResult>, ArmError> {
        self.arm.advertised_routes(peer).await
    }
    async fn bgp_peer_status(&self) -> Result<ArmRead<BgpPeerStatusListResult>, ArmError> {
        self.arm.bgp_peer_status().await
    }
    async fn get_connection(&self) -> Result<ArmRead<VirtualNetworkGatewayConnection>, ArmError> {
        self.arm.get_connection().await
    }
    fn manual_commands(&self, state: PeeringState) -> ManualCommands {
        self.arm.manual_commands(state)
    }
}

/// Review 2b: "already" is judged across the rollback's calls: the first
/// one wrote over Disabled and failed after its write went through; the
/// second read Enabled. The change was live and was rolled back.
#[tokio::test(start_paused = true)]
async fn a_rollback_whose_first_call_landed_then_failed_says_rolled_back() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let arm = FirstCallFails {
        arm: Arm::new(&net),
        failed: Arc::default(),
    };
    let (console_w, guard_r) = tokio::io::duplex(1024);
    let (guard_w, console_r) = tokio::io::duplex(1024);
    let task = tokio::spawn(watch_over(
        arm,
        BufReader::new(guard_r),
        guard_w,
        params(journal.clone()),
        Arc::new(Redactor::new()),
    ));
    let mut from_guard = BufReader::new(console_r).lines();
    assert_eq!(
        from_guard.next_line().await.expect("read").as_deref(),
        Some("ready")
    );
    drop(console_w);
    let end = task.await.expect("guard");
    assert_eq!(end.exit_code(), 3);
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    let (detail, outcome, _) = done(&events(&journal));
    assert_eq!(outcome, Some(RollbackResult::RolledBack), "{detail}");
}

/// Review 1b: the guard rolled back a console silent past the deadline;
/// the console was frozen, not gone, and its disable landed after that.
/// Its `applied` is refused, and when it then dies the guard acts again
/// rather than report its old rollback.
#[tokio::test(start_paused = true)]
async fn a_guard_that_acted_refuses_a_late_change_and_acts_again() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    let arm = Arm::new(&net);
    let (mut console_w, guard_r) = tokio::io::duplex(1024);
    let (guard_w, console_r) = tokio::io::duplex(1024);
    let p = params(journal.clone());
    let silent_for = p.deadline + p.grace + SETTLE + Duration::from_secs(60);
    let task = tokio::spawn(watch_over(
        arm,
        BufReader::new(guard_r),
        guard_w,
        p,
        Arc::new(Redactor::new()),
    ));
    let mut from_guard = BufReader::new(console_r).lines();
    assert_eq!(
        from_guard.next_line().await.expect("read").as_deref(),
        Some("ready")
    );
    // Frozen past the deadline, the grace and the guard's whole rollback.
    sleep(silent_for).await;
    assert!(!task.is_finished(), "the guard waits for the console's end");
    assert_eq!(
        net.order().iter().filter(|o| *o == "guard:assert").count(),
        1
    );
    // Resumed: its write, made under the fresh etag, lands.
    net.with(|n| {
        n.peering = PeeringState::Disabled;
        n.etag += 1;
    });
    use tokio::io::AsyncWriteExt as _;
    console_w.write_all(b"applied\n").await.expect("say");
    assert_eq!(
        from_guard.next_line().await.expect("read").as_deref(),
        Some("denied")
    );
    drop(console_w);
    let end = task.await.expect("guard");
    assert_eq!(end.exit_code(), 3);
    assert_eq!(net.with(|n| n.peering.clone()), PeeringState::Enabled);
    let ev = events(&journal);
    let last_done = ev
        .iter()
        .rev()
        .find_map(|e| match e {
            Event::RollbackDone { outcome, .. } => Some(*outcome),
            _ => None,
        })
        .expect("rollback_done");
    assert_eq!(last_done, Some(RollbackResult::RolledBack));
    assert_eq!(kinds(&ev).last(), Some(&"session_end"));
}

/// Review 5a: a settle window no clock can count is cut to the longest
/// allowed, not a panic.
#[tokio::test(start_paused = true)]
async fn a_settle_window_too_long_to_count_is_cut_not_a_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = journal_until_armed(dir.path(), &[]);
    let net = Net::new();
    let (console_w, guard_r) = tokio::io::duplex(1024);
    let (guard_w, console_r) = tokio::io::duplex(1024);
    let mut p = params(journal.clone());
    p.settle = Duration::from_millis(u64::MAX);
    let t0 = Instant::now();
    let task = tokio::spawn(watch_over(
        Arm::new(&net),
        BufReader::new(guard_r),
        guard_w,
        p,
        Arc::new(Redactor::new()),
    ));
    let mut from_guard = BufReader::new(console_r).lines();
    assert_eq!(
        from_guard.next_line().await.expect("read").as_deref(),
        Some("ready")
    );
    drop(console_w);
    let end = task.await.expect("the guard does not panic");
    assert_eq!(end.exit_code(), 3);
    let took = t0.elapsed();
    assert!(
        took >= cutover_engine::guard::MAX_SETTLE
            && took < cutover_engine::guard::MAX_SETTLE + Duration::from_secs(60),
        "{took:?}"
    );
}
