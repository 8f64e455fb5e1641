//! The session: a runbook run step by step as a state machine.
//!
//! Checks probe and judge (re-probing while `within` allows); a gate waits
//! for the operator; an action runs under guard; a record step writes down
//! when the next test is due. Check failures never stop the session by
//! themselves: a gate decides (invariant 1), and once a change is made the
//! procedure goes on to its restore. The session ends early only when a gate
//! is declined, a change is rolled back or not applied, or the journal
//! fails before any change.

mod check;
mod desk;
mod prefetch;
mod reread;
mod scored;
mod steps;
mod stranded;

pub(crate) use reread::journal_peering_read;

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc::Receiver;
use tokio::sync::watch;

use crate::detached::{NoWatchdog, Watchdog};
use crate::expect::{ClauseResult, Judged};
use crate::guard::RollbackPolicy;
use crate::monitor;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::probes::{Capture, World};
use crate::sink::EventSink;
use cutover_core::runbook::model::PathRules;
use cutover_core::runbook::{Runbook, Step, StepBody};
use cutover_core::session::Outcome;
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, Mode, NoteLevel, StepInfo, Verdict};

/// How a session runs, besides the runbook.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub mode: Mode,
    pub session_id: String,
    pub operator: String,
    pub ticket: Option<String>,
    /// The fingerprint of the key the journal is signed with, if any.
    pub key_fingerprint: Option<String>,
    pub scenario: Option<String>,
    /// SHA-256 of the runbook text, hex.
    pub runbook_sha256: String,
    /// `--deadline`: replaces every action's deadline.
    pub deadline_override: Option<Duration>,
    /// `--settle`: replaces every action's settle window (how long a
    /// rollback watches the peering after its write).
    pub settle_override: Option<Duration>,
    /// `--rollback-budget`: replaces every action's rollback budget (how
    /// long a failing rollback retries before the operator must act).
    pub rollback_budget_override: Option<Duration>,
    /// Pause between probes of a step that re-probes and says no `every`.
    pub default_every: Duration,
    pub rollback: RollbackPolicy,
    /// Run the live monitor (at the runbook's `monitor_every`).
    pub monitor: bool,
    /// How often the console checks that its detached guard still lives
    /// during a guarded change; `None`: the runbook's `monitor_every`, or
    /// 5 s.
    pub guard_check_every: Option<Duration>,
    /// The command that restores the peering (`cutover restore
    /// --inventory ...`), named when the session refuses to start.
    pub restore_command: Option<String>,
    /// Said (and journaled) right after `session_start`.
    pub start_notes: Vec<String>,
    /// Journaled right after `session_start`, before its notes: what the
    /// caller knows about the session's world (a drill's `lab_time_scale`).
    pub start_events: Vec<Event>,
    /// This session restores the peering (`cutover restore`): once its
    /// action ran, any end but "completed" is `OperatorMustAct`.
    pub restore: bool,
    /// A blind drill (`drill --blind`): the trainee marks each pre-check
    /// pass or fail, and a gate opens only once all before it are marked.
    pub blind: bool,
    /// A drill's objectives: judged at the end (`drill_score`, just
    /// before `session_end`).
    pub drill: Option<cutover_core::drill::DrillPlan>,
}

impl SessionConfig {
    pub fn new(mode: Mode) -> Self {
        Self {
            mode,
            session_id: uuid::Uuid::new_v4().to_string(),
            operator: std::env::var("USER")
                .or_else(|_| std::env::var("USERNAME"))
                .unwrap_or_else(|_| "unknown".into()),
            ticket: None,
            key_fingerprint: None,
            scenario: None,
            runbook_sha256: String::new(),
            deadline_override: None,
            settle_override: None,
            rollback_budget_override: None,
            default_every: Duration::from_secs(5),
            rollback: RollbackPolicy::default(),
            monitor: mode != Mode::Validate,
            guard_check_every: None,
            restore_command: None,
            start_notes: Vec::new(),
            start_events: Vec::new(),
            restore: false,
            blind: false,
            drill: None,
        }
    }
}

/// One step's result, for `cutover validate` and for callers that want
/// more than the exit code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepReport {
    pub step: String,
    pub title: String,
    /// `check`, `gate`, `action`, `record`.
    pub kind: &'static str,
    pub verdict: Verdict,
    /// The role asked (checks).
    pub device: Option<String>,
    /// The exact command or call (checks: the last one sent).
    pub command: Option<String>,
    /// Each clause, with what was seen.
    pub evidence: Vec<ClauseResult>,
    /// Why the probe gave no usable answer.
    pub error: Option<String>,
    /// A failure of this check warns; it holds neither the gate nor the
    /// exit status.
    pub advisory: bool,
}

/// How a session ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionOutcome {
    pub status: Outcome,
    pub outcome: String,
    pub steps: Vec<StepReport>,
}

impl SessionOutcome {
    /// CONTRACT.md's exit status.
    pub fn exit_code(&self) -> u8 {
        self.status.exit_code()
    }
}

/// What the session's parts share while it runs.
pub(crate) struct Ctx<'a, D, A, L> {
    pub world: &'a World<D, A, L>,
    pub sink: &'a EventSink,
    pub rules: PathRules,
    pub config: &'a SessionConfig,
    pub watchdog: &'a dyn Watchdog,
}

impl<D, A, L> Ctx<'_, D, A, L> {
    /// A note; a journal failure here is reported by the next event that
    /// matters, so it is not handled twice.
    pub async fn note(&self, step: Option<&str>, level: NoteLevel, text: String) {
        let _ = self
            .sink
            .emit(Event::Note {
                step: step.map(str::to_string),
                level,
                text,
            })
            .await;
    }

    pub async fn emit_probe(&self, step: &str, cap: &Capture, judged: &Judged) {
        let _ = self
            .sink
            .emit(probe_event(step, cap, judged.parsed.clone()))
            .await;
    }
}

/// The journal's record of one probe.
pub fn probe_event(step: &str, cap: &Capture, parsed: Option<serde_json::Value>) -> Event {
    Event::Probe {
        step: step.to_string(),
        device: cap.device.clone(),
        query: cap.query.as_str().to_string(),
        command: cap.command.clone(),
        raw: cap.raw.clone(),
        error: cap.error.clone(),
        parsed,
        elapsed_ms: u64::try_from(cap.elapsed.as_millis()).unwrap_or(u64::MAX),
        ids: cap.ids.clone(),
    }
}

/// A runbook, the world it runs against, and where its events go.
pub struct Engine<D, A, L> {
    runbook: Arc<Runbook>,
    world: Arc<World<D, A, L>>,
    sink: EventSink,
    config: SessionConfig,
    watchdog: Arc<dyn Watchdog>,
}

impl<D, A, L> std::fmt::Debug for Engine<D, A, L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("runbook", &self.runbook.meta.id)
            .field("mode", &self.config.mode)
            .finish_non_exhaustive()
    }
}

fn step_kind(s: &Step) -> &'static str {
    match s.body {
        StepBody::Check(_) => "check",
        StepBody::Gate(_) => "gate",
        StepBody::Action(_) => "action",
        StepBody::Record(_) => "record",
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl<D, A, L> Engine<D, A, L>
where
    D: DeviceSession + 'static,
    A: AzureApi + 'static,
    L: Tracer + 'static,
{
    pub fn new(
        runbook: Arc<Runbook>,
        world: Arc<World<D, A, L>>,
        sink: EventSink,
        mut config: SessionConfig,
    ) -> Self {
        if config.guard_check_every.is_none() {
            config.guard_check_every = runbook.meta.monitor_every.map(|d| d.as_std());
        }
        Self {
            runbook,
            world,
            sink,
            config,
            watchdog: Arc::new(NoWatchdog),
        }
    }

    /// Uses `watchdog` to start a detached guard for every guarded change.
    pub fn with_watchdog(mut self, watchdog: Arc<dyn Watchdog>) -> Self {
        self.watchdog = watchdog;
        self
    }

    /// How the session runs.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// Runs the session to its end. `commands` is the operator's channel;
    /// when it closes, a gate declines and a guarded change rolls back.
    pub async fn run(self, commands: Receiver<Command>) -> SessionOutcome {
        let rb = Arc::clone(&self.runbook);
        let ctx = Ctx {
            world: &self.world,
            sink: &self.sink,
            rules: rb.paths.rules(),
            config: &self.config,
            watchdog: self.watchdog.as_ref(),
        };
        let start = Event::SessionStart {
            session_id: self.config.session_id.clone(),
            mode: self.config.mode,
            runbook_id: rb.meta.id.clone(),
            runbook_title: rb.meta.title.clone(),
            runbook_sha256: self.config.runbook_sha256.clone(),
            operator: self.config.operator.clone(),
            ticket: self.config.ticket.clone(),
            key_fingerprint: self.config.key_fingerprint.clone(),
            scenario: self.config.scenario.clone(),
            steps: rb
                .steps
                .iter()
                .filter(|s| self.config.mode != Mode::Validate || s.is_read_only())
                .map(|s| StepInfo {
                    id: s.id.clone(),
                    title: s.title.clone(),
                    phase: s.phase.as_str().to_string(),
                    kind: step_kind(s).to_string(),
                })
                .collect(),
            version: env!("CARGO_PKG_VERSION").to_string(),
        };
        if let Some(plan) = &self.config.drill {
            self.sink.start_tap(plan);
        }
        if let Err(e) = self.sink.emit(start).await {
            return SessionOutcome {
                status: Outcome::BadInput,
                outcome: format!("nothing was done: {e}"),
                steps: Vec::new(),
            };
        }
        stranded::start_notes(&ctx).await;
        if let Some(refused) = stranded::preflight(&ctx, &rb).await {
            return self.end(Outcome::CheckFailed, refused, Vec::new()).await;
        }

        let (stop_tx, stop_rx) = watch::channel(false);
        let monitor_task = match rb.meta.monitor_every {
            Some(every) if self.config.monitor => {
                let probes = monitor::polled(&rb);
                (!probes.is_empty()).then(|| {
                    tokio::spawn(monitor::run(
                        Arc::clone(&self.world),
                        self.sink.clone(),
                        probes,
                        every.as_std(),
                        stop_rx,
                        self.sink.change_out(),
                    ))
                })
            }
            _ => None,
        };

        // A drill's marks and hints are taken off the channel as they come.
        let (mut desk, mut commands) = if self.config.mode == Mode::Drill {
            let (d, rx) = desk::Desk::open(
                self.sink.clone(),
                Arc::clone(&rb),
                self.config.blind,
                commands,
            );
            (Some(d), rx)
        } else {
            (None, commands)
        };
        let (status, outcome, reports) = self.steps(&ctx, &rb, &mut commands, desk.as_mut()).await;
        let (status, outcome) = stranded::settle_restore(&ctx, status, outcome, &reports).await;

        let _ = stop_tx.send(true);
        if let Some(t) = monitor_task
            && let Err(e) = t.await
        {
            tracing::warn!(error = %e, "the live monitor ended badly");
        }
        // Before the score and `session_end`: a hint journaled after them
        // would find the journal closed.
        if let Some(d) = &desk {
            d.close().await;
        }
        self.end(status, outcome, reports).await
    }

    async fn end(
        &self,
        status: Outcome,
        outcome: String,
        steps: Vec<StepReport>,
    ) -> SessionOutcome {
        let end = Event::SessionEnd {
            exit_code: status.exit_code(),
            outcome: outcome.clone(),
        };
        if let Some(plan) = &self.config.drill {
            scored::emit(&self.sink, plan, &end).await;
        }
        let _ = self.sink.emit(end).await;
        SessionOutcome {
            status,
            outcome,
            steps,
        }
    }
}
