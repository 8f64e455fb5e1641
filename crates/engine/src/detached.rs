//! The detached guard: what undoes a guarded change when this process can
//! no longer do it (killed, hung up, frozen). DESIGN.md invariant 2.
//!
//! The engine talks to it through [`Watchdog`] / [`Watch`]; production uses
//! a child process (see `child` below and `cutover guard`), tests use
//! [`NoWatchdog`] or their own double.

use std::time::Duration;

use futures::future::BoxFuture;
use time::OffsetDateTime;

use cutover_core::runbook::ActionOp;
use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep_until};

use cutover_core::session::event::{Event, Mode, NoteLevel, RollbackReason};
use super::guard::{GuardOutcome, RollbackPolicy, roll_back};
use super::probes::{NoLocalTracer, World};
use super::runner::{Ctx, SessionConfig};
use super::sink::{EventLog, EventSink};
use cutover_core::session::Outcome;
use cutover_journal::{JournalReader, JournalWriter, Redactor, SharedJournal};
use crate::port::{AzureApi, CommandOutput, DeviceError, DeviceSession};

/// What the guard must know to undo a change on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchRequest {
    pub step: String,
    /// The op that undoes the change (`azure.peering.enable`).
    pub rollback: ActionOp,
    /// When the change must have been confirmed (wall clock, UTC).
    pub expires_at: OffsetDateTime,
    pub deadline: Duration,
}

/// Starts a guard for one change.
pub trait Watchdog: Send + Sync {
    /// `Ok(None)`: no guard is wanted (tests, read-only runs).
    fn arm(&self, req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>>;
}

/// One armed guard. The engine tells it how the change is resolved; the
/// guard is the arbiter once the deadline has passed: it may already be
/// rolling back, and then the console must not confirm.
pub trait Watch: Send {
    /// The change went out: the deadline counts from now (the guard is
    /// armed before the call, so that a console dying during it is
    /// covered).
    fn applied(&mut self) -> BoxFuture<'_, Result<(), String>>;
    /// Asks to confirm. `Ok(false)`: the guard already started the
    /// rollback, the change must not be called healthy.
    fn confirm(&mut self) -> BoxFuture<'_, Result<bool, String>>;
    /// The console is rolling back itself: the guard stands by, and acts
    /// only if the console dies before it says [`Watch::resolved`].
    fn rolling_back(&mut self) -> BoxFuture<'_, Result<(), String>>;
    /// Confirmed, or rolled back (successfully or not): the guard may go.
    fn resolved(&mut self) -> BoxFuture<'_, Result<(), String>>;
}

/// No detached guard: the engine alone guards the change (tests, and
/// sessions whose caller guards the process some other way).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoWatchdog;

impl Watchdog for NoWatchdog {
    fn arm(&self, _req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>> {
        Box::pin(async { Ok(None) })
    }
}

// ---------------------------------------------------------------- protocol
//
// One line per message over the child's stdin (console -> guard) and
// stdout (guard -> console):
//
//   guard:   `ready`                  armed, watching
//   console: `applied`   guard: `ack`      (the change went out: the
//                                           deadline counts from now)
//   console: `confirm`   guard: `granted` | `denied`
//   console: `rollback`  guard: `ack`      (the console undoes it itself)
//   console: `resolved`                    (the guard exits)
//
// The guard acts when its input ends without `resolved` (the console died:
// the pipe's write end closes with the process), or when the deadline plus
// a grace period passes while the console has said nothing (it hangs).
//
// The journal has one writer at a time: the console while it lives. The
// guard appends only after its input ended, i.e. after the console process
// is gone, and first reads the journal to see whether the console resolved
// the change before dying (then it does nothing). When it had to act while
// the console was still alive but silent, it keeps its events and appends
// them once the console is gone. A journal it cannot continue (a torn last
// line) is left untouched and the events go to `JOURNAL.guard.jsonl`.

const READY: &str = "ready";
const APPLIED: &str = "applied";
const CONFIRM: &str = "confirm";
const GRANTED: &str = "granted";
const DENIED: &str = "denied";
const ROLLBACK: &str = "rollback";
const ACK: &str = "ack";
const RESOLVED: &str = "resolved";

/// Starts `PROGRAM guard ...` (the hidden `cutover guard` subcommand) for
/// every guarded change.
#[derive(Debug, Clone)]
pub struct ChildWatchdog {
    /// Usually `std::env::current_exe()`.
    pub program: PathBuf,
    /// Arguments before the guard's own (`["guard"]`).
    pub leading_args: Vec<OsString>,
    pub inventory: PathBuf,
    pub journal: PathBuf,
    /// How long past the deadline the guard waits for a silent console.
    pub grace: Duration,
    /// How long the guard may take to say `ready`.
    pub ready_timeout: Duration,
}

impl ChildWatchdog {
    pub fn new(program: PathBuf, inventory: PathBuf, journal: PathBuf) -> Self {
        Self {
            program,
            leading_args: vec!["guard".into()],
            inventory,
            journal,
            grace: Duration::from_secs(30),
            ready_timeout: Duration::from_secs(10),
        }
    }

    /// The guard's arguments for `req`.
    pub fn args(&self, req: &WatchRequest) -> Vec<OsString> {
        let mut a = self.leading_args.clone();
        a.extend([
            "--inventory".into(),
            self.inventory.clone().into_os_string(),
            "--journal".into(),
            self.journal.clone().into_os_string(),
            "--step".into(),
            req.step.clone().into(),
            "--rollback".into(),
            req.rollback.as_str().into(),
            "--deadline-at".into(),
            cutover_journal::line::format_ts(req.expires_at).into(),
            "--deadline-ms".into(),
            req.deadline.as_millis().to_string().into(),
            "--grace-ms".into(),
            self.grace.as_millis().to_string().into(),
        ]);
        a
    }
}

impl Watchdog for ChildWatchdog {
    fn arm(&self, req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>> {
        Box::pin(async move {
            let mut cmd = tokio::process::Command::new(&self.program);
            cmd.args(self.args(&req))
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::inherit())
                // The guard must outlive this process: that is its job.
                .kill_on_drop(false);
            // Its own process group: a Ctrl-C or a hang-up of the terminal
            // goes to the console's group, not to the guard.
            #[cfg(unix)]
            cmd.process_group(0);
            let mut child = cmd
                .spawn()
                .map_err(|e| format!("cannot start `{}`: {e}", self.program.display()))?;
            let stdin = child.stdin.take().ok_or("the guard has no stdin")?;
            let stdout = child.stdout.take().ok_or("the guard has no stdout")?;
            let mut lines = BufReader::new(stdout).lines();
            match tokio::time::timeout(self.ready_timeout, lines.next_line()).await {
                Ok(Ok(Some(l))) if l.trim() == READY => Ok(Some(Box::new(ChildWatch {
                    child,
                    stdin: Some(stdin),
                    lines,
                })
                    as Box<dyn Watch>)),
                Ok(Ok(other)) => Err(format!("the guard did not start: it said {other:?}")),
                Ok(Err(e)) => Err(format!("the guard did not start: {e}")),
                Err(_) => Err(format!(
                    "the guard did not say `{READY}` within {} s",
                    self.ready_timeout.as_secs()
                )),
            }
        })
    }
}

/// The console's end of one guard's pipes.
struct ChildWatch {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Lines<BufReader<ChildStdout>>,
}

impl ChildWatch {
    async fn say(&mut self, msg: &str) -> Result<(), String> {
        let w = self
            .stdin
            .as_mut()
            .ok_or("the guard was already released")?;
        w.write_all(format!("{msg}\n").as_bytes())
            .await
            .map_err(|e| format!("cannot reach the guard: {e}"))?;
        w.flush()
            .await
            .map_err(|e| format!("cannot reach the guard: {e}"))
    }

    async fn hear(&mut self) -> Result<String, String> {
        match self.lines.next_line().await {
            Ok(Some(l)) => Ok(l.trim().to_string()),
            Ok(None) => Err("the guard is gone".into()),
            Err(e) => Err(format!("cannot hear the guard: {e}")),
        }
    }
}

impl Watch for ChildWatch {
    fn applied(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.say(APPLIED).await?;
            match self.hear().await?.as_str() {
                ACK => Ok(()),
                other => Err(format!("the guard said `{other}`")),
            }
        })
    }

    fn confirm(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.say(CONFIRM).await?;
            match self.hear().await?.as_str() {
                GRANTED => Ok(true),
                DENIED => Ok(false),
                other => Err(format!("the guard said `{other}`")),
            }
        })
    }

    fn rolling_back(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            self.say(ROLLBACK).await?;
            match self.hear().await?.as_str() {
                ACK => Ok(()),
                other => Err(format!("the guard said `{other}`")),
            }
        })
    }

    fn resolved(&mut self) -> BoxFuture<'_, Result<(), String>> {
        Box::pin(async move {
            let said = self.say(RESOLVED).await;
            // Closing its input after `resolved` lets it go; its exit is
            // reaped here so it leaves no zombie.
            self.stdin = None;
            let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
            said
        })
    }
}

// ---------------------------------------------------------------- the guard

/// What the guard process is told on its command line.
#[derive(Debug, Clone)]
pub struct GuardParams {
    pub step: String,
    pub rollback: ActionOp,
    /// Provisional until the console says `applied`; then `deadline`
    /// from that moment.
    pub deadline_at: Instant,
    pub deadline: Duration,
    pub grace: Duration,
    pub policy: RollbackPolicy,
    pub journal: PathBuf,
}

/// How the guard ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GuardEnd {
    /// The console confirmed the change, or resolved it itself.
    Released,
    /// The console was gone and the journal shows the change resolved.
    AlreadyResolved,
    /// The guard rolled back (`ok`: successfully).
    RolledBack { ok: bool, reason: RollbackReason },
}

impl GuardEnd {
    pub fn outcome(&self) -> Outcome {
        match self {
            GuardEnd::Released | GuardEnd::AlreadyResolved => Outcome::Completed,
            GuardEnd::RolledBack { ok: true, .. } => Outcome::RolledBack,
            GuardEnd::RolledBack { ok: false, .. } => Outcome::OperatorMustAct,
        }
    }

    pub fn exit_code(&self) -> u8 {
        self.outcome().exit_code()
    }
}

/// A device type for a world with no devices (the guard only talks to
/// Azure).
#[derive(Debug)]
enum NoDevice {}

impl DeviceSession for NoDevice {
    fn role(&self) -> &str {
        match *self {}
    }
    async fn run(&self, _command: &str) -> Result<CommandOutput, DeviceError> {
        match *self {}
    }
}

#[derive(Debug, PartialEq, Eq)]
enum St {
    Armed,
    Confirmed,
    ConsoleRollingBack,
    /// Acted while the console was silent; the events wait for the journal.
    Acted,
}

/// The guard's whole life: watches `input` until the console resolves the
/// change, dies or hangs, and rolls back through `azure` when it must.
pub async fn watch_over<A, R, W>(
    azure: A,
    input: R,
    mut output: W,
    params: GuardParams,
    redactor: Arc<Redactor>,
) -> GuardEnd
where
    A: AzureApi + 'static,
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let world = World::<NoDevice, A, NoLocalTracer>::new(Default::default(), Some(azure), None);
    let mut config = SessionConfig::new(Mode::Run);
    config.rollback = params.policy;
    config.monitor = false;
    say(&mut output, READY).await;
    let mut lines = input.lines();
    let mut st = St::Armed;
    let mut kept: Vec<Event> = Vec::new();
    let mut acted: Option<GuardOutcome> = None;
    let silent_until = sleep_until(params.deadline_at + params.grace);
    tokio::pin!(silent_until);
    loop {
        tokio::select! {
            () = &mut silent_until, if st == St::Armed => {
                eprintln!(
                    "cutover guard: the console said nothing {} s past the deadline: rolling back `{}` now",
                    params.grace.as_secs(), params.step
                );
                let (tx, mut rx) = mpsc::unbounded_channel();
                let sink = EventSink::new(None, vec![tx]);
                let outcome = act(&world, &sink, &config, &params, RollbackReason::DeadlinePassed).await;
                drop(sink);
                while let Some(e) = rx.recv().await {
                    kept.push(e);
                }
                acted = Some(outcome);
                st = St::Acted;
            }
            line = lines.next_line() => match line {
                Ok(Some(l)) => match l.trim() {
                    APPLIED => {
                        if st == St::Armed {
                            silent_until
                                .as_mut()
                                .reset(Instant::now() + params.deadline + params.grace);
                        }
                        say(&mut output, ACK).await;
                    }
                    CONFIRM => {
                        if matches!(st, St::Armed | St::Confirmed) {
                            st = St::Confirmed;
                            say(&mut output, GRANTED).await;
                        } else {
                            say(&mut output, DENIED).await;
                        }
                    }
                    ROLLBACK => {
                        if st == St::Armed {
                            st = St::ConsoleRollingBack;
                        }
                        say(&mut output, ACK).await;
                    }
                    RESOLVED => {
                        if st == St::Acted {
                            eprintln!(
                                "cutover guard: the console resolved `{}` itself after the guard's rollback; its journal records its own",
                                params.step
                            );
                        }
                        return GuardEnd::Released;
                    }
                    _ => {}
                },
                // The console is gone.
                Ok(None) | Err(_) => break,
            },
        }
    }
    let journal = open_journal(&params, &redactor);
    let journal = match journal {
        Ok(Some(j)) => j,
        Ok(None) => return GuardEnd::AlreadyResolved,
        Err(e) => {
            eprintln!("cutover guard: {e}");
            match sidecar(&params, &redactor) {
                Ok(j) => j,
                Err(e2) => {
                    // Nowhere to write: the world still comes first.
                    eprintln!("cutover guard: no journal at all: {e2}");
                    let (tx, _rx) = mpsc::unbounded_channel();
                    let sink = EventSink::new(None, vec![tx]);
                    return finish(&world, &sink, &config, &params, st, acted).await;
                }
            }
        }
    };
    let sink = EventSink::new(Some(Arc::new(journal) as Arc<dyn EventLog>), Vec::new());
    for e in kept {
        let _ = sink.emit(e).await;
    }
    let end = finish(&world, &sink, &config, &params, st, acted).await;
    if let GuardEnd::RolledBack { ok, .. } = &end {
        let _ = sink
            .emit(Event::SessionEnd {
                exit_code: end.exit_code(),
                outcome: format!(
                    "the console went away during `{}`; the detached guard {}",
                    params.step,
                    if *ok {
                        "rolled the change back"
                    } else {
                        "could NOT roll the change back: the operator must act"
                    }
                ),
            })
            .await;
    }
    end
}

/// After the console is gone: roll back unless that is done or the change
/// was confirmed.
async fn finish<A: AzureApi>(
    world: &World<NoDevice, A, NoLocalTracer>,
    sink: &EventSink,
    config: &SessionConfig,
    params: &GuardParams,
    st: St,
    acted: Option<GuardOutcome>,
) -> GuardEnd {
    let outcome = match (st, acted) {
        (St::Confirmed, _) => {
            let _ = sink
                .emit(Event::ConfirmHealthy {
                    step: params.step.clone(),
                })
                .await;
            let _ = sink
                .emit(Event::Note {
                    step: Some(params.step.clone()),
                    level: NoteLevel::Warn,
                    text: "the operator confirmed this change; the console went away before it recorded that (written by the detached guard)".into(),
                })
                .await;
            return GuardEnd::Released;
        }
        (St::Acted, Some(o)) => o,
        _ => act(world, sink, config, params, RollbackReason::ConsoleLost).await,
    };
    match outcome {
        GuardOutcome::RolledBack { reason } => GuardEnd::RolledBack { ok: true, reason },
        GuardOutcome::RollbackFailed { reason } => GuardEnd::RolledBack { ok: false, reason },
        // roll_back only ends these two ways.
        GuardOutcome::Confirmed | GuardOutcome::NotApplied { .. } => GuardEnd::RolledBack {
            ok: false,
            reason: RollbackReason::ConsoleLost,
        },
    }
}

async fn act<A: AzureApi>(
    world: &World<NoDevice, A, NoLocalTracer>,
    sink: &EventSink,
    config: &SessionConfig,
    params: &GuardParams,
    reason: RollbackReason,
) -> GuardOutcome {
    let Some(az) = world.azure.as_ref() else {
        return GuardOutcome::RollbackFailed { reason };
    };
    let ctx = Ctx {
        world,
        sink,
        rules: Default::default(),
        config,
        watchdog: &NoWatchdog,
    };
    let _ = sink
        .emit(Event::Note {
            step: Some(params.step.clone()),
            level: NoteLevel::Warn,
            text: match reason {
                RollbackReason::ConsoleLost => {
                    "the console went away during the guarded change: the detached guard rolls it back".into()
                }
                _ => "the console did not act at the deadline: the detached guard rolls the change back".into(),
            },
        })
        .await;
    roll_back(&ctx, &params.step, params.rollback, az, reason, &mut None).await
}

/// The session's journal, continued; `Ok(None)` when it shows the change
/// already resolved (or the session closed).
fn open_journal(
    params: &GuardParams,
    redactor: &Arc<Redactor>,
) -> Result<Option<SharedJournal>, String> {
    let records = JournalReader::open(&params.journal)
        .and_then(|r| r.read_all())
        .map_err(|e| e.to_string())?;
    if resolved(records.iter().filter_map(|r| r.event()), &params.step) {
        return Ok(None);
    }
    JournalWriter::resume(&params.journal, Arc::clone(redactor))
        .map(|w| Some(SharedJournal::new(w)))
        .map_err(|e| e.to_string())
}

/// Whether, after the step's last `deadline_armed`, the change was
/// confirmed or its rollback ended, or the session ended at all.
pub fn resolved<'a>(events: impl Iterator<Item = &'a Event>, step: &str) -> bool {
    let mut armed = false;
    let mut done = false;
    for e in events {
        match e {
            Event::DeadlineArmed { step: s, .. } if s == step => {
                armed = true;
                done = false;
            }
            Event::ConfirmHealthy { step: s }
            | Event::RollbackDone { step: s, .. }
            | Event::RollbackFailed { step: s, .. }
                if s == step && armed =>
            {
                done = true;
            }
            Event::SessionEnd { .. } => return true,
            _ => {}
        }
    }
    done
}

/// A journal of the guard's own beside the session's, when that one cannot
/// be continued.
fn sidecar(params: &GuardParams, redactor: &Arc<Redactor>) -> Result<SharedJournal, String> {
    let mut name = params.journal.clone().into_os_string();
    name.push(".guard.jsonl");
    let path = PathBuf::from(name);
    let w = JournalWriter::create(&path, Arc::clone(redactor)).map_err(|e| e.to_string())?;
    let j = SharedJournal::new(w);
    j.append_blocking(&Event::SessionStart {
        session_id: uuid::Uuid::new_v4().to_string(),
        mode: Mode::Run,
        runbook_id: "cutover-guard".into(),
        runbook_title: format!(
            "detached guard of {} (that journal could not be continued)",
            params.journal.display()
        ),
        runbook_sha256: String::new(),
        operator: "cutover guard".into(),
        ticket: None,
        scenario: None,
        steps: Vec::new(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    })
    .map_err(|e| e.to_string())?;
    eprintln!("cutover guard: writing to {}", path.display());
    Ok(j)
}

/// One protocol line to the console; a console that is gone cannot hear,
/// and its end is seen on the input side.
async fn say<W: AsyncWrite + Unpin>(w: &mut W, msg: &str) {
    let _ = w.write_all(format!("{msg}\n").as_bytes()).await;
    let _ = w.flush().await;
}
