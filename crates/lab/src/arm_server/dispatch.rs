//! One handler for every request: authentication, `api-version`, routing
//! (ARM paths are case-insensitive, which axum's router is not), then the
//! resource's method.

use std::net::IpAddr;
use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::header::{
    ALLOW, AUTHORIZATION, CONTENT_TYPE, HOST, IF_MATCH, IF_NONE_MATCH, LOCATION,
};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;

use super::ops::{Created, OpKind, Operation, Query as GatewayQuery, QueryKind, Store};
use super::reply::{AZURE_ASYNC_OPERATION, Reply, detail};
use super::{Names, Server, wire};
use crate::azure::{ArmError, OperationStatus, PeeringView, PutAccepted};
use crate::world::PeeringState as LabState;
use cutover_core::model::azure::{ExpressRouteCircuitPeering, PeeringState, ProvisioningState};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
const CORRELATION_ID: HeaderName = HeaderName::from_static("x-ms-correlation-request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");
const WRITES_LEFT: HeaderName =
    HeaderName::from_static("x-ms-ratelimit-remaining-subscription-writes");

/// Where the world's texts point (operation URLs in error messages); the
/// lab answers them itself.
const ARM_ORIGIN: &str = "https://management.azure.com/";

/// A peering PUT body larger than this is refused: a real one is a few KB.
const BODY_LIMIT: usize = 1 << 20;

pub(super) async fn handle(State(server): State<Arc<Server>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let mut ctx = Ctx::new(&server, &parts);
    let reply = server.answer(&mut ctx, &parts, body).await;
    // The path and status only: never a header (the token is in one).
    if reply.is_error() || parts.method != Method::GET {
        tracing::info!(
            method = %parts.method,
            path = %parts.uri.path(),
            status = reply.status.as_u16(),
            code = reply.error_code().unwrap_or(""),
            request_id = %ctx.request_id,
            "lab ARM request"
        );
    } else {
        tracing::debug!(
            method = %parts.method,
            path = %parts.uri.path(),
            status = reply.status.as_u16(),
            request_id = %ctx.request_id,
            "lab ARM request"
        );
    }
    let mut resp = reply.into_response();
    ctx.stamp(resp.headers_mut());
    resp
}

/// Per-request facts that the answer's headers and URLs need.
struct Ctx {
    request_id: String,
    correlation: HeaderValue,
    client_request_id: Option<HeaderValue>,
    /// `http://host:port` as the client addressed us, so that the
    /// operation URLs lead back to this server (and pass the client's
    /// same-origin check).
    base: String,
    /// Validated (`yyyy-mm-dd[-suffix]`), so safe to put in a URL.
    api_version: String,
}

impl Ctx {
    fn new(server: &Server, parts: &Parts) -> Self {
        let request_id = uuid::Uuid::new_v4().to_string();
        let correlation = parts
            .headers
            .get(CORRELATION_ID)
            .cloned()
            .or_else(|| HeaderValue::from_str(&uuid::Uuid::new_v4().to_string()).ok())
            .unwrap_or_else(|| HeaderValue::from_static("00000000-0000-0000-0000-000000000000"));
        let host = parts
            .uri
            .authority()
            .map(|a| a.as_str().to_owned())
            .or_else(|| {
                parts
                    .headers
                    .get(HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned)
            })
            .filter(|h| !h.contains('@') && h.parse::<Authority>().is_ok())
            .unwrap_or_else(|| server.fallback_host.clone());
        Self {
            request_id,
            correlation,
            client_request_id: parts.headers.get(CLIENT_REQUEST_ID).cloned(),
            base: format!("http://{host}"),
            api_version: String::new(),
        }
    }

    fn stamp(&self, h: &mut HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(&self.request_id) {
            h.insert(REQUEST_ID, v);
        }
        h.insert(CORRELATION_ID, self.correlation.clone());
        if let Some(v) = &self.client_request_id {
            h.insert(CLIENT_REQUEST_ID, v.clone());
        }
    }

    /// An absolute URL on this server.
    fn url(&self, path: &str) -> String {
        format!("{}{path}?api-version={}", self.base, self.api_version)
    }

    /// A world text with Azure's origin replaced by this server's.
    fn rebase(&self, text: &str) -> String {
        text.replace(ARM_ORIGIN, &format!("{}/", self.base))
    }
}

/// What a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Circuit,
    Peerings,
    Peering(String),
    Gateway,
    GatewayAction(Action),
    Connection,
    /// An `Azure-AsyncOperation` URL.
    Operation(String),
    /// A `Location` URL.
    OperationResult(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    LearnedRoutes,
    AdvertisedRoutes,
    BgpPeerStatus,
}

/// What the operation URLs find.
enum Polled {
    Running,
    PeeringDone(String),
    QueryDone(Value),
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

fn lock(server: &Server) -> MutexGuard<'_, Store> {
    // The store stays consistent between statements; a panic elsewhere
    // must not take the lab's ARM API down with it.
    server.store.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Server {
    async fn answer(&self, ctx: &mut Ctx, parts: &Parts, body: Body) -> Reply {
        if let Err(r) = self.authenticate(&parts.headers) {
            return r;
        }
        let params = match Query::<Vec<(String, String)>>::try_from_uri(&parts.uri) {
            Ok(Query(p)) => p,
            Err(e) => {
                return Reply::error(
                    StatusCode::BAD_REQUEST,
                    "InvalidRequestFormat",
                    format!("The query string cannot be read: {e}"),
                );
            }
        };
        let param = |name: &str| {
            params
                .iter()
                .find(|(k, _)| eq(k, name))
                .map(|(_, v)| v.as_str())
        };
        match param("api-version") {
            None | Some("") => {
                return Reply::error(
                    StatusCode::BAD_REQUEST,
                    "MissingApiVersionParameter",
                    "The api-version query parameter (?api-version=) is required for all requests.",
                );
            }
            Some(v) if !valid_api_version(v) => {
                return Reply::error(
                    StatusCode::BAD_REQUEST,
                    "InvalidApiVersionParameter",
                    format!(
                        "The api-version '{v}' is invalid. The supported versions are written yyyy-mm-dd[-preview]; the lab speaks '{}'.",
                        crate::world::API_VERSION
                    ),
                );
            }
            Some(v) => ctx.api_version = v.to_owned(),
        }
        let target = match parse_target(&self.names, parts.uri.path()) {
            Ok(t) => t,
            Err(r) => return r,
        };
        let allowed: &[Method] = match target {
            Target::Peering(_) => &[Method::GET, Method::PUT],
            Target::GatewayAction(_) => &[Method::POST],
            _ => &[Method::GET],
        };
        if !allowed.contains(&parts.method) {
            let list = allowed
                .iter()
                .map(Method::as_str)
                .collect::<Vec<_>>()
                .join(", ");
            return Reply::error(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!(
                    "The lab's ARM API does not support {} on '{}' (allowed: {list}).",
                    parts.method,
                    parts.uri.path()
                ),
            )
            .header(ALLOW, list);
        }
        match target {
            Target::Circuit => self.get_circuit(),
            Target::Peerings => self.list_peerings(),
            Target::Peering(name) if parts.method == Method::GET => self.get_peering(&name),
            Target::Peering(name) => self.put_peering(ctx, &name, &parts.headers, body).await,
            Target::Gateway => {
                let v = self.world.with(|w, _| w.vpn_gateway());
                let g = wire::gateway(&self.names, &v);
                Reply::json(StatusCode::OK, &g).etag(g.etag.as_deref())
            }
            Target::GatewayAction(action) => self.start_query(ctx, action, param("peer")),
            Target::Connection => {
                let v = self.world.with(|w, _| w.connection());
                let c = wire::connection(&self.names, &v);
                Reply::json(StatusCode::OK, &c).etag(c.etag.as_deref())
            }
            Target::Operation(id) => self.operation_status(&id),
            Target::OperationResult(id) => self.operation_result(ctx, &id),
        }
    }

    fn authenticate(&self, headers: &HeaderMap) -> Result<(), Reply> {
        let refuse = |description: &str| {
            Reply::error(
                StatusCode::UNAUTHORIZED,
                "InvalidAuthenticationToken",
                description,
            )
            .header(
                axum::http::header::WWW_AUTHENTICATE,
                format!("Bearer error=\"invalid_token\", error_description=\"{description}\""),
            )
        };
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Err(refuse("The access token is missing."));
        };
        let Some((scheme, token)) = value.to_str().ok().and_then(|v| v.split_once(' ')) else {
            return Err(refuse("The access token is invalid."));
        };
        if !eq(scheme, "Bearer") || !self.token.accepts(token.trim()) {
            return Err(refuse("The access token is invalid."));
        }
        Ok(())
    }

    fn now(&self) -> Duration {
        self.world.clock().now()
    }

    fn get_circuit(&self) -> Reply {
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

    fn list_peerings(&self) -> Reply {
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

    fn get_peering(&self, name: &str) -> Reply {
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

    async fn put_peering(&self, ctx: &Ctx, name: &str, headers: &HeaderMap, body: Body) -> Reply {
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
            WorldPut::Done(Box::new(w.put_peering_state(
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
        }
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
        let provisioning = self.world.with(|w, _| w.scenario().timing.provisioning);
        let now = self.now();
        let mut store = lock(self);
        let op = uuid::Uuid::new_v4().to_string();
        let etag = format!("W/\"{}\"", uuid::Uuid::new_v4());
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

    /// The headers of an accepted long-running operation.
    fn long_running(&self, ctx: &Ctx, reply: Reply, op: &str) -> Reply {
        reply
            .header(
                AZURE_ASYNC_OPERATION,
                ctx.url(&self.names.operation_path("operations", op)),
            )
            .header(
                LOCATION,
                ctx.url(&self.names.operation_path("operationResults", op)),
            )
            .retry_after(self.config.poll_retry_after_s)
    }

    /// An error the world (or its scenario) answered, as ARM sends it.
    fn world_error(&self, ctx: &Ctx, e: &ArmError) -> Reply {
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

    fn start_query(&self, ctx: &Ctx, action: Action, peer: Option<&str>) -> Reply {
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
                    Polled::QueryDone(result)
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

    fn operation_status(&self, id: &str) -> Reply {
        use cutover_core::model::azure::{AsyncOperationStatus, AsyncStatus};
        match self.poll(id) {
            Err(r) => r,
            Ok(None) => self.operation_not_found(id),
            Ok(Some(Polled::Running)) => Reply::json(
                StatusCode::OK,
                &AsyncOperationStatus::new(AsyncStatus::InProgress),
            )
            .retry_after(self.config.poll_retry_after_s),
            Ok(Some(_)) => Reply::json(
                StatusCode::OK,
                &AsyncOperationStatus::new(AsyncStatus::Succeeded),
            ),
        }
    }

    fn operation_result(&self, ctx: &Ctx, id: &str) -> Reply {
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
            Ok(Some(Polled::QueryDone(v))) => Reply::json(StatusCode::OK, &v),
        }
    }
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

/// A peering PUT, read and checked.
struct PutRequest {
    /// The body with its read-only members removed.
    resource: ExpressRouteCircuitPeering,
    state: Option<LabState>,
    if_match: Option<String>,
    if_none_match_any: bool,
}

impl PutRequest {
    fn parse(bytes: &[u8], headers: &HeaderMap) -> Result<Self, Reply> {
        let invalid = |code: &str, message: String| {
            Reply::error_with_details(
                StatusCode::BAD_REQUEST,
                "InvalidRequestFormat",
                "Cannot parse the request.",
                vec![detail(code, message)],
            )
        };
        let mut resource: ExpressRouteCircuitPeering =
            serde_json::from_slice(bytes).map_err(|e| invalid("InvalidJson", format!("{e}.")))?;
        let state = match resource.state() {
            None => None,
            Some(s) => Some(s.as_str().parse::<LabState>().map_err(|_| {
                invalid(
                    "InvalidJson",
                    format!(
                        "Error converting value \"{s}\" to type 'ExpressRoutePeeringState'. Path 'properties.state'."
                    ),
                )
            })?),
        };
        // The canonical spelling is stored, as ARM stores it.
        if let Some(s) = state {
            resource.properties.state = Some(PeeringState::from(s.as_str()));
        }
        let header = |name| -> Result<Option<String>, Reply> {
            match headers.get(&name) {
                None => Ok(None),
                Some(v) => v.to_str().map(|s| Some(s.to_owned())).map_err(|_| {
                    Reply::error(
                        StatusCode::BAD_REQUEST,
                        "InvalidRequestFormat",
                        format!("The {name} header is not visible ASCII."),
                    )
                }),
            }
        };
        let if_match = header(IF_MATCH)?;
        let if_none_match_any = header(IF_NONE_MATCH)?.is_some_and(|v| v.trim() == "*");
        resource.etag = None;
        resource.resource_type = None;
        resource.id = None;
        resource.properties.provisioning_state = None;
        resource.properties.last_modified_by = None;
        Ok(Self {
            resource,
            state,
            if_match,
            if_none_match_any,
        })
    }

    /// The lab's peerings are wired into its routing: only `state` can
    /// change. Anything else the body sets must be what the peering has.
    fn check_fixed_fields(&self, current: &PeeringView) -> Result<(), Reply> {
        let p = &self.resource.properties;
        let prefix_eq = |a: &str, b: &str| match (
            a.parse::<cutover_core::model::Prefix>(),
            b.parse::<cutover_core::model::Prefix>(),
        ) {
            (Ok(x), Ok(y)) => x == y,
            _ => a == b,
        };
        let mut differs: Vec<String> = Vec::new();
        if let Some(t) = &p.peering_type
            && !eq(t.as_str(), &current.peering_type)
        {
            differs.push(format!(
                "peeringType is {} here, the request has {t}",
                current.peering_type
            ));
        }
        let numbers = [
            ("azureASN", p.azure_asn, current.azure_asn),
            ("peerASN", p.peer_asn, current.peer_asn),
            ("vlanId", p.vlan_id, current.vlan_id),
        ];
        for (field, asked, have) in numbers {
            if let Some(a) = asked
                && a != have
            {
                differs.push(format!("{field} is {have} here, the request has {a}"));
            }
        }
        let prefixes = [
            (
                "primaryPeerAddressPrefix",
                &p.primary_peer_address_prefix,
                &current.primary_peer_address_prefix,
            ),
            (
                "secondaryPeerAddressPrefix",
                &p.secondary_peer_address_prefix,
                &current.secondary_peer_address_prefix,
            ),
        ];
        for (field, asked, have) in prefixes {
            if let Some(a) = asked
                && !prefix_eq(a, have)
            {
                differs.push(format!("{field} is {have} here, the request has {a}"));
            }
        }
        if differs.is_empty() {
            return Ok(());
        }
        Err(Reply::rp_error(
            StatusCode::BAD_REQUEST,
            "LabUnsupportedChange",
            format!(
                "The lab can change only properties.state of peering {}: {}.",
                current.name,
                differs.join("; ")
            ),
        ))
    }
}

/// `yyyy-mm-dd` with an optional `-suffix` of letters and digits
/// (`2024-05-01`, `2023-07-01-preview`).
fn valid_api_version(v: &str) -> bool {
    let b = v.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    let suffix = &b[b.len().min(10)..];
    date && (suffix.is_empty()
        || (suffix.len() > 1
            && suffix[0] == b'-'
            && suffix[1..].iter().all(u8::is_ascii_alphanumeric)))
}

/// Percent-decodes one path segment; a malformed escape stays as written.
fn decode_segment(s: &str) -> String {
    if !s.contains('%') {
        return s.to_owned();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).copied().and_then(hex),
                b.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits make at most 0xff.
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What `path` names, or the ARM error for a path that names nothing here.
fn parse_target(names: &Names, path: &str) -> Result<Target, Reply> {
    let segments: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .map(decode_segment)
        .collect();
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let not_found = || {
        Reply::error(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("The lab's ARM API has nothing at '{path}'."),
        )
    };
    let [subscriptions, sub, rest @ ..] = s.as_slice() else {
        return Err(not_found());
    };
    if !eq(subscriptions, "subscriptions") {
        return Err(not_found());
    }
    if !eq(sub, &names.subscription) {
        return Err(Reply::error(
            StatusCode::NOT_FOUND,
            "SubscriptionNotFound",
            format!("The subscription '{sub}' could not be found."),
        ));
    }
    match rest {
        [rgs, rg, providers, ns, kind, name, tail @ ..]
            if eq(rgs, "resourceGroups") && eq(providers, "providers") =>
        {
            if !eq(rg, &names.resource_group) {
                return Err(Reply::error(
                    StatusCode::NOT_FOUND,
                    "ResourceGroupNotFound",
                    format!("Resource group '{rg}' could not be found."),
                ));
            }
            if !eq(ns, "Microsoft.Network") {
                return Err(not_found());
            }
            resource(names, rg, kind, name, tail).ok_or_else(not_found)?
        }
        [providers, ns, locations, location, kind, id]
            if eq(providers, "providers")
                && eq(ns, "Microsoft.Network")
                && eq(locations, "locations")
                && eq(location, &names.location) =>
        {
            if eq(kind, "operations") {
                Ok(Target::Operation((*id).to_owned()))
            } else if eq(kind, "operationResults") {
                Ok(Target::OperationResult((*id).to_owned()))
            } else {
                Err(not_found())
            }
        }
        _ => Err(not_found()),
    }
}

/// A resource path under the resource group: `Some(Err)` for a resource
/// that does not exist, `None` for a path the API does not have.
fn resource(
    names: &Names,
    rg: &str,
    kind: &str,
    name: &str,
    tail: &[&str],
) -> Option<Result<Target, Reply>> {
    let missing = |kind: &str| {
        Err(Reply::error(
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.Network/{kind}/{name}' under resource group '{rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix"
            ),
        ))
    };
    if eq(kind, "expressRouteCircuits") {
        if !eq(name, &names.circuit) {
            return Some(missing("expressRouteCircuits"));
        }
        return match tail {
            [] => Some(Ok(Target::Circuit)),
            [p] if eq(p, "peerings") => Some(Ok(Target::Peerings)),
            [p, peering] if eq(p, "peerings") && !peering.is_empty() => {
                Some(Ok(Target::Peering((*peering).to_owned())))
            }
            _ => None,
        };
    }
    if eq(kind, "virtualNetworkGateways") {
        if !eq(name, &names.vpn_gateway) {
            return Some(missing("virtualNetworkGateways"));
        }
        return match tail {
            [] => Some(Ok(Target::Gateway)),
            [a] if eq(a, "getLearnedRoutes") => {
                Some(Ok(Target::GatewayAction(Action::LearnedRoutes)))
            }
            [a] if eq(a, "getAdvertisedRoutes") => {
                Some(Ok(Target::GatewayAction(Action::AdvertisedRoutes)))
            }
            [a] if eq(a, "getBgpPeerStatus") => {
                Some(Ok(Target::GatewayAction(Action::BgpPeerStatus)))
            }
            _ => None,
        };
    }
    if eq(kind, "connections") {
        if !eq(name, &names.connection) {
            return Some(missing("connections"));
        }
        return match tail {
            [] => Some(Ok(Target::Connection)),
            _ => None,
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            subscription: "sub-1".into(),
            resource_group: "RG-One".into(),
            location: "westus2".into(),
            circuit: "er-1".into(),
            vpn_gateway: "gw-1".into(),
            connection: "cn-1".into(),
            local_network_gateway: "lng-1".into(),
        }
    }

    fn code(r: Reply) -> (u16, String) {
        (r.status.as_u16(), r.error_code().unwrap_or("").to_owned())
    }

    #[test]
    fn paths_are_case_insensitive_and_decoded() {
        let n = names();
        let t = |p: &str| parse_target(&n, p).map_err(code);
        assert_eq!(
            t(
                "/SUBSCRIPTIONS/sub-1/resourcegroups/rg-one/providers/microsoft.network/expressroutecircuits/ER-1/peerings/Azure%50rivatePeering"
            ),
            Ok(Target::Peering("AzurePrivatePeering".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/expressRouteCircuits/er-1/"
            ),
            Ok(Target::Circuit)
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/virtualNetworkGateways/gw-1/GETLEARNEDROUTES"
            ),
            Ok(Target::GatewayAction(Action::LearnedRoutes))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/providers/Microsoft.Network/locations/WestUS2/operationResults/abc"
            ),
            Ok(Target::OperationResult("abc".into()))
        );
    }

    #[test]
    fn wrong_names_get_arm_errors() {
        let n = names();
        let t = |p: &str| parse_target(&n, p).map_err(code);
        assert_eq!(
            t(
                "/subscriptions/other/resourceGroups/RG-One/providers/Microsoft.Network/connections/cn-1"
            ),
            Err((404, "SubscriptionNotFound".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/rg-two/providers/Microsoft.Network/connections/cn-1"
            ),
            Err((404, "ResourceGroupNotFound".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/connections/cn-2"
            ),
            Err((404, "ResourceNotFound".into()))
        );
        assert_eq!(
            t(
                "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/expressRouteCircuits/er-2/peerings/x"
            ),
            Err((404, "ResourceNotFound".into()))
        );
        for p in [
            "/",
            "/health",
            "/subscriptions/sub-1",
            "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Compute/virtualMachines/vm",
            "/subscriptions/sub-1/resourceGroups/RG-One/providers/Microsoft.Network/connections/cn-1/sharedkey",
            "/subscriptions/sub-1/providers/Microsoft.Network/locations/eastus/operations/abc",
        ] {
            assert_eq!(t(p), Err((404, "NotFound".into())), "{p}");
        }
    }

    #[test]
    fn api_versions() {
        for ok in ["2024-05-01", "2023-07-01-preview", "2025-01-01-beta2"] {
            assert!(valid_api_version(ok), "{ok}");
        }
        for bad in [
            "",
            "2024",
            "2024-5-01",
            "2024-05-01-",
            "2024-05-01x",
            "2024-05-01-a b",
            "latest",
        ] {
            assert!(!valid_api_version(bad), "{bad}");
        }
    }

    #[test]
    fn segments_decode_and_keep_malformed_escapes() {
        assert_eq!(decode_segment("a%20b"), "a b");
        assert_eq!(decode_segment("100%"), "100%");
        assert_eq!(decode_segment("%zz"), "%zz");
        assert_eq!(decode_segment("%e2%82%ac"), "€");
    }
}
