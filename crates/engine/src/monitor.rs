//! The live monitor: while a session is open, the state-like probes of the
//! runbook (route tables, BGP and tunnel state, the trace, the Azure
//! connection and peering) are asked again every `monitor_every`; while a
//! guarded change is out, every probe that feeds a pane is (the CE and
//! firewall advertisements, Azure's learned and advertised routes and its
//! BGP peers too), so no pane shows the world from before the change. Each
//! answer is emitted as a `probe` event with step `monitor`, which the
//! console folds into its live panes.
//!
//! Each device is a lane of its own, polled at its own pace: a slow device
//! (or a long-running Azure call, each of which is a lane) delays only its
//! own next poll, never the others'. Within a lane one poll at a time, so
//! requests never pile up on a device. An answer identical to the previous
//! one for the same command is journaled as a small `probe_repeated`, not
//! written again (a large route table that did not change costs one
//! comparison), yet the pane still learns that its data is current.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::probes::{World, capture};
use super::runner::probe_event;
use super::sink::EventSink;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use cutover_core::runbook::{Platform, Probe, QueryName, Runbook};
use cutover_core::session::event::Event;

pub use cutover_core::session::event::MONITOR_STEP;

/// Queries worth repeating all session long: the state the operator
/// watches, cheap to ask.
fn is_live(q: QueryName) -> bool {
    matches!(
        q,
        QueryName::RouteTable
            | QueryName::BgpSummary
            | QueryName::BfdSessions
            | QueryName::IpsecSas
            | QueryName::IkeSas
            | QueryName::Trace
            | QueryName::AzurePeering
            | QueryName::AzureConnection
    )
}

/// A probe the monitor repeats, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Polled {
    pub probe: Probe,
    /// Only while a guarded change is out: route advertisements, and
    /// Azure's learned and advertised routes and BGP peers (long-running
    /// operations of tens of seconds each on Azure's side), are left to
    /// their steps otherwise.
    pub during_change_only: bool,
}

/// The runbook's distinct live probes (by role and command), in runbook
/// order: the ones asked all session long.
pub fn live_probes(rb: &Runbook) -> Vec<Probe> {
    polled(rb)
        .into_iter()
        .filter(|p| !p.during_change_only)
        .map(|p| p.probe)
        .collect()
}

/// Every distinct probe of the runbook (by role and command), in runbook
/// order, with when the monitor asks it.
pub fn polled(rb: &Runbook) -> Vec<Polled> {
    let mut seen = BTreeSet::new();
    rb.steps
        .iter()
        .flat_map(|s| s.probes())
        .filter(|p| seen.insert((p.role.clone(), p.command.clone())))
        .map(|p| Polled {
            probe: p.clone(),
            during_change_only: !is_live(p.query.name()),
        })
        .collect()
}

/// Lanes: one per device; one per call on Azure, whose calls are
/// independent HTTP requests and some of them slow.
fn lanes(probes: Vec<Polled>) -> Vec<Vec<Polled>> {
    let mut by: BTreeMap<(String, String), Vec<Polled>> = BTreeMap::new();
    for p in probes {
        let key = match p.probe.platform {
            Platform::Azure => (p.probe.role.clone(), p.probe.command.clone()),
            _ => (p.probe.role.clone(), String::new()),
        };
        by.entry(key).or_default().push(p);
    }
    by.into_values().collect()
}

/// Polls `probes` every `every` until `stop` turns true; the probes marked
/// `during_change_only` only while `change` reads true (a guarded change
/// is out: [`EventSink::change_out`]).
pub async fn run<D, A, L>(
    world: Arc<World<D, A, L>>,
    sink: EventSink,
    probes: Vec<Polled>,
    every: Duration,
    stop: watch::Receiver<bool>,
    change: watch::Receiver<bool>,
) where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let every = every.max(Duration::from_millis(500));
    let lanes = lanes(probes)
        .into_iter()
        .map(|lane| poll_lane(&world, &sink, lane, every, stop.clone(), change.clone()));
    join_all(lanes).await;
}

async fn poll_lane<D, A, L>(
    world: &World<D, A, L>,
    sink: &EventSink,
    lane: Vec<Polled>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
    change: watch::Receiver<bool>,
) where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    // The last answer (output, error) per command, to tell a repeat.
    let mut last: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    let mut next = Instant::now() + every;
    loop {
        tokio::select! {
            // Stopped, or the session is gone.
            _ = stop.wait_for(|s| *s) => return,
            () = sleep_until(next) => {}
        }
        // The period runs from the start of a round: a slow round is
        // followed at once by the next, never by a pile of them.
        next = Instant::now() + every;
        let changing = *change.borrow();
        for p in lane.iter().filter(|p| changing || !p.during_change_only) {
            let cap = tokio::select! {
                cap = capture(world, &p.probe) => cap,
                _ = stop.wait_for(|s| *s) => return,
            };
            let answer = (cap.raw.clone(), cap.error.clone());
            let event = if last.get(&cap.command) == Some(&answer) {
                Event::ProbeRepeated {
                    step: MONITOR_STEP.to_string(),
                    device: cap.device.clone(),
                    query: cap.query.as_str().to_string(),
                    command: cap.command.clone(),
                    elapsed_ms: u64::try_from(cap.elapsed.as_millis()).unwrap_or(u64::MAX),
                }
            } else {
                last.insert(cap.command.clone(), answer);
                probe_event(MONITOR_STEP, &cap, None)
            };
            if sink.emit(event).await.is_err() {
                // The engine reports a failed journal where it matters;
                // the monitor just stops adding to it.
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn runbook() -> Runbook {
        Runbook::load(
            &Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("runbooks/er-vpn-failover.toml"),
        )
        .expect("valid")
    }

    #[test]
    fn the_failover_runbooks_live_probes() {
        let got: Vec<(String, &str)> = live_probes(&runbook())
            .iter()
            .map(|p| (p.role.clone(), p.query.name().as_str()))
            .collect();
        let want: Vec<(String, &str)> = [
            ("fw", "route.table"),
            ("fw", "bgp.summary"),
            ("azure", "azure.connection"),
            ("fw", "ike.sas"),
            ("fw", "ipsec.sas"),
            ("ce1", "bfd.sessions"),
            ("ce2", "bfd.sessions"),
            ("server", "trace"),
            ("azure", "azure.peering"),
        ]
        .iter()
        .map(|(r, q)| (r.to_string(), *q))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn during_a_change_every_pane_is_polled_one_lane_per_device() {
        let all = polled(&runbook());
        let during: BTreeSet<(String, &str)> = all
            .iter()
            .filter(|p| p.during_change_only)
            .map(|p| (p.probe.role.clone(), p.probe.query.name().as_str()))
            .collect();
        for want in [
            ("ce1", "bgp.advertised"),
            ("ce2", "bgp.advertised"),
            ("fw", "bgp.advertised"),
            ("fw", "bgp.received"),
            ("azure", "azure.learned_routes"),
            ("azure", "azure.advertised_routes"),
            ("azure", "azure.bgp_peers"),
        ] {
            assert!(
                during.contains(&(want.0.to_string(), want.1)),
                "{want:?} in {during:?}"
            );
        }
        // Every query of the runbook has a lane, and a lane is one device
        // (or one Azure call).
        let lanes = lanes(all.clone());
        assert_eq!(lanes.iter().map(Vec::len).sum::<usize>(), all.len());
        for lane in &lanes {
            let roles: BTreeSet<&str> = lane.iter().map(|p| p.probe.role.as_str()).collect();
            assert_eq!(roles.len(), 1, "{lane:?}");
            if lane[0].probe.platform == Platform::Azure {
                assert_eq!(lane.len(), 1);
            }
        }
        let devices: BTreeSet<&str> = lanes
            .iter()
            .filter(|l| l[0].probe.platform != Platform::Azure)
            .map(|l| l[0].probe.role.as_str())
            .collect();
        assert_eq!(
            devices,
            ["ce1", "ce2", "fw", "server"].into_iter().collect()
        );
    }
}
