//! One handler for every request: authentication, `api-version`, routing
//! (ARM paths are case-insensitive, which axum's router is not), then the
//! resource's method.

mod failover;
mod inject;
mod link_failover;
mod operation;
mod peering;
mod put_request;
mod target;

use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::header::{ALLOW, AUTHORIZATION, HOST};
use axum::http::request::Parts;
use axum::http::uri::Authority;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;

use self::target::{Target, parse_target, valid_api_version};
use super::faults::ResetSwitch;
use super::ops::Store;
use super::reply::{Mangle, Reply};
use super::{Server, token, wire};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-request-id");
const CORRELATION_ID: HeaderName = HeaderName::from_static("x-ms-correlation-request-id");
const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-ms-client-request-id");

/// Where the world's texts point (operation URLs in error messages); the
/// lab answers them itself.
const ARM_ORIGIN: &str = "https://management.azure.com/";

pub(super) async fn handle(State(server): State<Arc<Server>>, req: Request) -> Response {
    let switch = req
        .extensions()
        .get::<ConnectInfo<ResetSwitch>>()
        .map(|c| c.0.clone());
    let (parts, body) = req.into_parts();
    let mut ctx = Ctx::new(&server, &parts);
    let mut reply = server.answer(&mut ctx, &parts, body).await;
    if reply.mangle == Mangle::Reset {
        match &switch {
            Some(s) => s.trip(),
            // A bare router has no connection to close: the nearest
            // thing is an answer with nothing in it.
            None => reply = Reply::empty(StatusCode::BAD_GATEWAY),
        }
        tracing::info!(method = %parts.method, path = %parts.uri.path(), "lab ARM: the scenario resets the connection");
    }
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
        if token::is_token_path(parts.uri.path()) {
            return self.issue_token(parts, body).await;
        }
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
            Target::GatewayAction(_) | Target::Failover(_) | Target::LinkFailover(_) => {
                &[Method::POST]
            }
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
        let peer = param("peer").map(str::to_owned);
        if parts.headers.contains_key(super::PROBE_HEADER) {
            return self.route(ctx, parts, body, target, peer.as_deref()).await;
        }
        self.inject(ctx, parts, body, target, peer).await
    }

    /// The answer without faults.
    async fn route(
        &self,
        ctx: &mut Ctx,
        parts: &Parts,
        body: Body,
        target: Target,
        peer: Option<&str>,
    ) -> Reply {
        match target {
            Target::Circuit => self.get_circuit(),
            Target::Peerings => self.list_peerings(),
            Target::Peering(name) if parts.method == Method::GET => self.get_peering(&name),
            Target::Peering(name) => {
                self.put_peering(ctx, &name, &parts.headers, body, None)
                    .await
            }
            Target::Gateway => {
                let v = self.world.with(|w, _| w.vpn_gateway());
                let g = wire::gateway(&self.names, &v);
                Reply::json(StatusCode::OK, &g).etag(g.etag.as_deref())
            }
            Target::GatewayAction(action) => self.start_query(ctx, action, peer),
            Target::Failover(call) => self.failover(ctx, parts, body, call).await,
            Target::LinkFailover(call) => self.link_failover(ctx, parts, body, call).await,
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
        let token = token.trim();
        if !eq(scheme, "Bearer") {
            return Err(refuse("The access token is invalid."));
        }
        let ours = self.token.accepts(token);
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        if !(ours | tokens.issued(token)) {
            return Err(refuse("The access token is invalid."));
        }
        if let Some(limit) = self.token_expires_after
            && !headers.contains_key(super::PROBE_HEADER)
            && !tokens.use_once(token, limit)
        {
            return Err(token::expired());
        }
        Ok(())
    }

    /// `POST /{tenant}/oauth2/v2.0/token`: a client-credentials grant whose
    /// client secret is the lab's token.
    async fn issue_token(&self, parts: &Parts, body: Body) -> Reply {
        if parts.method != Method::POST {
            return token::token_error(
                StatusCode::METHOD_NOT_ALLOWED,
                "invalid_request",
                "AADSTS900561: The endpoint only accepts POST requests.",
            );
        }
        let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
            return token::token_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "AADSTS900144: The request body cannot be read.",
            );
        };
        let form = token::form(&bytes);
        let field = |k: &str| form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        if field("grant_type") != Some("client_credentials") {
            return token::token_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "AADSTS70003: The lab supports the client_credentials grant only.",
            );
        }
        if !field("client_secret").is_some_and(|s| self.token.accepts(s)) {
            return token::token_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "AADSTS7000215: Invalid client secret provided.",
            );
        }
        let t = self
            .tokens
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .issue();
        tracing::info!("lab token endpoint issued a token");
        token::token_answer(&t)
    }

    fn now(&self) -> Duration {
        self.world.clock().now()
    }
}
