//! Byte counters for ARM's peering and connection statistics: the rates
//! follow where production traffic flows after each routing change.

use std::time::Duration;

use super::World;
use crate::dataplane::Link;

/// Bytes carried, per ExpressRoute link and per tunnel, as floating sums
/// of piecewise-constant rates.
#[derive(Debug, Clone, Default)]
pub(crate) struct Traffic {
    /// [link] bytes into Microsoft from on-premises / out of it.
    pub er_in: [f64; 2],
    pub er_out: [f64; 2],
    /// [tunnel] bytes into Azure / out of Azure.
    pub tun_in: [f64; 2],
    pub tun_out: [f64; 2],
    rate_er_in: [f64; 2],
    rate_er_out: [f64; 2],
    rate_tun_in: [f64; 2],
    rate_tun_out: [f64; 2],
    last: Duration,
}

/// Production traffic between the on-premises LAN and Azure, bytes/s.
const ONPREM_TO_AZURE: f64 = 2_400_000.0;
const AZURE_TO_ONPREM: f64 = 3_100_000.0;
/// IKE liveness and BGP keepalives through an idle tunnel, bytes/s.
const TUNNEL_CONTROL: f64 = 60.0;

impl World {
    pub(super) fn update_rates(&mut self) {
        let mut r_er_in = [0.0; 2];
        let mut r_er_out = [0.0; 2];
        let mut r_tun_in = [0.0; 2];
        let mut r_tun_out = [0.0; 2];
        for (k, tu) in self.tunnels.iter().enumerate().take(2) {
            if tu.up {
                r_tun_in[k] += TUNNEL_CONTROL;
                r_tun_out[k] += TUNNEL_CONTROL;
            }
        }
        let fwd = self.walk_from_server(self.topo.vm.addr);
        if fwd.delivered() {
            for l in &fwd.crossed {
                match *l {
                    Link::Er(i) if i < 2 => r_er_in[i] += ONPREM_TO_AZURE,
                    Link::Tunnel(i) if i < 2 => r_tun_in[i] += ONPREM_TO_AZURE,
                    _ => {}
                }
            }
        }
        let back = self.walk_from_vm(self.topo.server.addr);
        if back.delivered() {
            for l in &back.crossed {
                match *l {
                    Link::Er(i) if i < 2 => r_er_out[i] += AZURE_TO_ONPREM,
                    Link::Tunnel(i) if i < 2 => r_tun_out[i] += AZURE_TO_ONPREM,
                    _ => {}
                }
            }
        }
        self.traffic.rate_er_in = r_er_in;
        self.traffic.rate_er_out = r_er_out;
        self.traffic.rate_tun_in = r_tun_in;
        self.traffic.rate_tun_out = r_tun_out;
    }
}

impl Traffic {
    /// No bytes and no rates yet, counting from world time `t`.
    pub(super) fn starting_at(t: Duration) -> Traffic {
        Traffic {
            last: t,
            ..Traffic::default()
        }
    }

    pub(super) fn advance(&mut self, to: Duration) {
        let dt = to.saturating_sub(self.last).as_secs_f64();
        for i in 0..2 {
            self.er_in[i] += self.rate_er_in[i] * dt;
            self.er_out[i] += self.rate_er_out[i] * dt;
            self.tun_in[i] += self.rate_tun_in[i] * dt;
            self.tun_out[i] += self.rate_tun_out[i] * dt;
        }
        if to > self.last {
            self.last = to;
        }
    }

    /// Counters as if the current rates had held for a while before the
    /// lab started (a circuit that has carried traffic for weeks).
    pub(super) fn seed_totals(&mut self, t: Duration) {
        let history = 9.0 * 86_400.0;
        for i in 0..2 {
            self.er_in[i] = self.rate_er_in[i] * history + 1.0e9 * (i as f64 + 1.0);
            self.er_out[i] = self.rate_er_out[i] * history + 1.3e9 * (i as f64 + 1.0);
            self.tun_in[i] = self.rate_tun_in[i] * 2.0 * 86_400.0 + 4.1e6 * (i as f64 + 1.0);
            self.tun_out[i] = self.rate_tun_out[i] * 2.0 * 86_400.0 + 5.3e6 * (i as f64 + 1.0);
        }
        self.last = t;
    }

    /// The counters at `t` without changing the world.
    pub(crate) fn at(&self, t: Duration) -> Traffic {
        let mut c = self.clone();
        c.advance(t);
        c
    }
}
