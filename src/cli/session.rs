//! `cutover drill` and `cutover run`: a whole session of the engine, in the
//! console or headless, recorded in a journal.
//!
//! Both go through the same path: inventory + runbook, the real SSH and
//! ARM clients, the journal (written before anything is shown or changed),
//! then the console or the headless driver. `drill` only adds the lab: it
//! starts the built-in network on 127.0.0.1 in a process of its own
//! (`drill_lab`) and uses the inventory the lab writes, so every byte still
//! crosses a socket, and the same detached guard as `run` can reach it.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::validate::{Prepared, prepare, real_world};
use super::{bad, init_stderr_logging};
use cutover_clients::arm::ArmClient;
use cutover_clients::ssh::{SshDevice, SshOptions};
use cutover_core::session::event::Mode;
use cutover_core::session::state::SessionState;
use cutover_engine::detached::{ChildWatchdog, Watchdog};
use cutover_engine::port::trace::Tracer;
use cutover_engine::port::{AzureApi, DeviceSession};
use cutover_engine::sink::ConsoleSidecar;
use cutover_engine::{Engine, EventSink, NoLocalTracer, SessionConfig, SessionOutcome, World};
use cutover_journal::{Redactor, SharedJournal};
use cutover_tui::{self as ui, App, Theme};

/// The bundled failover runbook, so the binary stands alone.
pub const FAILOVER_RUNBOOK: &str = include_str!("../../runbooks/er-vpn-failover.toml");
pub(super) const FAILOVER_NAME: &str = "runbooks/er-vpn-failover.toml (bundled)";

/// The longest `--deadline`: a guarded change is confirmed in minutes, and
/// a longer one is a typo (and past some length no clock can count it).
const LONGEST_DEADLINE: Duration = Duration::from_secs(24 * 3600);

pub(super) fn parse_deadline(s: &str) -> Result<Duration, String> {
    let d = cutover_core::runbook::Duration::parse(s)
        .map(|d| d.as_std())
        .map_err(|e| format!("{e} (for example 90s, 10m, 1h30m)"))?;
    if d > LONGEST_DEADLINE {
        return Err(format!(
            "a deadline of `{s}` is longer than the longest allowed, 24h (for example 90s, 10m, 1h30m)"
        ));
    }
    Ok(d)
}

/// The longest `--settle`, as for a runbook's `settle`: the rollback and
/// the session's exit wait for it.
const LONGEST_SETTLE: Duration = Duration::from_secs(600);

fn parse_settle(s: &str) -> Result<Duration, String> {
    let d = cutover_core::runbook::Duration::parse(s)
        .map(|d| d.as_std())
        .map_err(|e| e.to_string())?;
    if d > LONGEST_SETTLE {
        return Err(format!(
            "a settle window of `{s}` is longer than the longest allowed, 10m (for example 2s, 30s, 2m)"
        ));
    }
    Ok(d)
}

fn parse_rollback_budget(s: &str) -> Result<Duration, String> {
    let d = cutover_core::runbook::Duration::parse(s)
        .map(|d| d.as_std())
        .map_err(|e| e.to_string())?;
    if d < Duration::from_secs(1) || d > cutover_core::runbook::Action::MAX_ROLLBACK_BUDGET {
        return Err(format!(
            "a rollback budget of `{s}` is outside 1s..1h (for example 30s, 10m)"
        ));
    }
    Ok(d)
}

/// What `drill`, `run` and `restore` share.
#[derive(Debug, Clone, clap::Args)]
pub struct SessionArgs {
    /// The runbook (default: the bundled runbooks/er-vpn-failover.toml).
    #[arg(long, value_name = "PATH")]
    pub runbook: Option<PathBuf>,
    /// Print one timestamped line per event instead of the console; the
    /// operator answers on standard input.
    #[arg(long)]
    pub headless: bool,
    /// Where to write the session's journal (default: a new file under
    /// $XDG_STATE_HOME/cutover/sessions/).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// The change ticket, recorded in the journal and the report.
    #[arg(long, value_name = "ID")]
    pub ticket: Option<String>,
    /// Who runs the session, recorded in the journal, the report and the
    /// replay (default: $USER, else $LOGNAME, else the account name).
    #[arg(long, value_name = "NAME", value_parser = super::identity::parse_operator)]
    pub operator: Option<String>,
    /// Sign the journal with this SSH key (SSHSIG, namespace
    /// cutover-journal; `ssh-keygen -Y verify` checks it): an unencrypted
    /// private key, or a public key (.pub) whose private half is in the
    /// ssh-agent. Writes JOURNAL.sig at the end. Default: the inventory's
    /// [journal] sign_key.
    #[arg(long, value_name = "PATH")]
    pub sign_key: Option<PathBuf>,
    /// Colour theme: a bundled name (dark, light, high-contrast) or a file.
    /// NO_COLOR is honoured.
    #[arg(long, value_name = "THEME")]
    pub theme: Option<String>,
    /// cutover's state directory: journals go under DIR/sessions/
    /// (default: $XDG_STATE_HOME/cutover). --journal wins.
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
    /// Replace every action's settle window: how long a rollback watches
    /// the peering after its write, writing again if it flips (2s, 30s,
    /// 2m; default: the runbook's `settle`, else 30s).
    #[arg(long, value_name = "DUR", value_parser = parse_settle)]
    pub settle: Option<Duration>,
    /// Replace every action's rollback budget: how long a failing rollback
    /// retries (escalated to you meanwhile, with the manual commands)
    /// before it stops and the session ends with exit 4 (1s to 1h;
    /// default: the runbook's `rollback_budget`, else 10m).
    #[arg(long, value_name = "DUR", value_parser = parse_rollback_budget)]
    pub rollback_budget: Option<Duration>,
}

/// `cutover run`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = EXIT_HELP)]
pub struct RunArgs {
    /// Where the devices and the Azure resources are (TOML).
    #[arg(long, value_name = "PATH")]
    pub inventory: PathBuf,
    #[command(flatten)]
    pub session: SessionArgs,
    /// Replace every guarded change's deadline (90s, 10m, 1h30m).
    #[arg(long, value_name = "DUR", value_parser = parse_deadline)]
    pub deadline: Option<Duration>,
    /// Refused: blind mode is for drills (taken only to say so clearly).
    #[arg(long, hide = true)]
    pub blind: bool,
}

pub(super) const EXIT_HELP: &str = "\
Exit status:
  0  the procedure completed and was confirmed healthy
  1  stopped before any change: a pre-check failed, the gate was declined,
     the operator aborted before any write was accepted, or the peering
     was not Enabled at the start (`cutover restore`)
  2  bad input: runbook, inventory, theme or journal (path:line:col)
  3  a guarded change was rolled back, and the rollback succeeded
  4  a rollback failed or the state is unknown: run the manual command printed last";

pub(super) fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Everything checked before a session starts: a bad theme or a missing
/// terminal is found before any lab, device or journal is touched.
pub(super) struct Front {
    pub(super) theme: Option<Theme>,
}

pub(super) fn front(args: &SessionArgs) -> Result<Front, String> {
    // Read even headless, where it is not used: a broken theme file is
    // bad input in every mode, not something that waits for the day the
    // console is used.
    let theme = Theme::from_args(args.theme.as_deref()).map_err(|e| e.to_string())?;
    if args.headless {
        return Ok(Front { theme: None });
    }
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(
            "the console needs a terminal on standard input and output (use --headless)".into(),
        );
    }
    Ok(Front { theme: Some(theme) })
}

/// What `run` and `restore` hold before their session starts: the
/// console's theme, the checked inventory and runbook, the redactor and the
/// real clients, and the inventory's absolute path (for the guard and for
/// the hints that name it).
pub(super) struct RealSetup {
    pub(super) front: Front,
    pub(super) prepared: Prepared,
    pub(super) redactor: Redactor,
    pub(super) world: World<SshDevice, ArmClient, NoLocalTracer>,
    pub(super) inventory: PathBuf,
}

/// Reads and checks everything a session against real devices needs,
/// before anything is started: bad input is exit 2 with nothing begun.
pub(super) fn real_setup(
    session: &SessionArgs,
    inventory: &Path,
    runbook: &str,
    runbook_name: &str,
) -> Result<RealSetup, String> {
    let front = front(session)?;
    let prepared = prepare(inventory, session.runbook.as_deref(), runbook, runbook_name)?;
    let redactor = Redactor::for_inventory(&prepared.inventory).map_err(|e| e.to_string())?;
    let world = real_world(&prepared, &SshOptions::default(), None)?;
    super::identity::load_signer(
        session.sign_key.as_deref(),
        Some((&prepared.inventory, inventory)),
    )?;
    let inventory = std::fs::canonicalize(inventory).unwrap_or_else(|_| inventory.to_path_buf());
    Ok(RealSetup {
        front,
        prepared,
        redactor,
        world,
        inventory,
    })
}

/// `cutover run`.
pub fn run(args: RunArgs) -> ExitCode {
    if args.blind {
        return bad("error: --blind is for drills (`cutover drill --blind`): a real change never hides a verdict".to_string());
    }
    let setup = match real_setup(
        &args.session,
        &args.inventory,
        FAILOVER_RUNBOOK,
        FAILOVER_NAME,
    ) {
        Ok(s) => s,
        Err(e) => return bad(e),
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => return bad(e),
    };
    init_logging(setup.front.theme.is_some());
    let mut config = SessionConfig::new(Mode::Run);
    config.deadline_override = args.deadline;
    config.settle_override = args.session.settle;
    config.rollback_budget_override = args.session.rollback_budget;
    super::startup::prepare(
        &mut config,
        Some(&setup.inventory),
        args.session.state_dir.as_deref(),
    );
    rt.block_on(guarded(setup, config, args.session.clone(), false))
}

/// The session of `run` and `restore`: the journal, the console or
/// headless driver, and a detached guard for each guarded change.
pub(super) async fn guarded(
    setup: RealSetup,
    config: SessionConfig,
    args: SessionArgs,
    auto_confirm: bool,
) -> ExitCode {
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => return bad(format!("cannot find this program for its guard: {e}")),
    };
    let RealSetup {
        front,
        prepared,
        redactor,
        world,
        inventory,
    } = setup;
    let session = Session {
        prepared,
        config,
        redactor: Arc::new(redactor),
        args,
        auto_confirm,
        theme: front.theme,
    };
    session
        .run(world, |journal| {
            let mut wd = ChildWatchdog::new(program, inventory, journal.to_path_buf());
            wd.leading_args.extend(super::identity::guard_args());
            Arc::new(wd) as Arc<dyn Watchdog>
        })
        .await
}

/// A session ready to start.
pub(super) struct Session {
    pub(super) prepared: Prepared,
    pub(super) config: SessionConfig,
    pub(super) redactor: Arc<Redactor>,
    pub(super) args: SessionArgs,
    pub(super) auto_confirm: bool,
    pub(super) theme: Option<Theme>,
}

impl Session {
    /// `watchdog` is made once the journal's path is known (the detached
    /// guard writes into the same journal).
    pub(super) async fn run<D, A, L>(
        mut self,
        world: World<D, A, L>,
        watchdog: impl FnOnce(&Path) -> Arc<dyn Watchdog>,
    ) -> ExitCode
    where
        D: DeviceSession + 'static,
        A: AzureApi + 'static,
        L: Tracer + 'static,
    {
        let session_id = uuid::Uuid::new_v4();
        self.config.session_id = session_id.to_string();
        self.config.runbook_sha256 = self.prepared.runbook_sha256.clone();
        self.config.ticket = self.args.ticket.clone();
        self.config.operator = super::identity::operator(self.args.operator.as_deref());
        self.config.key_fingerprint =
            cutover_journal::sign::process_signer().map(|s| s.fingerprint().to_string());
        // Why-texts and prompts say the limits in force (flags over the
        // runbook), before the console, the engine or the journal read one.
        let mut runbook = self.prepared.runbook;
        runbook.apply_in_force(&cutover_core::runbook::in_force::Flags {
            deadline: self.config.deadline_override,
            settle: self.config.settle_override,
            rollback_budget: self.config.rollback_budget_override,
        });
        let rb = Arc::new(runbook);
        let writer = super::startup::create_journal(
            &self.args,
            &rb.meta.id,
            &session_id,
            Arc::clone(&self.redactor),
        );
        let writer = match writer {
            Ok(w) => w,
            Err(e) => return bad(e),
        };
        let journal_path = writer.path().to_path_buf();
        let journal = SharedJournal::new(writer);
        let (ev_tx, ev_rx) = mpsc::unbounded_channel();
        // A failed write still stops the change; what follows (the
        // rollback) is recorded beside the journal instead of dropped.
        let sidecar = ConsoleSidecar::new(&journal_path, Arc::clone(&self.redactor));
        let sidecar_path = sidecar.path().to_path_buf();
        let sink = EventSink::with_sidecar(Arc::new(journal), sidecar, vec![ev_tx]);
        let engine = Engine::new(Arc::clone(&rb), Arc::new(world), sink, self.config)
            .with_watchdog(watchdog(&journal_path));
        tracing::info!(journal = %journal_path.display(), "session started");

        let outcome = match self.theme {
            None => {
                let mut out = std::io::stdout();
                let o = super::headless::drive_with_signals(
                    engine,
                    ev_rx,
                    self.auto_confirm,
                    &mut out,
                    super::signals::install(),
                )
                .await;
                errln!("journal: {}", journal_path.display());
                continued_note(&journal_path, &sidecar_path);
                o
            }
            Some(theme) => {
                let rules = rb.paths.rules();
                let why = rb
                    .steps
                    .iter()
                    .map(|s| (s.id.clone(), s.why.clone()))
                    .collect();
                // Hints are for drills only: `run` never offers one.
                let drill = engine.config().mode == Mode::Drill;
                let hints = rb.steps.iter().filter(|_| drill);
                let hints = hints.filter_map(|s| Some((s.id.clone(), s.hint.clone()?)));
                let app = App::new(SessionState::new(rules.classifier.clone()), theme)
                    .with_why(why)
                    .with_drill(engine.config().blind, hints.collect())
                    .with_monitor_every(rb.meta.monitor_every.map(|d| d.as_std()));
                match console(engine, app, ev_rx).await {
                    Ok(o) => {
                        // Printed after the alternate screen is gone, so it
                        // stays in the operator's scrollback.
                        outln!("exit {}: {}", o.exit_code(), o.outcome);
                        errln!("journal: {}", journal_path.display());
                        continued_note(&journal_path, &sidecar_path);
                        o
                    }
                    Err(e) => return bad(e),
                }
            }
        };
        ExitCode::from(outcome.exit_code())
    }
}

/// Says on stderr where the session's records went once its journal
/// failed (the console and the headless output said it as a note too).
fn continued_note(journal: &Path, sidecar: &Path) {
    if sidecar.exists() {
        errln!(
            "journal continued in {}: a write to {} failed mid-session; `cutover verify {}` checks both",
            sidecar.display(),
            journal.display(),
            journal.display()
        );
    }
}

/// The engine in a task, the console in front of it. When the console
/// ends first (the terminal went away), the engine's command channel
/// closes: an open gate declines, a guarded change rolls back; then the
/// session is awaited to its end either way.
async fn console<D, A, L>(
    engine: Engine<D, A, L>,
    app: App,
    events: mpsc::UnboundedReceiver<cutover_core::session::Event>,
) -> Result<SessionOutcome, String>
where
    D: DeviceSession + 'static,
    A: AzureApi + 'static,
    L: Tracer + 'static,
{
    let (cmd_tx, cmd_rx) = mpsc::channel(16);
    let session = tokio::spawn(engine.run(cmd_rx));
    // SIGTERM, SIGHUP (and a SIGINT from outside: in the console Ctrl-C
    // is a key) end the console as if its terminal went away: the engine's
    // command channel closes, so a change not yet accepted is cancelled
    // and one that may be out is rolled back, before the process exits.
    let mut signals = super::signals::install();
    let ui = tokio::select! {
        ui = ui::run_console(app, events, cmd_tx) => ui.map(|_| ()),
        sig = super::signals::next(&mut signals) => {
            errln!(
                "{}: the console stops; a change that is out is cancelled or rolled back first",
                sig.name()
            );
            Ok(())
        }
    };
    let outcome = session
        .await
        .map_err(|e| format!("the session ended abnormally: {e}"))?;
    if let Err(e) = ui {
        errln!("the console failed: {e}");
    }
    Ok(outcome)
}

/// The log goes to the console's log pane (tui-logger) or, headless, to
/// standard error; `CUTOVER_LOG` sets the filter.
pub(super) fn init_logging(console: bool) {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    if console {
        let filter = EnvFilter::try_from_env("CUTOVER_LOG")
            .unwrap_or_else(|_| EnvFilter::new("warn,cutover=info,cutover::lab=warn"));
        let _ = tracing_subscriber::registry()
            .with(ui::log::tracing_layer())
            .with(filter)
            .try_init();
    } else {
        // Headless, standard output is the session's record: only what
        // needs attention goes to standard error.
        init_stderr_logging("warn");
    }
}
