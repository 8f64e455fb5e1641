//! The verifications of a guarded change: each re-probes until its clauses
//! hold or its `within` runs out, all at once, so that the slowest decides
//! when the change is verified and the first to give up ends the wait.

use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::time::{Instant, sleep};

use super::loss::{self, LossWatch};
use super::measure::PathClock;
use crate::expect::judge;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::probes::capture;
use crate::runner::Ctx;
use cutover_core::runbook::Verify;
use cutover_core::session::event::Event;

struct ItemResult {
    passed: bool,
    at: Instant,
}

/// Runs every verification until all passed (`Some` with the moment the
/// last one passed) or one gave up (`None`, at once: there is no point in
/// waiting for the others).
pub(super) async fn verify_all<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    items: &[Verify],
    since: Instant,
    loss: &LossWatch,
    clock: &PathClock,
) -> Option<Instant>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let mut running: FuturesUnordered<_> = items
        .iter()
        .enumerate()
        .map(|(i, v)| verify_one(ctx, step, v, since, (i, loss), clock))
        .collect();
    let mut last = since;
    while let Some(r) = running.next().await {
        if !r.passed {
            return None;
        }
        last = last.max(r.at);
    }
    Some(last)
}

/// The clause name a verification reports under: the role makes two
/// verifications with the same clause text distinct.
pub fn verify_clause(v: &Verify, clause: &str) -> String {
    format!("{}: {clause}", v.probe.role)
}

async fn verify_one<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    v: &Verify,
    since: Instant,
    (item, loss): (usize, &LossWatch),
    clock: &PathClock,
) -> ItemResult
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let every = v
        .every
        .map_or(ctx.config.default_every, |d| d.as_std())
        .max(Duration::from_millis(100));
    let within = v.within.as_std();
    loop {
        let sent = Instant::now();
        let cap = capture(ctx.world, &v.probe).await;
        let judged = judge(&cap, &v.expect, &ctx.rules);
        ctx.emit_probe(step, &cap, &judged).await;
        if let Some(m) = clock.observe(item, sent, Instant::now(), judged.passed()) {
            let _ = ctx.sink.emit(m).await;
        }
        let elapsed_ms = u64::try_from(since.elapsed().as_millis()).unwrap_or(u64::MAX);
        if judged.clauses.is_empty() {
            let _ = ctx
                .sink
                .emit(Event::VerifyResult {
                    step: step.to_string(),
                    clause: verify_clause(v, &v.probe.query.to_string()),
                    passed: judged.passed(),
                    evidence: judged.error.clone().unwrap_or_else(|| "answered".into()),
                    elapsed_ms,
                })
                .await;
        }
        for c in &judged.clauses {
            let _ = ctx
                .sink
                .emit(Event::VerifyResult {
                    step: step.to_string(),
                    clause: verify_clause(v, &c.clause),
                    passed: c.passed,
                    evidence: c.evidence.clone(),
                    elapsed_ms,
                })
                .await;
        }
        if let Some(seen) = loss::read(v, &cap, &judged, &ctx.rules) {
            loss.observe(ctx, step, item, sent, seen).await;
        }
        let now = Instant::now();
        if judged.passed() {
            return ItemResult {
                passed: true,
                at: now,
            };
        }
        let spent = now.saturating_duration_since(since);
        if spent >= within {
            return ItemResult {
                passed: false,
                at: now,
            };
        }
        sleep(every.min(within - spent)).await;
    }
}
