//! Where things are: devices by runbook role, credential references, the
//! Azure resource ids. The inventory names environment variables, never
//! holds a secret itself.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

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
}

/// An inventory problem, with its position when there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct InventoryError {
    pub path: PathBuf,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl fmt::Display for InventoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path.display(),
                self.line,
                self.col,
                self.message
            )
        }
    }
}

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
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        let text = std::fs::read_to_string(path).map_err(|e| InventoryError {
            path: path.to_path_buf(),
            line: 0,
            col: 0,
            message: format!("cannot read: {e}"),
        })?;
        Self::from_str(&text, path)
    }

    /// Parses `text`; `path` is only used in messages.
    pub fn from_str(text: &str, path: &Path) -> Result<Self, InventoryError> {
        let err = |pos: Option<usize>, message: String| {
            let (line, col) = pos.map_or((0, 0), |p| line_col(text, p));
            InventoryError {
                path: path.to_path_buf(),
                line,
                col,
                message,
            }
        };
        let inv: Inventory = toml::from_str(text).map_err(|e| {
            let msg = e.message().trim().to_string();
            err(e.span().map(|s| s.start), msg)
        })?;
        for (name, d) in &inv.devices {
            if d.host.trim().is_empty() {
                return Err(err(
                    find_table(text, &format!("devices.{name}")),
                    format!("device `{name}`: `host` is empty"),
                ));
            }
            if d.port == Some(0) {
                return Err(err(
                    find_table(text, &format!("devices.{name}")),
                    format!("device `{name}`: port 0 is not a port"),
                ));
            }
        }
        if let Some(az) = &inv.azure {
            let at = find_table(text, "azure");
            if az.credential == Credential::TokenEnv && az.token_env.is_none() {
                return Err(err(at, "`credential = \"token-env\"` needs `token_env`, the name of the variable that holds the token".into()));
            }
            if az.credential == Credential::ClientSecret
                && (az.client_secret_env.is_none()
                    || az.tenant_id.is_none()
                    || az.client_id.is_none())
            {
                return Err(err(at, "`credential = \"client-secret\"` needs `tenant_id`, `client_id` and `client_secret_env`".into()));
            }
            if !endpoint_is_acceptable(&az.endpoint) {
                return Err(err(
                    at,
                    format!(
                        "`endpoint` must be an https:// URL (plain http only on a loopback address), got `{}`",
                        az.endpoint
                    ),
                ));
            }
        }
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

/// Byte offset of a `[name]` table header, for messages about the table.
fn find_table(text: &str, name: &str) -> Option<usize> {
    let header = format!("[{name}]");
    let mut pos = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(&header) {
            return Some(pos + (line.len() - line.trim_start().len()));
        }
        pos += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
redact = ["s3cret*"]

[devices.ce1]
platform = "junos"
host = "198.51.100.1"
port = 22
user = "netops"
identity = "~/.ssh/id_ed25519"
password_env = "CE1_PASSWORD"
known_hosts = "~/.ssh/known_hosts"

[devices.server]
platform = "linux"
host = "127.0.0.1"
port = 2222
trust_on_first_use = true

[azure]
subscription = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-er-lab"
circuit = "er-circuit-11"
gateway = "vpngw-hub-11"
connection = "cn-onprem-11"
credential = "token-env"
token_env = "CUTOVER_ARM_TOKEN"
"#;

    fn load(t: &str) -> Result<Inventory, InventoryError> {
        Inventory::from_str(t, Path::new("inv.toml"))
    }

    #[test]
    fn reads_the_contract_example() {
        let inv = load(GOOD).expect("valid");
        let ce1 = inv.device("ce1").expect("ce1");
        assert_eq!(ce1.platform, Platform::Junos);
        assert_eq!(ce1.password_env.as_deref(), Some("CE1_PASSWORD"));
        let az = inv.azure.expect("azure");
        assert_eq!(az.peering, "AzurePrivatePeering");
        assert_eq!(az.api_version, "2024-05-01");
        assert_eq!(az.endpoint, "https://management.azure.com");
        assert_eq!(az.credential, Credential::TokenEnv);
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let t = GOOD.replace("port = 2222", "prot = 2222");
        let e = load(&t).expect_err("unknown key");
        assert_eq!((e.line, e.col), (16, 1), "{e}");
        assert!(e.to_string().starts_with("inv.toml:16:1: "), "{e}");
        assert!(e.message.contains("prot"), "{e}");
    }

    #[test]
    fn bad_platform_and_missing_token_env() {
        let e = load(&GOOD.replace("\"linux\"", "\"ios\"")).expect_err("bad platform");
        assert_eq!(e.line, 14, "{e}");
        let e = load(&GOOD.replace("token_env = \"CUTOVER_ARM_TOKEN\"\n", ""))
            .expect_err("no token_env");
        assert_eq!(e.line, 19, "{e}");
        assert!(e.message.contains("token_env"));
    }

    #[test]
    fn plain_http_only_on_loopback() {
        let t = GOOD.replace("[azure]\n", "[azure]\nendpoint = \"http://example.com\"\n");
        assert!(load(&t).is_err());
        let t = GOOD.replace(
            "[azure]\n",
            "[azure]\nendpoint = \"http://127.0.0.1:8080\"\n",
        );
        assert!(load(&t).is_ok());
        for bad in [
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example",
            "ftp://127.0.0.1",
            "not a url",
        ] {
            let t = GOOD.replace("[azure]\n", &format!("[azure]\nendpoint = \"{bad}\"\n"));
            assert!(load(&t).is_err(), "{bad} accepted");
        }
        let t = GOOD.replace("[azure]\n", "[azure]\nendpoint = \"http://[::1]:8080\"\n");
        assert!(load(&t).is_ok());
    }

    #[test]
    fn line_col_counts_characters() {
        assert_eq!(line_col("ab\ncé d", 6), (2, 3));
        assert_eq!(line_col("x", 99), (1, 2));
    }
}
