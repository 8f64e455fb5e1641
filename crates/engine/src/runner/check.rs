//! The steps that change nothing: a check probes and judges, a record
//! step writes down when the next test is due.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::{Instant, sleep};

use super::{Ctx, StepReport, millis};
use crate::expect::judge;
use crate::guard::rfc3339_ms;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::probes::{Capture, capture};
use cutover_core::runbook::{Check, Record};
use cutover_core::session::event::{Event, NoteLevel, Verdict};

/// Probes once, or until the expectations hold while `within` allows; the
/// report has no title (the step loop adds it). `first`: the first answer,
/// when it was fetched ahead (see `prefetch`).
pub(super) async fn run_check<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    c: &Check,
    mut first: Option<Capture>,
) -> StepReport
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
        let cap = match first.take() {
            Some(cap) => cap,
            None => capture(ctx.world, &c.probe).await,
        };
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
            return StepReport {
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
            };
        }
        sleep(every.min(within - spent)).await;
    }
}

/// Writes down when the next test is due, and what to keep in place until
/// then.
pub(super) async fn record<D, A, L>(ctx: &Ctx<'_, D, A, L>, step: &str, r: &Record) {
    let next_in = r.next_test_in.as_std();
    let due = OffsetDateTime::now_utc() + next_in;
    ctx.note(
        Some(step),
        NoteLevel::Info,
        format!(
            "next test due {} (in {}): repeat this procedure in a maintenance window",
            rfc3339_ms(due),
            cutover_core::model::duration::human_std(next_in)
        ),
    )
    .await;
    let _ = ctx
        .sink
        .emit(Event::Measurement {
            step: step.to_string(),
            name: "next_test_in".into(),
            millis: millis(next_in),
            uncertainty_ms: None,
            from: None,
            to: None,
        })
        .await;
    for reminder in &r.reminders {
        ctx.note(Some(step), NoteLevel::Info, reminder.clone())
            .await;
    }
}
