//! The production SSH client: one [`SshDevice`] per inventory device, over
//! russh, with OpenSSH's ways of saying where and how to log in
//! (`~/.ssh/config`, known_hosts, identity files, ssh-agent).
//!
//! One connection per device is kept and shared by every command (each on
//! its own `exec` channel, so probes of one device may run at once); a
//! command that fails because the connection died is retried once on a
//! fresh connection. Commands therefore must be safe to run twice: the
//! procedure only sends read-only `show` and `traceroute` commands.

pub mod config;
pub mod known_hosts;

mod auth;
mod hmac_sha1;
mod pattern;
mod session;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use russh::client::{self, Handle};
use tokio::sync::Mutex;

use cutover_core::inventory::Device;
use cutover_engine::port::{CommandOutput, DeviceError, DeviceSession};

use auth::{Credentials, Identity};
use config::{JumpHop, Tokens};
use session::{Client, ClientError, Connection, ExecError, HostKeyPolicy};

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

/// One hop of the way to a device: jump hosts first, the device last.
#[derive(Debug, Clone)]
struct Hop {
    /// The name as written (inventory host or ProxyJump entry).
    alias: String,
    host: String,
    port: u16,
    creds: Credentials,
}

impl Hop {
    fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// What a connection at the moment looks like, for the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// `user@host:port`, with ` via ` and the jump hosts.
    pub target: String,
    /// The method that logged in on the device (`publickey (path)`,
    /// `agent (comment)`, `password`, ...).
    pub auth_method: String,
    /// How many connections this device has opened so far (1 = never
    /// reconnected).
    pub connections: u64,
}

/// A device reached over SSH (production and drills alike).
pub struct SshDevice {
    role: String,
    hops: Vec<Hop>,
    policy: HostKeyPolicy,
    options: SshOptions,
    conn: Mutex<Option<Arc<Connection>>>,
    opened: AtomicU64,
}

impl fmt::Debug for SshDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SshDevice")
            .field("role", &self.role)
            .field("target", &self.target())
            .field("known_hosts", &self.policy.known_hosts)
            .finish()
    }
}

/// Inputs of the resolution of one device's hops.
struct Resolver<'a> {
    options: &'a SshOptions,
    device: &'a Device,
}

/// ProxyJump chains longer than this are taken for a loop.
const MAX_JUMPS: usize = 8;

impl Resolver<'_> {
    fn local_user(&self) -> Result<String, String> {
        self.options.local_user.clone().ok_or_else(|| {
            "no user to log in as: set `user` in the inventory or `User` in the ssh config".into()
        })
    }

    fn lookup(&self, alias: &str) -> Result<config::HostConfig, String> {
        match &self.options.ssh_config {
            Some(path) => {
                config::lookup(path, alias, self.options.home.as_deref()).map_err(|e| e.to_string())
            }
            None => Ok(config::HostConfig::default()),
        }
    }

    fn expand(
        &self,
        raw: &str,
        alias: &str,
        host: &str,
        port: u16,
        user: &str,
    ) -> Result<PathBuf, String> {
        let local = self.options.local_user.clone().unwrap_or_default();
        config::expand_path(
            raw,
            &Tokens {
                home: self.options.home.as_deref(),
                host,
                alias,
                port,
                remote_user: user,
                local_user: &local,
            },
        )
    }

    /// The device's own identity (or OpenSSH's defaults): what a hop with
    /// no key of its own in the config offers.
    fn fallback_identities(
        &self,
        alias: &str,
        host: &str,
        port: u16,
        user: &str,
    ) -> Result<Vec<Identity>, String> {
        if let Some(p) = &self.device.identity {
            let raw = p.to_string_lossy();
            return Ok(vec![Identity {
                path: self.expand(&raw, alias, host, port, user)?,
                explicit: true,
            }]);
        }
        Ok(
            match (&self.options.home, self.options.default_identities) {
                (Some(home), true) => auth::default_identities(home),
                _ => Vec::new(),
            },
        )
    }

    fn credentials(&self, user: String, identities: Vec<Identity>) -> Credentials {
        Credentials {
            user,
            identities,
            passphrase_env: self.device.passphrase_env.clone(),
            password_env: self.device.password_env.clone(),
            agent_socket: self.options.agent_socket.clone(),
        }
    }

    /// The hops to the device, and its known_hosts file.
    fn device_hops(&self) -> Result<(Vec<Hop>, PathBuf), String> {
        let alias = self.device.host.as_str();
        let cfg = self.lookup(alias)?;
        let host = cfg.host_name.clone().unwrap_or_else(|| alias.to_string());
        let port = self.device.port.or(cfg.port).unwrap_or(22);
        let user = match self.device.user.clone().or(cfg.user.clone()) {
            Some(u) => u,
            None => self.local_user()?,
        };
        let identities = if self.device.identity.is_some() || cfg.identity_files.is_empty() {
            self.fallback_identities(alias, &host, port, &user)?
        } else {
            self.config_identities(&cfg, alias, &host, port, &user)?
        };
        let known_hosts = match (
            &self.device.known_hosts,
            &cfg.user_known_hosts_file,
            &self.options.home,
        ) {
            (Some(p), _, _) => self.expand(&p.to_string_lossy(), alias, &host, port, &user)?,
            (None, Some(raw), _) => self.expand(raw, alias, &host, port, &user)?,
            (None, None, Some(home)) => home.join(".ssh").join("known_hosts"),
            (None, None, None) => {
                return Err("no known_hosts file: set `known_hosts` in the inventory".into());
            }
        };
        let mut hops = match &cfg.proxy_jump {
            Some(spec) => self.jump_chain(spec, 0)?,
            None => Vec::new(),
        };
        hops.push(Hop {
            alias: alias.to_string(),
            host,
            port,
            creds: self.credentials(user, identities),
        });
        Ok((hops, known_hosts))
    }

    fn config_identities(
        &self,
        cfg: &config::HostConfig,
        alias: &str,
        host: &str,
        port: u16,
        user: &str,
    ) -> Result<Vec<Identity>, String> {
        cfg.identity_files
            .iter()
            .map(|raw| {
                Ok(Identity {
                    path: self.expand(raw, alias, host, port, user)?,
                    explicit: true,
                })
            })
            .collect()
    }

    /// Hops for a ProxyJump list: the first hop's own ProxyJump applies
    /// (OpenSSH connects to it with a plain `ssh`), the later ones are
    /// reached through the list itself.
    fn jump_chain(&self, spec: &str, depth: usize) -> Result<Vec<Hop>, String> {
        let list = config::parse_proxy_jump(spec)?;
        let mut hops = Vec::new();
        for (i, hop) in list.iter().enumerate() {
            hops.extend(self.jump_hop(hop, i == 0, depth + 1)?);
        }
        Ok(hops)
    }

    fn jump_hop(
        &self,
        spec: &JumpHop,
        follow_own_jump: bool,
        depth: usize,
    ) -> Result<Vec<Hop>, String> {
        if depth > MAX_JUMPS {
            return Err(format!(
                "ProxyJump chain longer than {MAX_JUMPS} hops (a loop?)"
            ));
        }
        let cfg = self.lookup(&spec.host)?;
        let host = cfg.host_name.clone().unwrap_or_else(|| spec.host.clone());
        let port = spec.port.or(cfg.port).unwrap_or(22);
        let user = match spec.user.clone().or(cfg.user.clone()) {
            Some(u) => u,
            None => self.local_user()?,
        };
        let identities = if cfg.identity_files.is_empty() {
            self.fallback_identities(&spec.host, &host, port, &user)?
        } else {
            self.config_identities(&cfg, &spec.host, &host, port, &user)?
        };
        let mut hops = match (&cfg.proxy_jump, follow_own_jump) {
            (Some(own), true) => self.jump_chain(own, depth)?,
            _ => Vec::new(),
        };
        hops.push(Hop {
            alias: spec.host.clone(),
            host,
            port,
            creds: self.credentials(user, identities),
        });
        Ok(hops)
    }
}

impl SshDevice {
    /// Resolves the device's address, user, keys, jump hosts and known_hosts
    /// file (inventory values first, then the ssh config, then defaults).
    /// Nothing is contacted until the first command.
    ///
    /// Jump hosts (`ProxyJump` in the ssh config) log in with their own
    /// `IdentityFile`s when the config gives some, otherwise with the
    /// device's key; the agent and the device's `password_env` are offered
    /// to them too. Their host keys are checked against the device's
    /// known_hosts file, under the device's `trust_on_first_use`.
    pub fn new(role: &str, device: &Device, options: SshOptions) -> Result<Self, DeviceError> {
        let (hops, known_hosts) = Resolver {
            options: &options,
            device,
        }
        .device_hops()
        .map_err(|reason| DeviceError::Other {
            device: role.to_string(),
            reason,
        })?;
        Ok(Self {
            role: role.to_string(),
            hops,
            policy: HostKeyPolicy {
                known_hosts,
                trust_on_first_use: device.trust_on_first_use,
            },
            options,
            conn: Mutex::new(None),
            opened: AtomicU64::new(0),
        })
    }

    /// `user@host:port`, then ` via ` and the jump hosts in order.
    pub fn target(&self) -> String {
        let describe = |h: &Hop| format!("{}@{}", h.creds.user, h.addr());
        let Some((last, jumps)) = self.hops.split_last() else {
            return String::new();
        };
        let mut s = describe(last);
        if !jumps.is_empty() {
            s.push_str(" via ");
            s.push_str(&jumps.iter().map(describe).collect::<Vec<_>>().join(", "));
        }
        s
    }

    /// The known_hosts file host keys are checked against (and learned
    /// into, with trust on first use).
    pub fn known_hosts(&self) -> &Path {
        &self.policy.known_hosts
    }

    /// Connects now (if not connected) instead of at the first command.
    pub async fn connect(&self) -> Result<ConnectionInfo, DeviceError> {
        let conn = self.connection().await?;
        Ok(self.info_of(&conn))
    }

    /// The live connection, if there is one.
    pub async fn info(&self) -> Option<ConnectionInfo> {
        let slot = self.conn.lock().await;
        slot.as_ref()
            .filter(|c| !c.is_closed())
            .map(|c| self.info_of(c))
    }

    fn info_of(&self, conn: &Connection) -> ConnectionInfo {
        ConnectionInfo {
            target: self.target(),
            auth_method: conn.auth_method.clone(),
            connections: self.opened.load(Ordering::Relaxed),
        }
    }

    /// Closes the connection politely (the next command reconnects).
    pub async fn disconnect(&self) {
        let conn = self.conn.lock().await.take();
        if let Some(c) = conn {
            c.close().await;
        }
    }

    async fn connection(&self) -> Result<Arc<Connection>, DeviceError> {
        // Held across the connect on purpose: concurrent commands wait for
        // one connection instead of each opening their own.
        let mut slot = self.conn.lock().await;
        if let Some(c) = slot.as_ref() {
            if !c.is_closed() {
                return Ok(Arc::clone(c));
            }
            tracing::info!(device = %self.role, reason = %c.end_reason(), "ssh session ended; reconnecting");
        }
        *slot = None;
        let conn = Arc::new(self.open().await?);
        *slot = Some(Arc::clone(&conn));
        Ok(conn)
    }

    async fn forget(&self, dead: &Arc<Connection>) {
        let mut slot = self.conn.lock().await;
        if slot.as_ref().is_some_and(|c| Arc::ptr_eq(c, dead)) {
            *slot = None;
        }
    }

    fn hop_label(&self, i: usize) -> String {
        match self.hops.get(i) {
            Some(h) if i + 1 < self.hops.len() => format!("jump host {} ({}): ", h.alias, h.addr()),
            _ => String::new(),
        }
    }

    async fn open(&self) -> Result<Connection, DeviceError> {
        let device = self.role.clone();
        let mut jumps: Vec<Handle<Client>> = Vec::new();
        let last = self.hops.len().saturating_sub(1);
        for (i, hop) in self.hops.iter().enumerate() {
            let label = self.hop_label(i);
            let addr = format!("{label}{}", hop.addr());
            let known = known_hosts::KnownHosts::load(&self.policy.known_hosts).map_err(|e| {
                DeviceError::HostKey {
                    device: device.clone(),
                    reason: format!("{label}{e}"),
                }
            })?;
            let config = Arc::new(client::Config {
                keepalive_interval: Some(self.options.keepalive_interval),
                keepalive_max: self.options.keepalive_max,
                nodelay: true,
                preferred: russh::Preferred {
                    key: Cow::Owned(session::preferred_host_key_algorithms(
                        &known.known_algorithms(&hop.host, hop.port),
                    )),
                    ..russh::Preferred::DEFAULT
                },
                ..client::Config::default()
            });
            let ended = Arc::new(StdMutex::new(None));
            let handler = Client::new(&hop.host, hop.port, self.policy.clone(), Arc::clone(&ended));
            let handshake = async {
                match jumps.last() {
                    None => {
                        let tcp = tokio::net::TcpStream::connect((hop.host.as_str(), hop.port))
                            .await
                            .map_err(|e| ClientError::Ssh(russh::Error::IO(e)))?;
                        client::connect_stream(config, tcp, handler).await
                    }
                    Some(prev) => {
                        let channel = prev
                            .channel_open_direct_tcpip(
                                hop.host.as_str(),
                                u32::from(hop.port),
                                "127.0.0.1",
                                0,
                            )
                            .await
                            .map_err(|e| match e {
                                russh::Error::ChannelOpenFailure(why) => {
                                    ClientError::Ssh(russh::Error::IO(std::io::Error::other(
                                        format!("the jump host refused to forward ({why:?})"),
                                    )))
                                }
                                e => ClientError::Ssh(e),
                            })?;
                        client::connect_stream(config, channel.into_stream(), handler).await
                    }
                }
            };
            let mut handle =
                match tokio::time::timeout(self.options.connect_timeout, handshake).await {
                    Err(_) => {
                        return Err(DeviceError::Connect {
                            device,
                            addr,
                            reason: format!(
                                "no SSH session within {} s",
                                self.options.connect_timeout.as_secs()
                            ),
                        });
                    }
                    Ok(Err(ClientError::HostKey(reason))) => {
                        return Err(DeviceError::HostKey {
                            device,
                            reason: format!("{label}{reason}"),
                        });
                    }
                    Ok(Err(ClientError::Ssh(e))) => {
                        return Err(DeviceError::Connect {
                            device,
                            addr,
                            reason: e.to_string(),
                        });
                    }
                    Ok(Ok(h)) => h,
                };
            tracing::info!(device = %device, host = %hop.host, port = hop.port, hop = i, "ssh connected");
            let method = match tokio::time::timeout(
                self.options.auth_timeout,
                auth::authenticate(&mut handle, &hop.creds, &self.options.secrets),
            )
            .await
            {
                Err(_) => {
                    return Err(DeviceError::Auth {
                        device,
                        tried: format!(
                            "{label}as {}: no answer within {} s",
                            hop.creds.user,
                            self.options.auth_timeout.as_secs()
                        ),
                    });
                }
                Ok(Err(tried)) => {
                    let tried = if tried.is_empty() {
                        "no method available".to_string()
                    } else {
                        tried.join("; ")
                    };
                    return Err(DeviceError::Auth {
                        device,
                        tried: format!("{label}as {}: {tried}", hop.creds.user),
                    });
                }
                Ok(Ok(m)) => m,
            };
            tracing::info!(device = %device, user = %hop.creds.user, method = %method, hop = i, "ssh authenticated");
            if i == last {
                let generation = self.opened.fetch_add(1, Ordering::Relaxed) + 1;
                return Ok(Connection {
                    handle,
                    jumps,
                    ended,
                    auth_method: method,
                    generation,
                });
            }
            jumps.push(handle);
        }
        Err(DeviceError::Other {
            device,
            reason: "no host to connect to".into(),
        })
    }
}

impl DeviceSession for SshDevice {
    fn role(&self) -> &str {
        &self.role
    }

    async fn run(&self, command: &str) -> Result<CommandOutput, DeviceError> {
        let mut retried = false;
        loop {
            let conn = self.connection().await?;
            let result = session::exec(
                &conn,
                command,
                self.options.command_timeout,
                self.options.max_output_bytes,
            )
            .await;
            match result {
                Ok(out) => {
                    return Ok(CommandOutput {
                        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                        exit_status: out.exit_status,
                        elapsed: out.elapsed,
                    });
                }
                Err(ExecError::ConnectionLost(reason)) => {
                    self.forget(&conn).await;
                    if retried {
                        return Err(DeviceError::Disconnected {
                            device: self.role.clone(),
                            reason: format!("`{command}` failed twice: {reason}"),
                        });
                    }
                    retried = true;
                    tracing::warn!(
                        device = %self.role,
                        connection = conn.generation,
                        reason = %reason,
                        "ssh connection lost during a command; retrying once on a new connection"
                    );
                }
                Err(ExecError::Timeout) => {
                    return Err(DeviceError::Timeout {
                        device: self.role.clone(),
                        command: command.to_string(),
                        secs: self.options.command_timeout.as_secs(),
                    });
                }
                Err(ExecError::Other(reason)) => {
                    return Err(DeviceError::Other {
                        device: self.role.clone(),
                        reason: format!("`{command}`: {reason}"),
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::inventory::Platform;

    fn device(host: &str) -> Device {
        Device {
            platform: Platform::Junos,
            host: host.to_string(),
            port: None,
            user: None,
            identity: None,
            passphrase_env: None,
            password_env: None,
            known_hosts: None,
            trust_on_first_use: false,
        }
    }

    #[test]
    fn secret_env_debug_hides_values() {
        let env = SecretEnv::isolated().with("CE1_PASSWORD", "hunter2-secret");
        let dbg = format!("{env:?}");
        assert!(
            dbg.contains("CE1_PASSWORD") && !dbg.contains("hunter2"),
            "{dbg}"
        );
        assert_eq!(env.get("CE1_PASSWORD").as_deref(), Some("hunter2-secret"));
        assert_eq!(env.get("PATH"), None, "isolated means isolated");
        let opts = SshOptions {
            secrets: env,
            ..SshOptions::isolated()
        };
        assert!(!format!("{opts:?}").contains("hunter2"));
    }

    #[test]
    fn inventory_wins_over_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("config");
        std::fs::write(
            &cfg,
            "Host ce1\n HostName 192.0.2.1\n User cfguser\n Port 2201\n IdentityFile ~/cfgkey\n ProxyJump ops@bastion:2022\n UserKnownHostsFile %d/kh_%n\nHost bastion\n HostName 192.0.2.254\n IdentityFile ~/jumpkey\n",
        )
        .expect("write");
        let opts = SshOptions {
            home: Some(dir.path().to_path_buf()),
            ssh_config: Some(cfg),
            local_user: Some("me".into()),
            ..SshOptions::isolated()
        };
        let d = SshDevice::new("ce1", &device("ce1"), opts.clone()).expect("resolves");
        assert_eq!(
            d.target(),
            "cfguser@192.0.2.1:2201 via ops@192.0.2.254:2022"
        );
        assert_eq!(d.known_hosts(), dir.path().join("kh_ce1"));
        assert_eq!(
            d.hops[1].creds.identities[0].path,
            dir.path().join("cfgkey")
        );
        assert_eq!(
            d.hops[0].creds.identities[0].path,
            dir.path().join("jumpkey")
        );

        let mut inv = device("ce1");
        inv.user = Some("invuser".into());
        inv.port = Some(22);
        inv.identity = Some(PathBuf::from("~/invkey"));
        inv.known_hosts = Some(PathBuf::from("/inv/known_hosts"));
        let d = SshDevice::new("ce1", &inv, opts).expect("resolves");
        assert_eq!(d.target(), "invuser@192.0.2.1:22 via ops@192.0.2.254:2022");
        assert_eq!(d.known_hosts(), Path::new("/inv/known_hosts"));
        assert_eq!(
            d.hops[1].creds.identities,
            vec![Identity {
                path: dir.path().join("invkey"),
                explicit: true
            }]
        );
    }

    #[test]
    fn jump_loops_and_missing_user_are_clear_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("config");
        std::fs::write(&cfg, "Host a\n ProxyJump b\nHost b\n ProxyJump a\n").expect("write");
        let opts = SshOptions {
            home: Some(dir.path().to_path_buf()),
            ssh_config: Some(cfg),
            local_user: Some("me".into()),
            ..SshOptions::isolated()
        };
        let e = SshDevice::new("r", &device("a"), opts).expect_err("loop");
        assert!(e.to_string().contains("loop"), "{e}");

        let mut d = device("10.0.0.1");
        d.known_hosts = Some(PathBuf::from("/kh"));
        let e = SshDevice::new("r", &d, SshOptions::isolated()).expect_err("no user");
        assert!(e.to_string().contains("`user`"), "{e}");
        d.user = Some("u".into());
        d.known_hosts = None;
        let e = SshDevice::new("r", &d, SshOptions::isolated()).expect_err("no known_hosts");
        assert!(e.to_string().contains("known_hosts"), "{e}");
    }

    #[test]
    fn bad_config_is_reported_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = dir.path().join("config");
        std::fs::write(&cfg, "Host *\n Port nope\n").expect("write");
        let mut d = device("r1");
        d.user = Some("u".into());
        d.known_hosts = Some(PathBuf::from("/kh"));
        let opts = SshOptions {
            ssh_config: Some(cfg.clone()),
            ..SshOptions::isolated()
        };
        let e = SshDevice::new("r1", &d, opts).expect_err("bad port");
        assert!(
            e.to_string().contains(&format!("{}:2", cfg.display())),
            "{e}"
        );
    }
}
