//! Where things are: devices by runbook role, credential references, the
//! Azure resource ids. The inventory names environment variables, never
//! holds a secret itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runbook::diag::{Diagnostic, Diagnostics, Pos};

mod check;
pub(crate) use check::is_api_version;

pub use check::{MIN_REDACT_LITERAL, expand_home, position, redact_is_narrow};

/// A device platform: decides how a semantic query becomes a CLI command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    Junos,
    Linux,
}

/// One device, reachable over SSH.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    pub platform: Platform,
    /// A host name, an address, or a `Host` alias of `~/.ssh/config`.
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub user: Option<String>,
    /// Private key file (OpenSSH, PKCS#8 or PuTTY).
    #[serde(default)]
    pub identity: Option<PathBuf>,
    /// Environment variable holding the identity's passphrase.
    #[serde(default)]
    pub passphrase_env: Option<String>,
    /// Environment variable holding the password (tried after keys and the agent).
    #[serde(default)]
    pub password_env: Option<String>,
    #[serde(default)]
    pub known_hosts: Option<PathBuf>,
    /// Accept and record an unknown host key (a changed key is always refused).
    #[serde(default)]
    pub trust_on_first_use: bool,
}

/// How to obtain an ARM token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Credential {
    #[default]
    AzureCli,
    DeveloperTools,
    ManagedIdentity,
    ClientSecret,
    WorkloadIdentity,
    TokenEnv,
}

fn default_endpoint() -> String {
    "https://management.azure.com".to_string()
}

fn default_peering() -> String {
    "AzurePrivatePeering".to_string()
}

fn default_api_version() -> String {
    crate::azure_call::API_VERSION.to_string()
}

/// The Azure side of the procedure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Azure {
    #[serde(default = "default_endpoint")]
    pub endpoint: String,
    pub subscription: String,
    pub resource_group: String,
    /// The ExpressRoute circuit's name.
    pub circuit: String,
    /// The peering to toggle, by name (never by list position).
    #[serde(default = "default_peering")]
    pub peering: String,
    /// The VPN gateway.
    pub gateway: String,
    /// The VPN connection.
    pub connection: String,
    #[serde(default)]
    pub credential: Credential,
    /// With `credential = "token-env"`: the variable holding a bearer token.
    #[serde(default)]
    pub token_env: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// With `credential = "client-secret"`: the variable holding the secret.
    #[serde(default)]
    pub client_secret_env: Option<String>,
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// How long one ARM request may take (`20s` when absent): a read
    /// that takes longer is abandoned and asked again, a write is
    /// re-read before anything else is sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<String>,
}

impl Azure {
    /// The default of `request_timeout`: ARM answers a read in well under
    /// a second and accepts a PUT in a few; 20 s leaves room for a slow
    /// region without letting a hung connection hold a rollback.
    pub const DEFAULT_REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);
    /// The bounds `request_timeout` is held to (checked at load).
    pub const REQUEST_TIMEOUT_RANGE: (std::time::Duration, std::time::Duration) = (
        std::time::Duration::from_secs(1),
        std::time::Duration::from_secs(300),
    );

    /// `request_timeout`, or its default (a value the load refused never
    /// gets here; should one, the default stands).
    pub fn request_timeout(&self) -> std::time::Duration {
        self.request_timeout
            .as_deref()
            .and_then(|t| crate::runbook::Duration::parse(t).ok())
            .map_or(Self::DEFAULT_REQUEST_TIMEOUT, |d| d.as_std())
    }
}

/// `[journal]`: how sessions sign their journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JournalSettings {
    /// The SSH key that signs the journal, as `--sign-key` (which wins): a
    /// private key file, or a public key whose private half is in the
    /// ssh-agent. `~/` is the home directory.
    #[serde(default)]
    pub sign_key: Option<PathBuf>,
}

/// The whole inventory file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    /// Extra strings to scrub from everything cutover writes (literal text;
    /// `*` matches any run of non-space characters).
    #[serde(default)]
    pub redact: Vec<String>,
    #[serde(default)]
    pub devices: BTreeMap<String, Device>,
    pub azure: Option<Azure>,
    #[serde(default)]
    pub journal: JournalSettings,
}

/// Every inventory problem found, each at `path:line:col`: the runbook
/// validator's diagnostics, so both files report alike.
pub type InventoryError = Diagnostics;

/// 1-based line and column (in characters) of byte offset `pos`.
pub fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let mut end = pos.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

impl Inventory {
    /// Reads and checks the file, including that the files it names
    /// (`identity`, `known_hosts`) exist.
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostics::whole_file(path.display().to_string(), format!("cannot read: {e}"))
        })?;
        Self::parse(&text, path, true)
    }

    /// Parses and checks `text`; `path` is only used in messages. The
    /// files it names are not looked for: see [`Inventory::load`].
    pub fn from_str(text: &str, path: &Path) -> Result<Self, InventoryError> {
        Self::parse(text, path, false)
    }

    fn parse(text: &str, path: &Path, files: bool) -> Result<Self, InventoryError> {
        let inv: Inventory = toml::from_str(text).map_err(|e| {
            let (line, col) = e.span().map_or((0, 0), |s| line_col(text, s.start));
            Diagnostics {
                file: path.display().to_string(),
                items: vec![Diagnostic {
                    pos: (line > 0).then_some(Pos { line, col }),
                    message: e.message().trim().to_string(),
                }],
            }
        })?;
        let mut checker = check::Checker::new(text);
        checker.inventory(&inv, files);
        checker.finish(path)?;
        Ok(inv)
    }

    pub fn device(&self, role: &str) -> Option<&Device> {
        self.devices.get(role)
    }
}

/// https anywhere; plain http only to a loopback address (the lab), where
/// the bearer token cannot leave the machine.
fn endpoint_is_acceptable(endpoint: &str) -> bool {
    let Ok(url) = url::Url::parse(endpoint) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    match url.scheme() {
        "https" => true,
        "http" => {
            host.eq_ignore_ascii_case("localhost")
                || host
                    .trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|a| a.is_loopback())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests;
