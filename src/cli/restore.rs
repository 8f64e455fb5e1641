//! `cutover restore`: enables the private peering again after a failover
//! that did not end cleanly, and proves the path is back on ExpressRoute.
//!
//! It is a session like `run`: the bundled `runbooks/er-restore.toml`
//! (a gate that wants the circuit name, then the enable action with the
//! failback verifications) through the same engine, ARM client (GET, PUT
//! under If-Match, operation polling, retries), journal and detached
//! guard. Before any of that it reads the peering: already Enabled and
//! settled, it says so and writes nothing.
//!
//! Exit 0 restored (or nothing to restore), 1 declined at the gate (nothing
//! changed), 2 bad input, 4 not restored: the last lines printed are the
//! az CLI and PowerShell commands that enable it by hand.

use std::path::PathBuf;
use std::process::ExitCode;

use super::session::{SessionArgs, guarded, init_logging, real_setup, runtime};
use super::{bad, exit};
use cutover_core::model::azure::{PeeringState, ProvisioningState};
use cutover_core::session::event::Mode;
use cutover_engine::SessionConfig;
use cutover_engine::port::{AzureApi, ManualCommands};

/// The bundled restore runbook, so the binary stands alone.
pub const RESTORE_RUNBOOK: &str = include_str!("../../runbooks/er-restore.toml");
const RESTORE_NAME: &str = "runbooks/er-restore.toml (bundled)";

const EXIT_HELP: &str = "\
Exit status:
  0  the peering is Enabled and the path is back on ExpressRoute (or it
     already was Enabled: nothing was done, nothing written)
  1  declined at the gate: nothing was changed
  2  bad input: runbook, inventory, theme or journal (path:line:col)
  4  not restored: enable it by hand with the commands printed last";

/// `cutover restore`.
#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = EXIT_HELP,
    mut_arg("runbook", |a| a.help("The runbook (default: the bundled runbooks/er-restore.toml)"))
)]
pub struct RestoreArgs {
    /// Where the devices and the Azure resources are (TOML).
    #[arg(long, value_name = "PATH")]
    pub inventory: PathBuf,
    #[command(flatten)]
    pub session: SessionArgs,
    /// Do not ask: type the circuit name at the gate and confirm once the
    /// path is verified back on ExpressRoute. Needs --headless; without
    /// it, headless mode reads the circuit name on standard input.
    #[arg(long, requires = "headless")]
    pub yes: bool,
}

/// What the peering reads before anything is done.
enum Before {
    /// Enabled and settled: nothing to do.
    Enabled(String),
    /// Anything else: restore it.
    Needs(String),
}

async fn read_before<A: AzureApi>(az: &A, peering: &str) -> Result<Before, String> {
    let r = az
        .get_peering()
        .await
        .map_err(|e| format!("{peering} cannot be read: {e}"))?;
    let state = r.value.state().cloned();
    let prov = r.value.provisioning_state().cloned();
    let show = |s: Option<String>| s.unwrap_or_else(|| "not shown".into());
    let text = format!(
        "{peering} is {} (provisioningState {})",
        show(state.as_ref().map(ToString::to_string)),
        show(prov.as_ref().map(ToString::to_string))
    );
    let enabled =
        state == Some(PeeringState::Enabled) && prov == Some(ProvisioningState::Succeeded);
    Ok(if enabled {
        Before::Enabled(text)
    } else {
        Before::Needs(text)
    })
}

fn manual_text(m: &ManualCommands) -> String {
    format!(
        "NOT RESTORED: enable the peering by hand now, then check the path:\n  az CLI:     {}\n  PowerShell: {}",
        m.az_cli, m.powershell
    )
}

pub fn run(args: RestoreArgs) -> ExitCode {
    let setup = match real_setup(
        &args.session,
        &args.inventory,
        RESTORE_RUNBOOK,
        RESTORE_NAME,
    ) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let Some(manual) = setup
        .world
        .azure
        .as_ref()
        .map(|az| az.manual_commands(PeeringState::Enabled))
    else {
        return bad(format!(
            "{}: no [azure] section: nothing to restore",
            args.inventory.display()
        ));
    };
    let peering = setup
        .prepared
        .inventory
        .azure
        .as_ref()
        .map_or_else(|| "the private peering".to_string(), |a| a.peering.clone());
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return bad(e),
    };
    init_logging(setup.front.theme.is_some());
    let mut config = SessionConfig::new(Mode::Run);
    config.restore = true;
    config.settle_override = args.session.settle;
    config.rollback_budget_override = args.session.rollback_budget;
    config.restore_command = Some(format!(
        "cutover restore --inventory {}",
        setup.inventory.display()
    ));
    rt.block_on(async move {
        let before = match setup.world.azure.as_ref() {
            Some(az) => read_before(az, &peering).await,
            None => Err("no Azure client".to_string()),
        };
        match before {
            Ok(Before::Enabled(text)) => {
                outln!("{text}: nothing to restore; no journal was written");
                return ExitCode::from(exit::OK);
            }
            Ok(Before::Needs(text)) => errln!("{text}: restoring it"),
            Err(e) => {
                outln!("{e}\n{}", manual_text(&manual));
                return ExitCode::from(exit::OPERATOR_MUST_ACT);
            }
        }
        let code = guarded(setup, config, args.session.clone(), args.yes).await;
        if code == ExitCode::from(exit::OPERATOR_MUST_ACT) {
            outln!("{}", manual_text(&manual));
        }
        code
    })
}
