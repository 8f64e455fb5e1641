//! What happens in a session, as data. The engine emits these; the journal
//! writes (and fsyncs) each one before anything else sees it; the console
//! and the replay fold them into what they show; the report reads them.
//!
//! The serialized form is the journal's line body (CONTRACT.md): `kind` is
//! the tag; `seq`, `ts`, `prev` and `hash` are added by the journal.

use serde::{Deserialize, Serialize};

use crate::azure_call::{ArmAttempt, ManualCommands, RequestIds};
use crate::session::prediction::{Hazard, PathCheck, Prediction, PredictionSource};

/// How the session runs.
/// The step name monitor probes are journaled under.
pub const MONITOR_STEP: &str = "monitor";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Real devices and the real subscription.
    Run,
    /// Read-only checks only.
    Validate,
    /// The built-in lab.
    Drill,
}

/// The verdict of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    Failed,
    /// Failed, but the operator overrode it with a recorded reason.
    Overridden,
    Skipped,
}

/// What the operator answered at a gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum GateDecision {
    /// Pre-checks passed and the confirmation text was typed.
    Confirmed,
    /// Some pre-checks failed or the prediction found hazards; the
    /// operator typed a reason to go on anyway, the word `OVERRIDE`, and
    /// the confirmation text.
    Override {
        reason: String,
        failed_checks: Vec<String>,
        /// What the prediction said would break, overridden with the rest.
        #[serde(default)]
        hazards: Vec<Hazard>,
    },
    Declined,
}

/// Why a guarded change is being undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackReason {
    /// The operator did not confirm a healthy state before the deadline.
    DeadlinePassed,
    /// A verification of the change failed.
    VerificationFailed,
    /// The operator asked for it.
    Operator,
    /// The console went away (killed, hung up); the detached guard acted.
    ConsoleLost,
    /// The verification's trace did not reach the test target for longer
    /// than the action's `max_outage`: the change black-holes traffic.
    TrafficLost,
    /// The journal could not record the change or its deadline: with no
    /// record, no confirmation could be, so the change is undone.
    JournalFailed,
    /// The change's own call failed in a way that leaves its effect
    /// unknown (a write may still land, or the peering read otherwise):
    /// undone to be sure.
    ChangeFailed,
}

/// What a rollback found and left, once its settle window ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RollbackResult {
    /// The peering was in the other state and was set back.
    RolledBack,
    /// The first read already showed the wanted state (the change never
    /// landed, or someone undid it): re-asserted under its etag and
    /// watched, but nothing was rolled back.
    AlreadyEnabled,
    /// As `AlreadyEnabled`, for a rollback that disables.
    AlreadyDisabled,
    /// The peering read the wanted state and no write of the change was
    /// ever accepted (stopped right after the gate): the change never
    /// went out. Re-asserted and watched all the same.
    NotApplied,
}

impl RollbackResult {
    pub fn as_str(self) -> &'static str {
        match self {
            RollbackResult::RolledBack => "rolled_back",
            RollbackResult::AlreadyEnabled => "already_enabled",
            RollbackResult::AlreadyDisabled => "already_disabled",
            RollbackResult::NotApplied => "not_applied",
        }
    }
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// One journal event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    SessionStart {
        session_id: String,
        mode: Mode,
        runbook_id: String,
        runbook_title: String,
        /// The runbook file's SHA-256, so a report names exactly what ran.
        runbook_sha256: String,
        /// Who ran it: `--operator`, else `$USER`, `$LOGNAME`, the account.
        operator: String,
        ticket: Option<String>,
        /// SHA-256 fingerprint (`SHA256:...`) of the SSH key the journal is
        /// signed with (`--sign-key`); `None` when it is not signed.
        /// Absent in journals written before signing existed.
        #[serde(default)]
        key_fingerprint: Option<String>,
        /// Lab scenario, in a drill.
        scenario: Option<String>,
        /// Step ids in order, so a replay can draw the step list at once.
        steps: Vec<StepInfo>,
        version: String,
    },
    /// Drill: the lab compresses its long waits (`--time-scale`): the BGP
    /// hold time and ARM's operations last `factor` times their real
    /// length. BFD, convergence and round-trip times stay real. Journaled
    /// right after `session_start`, so that whoever reads a time knows.
    LabTimeScale {
        factor: f64,
        /// The hold time (where BFD is absent) as the lab runs it.
        hold_time_ms: u64,
        /// A peering PUT's asynchronous operation as the lab runs it.
        arm_operation_ms: u64,
    },
    StepStart {
        step: String,
    },
    /// One probe: the exact command (or API call), what came back, and the
    /// parsed summary the expectations were evaluated on.
    Probe {
        step: String,
        device: String,
        query: String,
        command: String,
        /// Raw output or response body; `None` when the probe failed.
        raw: Option<String>,
        error: Option<String>,
        parsed: Option<serde_json::Value>,
        elapsed_ms: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ids: Option<RequestIds>,
    },
    /// A probe answered exactly as the last `probe` of the same command
    /// did (the live monitor's polls): the answer is not written again,
    /// but the pane learns its data is still current.
    ProbeRepeated {
        step: String,
        device: String,
        query: String,
        command: String,
        elapsed_ms: u64,
    },
    Expectation {
        step: String,
        /// The clause, as the operator reads it.
        clause: String,
        passed: bool,
        /// Why: the values that decided it.
        evidence: String,
    },
    GatePrompt {
        step: String,
        prompt: String,
        confirm_text: String,
        /// Pre-checks that failed (the gate needs an override reason).
        failed_checks: Vec<String>,
        /// Hazards the prediction found: they hold the gate like failed
        /// pre-checks.
        #[serde(default)]
        hazards: Vec<Hazard>,
    },
    GateDecision {
        step: String,
        #[serde(flatten)]
        decision: GateDecision,
    },
    /// Before the gate: what withdrawing ExpressRoute will do, per prefix
    /// and direction (the path now, the path predicted) and the hazards.
    Prediction {
        step: String,
        #[serde(flatten)]
        prediction: Prediction,
    },
    /// After the change: the paths seen, compared with the prediction
    /// made at `gate`.
    PredictionCheck {
        step: String,
        gate: String,
        sources: Vec<PredictionSource>,
        checks: Vec<PathCheck>,
    },
    /// Written and fsynced before the change goes out.
    ActionStarted {
        step: String,
        op: String,
        target: String,
        manual: ManualCommands,
    },
    /// One HTTP exchange of an action or rollback (throttling and retries).
    ActionAttempt {
        step: String,
        attempt: ArmAttempt,
    },
    ActionDone {
        step: String,
        op: String,
        ok: bool,
        detail: String,
    },
    /// The change was stopped before ARM accepted any write: nothing went
    /// out after the abort and nothing needs undoing (DESIGN.md invariant
    /// 2). Ends the change in place of `action_done`.
    ActionCancelled {
        step: String,
        op: String,
        /// Who stopped it: `operator` (a key, a typed `abort`, Ctrl-C) or
        /// `console_lost` (a signal, the console gone).
        reason: RollbackReason,
        /// What had been sent and refused, and how the peering reads now.
        detail: String,
    },
    DeadlineArmed {
        step: String,
        seconds: u64,
        /// RFC 3339 UTC.
        expires_at: String,
    },
    /// A verification of a guarded change (e.g. trace path is VPN within 60 s).
    VerifyResult {
        step: String,
        clause: String,
        passed: bool,
        evidence: String,
        elapsed_ms: u64,
    },
    /// The verification of a guarded change begins. Its clock starts at
    /// the change (`action_done`), as `within` and `max_outage` do.
    VerifyStarted {
        step: String,
        /// RFC 3339 UTC: when ARM's operation ended; the verifications'
        /// `within` counts from here (the loss clock and the measurements
        /// from the accepted PUT, which comes earlier).
        since: String,
        /// The longest `within` of the verifications: the wait ends by
        /// then at the latest.
        within_ms: u64,
        /// The action's `max_outage`: how long the test target may stay
        /// unreachable before the change is rolled back.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_outage_ms: Option<u64>,
    },
    /// A verification trace reached the test target: the first time, over
    /// another path than before, or after a loss.
    TrafficSeen {
        step: String,
        /// The path the trace took (`expressroute`, `vpn`, `unknown`).
        path: String,
        /// The trace passed its verification: the traffic moved where the
        /// change was meant to move it. `false`: not moved yet.
        moved: bool,
        /// When the trace was sent, after the PUT was accepted (the first
        /// 2xx answer to it; the measurements count from there too).
        elapsed_ms: u64,
        /// When this ends a loss: how long the target had been unreachable,
        /// from the first trace that did not reach it to this one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lost_ms: Option<u64>,
    },
    /// A verification trace did not reach the test target: the traffic is
    /// lost, not merely still on the old path.
    TrafficLost {
        step: String,
        /// RFC 3339 UTC: when the first trace that did not reach the target
        /// was sent. The loss is counted from here.
        since: String,
        /// `since`, after the PUT was accepted (the first 2xx answer to
        /// it): it may come before ARM's operation ended.
        elapsed_ms: u64,
        /// How long before `since` the target was last seen reached (or
        /// the PUT was accepted): the loss may have begun up to this much
        /// earlier.
        unseen_ms: u64,
        /// RFC 3339 UTC: when the rollback starts unless a trace reaches
        /// the target first; none when the action has no `max_outage`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rollback_at: Option<String>,
        /// What the trace showed.
        evidence: String,
    },
    /// Every verification of a guarded change passed: from now on the
    /// engine takes `ConfirmHealthy`, and an automatic operator (headless
    /// `--auto-confirm`) gives it.
    Verified {
        step: String,
    },
    ConfirmHealthy {
        step: String,
    },
    RollbackStarted {
        step: String,
        reason: RollbackReason,
        op: String,
    },
    /// The rollback's write is in and the peering is watched for
    /// `seconds` (the action's `settle`): a write still in flight (the
    /// console's, from before it died) could otherwise land after it.
    RollbackSettling {
        step: String,
        seconds: u64,
        /// RFC 3339 UTC: when the window ends unless the peering flips
        /// (each re-assert starts it again).
        until: String,
    },
    /// Journaled once the settle window ended with the peering in the
    /// wanted state.
    RollbackDone {
        step: String,
        detail: String,
        /// Absent in journals from before the settle window.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<RollbackResult>,
        /// Writes made after the first because the peering flipped back.
        #[serde(default, skip_serializing_if = "is_zero")]
        reasserts: u32,
    },
    RollbackFailed {
        step: String,
        error: String,
        manual: ManualCommands,
    },
    /// The rollback keeps failing (ARM unreachable, timing out, throttling,
    /// answering 5xx): a person is told now, with the manual commands,
    /// while the retries go on until one succeeds, the operator takes over
    /// (`takeover`) or the rollback budget is spent. Journaled when it
    /// starts and again at each failed attempt after that.
    RollbackEscalated {
        step: String,
        /// Failed attempts so far (HTTP exchanges, or whole calls that
        /// failed before any exchange).
        attempts: u32,
        /// The last failure, as the client said it.
        error: String,
        /// RFC 3339 UTC: when the next attempt goes out (none known while
        /// one is under way).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next_attempt_at: Option<String>,
        /// RFC 3339 UTC: when the retries stop and the peering is left to
        /// the operator (the rollback budget).
        gives_up_at: String,
        manual: ManualCommands,
    },
    StepEnd {
        step: String,
        verdict: Verdict,
        elapsed_ms: u64,
    },
    /// Something the operator should read (a warning from analysis, a
    /// reconnect, a timing measurement).
    Note {
        step: Option<String>,
        level: NoteLevel,
        text: String,
    },
    /// A measured timing in milliseconds. Failover and failback are
    /// measured per path probe (`failover.trace`, `failover.table`) from
    /// the write ARM accepted (the first 2xx answer to the PUT) to the
    /// answer of the first probe that saw the new path.
    Measurement {
        step: String,
        name: String,
        millis: u64,
        /// The value is an upper bound: the true one lies between
        /// `millis - uncertainty_ms` and `millis` (the probe before saw
        /// the old path). Absent: exact, or a journal from before it was
        /// recorded.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uncertainty_ms: Option<u64>,
        /// The event it is measured from, as the operator reads it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// The event it is measured to.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
    },
    /// Before anything else, `run` and `drill` read the peering: the
    /// procedure starts only from Enabled with provisioningState
    /// Succeeded. `ok` false is a refusal: nothing is changed, and
    /// `remedy` says what brings the peering back (`cutover restore`).
    PeeringPreflight {
        /// `resource group/circuit/peering`.
        target: String,
        state: Option<String>,
        provisioning_state: Option<String>,
        ok: bool,
        /// What was read, or why it could not be read.
        detail: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        remedy: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ids: Option<RequestIds>,
    },
    /// The detached guard of a guarded change is gone (its process
    /// died): until another one watches, a console that dies leaves the
    /// change in place.
    GuardLost {
        step: String,
        detail: String,
    },
    /// After `guard_lost`: a new detached guard watches the change (`ok`),
    /// or none could be started (`detail` says why).
    GuardRearmed {
        step: String,
        ok: bool,
        detail: String,
    },
    /// Azure's failover test of a guarded action, as its details read
    /// after the start, at each poll and after the stop.
    FailoverTestStatus {
        step: String,
        #[serde(flatten)]
        test: crate::session::failover_test::FailoverTestView,
    },
    /// An SSHSIG signature (namespace `cutover-journal`) over the
    /// journal's bytes up to and including record `covers_seq`, written
    /// right after `action_started` and `rollback_done` when the session
    /// signs (`--sign-key`): a journal cut short still carries a signature
    /// over what happened up to there. `head` is that record's hash.
    ChainSigned {
        covers_seq: u64,
        bytes: u64,
        head: String,
        key_fingerprint: String,
        /// Armored (`-----BEGIN SSH SIGNATURE-----`), as `ssh-keygen -Y
        /// sign` writes it.
        signature: String,
    },
    /// Blind drill: the trainee's mark of a pre-check, with the check's
    /// real verdict (hidden from the trainee until the gate opens).
    DrillMark {
        check: String,
        mark: crate::session::drill::Mark,
        truth: Verdict,
        /// From the check's result (`step_end`) to the mark.
        after_ms: u64,
    },
    /// Drill: the trainee asked for the hint of `step` (the runbook's
    /// `hint`); each one costs points.
    DrillHint {
        step: String,
        text: String,
    },
    /// Drill: the session judged against its scenario's objectives, just
    /// before `session_end`. Names the scenario even when it was drawn at
    /// random and hidden until now.
    DrillScore(crate::drill::DrillScore),
    SessionEnd {
        exit_code: u8,
        outcome: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteLevel {
    Info,
    Warn,
    Error,
}

/// A step as announced at session start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepInfo {
    pub id: String,
    pub title: String,
    pub phase: String,
    /// `check`, `gate`, `action`, `record`.
    pub kind: String,
}

impl Event {
    /// What a probe's parsed answer flags as doubtful though it parsed (a
    /// capture cut short, a filtered one): the `warnings` of its normalized
    /// form, which older journals and clean answers do not have.
    pub fn probe_warnings(&self) -> Vec<&str> {
        let Event::Probe {
            parsed: Some(parsed),
            ..
        } = self
        else {
            return Vec::new();
        };
        parsed
            .get("warnings")
            .and_then(serde_json::Value::as_array)
            .map(|w| w.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default()
    }
}

mod kind;
#[cfg(test)]
mod tests;
