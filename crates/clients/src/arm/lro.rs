//! ARM long-running operations: poll `Azure-AsyncOperation` to a terminal
//! status or `Location` until it stops answering 202, honouring
//! `Retry-After`, within the operation's deadline.

use std::time::Duration;

use reqwest::Url;
use serde_json::Value;

use super::http::{Http, Reply, Req, Sink};
use super::retry::Deadline;
use cutover_core::model::azure::{AsyncOperationStatus, AsyncStatus};
use cutover_engine::port::ArmError;

impl Http {
    /// Sleeps `wait` (at least the policy's `min_wait`), or fails when that
    /// would pass the deadline.
    pub(crate) async fn pause(
        &self,
        wait: Duration,
        deadline: Deadline,
        what: &str,
    ) -> Result<(), ArmError> {
        let wait = wait.max(self.policy.min_wait);
        if !deadline.allows(self.clock.as_ref(), wait) {
            return Err(ArmError::Timeout(format!(
                "{what}: not done within the {} s budget",
                deadline.budget.as_secs()
            )));
        }
        self.clock.sleep(wait).await;
        Ok(())
    }

    /// How long to wait before the next poll after `reply`.
    pub(crate) fn poll_wait(&self, reply: &Reply) -> Duration {
        reply
            .retry_after()
            .map(|d| self.policy.honour(d))
            .unwrap_or(self.policy.poll_interval)
            .max(self.policy.min_wait)
    }

    /// Polls an `Azure-AsyncOperation` URL until its status is terminal.
    /// `Succeeded` returns the last status and its answer; `Failed` and
    /// `Canceled` are [`ArmError::OperationFailed`] with ARM's code and
    /// message. An answer that is the operation's result without any
    /// `status` is done too (`None`, the answer is the result):
    /// getLearnedRoutes answers so (azure-rest-api-specs#34019).
    pub(crate) async fn await_async_operation(
        &self,
        url: Url,
        first_wait: Duration,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<(Option<AsyncOperationStatus>, Reply), ArmError> {
        let next = |r: &Reply| match read_status(r) {
            Ok(Polled::Running(_) | Polled::Accepted) => Some(self.poll_wait(r)),
            _ => None,
        };
        let mut wait = first_wait;
        loop {
            self.pause(wait, deadline, "the Azure operation").await?;
            let (reply, again) = self
                .call(&Req::get(url.clone()), deadline, sink, &next)
                .await?;
            let polled = read_status(&reply).map_err(|e| {
                ArmError::Protocol(format!("cannot read the operation status: {e}"))
            })?;
            if let Some(w) = again {
                tracing::debug!(status = %polled, "Azure operation still running");
                wait = w;
                continue;
            }
            let status = match polled {
                Polled::Result(body) => {
                    tracing::debug!("the operation answered its result without a status");
                    return Ok((None, Reply { body, ..reply }));
                }
                // `next` waits on both; a status answer is never left here
                // running.
                Polled::Running(s) | Polled::Ended(s) => s,
                Polled::Accepted => {
                    return Err(ArmError::Protocol(
                        "the operation answered 202 without a status and was not polled again"
                            .into(),
                    ));
                }
            };
            return match &status.status {
                AsyncStatus::Succeeded => Ok((Some(status), reply)),
                other => {
                    let why = status
                        .error
                        .as_ref()
                        .map(|e| {
                            format!(
                                "{}: {}",
                                e.code.as_deref().unwrap_or("no code"),
                                e.message.as_deref().unwrap_or("no message")
                            )
                        })
                        .unwrap_or_else(|| "no error details".to_owned());
                    Err(ArmError::OperationFailed(format!("{other}: {why}")))
                }
            };
        }
    }

    /// Polls a `Location` URL until it answers something other than 202
    /// (the result: 200 with a body, or 204).
    pub(crate) async fn await_location(
        &self,
        mut url: Url,
        first_wait: Duration,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<Reply, ArmError> {
        let next = |r: &Reply| (r.status == 202).then(|| self.poll_wait(r));
        let mut wait = first_wait;
        loop {
            self.pause(wait, deadline, "the Azure operation result")
                .await?;
            let (reply, again) = self
                .call(&Req::get(url.clone()), deadline, sink, &next)
                .await?;
            match again {
                Some(w) => {
                    if let Some(loc) = reply.header("location") {
                        url = self.follow(loc)?;
                    }
                    wait = w;
                }
                None => return Ok(reply),
            }
        }
    }

    /// A POST read (getLearnedRoutes, getAdvertisedRoutes,
    /// getBgpPeerStatus): a 200 answer is the result; a 202 is followed
    /// through `Location` when given, else through `Azure-AsyncOperation`.
    pub(crate) async fn post_read(
        &self,
        url: Url,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<Reply, ArmError> {
        self.post_operation(&Req::post(url), deadline, sink).await
    }

    /// A POST (with or without a body and a permit) whose 202 is
    /// followed as [`Http::post_read`] follows it: the polls are reads.
    pub(crate) async fn post_operation(
        &self,
        req: &Req<'_>,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<Reply, ArmError> {
        let next = |r: &Reply| (r.status == 202).then(|| self.poll_wait(r));
        let (reply, wait) = self.call(req, deadline, sink, &next).await?;
        let Some(wait) = wait else {
            return Ok(reply);
        };
        if let Some(loc) = reply.header("location") {
            let loc = self.follow(loc)?;
            return self.await_location(loc, wait, deadline, sink).await;
        }
        let Some(op) = reply.header("azure-asyncoperation") else {
            return Err(ArmError::Protocol(
                "ARM accepted the request (202) but gave neither Location nor Azure-AsyncOperation"
                    .into(),
            ));
        };
        let op = self.follow(op)?;
        match self.await_async_operation(op, wait, deadline, sink).await? {
            (Some(status), last) => self.result_of(&status, &last, deadline, sink).await,
            (None, result) => Ok(result),
        }
    }

    /// Where a POST operation that was tracked only by its status URL left
    /// its result: a `resourceLocation`, a `Location` on the last status
    /// answer, or the status body itself (`properties`, or a `value` list
    /// beside `status`). Never an empty result made up.
    async fn result_of(
        &self,
        status: &AsyncOperationStatus,
        last: &Reply,
        deadline: Deadline,
        sink: Sink<'_>,
    ) -> Result<Reply, ArmError> {
        let link = status
            .extra
            .get("resourceLocation")
            .and_then(Value::as_str)
            .or_else(|| last.header("location"));
        if let Some(link) = link {
            let url = self.follow(link)?;
            return self
                .await_location(url, Duration::ZERO, deadline, sink)
                .await;
        }
        let inline = match (status.extra.get("properties"), status.extra.get("value")) {
            // Operation-specific results: an object, a list or a value.
            (Some(p), _) if !p.is_null() => Some(p.clone()),
            (_, Some(v)) => Some(serde_json::json!({ "value": v })),
            _ => None,
        };
        match inline {
            Some(v) => Ok(Reply {
                body: v.to_string(),
                ..last.clone()
            }),
            None => Err(ArmError::Protocol(
                "the operation succeeded but ARM gave no result (no Location, no resourceLocation, no properties)"
                    .into(),
            )),
        }
    }
}

/// What one answer of an `Azure-AsyncOperation` URL says.
enum Polled {
    Running(AsyncOperationStatus),
    Ended(AsyncOperationStatus),
    /// No `status`, answered 200 with the operation's result (a `value`
    /// list, a `properties` member, or a bare list or value): it is done.
    /// Holds the result as a `Location` would answer it (`properties`
    /// unwrapped, as [`Http::result_of`] does).
    Result(String),
    /// No `status`, answered 202: still running, whatever the body holds
    /// (a half-made result is not the result).
    Accepted,
}

impl std::fmt::Display for Polled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Polled::Running(s) | Polled::Ended(s) => write!(f, "{}", s.status),
            Polled::Result(_) => f.write_str("(a result without status)"),
            Polled::Accepted => f.write_str("(202 without status)"),
        }
    }
}

fn read_status(reply: &Reply) -> Result<Polled, String> {
    // A 202 with an empty or unreadable body is still running, too.
    let v: Value = match serde_json::from_str(&reply.body) {
        Ok(v) => v,
        Err(_) if reply.status == 202 => return Ok(Polled::Accepted),
        Err(e) => return Err(e.to_string()),
    };
    if v.get("status").is_some() {
        let s: AsyncOperationStatus = serde_json::from_value(v).map_err(|e| e.to_string())?;
        return Ok(if s.is_terminal() {
            Polled::Ended(s)
        } else {
            Polled::Running(s)
        });
    }
    if reply.status == 202 {
        return Ok(Polled::Accepted);
    }
    match &v {
        Value::Object(o) => match (o.get("properties"), o.get("value")) {
            (Some(p), _) if !p.is_null() => Ok(Polled::Result(p.to_string())),
            (_, Some(Value::Array(_))) => Ok(Polled::Result(reply.body.clone())),
            _ => Err("no `status` and no result in the answer".into()),
        },
        Value::Null => Err("no `status` and no result in the answer".into()),
        // A bare list or value (a test's id, its details) is the result.
        _ => Ok(Polled::Result(reply.body.clone())),
    }
}
