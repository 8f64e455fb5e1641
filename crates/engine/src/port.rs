//! I/O that reads or changes the world, behind small async traits so the
//! engine runs the same code against real devices, the lab, and test
//! doubles. Implementations: `ssh` (russh client), `arm` (reqwest +
//! azure_identity), `trace` (traceroute over SSH or locally).

mod permit;
pub mod trace;

pub use cutover_core::azure_call::{ArmAttempt, ManualCommands, RequestIds};
pub use permit::{SendPermit, WriteStatus, WriteTicket};

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

pub use cutover_core::azure_call::FailoverTestTarget;
use cutover_core::model::azure::{
    BgpPeerStatusListResult, ExpressRouteCircuit, ExpressRouteCircuitPeering,
    FailoverStopParameters, FailoverTestDetails, FailoverTestSummary, GatewayRouteListResult,
    PeeringState, VirtualNetworkGatewayConnection,
};
use cutover_core::runbook::LinkTest;

/// What a device printed for one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub stdout: String,
    pub stderr: String,
    /// The remote exit status, when the server sent one.
    pub exit_status: Option<u32>,
    pub elapsed: Duration,
}

/// Why a device command did not produce output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("{device}: cannot connect to {addr}: {reason}")]
    Connect {
        device: String,
        addr: String,
        reason: String,
    },
    #[error("{device}: host key refused: {reason}")]
    HostKey { device: String, reason: String },
    #[error("{device}: authentication failed ({tried})")]
    Auth { device: String, tried: String },
    #[error("{device}: `{command}` timed out after {secs} s")]
    Timeout {
        device: String,
        command: String,
        secs: u64,
    },
    #[error("{device}: connection lost: {reason}")]
    Disconnected { device: String, reason: String },
    #[error("{device}: {reason}")]
    Other { device: String, reason: String },
}

/// One device reachable by command line (an SSH session in production and
/// in drills).
pub trait DeviceSession: Send + Sync {
    /// The inventory role (`ce1`, `fw`, ...).
    fn role(&self) -> &str;
    /// Runs one command and returns what it printed. Implementations
    /// reconnect when the session dropped.
    fn run(&self, command: &str)
    -> impl Future<Output = Result<CommandOutput, DeviceError>> + Send;
}

/// A read from ARM: the typed value and the raw body (the evidence kept in
/// the journal).
#[derive(Debug, Clone, PartialEq)]
pub struct ArmRead<T> {
    pub value: T,
    pub raw: String,
    pub ids: RequestIds,
}

/// The outcome of a peering state change that settled.
#[derive(Debug, Clone, PartialEq)]
pub struct PeeringChange {
    pub before: ExpressRouteCircuitPeering,
    pub after: ExpressRouteCircuitPeering,
    pub attempts: Vec<ArmAttempt>,
    /// What the client decided on the way that the statuses alone do not
    /// say (a 412 read again, a lost answer that had landed), for the
    /// record of the change. Empty when nothing but the PUT happened.
    pub notes: Vec<String>,
}

/// Classified ARM failures; the class decides retry and what the operator
/// is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArmError {
    #[error("authentication: {0}")]
    Auth(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("refused: {0}")]
    Refused(String),
    #[error("precondition failed (the peering changed since it was read): {0}")]
    PreconditionFailed(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("throttled: {0}")]
    Throttled(String),
    #[error("Azure error {status} {code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    #[error("operation failed: {0}")]
    OperationFailed(String),
    /// The operation reported success, yet the peering kept reading the
    /// old state: unlike [`ArmError::OperationFailed`], the write may
    /// still land (ARM's reads lag, or a held write is on its way).
    #[error("not settled: {0}")]
    NotSettled(String),
    #[error("timed out: {0}")]
    Timeout(String),
    #[error("transport: {0}")]
    Transport(String),
    #[error("unexpected answer: {0}")]
    Protocol(String),
    /// The change was stopped before ARM accepted any write: its
    /// [`SendPermit`] was revoked and no write went out after that.
    #[error("cancelled before any write was accepted: {0}")]
    Cancelled(String),
}

/// The Azure calls the procedure makes. The peering is always the one the
/// inventory names, addressed by name.
pub trait AzureApi: Send + Sync {
    fn get_peering(
        &self,
    ) -> impl Future<Output = Result<ArmRead<ExpressRouteCircuitPeering>, ArmError>> + Send;
    fn get_circuit(
        &self,
    ) -> impl Future<Output = Result<ArmRead<ExpressRouteCircuit>, ArmError>> + Send;
    /// GET, refuse unless it is an AzurePrivatePeering, PUT the full object
    /// with only `state` changed under `If-Match`, poll to a terminal state,
    /// GET until `state` and `provisioningState` settle. `on_attempt` sees
    /// every HTTP exchange as it happens.
    ///
    /// Right before each PUT the implementation asks `permit`
    /// ([`SendPermit::begin_write`]) and settles the ticket with the
    /// answer. Once the permit is revoked no PUT goes out: the call ends
    /// with [`ArmError::Cancelled`] when no PUT may have been accepted,
    /// and otherwise with the last error (the engine reads the permit to
    /// tell the two apart).
    fn set_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> impl Future<Output = Result<PeeringChange, ArmError>> + Send;
    /// As [`AzureApi::set_peering_state`], but the PUT goes out even when
    /// the peering already reads `state`: it moves the etag, so a write
    /// made earlier under the old one (the console's, still on its way
    /// when the console died) fails with 412 instead of landing after
    /// this one. What a rollback runs.
    fn assert_peering_state(
        &self,
        state: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
    ) -> impl Future<Output = Result<PeeringChange, ArmError>> + Send;
    fn learned_routes(
        &self,
    ) -> impl Future<Output = Result<ArmRead<GatewayRouteListResult>, ArmError>> + Send;
    fn advertised_routes(
        &self,
        peer: IpAddr,
    ) -> impl Future<Output = Result<ArmRead<GatewayRouteListResult>, ArmError>> + Send;
    fn bgp_peer_status(
        &self,
    ) -> impl Future<Output = Result<ArmRead<BgpPeerStatusListResult>, ArmError>> + Send;
    fn get_connection(
        &self,
    ) -> impl Future<Output = Result<ArmRead<VirtualNetworkGatewayConnection>, ArmError>> + Send;
    /// The az CLI and PowerShell commands that make the same change by hand
    /// (shown to the operator as the manual fallback).
    fn manual_commands(&self, state: PeeringState) -> ManualCommands;

    /// The gateway `gateway` (the ExpressRoute gateway, by name, in the
    /// inventory's resource group) as the site failover test addresses it
    /// (`None`: this implementation cannot run one).
    fn failover_test_target(&self, _gateway: &str) -> Option<FailoverTestTarget> {
        None
    }
    /// The circuit `circuit` (by name, in the inventory's resource group)
    /// as the circuit link failover test `link` addresses it, at the
    /// test's own api-version (`None`: this implementation cannot run one).
    fn link_failover_test_target(
        &self,
        _circuit: &str,
        _link: &LinkTest,
    ) -> Option<FailoverTestTarget> {
        None
    }
    /// Starts the test `t` (`startSiteFailoverTest` at `peering_location`,
    /// or `startCircuitLinkFailoverTest` on its link), followed to its end
    /// (202 + Location); the test's id. Asks `permit` right before the
    /// POST, as a peering write does.
    fn start_failover_test(
        &self,
        _t: &FailoverTestTarget,
        _peering_location: &str,
        _on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        _permit: &SendPermit,
    ) -> impl Future<Output = Result<String, ArmError>> + Send {
        async { Err(ArmError::Refused(NO_FAILOVER_TEST.into())) }
    }
    /// The single test's details (`getFailoverSingleTestDetails` or
    /// `getCircuitLinkFailoverSingleTestDetails`), followed to its end.
    fn failover_test_details(
        &self,
        _t: &FailoverTestTarget,
        _peering_location: &str,
        _test_id: &str,
        _on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> impl Future<Output = Result<ArmRead<Vec<FailoverTestDetails>>, ArmError>> + Send {
        async { Err(ArmError::Refused(NO_FAILOVER_TEST.into())) }
    }
    /// The latest test on `t`'s resource (`getFailoverAllTestsDetails` or
    /// `getCircuitLinkFailoverAllTestsDetails` with `fetchLatest=true`),
    /// followed to its end: how a test whose start answer was lost is
    /// found again.
    fn latest_failover_tests(
        &self,
        _t: &FailoverTestTarget,
        _on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
    ) -> impl Future<Output = Result<ArmRead<Vec<FailoverTestSummary>>, ArmError>> + Send {
        async { Err(ArmError::Refused(NO_FAILOVER_TEST.into())) }
    }
    /// Stops the test `t` with the verdict in `stop`
    /// (`stopSiteFailoverTest`, or `stopCircuitLinkFailoverTest` with the
    /// body [`FailoverTestTarget::stop_json`] makes of it), followed to its
    /// end.
    fn stop_failover_test(
        &self,
        _t: &FailoverTestTarget,
        _stop: &FailoverStopParameters,
        _on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        _permit: &SendPermit,
    ) -> impl Future<Output = Result<(), ArmError>> + Send {
        async { Err(ArmError::Refused(NO_FAILOVER_TEST.into())) }
    }
}

const NO_FAILOVER_TEST: &str = "this Azure client cannot run a failover test";
