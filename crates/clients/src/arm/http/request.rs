//! One request to send and one answer, and what a write's record reads
//! off them.

use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use serde_json::Value;
use time::OffsetDateTime;

use super::super::retry::parse_retry_after;
use cutover_core::azure_call::{FieldChange, WriteRecord};
use cutover_engine::port::{RequestIds, SendPermit};

/// One HTTP answer.
#[derive(Debug, Clone)]
pub(crate) struct Reply {
    pub status: u16,
    /// Which token the request carried (a hash, never the token).
    pub token_id: u64,
    pub headers: HeaderMap,
    pub body: String,
    pub ids: RequestIds,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }

    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| parse_retry_after(v, OffsetDateTime::now_utc()))
    }
}

/// One request to send (and resend).
#[derive(Debug, Clone)]
pub(crate) struct Req<'a> {
    pub method: Method,
    pub url: Url,
    pub body: Option<&'a Value>,
    pub if_match: Option<&'a str>,
    /// For a write: the fields its body changes (journaled, not sent).
    pub changes: &'a [FieldChange],
    /// For a write: asked right before every attempt goes out, and told
    /// how each was answered.
    pub permit: Option<&'a SendPermit>,
}

impl<'a> Req<'a> {
    pub fn get(url: Url) -> Self {
        Self {
            method: Method::GET,
            url,
            body: None,
            if_match: None,
            changes: &[],
            permit: None,
        }
    }

    pub fn post(url: Url) -> Self {
        Self {
            method: Method::POST,
            ..Self::get(url)
        }
    }

    pub fn put(url: Url, body: &'a Value, if_match: &'a str, changes: &'a [FieldChange]) -> Self {
        Self {
            method: Method::PUT,
            url,
            body: Some(body),
            if_match: Some(if_match),
            changes,
            permit: None,
        }
    }

    /// A PUT, or any request sent under a permit (the failover test's
    /// start and stop POSTs): its lost answer is never resent blind.
    pub(super) fn is_write(&self) -> bool {
        self.method == Method::PUT || self.permit.is_some()
    }

    /// The request side of a write's record (`None` for a read).
    pub(super) fn write_record(&self) -> Option<WriteRecord> {
        self.is_write().then(|| WriteRecord {
            if_match: self.if_match.map(str::to_owned),
            changes: self.changes.to_vec(),
            ..WriteRecord::default()
        })
    }

    /// Sends each attempt only while `permit` allows it.
    pub fn permitted(self, permit: &'a SendPermit) -> Self {
        Self {
            permit: Some(permit),
            ..self
        }
    }
}

pub(super) fn is_garbled(body: &str) -> bool {
    !body.trim().is_empty() && serde_json::from_str::<serde::de::IgnoredAny>(body).is_err()
}

/// The answer side of a write's record: the new etag (the header, else
/// the body's) and the body's `provisioningState`.
pub(super) fn answered(w: &mut WriteRecord, reply: &Reply) {
    let body = serde_json::from_str::<Value>(&reply.body).ok();
    w.etag = reply
        .header("etag")
        .map(str::to_owned)
        .or_else(|| body.as_ref()?.get("etag")?.as_str().map(str::to_owned));
    w.provisioning_state = body
        .as_ref()
        .and_then(|b| b.pointer("/properties/provisioningState")?.as_str())
        .map(str::to_owned);
}
