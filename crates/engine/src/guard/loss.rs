//! Lost traffic versus traffic not moved yet (DESIGN.md invariant 2:
//! "traffic lost for longer than `max_outage`").
//!
//! Every answer of a `trace` verification is read one of three ways:
//! - the target answered and the verification passed: the traffic moved;
//! - the target answered, but not as the verification wants (still over
//!   ExpressRoute, say): not moved yet. That is no outage, and only the
//!   verification's `within` ends that wait;
//! - the target did not answer: the traffic is lost.
//!
//! A trace that could not be run or read says nothing about the traffic:
//! it neither starts nor ends a loss (the verification's `within` still
//! bounds the wait).
//!
//! The loss is counted from the moment the first trace that missed the
//! target was sent, not from the last one that reached it. Between those
//! two the target was seen by nobody: counting from the last reach would
//! roll back on up to one probe period (plus the trace's own time) of
//! outage that no probe saw, so a short failover blip between two probes
//! could look like `max_outage` had passed. Counting from the first miss
//! rolls back only once the target has been seen unreachable for
//! `max_outage`; the time before it, when the target may already have been
//! gone, is journaled as `unseen_ms` so the report states the outage with
//! its uncertainty. The rollback is due exactly `max_outage` after that
//! first miss, whether or not a trace is running at that moment.
//!
//! The clock starts when ARM accepted the write (the first 2xx answer to
//! the PUT), not when its operation ends: ARM keeps the operation running
//! for seconds (in Azure, tens of seconds) while the network already
//! moves, and the traces probed meanwhile feed this watch too. A loss seen
//! then is due `max_outage` after its first miss like any other, while the
//! operation still runs; every time journaled counts from the acceptance,
//! as the measurements do.

use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::rfc3339_ms;
use crate::expect::Judged;
use crate::port::trace::Tracer;
use crate::port::{AzureApi, DeviceSession};
use crate::probes::Capture;
use crate::runner::Ctx;
use cutover_core::model::Trace;
use cutover_core::parse::query::{self, Answer};
use cutover_core::runbook::model::PathRules;
use cutover_core::runbook::{ActionStep, QueryName, Verify};
use cutover_core::session::event::{Event, NoteLevel};

/// What one verification trace said about the test traffic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Seen {
    Reached {
        path: String,
        moved: bool,
    },
    Lost {
        evidence: String,
    },
    /// No readable answer: nothing is known about the traffic.
    Unknown,
}

/// Reads a verification's answer; `None` when it is not a trace.
pub(super) fn read(v: &Verify, cap: &Capture, judged: &Judged, rules: &PathRules) -> Option<Seen> {
    if v.probe.query.name() != QueryName::Trace {
        return None;
    }
    if cap.error.is_some() {
        return Some(Seen::Unknown);
    }
    let parsed;
    let trace: &Trace = match (&cap.trace, cap.raw.as_deref()) {
        (Some(t), _) => t,
        (None, Some(raw)) => match query::read(QueryName::Trace, raw) {
            Ok(Answer::Trace(t)) => {
                parsed = t;
                &parsed
            }
            _ => return Some(Seen::Unknown),
        },
        (None, None) => return Some(Seen::Unknown),
    };
    let class = rules.explain_trace(trace);
    Some(if class.reached {
        Seen::Reached {
            path: class.kind.as_str().to_string(),
            moved: judged.passed(),
        }
    } else {
        Seen::Lost {
            evidence: unreached(trace),
        }
    })
}

/// Where a trace that did not reach its target stopped.
fn unreached(t: &Trace) -> String {
    let target = t.target.as_deref().unwrap_or("the target");
    match t
        .hops
        .iter()
        .rev()
        .find_map(|h| h.addresses.first().map(|a| (h.ttl, a)))
    {
        Some((ttl, addr)) => {
            format!("{target} did not answer; the last hop that did: {ttl} {addr}")
        }
        None => format!("{target} did not answer; no hop did"),
    }
}

/// One trace verification's view of the traffic.
#[derive(Debug, Default)]
struct Track {
    /// When the last trace that reached the target was sent.
    last_reached: Option<Instant>,
    /// When the first trace of the current loss was sent.
    lost_since: Option<Instant>,
    /// The last reach reported: path and whether it had moved.
    reported: Option<(String, bool)>,
}

/// The loss clock of one guarded change, shared by the probes taken while
/// ARM's operation runs, the verifications after it, and whatever rolls
/// back when it runs out.
pub(super) struct LossWatch {
    max_outage: Option<Duration>,
    /// When ARM accepted the write (the first 2xx answer to the PUT), or
    /// when the call returned if no answer said so: every time the loss
    /// journals counts from here, as the measurements do. Unset, nothing
    /// is observed: a probe before the acceptance says nothing of the
    /// change.
    since: OnceLock<Instant>,
    tracks: Mutex<Vec<Track>>,
    /// When the loss rollback is due, if a loss runs (`max_outage` set).
    due: watch::Sender<Option<Instant>>,
}

impl LossWatch {
    /// The loss clock of `a`, not started yet.
    pub(super) fn new(a: &ActionStep) -> Self {
        Self {
            max_outage: a.action.max_outage.map(|d| d.as_std()),
            since: OnceLock::new(),
            tracks: Mutex::new(a.verify.iter().map(|_| Track::default()).collect()),
            due: watch::Sender::new(None),
        }
    }

    /// Starts the clock at `accepted`; the first start wins (the probes
    /// during the operation start it at the acceptance, the window only
    /// when none did).
    pub(super) fn begin(&self, accepted: Instant) {
        let _ = self.since.set(accepted);
    }

    /// Announces the verification of the change whose call returned at
    /// `done_at`: its `within` counts from there.
    pub(super) async fn announce<D, A, L>(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        step: &str,
        a: &ActionStep,
        done_at: Instant,
    ) {
        let within = a
            .verify
            .iter()
            .map(|v| v.within.as_std())
            .max()
            .unwrap_or_default();
        let _ = ctx
            .sink
            .emit(Event::VerifyStarted {
                step: step.to_string(),
                since: rfc3339_ms(wall(done_at)),
                within_ms: millis(within),
                max_outage_ms: self.max_outage.map(millis),
            })
            .await;
    }

    /// Resolves when the traffic has been lost for `max_outage`; never
    /// without a loss or without `max_outage`.
    pub(super) async fn due(&self) {
        let mut rx = self.due.subscribe();
        loop {
            let at = *rx.borrow_and_update();
            match at {
                Some(t) => {
                    tokio::select! {
                        () = sleep_until(t) => return,
                        _ = rx.changed() => {}
                    }
                }
                // The sender lives as long as `self`: `changed` only
                // returns when the value does.
                None => {
                    let _ = rx.changed().await;
                }
            }
        }
    }

    /// How long the current loss has lasted, from the first trace that
    /// missed the target.
    pub(super) fn lost_for(&self) -> Option<Duration> {
        let tracks = self.tracks.lock().ok()?;
        tracks
            .iter()
            .filter_map(|t| t.lost_since)
            .min()
            .map(|s| s.elapsed())
    }

    pub(super) fn max_outage(&self) -> Option<Duration> {
        self.max_outage
    }

    /// When the current loss began (its first missed trace was sent),
    /// after the PUT was accepted.
    pub(super) fn lost_from(&self) -> Option<Duration> {
        let since = *self.since.get()?;
        let tracks = self.tracks.lock().ok()?;
        tracks
            .iter()
            .filter_map(|t| t.lost_since)
            .min()
            .map(|s| s.saturating_duration_since(since))
    }

    /// Tells why the change is undone before the verification's `within`
    /// (or, `during_operation`, before ARM's operation even ended).
    pub(super) async fn tell_rollback<D, A, L>(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        step: &str,
        during_operation: bool,
    ) {
        let human =
            |d: Option<Duration>| cutover_core::model::duration::human_std(d.unwrap_or_default());
        let instead = if during_operation {
            "without waiting for ARM's operation to end (a PUT was accepted: the change counts as applied)"
        } else {
            "without waiting for the verification to give up"
        };
        ctx.note(
            Some(step),
            NoteLevel::Error,
            format!(
                "traffic lost: the test target has not answered for {}, from +{} after the PUT was accepted (max_outage {}): rolling back now, {instead}",
                human(self.lost_for()),
                human(self.lost_from()),
                human(self.max_outage())
            ),
        )
        .await;
    }

    /// Takes what verification `item`'s trace, sent at `sent`, saw;
    /// journals a loss when it starts and a reach when it is news.
    pub(super) async fn observe<D, A, L>(
        &self,
        ctx: &Ctx<'_, D, A, L>,
        step: &str,
        item: usize,
        sent: Instant,
        seen: Seen,
    ) where
        D: DeviceSession,
        A: AzureApi,
        L: Tracer,
    {
        let event = match self.update(step, item, sent, seen) {
            Some(e) => e,
            None => return,
        };
        let _ = ctx.sink.emit(event).await;
    }

    /// The state change, and the event that tells it (if any).
    fn update(&self, step: &str, item: usize, sent: Instant, seen: Seen) -> Option<Event> {
        let since = *self.since.get()?;
        if sent < since {
            return None;
        }
        let mut tracks = self.tracks.lock().ok()?;
        let t = tracks.get_mut(item)?;
        let elapsed_ms = millis(sent.saturating_duration_since(since));
        let event = match seen {
            Seen::Unknown => None,
            Seen::Reached { path, moved } => {
                let lost = t.lost_since.take();
                t.last_reached = Some(sent);
                let news = lost.is_some() || t.reported.as_ref() != Some(&(path.clone(), moved));
                t.reported = Some((path.clone(), moved));
                news.then(|| Event::TrafficSeen {
                    step: step.to_string(),
                    path,
                    moved,
                    elapsed_ms,
                    lost_ms: lost.map(|l| millis(sent.saturating_duration_since(l))),
                })
            }
            Seen::Lost { .. } if t.lost_since.is_some() => None,
            Seen::Lost { evidence } => {
                t.lost_since = Some(sent);
                let seen_last = t.last_reached.unwrap_or(since);
                let rollback_at = self.max_outage.map(|m| sent + m);
                Some(Event::TrafficLost {
                    step: step.to_string(),
                    since: rfc3339_ms(wall(sent)),
                    elapsed_ms,
                    unseen_ms: millis(sent.saturating_duration_since(seen_last)),
                    rollback_at: rollback_at.map(|at| rfc3339_ms(wall(at))),
                    evidence,
                })
            }
        };
        // The earliest loss of any trace decides: one target gone is
        // traffic lost, whatever another trace shows.
        let due = self.max_outage.and_then(|m| {
            tracks
                .iter()
                .filter_map(|t| t.lost_since)
                .min()
                .map(|s| s + m)
        });
        self.due.send_replace(due);
        event
    }
}

/// The wall-clock time of `at` (tokio's clock has no calendar).
fn wall(at: Instant) -> OffsetDateTime {
    let now = Instant::now();
    let wall_now = OffsetDateTime::now_utc();
    if at <= now {
        wall_now - now.duration_since(at)
    } else {
        wall_now + at.duration_since(now)
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn watch(max_outage: Option<u64>) -> LossWatch {
        LossWatch {
            max_outage: max_outage.map(Duration::from_secs),
            since: OnceLock::from(Instant::now()),
            tracks: Mutex::new(vec![Track::default(), Track::default()]),
            due: watch::Sender::new(None),
        }
    }

    fn lost() -> Seen {
        Seen::Lost {
            evidence: "x".into(),
        }
    }

    fn reached(path: &str, moved: bool) -> Seen {
        Seen::Reached {
            path: path.into(),
            moved,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn the_loss_counts_from_the_first_miss_and_a_reach_ends_it() {
        let w = watch(Some(15));
        let t0 = Instant::now();
        let first = w.update("s", 0, t0, lost());
        assert!(matches!(
            first,
            Some(Event::TrafficLost {
                elapsed_ms: 0,
                unseen_ms: 0,
                ..
            })
        ));
        assert_eq!(*w.due.borrow(), Some(t0 + Duration::from_secs(15)));
        // A second miss neither restarts the clock nor repeats the event.
        let later = t0 + Duration::from_secs(5);
        assert_eq!(w.update("s", 0, later, lost()), None);
        assert_eq!(*w.due.borrow(), Some(t0 + Duration::from_secs(15)));
        // An unreadable trace says nothing.
        assert_eq!(w.update("s", 0, later, Seen::Unknown), None);
        assert_eq!(*w.due.borrow(), Some(t0 + Duration::from_secs(15)));
        let back = t0 + Duration::from_secs(10);
        match w.update("s", 0, back, reached("vpn", true)) {
            Some(Event::TrafficSeen { lost_ms, moved, .. }) => {
                assert_eq!(lost_ms, Some(10_000));
                assert!(moved);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(*w.due.borrow(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn not_moved_is_no_loss_and_is_told_once() {
        let w = watch(Some(15));
        let t0 = Instant::now();
        assert!(
            w.update("s", 0, t0, reached("expressroute", false))
                .is_some()
        );
        assert_eq!(
            w.update(
                "s",
                0,
                t0 + Duration::from_secs(5),
                reached("expressroute", false)
            ),
            None
        );
        assert_eq!(*w.due.borrow(), None);
        // The loss after a reach knows how long nobody saw the target.
        match w.update("s", 0, t0 + Duration::from_secs(10), lost()) {
            Some(Event::TrafficLost { unseen_ms, .. }) => assert_eq!(unseen_ms, 5_000),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn one_trace_reaching_does_not_hide_another_that_does_not() {
        let w = watch(Some(15));
        let t0 = Instant::now();
        w.update("s", 0, t0, lost());
        w.update("s", 1, t0 + Duration::from_secs(1), reached("vpn", true));
        assert_eq!(*w.due.borrow(), Some(t0 + Duration::from_secs(15)));
    }

    #[tokio::test(start_paused = true)]
    async fn without_max_outage_a_loss_is_told_but_never_due() {
        let w = watch(None);
        match w.update("s", 0, Instant::now(), lost()) {
            Some(Event::TrafficLost { rollback_at, .. }) => assert_eq!(rollback_at, None),
            other => panic!("{other:?}"),
        }
        assert_eq!(*w.due.borrow(), None);
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_counts_before_the_clock_starts_and_times_run_from_its_start() {
        let w = watch(Some(15));
        let w = LossWatch {
            since: OnceLock::new(),
            ..w
        };
        let t0 = Instant::now();
        assert_eq!(w.update("s", 0, t0, lost()), None);
        assert_eq!(*w.due.borrow(), None);
        let accepted = t0 + Duration::from_secs(1);
        w.begin(accepted);
        // A later start does not move it.
        w.begin(t0 + Duration::from_secs(30));
        let miss = accepted + Duration::from_millis(8);
        match w.update("s", 0, miss, lost()) {
            Some(Event::TrafficLost {
                elapsed_ms,
                unseen_ms,
                ..
            }) => assert_eq!((elapsed_ms, unseen_ms), (8, 8)),
            other => panic!("{other:?}"),
        }
        assert_eq!(*w.due.borrow(), Some(miss + Duration::from_secs(15)));
    }

    #[tokio::test(start_paused = true)]
    async fn due_fires_at_the_first_miss_plus_max_outage() {
        let w = watch(Some(15));
        let t0 = Instant::now();
        w.update("s", 0, t0, lost());
        w.due().await;
        assert_eq!(Instant::now(), t0 + Duration::from_secs(15));
    }
}
