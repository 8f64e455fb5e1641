//! Nothing is left stranded, on virtual time: a peering that is not
//! Enabled stops the procedure before any probe; a detached guard that
//! dies during the change is replaced within one monitor period; a restore
//! ends "restored" or "the operator must act".

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cutover_core::model::azure::PeeringState;
use cutover_core::runbook::Runbook;
use cutover_core::session::event::{Event, NoteLevel};
use cutover_engine::Command;
use cutover_engine::detached::{Watch, WatchRequest, Watchdog};
use cutover_engine::port::ArmError;
use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::engine_support::*;

const DISABLE: &str = "disable-private-peering";

fn restore_runbook() -> Runbook {
    Runbook::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-restore.toml"))
        .expect("the bundled restore runbook is valid")
}

fn preflight(run: &Run) -> (bool, String, Option<String>) {
    run.events
        .iter()
        .find_map(|e| match e {
            Event::PeeringPreflight {
                ok, detail, remedy, ..
            } => Some((*ok, detail.clone(), remedy.clone())),
            _ => None,
        })
        .expect("a peering_preflight event")
}

#[tokio::test(start_paused = true)]
async fn a_disabled_peering_stops_the_procedure_before_anything_else() {
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let mut config = config();
    config.restore_command = Some("cutover restore --inventory /srv/inv.toml".into());
    let run = run_session(failover_runbook(), net, config, operator_confirming()).await;

    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert_eq!(
        run.kinds(),
        ["session_start", "peering_preflight", "session_end"]
    );
    let (ok, detail, remedy) = preflight(&run);
    assert!(!ok);
    assert_eq!(
        detail,
        "AzurePrivatePeering is Disabled (provisioningState Succeeded)"
    );
    assert!(
        remedy
            .as_deref()
            .is_some_and(|r| r.contains("cutover restore --inventory /srv/inv.toml")),
        "{remedy:?}"
    );
    assert!(
        run.outcome
            .outcome
            .contains("AzurePrivatePeering is Disabled")
            && run.outcome.outcome.contains("cutover restore"),
        "{}",
        run.outcome.outcome
    );
    // Nothing was asked of any device, and nothing was written.
    assert_eq!(run.count("probe"), 0);
    assert!(!run.net.order().iter().any(|o| o.starts_with("azure:PUT")));
    assert_eq!(run.shown, run.events);
}

#[tokio::test(start_paused = true)]
async fn an_enabled_peering_is_recorded_and_the_procedure_runs() {
    let run = run_session(
        failover_runbook(),
        Net::new(),
        config(),
        operator_confirming(),
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(run.kinds()[..2], ["session_start", "peering_preflight"]);
    let (ok, detail, remedy) = preflight(&run);
    assert!(ok, "{detail}");
    assert_eq!(remedy, None);
}

#[tokio::test(start_paused = true)]
async fn start_notes_are_said_right_after_session_start() {
    let mut config = config();
    config.start_notes = vec!["UNCLOSED JOURNAL /x.jsonl: ...".into()];
    let run = run_session(
        failover_runbook(),
        Net::new(),
        config,
        operator_confirming(),
    )
    .await;
    match &run.events[1] {
        Event::Note { level, text, .. } => {
            assert_eq!(*level, NoteLevel::Warn);
            assert!(text.starts_with("UNCLOSED JOURNAL"), "{text}");
        }
        other => panic!("{other:?}"),
    }
}

/// A detached guard double: the first one dies `die_after` after it is
/// armed; the ones after it live, or (`rearm_fails`) cannot be started.
#[derive(Clone)]
struct DyingWatchdog {
    net: Net,
    die_after: Duration,
    rearm_fails: bool,
    armed: Arc<Mutex<Vec<(WatchRequest, Instant)>>>,
    /// When the console first saw the dead guard gone.
    detected: Arc<Mutex<Option<Instant>>>,
}

impl DyingWatchdog {
    fn new(net: &Net, die_after: Duration, rearm_fails: bool) -> Self {
        Self {
            net: net.clone(),
            die_after,
            rearm_fails,
            armed: Arc::default(),
            detected: Arc::default(),
        }
    }

    fn died_at(&self) -> Instant {
        self.armed.lock().expect("lock")[0].1 + self.die_after
    }
}

struct DyingWatch {
    net: Net,
    n: usize,
    dies_at: Option<Instant>,
    detected: Arc<Mutex<Option<Instant>>>,
}

impl DyingWatch {
    fn dead(&self) -> bool {
        self.dies_at.is_some_and(|t| Instant::now() >= t)
    }

    fn say(&self, what: &str) -> Result<(), String> {
        if self.dead() {
            return Err("the guard is gone".into());
        }
        self.net
            .with(|n| n.order.push(format!("guard{}:{what}", self.n)));
        Ok(())
    }
}

impl Watchdog for DyingWatchdog {
    fn arm(&self, req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>> {
        Box::pin(async move {
            let n = {
                let mut armed = self.armed.lock().expect("lock");
                armed.push((req.clone(), Instant::now()));
                armed.len()
            };
            self.net
                .with(|x| x.order.push(format!("guard{n}:arm {}", req.step)));
            if n > 1 && self.rearm_fails {
                return Err("the guard did not say `ready` within 10 s".into());
            }
            Ok(Some(Box::new(DyingWatch {
                net: self.net.clone(),
                n,
                dies_at: (n == 1).then(|| Instant::now() + self.die_after),
                detected: Arc::clone(&self.detected),
            }) as Box<dyn Watch>))
        })
    }
}

impl Watch for DyingWatch {
    fn applied(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        let r = self.say("applied").map(|()| true);
        Box::pin(async move { r })
    }
    fn confirm(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        let r = self.say("confirm").map(|()| true);
        Box::pin(async move { r })
    }
    fn rolling_back(&mut self) -> BoxFuture<'_, Result<(), String>> {
        let r = self.say("rolling_back");
        Box::pin(async move { r })
    }
    fn resolved(&mut self) -> BoxFuture<'_, Result<(), String>> {
        let r = self.say("resolved");
        Box::pin(async move { r })
    }
    fn gone(&mut self) -> Option<String> {
        if !self.dead() {
            return None;
        }
        let mut d = self.detected.lock().expect("lock");
        d.get_or_insert_with(Instant::now);
        Some("the guard process exited (signal: 9 (SIGKILL))".into())
    }
}

/// Confirms the gate at once and each change 40 s after its verification
/// passed, so the window outlives the guard.
fn operator_confirming_late() -> impl FnMut(&Event) -> Reply + Send + 'static {
    let mut base = operator_confirming();
    move |ev| match ev {
        Event::Verified { step } => Reply::After(
            Duration::from_secs(40),
            Command::ConfirmHealthy { step: step.clone() },
        ),
        other => base(other),
    }
}

fn guard_events(run: &Run) -> Vec<&Event> {
    run.events
        .iter()
        .filter(|e| matches!(e, Event::GuardLost { .. } | Event::GuardRearmed { .. }))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_guard_that_dies_during_the_change_is_replaced_within_one_period() {
    let net = Net::new();
    let dog = DyingWatchdog::new(&net, Duration::from_secs(17), false);
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config(),
        operator_confirming_late(),
        Arc::new(dog.clone()),
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);

    let g = guard_events(&run);
    assert_eq!(g.len(), 2, "{g:?}");
    assert!(
        matches!(g[0], Event::GuardLost { step, detail } if step == DISABLE && detail.contains("SIGKILL"))
    );
    assert!(matches!(g[1], Event::GuardRearmed { step, ok: true, .. } if step == DISABLE));

    // Seen within one monitor period (the runbook's 5 s) of its death.
    let detected = dog.detected.lock().expect("lock").expect("detected");
    let late = detected - dog.died_at();
    assert!(
        late <= Duration::from_secs(5),
        "seen {late:?} after it died"
    );

    // The replacement keeps the change's deadline (wall clock; virtual time
    // moved about 20 s), and the confirmation goes to it.
    let armed = dog.armed.lock().expect("lock").clone();
    assert_eq!(armed.len(), 3, "disable, its replacement, enable");
    assert_eq!(armed[1].0.step, DISABLE);
    let earlier = armed[0].0.expires_at - armed[1].0.expires_at;
    assert!(
        earlier >= time::Duration::seconds(10) && earlier <= time::Duration::seconds(30),
        "the replacement's deadline moved by {earlier}"
    );
    assert!(run.at("guard2:arm disable-private-peering") < run.at("guard2:confirm"));
    assert!(run.at("journal:guard_rearmed") < run.at("journal:confirm_healthy"));
    assert_eq!(run.shown, run.events);
}

#[tokio::test(start_paused = true)]
async fn a_guard_that_dies_during_the_call_is_replaced_before_the_countdown() {
    let net = Net::new();
    // Dead before the change goes out: `applied` finds it gone.
    let dog = DyingWatchdog::new(&net, Duration::ZERO, false);
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config(),
        operator_confirming(),
        Arc::new(dog),
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert!(run.at("journal:action_done") < run.at("journal:guard_lost"));
    assert!(run.at("journal:guard_rearmed") < run.at("journal:deadline_armed"));
    assert!(run.at("guard2:arm disable-private-peering") < run.at("guard2:confirm"));
}

#[tokio::test(start_paused = true)]
async fn a_guard_that_cannot_be_replaced_is_said_and_the_console_still_guards() {
    let net = Net::new();
    let dog = DyingWatchdog::new(&net, Duration::from_secs(17), true);
    let run = run_session_guarded(
        failover_runbook(),
        net,
        config(),
        operator_confirming_late(),
        Arc::new(dog),
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    let g = guard_events(&run);
    assert!(
        matches!(g.as_slice(), [Event::GuardLost { .. }, Event::GuardRearmed { ok: false, detail, .. }] if detail.contains("ready")),
        "{g:?}"
    );
    assert_eq!(run.count("confirm_healthy"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_restore_enables_and_verifies_the_path() {
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let mut config = config();
    config.restore = true;
    let run = run_session(restore_runbook(), net, config, operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(
        run.count("peering_preflight"),
        0,
        "a restore starts from anything"
    );
    assert_eq!(run.count("confirm_healthy"), 1);
    assert_eq!(run.net.with(|n| n.peering.clone()), PeeringState::Enabled);
}

#[tokio::test(start_paused = true)]
async fn a_restore_that_cannot_enable_ends_with_the_manual_commands() {
    let net = Net::new();
    net.with(|n| {
        n.peering = PeeringState::Disabled;
        let refused = ArmError::Refused("AuthorizationFailed".into());
        n.script
            .push_back(SetScript::Err(vec![403], refused.clone()));
        n.script.push_back(SetScript::Err(vec![403], refused));
    });
    let mut config = config();
    config.restore = true;
    let run = run_session(restore_runbook(), net, config, operator_confirming()).await;
    assert_eq!(run.outcome.exit_code(), 4, "{}", run.outcome.outcome);
    let last = run.notes().into_iter().last().expect("a note");
    assert!(last.starts_with("NOT RESTORED"), "{last}");
    assert!(last.contains("--set state=Enabled"), "{last}");
}

#[tokio::test(start_paused = true)]
async fn a_restore_nobody_confirms_is_not_called_restored() {
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let mut config = config();
    config.restore = true;
    // Confirms the gate, never the result: the deadline passes.
    let mut base = operator_confirming();
    let operator = move |ev: &Event| match ev {
        Event::Verified { .. } => Reply::Nothing,
        other => base(other),
    };
    let run = run_session(restore_runbook(), net, config, operator).await;
    assert_eq!(run.outcome.exit_code(), 4, "{}", run.outcome.outcome);
    assert!(
        run.outcome
            .outcome
            .starts_with("the peering was not restored"),
        "{}",
        run.outcome.outcome
    );
}

#[tokio::test(start_paused = true)]
async fn a_restore_declined_at_the_gate_changes_nothing() {
    let net = Net::new();
    net.with(|n| n.peering = PeeringState::Disabled);
    let mut config = config();
    config.restore = true;
    let operator = |ev: &Event| match ev {
        Event::GatePrompt { step, .. } => Reply::Send(Command::GateDecline { step: step.clone() }),
        _ => Reply::Nothing,
    };
    let run = run_session(restore_runbook(), net, config, operator).await;
    assert_eq!(run.outcome.exit_code(), 1, "{}", run.outcome.outcome);
    assert!(!run.net.order().iter().any(|o| o.starts_with("azure:PUT")));
}
