//! The lab's state over time: what is up, what each router holds, what ARM
//! reports. Changes are events with due times (a CE notices a silent MSEE
//! 900 ms after the peering goes away with BFD, 180 s without); `tick`
//! applies the ones that are due, recomputing the routing after each.

use std::collections::VecDeque;
use std::net::Ipv4Addr;
use std::str::FromStr;
use std::time::Duration;

use super::azure::{
    ArmError, BgpPeerStatus, CircuitView, ConnectionView, GatewayRoute, GatewayView,
    OperationStatus, PeeringStats, PeeringView, PutAccepted, TunnelStatus, timespan, us_datetime,
};
use super::bgp::{self, Dest, Inputs, Path, PathSource, Protocol, Rib};
use super::scenario::{ArmFault, LocalPref, Scenario};
use super::topology::{Carrier, DeviceId, Export, NextHop, Node, Topology};
use super::{hex_id, mix, uuid_like};
use cutover_core::model::Prefix;

/// World time of the lab's start: every router has been up for a while by
/// then, and ages stay positive.
const ORIGIN: Duration = Duration::from_secs(100 * 86_400);

/// ARM's api-version the lab speaks (the fixtures' one).
pub const API_VERSION: &str = "2024-05-01";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeeringState {
    Enabled,
    Disabled,
}

impl PeeringState {
    pub fn as_str(self) -> &'static str {
        match self {
            PeeringState::Enabled => "Enabled",
            PeeringState::Disabled => "Disabled",
        }
    }
}

impl FromStr for PeeringState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // ARM enums are case-insensitive on input.
        if s.eq_ignore_ascii_case("Enabled") {
            Ok(PeeringState::Enabled)
        } else if s.eq_ignore_ascii_case("Disabled") {
            Ok(PeeringState::Disabled)
        } else {
            Err(format!(
                "`{s}` is not a peering state (Enabled or Disabled)"
            ))
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorldError {
    #[error("no tunnel {0} in the lab")]
    NoTunnel(usize),
    #[error("no BGP session named `{0}` in the lab")]
    NoSession(String),
}

/// Something that happened in the lab, for whoever watches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Time since the lab started.
    pub at: Duration,
    pub what: String,
}

#[derive(Debug, Clone)]
pub(super) struct SessionRt {
    pub established: bool,
    /// Last transition (world time).
    pub since: Duration,
    pub flaps: u32,
    /// The scenario keeps it from ever establishing.
    pub blocked: bool,
    /// Bumped on every carrier change to cancel events scheduled before.
    pub epoch: u64,
    /// Still up on this side although the peer is gone (a CE before BFD
    /// or the hold timer notices): what each end held from the other then,
    /// kept as it was.
    pub stale: Option<[Vec<Path>; 2]>,
}

#[derive(Debug, Clone)]
pub(super) struct TunnelRt {
    pub up: bool,
    pub since: Duration,
    pub admin_down: bool,
    pub epoch: u64,
    /// Counts negotiations, so that cookies and SPIs change on each.
    pub serial: u64,
    pub ever_up: bool,
}

#[derive(Debug, Clone)]
pub(super) struct PeeringRt {
    pub state: PeeringState,
    pub provisioning_until: Duration,
    pub etag_serial: u64,
    pub operation: Option<(String, Duration)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ev {
    Down(usize),
    Up(usize),
    /// The old session was stale: it resets and a new one comes up.
    Reset(usize),
    TunnelUp(usize),
}

#[derive(Debug, Clone)]
struct Scheduled {
    due: Duration,
    seq: u64,
    epoch: u64,
    ev: Ev,
}

/// Bytes carried, per ExpressRoute link and per tunnel, as floating sums
/// of piecewise-constant rates.
#[derive(Debug, Clone, Default)]
pub(super) struct Traffic {
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

/// A routing table as a device shows it.
#[derive(Debug, Clone)]
pub struct TableView {
    pub name: String,
    pub dests: Vec<(Prefix, Dest)>,
}

impl TableView {
    pub fn route_count(&self) -> usize {
        self.dests.iter().map(|(_, d)| d.paths.len()).sum()
    }

    pub fn active_count(&self) -> usize {
        self.dests
            .iter()
            .filter(|(_, d)| !d.paths.is_empty())
            .count()
    }
}

/// One row of `show bgp summary`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BgpPeerRow {
    pub session: usize,
    pub peer: Ipv4Addr,
    pub peer_as: u32,
    pub local_addr: Ipv4Addr,
    pub local_as: u32,
    pub group: &'static str,
    pub ibgp: bool,
    pub established: bool,
    /// Junos' state word: `Establ`, `Active`.
    pub state: &'static str,
    pub in_msgs: u64,
    pub out_msgs: u64,
    pub flaps: u32,
    /// Since the last transition.
    pub last_change: Duration,
    pub table: String,
    pub active: usize,
    pub received: usize,
    pub accepted: usize,
    pub bfd: bool,
}

/// One row of `show bfd session`.
#[derive(Debug, Clone, PartialEq)]
pub struct BfdRow {
    pub peer: Ipv4Addr,
    pub up: bool,
    pub interface: &'static str,
    pub detect_s: f64,
    pub transmit_s: f64,
    pub multiplier: u32,
}

/// One IKE security association on the firewall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IkeSa {
    pub index: u32,
    pub up: bool,
    pub initiator_cookie: String,
    pub responder_cookie: String,
    pub remote: Ipv4Addr,
}

/// One IPsec tunnel's pair of SAs on the firewall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpsecSa {
    pub tunnel_id: u32,
    pub inbound_spi: String,
    pub outbound_spi: String,
    pub algorithm: &'static str,
    pub lifetime_remaining_s: u64,
    pub gateway: Ipv4Addr,
    pub port: u16,
}

/// A route as `show route advertising-protocol` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advertised {
    pub prefix: Prefix,
    /// The sender's own path (what Junos prints).
    pub path: Path,
    /// What the neighbor receives (AS path with our AS, local preference).
    pub sent: Path,
    /// `Self` unless the next hop is passed through unchanged.
    pub next_hop_self: bool,
}

/// The simulated network.
#[derive(Debug, Clone)]
pub struct World {
    pub(super) topo: Topology,
    pub(super) scenario: Scenario,
    pub(super) t: Duration,
    pub(super) wall_at_start: i64,
    pub(super) sessions: Vec<SessionRt>,
    pub(super) tunnels: Vec<TunnelRt>,
    pub(super) peerings: Vec<PeeringRt>,
    pending: Vec<Scheduled>,
    seq: u64,
    pub(super) ribs: Vec<Rib>,
    exports: Vec<[Export; 2]>,
    lp_out: Vec<[Option<u32>; 2]>,
    statics: Vec<(Node, Prefix, &'static str)>,
    put_errors: VecDeque<ArmFault>,
    pub(super) traffic: Traffic,
    log: Vec<LogEntry>,
    pub(super) seed: u64,
}

impl World {
    /// The article's lab with `scenario`'s faults, at time zero.
    pub fn new(scenario: Scenario) -> World {
        World::with_topology(Topology::article(), scenario)
    }

    pub fn with_topology(topo: Topology, scenario: Scenario) -> World {
        let t = ORIGIN;
        let seed = scenario
            .name
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        let mut exports: Vec<[Export; 2]> = topo
            .sessions
            .iter()
            .map(|s| [s.ends[0].export.clone(), s.ends[1].export.clone()])
            .collect();
        let mut lp_out: Vec<[Option<u32>; 2]> = topo
            .sessions
            .iter()
            .map(|s| [s.ends[0].local_pref_out, s.ends[1].local_pref_out])
            .collect();
        for c in &scenario.exports {
            let (Some(ex), Some(lp)) = (exports.get_mut(c.session), lp_out.get_mut(c.session))
            else {
                continue;
            };
            let end = c.end.min(1);
            ex[end].deny.extend(c.deny.iter().copied());
            ex[end].originated.extend(c.advertise.iter().copied());
            match c.local_pref {
                Some(LocalPref::Unset) => lp[end] = None,
                Some(LocalPref::Value(v)) => lp[end] = Some(v),
                None => {}
            }
        }
        let statics = scenario
            .statics
            .iter()
            .map(|s| (s.node, s.prefix, s.interface))
            .collect();
        let tunnels: Vec<TunnelRt> = topo
            .tunnels
            .iter()
            .map(|tu| {
                let down = scenario.tunnels_down.contains(&tu.index);
                TunnelRt {
                    up: !down,
                    since: t.saturating_sub(if down {
                        Duration::from_secs(7 * 3600)
                    } else {
                        tu.initial_uptime
                    }),
                    admin_down: down,
                    epoch: 0,
                    serial: 1,
                    ever_up: !down,
                }
            })
            .collect();
        let sessions: Vec<SessionRt> = topo
            .sessions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let blocked = scenario.sessions_down.iter().find(|(x, _)| *x == i).map(|(_, d)| *d);
                let carrier_down = matches!(s.carrier, Carrier::Tunnel(k) if tunnels.get(k).is_some_and(|x| !x.up));
                match blocked {
                    Some(down_for) => SessionRt {
                        established: false,
                        since: t.saturating_sub(down_for),
                        flaps: 3,
                        blocked: true,
                        epoch: 0,
                        stale: None,
                    },
                    None if carrier_down => SessionRt {
                        established: false,
                        since: t.saturating_sub(Duration::from_secs(7 * 3600)),
                        flaps: 1,
                        blocked: false,
                        epoch: 0,
                        stale: None,
                    },
                    None => SessionRt {
                        established: true,
                        since: t.saturating_sub(s.initial_uptime),
                        flaps: 0,
                        blocked: false,
                        epoch: 0,
                        stale: None,
                    },
                }
            })
            .collect();
        let peerings = topo
            .azure
            .peerings
            .iter()
            .map(|_| PeeringRt {
                state: PeeringState::Enabled,
                provisioning_until: t,
                etag_serial: 1,
                operation: None,
            })
            .collect();
        let put_errors = scenario.peering_put_errors.iter().cloned().collect();
        let mut w = World {
            topo,
            scenario,
            t,
            // 2024-05-16T09:00:00Z, until the server sets the real time.
            wall_at_start: 1_715_850_000,
            sessions,
            tunnels,
            peerings,
            pending: Vec::new(),
            seq: 0,
            ribs: Vec::new(),
            exports,
            lp_out,
            statics,
            put_errors,
            traffic: Traffic {
                last: t,
                ..Traffic::default()
            },
            log: Vec::new(),
            seed,
        };
        w.recompute(true);
        w.traffic.seed_totals(w.t);
        w.log("lab started");
        w
    }

    pub fn topology(&self) -> &Topology {
        &self.topo
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Time since the lab started.
    pub fn now(&self) -> Duration {
        self.t.saturating_sub(ORIGIN)
    }

    /// World time, for ages: "since" values are on this scale.
    pub fn world_time(&self) -> Duration {
        self.t
    }

    /// What happened so far.
    pub fn log_entries(&self) -> &[LogEntry] {
        &self.log
    }

    /// Unix time (seconds) at the lab's start, for ARM's timestamps.
    pub fn set_wall_clock(&mut self, unix_at_start: i64) {
        self.wall_at_start = unix_at_start;
    }

    /// Unix seconds at world time `t`.
    pub(super) fn unix_at(&self, t: Duration) -> i64 {
        let delta = i64::try_from(t.as_secs()).unwrap_or(i64::MAX)
            - i64::try_from(ORIGIN.as_secs()).unwrap_or(0);
        self.wall_at_start.saturating_add(delta)
    }

    fn log(&mut self, what: impl Into<String>) {
        let at = self.now();
        self.log.push(LogEntry {
            at,
            what: what.into(),
        });
    }

    /// Brings the world to `clock`'s time.
    pub fn sync(&mut self, clock: &dyn super::Clock) {
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

    fn schedule(&mut self, after: Duration, epoch: u64, ev: Ev) {
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
            Carrier::ErLink(_) | Carrier::ErCore(_) => self.private_peering_enabled(),
            Carrier::Tunnel(k) => self.tunnels.get(k).is_some_and(|t| t.up),
            Carrier::Fixed => true,
        }
    }

    pub(super) fn private_peering_enabled(&self) -> bool {
        self.topo
            .azure
            .peerings
            .iter()
            .zip(&self.peerings)
            .any(|(spec, rt)| spec.carries_private_routes && rt.state == PeeringState::Enabled)
    }

    fn apply(&mut self, s: Scheduled) {
        match s.ev {
            Ev::Down(sid) | Ev::Up(sid) | Ev::Reset(sid) => {
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

    fn sessions_on(&self, f: impl Fn(Carrier) -> bool) -> Vec<usize> {
        self.topo
            .sessions
            .iter()
            .enumerate()
            .filter(|(_, s)| f(s.carrier))
            .map(|(i, _)| i)
            .collect()
    }

    fn bump(&mut self, sid: usize) -> u64 {
        match self.sessions.get_mut(sid) {
            Some(s) => {
                s.epoch += 1;
                s.epoch
            }
            None => 0,
        }
    }

    fn session_down(&mut self, sid: usize) {
        let t = self.t;
        let Some(s) = self.sessions.get_mut(sid) else {
            return;
        };
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
    fn session_up(&mut self, sid: usize) -> bool {
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
        let name = self.topo.sessions[sid].name;
        self.log(format!("BGP session {name} established"));
        true
    }

    /// The paths each end of session `sid` holds from the other now.
    fn held_on(&self, sid: usize) -> [Vec<Path>; 2] {
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

    pub(super) fn session_inputs(&self) -> (Vec<bool>, Vec<bool>) {
        (
            self.sessions.iter().map(|s| s.established).collect(),
            self.tunnels.iter().map(|t| t.up).collect(),
        )
    }

    pub(super) fn with_inputs<R>(&self, f: impl FnOnce(&Inputs<'_>) -> R) -> R {
        let (up, tun) = self.session_inputs();
        let session_since: Vec<Duration> = self.sessions.iter().map(|s| s.since).collect();
        let tunnel_since: Vec<Duration> = self.tunnels.iter().map(|t| t.since).collect();
        let frozen: Vec<Option<[Vec<Path>; 2]>> =
            self.sessions.iter().map(|s| s.stale.clone()).collect();
        let inp = Inputs {
            topo: &self.topo,
            session_up: &up,
            tunnel_up: &tun,
            session_since: &session_since,
            tunnel_since: &tunnel_since,
            router_since: ORIGIN.saturating_sub(self.topo.router_uptime),
            exports: &self.exports,
            local_pref_out: &self.lp_out,
            extra_statics: &self.statics,
            frozen: &frozen,
        };
        f(&inp)
    }

    fn recompute(&mut self, initial: bool) {
        self.traffic.advance(self.t);
        let mut next = self.with_inputs(bgp::converge);
        let prev = if initial {
            None
        } else {
            Some(self.ribs.as_slice())
        };
        bgp::carry_over(prev, &mut next, self.t);
        self.ribs = next;
        self.update_rates();
    }

    // --- actions ----------------------------------------------------------

    /// ARM's PUT of a circuit peering with a new `state`. `if_match` is the
    /// `If-Match` header (an etag or `*`).
    pub fn put_peering_state(
        &mut self,
        now: Duration,
        name: &str,
        state: PeeringState,
        if_match: Option<&str>,
    ) -> Result<PutAccepted, ArmError> {
        self.tick(now);
        let Some(idx) = self
            .topo
            .azure
            .peerings
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))
        else {
            return Err(ArmError {
                status: 404,
                code: "NotFound".to_string(),
                message: format!("Resource {} not found.", self.peering_id(name)),
                retry_after_s: None,
            });
        };
        let spec_name = self.topo.azure.peerings[idx].name;
        if self.topo.azure.peerings[idx].carries_private_routes
            && let Some(f) = self.put_errors.pop_front()
        {
            let e = self.arm_fault(&f, spec_name);
            self.log(format!(
                "ARM refused the PUT of {spec_name}: {} {}",
                e.status, e.code
            ));
            return Err(e);
        }
        let t = self.t;
        let rt = &self.peerings[idx];
        if rt.provisioning_until > t {
            let op = rt
                .operation
                .as_ref()
                .map(|(id, _)| id.clone())
                .unwrap_or_default();
            let e = ArmError {
                status: 409,
                code: "AnotherOperationInProgress".to_string(),
                message: format!(
                    "Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: {}.",
                    self.operation_url(&op)
                ),
                retry_after_s: None,
            };
            self.log(format!(
                "ARM refused the PUT of {spec_name}: an operation is in progress"
            ));
            return Err(e);
        }
        let etag = self.peering_etag(idx);
        if let Some(m) = if_match {
            let m = m.trim();
            if m != "*" && m != etag {
                return Err(ArmError {
                    status: 412,
                    code: "PreconditionFailed".to_string(),
                    message: format!(
                        "The condition specified using HTTP conditional header(s) is not met. Current etag is {etag}, the request had {m}."
                    ),
                    retry_after_s: None,
                });
            }
        }
        let changed = self.peerings[idx].state != state;
        let provisioning = self.scenario.timing.provisioning;
        let serial = self.peerings[idx].etag_serial + 1;
        let op_id = uuid_like(mix(self.seed
            ^ 0x0b5e_55ed
            ^ serial.wrapping_mul(31)
            ^ idx as u64));
        {
            let rt = &mut self.peerings[idx];
            rt.etag_serial = serial;
            rt.provisioning_until = t.saturating_add(provisioning);
            rt.operation = Some((op_id.clone(), t.saturating_add(provisioning)));
            rt.state = state;
        }
        self.log(format!(
            "ARM accepted the PUT of {spec_name}: state {}",
            state.as_str()
        ));
        if changed && self.topo.azure.peerings[idx].carries_private_routes {
            self.private_peering_changed(state);
        }
        let peering = self.peering_view(idx);
        Ok(PutAccepted {
            peering,
            operation_id: op_id,
            status: if changed { 201 } else { 200 },
            retry_after_s: u32::try_from(provisioning.as_secs().max(1)).unwrap_or(u32::MAX),
        })
    }

    fn private_peering_changed(&mut self, state: PeeringState) {
        let timing = self.scenario.timing;
        match state {
            PeeringState::Disabled => {
                // Microsoft's side forgets the peering at once: the ER
                // gateway loses its MSEE sessions now.
                for sid in self.sessions_on(|c| matches!(c, Carrier::ErCore(_))) {
                    self.bump(sid);
                    self.session_down(sid);
                }
                // The CEs only notice the MSEE went silent after BFD (or the
                // hold timer) says so.
                for sid in self.sessions_on(|c| matches!(c, Carrier::ErLink(_))) {
                    let epoch = self.bump(sid);
                    if self.sessions[sid].established {
                        let held = self.held_on(sid);
                        self.sessions[sid].stale = Some(held);
                        let detect = timing.detection(self.topo.sessions[sid].bfd);
                        self.schedule(detect, epoch, Ev::Down(sid));
                    }
                }
                self.recompute(false);
            }
            PeeringState::Enabled => {
                for sid in
                    self.sessions_on(|c| matches!(c, Carrier::ErCore(_) | Carrier::ErLink(_)))
                {
                    let epoch = self.bump(sid);
                    let ev = if self.sessions[sid].established {
                        Ev::Reset(sid)
                    } else {
                        Ev::Up(sid)
                    };
                    self.schedule(timing.establish, epoch, ev);
                }
                // The data path through the MSEE is back at once; routes
                // follow when the sessions establish.
                self.recompute(false);
            }
        }
    }

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

    // --- routing queries ---------------------------------------------------

    pub fn rib(&self, node: Node) -> &Rib {
        static EMPTY: std::sync::OnceLock<Rib> = std::sync::OnceLock::new();
        self.ribs
            .get(node.index())
            .unwrap_or_else(|| EMPTY.get_or_init(Rib::default))
    }

    /// The routing tables of a Junos device, in Junos' order (`inet.0`
    /// first, then the routing instance's).
    pub fn tables(&self, device: DeviceId) -> Vec<TableView> {
        let Some(node) = device.node() else {
            return vec![];
        };
        let r = self.topo.router(node);
        let boot = ORIGIN.saturating_sub(self.topo.router_uptime);
        let mut master: Vec<Path> = Vec::new();
        let mk = |prefix: Prefix, protocol: Protocol| Path {
            prefix,
            protocol,
            preference: protocol.default_preference(),
            local_pref: 100,
            weight: 0,
            as_path: vec![],
            origin: bgp::Origin::Igp,
            med: None,
            source: PathSource::Local(protocol),
            peer: None,
            next_hops: vec![],
            local_via: None,
            since: boot,
        };
        for i in r.interfaces.iter().filter(|i| i.instance.is_none()) {
            let (Some(addr), Some(net)) = (i.addr, i.subnet()) else {
                continue;
            };
            let mut d = mk(net, Protocol::Direct);
            d.next_hops.push(NextHop {
                to: None,
                via: i.name,
            });
            master.push(d);
            let mut l = mk(Prefix::host(addr.into()), Protocol::Local);
            l.local_via = Some(i.name);
            master.push(l);
            // The firewall's default route toward the Internet carries the
            // tunnels' outer packets.
            if i.name == "reth3.0" {
                let mut s = mk(Prefix::V4 { addr: 0, len: 0 }, Protocol::Static);
                let gw = u32::from(addr) & !0xff | 1;
                s.next_hops.push(NextHop {
                    to: Some(Ipv4Addr::from(gw)),
                    via: i.name,
                });
                master.push(s);
            }
        }
        let mut dests: std::collections::BTreeMap<Prefix, Dest> = std::collections::BTreeMap::new();
        for p in master {
            let d = dests.entry(p.prefix).or_default();
            d.paths.push(p);
        }
        for d in dests.values_mut() {
            d.paths.sort_by(|a, b| bgp::compare(a, b).0);
            d.last_active = d.active().map(|p| p.source);
        }
        let mut out = vec![TableView {
            name: "inet.0".to_string(),
            dests: dests.into_iter().collect(),
        }];
        if let Some(inst) = r.instance {
            let rib = self.rib(node);
            out.push(TableView {
                name: format!("{inst}.inet.0"),
                dests: rib.dests.iter().map(|(p, d)| (*p, d.clone())).collect(),
            });
        }
        out
    }

    /// The export in force on end `end` of session `sid` (the topology's,
    /// as the scenario amended it) and the local preference it sets.
    pub fn export_policy(&self, sid: usize, end: usize) -> Option<(&Export, Option<u32>)> {
        let e = self.exports.get(sid)?.get(end)?;
        let lp = *self.lp_out.get(sid)?.get(end)?;
        Some((e, lp))
    }

    /// Extra static routes the scenario put on `node`.
    pub fn scenario_statics(
        &self,
        node: Node,
    ) -> impl Iterator<Item = (Prefix, &'static str)> + '_ {
        self.statics
            .iter()
            .filter(move |(n, _, _)| *n == node)
            .map(|(_, p, i)| (*p, *i))
    }

    /// The table a neighbor's routes live in (`Cust11.inet.0`).
    pub fn instance_table(&self, node: Node) -> String {
        match self.topo.router(node).instance {
            Some(i) => format!("{i}.inet.0"),
            None => "inet.0".to_string(),
        }
    }

    /// What `node` announces to `neighbor` (None: no such neighbor).
    pub fn advertised_to(&self, node: Node, neighbor: Ipv4Addr) -> Option<Vec<Advertised>> {
        let sid = self.topo.session_by_neighbor(node, neighbor)?;
        if !self.sessions.get(sid).is_some_and(|s| s.established) {
            return Some(vec![]);
        }
        let from = usize::from(self.topo.sessions[sid].ends[0].node != node);
        let ebgp = self.topo.sessions[sid].is_ebgp(&self.topo);
        Some(self.with_inputs(|inp| {
            bgp::exported(inp, sid, from, &self.ribs)
                .into_iter()
                .map(|(prefix, path, sent)| Advertised {
                    prefix,
                    next_hop_self: ebgp || matches!(path.source, PathSource::Local(_)),
                    path,
                    sent,
                })
                .collect()
        }))
    }

    /// The paths `node` holds from `neighbor` (None: no such neighbor).
    pub fn received_from(&self, node: Node, neighbor: Ipv4Addr) -> Option<Vec<(Path, bool)>> {
        let sid = self.topo.session_by_neighbor(node, neighbor)?;
        let rib = self.rib(node);
        let mut out = Vec::new();
        for d in rib.dests.values() {
            for (i, p) in d.paths.iter().enumerate() {
                if matches!(p.source, PathSource::Session { session, .. } if session == sid) {
                    out.push((p.clone(), i == 0));
                }
            }
        }
        Some(out)
    }

    /// `show bgp summary` rows of a device, in configuration order.
    pub fn bgp_peers(&self, device: DeviceId) -> Vec<BgpPeerRow> {
        let Some(node) = device.node() else {
            return vec![];
        };
        let table = self.instance_table(node);
        let local_as = self.topo.router(node).asn;
        let rib = self.rib(node);
        self.topo
            .sessions_of(node)
            .filter_map(|(sid, s)| {
                let (me, peer) = s.ends_of(node)?;
                let rt = self.sessions.get(sid)?;
                let peer_as = self.topo.router(peer.node).asn;
                let (mut received, mut active) = (0, 0);
                for d in rib.dests.values() {
                    for (i, p) in d.paths.iter().enumerate() {
                        if matches!(p.source, PathSource::Session { session, .. } if session == sid)
                        {
                            received += 1;
                            if i == 0 {
                                active += 1;
                            }
                        }
                    }
                }
                let up_for = self.t.saturating_sub(rt.since);
                let hold = match s.carrier {
                    Carrier::ErLink(_) | Carrier::Tunnel(_) => self.scenario.timing.hold_time,
                    _ => Duration::from_secs(90),
                };
                let keepalive = (hold.as_secs() / 3).max(1);
                let base = 7 + (sid as u64 * 37 + u64::from(rt.flaps) * 11) % 50;
                let (in_msgs, out_msgs) = if rt.established {
                    let ka = up_for.as_secs() / keepalive;
                    (base + ka + received as u64, base + ka + 3)
                } else {
                    (0, 0)
                };
                Some(BgpPeerRow {
                    session: sid,
                    peer: peer.addr,
                    peer_as,
                    local_addr: me.addr,
                    local_as,
                    group: me.group,
                    ibgp: peer_as == local_as,
                    established: rt.established,
                    state: if rt.established { "Establ" } else { "Active" },
                    in_msgs,
                    out_msgs,
                    flaps: rt.flaps,
                    last_change: up_for,
                    table: table.clone(),
                    active,
                    received,
                    accepted: received,
                    bfd: s.bfd && self.scenario.timing.bfd,
                })
            })
            .collect()
    }

    /// `show bfd session` rows of a device.
    pub fn bfd_sessions(&self, device: DeviceId) -> Vec<BfdRow> {
        let Some(node) = device.node() else {
            return vec![];
        };
        let timing = self.scenario.timing;
        if !timing.bfd {
            return vec![];
        }
        self.topo
            .sessions_of(node)
            .filter(|(_, s)| s.bfd)
            .filter_map(|(sid, s)| {
                let (me, peer) = s.ends_of(node)?;
                let up = self.sessions.get(sid)?.established;
                let tx = timing.bfd_interval.as_secs_f64();
                Some(BfdRow {
                    peer: peer.addr,
                    up,
                    interface: me.next_hop.via,
                    // A session that is not up paces at one second and
                    // detects nothing (RFC 5880, 6.8.3).
                    detect_s: if up {
                        tx * f64::from(timing.bfd_multiplier)
                    } else {
                        0.0
                    },
                    transmit_s: if up { tx } else { 1.0 },
                    multiplier: timing.bfd_multiplier,
                })
            })
            .collect()
    }

    /// The firewall's IKE SAs: one per tunnel, `DOWN` while it negotiates.
    pub fn ike_sas(&self) -> Vec<IkeSa> {
        self.topo
            .tunnels
            .iter()
            .zip(&self.tunnels)
            .map(|(spec, rt)| {
                let h = mix(self.seed
                    ^ (spec.index as u64 + 1).wrapping_mul(0x9e37)
                    ^ rt.serial.wrapping_mul(0x51));
                IkeSa {
                    index: 1_590_399
                        + u32::try_from(h % 9_000).unwrap_or(0)
                        + 3 * spec.index as u32,
                    up: rt.up,
                    initiator_cookie: hex_id(mix(h ^ 1), 16),
                    responder_cookie: if rt.up {
                        hex_id(mix(h ^ 2), 16)
                    } else {
                        "0".repeat(16)
                    },
                    remote: spec.remote_public,
                }
            })
            .collect()
    }

    /// The firewall's IPsec SAs, one pair per tunnel that is up. SPIs change
    /// at every rekey (hourly).
    pub fn ipsec_sas(&self) -> Vec<IpsecSa> {
        const LIFETIME: u64 = 3600;
        self.topo
            .tunnels
            .iter()
            .zip(&self.tunnels)
            .filter(|(_, rt)| rt.up)
            .map(|(spec, rt)| {
                let age = self.t.saturating_sub(rt.since).as_secs();
                let epoch = age / LIFETIME;
                let h = mix(self.seed
                    ^ 0x1b5e
                    ^ (spec.index as u64) << 8
                    ^ rt.serial << 20
                    ^ epoch << 32);
                IpsecSa {
                    tunnel_id: 131_073 + spec.index as u32,
                    inbound_spi: hex_id(mix(h ^ 3), 8),
                    outbound_spi: hex_id(mix(h ^ 4), 8),
                    algorithm: "ESP:aes-cbc-256/sha256",
                    lifetime_remaining_s: LIFETIME - age % LIFETIME,
                    gateway: spec.remote_public,
                    port: 500,
                }
            })
            .collect()
    }

    // --- Azure queries ----------------------------------------------------

    fn azure_instances(&self) -> [Node; 2] {
        [Node::VpnGw0, Node::VpnGw1]
    }

    fn instance_addr(&self, node: Node) -> Ipv4Addr {
        self.topo.router(node).router_id
    }

    /// getLearnedRoutes of the VPN gateway: every path each instance holds.
    pub fn learned_routes(&self) -> Vec<GatewayRoute> {
        let mut out = Vec::new();
        for inst in self.azure_instances() {
            let local = self.instance_addr(inst).to_string();
            let mut rows: Vec<(u8, Prefix, u32, GatewayRoute)> = Vec::new();
            for d in self.rib(inst).dests.values() {
                for p in &d.paths {
                    let (rank, origin, next_hop, source) = match (p.protocol, p.peer) {
                        (Protocol::Network, _) => (0, "Network", None, local.clone()),
                        (Protocol::Bgp, Some(peer)) if !peer.ibgp => (
                            1,
                            "EBgp",
                            Some(peer.addr.to_string()),
                            peer.addr.to_string(),
                        ),
                        (Protocol::Bgp, Some(peer)) => (
                            2,
                            "IBgp",
                            Some(peer.addr.to_string()),
                            peer.addr.to_string(),
                        ),
                        _ => continue,
                    };
                    rows.push((
                        rank,
                        p.prefix,
                        p.weight,
                        GatewayRoute {
                            local_address: local.clone(),
                            network: p.prefix.to_string(),
                            next_hop,
                            source_peer: Some(source),
                            origin: origin.to_string(),
                            as_path: p
                                .as_path
                                .iter()
                                .map(u32::to_string)
                                .collect::<Vec<_>>()
                                .join("-"),
                            weight: p.weight,
                        },
                    ));
                }
            }
            // Azure lists its own networks first, then learned routes by
            // prefix: external, from the sibling, over ExpressRoute.
            rows.sort_by_key(|r| (r.0 > 0, r.1, r.0, r.2));
            out.extend(rows.into_iter().map(|r| r.3));
        }
        out
    }

    /// getAdvertisedRoutes?peer=: what each instance announces to `peer`.
    pub fn advertised_routes(&self, peer: Ipv4Addr) -> Vec<GatewayRoute> {
        let mut out = Vec::new();
        for inst in self.azure_instances() {
            let local = self.instance_addr(inst).to_string();
            for a in self.advertised_to(inst, peer).unwrap_or_default() {
                out.push(GatewayRoute {
                    local_address: local.clone(),
                    network: a.prefix.to_string(),
                    next_hop: Some(local.clone()),
                    source_peer: None,
                    origin: "Igp".to_string(),
                    as_path: a
                        .sent
                        .as_path
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join("-"),
                    weight: 0,
                });
            }
        }
        out
    }

    /// getBgpPeerStatus: each instance's on-premises peer and its sibling.
    pub fn bgp_peer_status(&self) -> Vec<BgpPeerStatus> {
        let mut out = Vec::new();
        for inst in self.azure_instances() {
            let local = self.instance_addr(inst);
            for (sid, s) in self.topo.sessions_of(inst) {
                let Some((_, peer)) = s.ends_of(inst) else {
                    continue;
                };
                if peer.node == Node::ErGw {
                    continue;
                }
                let Some(rt) = self.sessions.get(sid) else {
                    continue;
                };
                let received = self
                    .rib(inst)
                    .dests
                    .values()
                    .flat_map(|d| &d.paths)
                    .filter(|p| matches!(p.source, PathSource::Session { session, .. } if session == sid))
                    .count() as u64;
                let up_for = self.t.saturating_sub(rt.since);
                let base = 19 + sid as u64 * 5;
                let msgs = if rt.established {
                    base + up_for.as_secs() / 60
                } else {
                    u64::from(rt.flaps) + 2
                };
                out.push(BgpPeerStatus {
                    local_address: local.to_string(),
                    neighbor: peer.addr.to_string(),
                    asn: self.topo.router(peer.node).asn,
                    state: if rt.established {
                        "Connected"
                    } else {
                        "Connecting"
                    }
                    .to_string(),
                    connected_duration: if rt.established {
                        timespan(up_for)
                    } else {
                        timespan(Duration::ZERO)
                    },
                    routes_received: if rt.established { received } else { 0 },
                    messages_sent: msgs + 2,
                    messages_received: if rt.established { msgs } else { 0 },
                });
            }
        }
        out
    }

    fn peering_id(&self, name: &str) -> String {
        let a = &self.topo.azure;
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network/expressRouteCircuits/{}/peerings/{}",
            a.subscription, a.resource_group, a.circuit, name
        )
    }

    fn operation_url(&self, op: &str) -> String {
        let a = &self.topo.azure;
        format!(
            "https://management.azure.com/subscriptions/{}/providers/Microsoft.Network/locations/{}/operations/{}?api-version={API_VERSION}",
            a.subscription, a.location, op
        )
    }

    fn arm_fault(&self, f: &ArmFault, peering: &str) -> ArmError {
        let op = uuid_like(mix(self.seed ^ 0x0c0f_f1c7 ^ self.t.as_millis() as u64));
        let message = match (&f.message, f.code.as_str()) {
            (Some(m), _) => m.clone(),
            (None, "AnotherOperationInProgress") => format!(
                "Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: {}.",
                self.operation_url(&op)
            ),
            (None, "RetryableErrorDueToAnotherOperation") => format!(
                "Operation PutExpressRouteCircuitPeeringOperation ({op}) is updating resource {}. The call can be retried in {} seconds.",
                self.peering_id(peering),
                f.retry_after_s.unwrap_or(10)
            ),
            (None, "TooManyRequests") => {
                format!(
                    "The request was throttled. Retry after {} seconds.",
                    f.retry_after_s.unwrap_or(10)
                )
            }
            (None, code) => format!("The operation failed with error code {code}."),
        };
        ArmError {
            status: f.status,
            code: f.code.clone(),
            message,
            retry_after_s: f.retry_after_s,
        }
    }

    fn peering_etag(&self, idx: usize) -> String {
        let serial = self.peerings.get(idx).map_or(0, |p| p.etag_serial);
        format!(
            "W/\"{}\"",
            uuid_like(mix(self.seed ^ 0xe7a6 ^ (idx as u64) << 40 ^ serial))
        )
    }

    fn peering_view(&self, idx: usize) -> PeeringView {
        let spec = &self.topo.azure.peerings[idx];
        let rt = &self.peerings[idx];
        let stats = if spec.carries_private_routes {
            let tr = self.traffic.at(self.t);
            PeeringStats {
                primarybytes_in: tr.er_in[0] as u64,
                primarybytes_out: tr.er_out[0] as u64,
                secondarybytes_in: tr.er_in[1] as u64,
                secondarybytes_out: tr.er_out[1] as u64,
            }
        } else {
            PeeringStats {
                primarybytes_in: 0,
                primarybytes_out: 0,
                secondarybytes_in: 0,
                secondarybytes_out: 0,
            }
        };
        PeeringView {
            name: spec.name.to_string(),
            etag: self.peering_etag(idx),
            peering_type: spec.peering_type.to_string(),
            state: rt.state.as_str().to_string(),
            provisioning_state: if rt.provisioning_until > self.t {
                "Updating"
            } else {
                "Succeeded"
            }
            .to_string(),
            azure_asn: spec.azure_asn,
            peer_asn: spec.peer_asn,
            primary_peer_address_prefix: spec.primary_prefix.to_string(),
            secondary_peer_address_prefix: spec.secondary_prefix.to_string(),
            primary_azure_port: spec.primary_port.to_string(),
            secondary_azure_port: spec.secondary_port.to_string(),
            vlan_id: spec.vlan_id,
            last_modified_by: "Customer".to_string(),
            stats,
        }
    }

    /// A circuit peering by name (ARM names are case-insensitive).
    pub fn peering(&self, name: &str) -> Option<PeeringView> {
        let idx = self
            .topo
            .azure
            .peerings
            .iter()
            .position(|p| p.name.eq_ignore_ascii_case(name))?;
        Some(self.peering_view(idx))
    }

    /// The circuit's peerings in ARM's order.
    pub fn peerings(&self) -> Vec<PeeringView> {
        (0..self.topo.azure.peerings.len())
            .map(|i| self.peering_view(i))
            .collect()
    }

    pub fn circuit(&self) -> CircuitView {
        let a = &self.topo.azure;
        let serial: u64 = self.peerings.iter().map(|p| p.etag_serial).sum();
        let updating = self.peerings.iter().any(|p| p.provisioning_until > self.t);
        CircuitView {
            name: a.circuit.to_string(),
            location: a.location.to_string(),
            etag: format!("W/\"{}\"", uuid_like(mix(self.seed ^ 0xc1c ^ serial))),
            service_key: a.service_key.to_string(),
            service_provider_name: a.service_provider.to_string(),
            peering_location: a.peering_location.to_string(),
            bandwidth_in_mbps: a.bandwidth_mbps,
            circuit_provisioning_state: "Enabled".to_string(),
            service_provider_provisioning_state: "Provisioned".to_string(),
            provisioning_state: if updating { "Updating" } else { "Succeeded" }.to_string(),
            peerings: self.peerings(),
        }
    }

    /// The status of a peering PUT's long-running operation.
    pub fn operation(&self, id: &str) -> Option<OperationStatus> {
        self.peerings.iter().find_map(|p| match &p.operation {
            Some((op, done)) if op == id => Some(if *done > self.t {
                OperationStatus::InProgress
            } else {
                OperationStatus::Succeeded
            }),
            _ => None,
        })
    }

    pub fn connection(&self) -> ConnectionView {
        let a = &self.topo.azure;
        let tr = self.traffic.at(self.t);
        let tunnels: Vec<TunnelStatus> = self
            .topo
            .tunnels
            .iter()
            .zip(&self.tunnels)
            .map(|(spec, rt)| TunnelStatus {
                tunnel: format!("{}_IN_{}_{}", a.vpn_gateway, spec.index, spec.local_public),
                connection_status: if rt.up {
                    "Connected"
                } else if rt.admin_down {
                    "NotConnected"
                } else {
                    "Connecting"
                }
                .to_string(),
                ingress_bytes_transferred: tr.tun_in.get(spec.index).copied().unwrap_or(0.0) as u64,
                egress_bytes_transferred: tr.tun_out.get(spec.index).copied().unwrap_or(0.0) as u64,
                last_connection_established_utc_time: rt
                    .ever_up
                    .then(|| us_datetime(self.unix_at(rt.since))),
            })
            .collect();
        let any_up = self.tunnels.iter().any(|t| t.up);
        ConnectionView {
            name: a.connection.to_string(),
            etag: format!("W/\"{}\"", uuid_like(mix(self.seed ^ 0xc0ec))),
            location: a.location.to_string(),
            connection_type: "IPsec".to_string(),
            connection_protocol: "IKEv2".to_string(),
            enable_bgp: true,
            connection_status: if any_up { "Connected" } else { "NotConnected" }.to_string(),
            ingress_bytes_transferred: tunnels.iter().map(|t| t.ingress_bytes_transferred).sum(),
            egress_bytes_transferred: tunnels.iter().map(|t| t.egress_bytes_transferred).sum(),
            tunnel_connection_status: tunnels,
            virtual_network_gateway: a.vpn_gateway.to_string(),
            local_network_gateway: a.local_network_gateway.to_string(),
        }
    }

    pub fn vpn_gateway(&self) -> GatewayView {
        let a = &self.topo.azure;
        GatewayView {
            name: a.vpn_gateway.to_string(),
            location: a.location.to_string(),
            etag: format!("W/\"{}\"", uuid_like(mix(self.seed ^ 0x6a7e))),
            gateway_type: "Vpn".to_string(),
            vpn_type: "RouteBased".to_string(),
            active_active: true,
            enable_bgp: true,
            asn: a.vpn_gateway_asn,
            bgp_peering_addresses: self
                .azure_instances()
                .iter()
                .map(|n| self.instance_addr(*n).to_string())
                .collect(),
            public_ip_addresses: self
                .topo
                .tunnels
                .iter()
                .map(|t| t.remote_public.to_string())
                .collect(),
            provisioning_state: "Succeeded".to_string(),
        }
    }

    // --- traffic ---------------------------------------------------------

    fn update_rates(&mut self) {
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
                    super::dataplane::Link::Er(i) if i < 2 => r_er_in[i] += ONPREM_TO_AZURE,
                    super::dataplane::Link::Tunnel(i) if i < 2 => r_tun_in[i] += ONPREM_TO_AZURE,
                    _ => {}
                }
            }
        }
        let back = self.walk_from_vm(self.topo.server.addr);
        if back.delivered() {
            for l in &back.crossed {
                match *l {
                    super::dataplane::Link::Er(i) if i < 2 => r_er_out[i] += AZURE_TO_ONPREM,
                    super::dataplane::Link::Tunnel(i) if i < 2 => r_tun_out[i] += AZURE_TO_ONPREM,
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
    fn advance(&mut self, to: Duration) {
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
    fn seed_totals(&mut self, t: Duration) {
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
    pub(super) fn at(&self, t: Duration) -> Traffic {
        let mut c = self.clone();
        c.advance(t);
        c
    }
}
