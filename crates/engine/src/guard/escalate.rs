//! Escalate, don't hide (issue 18): a rollback that keeps failing (ARM
//! unreachable, timing out, throttling, answering 5xx) is said at once,
//! not after the retries run out. Within [`ESCALATE_AFTER`] of its first
//! failure (or [`SILENCE`] with no answer at all) a `rollback_escalated`
//! event carries the manual commands, the failed attempts so far and when
//! the next one goes out; it is journaled again at each failure after
//! that. The retries go on until one succeeds, the operator takes over
//! (`Command::TakeOver`), or the rollback budget is spent.
//!
//! The budget bounds failing, not working: it counts afresh for each
//! write the rollback makes (a re-assert in the settle window has the
//! whole budget), and never cuts a call whose last exchange succeeded
//! while ARM keeps answering (a peering update that takes longer than the
//! budget while every poll answers is left to finish).

use std::future::Future;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::mpsc::Receiver;
use tokio::time::{Instant, sleep_until};

use super::attempt::{Journaled, Sidelines};
use super::rfc3339_ms;
use crate::gate::describe;
use crate::port::{ArmAttempt, ArmError};
use crate::runner::Ctx;
use cutover_core::azure_call::ManualCommands;
use cutover_core::session::command::Command;
use cutover_core::session::event::{Event, NoteLevel};

/// How long a rollback may keep failing before a person is told.
pub const ESCALATE_AFTER: Duration = Duration::from_secs(8);
/// How long a rollback may hear nothing at all from ARM (a hung
/// connection) before a person is told.
pub const SILENCE: Duration = Duration::from_secs(20);

/// Why the retries stopped without success.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum GaveUp {
    /// The operator said they restore the peering themselves.
    TakenOver,
    /// The rollback budget is spent.
    BudgetSpent,
}

/// One rollback's failures, its budget and who may stop it.
pub(super) struct Escalation<'s, 'c, D, A, L> {
    ctx: &'s Ctx<'c, D, A, L>,
    step: &'s str,
    manual: ManualCommands,
    budget: Duration,
    /// When the write under way began: the budget counts from here.
    since: Instant,
    /// The last exchange succeeded: the call is progressing, and is not
    /// cut while ARM keeps answering.
    progressing: bool,
    /// The operator's commands; `None` once nobody is there.
    commands: Option<&'s mut Receiver<Command>>,
    failures: u32,
    failures_in_call: u32,
    /// Failures before escalating whatever the time (the policy's
    /// `attempts`).
    failures_to_escalate: u32,
    first_failure: Option<Instant>,
    last_heard: Instant,
    escalated: bool,
    /// A failure since the last `rollback_escalated`.
    unsaid: bool,
    next_at: Option<OffsetDateTime>,
    last_error: String,
    pub(super) ended: Option<GaveUp>,
}

pub(super) enum Cue {
    Escalate,
    Budget,
    /// `None`: the console is gone.
    Command(Option<Command>),
}

impl<'s, 'c, D, A, L> Escalation<'s, 'c, D, A, L> {
    pub(super) fn new(
        ctx: &'s Ctx<'c, D, A, L>,
        step: &'s str,
        manual: ManualCommands,
        budget: Duration,
        commands: Option<&'s mut Receiver<Command>>,
    ) -> Self {
        let now = Instant::now();
        // Bounded at validation; a caller's odd value still must not
        // overflow a clock.
        let budget = budget.min(cutover_core::runbook::Action::MAX_ROLLBACK_BUDGET);
        Self {
            ctx,
            step,
            manual,
            budget,
            since: now,
            progressing: false,
            commands,
            failures: 0,
            failures_in_call: 0,
            failures_to_escalate: ctx.config.rollback.attempts.max(1),
            first_failure: None,
            last_heard: now,
            escalated: false,
            unsaid: false,
            next_at: None,
            last_error: String::new(),
            ended: None,
        }
    }

    pub(super) fn failures(&self) -> u32 {
        self.failures
    }

    pub(super) fn budget(&self) -> Duration {
        self.budget
    }

    /// Why the retries ended without success (the operator took over, or
    /// the budget is spent), as said in a `rollback_failed`.
    pub(super) fn gave_up(&self) -> String {
        match self.ended {
            Some(GaveUp::TakenOver) => format!(
                "the operator took over after {} failed attempt(s): retries stopped (last: {})",
                self.failures(),
                self.last_error()
            ),
            _ => format!(
                "the rollback budget of {} is spent after {} failed attempt(s) (last: {})",
                cutover_core::model::duration::human_std(self.budget()),
                self.failures(),
                self.last_error()
            ),
        }
    }

    /// The last failure, as said in a `rollback_failed`.
    pub(super) fn last_error(&self) -> &str {
        if self.last_error.is_empty() {
            "none answered with an error"
        } else {
            &self.last_error
        }
    }

    /// A new write begins (the rollback's, or a re-assert in the settle
    /// window): it has the whole budget.
    pub(super) fn new_write(&mut self) {
        self.since = Instant::now();
        self.progressing = false;
    }

    /// When the retries stop: the budget after the write began, or, while
    /// the call progresses, once ARM has said nothing for [`SILENCE`]
    /// past the wait it asked for.
    fn gives_up(&self) -> Instant {
        let end = self.since + self.budget;
        if self.progressing {
            end.max(self.last_heard + SILENCE)
        } else {
            end
        }
    }

    /// [`Self::gives_up`] on the wall clock, as said to the operator.
    fn gives_up_wall(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc() + self.gives_up().saturating_duration_since(Instant::now())
    }

    /// A new call begins: its exchanges are counted afresh.
    pub(super) fn begin_call(&mut self) {
        self.failures_in_call = 0;
        self.last_heard = Instant::now();
    }

    /// The whole call failed and is tried again in `retry_in`. Counted as
    /// one failure only when none of its exchanges already was.
    pub(super) fn call_failed(&mut self, e: &ArmError, retry_in: Duration) {
        self.progressing = false;
        if self.failures_in_call == 0 {
            self.failed_once();
        }
        self.last_error = e.to_string();
        self.next_at = Some(OffsetDateTime::now_utc() + retry_in);
        self.unsaid |= self.escalated;
    }

    fn failed_once(&mut self) {
        self.progressing = false;
        self.failures = self.failures.saturating_add(1);
        self.failures_in_call = self.failures_in_call.saturating_add(1);
        self.first_failure.get_or_insert_with(Instant::now);
    }

    /// Waits `d` before the next whole attempt, still reading the
    /// operator and the budget; `false` when the retries must stop.
    pub(super) async fn pause(&mut self, d: Duration) -> bool {
        let ctx = self.ctx;
        let step = self.step;
        Journaled::new()
            .drive(ctx, step, tokio::time::sleep(d), self)
            .await
            .is_some()
    }

    fn due(&self) -> Option<Instant> {
        if self.unsaid {
            return Some(Instant::now());
        }
        if self.escalated {
            return None;
        }
        if self.failures >= self.failures_to_escalate {
            return Some(Instant::now());
        }
        let silent = self.last_heard + SILENCE;
        Some(
            self.first_failure
                .map_or(silent, |f| (f + ESCALATE_AFTER).min(silent)),
        )
    }

    async fn escalate(&mut self) {
        let first = !self.escalated;
        self.escalated = true;
        self.unsaid = false;
        let error = if self.last_error.is_empty() {
            format!("no answer from ARM for {} s", SILENCE.as_secs())
        } else {
            self.last_error.clone()
        };
        if first {
            // Also said where the journal is not read (the detached
            // guard's standard error, the console's log).
            tracing::error!(
                step = %self.step,
                attempts = self.failures,
                error = %error,
                az = %self.manual.az_cli,
                "the rollback is not getting through; retrying, restore the peering by hand if it does not"
            );
        }
        let _ = self
            .ctx
            .sink
            .emit(Event::RollbackEscalated {
                step: self.step.to_string(),
                attempts: self.failures,
                error,
                next_attempt_at: self.next_at.map(rfc3339_ms),
                gives_up_at: rfc3339_ms(self.gives_up_wall()),
                manual: self.manual.clone(),
            })
            .await;
    }
}

/// The attempt failed in a way that retrying may fix (ARM unreachable,
/// timing out, throttling, 5xx).
fn failed(a: &ArmAttempt) -> bool {
    matches!(a.status, 0 | 408 | 429) || a.status >= 500
}

fn attempt_error(a: &ArmAttempt) -> String {
    let what = match (a.status, a.error_code.as_deref()) {
        (0, Some(code)) => format!("no answer ({code})"),
        (0, None) => "no answer".to_string(),
        (s, Some(code)) => format!("{s} {code}"),
        (s, None) => s.to_string(),
    };
    format!("{} {}: {what}", a.method, a.path)
}

impl<D, A, L> Sidelines for Escalation<'_, '_, D, A, L> {
    type Cue = Cue;

    fn next(&mut self) -> impl Future<Output = Cue> {
        let due = self.due();
        let gives_up = self.gives_up();
        let commands = &mut self.commands;
        async move {
            tokio::select! {
                biased;
                c = next_command(commands) => Cue::Command(c),
                () = sleep_until(gives_up) => Cue::Budget,
                () = at(due) => Cue::Escalate,
            }
        }
    }

    async fn handle(&mut self, cue: Cue) {
        match cue {
            Cue::Escalate => self.escalate().await,
            Cue::Budget => self.ended = Some(GaveUp::BudgetSpent),
            Cue::Command(None) => self.commands = None,
            Cue::Command(Some(Command::TakeOver { step })) if step == self.step => {
                self.ended = Some(GaveUp::TakenOver);
            }
            Cue::Command(Some(other)) => {
                let text = format!(
                    "ignored while the rollback goes on: {}; `takeover` stops the retries and leaves the peering to you",
                    describe(&other)
                );
                self.ctx.note(Some(self.step), NoteLevel::Info, text).await;
            }
        }
    }

    fn stop(&self) -> bool {
        self.ended.is_some()
    }

    fn seen(&mut self, a: &ArmAttempt) {
        // A wait ARM asked for (an operation's next poll) is not silence.
        let wait = Duration::from_millis(a.retry_after_ms.unwrap_or(0));
        self.last_heard = Instant::now() + wait.min(Duration::from_secs(600));
        if failed(a) {
            self.failed_once();
            self.last_error = attempt_error(a);
            self.next_at = a
                .retry_after_ms
                .map(|ms| OffsetDateTime::now_utc() + Duration::from_millis(ms));
            self.unsaid |= self.escalated;
        } else {
            self.next_at = None;
            // A refusal (409 another operation, 412) is not progress.
            self.progressing = (200..400).contains(&a.status);
        }
    }
}

async fn at(when: Option<Instant>) {
    match when {
        Some(t) => sleep_until(t).await,
        None => std::future::pending().await,
    }
}

/// The next command, or never when nobody is there.
async fn next_command(commands: &mut Option<&mut Receiver<Command>>) -> Option<Command> {
    match commands {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}
