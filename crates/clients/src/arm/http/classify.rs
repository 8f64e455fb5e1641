//! An error answer as a classified [`ArmError`]: the class by HTTP
//! status, the words from ARM's CloudError, and the ids a support case
//! needs.

use std::fmt::Write as _;

use cutover_core::model::azure::CloudError;
use cutover_engine::port::{ArmError, RequestIds};

/// An error answer as an [`ArmError`]: the class by HTTP status, the text
/// from the CloudError (or the start of a body that is not one) and the
/// ids a support case needs.
pub(crate) fn classify(
    status: u16,
    cloud: Option<&CloudError>,
    body: &str,
    ids: &RequestIds,
) -> ArmError {
    let described = cloud.filter(|c| c.code().is_some() || c.message().is_some());
    let mut message = match described {
        Some(c) => c.to_string(),
        None if body.trim().is_empty() => format!("HTTP {status} with an empty body"),
        None => format!("HTTP {status}: {}", snippet(body)),
    };
    let mut extra = Vec::new();
    if let Some(id) = &ids.correlation_id {
        extra.push(format!("correlation id {id}"));
    }
    if let Some(id) = &ids.request_id {
        extra.push(format!("request id {id}"));
    }
    if !extra.is_empty() {
        let _ = write!(message, " [{}]", extra.join(", "));
    }
    match status {
        401 | 403 => ArmError::Auth(message),
        404 => ArmError::NotFound(message),
        412 => ArmError::PreconditionFailed(message),
        409 => ArmError::Conflict(message),
        429 => ArmError::Throttled(message),
        400 => ArmError::Refused(message),
        _ => ArmError::Api {
            status,
            code: described
                .and_then(CloudError::code)
                .unwrap_or_default()
                .to_owned(),
            message,
        },
    }
}

/// At most 300 characters of a body, on one line.
fn snippet(body: &str) -> String {
    let one_line: String = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(300)
        .collect();
    one_line
}
