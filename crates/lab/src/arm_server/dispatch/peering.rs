//! The circuit's peerings: reads, and the long-running PUT that either the
//! world takes (its peerings are wired into routing) or this layer keeps
//! as sent (a peering the world does not have, which ARM would create).

use std::time::Duration;

use axum::body::Body;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, HeaderName, StatusCode};

use super::super::Names;
use super::super::ops::{Created, OpKind, Operation};
use super::super::reply::Reply;
use super::super::{Server, wire};
use super::put_request::PutRequest;
use super::{Ctx, eq, lock};
use crate::azure::{ArmError, PeeringView, PutAccepted};
use crate::scenario::OperationEnd;
use crate::world::PeeringState as LabState;
use cutover_core::model::azure::{ExpressRouteCircuitPeering, ProvisioningState};

const WRITES_LEFT: HeaderName =
    HeaderName::from_static("x-ms-ratelimit-remaining-subscription-writes");

/// A peering PUT body larger than this is refused: a real one is a few KB.
const BODY_LIMIT: usize = 1 << 20;

impl Server {
    pub(super) fn get_circuit(&self) -> Reply {
        let view = self.world.with(|w, _| w.circuit());
        let now = self.now();
        let created = lock(self)
            .created
            .iter()
            .map(|c| created_view(&self.names, c, now))
            .collect();
        let c = wire::circuit(&self.names, &view, created);
        Reply::json(StatusCode::OK, &c).etag(c.etag.as_deref())
    }

    pub(super) fn list_peerings(&self) -> Reply {
        let views = self.world.with(|w, _| w.peerings());
        let now = self.now();
        let mut value: Vec<_> = views
            .iter()
            .map(|v| wire::peering(&self.names, v))
            .collect();
        value.extend(
            lock(self)
                .created
                .iter()
                .map(|c| created_view(&self.names, c, now)),
        );
        let list = cutover_core::model::azure::ExpressRouteCircuitPeeringListResult {
            value,
            next_link: None,
            extra: serde_json::Map::new(),
        };
        Reply::json(StatusCode::OK, &list)
    }

    pub(super) fn get_peering(&self, name: &str) -> Reply {
        if let Some(v) = self.world.with(|w, _| w.peering(name)) {
            let p = wire::peering(&self.names, &v);
            return Reply::json(StatusCode::OK, &p).etag(p.etag.as_deref());
        }
        let now = self.now();
        let created = lock(self)
            .created(name)
            .map(|c| created_view(&self.names, c, now));
        match created {
            Some(p) => Reply::json(StatusCode::OK, &p).etag(p.etag.as_deref()),
            None => Reply::rp_error(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("Resource {} not found.", self.names.peering_id(name)),
            ),
        }
    }

    pub(super) async fn put_peering(
        &self,
        ctx: &Ctx,
        name: &str,
        headers: &HeaderMap,
        body: Body,
        fail: Option<OperationEnd>,
    ) -> Reply {
        if let Some(ct) = headers.get(CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            let media = ct.split(';').next().unwrap_or("").trim();
            if !eq(media, "application/json") {
                return Reply::error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    format!(
                        "The content media type '{ct}' is not supported. Only 'application/json' is supported."
                    ),
                );
            }
        }
        let bytes = match axum::body::to_bytes(body, BODY_LIMIT).await {
            Ok(b) => b,
            Err(e) => {
                return Reply::error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestFormat",
                    format!("The request body cannot be read (at most {BODY_LIMIT} bytes): {e}"),
                );
            }
        };
        let put = match PutRequest::parse(&bytes, headers) {
            Ok(p) => p,
            Err(r) => return r,
        };
        enum WorldPut {
            NotTheWorlds,
            Refused(Reply),
            Done(Box<Result<PutAccepted, ArmError>>),
            /// Accepted, to end `Failed` or `Canceled` unapplied.
            Failing(Box<PeeringView>, OperationEnd),
        }
        let outcome = self.world.with(|w, now| {
            let Some(current) = w.peering(name) else {
                return WorldPut::NotTheWorlds;
            };
            if let Err(r) = put.check_fixed_fields(&current) {
                return WorldPut::Refused(r);
            }
            if put.if_none_match_any {
                return WorldPut::Refused(Reply::rp_error(
                    StatusCode::PRECONDITION_FAILED,
                    "PreconditionFailed",
                    format!(
                        "Precondition failed for resource {}: If-None-Match * and the resource exists.",
                        self.names.peering_id(&current.name)
                    ),
                ));
            }
            let state = match put.state {
                Some(s) => s,
                // No state in the body: the peering keeps the one it has.
                None => match current.state.parse::<LabState>() {
                    Ok(s) => s,
                    Err(e) => {
                        return WorldPut::Refused(Reply::error(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "InternalServerError",
                            e,
                        ));
                    }
                },
            };
            if let Some(end) = fail {
                return match stale_etag(&current, put.if_match.as_deref()) {
                    Some(r) => WorldPut::Refused(r),
                    None => {
                        let mut shown = current;
                        shown.state = state.as_str().to_owned();
                        shown.provisioning_state = "Updating".to_owned();
                        WorldPut::Failing(Box::new(shown), end)
                    }
                };
            }
            WorldPut::Done(Box::new(w.put_peering_state_unfaulted(
                now,
                name,
                state,
                put.if_match.as_deref(),
            )))
        });
        match outcome {
            WorldPut::Refused(r) => r,
            WorldPut::Done(done) => match *done {
                Ok(accepted) => self.accepted(ctx, accepted),
                Err(e) => self.world_error(ctx, &e),
            },
            WorldPut::NotTheWorlds => self.put_created(ctx, name, put),
            WorldPut::Failing(shown, end) => self.accepted_failing(ctx, &shown, end),
        }
    }

    /// The answer to a PUT the scenario makes fail: ARM accepts it, its
    /// operation runs for the provisioning time and ends `end`, and the
    /// peering is never changed.
    fn accepted_failing(&self, ctx: &Ctx, shown: &PeeringView, end: OperationEnd) -> Reply {
        let provisioning = self.world.with(|w, _| w.timing().provisioning);
        let id = uuid::Uuid::new_v4().to_string();
        lock(self).remember(
            Operation {
                id: id.clone(),
                kind: OpKind::Ending {
                    end,
                    done_at: self.now().saturating_add(provisioning),
                },
            },
            self.max_operations,
        );
        tracing::info!(
            peering = %shown.name,
            end = end.as_str(),
            "the lab's ARM accepted a PUT whose operation will not succeed"
        );
        let p = wire::peering(&self.names, shown);
        let reply = Reply::json(StatusCode::OK, &p).etag(p.etag.as_deref());
        self.long_running(ctx, reply, &id)
    }

    /// The answer to a PUT the world accepted.
    fn accepted(&self, ctx: &Ctx, accepted: PutAccepted) -> Reply {
        let id = accepted.operation_id;
        lock(self).remember(
            Operation {
                id: id.clone(),
                kind: OpKind::WorldPeering {
                    peering: accepted.peering.name.clone(),
                },
            },
            self.max_operations,
        );
        let p = wire::peering(&self.names, &accepted.peering);
        // An update answers 200 whatever the world's note on it: 201 is
        // ARM's answer to a PUT that creates.
        let reply = Reply::json(StatusCode::OK, &p).etag(p.etag.as_deref());
        self.long_running(ctx, reply, &id)
    }

    /// A PUT of a peering the world does not have: ARM creates it (or
    /// updates the one an earlier PUT created).
    fn put_created(&self, ctx: &Ctx, name: &str, put: PutRequest) -> Reply {
        let (provisioning, etag) = self.world.with(|w, _| {
            (
                w.timing().provisioning,
                w.etag(&uuid::Uuid::new_v4().to_string()),
            )
        });
        let now = self.now();
        let mut store = lock(self);
        let op = uuid::Uuid::new_v4().to_string();
        let status = match store.created_mut(name) {
            Some(c) => {
                if put.if_none_match_any {
                    return Reply::rp_error(
                        StatusCode::PRECONDITION_FAILED,
                        "PreconditionFailed",
                        format!(
                            "Precondition failed for resource {}: If-None-Match * and the resource exists.",
                            self.names.peering_id(&c.name)
                        ),
                    );
                }
                if now < c.updating_until {
                    return Reply::rp_error(
                        StatusCode::CONFLICT,
                        "AnotherOperationInProgress",
                        format!(
                            "Another operation on this or dependent resource is in progress. To retrieve status of the operation use uri: {}.",
                            ctx.url(&self.names.operation_path("operations", &c.operation))
                        ),
                    );
                }
                if let Some(m) = put.if_match.as_deref().map(str::trim)
                    && m != "*"
                    && m != c.etag
                {
                    return Reply::rp_error(
                        StatusCode::PRECONDITION_FAILED,
                        "PreconditionFailed",
                        format!(
                            "Precondition failed for resource {}: If-Match {m} does not match the current etag {}.",
                            self.names.peering_id(&c.name),
                            c.etag
                        ),
                    );
                }
                c.resource = put.resource;
                c.etag = etag;
                c.updating_until = now.saturating_add(provisioning);
                c.operation = op.clone();
                StatusCode::OK
            }
            None => {
                if let Some(m) = put.if_match.as_deref() {
                    return Reply::rp_error(
                        StatusCode::PRECONDITION_FAILED,
                        "PreconditionFailed",
                        format!(
                            "Precondition failed for resource {}: If-Match {} and the resource does not exist.",
                            self.names.peering_id(name),
                            m.trim()
                        ),
                    );
                }
                store.created.push(Created {
                    name: name.to_owned(),
                    resource: put.resource,
                    etag,
                    updating_until: now.saturating_add(provisioning),
                    operation: op.clone(),
                });
                StatusCode::CREATED
            }
        };
        let Some(c) = store.created(name) else {
            return Reply::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "InternalServerError",
                "The created peering vanished.",
            );
        };
        let view = created_view(&self.names, c, now);
        let peering = c.name.clone();
        store.remember(
            Operation {
                id: op.clone(),
                kind: OpKind::CreatedPeering {
                    peering,
                    done_at: now.saturating_add(provisioning),
                },
            },
            self.max_operations,
        );
        drop(store);
        tracing::info!(
            peering = name,
            status = status.as_u16(),
            "the lab's ARM stored a peering the world does not route"
        );
        let reply = Reply::json(status, &view).etag(view.etag.as_deref());
        self.long_running(ctx, reply, &op)
    }

    /// An error the world (or its scenario) answered, as ARM sends it.
    pub(super) fn world_error(&self, ctx: &Ctx, e: &ArmError) -> Reply {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut message = ctx.rebase(&e.message);
        let mut retry_after = e.retry_after_s;
        if let (Some(s), Some(cap)) = (e.retry_after_s, self.config.max_fault_retry_after_s)
            && s > cap
        {
            message = message.replace(&format!(" {s} seconds"), &format!(" {cap} seconds"));
            retry_after = Some(cap);
        }
        // ARM's own throttling carries no details and says how many writes
        // are left; the resource provider's errors carry `details: []`.
        let mut reply = if e.code == "TooManyRequests" {
            Reply::error(status, &e.code, message).header(WRITES_LEFT, "0")
        } else {
            Reply::rp_error(status, &e.code, message)
        };
        if let Some(s) = retry_after {
            reply = reply.retry_after(s);
        }
        reply
    }
}

/// The 412 a PUT under an old etag meets, as the world words it.
fn stale_etag(current: &PeeringView, if_match: Option<&str>) -> Option<Reply> {
    let m = if_match?.trim();
    (m != "*" && m != current.etag).then(|| {
        Reply::rp_error(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            format!(
                "The condition specified using HTTP conditional header(s) is not met. Current etag is {}, the request had {m}.",
                current.etag
            ),
        )
    })
}

/// A created peering as GET shows it.
fn created_view(names: &Names, c: &Created, now: Duration) -> ExpressRouteCircuitPeering {
    let mut p = c.resource.clone();
    p.id = Some(names.peering_id(&c.name));
    p.name = Some(c.name.clone());
    p.etag = Some(c.etag.clone());
    p.resource_type = Some(wire::PEERING_TYPE.to_owned());
    p.properties.provisioning_state = Some(if now < c.updating_until {
        ProvisioningState::Updating
    } else {
        ProvisioningState::Succeeded
    });
    p.properties.last_modified_by = Some("Customer".to_owned());
    p
}
