//! An ARM answer before it becomes an HTTP response: status, an optional
//! JSON body, headers. Errors are `CloudError` bodies built from the
//! crate's wire types, so the ARM client reads exactly what it would read
//! from Azure.

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use cutover_core::model::azure::{CloudError, CloudErrorBody};

pub(super) const AZURE_ASYNC_OPERATION: HeaderName =
    HeaderName::from_static("azure-asyncoperation");
pub(super) const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");

#[derive(Debug)]
pub(super) struct Reply {
    pub status: StatusCode,
    /// Boxed, as are the headers in a Vec, to keep `Result<_, Reply>` small.
    pub body: Option<Box<Value>>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// A scenario fault on how the answer leaves (or does not).
    pub mangle: Mangle,
}

/// What a fault does to an answer on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mangle {
    None,
    /// The JSON body cut in the middle: not JSON any more.
    Truncate,
    /// No answer: the connection is closed instead.
    Reset,
}

impl Reply {
    /// `status` with `value` as the JSON body. A value that cannot be
    /// serialized (it never happens with the wire types) is a 500, not a
    /// panic.
    pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Self {
        match serde_json::to_value(value) {
            Ok(body) => Self {
                status,
                body: Some(Box::new(body)),
                headers: Vec::new(),
                mangle: Mangle::None,
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize an ARM answer");
                Self::error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "InternalServerError",
                    "The lab could not encode its answer.",
                )
            }
        }
    }

    /// `status` without a body (202 of a running operation).
    pub fn empty(status: StatusCode) -> Self {
        Self {
            status,
            body: None,
            headers: Vec::new(),
            mangle: Mangle::None,
        }
    }

    /// An ARM error: `{"error": {"code", "message"}}`.
    pub fn error(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::cloud_error(status, CloudError::new(code, message))
    }

    /// An error as the Network resource provider writes it: with an empty
    /// `details` list.
    pub fn rp_error(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self::error_with_details(status, code, message, Vec::new())
    }

    pub fn error_with_details(
        status: StatusCode,
        code: &str,
        message: impl Into<String>,
        details: Vec<CloudErrorBody>,
    ) -> Self {
        let mut e = CloudError::new(code, message);
        if let Some(body) = e.error.as_mut() {
            body.details = Some(details);
        }
        Self::cloud_error(status, e)
    }

    fn cloud_error(status: StatusCode, e: CloudError) -> Self {
        // CloudError is plain data; should encoding ever fail, the status
        // alone still tells the client what happened.
        Self {
            status,
            body: serde_json::to_value(&e).ok().map(Box::new),
            headers: Vec::new(),
            mangle: Mangle::None,
        }
    }

    /// Adds a header; a value that is not a valid header value is dropped
    /// with a log line rather than failing the answer.
    pub fn header(mut self, name: HeaderName, value: impl AsRef<str>) -> Self {
        match HeaderValue::from_str(value.as_ref()) {
            Ok(v) => {
                self.headers.retain(|(n, _)| *n != name);
                self.headers.push((name, v));
            }
            Err(_) => tracing::warn!(header = %name, "dropping an invalid header value"),
        }
        self
    }

    pub fn etag(self, etag: Option<&str>) -> Self {
        match etag {
            Some(e) => self.header(ETAG, e),
            None => self,
        }
    }

    pub fn retry_after(self, seconds: u32) -> Self {
        self.header(RETRY_AFTER, seconds.to_string())
    }

    pub fn is_error(&self) -> bool {
        !self.status.is_success()
    }

    /// The error code of an error answer, for the log.
    pub fn error_code(&self) -> Option<&str> {
        self.body
            .as_ref()
            .and_then(|b| b.get("error"))
            .and_then(|e| e.get("code"))
            .and_then(Value::as_str)
    }

    pub fn into_response(self) -> Response {
        let (body, json) = match (&self.body, self.mangle) {
            (Some(v), Mangle::Truncate) => {
                let text = v.to_string();
                let mut cut = text.len() / 2;
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                (Body::from(text[..cut].to_owned()), true)
            }
            (None, Mangle::Truncate) => (Body::from("<html><body>Bad Gateway"), true),
            (Some(v), _) => (Body::from(v.to_string()), true),
            (None, _) => (Body::empty(), false),
        };
        let mut resp = Response::new(body);
        *resp.status_mut() = self.status;
        let h = resp.headers_mut();
        for (name, value) in self.headers {
            h.insert(name, value);
        }
        h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        if json {
            h.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
        }
        resp
    }
}

/// A `details` item of an `InvalidRequestFormat` error.
pub(super) fn detail(code: &str, message: impl Into<String>) -> CloudErrorBody {
    CloudErrorBody {
        code: Some(code.to_owned()),
        message: Some(message.into()),
        ..CloudErrorBody::default()
    }
}
