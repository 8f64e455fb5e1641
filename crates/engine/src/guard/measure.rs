//! The failover (or failback) time, measured rather than guessed: from the
//! moment ARM accepted the write (the first 2xx answer to the PUT) to the
//! answer of the first probe that saw the new path, for each path probe of
//! the verification separately (the trace and the route table).
//!
//! A probe samples the world only now and then, so each time is an upper
//! bound: the probe before it still saw the old path, and the path moved
//! in between. That gap (about one probe period) is journaled with the
//! time as its uncertainty.
//!
//! ARM keeps its operation running for seconds after it accepted the
//! write while the network already moves, so the path probes start at the
//! acceptance ([`PathClock::while_applying`], once a second at most), not
//! when the call returns; from the change's end the verification's own
//! probes feed the same clock ([`PathClock::observe`]). The traces probed
//! while the operation runs feed the loss clock as well (`loss`), so lost
//! traffic is counted from the acceptance too.

use std::future::Future;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::Notify;
use tokio::time::{Instant, sleep};

use super::loss::{self, LossWatch};
use crate::expect::judge;
use crate::port::trace::Tracer;
use crate::port::{ArmAttempt, AzureApi, DeviceSession};
use crate::probes::capture;
use crate::runner::Ctx;
use cutover_core::runbook::{ActionOp, QueryName, Verify};
use cutover_core::session::event::Event;

/// What a verification probe tells about the path: `trace` and `table`
/// are timed; anything else (the peering's state) is not a path.
fn path_kind(v: &Verify) -> Option<&'static str> {
    match v.probe.query.name() {
        QueryName::Trace => Some("trace"),
        QueryName::RouteTable => Some("table"),
        _ => None,
    }
}

/// How often a path is probed while ARM's operation runs, at most: the
/// network moves then, and a failover protected by BFD takes one to a few
/// seconds, which a five-second verification period cannot resolve. From
/// the change's end the verification's own period applies.
const MOVING_EVERY: Duration = Duration::from_secs(1);

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[derive(Debug)]
struct Track {
    /// Index into the action's verifications.
    verify: usize,
    kind: &'static str,
    role: String,
    /// When the latest probe that still saw the old path was sent: the
    /// path had not moved then.
    last_miss: Option<Instant>,
    seen: bool,
}

/// The clock of one guarded change.
#[derive(Debug)]
pub(crate) struct PathClock {
    step: String,
    /// `failover` for a disruptive change, `failback` for a restore.
    base: &'static str,
    /// The first accepted write: when, its status, and its method (a
    /// peering's PUT, a failover test's POST), named as it was sent.
    accepted: OnceLock<(Instant, u16, String)>,
    wake: Notify,
    tracks: Mutex<Vec<Track>>,
}

impl PathClock {
    pub(crate) fn new(step: &str, op: ActionOp, verify: &[Verify]) -> Self {
        let tracks = verify
            .iter()
            .enumerate()
            .filter_map(|(i, v)| {
                Some(Track {
                    verify: i,
                    kind: path_kind(v)?,
                    role: v.probe.role.clone(),
                    last_miss: None,
                    seen: false,
                })
            })
            .collect();
        Self {
            step: step.to_string(),
            base: if op.is_disruptive() {
                "failover"
            } else {
                "failback"
            },
            accepted: OnceLock::new(),
            wake: Notify::new(),
            tracks: Mutex::new(tracks),
        }
    }

    fn tracks(&self) -> std::sync::MutexGuard<'_, Vec<Track>> {
        // Plain data, valid whatever panicked while it was held.
        self.tracks.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sees every HTTP exchange of the change as it happens: the first 2xx
    /// answer to a PUT starts the clock. A 4xx was refused and a 5xx or a
    /// lost answer leaves the moment unknown, so neither starts it.
    pub(crate) fn on_attempt(&self, a: &ArmAttempt) {
        // A write: the peering's PUT, or a POST sent under the change's
        // permit (the failover test's start), which carries a record.
        let write = a.method.eq_ignore_ascii_case("PUT") || a.write.is_some();
        if write && (200..300).contains(&a.status) {
            let mut first = false;
            self.accepted.get_or_init(|| {
                first = true;
                (Instant::now(), a.status, a.method.to_ascii_uppercase())
            });
            if first {
                self.wake.notify_one();
            }
        }
    }

    /// When ARM accepted the write, if it did.
    pub(crate) fn accepted_at(&self) -> Option<Instant> {
        self.accepted.get().map(|(t, _, _)| *t)
    }

    fn pending(&self) -> Vec<usize> {
        self.tracks()
            .iter()
            .filter(|t| !t.seen)
            .map(|t| t.verify)
            .collect()
    }

    /// One probe of verification `verify`, sent at `sent` and answered at
    /// `answered`: whether it saw the new path. The first that did gives
    /// the measurement to journal. Probes sent before the acceptance say
    /// nothing about the change and are not counted.
    pub(crate) fn observe(
        &self,
        verify: usize,
        sent: Instant,
        answered: Instant,
        moved: bool,
    ) -> Option<Event> {
        let (accepted, status, method) = self.accepted.get()?;
        let accepted = *accepted;
        if sent < accepted {
            return None;
        }
        let mut tracks = self.tracks();
        let t = tracks.iter_mut().find(|t| t.verify == verify)?;
        if t.seen {
            return None;
        }
        if !moved {
            t.last_miss = Some(t.last_miss.map_or(sent, |m| m.max(sent)));
            return None;
        }
        t.seen = true;
        let upper = millis(answered.saturating_duration_since(accepted));
        let lower = t
            .last_miss
            .map_or(0, |m| millis(m.saturating_duration_since(accepted)));
        Some(Event::Measurement {
            step: self.step.clone(),
            name: format!("{}.{}", self.base, t.kind),
            millis: upper,
            uncertainty_ms: Some(upper.saturating_sub(lower)),
            from: Some(format!("{method} accepted ({status})")),
            to: Some(format!("first {} {} on the new path", t.role, t.kind)),
        })
    }

    /// Runs `call` (the change going out) and, from the moment ARM accepts
    /// the write until the call returns, probes each path at its
    /// verification's period so the move is seen when it happens, and a
    /// lost trace starts `loss`'s clock then rather than after the call.
    pub(super) async fn while_applying<D, A, L, T>(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        verify: &[Verify],
        loss: &LossWatch,
        call: impl Future<Output = T>,
    ) -> T
    where
        D: DeviceSession,
        A: AzureApi,
        L: Tracer,
    {
        tokio::pin!(call);
        let probing = self.probe_moves(ctx, verify, loss);
        tokio::pin!(probing);
        let mut probing_done = false;
        loop {
            tokio::select! {
                biased;
                r = &mut call => return r,
                () = &mut probing, if !probing_done => probing_done = true,
            }
        }
    }

    async fn probe_moves<D, A, L>(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        verify: &[Verify],
        loss: &LossWatch,
    ) where
        D: DeviceSession,
        A: AzureApi,
        L: Tracer,
    {
        if self.pending().is_empty() {
            return;
        }
        if self.accepted.get().is_none() {
            self.wake.notified().await;
        }
        if let Some(at) = self.accepted_at() {
            loss.begin(at);
        }
        let lanes = self.pending().into_iter().filter_map(|i| {
            let v = verify.get(i)?;
            Some(self.probe_one(ctx, i, v, loss))
        });
        join_all(lanes).await;
    }

    async fn probe_one<D, A, L>(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        i: usize,
        v: &Verify,
        loss: &LossWatch,
    ) where
        D: DeviceSession,
        A: AzureApi,
        L: Tracer,
    {
        let every = v
            .every
            .map_or(ctx.config.default_every, |d| d.as_std())
            .clamp(Duration::from_millis(100), MOVING_EVERY);
        loop {
            let sent = Instant::now();
            let cap = capture(ctx.world, &v.probe).await;
            let judged = judge(&cap, &v.expect, &ctx.rules);
            ctx.emit_probe(&self.step, &cap, &judged).await;
            let answered = Instant::now();
            // The same reading as the verification's: a trace that misses
            // the target now is lost traffic now, not once the call returns.
            if let Some(seen) = loss::read(v, &cap, &judged, &ctx.rules) {
                loss.observe(ctx, &self.step, i, sent, seen).await;
            }
            if let Some(m) = self.observe(i, sent, answered, judged.passed()) {
                let _ = ctx.sink.emit(m).await;
                return;
            }
            sleep(every.saturating_sub(sent.elapsed())).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use cutover_core::azure_call::RequestIds;
    use cutover_core::runbook::{Runbook, StepBody};

    fn disable_verify() -> (ActionOp, Vec<Verify>) {
        let rb = Runbook::load(
            &Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
                .join("runbooks/er-vpn-failover.toml"),
        )
        .expect("valid");
        let step = rb.step("disable-private-peering").expect("step");
        match &step.body {
            StepBody::Action(a) => (a.action.op, a.verify.clone()),
            _ => panic!("an action"),
        }
    }

    fn put(status: u16) -> ArmAttempt {
        ArmAttempt {
            method: "PUT".into(),
            path: "/peerings/AzurePrivatePeering".into(),
            status,
            error_code: None,
            retry_after_ms: None,
            ids: RequestIds::default(),
            write: None,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_time_runs_from_the_accepted_put_to_the_first_probe_on_the_new_path() {
        let (op, verify) = disable_verify();
        let clock = PathClock::new("disable", op, &verify);
        let trace = verify
            .iter()
            .position(|v| path_kind(v) == Some("trace"))
            .expect("a trace verification");
        let t0 = Instant::now();
        // Nothing counts before ARM accepted a write: not a probe, not a
        // refused or throttled PUT.
        assert_eq!(clock.observe(trace, t0, t0, true), None);
        clock.on_attempt(&put(409));
        clock.on_attempt(&put(429));
        assert_eq!(clock.accepted_at(), None);
        tokio::time::advance(Duration::from_millis(300)).await;
        clock.on_attempt(&put(201));
        let accepted = Instant::now();
        // A later 2xx (the polling, a GET) does not move the start.
        tokio::time::advance(Duration::from_millis(100)).await;
        clock.on_attempt(&put(200));
        assert_eq!(clock.accepted_at(), Some(accepted));
        // Probes at +1.0 s (old path) and +2.0 s (new path, answered at
        // +2.2 s): the path moved between 1.0 and 2.2 s.
        let at = |ms: u64| accepted + Duration::from_millis(ms);
        assert_eq!(clock.observe(trace, at(1000), at(1100), false), None);
        let m = clock.observe(trace, at(2000), at(2200), true);
        assert_eq!(
            m,
            Some(Event::Measurement {
                step: "disable".into(),
                name: "failover.trace".into(),
                millis: 2200,
                uncertainty_ms: Some(1200),
                from: Some("PUT accepted (201)".into()),
                to: Some("first server trace on the new path".into()),
            })
        );
        // Measured once.
        assert_eq!(clock.observe(trace, at(3000), at(3100), true), None);
    }

    #[tokio::test(start_paused = true)]
    async fn a_path_seen_by_the_first_probe_is_bounded_by_the_acceptance() {
        let (op, verify) = disable_verify();
        let clock = PathClock::new("disable", op, &verify);
        let table = verify
            .iter()
            .position(|v| path_kind(v) == Some("table"))
            .expect("a table verification");
        clock.on_attempt(&put(202));
        let accepted = Instant::now();
        let m = clock.observe(
            table,
            accepted + Duration::from_millis(10),
            accepted + Duration::from_millis(900),
            true,
        );
        match m {
            Some(Event::Measurement {
                name,
                millis,
                uncertainty_ms,
                ..
            }) => {
                assert_eq!(name, "failover.table");
                assert_eq!((millis, uncertainty_ms), (900, Some(900)));
            }
            other => panic!("{other:?}"),
        }
    }
}
