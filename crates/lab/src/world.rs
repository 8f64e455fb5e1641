//! The lab's state over time: what is up, what each router holds, what ARM
//! reports. Changes are events with due times (a CE notices a silent MSEE
//! 900 ms after the peering goes away with BFD, 180 s without); `tick`
//! applies the ones that are due, recomputing the routing after each.
//!
//! The `World` methods live in submodules by concern: the event queue and
//! session transitions (`events`), routing recomputation and queries
//! (`routing`), what the devices' commands show (`devices`), ARM's circuit
//! and peerings (`arm`) and VPN gateway (`vpn_gateway`), faults injected
//! while the lab runs (`faults`), and the byte counters (`traffic`).

use std::str::FromStr;
use std::time::Duration;

use super::bgp::{Path, Rib};
use super::clock::TimeScale;
use super::scenario::{LocalPref, Scenario, Timing};
use super::topology::{Carrier, Export, Node, Topology};
use cutover_core::model::Prefix;

mod arm;
mod arm_faults;
mod devices;
mod events;
mod failover_test;
mod faults;
mod link_failover_test;
mod routing;
mod traffic;
mod vpn_gateway;

pub use arm_faults::FaultHit;
pub use devices::{BfdRow, BgpPeerRow, IkeSa, IpsecSa, TableView};
pub use failover_test::{
    FailoverConnectionDetails, FailoverSingleTestDetails, FailoverStopParameters, FailoverTest,
    FailoverTestDetails, FailoverTestStatus,
};
pub use link_failover_test::{
    LinkFailoverAllTestsDetails, LinkFailoverSingleTestDetails, LinkFailoverStopParameters,
    LinkFailoverTest, link_of,
};
pub use routing::Advertised;

use events::Scheduled;
use traffic::Traffic;

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
    /// BFD or the hold timer declared the peer dead; the tables follow
    /// after the convergence time (`Ev::Down`).
    pub detected: bool,
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
    /// Calls each `[[arm.fault]]` rule has matched so far.
    arm_counts: Vec<u32>,
    pub(super) traffic: Traffic,
    /// Azure's site failover tests on the ER gateway.
    pub(super) failover: failover_test::FailoverTests,
    /// Azure's link failover tests on the circuit.
    pub(super) link_failover: link_failover_test::LinkFailoverTests,
    log: Vec<LogEntry>,
    pub(super) seed: u64,
    /// `--time-scale`: how much the long waits are compressed.
    time_scale: TimeScale,
    /// Probes answered so far: each draws its own round-trip jitter.
    pub(super) probes: crate::dataplane::ProbeSerial,
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
                        detected: false,
                    },
                    None if carrier_down => SessionRt {
                        established: false,
                        since: t.saturating_sub(Duration::from_secs(7 * 3600)),
                        flaps: 1,
                        blocked: false,
                        epoch: 0,
                        stale: None,
                        detected: false,
                    },
                    None => SessionRt {
                        established: true,
                        since: t.saturating_sub(s.initial_uptime),
                        flaps: 0,
                        blocked: false,
                        epoch: 0,
                        stale: None,
                        detected: false,
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
        let arm_counts = vec![0; scenario.faults.arm.len()];
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
            arm_counts,
            traffic: Traffic::starting_at(t),
            failover: failover_test::FailoverTests::default(),
            link_failover: link_failover_test::LinkFailoverTests::default(),
            log: Vec::new(),
            seed,
            time_scale: TimeScale::REAL,
            probes: Default::default(),
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

    /// Compresses the long waits from now on (`--time-scale`); what the
    /// devices show as configured (a hold time of 180 s) stays as it is.
    pub fn set_time_scale(&mut self, scale: TimeScale) {
        self.time_scale = scale;
    }

    pub fn time_scale(&self) -> TimeScale {
        self.time_scale
    }

    /// The timers the lab runs on: the scenario's, under the time scale.
    pub fn timing(&self) -> Timing {
        self.scenario.timing.scaled(self.time_scale)
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
}
