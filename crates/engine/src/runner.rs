//! The session: a runbook run step by step as a state machine.
//!
//! Checks probe and judge (re-probing while `within` allows); a gate waits
//! for the operator; an action runs under guard; a record step writes down
//! when the next test is due. Check failures never stop the session by
//! themselves: a gate decides (invariant 1), and once a change is made the
//! procedure goes on to its restore. The session ends early only when a gate
//! is declined, a change is rolled back or not applied, or the journal
//! fails before any change.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;
use tokio::sync::mpsc::Receiver;
use tokio::sync::watch;
use tokio::time::{Instant, sleep};

use cutover_core::session::command::Command;
use super::detached::{NoWatchdog, Watchdog};
use cutover_core::session::event::{Event, Mode, NoteLevel, RollbackReason, StepInfo, Verdict};
use super::expect::{ClauseResult, Judged, judge};
use super::gate::{GatePass, GateResult, run_gate};
use super::guard::{Authorization, GuardOutcome, RollbackPolicy, rfc3339_ms, run_guarded_action};
use super::monitor;
use super::probes::{Capture, World, capture};
use super::sink::{EventSink, SinkError};
use cutover_core::session::Outcome;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use cutover_core::runbook::model::PathRules;
use cutover_core::runbook::{Check, Record, Runbook, Step, StepBody};

/// How a session runs, besides the runbook.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    pub mode: Mode,
    pub session_id: String,
    pub operator: String,
    pub ticket: Option<String>,
    pub scenario: Option<String>,
    /// SHA-256 of the runbook text, hex.
    pub runbook_sha256: String,
    /// `--deadline`: replaces every action's deadline.
    pub deadline_override: Option<Duration>,
    /// Pause between probes of a step that re-probes and says no `every`.
    pub default_every: Duration,
    pub rollback: RollbackPolicy,
    /// Run the live monitor (at the runbook's `monitor_every`).
    pub monitor: bool,
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
            scenario: None,
            runbook_sha256: String::new(),
            deadline_override: None,
            default_every: Duration::from_secs(5),
            rollback: RollbackPolicy::default(),
            monitor: mode != Mode::Validate,
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

/// What a check step found.
struct CheckResult {
    passed: bool,
    report: StepReport,
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
        config: SessionConfig,
    ) -> Self {
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

    /// Runs the session to its end. `commands` is the operator's channel;
    /// when it closes, a gate declines and a guarded change rolls back.
    pub async fn run(self, mut commands: Receiver<Command>) -> SessionOutcome {
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
        if let Err(e) = self.sink.emit(start).await {
            return SessionOutcome {
                status: Outcome::BadInput,
                outcome: format!("nothing was done: {e}"),
                steps: Vec::new(),
            };
        }

        let (stop_tx, stop_rx) = watch::channel(false);
        let monitor_task = match rb.meta.monitor_every {
            Some(every) if self.config.monitor => {
                let probes = monitor::live_probes(&rb);
                (!probes.is_empty()).then(|| {
                    tokio::spawn(monitor::run(
                        Arc::clone(&self.world),
                        self.sink.clone(),
                        probes,
                        every.as_std(),
                        stop_rx,
                    ))
                })
            }
            _ => None,
        };

        let (status, outcome, reports) = self.steps(&ctx, &rb, &mut commands).await;

        let _ = stop_tx.send(true);
        if let Some(t) = monitor_task
            && let Err(e) = t.await
        {
            tracing::warn!(error = %e, "the live monitor ended badly");
        }
        let _ = self
            .sink
            .emit(Event::SessionEnd {
                exit_code: status.exit_code(),
                outcome: outcome.clone(),
            })
            .await;
        SessionOutcome {
            status,
            outcome,
            steps: reports,
        }
    }

    async fn steps(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        rb: &Runbook,
        commands: &mut Receiver<Command>,
    ) -> (Outcome, String, Vec<StepReport>) {
        let mut reports: Vec<StepReport> = Vec::new();
        // Check verdicts by step id: what the next gate looks at.
        let mut verdicts: BTreeMap<&str, Verdict> = BTreeMap::new();
        let mut pass: Option<GatePass> = None;
        let journal_failed =
            |e: SinkError| (Outcome::BadInput, format!("stopped before any change: {e}"));
        for (index, step) in rb.steps.iter().enumerate() {
            if self.config.mode == Mode::Validate && !step.is_read_only() {
                continue;
            }
            if let Err(e) = ctx
                .sink
                .emit(Event::StepStart {
                    step: step.id.clone(),
                })
                .await
            {
                let (c, o) = journal_failed(e);
                return (c, o, reports);
            }
            let started = Instant::now();
            let mut report = StepReport {
                step: step.id.clone(),
                title: step.title.clone(),
                kind: step_kind(step),
                verdict: Verdict::Passed,
                device: None,
                command: None,
                evidence: Vec::new(),
                error: None,
                advisory: step.is_advisory(),
            };
            let mut end: Option<(Outcome, String)> = None;
            match &step.body {
                StepBody::Check(c) => {
                    let r = run_check(ctx, &step.id, c).await;
                    report = StepReport {
                        verdict: if r.passed {
                            Verdict::Passed
                        } else {
                            Verdict::Failed
                        },
                        ..r.report
                    };
                    report.title = step.title.clone();
                    verdicts.insert(&step.id, report.verdict);
                }
                StepBody::Gate(g) => {
                    let (warned, failed): (Vec<&Step>, Vec<&Step>) = rb
                        .steps
                        .iter()
                        .take(index)
                        .filter(|s| matches!(s.body, StepBody::Check(_)))
                        .filter(|s| verdicts.get(s.id.as_str()) != Some(&Verdict::Passed))
                        .partition(|s| s.is_advisory());
                    let failed: Vec<String> = failed.iter().map(|s| s.id.clone()).collect();
                    if !warned.is_empty() {
                        // Said before the prompt, so the operator weighs it
                        // with the decision (e.g. no BFD: a slow failover).
                        let list: Vec<&str> = warned.iter().map(|s| s.id.as_str()).collect();
                        ctx.note(
                            Some(&step.id),
                            NoteLevel::Warn,
                            format!(
                                "{} advisory check(s) failed, which does not hold this gate: {}",
                                list.len(),
                                list.join(", ")
                            ),
                        )
                        .await;
                    }
                    let prechecks_failed = !failed.is_empty();
                    match run_gate(ctx.sink, &step.id, g, failed.clone(), commands).await {
                        Ok(GateResult::Pass(p)) => {
                            if prechecks_failed {
                                report.verdict = Verdict::Overridden;
                                for f in &failed {
                                    if let Some(s) = rb.step(f) {
                                        verdicts.insert(&s.id, Verdict::Overridden);
                                    }
                                }
                            }
                            pass = Some(p);
                        }
                        Ok(GateResult::Declined { console_lost }) => {
                            report.verdict = Verdict::Failed;
                            let why = if console_lost {
                                "the console went away"
                            } else {
                                "declined"
                            };
                            end = Some((
                                Outcome::CheckFailed,
                                if prechecks_failed {
                                    format!(
                                        "stopped at `{}` ({why}) with {} failed pre-check(s): {}; nothing was changed",
                                        step.id,
                                        failed.len(),
                                        failed.join(", ")
                                    )
                                } else {
                                    format!("stopped at `{}` ({why}); nothing was changed", step.id)
                                },
                            ));
                        }
                        Err(e) => end = Some(journal_failed(e)),
                    }
                }
                StepBody::Action(a) => {
                    let auth = match pass.take() {
                        Some(p) => Some(Authorization::from_gate(p)),
                        None => Authorization::harmless(a.action.op),
                    };
                    report.command = Some(a.action.command.clone());
                    report.device = Some(a.action.role.clone());
                    let outcome = match auth {
                        Some(auth) => run_guarded_action(ctx, &step.id, a, auth, commands).await,
                        None => {
                            ctx.note(
                                Some(&step.id),
                                NoteLevel::Error,
                                format!("refused: `{}` needs a passed gate first", a.action.op),
                            )
                            .await;
                            GuardOutcome::NotApplied {
                                detail: "no gate before a disruptive change".into(),
                            }
                        }
                    };
                    match outcome {
                        GuardOutcome::Confirmed => {}
                        GuardOutcome::NotApplied { detail } => {
                            report.verdict = Verdict::Failed;
                            report.error = Some(detail.clone());
                            // Refused because the journal failed: the
                            // record, not the network, is what is broken.
                            let code = if ctx.sink.journal_error().is_some() {
                                Outcome::BadInput
                            } else {
                                Outcome::CheckFailed
                            };
                            end = Some((code, format!("`{}` was not applied: {detail}", step.id)));
                        }
                        GuardOutcome::RolledBack { reason } => {
                            report.verdict = Verdict::Failed;
                            end = Some((
                                Outcome::RolledBack,
                                format!("`{}` rolled back ({})", step.id, reason_text(reason)),
                            ));
                        }
                        GuardOutcome::RollbackFailed { reason } => {
                            report.verdict = Verdict::Failed;
                            end = Some((
                                Outcome::OperatorMustAct,
                                format!(
                                    "`{}`: the rollback ({}) FAILED; the operator must restore the peering by hand",
                                    step.id,
                                    reason_text(reason)
                                ),
                            ));
                        }
                    }
                }
                StepBody::Record(r) => record(ctx, &step.id, r).await,
            }
            let _ = ctx
                .sink
                .emit(Event::StepEnd {
                    step: step.id.clone(),
                    verdict: report.verdict,
                    elapsed_ms: millis(started.elapsed()),
                })
                .await;
            reports.push(report);
            if let Some((code, outcome)) = end {
                return (code, outcome, reports);
            }
        }
        let failed: Vec<&str> = reports
            .iter()
            .filter(|r| r.kind == "check" && !r.advisory)
            .filter(|r| verdicts.get(r.step.as_str()) == Some(&Verdict::Failed))
            .map(|r| r.step.as_str())
            .collect();
        let warned: Vec<&str> = reports
            .iter()
            .filter(|r| r.advisory && r.verdict == Verdict::Failed)
            .map(|r| r.step.as_str())
            .collect();
        if failed.is_empty() && warned.is_empty() {
            (Outcome::Completed, "completed".into(), reports)
        } else if failed.is_empty() {
            let o = format!(
                "completed; {} advisory check(s) warned: {}",
                warned.len(),
                warned.join(", ")
            );
            (Outcome::Completed, o, reports)
        } else {
            let o = format!(
                "completed with {} failed check(s): {}",
                failed.len(),
                failed.join(", ")
            );
            (Outcome::CheckFailed, o, reports)
        }
    }
}

fn reason_text(r: RollbackReason) -> &'static str {
    match r {
        RollbackReason::DeadlinePassed => "the deadline passed without a confirmation",
        RollbackReason::VerificationFailed => "the verification failed",
        RollbackReason::Operator => "the operator asked",
        RollbackReason::ConsoleLost => "the console went away",
    }
}

/// Probes once, or until the expectations hold while `within` allows.
async fn run_check<D, A, L>(ctx: &Ctx<'_, D, A, L>, step: &str, c: &Check) -> CheckResult
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let started = Instant::now();
    let every = c
        .every
        .map_or(ctx.config.default_every, |d| d.as_std())
        .max(Duration::from_millis(100));
    loop {
        let cap = capture(ctx.world, &c.probe).await;
        let judged = judge(&cap, &c.expect, &ctx.rules);
        ctx.emit_probe(step, &cap, &judged).await;
        for cl in &judged.clauses {
            let _ = ctx
                .sink
                .emit(Event::Expectation {
                    step: step.to_string(),
                    clause: cl.clause.clone(),
                    passed: cl.passed,
                    evidence: cl.evidence.clone(),
                })
                .await;
        }
        let passed = judged.passed();
        let spent = started.elapsed();
        let within = c.within.map_or(Duration::ZERO, |w| w.as_std());
        if passed || spent >= within {
            return CheckResult {
                passed,
                report: StepReport {
                    step: step.to_string(),
                    title: String::new(),
                    kind: "check",
                    verdict: if passed {
                        Verdict::Passed
                    } else {
                        Verdict::Failed
                    },
                    device: Some(cap.device),
                    command: Some(cap.command),
                    evidence: judged.clauses,
                    error: judged.error,
                    advisory: c.advisory,
                },
            };
        }
        sleep(every.min(within - spent)).await;
    }
}

/// Writes down when the next test is due, and what to keep in place until
/// then.
async fn record<D, A, L>(ctx: &Ctx<'_, D, A, L>, step: &str, r: &Record) {
    let next_in = r.next_test_in.as_std();
    let due = OffsetDateTime::now_utc() + next_in;
    ctx.note(
        Some(step),
        NoteLevel::Info,
        format!(
            "next test due {} (in {}): repeat this procedure in a maintenance window",
            rfc3339_ms(due),
            r.next_test_in
        ),
    )
    .await;
    let _ = ctx
        .sink
        .emit(Event::Measurement {
            step: step.to_string(),
            name: "next_test_in".into(),
            millis: millis(next_in),
        })
        .await;
    for reminder in &r.reminders {
        ctx.note(Some(step), NoteLevel::Info, reminder.clone())
            .await;
    }
}
