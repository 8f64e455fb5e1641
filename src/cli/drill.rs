//! `cutover drill`: the session against the built-in lab, started as a
//! child process and reached through the same clients as production.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::bad;
use super::drill_lab::DrillLab;
use super::session::{
    EXIT_HELP, FAILOVER_NAME, FAILOVER_RUNBOOK, Front, Session, SessionArgs, front, init_logging,
    parse_deadline, runtime,
};
use super::validate::{prepare, real_world};
use cutover_clients::arm::{StaticToken, lab_tokens};
use cutover_clients::ssh::SshOptions;
use cutover_core::session::event::Mode;
use cutover_engine::SessionConfig;
use cutover_engine::detached::Watchdog;
use cutover_journal::Redactor;

/// `cutover drill`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct DrillArgs {
    /// The lab scenario (`cutover scenarios` lists them, or a file), or
    /// `random`: one of the bundled ones, drawn with --seed and named
    /// only at the debrief.
    #[arg(long, value_name = "NAME", default_value = "baseline")]
    pub scenario: String,
    /// With `--scenario random`: the same seed draws the same scenario
    /// (default: from the clock; the debrief says it).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub session: SessionArgs,
    #[command(flatten)]
    pub lab_time: super::drill_lab::LabTimeArgs,
    /// Answer every gate (by typing its confirmation text; never over a
    /// failed pre-check) and every "healthy?" question with yes. For CI;
    /// needs --headless.
    #[arg(long, requires = "headless", conflicts_with = "blind")]
    pub auto_confirm: bool,
    /// Blind: the pre-checks' verdicts are hidden until the gate; mark
    /// each check pass or fail from its output (console: p/f; headless:
    /// `mark CHECK pass|fail`) before the gate opens.
    #[arg(long)]
    pub blind: bool,
    /// Replace every guarded change's deadline (90s, 10m, 1h30m).
    #[arg(long, value_name = "DUR", value_parser = parse_deadline)]
    pub deadline: Option<Duration>,
}

/// `cutover drill`.
pub fn drill(args: DrillArgs) -> ExitCode {
    let front = match front(&args.session) {
        Ok(f) => f,
        Err(e) => return bad(e),
    };
    let scenario = match super::surprise::resolve(&args.scenario, args.seed) {
        Ok(s) => s,
        Err(e) => return bad(format!("error: {e}")),
    };
    if let Err(e) = super::identity::load_signer(args.session.sign_key.as_deref(), None) {
        return bad(e);
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return bad(e),
    };
    init_logging(front.theme.is_some());
    rt.block_on(async move {
        let console = front.theme.is_some();
        let lab = match DrillLab::start(&scenario.lab_arg, console, args.lab_time.time_scale).await
        {
            Ok(l) => l,
            Err(e) => return bad(format!("error: the lab did not start: {e}")),
        };
        let code = drill_session(&args, front, &lab, scenario).await;
        lab.stop().await;
        code
    })
}

async fn drill_session(
    args: &DrillArgs,
    front: Front,
    lab: &DrillLab,
    scenario: super::surprise::DrillScenario,
) -> ExitCode {
    let token = lab.token();
    let prepared = match prepare(
        lab.inventory(),
        args.session.runbook.as_deref(),
        FAILOVER_RUNBOOK,
        FAILOVER_NAME,
    ) {
        Ok(p) => p,
        Err(e) => return bad(e),
    };
    // Isolated: the lab's inventory names its own key and known_hosts; the
    // operator's ssh config and agent have no business here.
    let world = match real_world(
        &prepared,
        &SshOptions::isolated(),
        // Renewed at the lab's token endpoint once ARM says it expired,
        // as a production credential renews.
        Some(match &prepared.inventory.azure {
            Some(az) => lab_tokens(&az.endpoint, token),
            None => Arc::new(StaticToken::new(token)),
        }),
    ) {
        Ok(w) => w,
        Err(e) => return bad(e),
    };
    let redactor = match Redactor::for_inventory(&prepared.inventory) {
        Ok(r) => r,
        Err(e) => return bad(e),
    };
    redactor.register_secret(token);
    let mut config = SessionConfig::new(Mode::Drill);
    config.scenario = Some(scenario.shown);
    config.drill = Some(scenario.plan);
    config.blind = args.blind;
    config.start_events.extend(lab.time_scale_event());
    config.deadline_override = args.deadline;
    config.settle_override = args.session.settle;
    config.rollback_budget_override = args.session.rollback_budget;
    super::startup::prepare(&mut config, None, args.session.state_dir.as_deref());
    let session = Session {
        prepared,
        config,
        redactor: Arc::new(redactor),
        args: args.session.clone(),
        auto_confirm: args.auto_confirm,
        theme: front.theme,
    };
    session
        .run(world, |journal| {
            let mut wd = lab.watchdog(journal);
            wd.leading_args.extend(super::identity::guard_args());
            Arc::new(wd) as Arc<dyn Watchdog>
        })
        .await
}
