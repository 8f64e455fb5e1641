//! The files a client needs to reach the lab as it would reach production:
//! the inventory, its known_hosts and the generated client key, written
//! beside the inventory and named after it.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use russh::keys::PrivateKey;
use russh::keys::ssh_key::LineEnding;

use super::super::ssh_server::KeyGenError;
use super::super::topology::Platform;
use super::super::world::API_VERSION;
use super::super::{DeviceId, SharedWorld};
use super::{LabDevice, LabError, PASSWORD_ENV, TOKEN_ENV};

/// Where the lab's files go: beside the inventory, named after it.
pub(super) struct LabFiles {
    pub(super) inventory: PathBuf,
    pub(super) known_hosts: PathBuf,
    pub(super) identity: PathBuf,
}

impl LabFiles {
    pub(super) fn beside(inventory: &Path) -> Result<Self, LabError> {
        let write_err = |path: &Path, e: std::io::Error| LabError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        let parent = match inventory.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent).map_err(|e| write_err(&parent, e))?;
        let dir = parent.canonicalize().map_err(|e| write_err(&parent, e))?;
        let name = inventory
            .file_name()
            .ok_or_else(|| LabError::Write {
                path: inventory.to_path_buf(),
                reason: "not a file name".into(),
            })?
            .to_owned();
        let stem = Path::new(&name)
            .file_stem()
            .map(|s| s.to_owned())
            .unwrap_or_else(|| name.clone());
        let sibling = |suffix: &str| {
            let mut n = stem.clone();
            n.push(suffix);
            dir.join(n)
        };
        Ok(LabFiles {
            inventory: dir.join(&name),
            known_hosts: sibling(".known_hosts"),
            identity: sibling(".id_ed25519"),
        })
    }

    pub(super) fn write(&self, path: &Path, bytes: &[u8], secret: bool) -> Result<(), LabError> {
        let err = |e: std::io::Error| LabError::Write {
            path: path.to_path_buf(),
            reason: e.to_string(),
        };
        // A file left by an earlier run may have looser permissions than
        // a key needs, and `create` keeps a file's mode: start afresh.
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(err(e)),
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(if secret { 0o600 } else { 0o644 });
        }
        #[cfg(not(unix))]
        let _ = secret;
        let mut f = opts.open(path).map_err(err)?;
        f.write_all(bytes).map_err(err)?;
        f.sync_all().map_err(err)
    }

    pub(super) fn write_client_key(&self, key: &PrivateKey) -> Result<(), LabError> {
        let private = key
            .to_openssh(LineEnding::LF)
            .map_err(|e| KeyGenError::new(e.to_string()))?;
        self.write(&self.identity, private.as_bytes(), true)?;
        let public = key
            .public_key()
            .to_openssh()
            .map_err(|e| KeyGenError::new(e.to_string()))?;
        let mut pub_path = self.identity.clone().into_os_string();
        pub_path.push(".pub");
        self.write(
            Path::new(&pub_path),
            format!("{public}\n").as_bytes(),
            false,
        )
    }
}

pub(super) struct InventoryParts<'a> {
    pub(super) world: &'a SharedWorld,
    pub(super) scenario: &'a str,
    pub(super) devices: &'a BTreeMap<DeviceId, LabDevice>,
    pub(super) arm: SocketAddr,
    pub(super) user: &'a str,
    pub(super) identity: Option<&'a Path>,
    pub(super) known_hosts: &'a Path,
    pub(super) password: bool,
}

/// A TOML string literal.
fn q(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn path_str(p: &Path) -> Result<&str, LabError> {
    p.to_str().ok_or_else(|| LabError::NotUtf8 {
        path: p.to_path_buf(),
    })
}

pub(super) fn inventory_toml(p: &InventoryParts<'_>) -> Result<String, LabError> {
    let known_hosts = path_str(p.known_hosts)?;
    let identity = p.identity.map(path_str).transpose()?;
    let mut s = format!(
        "# The cutover lab (scenario `{}`), written by `cutover lab serve`.\n\
         # Valid while that lab runs: the ports and host keys change with every start.\n\
         # The ARM API wants the token in ${TOKEN_ENV}.\n",
        p.scenario
    );
    let (platforms, azure) = p.world.with(|w, _| {
        let t = w.topology();
        let platforms: Vec<(DeviceId, Platform)> = p
            .devices
            .keys()
            .filter_map(|d| t.device(*d).map(|spec| (*d, spec.platform)))
            .collect();
        let peering = t
            .private_peering()
            .map_or("AzurePrivatePeering", |pp| pp.name);
        let az = &t.azure;
        (
            platforms,
            [
                ("subscription", az.subscription),
                ("resource_group", az.resource_group),
                ("circuit", az.circuit),
                ("peering", peering),
                ("gateway", az.vpn_gateway),
                ("connection", az.connection),
            ],
        )
    });
    for (d, platform) in platforms {
        let Some(dev) = p.devices.get(&d) else {
            continue;
        };
        let platform = match platform {
            Platform::JunosMx | Platform::JunosSrxCluster => "junos",
            Platform::Linux => "linux",
        };
        s.push_str(&format!(
            "\n[devices.{}]\nplatform = {}\nhost = {}\nport = {}\nuser = {}\n",
            d.name(),
            q(platform),
            q(&dev.addr.ip().to_string()),
            dev.addr.port(),
            q(p.user),
        ));
        if let Some(id) = identity {
            s.push_str(&format!("identity = {}\n", q(id)));
        }
        if p.password {
            s.push_str(&format!("password_env = {}\n", q(PASSWORD_ENV)));
        }
        s.push_str(&format!("known_hosts = {}\n", q(known_hosts)));
    }
    s.push_str(&format!(
        "\n[azure]\nendpoint = {}\n",
        q(&format!("http://{}", p.arm))
    ));
    for (k, v) in azure {
        s.push_str(&format!("{k} = {}\n", q(v)));
    }
    s.push_str(&format!(
        "credential = \"token-env\"\ntoken_env = {}\napi_version = {}\n",
        q(TOKEN_ENV),
        q(API_VERSION)
    ));
    Ok(s)
}
