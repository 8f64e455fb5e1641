//! The live monitor: while a session is open, the state-like probes of the
//! runbook (route tables, BGP and tunnel state, the trace, the Azure
//! connection and peering) are asked again every `monitor_every`, and what
//! changed is emitted as `probe` events with step `monitor`, which the
//! console folds into its live panes.
//!
//! Cheap by construction: one round at a time (a slow device delays the
//! next round instead of piling up requests), a sleep between rounds, and
//! an answer identical to the previous one for the same command is not
//! emitted again (a large route table that did not change costs one
//! comparison, not a journal record).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::watch;
use tokio::time::sleep;

use super::probes::{Capture, World, capture};
use super::runner::probe_event;
use super::sink::EventSink;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use cutover_core::runbook::{Probe, QueryName, Runbook};

pub use cutover_core::session::event::MONITOR_STEP;

/// Queries worth repeating: the state the operator watches. Route
/// advertisements and Azure's learned/advertised routes and BGP peer status
/// are left to their steps (the Azure ones are long-running operations that
/// take tens of seconds each).
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

/// The runbook's distinct live probes (by role and command), in runbook
/// order.
pub fn live_probes(rb: &Runbook) -> Vec<Probe> {
    let mut seen = BTreeSet::new();
    rb.steps
        .iter()
        .flat_map(|s| s.probes())
        .filter(|p| is_live(p.query.name()))
        .filter(|p| seen.insert((p.role.clone(), p.command.clone())))
        .cloned()
        .collect()
}

/// Polls `probes` every `every` until `stop` turns true.
pub async fn run<D, A, L>(
    world: Arc<World<D, A, L>>,
    sink: EventSink,
    probes: Vec<Probe>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let every = every.max(Duration::from_millis(500));
    let mut last: HashMap<(String, String), (Option<String>, Option<String>)> = HashMap::new();
    loop {
        tokio::select! {
            r = stop.wait_for(|s| *s) => {
                // Stopped, or the session is gone.
                let _ = r;
                return;
            }
            () = sleep(every) => {}
        }
        let caps: Vec<Capture> = {
            let round = join_all(probes.iter().map(|p| capture(&world, p)));
            tokio::select! {
                caps = round => caps,
                _ = stop.wait_for(|s| *s) => return,
            }
        };
        for cap in caps {
            let key = (cap.device.clone(), cap.command.clone());
            let now = (cap.raw.clone(), cap.error.clone());
            if last.get(&key) == Some(&now) {
                continue;
            }
            last.insert(key, now);
            if sink
                .emit(probe_event(MONITOR_STEP, &cap, None))
                .await
                .is_err()
            {
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

    #[test]
    fn the_failover_runbooks_live_probes() {
        let rb = Runbook::load(
            &Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("runbooks/er-vpn-failover.toml"),
        )
        .expect("valid");
        let got: Vec<(String, &str)> = live_probes(&rb)
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
}
