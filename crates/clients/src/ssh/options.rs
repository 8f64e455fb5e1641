//! How the client is configured: timeouts, where OpenSSH's files are, and
//! the secrets it may read. Kept apart from the client so tests and drills
//! can build options without touching the process environment.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Environment variables that hold secrets, looked up by the names the
/// inventory gives (`passphrase_env`, `password_env`). Values set here win
/// over the process environment, so a drill or a test can hand the client a
/// secret without exporting it. `Debug` shows names, never values.
#[derive(Clone, Default)]
pub struct SecretEnv {
    vars: BTreeMap<String, String>,
    /// Whether the process environment is consulted after `vars`.
    inherit: bool,
}

impl SecretEnv {
    /// Looks names up in the process environment.
    pub fn process() -> Self {
        Self {
            vars: BTreeMap::new(),
            inherit: true,
        }
    }

    /// Looks names up only among values given with [`SecretEnv::with`].
    pub fn isolated() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a variable.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    pub fn get(&self, name: &str) -> Option<String> {
        if let Some(v) = self.vars.get(name) {
            return Some(v.clone());
        }
        if self.inherit {
            return std::env::var(name).ok();
        }
        None
    }
}

impl fmt::Debug for SecretEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretEnv")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .field("inherit", &self.inherit)
            .finish()
    }
}

/// How the client behaves; [`SshOptions::default`] reads what OpenSSH
/// would from the environment, [`SshOptions::isolated`] nothing.
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// TCP connect plus SSH handshake, per hop.
    pub connect_timeout: Duration,
    /// All authentication attempts, per hop.
    pub auth_timeout: Duration,
    /// One command, from opening its channel to the last byte.
    pub command_timeout: Duration,
    /// Keepalive sent after this much silence from the server.
    pub keepalive_interval: Duration,
    /// Unanswered keepalives before the connection is declared dead.
    pub keepalive_max: usize,
    /// Output (stdout + stderr) above this is refused rather than buffered.
    pub max_output_bytes: usize,
    /// Anchors `~`, `%d`, the default config, known_hosts and key files.
    pub home: Option<PathBuf>,
    /// The ssh config file to read; `None` reads none.
    pub ssh_config: Option<PathBuf>,
    /// The ssh-agent socket; `None` skips the agent.
    pub agent_socket: Option<PathBuf>,
    /// Offer `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa` when neither the
    /// inventory nor the config names a key.
    pub default_identities: bool,
    /// The user to log in as when neither the inventory nor the config
    /// names one.
    pub local_user: Option<String>,
    pub secrets: SecretEnv,
}

impl Default for SshOptions {
    fn default() -> Self {
        let home = std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(PathBuf::from);
        Self {
            ssh_config: home.as_ref().map(|h| h.join(".ssh").join("config")),
            agent_socket: std::env::var_os("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            default_identities: true,
            local_user: std::env::var("USER")
                .or_else(|_| std::env::var("LOGNAME"))
                .ok()
                .filter(|u| !u.is_empty()),
            secrets: SecretEnv::process(),
            home,
            ..Self::isolated()
        }
    }
}

impl SshOptions {
    /// Nothing from the process environment: no home, config, agent,
    /// default keys or secrets beyond what the caller sets. For drills
    /// against the lab and for tests.
    pub fn isolated() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            auth_timeout: Duration::from_secs(20),
            command_timeout: Duration::from_secs(60),
            keepalive_interval: Duration::from_secs(15),
            keepalive_max: 3,
            max_output_bytes: 1 << 30,
            home: None,
            ssh_config: None,
            agent_socket: None,
            default_identities: false,
            local_user: None,
            secrets: SecretEnv::isolated(),
        }
    }
}
