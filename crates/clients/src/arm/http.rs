//! One ARM request, retried while the answer is transient: the bearer
//! token, `api-version`, a fresh `x-ms-client-request-id` per attempt,
//! Azure's request ids captured, every exchange reported as an
//! [`ArmAttempt`] and logged in a span.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_LENGTH, HeaderValue, IF_MATCH};
use reqwest::{Method, Url};
use tracing::Instrument as _;
use tracing::field::Empty;

use super::credential::TokenSource;
use super::retry::{Clock, Deadline, RetryPolicy, is_retryable};
use cutover_core::model::azure::CloudError;
use cutover_engine::port::{ArmAttempt, ArmError, RequestIds, SendPermit, WriteStatus};

pub(crate) use classify::classify;
pub(crate) use request::{Reply, Req};
use request::{answered, is_garbled};

/// Where every exchange is reported as it happens.
pub(crate) type Sink<'a> = &'a (dyn Fn(&ArmAttempt) + Send + Sync);

/// Given a 2xx answer, how long to wait before polling again (`None` when
/// the answer is final). Decides `retry_after_ms` of the reported attempt.
pub(crate) type NextPoll<'a> = &'a (dyn Fn(&Reply) -> Option<Duration> + Send + Sync);

/// ARM bodies are small; a larger one is not ARM.
const MAX_BODY: usize = 64 << 20;

/// Query parameters shown in logs and the journal. Operation URLs carry
/// signature parameters (`t`, `c`, `s`, `h`) that are nobody's business.
const SHOWN_QUERY: &[&str] = &[
    "api-version",
    "peer",
    // Which failover test a call addresses (not secrets).
    "peeringLocation",
    "linkType",
    "circuitTestCategory",
    "failoverTestId",
];

/// The HTTP side of the ARM client.
#[derive(Debug)]
pub(crate) struct Http {
    pub client: reqwest::Client,
    pub base: Url,
    pub api_version: String,
    pub scope: String,
    pub tokens: Arc<dyn TokenSource>,
    pub clock: Arc<dyn Clock>,
    pub policy: RetryPolicy,
}

/// Why one attempt produced no HTTP answer.
enum SendFailure {
    /// Failed before anything was sent; not worth retrying.
    Unsent(ArmError),
    /// Not worth retrying: the same request would fail the same way.
    Fatal(ArmError),
    /// The network: retried.
    Network { code: &'static str, reason: String },
}

impl Http {
    /// `{endpoint}/{segments...}?api-version=...&{query}`, every segment
    /// percent-encoded.
    pub fn resource_url(&self, segments: &[&str], query: &[(&str, &str)]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("api-version", &self.api_version);
            for (k, v) in query {
                q.append_pair(k, v);
            }
        }
        url
    }

    /// A URL ARM handed us (`Azure-AsyncOperation`, `Location`,
    /// `resourceLocation`). The bearer token goes only to the endpoint the
    /// inventory names: a link to any other origin is refused, never
    /// followed.
    pub fn follow(&self, link: &str) -> Result<Url, ArmError> {
        let mut url = self
            .base
            .join(link)
            .map_err(|e| ArmError::Protocol(format!("ARM gave a link that is not a URL ({e})")))?;
        if !same_origin(&url, &self.base) {
            return Err(ArmError::Protocol(format!(
                "ARM gave a link to {}, not to the endpoint {}: not sending the token there",
                origin_text(&url),
                origin_text(&self.base)
            )));
        }
        if !url.query_pairs().any(|(k, _)| k == "api-version") {
            url.query_pairs_mut()
                .append_pair("api-version", &self.api_version);
        }
        Ok(url)
    }

    /// Sends `req` until ARM gives a non-transient answer or `deadline`
    /// would pass. A 2xx answer is returned with the wait `next_poll`
    /// chose for it; any other answer becomes a classified [`ArmError`].
    pub async fn call(
        &self,
        req: &Req<'_>,
        deadline: Deadline,
        sink: Sink<'_>,
        next_poll: NextPoll<'_>,
    ) -> Result<(Reply, Option<Duration>), ArmError> {
        let path = shown_path(&req.url);
        let mut retries = 0u32;
        // The tokens ARM refused in this call, by a hash: each one is
        // replaced once (an expiry), the same one refused twice is a
        // failure, and so is a long run of them.
        let mut refused_tokens: Vec<u64> = Vec::new();
        // The last answer of a write, said when a revoked permit stops it.
        let mut last: Option<ArmError> = None;
        loop {
            // Right before the write goes out, never earlier: an abort
            // during the backoff stops it here.
            let ticket = match req.permit {
                Some(p) => match p.begin_write() {
                    Some(t) => Some(t),
                    None => return Err(stopped(p, last)),
                },
                None => None,
            };
            let client_request_id = uuid::Uuid::new_v4().to_string();
            let span = tracing::info_span!(
                "arm_request",
                method = %req.method,
                path = %path,
                client_request_id = %client_request_id,
                status = Empty,
                request_id = Empty,
                correlation_id = Empty,
            );
            let sent = self
                .send_once(req, &client_request_id)
                .instrument(span.clone())
                .await;
            if let Some(t) = ticket {
                match &sent {
                    Ok(reply) => t.answered(reply.status),
                    Err(SendFailure::Unsent(_)) => t.not_sent(),
                    Err(SendFailure::Network { code, .. }) if *code == CONNECT_FAILED => {
                        t.not_sent()
                    }
                    // Sent, and no answer read: it may have been accepted.
                    Err(SendFailure::Network { .. }) => t.answered(0),
                    Err(SendFailure::Fatal(_)) => drop(t),
                }
            }
            let mut attempt = ArmAttempt {
                method: req.method.to_string(),
                path: path.clone(),
                status: 0,
                error_code: None,
                retry_after_ms: None,
                ids: RequestIds {
                    client_request_id: Some(client_request_id),
                    ..RequestIds::default()
                },
                write: req.write_record(),
            };
            let reply = match sent {
                Err(SendFailure::Fatal(e) | SendFailure::Unsent(e)) => return Err(e),
                Err(SendFailure::Network { code, reason })
                    if req.is_write() && code != CONNECT_FAILED =>
                {
                    // The PUT went out and its answer is lost: it may have
                    // landed. Sending it again blind could apply a change
                    // decided on an old read; the caller reads first.
                    attempt.error_code = Some(code.to_owned());
                    span.in_scope(|| tracing::warn!(%reason, "the answer to the write was lost"));
                    sink(&attempt);
                    return Err(ArmError::Transport(format!("{ANSWER_LOST} ({reason})")));
                }
                Err(SendFailure::Network { code, reason }) => {
                    attempt.error_code = Some(code.to_owned());
                    let wait = self.policy.backoff(retries);
                    let error = ArmError::Transport(reason);
                    self.wait_or_give_up(&mut attempt, wait, deadline, sink, &span, &error, req)
                        .await?;
                    last = Some(error);
                    retries = retries.saturating_add(1);
                    continue;
                }
                Ok(reply) => reply,
            };
            span.record("status", reply.status);
            if let Some(id) = &reply.ids.request_id {
                span.record("request_id", id.as_str());
            }
            if let Some(id) = &reply.ids.correlation_id {
                span.record("correlation_id", id.as_str());
            }
            attempt.status = reply.status;
            attempt.ids = reply.ids.clone();
            if let Some(w) = attempt.write.as_mut() {
                answered(w, &reply);
            }

            if reply.status == 200 && !req.is_write() && is_garbled(&reply.body) {
                // A read whose body was cut or garbled: the same read again
                // is harmless and usually whole. (An empty one is left to
                // the caller: a Location poll may end so.)
                attempt.error_code = Some(MALFORMED.to_owned());
                let wait = self.policy.backoff(retries);
                let error = ArmError::Protocol(format!(
                    "{} {path} answered 200 with a body that is not JSON",
                    req.method
                ));
                self.wait_or_give_up(&mut attempt, wait, deadline, sink, &span, &error, req)
                    .await?;
                last = Some(error);
                retries = retries.saturating_add(1);
                continue;
            }

            if (200..300).contains(&reply.status) {
                let wait = next_poll(&reply);
                attempt.retry_after_ms = wait.map(millis);
                span.in_scope(|| tracing::debug!(status = reply.status, "ARM answered"));
                sink(&attempt);
                return Ok((reply, wait));
            }

            let cloud = serde_json::from_str::<CloudError>(&reply.body).ok();
            attempt.error_code = cloud.as_ref().and_then(|c| c.code()).map(str::to_owned);
            let error = classify(reply.status, cloud.as_ref(), &reply.body, &reply.ids);

            if reply.status == 401
                && !refused_tokens.contains(&reply.token_id)
                && refused_tokens.len() < MAX_TOKEN_RENEWALS
            {
                // A token expires (or is revoked, or a clock is skewed):
                // fetch a new one and ask again, once per token refused.
                refused_tokens.push(reply.token_id);
                self.tokens.invalidate();
                attempt.retry_after_ms = Some(0);
                span.in_scope(|| tracing::warn!(%error, "token refused; fetching a new one"));
                sink(&attempt);
                continue;
            }
            if is_retryable(reply.status, cloud.as_ref()) {
                let wait = reply
                    .retry_after()
                    .map(|d| self.policy.honour(d))
                    .unwrap_or_else(|| self.policy.backoff(retries));
                self.wait_or_give_up(&mut attempt, wait, deadline, sink, &span, &error, req)
                    .await?;
                last = Some(error);
                retries = retries.saturating_add(1);
                continue;
            }
            span.in_scope(|| tracing::warn!(%error, "ARM refused the request"));
            sink(&attempt);
            return Err(error);
        }
    }

    /// Reports `attempt` and sleeps `wait`, or, when the wait would pass
    /// the deadline, reports it as the last one and fails. A write's wait
    /// ends early when its permit is revoked (the next attempt then stops
    /// before it is sent).
    #[allow(clippy::too_many_arguments)]
    async fn wait_or_give_up(
        &self,
        attempt: &mut ArmAttempt,
        wait: Duration,
        deadline: Deadline,
        sink: Sink<'_>,
        span: &tracing::Span,
        last: &ArmError,
        req: &Req<'_>,
    ) -> Result<(), ArmError> {
        let wait = wait.max(self.policy.min_wait);
        if !deadline.allows(self.clock.as_ref(), wait) {
            sink(attempt);
            span.in_scope(|| tracing::warn!(%last, "ARM budget spent; giving up"));
            return Err(ArmError::Timeout(format!(
                "{} {} still failing when its {} s budget ran out; last answer: {last}",
                attempt.method,
                attempt.path,
                deadline.budget.as_secs()
            )));
        }
        attempt.retry_after_ms = Some(millis(wait));
        span.in_scope(|| {
            tracing::warn!(
                status = attempt.status,
                code = attempt.error_code.as_deref().unwrap_or(""),
                wait_ms = millis(wait),
                "transient ARM answer; retrying"
            )
        });
        sink(attempt);
        match req.permit {
            Some(p) => {
                tokio::select! {
                    () = self.clock.sleep(wait) => {}
                    () = p.revoked() => {}
                }
            }
            None => self.clock.sleep(wait).await,
        }
        Ok(())
    }

    async fn send_once(
        &self,
        req: &Req<'_>,
        client_request_id: &str,
    ) -> Result<Reply, SendFailure> {
        let token = self
            .tokens
            .token(&self.scope)
            .await
            .map_err(SendFailure::Unsent)?;
        let mut auth =
            HeaderValue::from_str(&format!("Bearer {}", token.secret())).map_err(|_| {
                SendFailure::Unsent(ArmError::Auth(
                    "the token holds characters an HTTP header cannot carry".into(),
                ))
            })?;
        // Sensitive: HPACK never indexes it and `Debug` of the header map
        // prints `Sensitive` instead of the value.
        auth.set_sensitive(true);
        let mut rb = self
            .client
            .request(req.method.clone(), req.url.clone())
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, "application/json")
            .header("x-ms-client-request-id", client_request_id);
        if let Some(etag) = req.if_match {
            let v = HeaderValue::from_str(etag).map_err(|_| {
                SendFailure::Unsent(ArmError::Protocol(
                    "the etag holds characters an HTTP header cannot carry".into(),
                ))
            })?;
            rb = rb.header(IF_MATCH, v);
        }
        rb = match req.body {
            Some(body) => rb.json(body),
            // ARM answers 411 to a bodiless POST without Content-Length.
            None if req.method != Method::GET => rb.header(CONTENT_LENGTH, "0").body(Vec::new()),
            None => rb,
        };
        let mut resp = rb.send().await.map_err(network)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let mut bytes = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(network)? {
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(SendFailure::Fatal(ArmError::Protocol(format!(
                    "answer body larger than {} MiB",
                    MAX_BODY >> 20
                ))));
            }
            bytes.extend_from_slice(&chunk);
        }
        let body = String::from_utf8_lossy(&bytes).into_owned();
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let ids = RequestIds {
            client_request_id: Some(client_request_id.to_owned()),
            request_id: header("x-ms-request-id"),
            correlation_id: header("x-ms-correlation-request-id"),
        };
        Ok(Reply {
            status,
            token_id: token_id(token.secret()),
            headers,
            body,
            ids,
        })
    }
}

/// The error code of an attempt that could not connect: the request never
/// left this host.
const CONNECT_FAILED: &str = "ConnectionFailed";

/// New tokens one call may ask for after ARM refused the one it sent.
const MAX_TOKEN_RENEWALS: usize = 3;

/// A token's hash: tells tokens apart without keeping one.
fn token_id(secret: &str) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    secret.hash(&mut h);
    h.finish()
}

/// The error code of a 200 answer whose body is not JSON.
const MALFORMED: &str = "MalformedBody";

/// How a write whose answer was lost is reported ([`ArmError::Transport`]):
/// the caller reads the resource before deciding anything else.
pub(crate) const ANSWER_LOST: &str = "the answer to the write was lost";

/// Why a write stops once its permit is revoked: cancelled when ARM
/// accepted none of its attempts, otherwise the last failure (the engine
/// reads the permit and rolls back).
fn stopped(permit: &SendPermit, last: Option<ArmError>) -> ArmError {
    match (permit.status(), last) {
        (WriteStatus::NoneAccepted, Some(e)) => {
            ArmError::Cancelled(format!("not sent again after the abort; last answer: {e}"))
        }
        (WriteStatus::NoneAccepted, None) => {
            ArmError::Cancelled("aborted before the write was sent".into())
        }
        (_, Some(e)) => e,
        (_, None) => ArmError::Transport(
            "aborted after a write whose answer is not known; not sent again".into(),
        ),
    }
}

fn network(e: reqwest::Error) -> SendFailure {
    let code = if e.is_connect() {
        CONNECT_FAILED
    } else if e.is_timeout() {
        "Timeout"
    } else {
        "TransportError"
    };
    SendFailure::Network {
        code,
        reason: describe(e),
    }
}

/// The error and its causes, without the URL (its query may carry
/// operation signatures).
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let _ = write!(text, ": {s}");
        source = s.source();
    }
    text
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Path and the query parameters worth showing; others keep their name
/// with the value replaced.
pub(crate) fn shown_path(url: &Url) -> String {
    let mut out = url.path().to_owned();
    let mut first = true;
    for (k, v) in url.query_pairs() {
        out.push(if first { '?' } else { '&' });
        first = false;
        let v = if SHOWN_QUERY.contains(&k.as_ref()) {
            v
        } else {
            "REDACTED".into()
        };
        let _ = write!(out, "{k}={v}");
    }
    out
}

fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

fn origin_text(u: &Url) -> String {
    match (u.host_str(), u.port()) {
        (Some(h), Some(p)) => format!("{}://{h}:{p}", u.scheme()),
        (Some(h), None) => format!("{}://{h}", u.scheme()),
        _ => u.scheme().to_owned(),
    }
}

mod classify;
mod request;
#[cfg(test)]
mod tests;
