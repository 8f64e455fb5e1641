//! Where a request meets the scenario's `[[arm.fault]]` rules: the world
//! counts the call, then the answer is delayed, withheld, replaced or
//! mangled as the hitting rules ask.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};

use super::super::Server;
use super::super::faults;
use super::super::reply::{Mangle, Reply};
use super::Ctx;
use super::target::{FailoverCall, Target};
use crate::scenario::{ArmAction, ArmResource};

impl Target {
    /// The resource a fault rule names this target by.
    fn resource(&self) -> ArmResource {
        match self {
            Target::Circuit => ArmResource::Circuit,
            Target::Peerings | Target::Peering(_) => ArmResource::Peering,
            Target::Gateway | Target::GatewayAction(_) => ArmResource::Gateway,
            Target::Failover(FailoverCall::ErBgpPeerStatus) => ArmResource::Gateway,
            Target::Failover(FailoverCall::Stop) | Target::LinkFailover(FailoverCall::Stop) => {
                ArmResource::FailoverStop
            }
            Target::Failover(_) | Target::LinkFailover(_) => ArmResource::FailoverTest,
            Target::Connection => ArmResource::Connection,
            Target::Operation(_) | Target::OperationResult(_) => ArmResource::Operation,
        }
    }
}

impl Server {
    pub(super) async fn inject(
        &self,
        ctx: &mut Ctx,
        parts: &Parts,
        body: Body,
        target: Target,
        peer: Option<String>,
    ) -> Reply {
        let hit = self
            .world
            .with(|w, _| w.arm_call(parts.method.as_str(), target.resource()));
        if !hit.latency.is_zero() {
            faults::delay(hit.latency, &self.closing).await;
        }
        let peering = match &target {
            Target::Peering(name) => name.clone(),
            _ => self.private_peering.clone(),
        };
        let Some(action) = hit.action else {
            return self.route(ctx, parts, body, target, peer.as_deref()).await;
        };
        match action {
            ArmAction::Status(f) => {
                let e = self.world.with(|w, _| w.arm_fault_error(&f, &peering));
                self.world_error(ctx, &e)
            }
            ArmAction::Hang => {
                faults::hang(&self.closing).await;
                Reply::error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "ServiceUnavailable",
                    "The lab is shutting down.",
                )
            }
            ArmAction::Reset => {
                let mut r = Reply::empty(StatusCode::BAD_GATEWAY);
                r.mangle = Mangle::Reset;
                r
            }
            ArmAction::Malformed => {
                let mut r = self.route(ctx, parts, body, target, peer.as_deref()).await;
                r.mangle = Mangle::Truncate;
                r
            }
            ArmAction::ProvisioningFailed => faults::provisioning_failed(
                self.route(ctx, parts, body, target, peer.as_deref()).await,
            ),
            ArmAction::ConcurrentWriter => {
                self.world.with(|w, now| w.concurrent_write(now, &peering));
                self.route(ctx, parts, body, target, peer.as_deref()).await
            }
            ArmAction::Operation(end) => match target {
                Target::Peering(name) if parts.method == Method::PUT => {
                    self.put_peering(ctx, &name, &parts.headers, body, Some(end))
                        .await
                }
                other => self.route(ctx, parts, body, other, peer.as_deref()).await,
            },
        }
    }
}
