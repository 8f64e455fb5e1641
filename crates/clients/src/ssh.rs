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
mod options;
mod pattern;
mod resolve;
mod session;

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex as StdMutex};

use russh::client::{self, Handle};
use tokio::sync::Mutex;

use cutover_core::inventory::Device;
use cutover_engine::port::{CommandOutput, DeviceError, DeviceSession};

pub use options::{SecretEnv, SshOptions};
use resolve::{Hop, Resolver};
use session::{Client, ClientError, Connection, ExecError, HostKeyPolicy};

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
            // Connection chatter is debug: at info it drowns the session's
            // notes in the console's log pane (issue 17).
            tracing::debug!(device = %device, host = %hop.host, port = hop.port, hop = i, "ssh connected");
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
            tracing::debug!(device = %device, user = %hop.creds.user, method = %method, hop = i, "ssh authenticated");
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
mod tests;
