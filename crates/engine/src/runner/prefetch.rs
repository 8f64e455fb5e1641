//! The pre-checks in parallel: a run of consecutive checks has its first
//! probes sent at once, one lane per device (that device's commands in
//! runbook order, one at a time; on Azure one lane per call), so a slow
//! device delays only its own checks. The step loop still journals each
//! check in runbook order, taking its answer when it is there, so the
//! journal reads exactly as a sequential run would.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::probes::{Capture, World, capture};
use cutover_core::runbook::{Platform, Probe, Runbook, StepBody};
use cutover_core::session::event::Mode;

/// One device's probes, in runbook order, each with where its answer goes.
type Lane = Vec<(Probe, oneshot::Sender<Capture>)>;

/// First answers of a run of checks, by step index.
#[derive(Default)]
pub(super) struct Prefetch {
    answers: BTreeMap<usize, oneshot::Receiver<Capture>>,
    /// Dropped with the prefetch (a session that ends early): the lanes
    /// stop asking.
    _lanes: JoinSet<()>,
}

impl std::fmt::Debug for Prefetch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prefetch")
            .field("pending", &self.answers.len())
            .finish_non_exhaustive()
    }
}

impl Prefetch {
    /// Starts the probes of the checks from step `from` up to the next step
    /// that is not a check (steps that `mode` skips do not end the run).
    pub(super) fn start<D, A, L>(
        world: &Arc<World<D, A, L>>,
        rb: &Runbook,
        from: usize,
        mode: Mode,
    ) -> Self
    where
        D: DeviceSession + 'static,
        A: AzureApi + 'static,
        L: Tracer + 'static,
    {
        let mut lanes: BTreeMap<(String, String), Lane> = BTreeMap::new();
        let mut answers = BTreeMap::new();
        for (i, step) in rb.steps.iter().enumerate().skip(from) {
            let c = match &step.body {
                StepBody::Check(c) => c,
                _ if mode == Mode::Validate && !step.is_read_only() => continue,
                _ => break,
            };
            let key = match c.probe.platform {
                Platform::Azure => (c.probe.role.clone(), c.probe.command.clone()),
                _ => (c.probe.role.clone(), String::new()),
            };
            let (tx, rx) = oneshot::channel();
            lanes.entry(key).or_default().push((c.probe.clone(), tx));
            answers.insert(i, rx);
        }
        let mut set = JoinSet::new();
        for lane in lanes.into_values() {
            let world = Arc::clone(world);
            set.spawn(async move {
                for (probe, tx) in lane {
                    let cap = capture(&world, &probe).await;
                    // The step loop may have ended: nobody waits any more.
                    let _ = tx.send(cap);
                }
            });
        }
        Self {
            answers,
            _lanes: set,
        }
    }

    /// Whether step `index`'s answer is (or was being) fetched here.
    pub(super) fn covers(&self, index: usize) -> bool {
        self.answers.contains_key(&index)
    }

    /// Step `index`'s first answer, once it is there; `None` when it was
    /// not fetched (the check probes for itself then).
    pub(super) async fn take(&mut self, index: usize) -> Option<Capture> {
        let rx = self.answers.remove(&index)?;
        rx.await.ok()
    }
}
