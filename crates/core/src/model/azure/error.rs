//! CloudError (every non-2xx body) and the Azure-AsyncOperation status body.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::AsyncStatus;

/// An ARM error body, `{"error": {...}}`. Read leniently: any member may be
/// missing and unknown ones are kept.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct CloudError {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CloudErrorBody>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// CloudErrorBody; recursive through `details`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CloudErrorBody {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<Vec<CloudErrorBody>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_info: Option<Vec<ErrorAdditionalInfo>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One `additionalInfo` item of the common ErrorResponse shape.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ErrorAdditionalInfo {
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub info_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub info: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl CloudError {
    /// A body with just a code and a message (what the emulator sends).
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            error: Some(CloudErrorBody {
                code: Some(code.into()),
                message: Some(message.into()),
                ..CloudErrorBody::default()
            }),
            extra: Map::new(),
        }
    }

    /// The error code. Some services send the body without the `error`
    /// wrapper, so a top-level `code` counts too.
    pub fn code(&self) -> Option<&str> {
        self.error
            .as_ref()
            .and_then(|e| e.code.as_deref())
            .or_else(|| self.top_str("code"))
    }

    /// The error message, with the same fallback as [`Self::code`].
    pub fn message(&self) -> Option<&str> {
        self.error
            .as_ref()
            .and_then(|e| e.message.as_deref())
            .or_else(|| self.top_str("message"))
    }

    fn top_str(&self, key: &str) -> Option<&str> {
        self.extra.get(key).and_then(Value::as_str)
    }

    /// Whether `code` appears anywhere in the body, `details` included
    /// (ASCII case-insensitively, as ARM codes are compared).
    pub fn has_code(&self, code: &str) -> bool {
        self.code().is_some_and(|c| c.eq_ignore_ascii_case(code))
            || self.error.as_ref().is_some_and(|e| e.has_code(code))
    }
}

impl CloudErrorBody {
    /// Whether this body or any nested detail carries `code`.
    pub fn has_code(&self, code: &str) -> bool {
        // Iterative: a hostile body could nest `details` deeply.
        let mut stack = vec![self];
        while let Some(b) = stack.pop() {
            if b.code
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(code))
            {
                return true;
            }
            stack.extend(b.details.iter().flatten());
        }
        false
    }
}

impl fmt::Display for CloudError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.code(), self.message()) {
            (Some(c), Some(m)) => write!(f, "{c}: {m}"),
            (Some(c), None) => f.write_str(c),
            (None, Some(m)) => f.write_str(m),
            (None, None) => f.write_str("ARM error without code or message"),
        }
    }
}

/// The body of a GET on an `Azure-AsyncOperation` URL (always HTTP 200).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AsyncOperationStatus {
    pub status: AsyncStatus,
    /// Present when the status is Failed or Canceled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CloudErrorBody>,
    /// `id`, `name`, `startTime`, `endTime`, `percentComplete`, ...
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl AsyncOperationStatus {
    pub fn new(status: AsyncStatus) -> Self {
        Self {
            status,
            error: None,
            extra: Map::new(),
        }
    }

    pub fn is_terminal(&self) -> bool {
        self.status.is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_error_bodies() {
        let e: CloudError = serde_json::from_value(json!({})).expect("empty is fine");
        assert_eq!(e.code(), None);
        assert_eq!(e.to_string(), "ARM error without code or message");

        let e: CloudError =
            serde_json::from_value(json!({"code": "Conflict", "message": "busy"})).expect("parses");
        assert_eq!(e.code(), Some("Conflict"));
        assert_eq!(e.to_string(), "Conflict: busy");

        let e: CloudError = serde_json::from_value(json!({"error": {
            "code": "InvalidRequestFormat", "details": [{"code": "InvalidJson", "details": null}],
            "additionalInfo": [{"type": "PolicyViolation", "info": {"x": 1}}], "innererror": "s"
        }}))
        .expect("parses");
        assert!(e.has_code("invalidjson"));
        assert!(!e.has_code("Conflict"));
        let info = &e
            .error
            .as_ref()
            .and_then(|b| b.additional_info.clone())
            .unwrap_or_default();
        assert_eq!(
            info.first().and_then(|i| i.info_type.as_deref()),
            Some("PolicyViolation")
        );
    }

    #[test]
    fn async_status_round_trips() {
        let v = json!({"status": "Deferred", "percentComplete": 50, "error": {"code": "X"}});
        let s: AsyncOperationStatus = serde_json::from_value(v.clone()).expect("parses");
        assert_eq!(s.status, AsyncStatus::Other("Deferred".into()));
        assert!(!s.is_terminal());
        assert_eq!(serde_json::to_value(&s).expect("serializes"), v);
        assert!(serde_json::from_value::<AsyncOperationStatus>(json!({})).is_err());
    }
}
