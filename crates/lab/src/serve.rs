//! A whole lab on loopback: one SSH server per device and the ARM API, each
//! on its own 127.0.0.1 port, all over one shared world; plus the files a
//! client needs to reach them as it would reach production (an inventory,
//! a known_hosts file with the lab's host keys, and a client key unless the
//! operator brought an `authorized_keys` file). `cutover lab serve` runs one
//! in the foreground; `cutover drill` runs one as a child process
//! (`lab serve --held`) and talks to it only through these sockets.

mod files;
mod probe;

use std::collections::BTreeMap;
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use russh::keys::HashAlg;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use self::files::{InventoryParts, LabFiles, inventory_toml};
use self::probe::probe_all;
use super::arm_server::{ArmConfig, serve_arm_with};
use super::ssh_server::{
    AuthorizedKeys, AuthorizedKeysError, KeyGenError, LoginPolicy, Password, SshServerOptions,
    generate_ed25519, serve_ssh,
};
use super::{Clock, DeviceId, RealClock, Scenario, SharedWorld, TimeScale, World};
use cutover_core::inventory::{Inventory, InventoryError};

/// The variable the lab's inventory names for the ARM token.
pub const TOKEN_ENV: &str = "CUTOVER_ARM_TOKEN";
/// The variable the lab's inventory names for the SSH password, when the
/// lab accepts one.
pub const PASSWORD_ENV: &str = "CUTOVER_LAB_PASSWORD";
/// The user name the inventory logs in as (the servers accept any).
pub const DEFAULT_USER: &str = "netops";

/// How long the servers get to stop before their tasks are aborted.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// What to start.
#[derive(Clone)]
pub struct LabOptions {
    pub scenario: Scenario,
    /// Where the inventory goes. The lab's other files go beside it,
    /// named after it: `NAME.known_hosts`, `NAME.id_ed25519[.pub]`.
    pub inventory: PathBuf,
    /// Keys allowed to log in; `None` generates a key pair beside the
    /// inventory and allows only it.
    pub authorized_keys: Option<PathBuf>,
    /// Also accept this password (the inventory then names
    /// [`PASSWORD_ENV`]).
    pub password: Option<Password>,
    /// The bearer token the ARM API requires.
    pub token: String,
    pub user: String,
    /// `None`: ephemeral ports. `Some(p)`: ce1, ce2, fw and server on
    /// p..p+3, the ARM API on p+4, for addresses that survive a restart.
    pub base_port: Option<u16>,
    pub clock: Arc<dyn Clock>,
    /// `--time-scale`: the hold time and ARM's operations compressed
    /// (real time by default).
    pub time_scale: TimeScale,
    pub ssh: SshServerOptions,
    pub arm: ArmConfig,
}

impl LabOptions {
    pub fn new(
        scenario: Scenario,
        inventory: impl Into<PathBuf>,
        token: impl Into<String>,
    ) -> Self {
        LabOptions {
            scenario,
            inventory: inventory.into(),
            authorized_keys: None,
            password: None,
            token: token.into(),
            user: DEFAULT_USER.to_string(),
            base_port: None,
            clock: Arc::new(RealClock::new()),
            time_scale: TimeScale::REAL,
            ssh: SshServerOptions::default(),
            arm: ArmConfig::default(),
        }
    }

    /// The same with the long waits compressed (`--time-scale`).
    pub fn with_time_scale(mut self, scale: TimeScale) -> Self {
        self.time_scale = scale;
        self
    }
}

impl fmt::Debug for LabOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabOptions")
            .field("scenario", &self.scenario.name)
            .field("inventory", &self.inventory)
            .field("authorized_keys", &self.authorized_keys)
            .field("password", &self.password)
            .field("token", &"***")
            .field("user", &self.user)
            .field("base_port", &self.base_port)
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

/// Why a lab did not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    AuthorizedKeys(#[from] AuthorizedKeysError),
    #[error(transparent)]
    KeyGen(#[from] KeyGenError),
    #[error("cannot listen on {addr} for {what}: {reason}")]
    Bind {
        what: String,
        addr: String,
        reason: String,
    },
    #[error("--base-port {0} leaves no room for the lab's five ports (the last would pass 65535)")]
    PortRange(u16),
    #[error("cannot write {}: {reason}", path.display())]
    Write { path: PathBuf, reason: String },
    #[error("{} is not valid UTF-8; the inventory cannot name it", path.display())]
    NotUtf8 { path: PathBuf },
    #[error("the lab's inventory does not read back: {0}")]
    Inventory(#[from] InventoryError),
    #[error("{what} on {addr} does not answer: {reason}")]
    NotReady {
        what: String,
        addr: SocketAddr,
        reason: String,
    },
    #[error("{what} stopped: {reason}")]
    Stopped { what: String, reason: String },
}

/// One device's SSH server.
#[derive(Debug, Clone)]
pub struct LabDevice {
    pub addr: SocketAddr,
    /// `SHA256:...` of its host key, as `ssh` shows it.
    pub fingerprint: String,
}

/// A running lab. Dropping it without [`LabHandle::shutdown`] stops the
/// servers too (their tasks are aborted with the runtime's join set).
pub struct LabHandle {
    world: SharedWorld,
    devices: BTreeMap<DeviceId, LabDevice>,
    arm_addr: SocketAddr,
    inventory_path: PathBuf,
    inventory_text: String,
    inventory: Inventory,
    known_hosts: PathBuf,
    identity: Option<PathBuf>,
    scenario: String,
    stop: watch::Sender<bool>,
    tasks: JoinSet<(String, std::io::Result<()>)>,
}

impl fmt::Debug for LabHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LabHandle")
            .field("scenario", &self.scenario)
            .field("devices", &self.devices)
            .field("arm_addr", &self.arm_addr)
            .field("inventory_path", &self.inventory_path)
            .finish_non_exhaustive()
    }
}

impl LabHandle {
    pub fn world(&self) -> &SharedWorld {
        &self.world
    }

    pub fn scenario(&self) -> &str {
        &self.scenario
    }

    pub fn devices(&self) -> impl Iterator<Item = (DeviceId, &LabDevice)> {
        self.devices.iter().map(|(d, l)| (*d, l))
    }

    pub fn ssh_addr(&self, device: DeviceId) -> Option<SocketAddr> {
        self.devices.get(&device).map(|d| d.addr)
    }

    pub fn arm_addr(&self) -> SocketAddr {
        self.arm_addr
    }

    /// `http://127.0.0.1:PORT`, the inventory's `azure.endpoint`.
    pub fn arm_endpoint(&self) -> String {
        format!("http://{}", self.arm_addr)
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    pub fn inventory_text(&self) -> &str {
        &self.inventory_text
    }

    pub fn inventory_path(&self) -> &Path {
        &self.inventory_path
    }

    pub fn known_hosts(&self) -> &Path {
        &self.known_hosts
    }

    /// The generated client key, when the lab made one.
    pub fn identity(&self) -> Option<&Path> {
        self.identity.as_deref()
    }

    /// Resolves when a server stops by itself (they run until
    /// [`LabHandle::shutdown`]), with what it said.
    pub async fn failed(&mut self) -> LabError {
        match self.tasks.join_next().await {
            Some(Ok((what, Ok(())))) => LabError::Stopped {
                what,
                reason: "it returned without being asked to".into(),
            },
            Some(Ok((what, Err(e)))) => LabError::Stopped {
                what,
                reason: e.to_string(),
            },
            Some(Err(e)) => LabError::Stopped {
                what: "a lab server".into(),
                reason: e.to_string(),
            },
            None => std::future::pending().await,
        }
    }

    /// Stops every server: listeners close, sessions are told and given a
    /// moment, requests in flight finish.
    pub async fn shutdown(mut self) -> Result<(), LabError> {
        let _ = self.stop.send(true);
        let mut first_error = None;
        let joined = tokio::time::timeout(STOP_TIMEOUT, async {
            while let Some(r) = self.tasks.join_next().await {
                let err = match r {
                    Ok((_, Ok(()))) => None,
                    Ok((what, Err(e))) => Some(LabError::Stopped {
                        what,
                        reason: e.to_string(),
                    }),
                    Err(e) if e.is_cancelled() => None,
                    Err(e) => Some(LabError::Stopped {
                        what: "a lab server".into(),
                        reason: e.to_string(),
                    }),
                };
                if first_error.is_none() {
                    first_error = err;
                }
            }
        })
        .await;
        if joined.is_err() {
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// What the servers listen on, bound before anything is written so that a
/// port problem is reported before files change.
struct Listeners {
    ssh: Vec<(DeviceId, TcpListener, SocketAddr)>,
    arm: (TcpListener, SocketAddr),
}

async fn bind(what: &str, port: u16) -> Result<(TcpListener, SocketAddr), LabError> {
    let want = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let bind_err = |e: std::io::Error| LabError::Bind {
        what: what.to_string(),
        addr: want.to_string(),
        reason: e.to_string(),
    };
    let l = TcpListener::bind(want).await.map_err(bind_err)?;
    let addr = l.local_addr().map_err(bind_err)?;
    Ok((l, addr))
}

async fn bind_all(base_port: Option<u16>) -> Result<Listeners, LabError> {
    let port = |i: u16| -> Result<u16, LabError> {
        match base_port {
            None => Ok(0),
            Some(b) => b.checked_add(i).ok_or(LabError::PortRange(b)),
        }
    };
    if let Some(b) = base_port {
        port(4).map_err(|_| LabError::PortRange(b))?;
    }
    let mut ssh = Vec::new();
    for (i, d) in (0u16..).zip(DeviceId::ALL) {
        let (l, a) = bind(&format!("{} (ssh)", d.name()), port(i)?).await?;
        ssh.push((d, l, a));
    }
    let arm = bind("the ARM API", port(4)?).await?;
    Ok(Listeners { ssh, arm })
}

/// The private key `K` beside an authorized `K.pub`, when it is there:
/// the inventory names it, so that a client logs in with no edits.
fn private_beside(authorized: &Path) -> Option<PathBuf> {
    let name = authorized.file_name()?.to_str()?;
    let private = authorized.with_file_name(name.strip_suffix(".pub")?);
    let private = std::path::absolute(&private).unwrap_or(private);
    private.is_file().then_some(private)
}

/// Starts a lab: binds every listener, writes the inventory and its
/// companions, starts the servers, and returns once each answers.
pub async fn start(options: LabOptions) -> Result<LabHandle, LabError> {
    let policy_keys = match &options.authorized_keys {
        Some(path) => Some(AuthorizedKeys::load(path)?),
        None => None,
    };
    if let Some(keys) = &policy_keys {
        for (line, why) in keys.skipped() {
            tracing::warn!(line, why = %why, "authorized_keys line skipped");
        }
    }
    let listeners = bind_all(options.base_port).await?;

    let files = LabFiles::beside(&options.inventory)?;
    let (keys, identity) = match policy_keys {
        Some(k) => (
            k,
            options.authorized_keys.as_deref().and_then(private_beside),
        ),
        None => {
            let key = generate_ed25519(&format!("cutover-lab-{}", options.user))?;
            files.write_client_key(&key)?;
            let public = key.public_key().clone();
            (
                AuthorizedKeys::from_keys([public]),
                Some(files.identity.clone()),
            )
        }
    };
    let policy = Arc::new(LoginPolicy {
        keys,
        password: options.password.clone(),
    });

    let mut host_keys = Vec::new();
    let mut known_hosts = String::new();
    let mut devices = BTreeMap::new();
    for (d, _, addr) in &listeners.ssh {
        let key = generate_ed25519(&format!("cutover-lab-{}", d.name()))?;
        let public = key
            .public_key()
            .to_openssh()
            .map_err(|e| KeyGenError::new(e.to_string()))?;
        known_hosts.push_str(&format!("[{}]:{} {public}\n", addr.ip(), addr.port()));
        devices.insert(
            *d,
            LabDevice {
                addr: *addr,
                fingerprint: key.public_key().fingerprint(HashAlg::Sha256).to_string(),
            },
        );
        host_keys.push(key);
    }
    files.write(&files.known_hosts, known_hosts.as_bytes(), false)?;

    let mut world = World::new(options.scenario.clone());
    world.set_wall_clock(time::OffsetDateTime::now_utc().unix_timestamp());
    world.set_time_scale(options.time_scale);
    let world = SharedWorld::new(world, Arc::clone(&options.clock));

    let inventory_text = inventory_toml(&InventoryParts {
        world: &world,
        scenario: &options.scenario.name,
        devices: &devices,
        arm: listeners.arm.1,
        user: &options.user,
        identity: identity.as_deref(),
        known_hosts: &files.known_hosts,
        password: options.password.is_some(),
    })?;
    let inventory = Inventory::from_str(&inventory_text, &files.inventory)?;
    files.write(&files.inventory, inventory_text.as_bytes(), false)?;

    let (stop, stop_rx) = watch::channel(false);
    let stopped = |rx: &watch::Receiver<bool>| {
        let mut rx = rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let mut tasks = JoinSet::new();
    for ((d, listener, _), key) in listeners.ssh.into_iter().zip(host_keys) {
        let what = format!("the SSH server of {}", d.name());
        let fut = serve_ssh(
            world.clone(),
            d,
            key,
            Arc::clone(&policy),
            options.ssh,
            listener,
            stopped(&stop_rx),
        );
        tasks.spawn(async move { (what, fut.await) });
    }
    let (arm_listener, arm_addr) = listeners.arm;
    let arm = serve_arm_with(
        world.clone(),
        options.token.clone(),
        options.arm.clone(),
        arm_listener,
        stopped(&stop_rx),
    );
    tasks.spawn(async move { ("the ARM API".to_string(), arm.await) });

    let mut handle = LabHandle {
        world,
        devices,
        arm_addr,
        inventory_path: files.inventory.clone(),
        inventory_text,
        inventory,
        known_hosts: files.known_hosts.clone(),
        identity,
        scenario: options.scenario.name.clone(),
        stop,
        tasks,
    };
    if let Err(e) = probe_all(&handle, &options.token).await {
        // A server that died while starting says more than the probe.
        let e = match tokio::time::timeout(Duration::from_millis(50), handle.failed()).await {
            Ok(stopped) => stopped,
            Err(_) => e,
        };
        let _ = handle.shutdown().await;
        return Err(e);
    }
    Ok(handle)
}
