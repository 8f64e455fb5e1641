//! Whether a peering change may still send a write, and what ARM made of
//! the writes already sent (DESIGN.md invariant 2: an abort before any
//! write was accepted cancels the change, and no write goes out after it).
//!
//! The engine holds one [`SendPermit`] per change and revokes it when the
//! operator aborts; the client asks it right before every PUT and tells it
//! how each PUT was answered. Revoking and asking take the same lock, so a
//! PUT either went out before the abort (and its answer decides) or never
//! goes out.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::watch;

/// What the writes of one change amount to, at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteStatus {
    /// Nothing on the wire, and ARM refused every write sent so far (or
    /// none was sent): stopping now changes nothing.
    NoneAccepted,
    /// A write is on the wire: its answer decides.
    InFlight,
    /// ARM accepted a write, or a write's answer was lost: the change
    /// counts as applied and only a rollback undoes it.
    MayBeAccepted,
}

#[derive(Debug, Default)]
struct State {
    revoked: bool,
    in_flight: u32,
    may_be_accepted: bool,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    /// Wakes a client waiting out a backoff the moment the permit is
    /// revoked.
    revoked: watch::Sender<bool>,
}

/// Permission to send the writes of one change. Cheap to clone; the clones
/// share one state.
#[derive(Debug, Clone)]
pub struct SendPermit {
    inner: Arc<Inner>,
}

impl Default for SendPermit {
    fn default() -> Self {
        Self::new()
    }
}

impl SendPermit {
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State::default()),
                revoked: watch::Sender::new(false),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is three plain fields, valid whatever panicked.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// No write may go out from now on. Returns where the writes stand at
    /// this moment.
    pub fn revoke(&self) -> WriteStatus {
        let status = {
            let mut s = self.lock();
            s.revoked = true;
            status_of(&s)
        };
        self.inner.revoked.send_replace(true);
        status
    }

    pub fn is_revoked(&self) -> bool {
        self.lock().revoked
    }

    pub fn status(&self) -> WriteStatus {
        status_of(&self.lock())
    }

    /// Resolves once the permit is revoked (at once if it already is).
    pub async fn revoked(&self) {
        let mut rx = self.inner.revoked.subscribe();
        // The sender lives in `inner`, which `self` keeps alive: the wait
        // ends only by revocation.
        let _ = rx.wait_for(|r| *r).await;
    }

    /// Right before a write goes out. `None`: the permit is revoked and
    /// the write must not be sent.
    pub fn begin_write(&self) -> Option<WriteTicket> {
        let mut s = self.lock();
        if s.revoked {
            return None;
        }
        s.in_flight = s.in_flight.saturating_add(1);
        Some(WriteTicket {
            permit: self.clone(),
            settled: false,
        })
    }
}

fn status_of(s: &State) -> WriteStatus {
    if s.may_be_accepted {
        WriteStatus::MayBeAccepted
    } else if s.in_flight > 0 {
        WriteStatus::InFlight
    } else {
        WriteStatus::NoneAccepted
    }
}

/// One write on the wire. Settle it with [`WriteTicket::answered`] or
/// [`WriteTicket::not_sent`]; dropped unsettled (the call was abandoned
/// while the write was out), it counts as possibly accepted.
#[derive(Debug)]
#[must_use = "a write ticket dropped unsettled counts as accepted"]
pub struct WriteTicket {
    permit: SendPermit,
    settled: bool,
}

impl WriteTicket {
    /// ARM answered with `status`. Only a 4xx is a refusal (409 another
    /// operation, 429 throttled, 412 stale etag, ...): a 2xx was accepted,
    /// and a 5xx may come from a gateway in front of a write that went
    /// through.
    pub fn answered(mut self, status: u16) {
        self.settle(!(400..500).contains(&status));
    }

    /// The write never left this host (no connection could be made).
    pub fn not_sent(mut self) {
        self.settle(false);
    }

    fn settle(&mut self, may_be_accepted: bool) {
        if self.settled {
            return;
        }
        self.settled = true;
        let mut s = self.permit.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        s.may_be_accepted |= may_be_accepted;
    }
}

impl Drop for WriteTicket {
    fn drop(&mut self) {
        self.settle(true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_writes_leave_nothing_accepted_and_a_revoked_permit_sends_nothing() {
        let p = SendPermit::new();
        assert_eq!(p.status(), WriteStatus::NoneAccepted);
        let t = p.begin_write().expect("open");
        assert_eq!(p.status(), WriteStatus::InFlight);
        t.answered(409);
        let t = p.begin_write().expect("open");
        t.answered(429);
        assert_eq!(p.revoke(), WriteStatus::NoneAccepted);
        assert!(p.is_revoked());
        assert!(p.begin_write().is_none());
        assert_eq!(p.status(), WriteStatus::NoneAccepted);
    }

    #[test]
    fn accepted_lost_or_abandoned_writes_count_as_applied() {
        for settle in [
            (|t: WriteTicket| t.answered(201)) as fn(WriteTicket),
            |t| t.answered(0),
            |t| t.answered(502),
            drop,
        ] {
            let p = SendPermit::new();
            settle(p.begin_write().expect("open"));
            assert_eq!(p.revoke(), WriteStatus::MayBeAccepted);
        }
        let p = SendPermit::new();
        p.begin_write().expect("open").not_sent();
        assert_eq!(p.status(), WriteStatus::NoneAccepted);
    }

    #[test]
    fn a_revocation_during_a_write_leaves_it_to_its_answer() {
        let p = SendPermit::new();
        let t = p.begin_write().expect("open");
        assert_eq!(p.revoke(), WriteStatus::InFlight);
        t.answered(429);
        assert_eq!(p.status(), WriteStatus::NoneAccepted);
        assert!(p.begin_write().is_none());
    }

    #[tokio::test]
    async fn a_waiter_wakes_when_revoked() {
        let p = SendPermit::new();
        let waiter = {
            let p = p.clone();
            tokio::spawn(async move { p.revoked().await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        p.revoke();
        waiter.await.expect("woke");
        p.revoked().await;
    }
}
