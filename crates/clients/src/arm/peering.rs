//! The one change cutover makes in Azure: the private peering's `state`.
//!
//! GET by name, refuse anything but an AzurePrivatePeering, PUT the object
//! as read with only `state` changed under `If-Match`, follow the
//! long-running operation, then GET until `state` and `provisioningState`
//! settle. A 404 is never answered with a PUT (that would create the
//! peering), and a stale etag is re-read once, never overridden.

use std::sync::{Mutex, PoisonError};

use tracing::Instrument as _;

use super::ArmClient;
use super::http::{ANSWER_LOST, Reply, Req, Sink};
use super::retry::Deadline;
use cutover_core::azure_call::FieldChange;
use cutover_core::model::azure::{ExpressRouteCircuitPeering, PeeringState, PeeringType};
use cutover_engine::port::{ArmAttempt, ArmError, ArmRead, PeeringChange, SendPermit};

/// Settle reads that may show the old `state` after the operation
/// reported success (ARM reads can lag the operation by a poll) before
/// the change is called failed.
const STALE_READS: u32 = 3;

/// PUTs whose answer was lost, each followed by a read that showed it had
/// not landed, before the change is given up (the network is not fit for
/// a change).
const LOST_ANSWERS: u32 = 3;

impl ArmClient {
    pub(crate) fn peering_url(&self) -> reqwest::Url {
        self.http.resource_url(&self.peering.segments(), &[])
    }

    pub(crate) async fn read_peering(
        &self,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<ArmRead<ExpressRouteCircuitPeering>, ArmError> {
        let (reply, _) = self
            .http
            .call(&Req::get(self.peering_url()), deadline, sink, &|_| None)
            .await?;
        let read = parse_read::<ExpressRouteCircuitPeering>(reply, "the peering")?;
        let name = read.value.name.as_deref().unwrap_or("");
        if !name.is_empty() && !name.eq_ignore_ascii_case(&self.azure.peering) {
            return Err(ArmError::Protocol(format!(
                "asked ARM for peering `{}` and got `{name}`",
                self.azure.peering
            )));
        }
        Ok(read)
    }

    /// See [`cutover_engine::port::AzureApi::set_peering_state`];
    /// `force`: [`cutover_engine::port::AzureApi::assert_peering_state`].
    pub(crate) async fn change_peering_state(
        &self,
        wanted: PeeringState,
        on_attempt: &(dyn Fn(&ArmAttempt) + Send + Sync),
        permit: &SendPermit,
        force: bool,
    ) -> Result<PeeringChange, ArmError> {
        if !matches!(wanted, PeeringState::Enabled | PeeringState::Disabled) {
            return Err(ArmError::Refused(format!(
                "a peering state is Enabled or Disabled, not `{wanted}`"
            )));
        }
        let attempts = Mutex::new(Vec::new());
        let record = |a: &ArmAttempt| {
            attempts
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(a.clone());
            on_attempt(a);
        };
        let sink: Sink<'_> = &record;
        let deadline = Deadline::after(self.http.clock.as_ref(), self.http.policy.change_budget);
        let span = tracing::info_span!(
            "peering_change",
            circuit = %self.azure.circuit,
            peering = %self.azure.peering,
            wanted = %wanted,
        );
        let mut notes = Vec::new();
        let (before, after) = self
            .change(&wanted, deadline, sink, permit, force, &mut notes)
            .instrument(span)
            .await?;
        Ok(PeeringChange {
            before,
            after,
            attempts: take(attempts),
            notes,
        })
    }

    /// The change itself: the peering before and after.
    async fn change(
        &self,
        wanted: &PeeringState,
        deadline: Deadline,
        sink: Sink<'_>,
        permit: &SendPermit,
        force: bool,
        notes: &mut Vec<String>,
    ) -> Result<(ExpressRouteCircuitPeering, ExpressRouteCircuitPeering), ArmError> {
        let before = self.settled_peering(deadline, sink).await?;
        check_private(&before)?;
        if !force && before.state() == Some(wanted) && succeeded(&before) {
            tracing::info!("the peering is already {wanted}; nothing to change");
            return Ok((before.clone(), before));
        }

        let url = self.peering_url();
        let mut current = before.clone();
        let mut reread = false;
        let mut lost = 0u32;
        let put = loop {
            let etag = current.etag.as_deref().filter(|e| !e.is_empty()).ok_or_else(|| {
                ArmError::Protocol(
                    "the peering has no etag; refusing a PUT that could overwrite a concurrent change"
                        .into(),
                )
            })?;
            let body = current.to_put_body(wanted.clone());
            let changes = [FieldChange {
                field: "properties.state".into(),
                from: current.state().map(|s| s.as_str().to_owned()),
                to: wanted.as_str().to_owned(),
            }];
            tracing::info!(if_match = etag, "PUT peering state");
            match self
                .http
                .call(
                    &Req::put(url.clone(), &body, etag, &changes).permitted(permit),
                    deadline,
                    sink,
                    &|_| None,
                )
                .await
            {
                Ok((reply, _)) => break Some(reply),
                Err(ArmError::PreconditionFailed(why)) if !reread => {
                    reread = true;
                    let fresh = self.read_peering(deadline, sink).await?.value;
                    check_private(&fresh)?;
                    // Forced, the PUT is what matters (it moves the etag):
                    // put again under the fresh one.
                    if !force && fresh.state() == Some(wanted) {
                        tracing::info!(
                            "the etag changed and the peering already reads {wanted}; not PUTting again"
                        );
                        notes.push(format!(
                            "412: the peering changed since it was read, and a new read showed it already {wanted}: not written again"
                        ));
                        break None;
                    }
                    if fresh.state() != before.state() && fresh.state() != Some(wanted) {
                        return Err(ArmError::PreconditionFailed(format!(
                            "{why}; the peering now reads state {}, so it is not retried",
                            shown_state(&fresh)
                        )));
                    }
                    tracing::info!("the etag changed but the state did not; PUT again");
                    notes.push(format!(
                        "412: the peering changed since it was read (etag now {}), still {}: written again under the new etag",
                        fresh.etag.as_deref().unwrap_or("?"),
                        shown_state(&fresh)
                    ));
                    current = fresh;
                }
                Err(ArmError::Transport(why)) if why.starts_with(ANSWER_LOST) => {
                    // It may have landed: read (waiting out an operation it
                    // started) before deciding to send anything again.
                    let fresh = self.settled_peering(deadline, sink).await?;
                    check_private(&fresh)?;
                    if fresh.state() == Some(wanted) && !same_etag(&fresh, &current) {
                        tracing::info!("the write whose answer was lost landed");
                        notes.push(format!(
                            "the answer to the PUT was lost; a new read showed the peering {wanted} under a new etag (it landed): not written again"
                        ));
                        break None;
                    }
                    lost += 1;
                    if lost >= LOST_ANSWERS {
                        return Err(ArmError::Transport(format!(
                            "{why}; {lost} writes lost their answer and none landed"
                        )));
                    }
                    tracing::info!("the write whose answer was lost did not land; PUT again");
                    notes.push(format!(
                        "the answer to the PUT was lost; a new read showed it had not landed ({}): written again",
                        shown_state(&fresh)
                    ));
                    current = fresh;
                }
                Err(e) => return Err(e),
            }
        };
        if let Some(reply) = put {
            self.follow_put(&reply, deadline, sink).await?;
        }
        let after = self.settle(wanted, deadline, sink).await?;
        tracing::info!("the peering is {wanted}");
        Ok((before, after))
    }

    /// Follows the PUT's long-running operation. A failed or canceled
    /// operation is the answer; a status that cannot be read is not (ARM:
    /// "the status could not be read, not that the operation failed"), so
    /// the settle reads decide.
    async fn follow_put(
        &self,
        reply: &Reply,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<(), ArmError> {
        // A terminal failure in the PUT's own answer is final (ARM's
        // async contract): nothing to poll for.
        let answered = serde_json::from_str::<serde_json::Value>(&reply.body).ok();
        let prov = answered
            .as_ref()
            .and_then(|b| b.pointer("/properties/provisioningState")?.as_str());
        if let Some(p @ ("Failed" | "Canceled")) = prov {
            return Err(ArmError::OperationFailed(format!(
                "the PUT was answered with provisioningState {p}"
            )));
        }
        let wait = self.http.poll_wait(reply);
        let outcome = if let Some(op) = reply.header("azure-asyncoperation") {
            let url = self.http.follow(op)?;
            self.http
                .await_async_operation(url, wait, deadline, sink)
                .await
                .map(|_| ())
        } else if let Some(loc) = reply.header("location") {
            let url = self.http.follow(loc)?;
            self.http
                .await_location(url, wait, deadline, sink)
                .await
                .map(|_| ())
        } else {
            Ok(())
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(e @ (ArmError::OperationFailed(_) | ArmError::Timeout(_) | ArmError::Auth(_))) => {
                Err(e)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the operation status; reading the peering instead");
                Ok(())
            }
        }
    }

    /// GETs until no operation is running on the peering.
    async fn settled_peering(
        &self,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<ExpressRouteCircuitPeering, ArmError> {
        loop {
            let p = self.read_peering(deadline, sink).await?.value;
            if p.provisioning_state().is_none_or(|s| s.is_terminal()) {
                return Ok(p);
            }
            tracing::info!(
                provisioning_state = %shown_provisioning(&p),
                "an operation is running on the peering; waiting for it"
            );
            self.http
                .pause(
                    self.http.policy.poll_interval,
                    deadline,
                    "the running peering operation",
                )
                .await?;
        }
    }

    /// GETs until `state` is `wanted` and `provisioningState` Succeeded.
    async fn settle(
        &self,
        wanted: &PeeringState,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<ExpressRouteCircuitPeering, ArmError> {
        let mut stale = 0;
        loop {
            let p = self.read_peering(deadline, sink).await?.value;
            let done = p.provisioning_state().is_none_or(|s| s.is_terminal());
            if p.state() == Some(wanted) && succeeded(&p) {
                return Ok(p);
            }
            if done && !succeeded(&p) {
                return Err(ArmError::OperationFailed(format!(
                    "the peering's provisioningState is {} (state {})",
                    shown_provisioning(&p),
                    shown_state(&p)
                )));
            }
            if done {
                stale += 1;
                if stale >= STALE_READS {
                    return Err(ArmError::NotSettled(format!(
                        "the operation ended but the peering still reads state {}",
                        shown_state(&p)
                    )));
                }
            }
            self.http
                .pause(
                    self.http.policy.poll_interval,
                    deadline,
                    "the peering to settle",
                )
                .await?;
        }
    }
}

fn check_private(p: &ExpressRouteCircuitPeering) -> Result<(), ArmError> {
    match p.peering_type() {
        Some(PeeringType::AzurePrivatePeering) => Ok(()),
        other => Err(ArmError::Refused(format!(
            "peering `{}` is of type {}, not AzurePrivatePeering; cutover changes only the private peering",
            p.name.as_deref().unwrap_or("?"),
            other.map_or("(none)", PeeringType::as_str)
        ))),
    }
}

/// Whether two reads carry the same etag. An etag is opaque and is sent
/// back byte for byte, but a comparison looks past its wrapping: the
/// official examples write `w/\guid\` where ARM writes `W/"guid"`, and
/// a weak marker or quotes that come and go are not a new version.
fn same_etag(a: &ExpressRouteCircuitPeering, b: &ExpressRouteCircuitPeering) -> bool {
    a.etag.as_deref().map(etag_value) == b.etag.as_deref().map(etag_value)
}

pub(super) fn etag_value(etag: &str) -> &str {
    let t = etag.trim();
    let t = t
        .strip_prefix("W/")
        .or_else(|| t.strip_prefix("w/"))
        .unwrap_or(t);
    t.trim_matches(|c| c == '"' || c == '\\')
}

/// A missing `provisioningState` means Succeeded (ARM async contract).
fn succeeded(p: &ExpressRouteCircuitPeering) -> bool {
    p.provisioning_state()
        .is_none_or(|s| *s == cutover_core::model::azure::ProvisioningState::Succeeded)
}

fn shown_state(p: &ExpressRouteCircuitPeering) -> &str {
    p.state().map_or("(none)", PeeringState::as_str)
}

fn shown_provisioning(p: &ExpressRouteCircuitPeering) -> &str {
    p.provisioning_state().map_or(
        "(none)",
        cutover_core::model::azure::ProvisioningState::as_str,
    )
}

fn take(attempts: Mutex<Vec<ArmAttempt>>) -> Vec<ArmAttempt> {
    attempts
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
}

/// A typed read with its raw body and ids.
pub(crate) fn parse_read<T: serde::de::DeserializeOwned>(
    reply: Reply,
    what: &str,
) -> Result<ArmRead<T>, ArmError> {
    let value = serde_json::from_str(&reply.body)
        .map_err(|e| ArmError::Protocol(format!("cannot read {what}: {e}")))?;
    Ok(ArmRead {
        value,
        raw: reply.body,
        ids: reply.ids,
    })
}
