//! The ExpressRoute circuit and its peerings as ARM shows and changes
//! them: a peering PUT (with the scenario's refusals, etags and
//! long-running operations) and what disabling the private peering does to
//! the BGP sessions over it.

use std::time::Duration;

use super::events::Ev;
use super::{API_VERSION, PeeringState, World};
use crate::azure::{
    ArmError, CircuitView, OperationStatus, PeeringStats, PeeringView, PutAccepted,
};
use crate::scenario::{ArmAction, ArmFault, ArmResource};
use crate::topology::Carrier;
use crate::{mix, uuid_like};

impl World {
    /// ARM's PUT of a circuit peering with a new `state`. `if_match` is the
    /// `If-Match` header (an etag or `*`). The scenario's `[[arm.fault]]`
    /// rules count it as a PUT of a peering and may refuse it.
    pub fn put_peering_state(
        &mut self,
        now: Duration,
        name: &str,
        state: PeeringState,
        if_match: Option<&str>,
    ) -> Result<PutAccepted, ArmError> {
        self.tick(now);
        if let Some(ArmAction::Status(f)) = self.arm_call("PUT", ArmResource::Peering).action {
            let e = self.arm_fault(&f, name);
            self.log(format!(
                "ARM refused the PUT of {name}: {} {}",
                e.status, e.code
            ));
            return Err(e);
        }
        self.put_peering_state_unfaulted(now, name, state, if_match)
    }

    /// [`World::put_peering_state`] for a caller that has applied the
    /// fault rules itself (the ARM server, once per request).
    pub fn put_peering_state_unfaulted(
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
        let provisioning = self.timing().provisioning;
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
        let timing = self.timing();
        match state {
            PeeringState::Disabled => {
                // Microsoft's side forgets the peering at once: the ER
                // gateway loses its MSEE sessions now.
                for sid in self.sessions_on(|c| matches!(c, Carrier::ErCore(_))) {
                    self.bump(sid);
                    self.session_down(sid);
                }
                // The CEs only notice the MSEE went silent after BFD (or the
                // hold timer) says so; the tables follow after convergence.
                for sid in self.sessions_on(|c| matches!(c, Carrier::ErLink(_))) {
                    let epoch = self.bump(sid);
                    if self.sessions[sid].established {
                        let held = self.held_on(sid);
                        self.sessions[sid].stale = Some(held);
                        let detect = timing.detection(self.topo.sessions[sid].bfd);
                        self.schedule(detect, epoch, Ev::Detect(sid));
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

    pub(super) fn arm_fault(&self, f: &ArmFault, peering: &str) -> ArmError {
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
        self.etag(&uuid_like(mix(self.seed
            ^ 0xe7a6
            ^ (idx as u64) << 40
            ^ serial)))
    }

    /// An etag around `guid`, in the form the scenario's `etag_form` says.
    pub fn etag(&self, guid: &str) -> String {
        self.scenario.arm_answers.etag_form.write(guid)
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
            etag: self.etag(&uuid_like(mix(self.seed ^ 0xc1c ^ serial))),
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
}
