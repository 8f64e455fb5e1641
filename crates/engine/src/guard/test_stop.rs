//! The undo of Azure's failover test is a stop (`stopSiteFailoverTest`,
//! `stopCircuitLinkFailoverTest`),
//! run by the same machinery as a peering rollback: every exchange
//! journaled as it happens, retried through throttling and transient
//! errors until it succeeds, the operator takes over or the budget is
//! spent (escalating meanwhile, with the manual commands), then watched:
//! the peering rollback's "settle" is here "read the details until the
//! test no longer runs". The detached guard runs this too, with the
//! test its console journaled (the gateway and location, or the circuit
//! and link) and its id.
//!
//! A stop after the operator's confirmation carries the verdict
//! (`wasSimulationSuccessful=true`, each connection's or the link test's
//! `isVerified=true`); every other stop says the simulation was not
//! successful.

use std::time::Duration;

use time::OffsetDateTime;
use tokio::time::{Instant, sleep_until};

use super::attempt::Journaled;
use super::escalate::Escalation;
use super::{GuardOutcome, Undo, retryable, rfc3339_ms};
use crate::detached::Watch;
use crate::port::trace::Tracer;
use crate::port::{
    ArmAttempt, AzureApi, DeviceSession, FailoverTestTarget, ManualCommands, SendPermit,
};
use crate::runner::Ctx;
use cutover_core::model::azure::{
    FailoverConnectionDetails, FailoverTestDetails, FailoverTestSummary,
};
use cutover_core::runbook::{ActionOp, LinkTest};
use cutover_core::session::event::{Event, NoteLevel, RollbackReason, RollbackResult};
use cutover_core::session::failover_test::FailoverTestView;

/// How often the details are read while the test runs and after a stop.
pub(super) const DETAILS_POLL: Duration = Duration::from_secs(5);
/// How long a stop waits for the details to stop reading "running" when
/// the settle window is shorter.
const MIN_STOP_WATCH: Duration = Duration::from_secs(30);

/// The test being run: which, where, and (once known) its id.
#[derive(Debug, Clone)]
pub(crate) struct TestRef {
    pub target: FailoverTestTarget,
    /// The site test's peering location (empty for a link test).
    pub location: String,
    pub id: Option<String>,
    /// When this action began, before its start went out: a test found
    /// by [`find_latest`] must have started since. `None` where it is not
    /// known (the detached guard): the newest test there is taken.
    pub since: Option<OffsetDateTime>,
}

impl TestRef {
    /// Where it runs, for a person (`at Seattle on rg/ergw`).
    fn place(&self) -> String {
        self.target.place(&self.location)
    }
}

/// The verdict a stop carries.
#[derive(Debug, Clone)]
pub(super) struct Verdict {
    pub successful: bool,
    pub details: Vec<FailoverConnectionDetails>,
}

impl Verdict {
    /// Not successful: the deadline, an abort, a failed verification, a
    /// console that died.
    pub fn failed() -> Self {
        Self {
            successful: false,
            details: Vec::new(),
        }
    }

    /// The operator confirmed: successful, and every connection the test
    /// covers verified.
    pub fn confirmed(last: Option<&FailoverTestDetails>) -> Self {
        let details = last
            .map(FailoverTestDetails::connections)
            .unwrap_or_default()
            .into_iter()
            .map(|c| FailoverConnectionDetails {
                is_verified: Some(true),
                ..c
            })
            .collect();
        Self {
            successful: true,
            details,
        }
    }
}

/// The view journaled as `failover_test_status` for one reading.
pub(super) fn view(
    t: &TestRef,
    d: &FailoverTestDetails,
    verdict: Option<bool>,
) -> FailoverTestView {
    FailoverTestView {
        gateway: t.target.resource(),
        peering_location: t.location.clone(),
        link: t.target.link().map(|(link, _)| link.to_owned()),
        test_id: t.id.clone(),
        status: d.status().unwrap_or("?").to_owned(),
        redundant: d.redundant(),
        non_redundant: d.non_redundant(),
        connections: d
            .connections()
            .iter()
            .filter_map(|c| c.failover_connection_name.clone())
            .collect(),
        successful: verdict.or(d.was_simulation_successful().filter(|_| !d.is_running())),
    }
}

/// One details read, its exchanges journaled, its reading journaled as
/// `failover_test_status`. `None` when it could not be read.
pub(super) async fn read_details<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    t: &TestRef,
    verdict: Option<bool>,
) -> Option<FailoverTestDetails>
where
    A: AzureApi,
{
    let id = t.id.as_deref()?;
    let log = Journaled::new();
    let quiet = |_: &ArmAttempt| {};
    let on = log.reporter(&quiet);
    let call = az.failover_test_details(&t.target, &t.location, id, &on);
    let read = log
        .drive(ctx, step, call, &mut super::attempt::Never)
        .await?;
    match read {
        Ok(r) => {
            let link = t.target.link().map(|(link, _)| link);
            let d = r.value.into_iter().find(|d| d.is_of(&t.location, link))?;
            let _ = ctx
                .sink
                .emit(Event::FailoverTestStatus {
                    step: step.to_string(),
                    test: view(t, &d, verdict),
                })
                .await;
            Some(d)
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the failover test's details");
            None
        }
    }
}

/// `t` with the id of the latest test on its resource at its location
/// or link (the exchange journaled), or `None` when none is found.
async fn find_latest<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    t: &TestRef,
) -> Option<TestRef>
where
    A: AzureApi,
{
    let log = Journaled::new();
    let quiet = |_: &ArmAttempt| {};
    let on = log.reporter(&quiet);
    let call = az.latest_failover_tests(&t.target, &on);
    let read = log
        .drive(ctx, step, call, &mut super::attempt::Never)
        .await?;
    let link = t.target.link().map(|(link, _)| link);
    let latest = match read {
        Ok(r) => {
            let since = t.since.unwrap_or(OffsetDateTime::UNIX_EPOCH);
            match FailoverTestSummary::latest_since(&r.value, &t.location, link, since) {
                Some(s) => s.clone(),
                None => {
                    let s = FailoverTestSummary::latest_unread(&r.value, &t.location, link)?;
                    ctx.note(
                        Some(step),
                        NoteLevel::Warn,
                        format!(
                            "no failover test {} has a start time read here: taking the latest Azure lists ({})",
                            t.place(),
                            s.test_guid.as_deref().unwrap_or("?")
                        ),
                    )
                    .await;
                    s.clone()
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the latest failover test");
            return None;
        }
    };
    let id = latest.test_guid?;
    ctx.note(
        Some(step),
        NoteLevel::Info,
        format!(
            "the latest failover test {} is {id} ({}): watching it",
            t.place(),
            latest.status.as_deref().unwrap_or("?")
        ),
    )
    .await;
    Some(TestRef {
        id: Some(id),
        ..t.clone()
    })
}

/// The circuit's peering location: where the site failover test runs.
pub(super) async fn peering_location<A: AzureApi>(az: &A) -> Result<String, String> {
    let c = az
        .get_circuit()
        .await
        .map_err(|e| format!("cannot read the circuit's peering location: {e}"))?;
    c.value
        .properties
        .service_provider_properties
        .as_ref()
        .and_then(|s| s.peering_location.clone())
        .filter(|l| !l.trim().is_empty())
        .ok_or_else(|| "the circuit names no peering location".to_string())
}

/// `roll_back` for a failover test: stop it as not successful. What the
/// detached guard runs, and the console when the test is not confirmed.
#[allow(clippy::too_many_arguments)]
pub(super) async fn roll_back_test<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    rollback: ActionOp,
    az: &A,
    known: Option<&TestRef>,
    reason: RollbackReason,
    how: Undo<'_>,
    watch: &mut Option<Box<dyn Watch>>,
) -> GuardOutcome
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.rolling_back().await
    {
        tracing::warn!(error = %e, "could not tell the detached guard a rollback is under way");
    }
    let _ = ctx
        .sink
        .emit(Event::RollbackStarted {
            step: step.to_string(),
            reason,
            op: rollback.as_str().to_string(),
        })
        .await;
    let t = known
        .cloned()
        .ok_or_else(|| "the journal does not say where the failover test runs".to_string());
    let outcome = match t {
        Ok(t) => {
            let settle = ctx.config.settle_override.unwrap_or(how.settle);
            let budget = ctx.config.rollback_budget_override.unwrap_or(how.budget);
            match stop(
                ctx,
                step,
                az,
                &t,
                &Verdict::failed(),
                settle,
                budget,
                how.commands,
            )
            .await
            {
                Ok(detail) => {
                    let _ = ctx
                        .sink
                        .emit(Event::RollbackDone {
                            step: step.to_string(),
                            detail,
                            outcome: Some(RollbackResult::RolledBack),
                            reasserts: 0,
                        })
                        .await;
                    GuardOutcome::RolledBack { reason }
                }
                Err(()) => GuardOutcome::RollbackFailed { reason },
            }
        }
        Err(e) => {
            failed(ctx, step, unknown_stop(rollback), e).await;
            GuardOutcome::RollbackFailed { reason }
        }
    };
    if let Some(w) = watch.as_mut()
        && let Err(e) = w.resolved().await
    {
        tracing::warn!(error = %e, "could not tell the detached guard the rollback ended");
    }
    outcome
}

/// Stops the test with `verdict`, retrying as a rollback retries, then
/// reads the details until it no longer runs. `Ok` with what was seen;
/// `Err` once it failed for good (journaled as `rollback_failed` with the
/// manual commands, the operator told).
#[allow(clippy::too_many_arguments)]
pub(super) async fn stop<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    az: &A,
    t: &TestRef,
    verdict: &Verdict,
    settle: Duration,
    budget: Duration,
    commands: Option<&mut tokio::sync::mpsc::Receiver<cutover_core::session::command::Command>>,
) -> Result<String, ()>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let manual = t
        .target
        .manual_stop(&t.location, verdict.successful, &verdict.details);
    let mut esc = Escalation::new(ctx, step, manual.clone(), budget, commands);
    let policy = ctx.config.rollback;
    let mut backoff = policy.first_backoff;
    let mut calls = 0u32;
    let body = FailoverTestTarget::stop_body(&t.location, verdict.successful, &verdict.details);
    esc.new_write();
    let failure = loop {
        calls = calls.saturating_add(1);
        esc.begin_call();
        let log = Journaled::new();
        let quiet = |_: &ArmAttempt| {};
        let on = log.reporter(&quiet);
        let permit = SendPermit::new();
        let call = az.stop_failover_test(&t.target, &body, &on, &permit);
        let Some(result) = log.drive(ctx, step, call, &mut esc).await else {
            break None;
        };
        match result {
            Ok(()) => break Some(Ok(())),
            Err(e) if retryable(&e) => {
                esc.call_failed(&e, backoff);
                ctx.note(
                    Some(step),
                    NoteLevel::Warn,
                    format!(
                        "stopping the failover test failed ({e}); trying again in {} s",
                        backoff.as_secs()
                    ),
                )
                .await;
                if !esc.pause(backoff).await {
                    break None;
                }
                backoff = (backoff * 2).min(policy.max_backoff);
            }
            Err(e) => break Some(Err(format!("{e} (after {calls} attempt(s))"))),
        }
    };
    let error = match failure {
        Some(Ok(())) => None,
        Some(Err(e)) => Some(e),
        None => Some(esc.gave_up()),
    };
    if let Some(e) = error {
        failed(ctx, step, manual, e).await;
        return Err(());
    }
    let verdict_text = if verdict.successful {
        "wasSimulationSuccessful=true"
    } else {
        "wasSimulationSuccessful=false"
    };
    // A start whose answer was lost left no id: the latest test there is
    // the one to watch.
    let found;
    let t = match &t.id {
        Some(_) => t,
        None => {
            found = find_latest(ctx, step, az, t).await;
            match &found {
                Some(f) => f,
                None => {
                    return Ok(format!(
                        "failover test {} stopped ({verdict_text}); its id is not known here, so the stop's completed operation is the evidence",
                        t.place()
                    ));
                }
            }
        }
    };
    let watch_for = settle.max(MIN_STOP_WATCH);
    // Only a rollback settles; the verdict's stop ends a confirmed change.
    if !verdict.successful {
        let _ = ctx
            .sink
            .emit(Event::RollbackSettling {
                step: step.to_string(),
                seconds: watch_for.as_secs(),
                until: rfc3339_ms(OffsetDateTime::now_utc() + watch_for),
            })
            .await;
    }
    let until = Instant::now() + watch_for;
    loop {
        let last = read_details(ctx, step, az, t, Some(verdict.successful)).await;
        match last {
            Some(d) if !d.is_running() => {
                return Ok(format!(
                    "failover test {} {} stopped ({verdict_text}); it reads {}",
                    t.id.as_deref().unwrap_or("?"),
                    t.place(),
                    d.status().unwrap_or("?")
                ));
            }
            _ if Instant::now() >= until => {
                let e = format!(
                    "the failover test still reads running {} after the stop",
                    cutover_core::model::duration::human_std(watch_for)
                );
                failed(ctx, step, manual, e).await;
                return Err(());
            }
            _ => sleep_until((Instant::now() + DETAILS_POLL).min(until)).await,
        }
    }
}

/// The stop by hand when which test runs is not known: the same call,
/// with its names left to fill in, rendered where every Azure call is.
fn unknown_stop(rollback: ActionOp) -> ManualCommands {
    let t = if rollback.is_link_test() {
        let link = LinkTest {
            link_type: "<Primary|Secondary>".into(),
            category: "BgpDisconnect".into(),
            api_version: LinkTest::DEFAULT_API_VERSION.into(),
        };
        FailoverTestTarget::link_sketch("<resource-group>", "<circuit>", &link)
    } else {
        FailoverTestTarget::sketch("<resource-group>", "<gateway>")
    };
    t.manual_stop("<location>", false, &[])
}

/// The stop failed for good: journaled with the manual commands and said
/// loudly.
async fn failed<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    manual: ManualCommands,
    error: String,
) {
    let _ = ctx
        .sink
        .emit(Event::RollbackFailed {
            step: step.to_string(),
            error,
            manual: manual.clone(),
        })
        .await;
    ctx.note(
        Some(step),
        NoteLevel::Error,
        format!(
            "STOP FAILED: the failover test may still run; stop it by hand, now.\n  az CLI:     {}\n  PowerShell: {}",
            manual.az_cli, manual.powershell
        ),
    )
    .await;
}
