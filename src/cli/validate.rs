//! `cutover validate --inventory P... [--runbook R] [--json] [--jobs N]
//! [--prom-out FILE]`: the read-only checks, through the real SSH and ARM
//! clients built from each inventory, for the quarterly check, cron and
//! pipelines. Many circuits run at once (`many`); their lines are printed
//! by one writer (`lines`) and, with `--prom-out`, written for
//! node_exporter's textfile collector (`prom`). Exit 0 when every check of
//! every circuit passed, 1 when one failed, 2 when an inventory, the runbook
//! or an argument was bad (2 wins over 1: a circuit nobody checked must not
//! hide behind another's failed check).

mod causes;
mod fit;
mod lines;
mod many;
mod prom;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use cutover_clients::arm::{ArmClient, ArmOptions, TokenSource};
use cutover_clients::ssh::{SshDevice, SshOptions};
use cutover_core::inventory::Inventory;
use cutover_core::runbook::Runbook;
use cutover_core::session::event::{Event, Mode};
use cutover_engine::{
    Engine, EventSink, NoLocalTracer, SessionConfig, SessionOutcome, World, preflight,
};

/// The bundled read-only runbook, so the binary stands alone.
pub const DEFAULT_RUNBOOK: &str = include_str!("../../runbooks/er-vpn-validate.toml");
const DEFAULT_NAME: &str = "runbooks/er-vpn-validate.toml (bundled)";

/// A runbook and an inventory that fit each other.
#[derive(Debug)]
pub struct Prepared {
    pub inventory: Inventory,
    pub runbook: Runbook,
    /// SHA-256 of the runbook text, hex.
    pub runbook_sha256: String,
}

/// Loads the inventory and the runbook (the inventory's Azure names
/// override the runbook's variables) and checks they fit. `Err` is the
/// message for stderr (exit 2).
pub fn prepare(
    inventory: &Path,
    runbook: Option<&Path>,
    default_text: &str,
    default_name: &str,
) -> Result<Prepared, String> {
    let (text, name) = match runbook {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?,
            p.display().to_string(),
        ),
        None => (default_text.to_string(), default_name.to_string()),
    };
    prepare_text(inventory, &text, &name)
}

/// [`prepare`] with the runbook's text already read (`name` names it in
/// messages): many inventories, one read of the runbook.
pub fn prepare_text(inventory: &Path, text: &str, name: &str) -> Result<Prepared, String> {
    let inv = Inventory::load(inventory).map_err(|e| e.to_string())?;
    let vars = inv
        .azure
        .as_ref()
        .map(preflight::azure_overrides)
        .unwrap_or_default();
    let rb = Runbook::from_str_with_vars(text, name, &vars).map_err(|d| d.to_string())?;
    let problems = preflight::check(&rb, &inv);
    if !problems.is_empty() {
        return Err(format!(
            "{}: the inventory does not fit the runbook `{}`:\n  {}",
            inventory.display(),
            rb.meta.id,
            fit::placed(inventory, &problems).join("\n  ")
        ));
    }
    let sha = Sha256::digest(text.as_bytes());
    Ok(Prepared {
        inventory: inv,
        runbook: rb,
        runbook_sha256: sha.iter().map(|b| format!("{b:02x}")).collect(),
    })
}

/// The real clients for the roles the runbook uses. `tokens` replaces the
/// inventory's credential (the drill's in-memory lab token). `Err`: message
/// (exit 2).
pub fn real_world(
    p: &Prepared,
    ssh: &SshOptions,
    tokens: Option<Arc<dyn TokenSource>>,
) -> Result<World<SshDevice, ArmClient, NoLocalTracer>, String> {
    let mut devices = BTreeMap::new();
    let mut needs_azure = false;
    for step in &p.runbook.steps {
        for probe in step.probes() {
            if probe.platform == cutover_core::runbook::Platform::Azure {
                needs_azure = true;
                continue;
            }
            if devices.contains_key(&probe.role) {
                continue;
            }
            let Some(dev) = p.inventory.device(&probe.role) else {
                return Err(format!("no device for role `{}`", probe.role));
            };
            let client =
                SshDevice::new(&probe.role, dev, ssh.clone()).map_err(|e| e.to_string())?;
            devices.insert(probe.role.clone(), client);
        }
        needs_azure |= step.action().is_some();
    }
    let azure = match (&p.inventory.azure, needs_azure) {
        (Some(az), true) => Some(
            match tokens {
                Some(t) => ArmClient::with_token_source(az, ArmOptions::default(), t),
                None => ArmClient::new(az),
            }
            .map_err(|e| e.to_string())?,
        ),
        _ => None,
    };
    Ok(World::new(devices, azure, None))
}

/// `cutover validate`'s arguments.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// An inventory (TOML), or a directory: every `*.toml` in it, in name
    /// order. Repeat it for more circuits; each runs on its own and a bad
    /// one does not stop the others.
    #[arg(long, value_name = "PATH", required = true)]
    pub inventory: Vec<PathBuf>,
    /// The runbook (default: the bundled runbooks/er-vpn-validate.toml).
    #[arg(long, value_name = "PATH")]
    pub runbook: Option<PathBuf>,
    /// One JSON object per check on standard output, with its circuit,
    /// inventory and time.
    #[arg(long)]
    pub json: bool,
    /// How many circuits are checked at once (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Also write the results in the Prometheus text format, for
    /// node_exporter's textfile collector (replaced atomically; mode 0644).
    #[arg(long, value_name = "FILE")]
    pub prom_out: Option<PathBuf>,
}

/// Runs the checks of every circuit named; see the module doc for the exit
/// status.
pub fn run(args: ValidateArgs) -> ExitCode {
    ExitCode::from(many::run(&args))
}

/// `validate` never changes anything: a gate or an action is refused.
pub fn refuse_changes(rb: &Runbook) -> Result<(), String> {
    let changing: Vec<&str> = rb
        .steps
        .iter()
        .filter(|s| !s.is_read_only())
        .map(|s| s.id.as_str())
        .collect();
    if changing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: `validate` runs read-only runbooks only; these steps gate or change something: {}",
            rb.source,
            changing.join(", ")
        ))
    }
}

/// Runs the read-only session against `world` (no journal: `validate` is a
/// check, its report is its record).
pub async fn run_checks<D, A, L>(p: Prepared, world: World<D, A, L>) -> SessionOutcome
where
    D: cutover_engine::port::DeviceSession + 'static,
    A: cutover_engine::port::AzureApi + 'static,
    L: cutover_engine::port::trace::Tracer + 'static,
{
    run_checks_with(p, world, Vec::new()).await
}

/// [`run_checks`], with `listeners` getting every event as it happens (the
/// times of the checks' ends).
pub async fn run_checks_with<D, A, L>(
    p: Prepared,
    world: World<D, A, L>,
    listeners: Vec<mpsc::UnboundedSender<Event>>,
) -> SessionOutcome
where
    D: cutover_engine::port::DeviceSession + 'static,
    A: cutover_engine::port::AzureApi + 'static,
    L: cutover_engine::port::trace::Tracer + 'static,
{
    let mut config = SessionConfig::new(Mode::Validate);
    config.operator = super::identity::operator(None);
    config.runbook_sha256 = p.runbook_sha256;
    config.monitor = false;
    let engine = Engine::new(
        Arc::new(p.runbook),
        Arc::new(world),
        EventSink::new(None, listeners),
        config,
    );
    // No gate can be asked: the channel is closed from the start.
    let (_, rx) = mpsc::channel(1);
    engine.run(rx).await
}

#[cfg(test)]
mod tests;
