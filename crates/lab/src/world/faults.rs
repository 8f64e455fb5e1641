//! Faults injected into a running lab, and lifted again: a tunnel's SAs
//! deleted, a BGP session shut.

use std::time::Duration;

use super::events::Ev;
use super::{World, WorldError};
use crate::topology::Carrier;

impl World {
    /// Takes tunnel `index` down (its SAs deleted) or lets it negotiate
    /// again (up a second later, BGP after the establish time).
    pub fn set_tunnel(&mut self, now: Duration, index: usize, up: bool) -> Result<(), WorldError> {
        self.tick(now);
        let epoch = {
            let tu = self
                .tunnels
                .get_mut(index)
                .ok_or(WorldError::NoTunnel(index))?;
            tu.epoch += 1;
            tu.admin_down = !up;
            tu.epoch
        };
        if up {
            if !self.tunnels[index].up {
                self.schedule(Duration::from_secs(1), epoch, Ev::TunnelUp(index));
            }
        } else {
            let t = self.t;
            if let Some(tu) = self.tunnels.get_mut(index)
                && tu.up
            {
                tu.up = false;
                tu.since = t;
            }
            self.log(format!("tunnel {index} down"));
            for sid in self.sessions_on(|c| c == Carrier::Tunnel(index)) {
                self.bump(sid);
                self.session_down(sid);
            }
            self.recompute(false);
        }
        Ok(())
    }

    /// Shuts a BGP session (by its topology name) or lets it establish.
    pub fn set_session(&mut self, now: Duration, name: &str, up: bool) -> Result<(), WorldError> {
        self.tick(now);
        let sid = self
            .topo
            .session_by_name(name)
            .ok_or_else(|| WorldError::NoSession(name.to_string()))?;
        let epoch = self.bump(sid);
        self.sessions[sid].blocked = !up;
        if up {
            let establish = self.scenario.timing.establish;
            self.schedule(establish, epoch, Ev::Up(sid));
        } else {
            self.session_down(sid);
            self.recompute(false);
        }
        Ok(())
    }
}
