//! The event queue and the session transitions it drives: changes are
//! scheduled with due times and applied in order, each followed by a
//! routing recomputation.

use std::time::Duration;

use super::{ORIGIN, PeeringState, World};
use crate::bgp::{Path, PathSource};
use crate::topology::Carrier;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ev {
    /// BFD (or the hold timer) declares the peer dead; `Down` follows
    /// after the convergence time.
    Detect(usize),
    Down(usize),
    Up(usize),
    /// The old session was stale: it resets and a new one comes up.
    Reset(usize),
    TunnelUp(usize),
}

#[derive(Debug, Clone)]
pub(super) struct Scheduled {
    due: Duration,
    seq: u64,
    epoch: u64,
    ev: Ev,
}

impl World {
    /// Brings the world to `clock`'s time.
    pub fn sync(&mut self, clock: &dyn crate::Clock) {
        self.tick(clock.now());
    }

    /// Applies every event due by `now` (time since the lab started), in
    /// order; the world never goes back in time.
    pub fn tick(&mut self, now: Duration) {
        let target = ORIGIN.saturating_add(now);
        loop {
            let next = self
                .pending
                .iter()
                .enumerate()
                .filter(|(_, s)| s.due <= target)
                .min_by_key(|(_, s)| (s.due, s.seq))
                .map(|(i, _)| i);
            let Some(i) = next else { break };
            let ev = self.pending.swap_remove(i);
            if ev.due > self.t {
                self.t = ev.due;
            }
            self.apply(ev);
        }
        if target > self.t {
            self.t = target;
        }
    }

    pub(super) fn schedule(&mut self, after: Duration, epoch: u64, ev: Ev) {
        self.seq += 1;
        self.pending.push(Scheduled {
            due: self.t.saturating_add(after),
            seq: self.seq,
            epoch,
            ev,
        });
    }

    fn carrier_ok(&self, sid: usize) -> bool {
        let Some(s) = self.topo.sessions.get(sid) else {
            return false;
        };
        match s.carrier {
            // A link failover test holds its link's session down.
            Carrier::ErLink(i) => self.private_peering_enabled() && !self.link_test_holds(i),
            // A site failover test holds the gateway's connection down.
            Carrier::ErCore(_) => self.private_peering_enabled() && !self.er_connection_down(),
            Carrier::Tunnel(k) => self.tunnels.get(k).is_some_and(|t| t.up),
            Carrier::Fixed => true,
        }
    }

    pub(crate) fn private_peering_enabled(&self) -> bool {
        self.topo
            .azure
            .peerings
            .iter()
            .zip(&self.peerings)
            .any(|(spec, rt)| spec.carries_private_routes && rt.state == PeeringState::Enabled)
    }

    fn apply(&mut self, s: Scheduled) {
        match s.ev {
            Ev::Detect(sid) | Ev::Down(sid) | Ev::Up(sid) | Ev::Reset(sid) => {
                if self.sessions.get(sid).is_none_or(|x| x.epoch != s.epoch) {
                    return;
                }
            }
            Ev::TunnelUp(k) => {
                if self.tunnels.get(k).is_none_or(|x| x.epoch != s.epoch) {
                    return;
                }
            }
        }
        match s.ev {
            Ev::Detect(sid) => {
                let name = self.topo.sessions[sid].name;
                if let Some(rt) = self.sessions.get_mut(sid)
                    && rt.established
                {
                    rt.detected = true;
                    self.log(format!("BGP session {name}: peer declared dead"));
                    let convergence = self.convergence_of(sid);
                    self.schedule(convergence, s.epoch, Ev::Down(sid));
                }
            }
            Ev::Down(sid) => {
                self.session_down(sid);
                self.recompute(false);
            }
            Ev::Up(sid) => {
                if self.session_up(sid) {
                    self.recompute(false);
                }
            }
            Ev::Reset(sid) => {
                self.session_down(sid);
                self.session_up(sid);
                self.recompute(false);
            }
            Ev::TunnelUp(k) => {
                let t = self.t;
                if let Some(tu) = self.tunnels.get_mut(k) {
                    tu.up = true;
                    tu.since = t;
                    tu.serial += 1;
                    tu.ever_up = true;
                }
                self.log(format!("tunnel {k} up (IKE and IPsec SAs negotiated)"));
                self.recompute(false);
                let establish = self.scenario.timing.establish;
                for sid in self.sessions_on(|c| c == Carrier::Tunnel(k)) {
                    let epoch = self.bump(sid);
                    self.schedule(establish, epoch, Ev::Up(sid));
                }
            }
        }
    }

    /// How long the tables take to follow once session `sid`'s peer is
    /// declared dead: drawn between the scenario's least and most
    /// convergence, from the scenario's seed, the session and how often it
    /// went down before, so that a run repeats and two sessions differ.
    pub(crate) fn convergence_of(&self, sid: usize) -> Duration {
        let t = self.scenario.timing;
        let span = t.convergence_max.saturating_sub(t.convergence).as_millis() as u64;
        if span == 0 {
            return t.convergence;
        }
        let flaps = self.sessions.get(sid).map_or(0, |s| u64::from(s.flaps));
        let h = crate::mix(self.seed ^ 0xc0_4e_e6 ^ ((sid as u64) << 32) ^ flaps);
        t.convergence + Duration::from_millis(h % (span + 1))
    }

    pub(super) fn sessions_on(&self, f: impl Fn(Carrier) -> bool) -> Vec<usize> {
        self.topo
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| f(s.carrier))
            .map(|(i, _)| i)
            .collect()
    }

    pub(super) fn bump(&mut self, sid: usize) -> u64 {
        match self.sessions.get_mut(sid) {
            Some(s) => {
                s.epoch += 1;
                s.epoch
            }
            None => 0,
        }
    }

    pub(super) fn session_down(&mut self, sid: usize) {
        let t = self.t;
        let Some(s) = self.sessions.get_mut(sid) else {
            return;
        };
        s.detected = false;
        if s.established {
            s.established = false;
            s.since = t;
            s.flaps += 1;
            s.stale = None;
            let name = self.topo.sessions[sid].name;
            self.log(format!("BGP session {name} down"));
        }
    }

    /// Brings a session up if nothing keeps it down; true when it changed.
    pub(super) fn session_up(&mut self, sid: usize) -> bool {
        if !self.carrier_ok(sid) {
            return false;
        }
        let t = self.t;
        let Some(s) = self.sessions.get_mut(sid) else {
            return false;
        };
        if s.blocked || s.established {
            return false;
        }
        s.established = true;
        s.since = t;
        s.stale = None;
        s.detected = false;
        let name = self.topo.sessions[sid].name;
        self.log(format!("BGP session {name} established"));
        true
    }

    /// The paths each end of session `sid` holds from the other now.
    pub(super) fn held_on(&self, sid: usize) -> [Vec<Path>; 2] {
        let Some(spec) = self.topo.sessions.get(sid) else {
            return [vec![], vec![]];
        };
        spec.ends.clone().map(|end| {
            self.rib(end.node)
                .dests
                .values()
                .flat_map(|d| &d.paths)
                .filter(
                    |p| matches!(p.source, PathSource::Session { session, .. } if session == sid),
                )
                .cloned()
                .collect()
        })
    }
}
