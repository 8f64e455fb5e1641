//! Asking the world one question: the runbook's probe, sent to the device
//! or Azure its role names, with the exact command the runbook rendered.
//! What comes back is kept raw (the evidence) and judged in [`super::expect`].

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::time::Instant;

use crate::port::trace::{self as trace_probe, TraceError, Tracer};
use crate::port::{ArmError, ArmRead, AzureApi, DeviceSession, RequestIds};
use cutover_core::model::Trace;
use cutover_core::runbook::query::junos_command;
use cutover_core::runbook::{Platform, Probe, Query, QueryName};

/// Everything the engine can talk to: devices by runbook role, Azure, and
/// (optionally) this machine's own traceroute for trace probes of a role
/// that has no device in the inventory.
#[derive(Debug)]
pub struct World<D, A, L> {
    pub devices: BTreeMap<String, D>,
    pub azure: Option<A>,
    pub local_tracer: Option<L>,
}

impl<D, A, L> World<D, A, L> {
    pub fn new(devices: BTreeMap<String, D>, azure: Option<A>, local_tracer: Option<L>) -> Self {
        Self {
            devices,
            azure,
            local_tracer,
        }
    }
}

/// A tracer for worlds that never trace locally.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoLocalTracer;

impl Tracer for NoLocalTracer {
    async fn trace(&self, target: &str) -> Result<trace_probe::TraceRun, TraceError> {
        Err(TraceError::Spawn {
            program: "traceroute".into(),
            reason: format!("no local tracer is configured (target {target})"),
        })
    }
}

/// What one probe brought back.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// The role asked.
    pub device: String,
    pub query: QueryName,
    /// Exactly what was sent (CLI line or rendered ARM call).
    pub command: String,
    /// The raw output or response body, when there was one (a trace that
    /// printed no readable traceroute keeps what it printed).
    pub raw: Option<String>,
    /// Why there is no usable answer.
    pub error: Option<String>,
    /// A trace parsed on the way (the tracer reads its own output).
    pub trace: Option<Trace>,
    pub ids: Option<RequestIds>,
    pub elapsed: Duration,
}

/// The command sent to a device for a probe: the runbook's rendering, with
/// the Junos pager turned off so output never stops at `---(more)---`.
pub fn device_command(probe: &Probe) -> String {
    match (probe.platform, &probe.query) {
        (Platform::Junos, Query::Trace { .. }) => probe.command.clone(),
        (Platform::Junos, _) => junos_command(&probe.command, false),
        _ => probe.command.clone(),
    }
}

/// Runs one probe against the world.
pub async fn capture<D, A, L>(world: &World<D, A, L>, probe: &Probe) -> Capture
where
    D: DeviceSession,
    A: AzureApi,
    L: Tracer,
{
    let started = Instant::now();
    let name = probe.query.name();
    let mut cap = Capture {
        device: probe.role.clone(),
        query: name,
        command: probe.command.clone(),
        raw: None,
        error: None,
        trace: None,
        ids: None,
        elapsed: Duration::ZERO,
    };
    match (&probe.query, probe.platform) {
        (_, Platform::Azure) => match world.azure.as_ref() {
            None => cap.error = Some("no [azure] section in the inventory".into()),
            Some(az) => match azure_read(az, &probe.query).await {
                Ok((raw, ids)) => {
                    cap.raw = Some(raw);
                    cap.ids = Some(ids);
                }
                Err(e) => cap.error = Some(e.to_string()),
            },
        },
        (Query::Trace { target }, _) => {
            let run = match world.devices.get(&probe.role) {
                Some(dev) => trace_probe::run_on(dev, &probe.command).await,
                None => match world.local_tracer.as_ref() {
                    Some(t) => t.trace(target).await,
                    None => Err(TraceError::Device(no_device(&probe.role))),
                },
            };
            match run {
                Ok(run) => {
                    cap.command = run.command;
                    cap.raw = Some(run.raw);
                    cap.trace = Some(run.trace);
                }
                Err(e) => {
                    cap.raw = e.raw().map(str::to_string);
                    cap.error = Some(e.to_string());
                }
            }
        }
        _ => match world.devices.get(&probe.role) {
            None => cap.error = Some(no_device(&probe.role).to_string()),
            Some(dev) => {
                cap.command = device_command(probe);
                match dev.run(&cap.command).await {
                    Ok(out) => {
                        // Junos writes everything, errors included, to
                        // stdout; stderr is kept only when it has anything.
                        let raw = if out.stderr.trim().is_empty() {
                            out.stdout
                        } else {
                            format!("{}\n{}", out.stdout, out.stderr)
                        };
                        cap.raw = Some(raw);
                    }
                    Err(e) => cap.error = Some(e.to_string()),
                }
            }
        },
    }
    cap.elapsed = started.elapsed();
    cap
}

fn no_device(role: &str) -> crate::port::DeviceError {
    crate::port::DeviceError::Other {
        device: role.to_string(),
        reason: "no device for this role in the inventory".into(),
    }
}

fn raw_of<T>(r: ArmRead<T>) -> (String, RequestIds) {
    (r.raw, r.ids)
}

async fn azure_read<A: AzureApi>(az: &A, query: &Query) -> Result<(String, RequestIds), ArmError> {
    Ok(match query {
        Query::AzureLearnedRoutes { .. } => raw_of(az.learned_routes().await?),
        Query::AzureAdvertisedRoutes { peer, .. } => raw_of(az.advertised_routes(*peer).await?),
        Query::AzureBgpPeers { .. } => raw_of(az.bgp_peer_status().await?),
        Query::AzurePeering { .. } => raw_of(az.get_peering().await?),
        Query::AzureConnection { .. } => raw_of(az.get_connection().await?),
        other => {
            return Err(ArmError::Protocol(format!(
                "`{}` is not an Azure query",
                other.name()
            )));
        }
    })
}
