//! Before a gate that leads to disabling the peering, the engine predicts
//! what withdrawing ExpressRoute will do (DESIGN.md 2b): it repeats the
//! pre-checks' own probes of the on-prem router's table and of the VPN
//! gateway's learned routes, so the forecast reads the state at the gate
//! rather than at the check, and journals the `prediction` before the
//! prompt. Its hazards hold the gate like failed pre-checks. After the
//! change is confirmed, the same probes run again and each prefix's path
//! is compared with the forecast (`prediction_check`).

use cutover_core::model::table::RouteTable;
use cutover_core::parse::query::{self, Answer};
use cutover_core::runbook::{ActionOp, Probe, QueryName, Runbook, StepBody};
use cutover_core::session::event::Event;
use cutover_core::session::prediction::{
    Direction, PathCheck, Prediction, PredictionSource, check_azure, check_onprem,
};

use crate::expect::judge;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::probes::{Capture, capture};
use crate::runner::Ctx;
use crate::sink::SinkError;

/// A pre-check probe the forecast repeats.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Source<'r> {
    pub direction: Direction,
    /// The pre-check it comes from.
    pub step: &'r str,
    pub probe: &'r Probe,
}

impl Source<'_> {
    fn record(&self, cap: &Capture) -> PredictionSource {
        PredictionSource {
            direction: self.direction,
            step: self.step.to_string(),
            device: cap.device.clone(),
            command: cap.command.clone(),
            error: None,
            unaffected: 0,
        }
    }
}

/// A forecast made at a gate, kept until its change is confirmed.
#[derive(Debug)]
pub(crate) struct Forecast<'r> {
    pub gate: String,
    pub sources: Vec<Source<'r>>,
    pub prediction: Prediction,
}

/// The probes to repeat before the gate at `gate_index`: the check steps
/// before it that read a route table (on-prem → Azure) or the gateway's
/// learned routes (Azure → on-prem), each distinct probe once. Empty unless
/// the first action after the gate disables the peering: only that change
/// withdraws ExpressRoute.
pub(crate) fn sources(rb: &Runbook, gate_index: usize) -> Vec<Source<'_>> {
    let disables = rb
        .steps
        .iter()
        .skip(gate_index + 1)
        .find_map(|s| s.action())
        .is_some_and(|a| a.op == ActionOp::AzurePeeringDisable);
    if !disables {
        return Vec::new();
    }
    let mut out: Vec<Source<'_>> = Vec::new();
    for s in rb.steps.iter().take(gate_index) {
        let StepBody::Check(c) = &s.body else {
            continue;
        };
        let direction = match c.probe.query.name() {
            QueryName::RouteTable => Direction::OnpremToAzure,
            QueryName::AzureLearnedRoutes => Direction::AzureToOnprem,
            _ => continue,
        };
        let seen = out
            .iter()
            .any(|o| o.probe.role == c.probe.role && o.probe.command == c.probe.command);
        if !seen {
            out.push(Source {
                direction,
                step: &s.id,
                probe: &c.probe,
            });
        }
    }
    out
}

/// What one source's answer reads as.
enum Read {
    Table(Box<RouteTable>),
    Azure(cutover_core::model::azure::GatewayRouteListResult),
    Unreadable(String),
}

fn read(cap: &Capture) -> Read {
    if let Some(e) = &cap.error {
        return Read::Unreadable(e.clone());
    }
    let Some(raw) = cap.raw.as_deref() else {
        return Read::Unreadable("no answer".into());
    };
    match query::read(cap.query, raw) {
        Ok(Answer::JunosRoutes(list)) => match RouteTable::from_parsed(&list, None) {
            Ok(t) => Read::Table(Box::new(t.table)),
            Err(e) => Read::Unreadable(e.to_string()),
        },
        Ok(Answer::AzureRoutes(list)) => Read::Azure(list),
        Ok(_) => Read::Unreadable("the answer is not a route list".into()),
        Err(e) => Read::Unreadable(format!("the output could not be read: {e}")),
    }
}

/// Runs each source's probe once, journaled under `step`.
async fn probe_all<D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    sources: &[Source<'_>],
) -> Vec<Capture>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let caps = futures::future::join_all(sources.iter().map(|s| capture(ctx.world, s.probe))).await;
    for cap in &caps {
        let judged = judge(cap, &[], &ctx.rules);
        ctx.emit_probe(step, cap, &judged).await;
    }
    caps
}

/// Predicts both directions from the sources, journals the `prediction`
/// under the gate `step`, and returns it. `Err` when the journal failed:
/// the gate must not open on a forecast nobody recorded.
pub(crate) async fn predict<'r, D, A, L>(
    ctx: &Ctx<'_, D, A, L>,
    step: &str,
    sources: Vec<Source<'r>>,
) -> Result<Forecast<'r>, SinkError>
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let caps = probe_all(ctx, step, &sources).await;
    let classifier = &ctx.rules.classifier;
    let mut p = Prediction::default();
    for (s, cap) in sources.iter().zip(&caps) {
        let rec = s.record(cap);
        match (s.direction, read(cap)) {
            (Direction::OnpremToAzure, Read::Table(t)) => p.add_onprem(rec, &t, classifier),
            (Direction::AzureToOnprem, Read::Azure(list)) => p.add_azure(rec, &list, classifier),
            (_, Read::Unreadable(why)) => p.add_unreadable(rec, &why),
            (_, Read::Table(_) | Read::Azure(_)) => {
                p.add_unreadable(rec, "the answer is not the route list expected")
            }
        }
    }
    ctx.sink
        .emit(Event::Prediction {
            step: step.to_string(),
            prediction: p.clone(),
        })
        .await?;
    Ok(Forecast {
        gate: step.to_string(),
        sources,
        prediction: p,
    })
}

/// After the change made under `step` was confirmed: the same probes
/// again, each forecast compared with the path seen, journaled as
/// `prediction_check`. A journal failure is left to the next event that
/// matters, as for notes: the change is already confirmed.
pub(crate) async fn check<D, A, L>(ctx: &Ctx<'_, D, A, L>, step: &str, f: &Forecast<'_>)
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let caps = probe_all(ctx, step, &f.sources).await;
    let classifier = &ctx.rules.classifier;
    let mut sources = Vec::new();
    let mut checks: Vec<PathCheck> = Vec::new();
    for (s, cap) in f.sources.iter().zip(&caps) {
        let mut rec = s.record(cap);
        match (s.direction, read(cap)) {
            (Direction::OnpremToAzure, Read::Table(t)) => {
                checks.extend(check_onprem(&f.prediction.paths, &t, classifier));
            }
            (Direction::AzureToOnprem, Read::Azure(list)) => {
                checks.extend(check_azure(&f.prediction.paths, &list, classifier));
            }
            (_, Read::Unreadable(why)) => rec.error = Some(why),
            _ => rec.error = Some("the answer is not the route list expected".into()),
        }
        sources.push(rec);
    }
    let _ = ctx
        .sink
        .emit(Event::PredictionCheck {
            step: step.to_string(),
            gate: f.gate.clone(),
            sources,
            checks,
        })
        .await;
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn runbook(text: &str) -> Runbook {
        Runbook::from_str_with_vars(text, "t.toml", &Default::default()).expect("valid")
    }

    fn bundled() -> Runbook {
        let text = std::fs::read_to_string(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("runbooks/er-vpn-failover.toml"),
        )
        .expect("runbook");
        runbook(&text)
    }

    #[test]
    fn the_bundled_gate_repeats_the_firewall_table_and_the_learned_routes_once_each() {
        let rb = bundled();
        let gate = rb
            .steps
            .iter()
            .position(|s| s.gate().is_some())
            .expect("a gate");
        let got: Vec<(Direction, &str, &str)> = sources(&rb, gate)
            .iter()
            .map(|s| (s.direction, s.step, s.probe.role.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (Direction::OnpremToAzure, "fw-prefers-er-for-hub", "fw"),
                (Direction::AzureToOnprem, "azure-learned-onprem", "azure"),
            ]
        );
    }

    #[test]
    fn no_forecast_before_a_gate_that_does_not_disable() {
        let rb = bundled();
        let enable = rb
            .steps
            .iter()
            .position(|s| {
                s.action()
                    .is_some_and(|a| a.op == ActionOp::AzurePeeringEnable)
            })
            .expect("the restore");
        // As if a gate stood right before the restore: every check before
        // it is a candidate, yet nothing is withdrawn there.
        assert!(sources(&rb, enable - 1).is_empty());
    }
}
