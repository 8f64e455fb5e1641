//! Where a device is and how to log in to each hop on the way: inventory
//! values first, then the ssh config, then OpenSSH's defaults. Resolution
//! only reads files; nothing is contacted.

use std::path::PathBuf;

use cutover_core::inventory::Device;

use super::SshOptions;
use super::auth::{self, Credentials, Identity};
use super::config::{self, JumpHop, Tokens};

/// One hop of the way to a device: jump hosts first, the device last.
#[derive(Debug, Clone)]
pub(super) struct Hop {
    /// The name as written (inventory host or ProxyJump entry).
    pub(super) alias: String,
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) creds: Credentials,
}

impl Hop {
    pub(super) fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Inputs of the resolution of one device's hops.
pub(super) struct Resolver<'a> {
    pub(super) options: &'a SshOptions,
    pub(super) device: &'a Device,
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

    fn credentials(
        &self,
        user: String,
        identities: Vec<Identity>,
        cfg: &config::HostConfig,
    ) -> Credentials {
        Credentials {
            user,
            identities,
            passphrase_env: self.device.passphrase_env.clone(),
            password_env: self.device.password_env.clone(),
            agent_socket: self.options.agent_socket.clone(),
            identities_only: cfg.identities_only.unwrap_or(false),
        }
    }

    /// The hops to the device, and its known_hosts file.
    pub(super) fn device_hops(&self) -> Result<(Vec<Hop>, PathBuf), String> {
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
            creds: self.credentials(user, identities, &cfg),
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
            creds: self.credentials(user, identities, &cfg),
        });
        Ok(hops)
    }
}
