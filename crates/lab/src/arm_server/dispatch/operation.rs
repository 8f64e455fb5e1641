//! Long-running operations: the headers that point at them, the gateway
//! reads that start one, and the status and result URLs a client polls.

use std::net::IpAddr;

use axum::http::StatusCode;
use axum::http::header::LOCATION;
use serde_json::Value;

use super::super::ops::{OpKind, Operation, Query as GatewayQuery, QueryKind};
use super::super::reply::{AZURE_ASYNC_OPERATION, Reply};
use super::super::{Server, wire};
use super::target::Action;
use super::{Ctx, lock};
use crate::azure::OperationStatus;
use crate::scenario::OperationEnd;
use cutover_core::model::azure::{AsyncStatus, CloudErrorBody};

/// How ARM words an operation that did not succeed (the shapes of
/// `asyncop-failed.json` and `asyncop-canceled.json`).
fn ended(end: OperationEnd) -> (AsyncStatus, &'static str, &'static str) {
    match end {
        OperationEnd::Failed => (
            AsyncStatus::Failed,
            "InternalServerError",
            "An error occurred.",
        ),
        OperationEnd::Canceled => (
            AsyncStatus::Canceled,
            "Canceled",
            "The operation was canceled.",
        ),
    }
}

/// What the operation URLs find.
enum Polled {
    Running,
    PeeringDone(String),
    /// A read's result, and whether it is a gateway read (whose status URL
    /// may answer it without `status`).
    QueryDone(Value, bool),
    /// A PUT the scenario failed: it ended so, unapplied.
    Ended(OperationEnd),
}

impl Server {
    /// The headers of an accepted long-running operation.
    /// The headers of an accepted long-running operation: the URLs the
    /// scenario's `operations` names.
    pub(super) fn long_running(&self, ctx: &Ctx, mut reply: Reply, op: &str) -> Reply {
        let urls = self.answers.operations;
        if urls.status_url() {
            reply = reply.header(
                AZURE_ASYNC_OPERATION,
                ctx.url(&self.names.operation_path("operations", op)),
            );
        }
        if urls.location_url() {
            reply = reply.header(
                LOCATION,
                ctx.url(&self.names.operation_path("operationResults", op)),
            );
        }
        reply.retry_after(self.config.poll_retry_after_s)
    }

    pub(super) fn start_query(&self, ctx: &Ctx, action: Action, peer: Option<&str>) -> Reply {
        let peer_ip = |p: &str| {
            p.trim().parse::<IpAddr>().map_err(|_| {
                Reply::error(
                    StatusCode::BAD_REQUEST,
                    "InvalidParameter",
                    format!("The value '{p}' of the query parameter 'peer' is not an IP address."),
                )
            })
        };
        let what = match (action, peer.filter(|p| !p.trim().is_empty())) {
            (Action::LearnedRoutes, _) => QueryKind::LearnedRoutes,
            (Action::AdvertisedRoutes, None) => {
                return Reply::error(
                    StatusCode::BAD_REQUEST,
                    "MissingRequiredParameter",
                    "The query parameter 'peer' is required: the BGP peer whose advertised routes to list.",
                );
            }
            (Action::AdvertisedRoutes, Some(p)) => match peer_ip(p) {
                Ok(ip) => QueryKind::AdvertisedRoutes(ip),
                Err(r) => return r,
            },
            (Action::BgpPeerStatus, None) => QueryKind::BgpPeerStatus(None),
            (Action::BgpPeerStatus, Some(p)) => match peer_ip(p) {
                Ok(ip) => QueryKind::BgpPeerStatus(Some(ip)),
                Err(r) => return r,
            },
        };
        let id = uuid::Uuid::new_v4().to_string();
        let started = self.now();
        lock(self).remember(
            Operation {
                id: id.clone(),
                kind: OpKind::Query(GatewayQuery {
                    what,
                    started,
                    polls: 0,
                    result: None,
                }),
            },
            self.max_operations,
        );
        self.long_running(ctx, Reply::empty(StatusCode::ACCEPTED), &id)
    }

    /// Polls operation `id`: `None` when it is unknown (or forgotten).
    fn poll(&self, id: &str) -> Result<Option<Polled>, Reply> {
        let now = self.now();
        let mut store = lock(self);
        let Some(op) = store.operation_mut(id) else {
            return Ok(None);
        };
        let polled = match &mut op.kind {
            OpKind::WorldPeering { peering } => {
                match self.world.with(|w, _| w.operation(&op.id)) {
                    Some(OperationStatus::InProgress) => Polled::Running,
                    // `None`: the world has moved on to a newer operation,
                    // which it accepts only after this one finished.
                    Some(OperationStatus::Succeeded) | None => Polled::PeeringDone(peering.clone()),
                }
            }
            OpKind::CreatedPeering { peering, done_at } => {
                if now < *done_at {
                    Polled::Running
                } else {
                    Polled::PeeringDone(peering.clone())
                }
            }
            OpKind::Ending { end, done_at } => {
                if now < *done_at {
                    Polled::Running
                } else {
                    Polled::Ended(*end)
                }
            }
            OpKind::Query(q) => {
                q.polls = q.polls.saturating_add(1);
                if !q.ready(
                    now,
                    self.config.query_ready_after,
                    self.config.query_ready_on_poll,
                ) {
                    Polled::Running
                } else {
                    let result = match &q.result {
                        Some(r) => r.clone(),
                        None => {
                            let r = self.query_result(&q.what).map_err(|e| {
                                tracing::error!(error = %e, "cannot encode a gateway read");
                                Reply::error(
                                    StatusCode::INTERNAL_SERVER_ERROR,
                                    "InternalServerError",
                                    "The lab could not encode its answer.",
                                )
                            })?;
                            q.result = Some(r.clone());
                            r
                        }
                    };
                    let gateway_read = !matches!(q.what, QueryKind::Failover(_));
                    Polled::QueryDone(result, gateway_read)
                }
            }
        };
        Ok(Some(polled))
    }

    fn query_result(&self, what: &QueryKind) -> Result<Value, serde_json::Error> {
        self.world.with(|w, _| match what {
            QueryKind::LearnedRoutes => serde_json::to_value(wire::routes(w.learned_routes())),
            QueryKind::AdvertisedRoutes(IpAddr::V4(peer)) => {
                serde_json::to_value(wire::routes(w.advertised_routes(*peer)))
            }
            // The lab's gateways have no IPv6 BGP peers.
            QueryKind::AdvertisedRoutes(IpAddr::V6(_)) => {
                serde_json::to_value(wire::routes(Vec::new()))
            }
            QueryKind::BgpPeerStatus(peer) => {
                let mut all = w.bgp_peer_status();
                if let Some(p) = peer {
                    all.retain(|s| s.neighbor.parse::<IpAddr>().is_ok_and(|n| n == *p));
                }
                serde_json::to_value(wire::bgp_peers(all))
            }
            QueryKind::Failover(read) => super::failover::read(w, read),
        })
    }

    fn operation_not_found(&self, id: &str) -> Reply {
        Reply::rp_error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!(
                "Operation {} not found.",
                self.names.operation_path("operations", id)
            ),
        )
    }

    pub(super) fn operation_status(&self, id: &str) -> Reply {
        use cutover_core::model::azure::AsyncOperationStatus;
        match self.poll(id) {
            Err(r) => r,
            Ok(None) => self.operation_not_found(id),
            Ok(Some(Polled::Running)) => Reply::json(
                StatusCode::OK,
                &AsyncOperationStatus::new(AsyncStatus::InProgress),
            )
            .retry_after(self.config.poll_retry_after_s),
            Ok(Some(Polled::Ended(end))) => {
                let (status, code, message) = ended(end);
                let mut s = AsyncOperationStatus::new(status);
                s.error = Some(CloudErrorBody {
                    code: Some(code.to_owned()),
                    message: Some(message.to_owned()),
                    details: Some(Vec::new()),
                    ..CloudErrorBody::default()
                });
                Reply::json(StatusCode::OK, &s)
            }
            Ok(Some(Polled::QueryDone(v, bare))) if bare && self.answers.result_without_status => {
                Reply::json(StatusCode::OK, &v)
            }
            // Without a Location URL, the result rides in the status.
            Ok(Some(Polled::QueryDone(v, _))) if !self.answers.operations.location_url() => {
                let mut s = AsyncOperationStatus::new(AsyncStatus::Succeeded);
                s.extra.insert("properties".to_owned(), v);
                Reply::json(StatusCode::OK, &s)
            }
            Ok(Some(_)) => Reply::json(
                StatusCode::OK,
                &AsyncOperationStatus::new(AsyncStatus::Succeeded),
            ),
        }
    }

    pub(super) fn operation_result(&self, ctx: &Ctx, id: &str) -> Reply {
        match self.poll(id) {
            Err(r) => r,
            Ok(None) => self.operation_not_found(id),
            Ok(Some(Polled::Running)) => Reply::empty(StatusCode::ACCEPTED)
                .header(
                    LOCATION,
                    ctx.url(&self.names.operation_path("operationResults", id)),
                )
                .retry_after(self.config.poll_retry_after_s),
            Ok(Some(Polled::PeeringDone(name))) => self.get_peering(&name),
            Ok(Some(Polled::QueryDone(v, _))) => Reply::json(StatusCode::OK, &v),
            // The Location URL of a failed operation answers its error.
            Ok(Some(Polled::Ended(end))) => {
                let (_, code, message) = ended(end);
                let status = match end {
                    OperationEnd::Failed => StatusCode::INTERNAL_SERVER_ERROR,
                    OperationEnd::Canceled => StatusCode::CONFLICT,
                };
                Reply::rp_error(status, code, message)
            }
        }
    }
}
