//! `cutover guard ...` (hidden): the detached guard of one guarded change.
//! The console starts it when the deadline is armed (see
//! `engine::detached::ChildWatchdog`) and talks to it over its stdin and
//! stdout; it rolls the change back through the real ARM client if the
//! console dies, or hangs past the deadline. Not for people to run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::exit;
use cutover_clients::arm::{ArmClient, ArmOptions, lab_tokens};
use cutover_core::inventory::Inventory;
use cutover_core::runbook::ActionOp;
use cutover_engine::detached::{GuardParams, watch_over};
use cutover_engine::guard::RollbackPolicy;
use cutover_journal::Redactor;

#[derive(Debug, Clone, clap::Args)]
pub struct GuardArgs {
    #[arg(long)]
    pub inventory: PathBuf,
    /// The session's journal.
    #[arg(long)]
    pub journal: PathBuf,
    /// The guarded step's id.
    #[arg(long)]
    pub step: String,
    /// The op that undoes the change.
    #[arg(long)]
    pub rollback: String,
    /// RFC 3339; provisional until the console says `applied`.
    #[arg(long)]
    pub deadline_at: String,
    /// The deadline, counted from `applied`.
    #[arg(long)]
    pub deadline_ms: u64,
    #[arg(long, default_value_t = 30_000)]
    pub grace_ms: u64,
    /// How long the rollback watches the peering after its write (the
    /// console's `--settle` or the action's `settle`); default: the
    /// runbook default.
    #[arg(long, hide = true)]
    pub settle_ms: Option<u64>,
    /// How long a failing rollback retries before the operator must act
    /// (the console's `--rollback-budget` or the action's
    /// `rollback_budget`); default: the runbook default.
    #[arg(long, hide = true)]
    pub rollback_budget_ms: Option<u64>,
    /// A drill's lab lifeline (`cutover lab serve --held`): the lab stays
    /// up while this guard lives, whatever became of the console.
    #[arg(long)]
    pub hold: Option<PathBuf>,
    /// The session's signing key: a guard that closes the journal signs it.
    #[arg(long)]
    pub sign_key: Option<PathBuf>,
}

pub fn run(args: GuardArgs) -> ExitCode {
    // Nothing the guard says may stop it: its console's terminal may be
    // hung up, or its pipe closed, by the time it speaks (`lossy`).
    super::lossy::init_logging("warn");
    let code = match run_inner(args) {
        Ok(code) => code,
        Err(e) => {
            super::lossy::say(format!("cutover guard: {e}"));
            exit::BAD_INPUT
        }
    };
    super::lossy::settle(Duration::from_millis(200));
    ExitCode::from(code)
}

fn run_inner(args: GuardArgs) -> Result<u8, String> {
    let Some(rollback) = ActionOp::parse(&args.rollback) else {
        return Err(format!("unknown op `{}`", args.rollback));
    };
    let deadline = OffsetDateTime::parse(&args.deadline_at, &Rfc3339)
        .map_err(|e| format!("--deadline-at `{}`: {e}", args.deadline_at))?;
    let deadline_ms = Duration::from_millis(args.deadline_ms);
    let grace = Duration::from_millis(args.grace_ms);
    let settle = args
        .settle_ms
        .map_or(
            cutover_core::runbook::Action::DEFAULT_SETTLE,
            Duration::from_millis,
        )
        .min(cutover_engine::guard::MAX_SETTLE);
    let budget = args
        .rollback_budget_ms
        .map_or(
            cutover_core::runbook::Action::DEFAULT_ROLLBACK_BUDGET,
            Duration::from_millis,
        )
        .min(cutover_core::runbook::Action::MAX_ROLLBACK_BUDGET);
    let left = Duration::try_from(deadline - OffsetDateTime::now_utc()).unwrap_or(Duration::ZERO);
    let inv = Inventory::load(&args.inventory).map_err(|e| e.to_string())?;
    let az = inv
        .azure
        .as_ref()
        .ok_or_else(|| format!("{}: no [azure] section", args.inventory.display()))?;
    let redactor = Redactor::for_inventory(&inv).map_err(|e| e.to_string())?;
    super::identity::guard_signer(args.sign_key.as_deref());
    let lab_token = az
        .token_env
        .as_deref()
        .and_then(|v| std::env::var(v).ok())
        .filter(|t| !t.trim().is_empty());
    let client = match (&args.hold, lab_token) {
        // A drill's guard: the lab's token renews at the lab's token
        // endpoint once ARM says it expired, as the console's does.
        (Some(_), Some(t)) => {
            ArmClient::with_token_source(az, ArmOptions::default(), lab_tokens(&az.endpoint, &t))
        }
        _ => ArmClient::new(az),
    }
    .map_err(|e| e.to_string())?;
    // Held before `ready`, and until this process ends: the console may
    // die the moment it hears `ready`, and the lab must outlive it.
    let _lab = args
        .hold
        .as_deref()
        .map(super::lab_held::hold)
        .transpose()?;
    let (input, output) = std_pipes()?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let end = rt.block_on(async move {
        // A hang-up of the console's terminal must not end the guard.
        #[cfg(unix)]
        let _hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
        let params = GuardParams {
            step: args.step,
            rollback,
            deadline_at: tokio::time::Instant::now() + left,
            deadline: deadline_ms,
            grace,
            policy: RollbackPolicy::default(),
            settle,
            budget,
            journal: args.journal,
        };
        watch_over(
            client,
            tokio::io::BufReader::new(input),
            output,
            params,
            Arc::new(redactor),
        )
        .await
    });
    // A read of the console's pipe may still be pending on the blocking
    // pool; the guard is done, it must not wait for it.
    rt.shutdown_timeout(Duration::from_millis(100));
    Ok(end.exit_code())
}

/// The console's pipes (our stdin and stdout) as async files.
fn std_pipes() -> Result<(tokio::fs::File, tokio::fs::File), String> {
    use std::os::fd::AsFd;
    let input = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| format!("stdin: {e}"))?;
    let output = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map_err(|e| format!("stdout: {e}"))?;
    Ok((
        tokio::fs::File::from_std(std::fs::File::from(input)),
        tokio::fs::File::from_std(std::fs::File::from(output)),
    ))
}
