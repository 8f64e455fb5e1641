//! Nothing is left stranded (DESIGN.md 2b): before anything else, a
//! procedure that disables the peering reads it and starts only from
//! Enabled / Succeeded; a session that restores the peering
//! (`cutover restore`) ends in "restored" or in "the operator must act",
//! never in between.

use cutover_core::model::azure::{PeeringState, ProvisioningState};
use cutover_core::runbook::{Action, Runbook};
use cutover_core::session::Outcome;
use cutover_core::session::event::{Event, Mode, NoteLevel};

use super::{Ctx, StepReport};
use crate::port::AzureApi;

/// The disruptive action the session would run, when there is one and
/// the session may run it.
fn disruptive(rb: &Runbook, mode: Mode) -> Option<&Action> {
    if mode == Mode::Validate {
        return None;
    }
    rb.steps
        .iter()
        .filter_map(|s| s.action())
        .find(|a| a.op.is_disruptive())
}

/// What the operator runs to bring the peering back.
fn restore_hint<D, A, L>(ctx: &Ctx<'_, D, A, L>) -> String {
    let cmd = ctx
        .config
        .restore_command
        .clone()
        .unwrap_or_else(|| "cutover restore --inventory PATH".into());
    format!("run `{cmd}` to enable it and verify the path is back on ExpressRoute, then start over")
}

/// Reads the peering before any probe. `Some(outcome)`: the session must
/// not start (journaled as a refused `peering_preflight`); `None`: go on
/// (journaled too, so the record shows what the procedure started from).
pub(super) async fn preflight<D, A, L>(ctx: &Ctx<'_, D, A, L>, rb: &Runbook) -> Option<String>
where
    A: AzureApi,
{
    let action = disruptive(rb, ctx.config.mode)?;
    let t = &action.target;
    let target = format!("{}/{}/{}", t.resource_group, t.circuit, t.peering);
    // No Azure client: the action refuses on its own, with its own words.
    let az = ctx.world.azure.as_ref()?;
    let read = az.get_peering().await;
    let (state, prov, ids, detail) = match &read {
        Ok(r) => {
            let state = r.value.state().cloned();
            let prov = r.value.provisioning_state().cloned();
            let show = |s: Option<String>| s.unwrap_or_else(|| "not shown".into());
            let detail = format!(
                "{} is {} (provisioningState {})",
                t.peering,
                show(state.as_ref().map(ToString::to_string)),
                show(prov.as_ref().map(ToString::to_string)),
            );
            (state, prov, Some(r.ids.clone()), detail)
        }
        Err(e) => (
            None,
            None,
            None,
            format!("{} cannot be read: {e}", t.peering),
        ),
    };
    let ok = state == Some(PeeringState::Enabled) && prov == Some(ProvisioningState::Succeeded);
    // Restoring helps a peering that reads wrong, not one that cannot be
    // read at all.
    let remedy = (!ok && read.is_ok()).then(|| restore_hint(ctx));
    let _ = ctx
        .sink
        .emit(Event::PeeringPreflight {
            target: target.clone(),
            state: state.as_ref().map(ToString::to_string),
            provisioning_state: prov.as_ref().map(ToString::to_string),
            ok,
            detail: detail.clone(),
            remedy: remedy.clone(),
            ids,
        })
        .await;
    if ok {
        return None;
    }
    let why = match &remedy {
        Some(r) => format!("{detail} on {target}; {r}"),
        None => format!("{detail} on {target}"),
    };
    // The refused `peering_preflight` is the record; `session_end` says it
    // again as the outcome.
    Some(format!("refused to start: {why}; nothing was changed"))
}

/// Notes the caller wants said before anything else (journals left
/// unclosed in the state directory, say).
pub(super) async fn start_notes<D, A, L>(ctx: &Ctx<'_, D, A, L>) {
    for e in &ctx.config.start_events {
        let _ = ctx.sink.emit(e.clone()).await;
    }
    for text in &ctx.config.start_notes {
        ctx.note(None, NoteLevel::Warn, text.clone()).await;
    }
}

/// A restore that did not end "completed" left the peering unverified:
/// the operator must act, with the commands that enable it by hand. A
/// gate declined before any change stays what it is.
pub(super) async fn settle_restore<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    status: Outcome,
    outcome: String,
    reports: &[StepReport],
) -> (Outcome, String)
where
    A: AzureApi,
{
    let attempted = reports.iter().any(|r| r.kind == "action");
    if !ctx.config.restore || status == Outcome::Completed || !attempted {
        return (status, outcome);
    }
    let manual = ctx
        .world
        .azure
        .as_ref()
        .map(|az| az.manual_commands(PeeringState::Enabled));
    let how = match &manual {
        Some(m) => format!(
            "\n  az CLI:     {}\n  PowerShell: {}",
            m.az_cli, m.powershell
        ),
        None => String::new(),
    };
    ctx.note(
        None,
        NoteLevel::Error,
        format!(
            "NOT RESTORED ({outcome}): enable the peering by hand and check the path is back on ExpressRoute{how}"
        ),
    )
    .await;
    (
        Outcome::OperatorMustAct,
        format!("the peering was not restored: {outcome}"),
    )
}
