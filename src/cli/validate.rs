//! `cutover validate --inventory P [--runbook R] [--json]`: the read-only
//! checks, through the real SSH and ARM clients built from the inventory,
//! for the quarterly check and cron. Exit 0 when every check passed, 1 when
//! one failed (named on stderr), 2 for a bad inventory or runbook, or a
//! runbook that would change anything.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::exit;
use cutover_clients::arm::{ArmClient, ArmOptions, TokenSource};
use cutover_clients::ssh::{SshDevice, SshOptions};
use cutover_core::inventory::Inventory;
use cutover_core::runbook::Runbook;
use cutover_core::session::event::{Mode, Verdict};
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
    let inv = Inventory::load(inventory).map_err(|e| e.to_string())?;
    let (text, name) = match runbook {
        Some(p) => (
            std::fs::read_to_string(p).map_err(|e| format!("{}: cannot read: {e}", p.display()))?,
            p.display().to_string(),
        ),
        None => (default_text.to_string(), default_name.to_string()),
    };
    let vars = inv
        .azure
        .as_ref()
        .map(preflight::azure_overrides)
        .unwrap_or_default();
    let rb = Runbook::from_str_with_vars(&text, &name, &vars).map_err(|d| d.to_string())?;
    let problems = preflight::check(&rb, &inv);
    if !problems.is_empty() {
        return Err(format!(
            "{}: the inventory does not fit the runbook `{}`:\n  {}",
            inventory.display(),
            rb.meta.id,
            problems.join("\n  ")
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

/// Runs the checks; `json`: one object per check on stdout.
pub fn run(inventory: &Path, runbook: Option<&Path>, json: bool) -> ExitCode {
    let prepared = match prepare(inventory, runbook, DEFAULT_RUNBOOK, DEFAULT_NAME) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    if let Err(e) = refuse_changes(&prepared.runbook) {
        eprintln!("{e}");
        return ExitCode::from(exit::BAD_INPUT);
    }
    let world = match real_world(&prepared, &SshOptions::default(), None) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("{}: {e}", inventory.display());
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::from(exit::BAD_INPUT);
        }
    };
    let outcome = rt.block_on(run_checks(prepared, world));
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let code = report(&outcome, json, &mut stdout.lock(), &mut stderr.lock());
    ExitCode::from(code)
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
    let mut config = SessionConfig::new(Mode::Validate);
    config.runbook_sha256 = p.runbook_sha256;
    config.monitor = false;
    let engine = Engine::new(
        Arc::new(p.runbook),
        Arc::new(world),
        EventSink::new(None, Vec::new()),
        config,
    );
    // No gate can be asked: the channel is closed from the start.
    let (_, rx) = mpsc::channel(1);
    engine.run(rx).await
}

/// Prints the checks and returns the exit status.
pub fn report(
    outcome: &SessionOutcome,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> u8 {
    for s in outcome.steps.iter().filter(|s| s.kind == "check") {
        if json {
            let line = serde_json::json!({
                "step": s.step,
                "title": s.title,
                "verdict": s.verdict,
                "device": s.device,
                "command": s.command,
                "evidence": s.evidence,
                "error": s.error,
                "advisory": s.advisory,
            });
            let _ = writeln!(out, "{line}");
        } else {
            let mark = match (s.verdict, s.advisory) {
                (Verdict::Passed, _) => "PASS",
                (_, true) => "WARN",
                (_, false) => "FAIL",
            };
            let _ = writeln!(out, "{mark}  {}  {}", s.step, s.title);
            for c in s.evidence.iter().filter(|c| !c.passed) {
                let _ = writeln!(out, "      {}: {}", c.clause, c.evidence);
            }
        }
        if s.verdict != Verdict::Passed {
            let why = s
                .error
                .clone()
                .or_else(|| {
                    s.evidence
                        .iter()
                        .find(|c| !c.passed)
                        .map(|c| format!("{}: {}", c.clause, c.evidence))
                })
                .unwrap_or_else(|| "failed".into());
            let what = if s.advisory {
                "warning (advisory check)"
            } else {
                "check failed"
            };
            let _ = writeln!(err, "{what}: {}: {why}", s.step);
        }
    }
    if outcome.exit_code() != exit::OK && outcome.exit_code() != exit::CHECK_FAILED {
        let _ = writeln!(err, "{}", outcome.outcome);
    }
    outcome.exit_code()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    const INV: &str = r#"
[devices.ce1]
platform = "junos"
host = "127.0.0.1"
[devices.ce2]
platform = "junos"
host = "127.0.0.1"
[devices.fw]
platform = "junos"
host = "127.0.0.1"
[devices.server]
platform = "linux"
host = "127.0.0.1"
[azure]
endpoint = "http://127.0.0.1:9"
subscription = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-er-lab"
circuit = "er-circuit-11"
gateway = "vpngw-hub-11"
connection = "cn-onprem-11"
credential = "token-env"
token_env = "CUTOVER_ARM_TOKEN"
"#;

    #[test]
    fn the_bundled_runbook_fits_a_full_inventory() {
        let dir = tempfile::tempdir().expect("dir");
        let inv = write(&dir, "inv.toml", INV);
        let p = prepare(&inv, None, DEFAULT_RUNBOOK, DEFAULT_NAME).expect("fits");
        assert_eq!(p.runbook.meta.id, "er-vpn-validate");
        assert!(refuse_changes(&p.runbook).is_ok());
        assert_eq!(p.runbook_sha256.len(), 64);
    }

    #[test]
    fn a_bad_inventory_names_its_line() {
        let dir = tempfile::tempdir().expect("dir");
        let inv = write(
            &dir,
            "inv.toml",
            &INV.replace(
                "host = \"127.0.0.1\"\n[devices.ce2]",
                "hots = 1\n[devices.ce2]",
            ),
        );
        let e = prepare(&inv, None, DEFAULT_RUNBOOK, DEFAULT_NAME).expect_err("bad");
        assert!(e.starts_with(&format!("{}:", inv.display())), "{e}");
    }

    #[test]
    fn a_runbook_that_changes_things_is_refused() {
        let dir = tempfile::tempdir().expect("dir");
        let inv = write(&dir, "inv.toml", INV);
        let rb =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-vpn-failover.toml");
        let p = prepare(&inv, Some(&rb), DEFAULT_RUNBOOK, DEFAULT_NAME).expect("fits");
        let e = refuse_changes(&p.runbook).expect_err("refused");
        assert!(
            e.contains("confirm-failover, disable-private-peering, enable-private-peering"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_device_is_bad_input() {
        let dir = tempfile::tempdir().expect("dir");
        let inv = write(
            &dir,
            "inv.toml",
            &INV.replace(
                "[devices.server]\nplatform = \"linux\"\nhost = \"127.0.0.1\"\n",
                "",
            ),
        );
        let e = prepare(&inv, None, DEFAULT_RUNBOOK, DEFAULT_NAME).expect_err("no server");
        assert!(
            e.contains("role `server` (linux) has no [devices.server]"),
            "{e}"
        );
    }
}
