//! What the lab's probes answer: a traceroute hop by hop (who answers,
//! who stays silent, `!N`), and ping's echo replies, over the paths the
//! forwarding walk finds.

use std::net::Ipv4Addr;

use serde::Serialize;

use super::rtt::probe_rtt;
use super::{End, PathKind, Station, Target};
use crate::world::World;
use cutover_core::model::{Hop, Trace};

/// One probe's answer.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Probe {
    pub addr: Option<Ipv4Addr>,
    pub rtt_ms: f64,
    /// `!N` for net unreachable.
    pub annotation: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceHop {
    pub ttl: u8,
    /// One entry per probe; `addr` None is a timeout.
    pub probes: Vec<Probe>,
}

/// A traceroute from the on-premises server.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceResult {
    pub target: Ipv4Addr,
    pub max_hops: u8,
    pub hops: Vec<TraceHop>,
    /// The target answered.
    pub reached: bool,
    /// The way the probes went (not the way answers came back).
    pub forward: PathKind,
    /// The way the target's answers came back, when they did.
    pub reverse: PathKind,
}

impl TraceResult {
    /// The normalized form `cutover parse traceroute` gives.
    pub fn to_model(&self) -> Trace {
        Trace {
            target: Some(self.target.to_string()),
            hops: self
                .hops
                .iter()
                .map(|h| {
                    let mut addresses: Vec<String> = Vec::new();
                    for a in h.probes.iter().filter_map(|p| p.addr) {
                        let s = a.to_string();
                        if !addresses.contains(&s) {
                            addresses.push(s);
                        }
                    }
                    Hop {
                        ttl: h.ttl,
                        rtts_ms: h
                            .probes
                            .iter()
                            .filter(|p| p.addr.is_some())
                            .map(|p| p.rtt_ms)
                            .collect(),
                        timeout: addresses.is_empty(),
                        addresses,
                    }
                })
                .collect(),
        }
    }
}

/// One echo request's fate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum PingReply {
    Echo {
        rtt_ms: f64,
        ttl: u8,
    },
    /// `From ADDR icmp_seq=N Destination Net Unreachable`.
    NetUnreachable {
        from: Ipv4Addr,
    },
    Lost,
}

impl World {
    /// One probe's round trip over a path of `base_ms` that crossed
    /// `tunnels` tunnels: each probe draws its own jitter.
    fn probe_rtt(&self, base_ms: f64, tunnels: u32) -> f64 {
        probe_rtt(self.seed, self.probes.next(), base_ms, tunnels)
    }

    /// A traceroute from the on-premises server to `target`, `probes` per
    /// hop (Linux `traceroute` sends 3), at most `max_hops` hops.
    pub fn trace(&self, target: Ipv4Addr, max_hops: u8, probes: u8) -> TraceResult {
        let max_hops = max_hops.max(1);
        let probes = probes.clamp(1, 10);
        let w = self.walk_from_server(target);
        let mut hops: Vec<TraceHop> = Vec::new();
        let answer = |(addr, rtt_base, tunnels): (Ipv4Addr, f64, u32),
                      ttl: u8,
                      note: Option<&'static str>| TraceHop {
            ttl,
            probes: (0..probes)
                .map(|_| Probe {
                    addr: Some(addr),
                    rtt_ms: self.probe_rtt(rtt_base, tunnels),
                    annotation: note,
                })
                .collect(),
        };
        let silent = |ttl: u8| TraceHop {
            ttl,
            probes: (0..probes)
                .map(|_| Probe {
                    addr: None,
                    rtt_ms: 0.0,
                    annotation: None,
                })
                .collect(),
        };
        let router_answer = |st: &Station| -> Option<(Ipv4Addr, f64, u32)> {
            let r = self.topo.router(st.node);
            let addr = st.ingress?;
            if !r.answers_traceroute {
                return None;
            }
            let back = self.answer_returns(Target::Router(st.node))?;
            let back_ms = match back.end {
                End::Delivered(_, l) => l,
                _ => st.latency_ms,
            };
            // Junos answers from its control plane: a little slower.
            Some((
                addr,
                st.latency_ms + back_ms + 0.25,
                st.tunnels + back.tunnels(),
            ))
        };
        let mut ttl: u8 = 0;
        for st in &w.stations {
            ttl += 1;
            if ttl > max_hops {
                break;
            }
            hops.push(match router_answer(st) {
                Some(a) => answer(a, ttl, None),
                None => silent(ttl),
            });
        }
        let mut reached = false;
        let mut reverse = PathKind::None;
        if ttl < max_hops {
            match w.end {
                End::Delivered(t, lat) => {
                    let back = self.answer_returns(t);
                    match back {
                        Some(b) => {
                            ttl += 1;
                            let back_ms = match b.end {
                                End::Delivered(_, l) => l,
                                _ => lat,
                            };
                            let tunnels = w.tunnels() + b.tunnels();
                            hops.push(answer((target, lat + back_ms, tunnels), ttl, None));
                            reached = true;
                            reverse = World::kind(&b);
                        }
                        None => {
                            while ttl < max_hops {
                                ttl += 1;
                                hops.push(silent(ttl));
                            }
                        }
                    }
                }
                End::Dropped => {
                    while ttl < max_hops {
                        ttl += 1;
                        hops.push(silent(ttl));
                    }
                }
                End::Unreachable => {
                    ttl += 1;
                    match w.stations.last().and_then(router_answer) {
                        Some(a) => hops.push(answer(a, ttl, Some("!N"))),
                        None => {
                            hops.push(silent(ttl));
                            while ttl < max_hops {
                                ttl += 1;
                                hops.push(silent(ttl));
                            }
                        }
                    }
                }
            }
        }
        TraceResult {
            target,
            max_hops,
            hops,
            reached,
            forward: World::kind(&w),
            reverse,
        }
    }

    /// `count` echo requests from the on-premises server to `target`.
    pub fn ping(&self, target: Ipv4Addr, count: u32) -> Vec<PingReply> {
        let w = self.walk_from_server(target);
        (0..count)
            .map(|_| match w.end {
                End::Delivered(t, lat) => match self.answer_returns(t) {
                    Some(back) => {
                        let back_ms = match back.end {
                            End::Delivered(_, l) => l,
                            _ => lat,
                        };
                        let routers = back.stations.len().min(63) as u8;
                        PingReply::Echo {
                            rtt_ms: self.probe_rtt(lat + back_ms, w.tunnels() + back.tunnels()),
                            ttl: 64 - routers,
                        }
                    }
                    None => PingReply::Lost,
                },
                End::Unreachable => match w.stations.last() {
                    Some(st) if self.topo.router(st.node).answers_traceroute => match st.ingress {
                        Some(from) if self.answer_returns(Target::Router(st.node)).is_some() => {
                            PingReply::NetUnreachable { from }
                        }
                        _ => PingReply::Lost,
                    },
                    _ => PingReply::Lost,
                },
                End::Dropped => PingReply::Lost,
            })
            .collect()
    }
}
