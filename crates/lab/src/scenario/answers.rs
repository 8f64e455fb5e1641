//! How the lab's ARM API words what real ARM words in more than one way
//! (`[arm]` `operations`, `result_without_status`, `etag_form`), so that a
//! drill meets each form a client must read.

use serde::Deserialize;

/// The `[arm]` answer forms; the defaults are ARM's usual ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArmAnswers {
    pub operations: OperationHeaders,
    /// A finished gateway read (learned or advertised routes, BGP peers)
    /// answers its result at the `Azure-AsyncOperation` URL, without a
    /// `status` (azure-rest-api-specs#34019).
    pub result_without_status: bool,
    pub etag_form: EtagForm,
}

/// Which URLs an accepted long-running operation points at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OperationHeaders {
    /// `Azure-AsyncOperation` and `Location`, as the network RP answers.
    #[default]
    Both,
    /// Only `Azure-AsyncOperation`: a status body; a read's result is the
    /// status body's `properties`.
    AzureAsyncOperation,
    /// Only `Location`: 202 while running, then the result.
    Location,
}

impl OperationHeaders {
    pub fn status_url(self) -> bool {
        matches!(self, Self::Both | Self::AzureAsyncOperation)
    }

    pub fn location_url(self) -> bool {
        matches!(self, Self::Both | Self::Location)
    }
}

/// How an etag is written around its GUID.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EtagForm {
    /// `W/"guid"`, as ARM writes it.
    #[default]
    Weak,
    /// `"guid"`.
    Strong,
    /// `guid`, no quotes.
    Unquoted,
    /// `w/\guid\`, as the official ExpressRouteCircuitGet example writes it.
    Backslashed,
}

impl EtagForm {
    pub fn write(self, guid: &str) -> String {
        match self {
            Self::Weak => format!("W/\"{guid}\""),
            Self::Strong => format!("\"{guid}\""),
            Self::Unquoted => guid.to_owned(),
            Self::Backslashed => format!("w/\\{guid}\\"),
        }
    }
}
