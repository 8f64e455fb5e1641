//! What an ARM call is, as cutover records it and as an operator would
//! type it by hand. The clients fill these in; the journal, the console and
//! the report read them.

use serde::{Deserialize, Serialize};

/// Identifiers that tie a call to Azure's own logs (for the journal and for
/// a support case).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestIds {
    /// `x-ms-client-request-id` we sent.
    pub client_request_id: Option<String>,
    /// `x-ms-request-id` Azure returned.
    pub request_id: Option<String>,
    /// `x-ms-correlation-request-id` Azure returned.
    pub correlation_id: Option<String>,
}

/// One HTTP exchange of an ARM operation, reported as it happens so the
/// journal records retries and throttling while they occur.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArmAttempt {
    pub method: String,
    /// Path and query, without host (never carries a token).
    pub path: String,
    pub status: u16,
    /// The ARM error code, when the answer was an error.
    pub error_code: Option<String>,
    /// How long the client waits before the next attempt, when it retries.
    pub retry_after_ms: Option<u64>,
    pub ids: RequestIds,
}

/// The same change, typed by a human.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManualCommands {
    pub az_cli: String,
    pub powershell: String,
}
