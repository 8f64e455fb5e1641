//! A drill's lab as its console sees it: `cutover lab serve --held`, a
//! process of its own, so that a drill is guarded like a run. If the
//! console dies during a guarded change, its detached guard still finds
//! the lab and rolls the change back there, as it would in Azure.
//!
//! Nothing is left behind: the lab's standard input is a pipe that only
//! this process writes to, and each guard holds the lab's lifeline socket
//! (`cutover guard --hold`). The lab stops, and removes its files, once
//! both are gone. The lab's ARM token is made here and reaches the lab and
//! the guard in their environment, never on a command line.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};
use tokio::process::{Child, ChildStdin};

use super::lab_held::lifeline_path;
use cutover_core::session::Event;
use cutover_engine::detached::ChildWatchdog;
use cutover_lab::TimeScale;
use cutover_lab::serve::TOKEN_ENV;

/// `--time-scale`, as `drill` and `lab serve` take it.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct LabTimeArgs {
    /// Compress the lab's long waits by this factor, in (0, 1]: the BGP
    /// hold time where BFD is absent (180 s) and ARM's operations (20 s
    /// for a peering PUT). 0.1 makes them ten times shorter. BFD,
    /// convergence and round-trip times stay real. Announced on screen
    /// and in the journal (default: 1, real time).
    #[arg(long, value_name = "F", default_value = "1")]
    pub time_scale: TimeScale,
}

/// What a drill journals about its lab's clock: nothing in real time;
/// compressed, the factor and what the long waits became.
pub(crate) fn time_scale_event(
    scale: TimeScale,
    timing: &cutover_lab::scenario::Timing,
) -> Option<Event> {
    if scale.is_real() {
        return None;
    }
    let scaled = timing.scaled(scale);
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    Some(Event::LabTimeScale {
        factor: scale.factor(),
        hold_time_ms: ms(scaled.hold_time),
        arm_operation_ms: ms(scaled.provisioning),
    })
}

/// How the lab says it serves (`cutover lab serve` prints it last).
const READY: &str = "lab ready, inventory: ";
/// How long the lab may take to start.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a lab that nobody holds any more may take to stop.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);
/// What the lab names its folder after (`lab serve --held`).
const DIR_PREFIX: &str = "cutover-drill-";

/// A running drill lab.
#[derive(Debug)]
pub(crate) struct DrillLab {
    program: PathBuf,
    child: Child,
    /// The console's hold on the lab: dropped, the lab may stop.
    lifeline: Option<ChildStdin>,
    inventory: PathBuf,
    token: Token,
    /// `lab_time_scale`, when its waits are compressed.
    time_scale: Option<Event>,
}

/// The lab's ARM token; Debug does not show it.
struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl DrillLab {
    /// Starts the lab for `scenario` (a name or a file, as `--scenario`)
    /// with its long waits under `scale`, and waits until it serves.
    /// `console`: the terminal is the console's, so the lab's log goes to
    /// the console's log pane instead.
    pub(crate) async fn start(
        scenario: &str,
        console: bool,
        scale: TimeScale,
    ) -> Result<Self, String> {
        let program = std::env::current_exe()
            .map_err(|e| format!("cannot find this program to start the lab: {e}"))?;
        let timing = super::lab::load_scenario(scenario)
            .map_err(|e| e.to_string())?
            .timing;
        let token = Token(uuid::Uuid::new_v4().simple().to_string());
        let mut cmd = tokio::process::Command::new(&program);
        cmd.args(["lab", "serve", "--held", "--scenario", scenario])
            .args(["--time-scale", &scale.to_string()])
            .env(TOKEN_ENV, &token.0)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if console {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            // The lab must outlive this process while a guard needs it;
            // its lifeline, not a kill, ends it.
            .kill_on_drop(false)
            // Its own process group: a Ctrl-C at the terminal is the
            // console's to handle, the lab must not die of it.
            .process_group(0);
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start `{}`: {e}", program.display()))?;
        let lifeline = child.stdin.take();
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let ready = match stdout {
            Some(out) => tokio::time::timeout(READY_TIMEOUT, ready_line(out)).await,
            None => Ok(None),
        };
        let inventory = match ready {
            Ok(Some(p)) => p,
            failed => {
                drop(lifeline);
                let _ = child.start_kill();
                let status = child.wait().await;
                let said = match stderr {
                    Some(e) => tail(e).await,
                    None => String::new(),
                };
                let why = match (failed, status) {
                    (Err(_), _) => format!("no `ready` within {} s", READY_TIMEOUT.as_secs()),
                    (_, Ok(s)) => format!("it ended ({s})"),
                    (_, Err(e)) => e.to_string(),
                };
                return Err(format!("{why}{said}"));
            }
        };
        if let Some(e) = stderr {
            tokio::spawn(forward_log(e));
        }
        Ok(DrillLab {
            program,
            child,
            lifeline,
            inventory,
            token,
            time_scale: time_scale_event(scale, &timing),
        })
    }

    /// What the journal says of the lab's clock (`lab_time_scale`), when
    /// its long waits are compressed.
    pub(crate) fn time_scale_event(&self) -> Option<Event> {
        self.time_scale.clone()
    }

    /// The inventory the lab wrote: its devices, its ARM API.
    pub(crate) fn inventory(&self) -> &Path {
        &self.inventory
    }

    /// The bearer token the lab's ARM API takes.
    pub(crate) fn token(&self) -> &str {
        &self.token.0
    }

    /// The detached guard of a drill: `run`'s, with a hold on the lab and
    /// the lab's token.
    pub(crate) fn watchdog(&self, journal: &Path) -> ChildWatchdog {
        let mut wd = ChildWatchdog::new(
            self.program.clone(),
            self.inventory.clone(),
            journal.to_path_buf(),
        );
        wd.leading_args.extend([
            "--hold".into(),
            lifeline_path(&self.inventory).into_os_string(),
        ]);
        wd.env.set(TOKEN_ENV, &self.token.0);
        wd
    }

    /// Lets the lab go and waits for it to stop, unless a guard still
    /// holds it (then it stops when that guard is done).
    pub(crate) async fn stop(mut self) {
        drop(self.lifeline.take());
        match tokio::time::timeout(STOP_TIMEOUT, self.child.wait()).await {
            Ok(Ok(status)) => {
                if !status.success() {
                    tracing::warn!(%status, "the lab did not stop cleanly");
                }
                // Its own job, unless it was killed before it could.
                self.remove_dir();
            }
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot wait for the lab"),
            Err(_) => errln!(
                "the lab (pid {}) stays up while a detached guard holds it; it stops when the guard is done",
                self.child
                    .id()
                    .map_or_else(|| "?".into(), |p| p.to_string())
            ),
        }
    }

    fn remove_dir(&self) {
        let Some(dir) = self.inventory.parent() else {
            return;
        };
        let ours = dir
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with(DIR_PREFIX));
        if ours
            && let Err(e) = std::fs::remove_dir_all(dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, dir = %dir.display(), "cannot remove the lab's files");
        }
    }
}

/// The inventory path of the lab's `ready` line; `None` if it ended first.
async fn ready_line(out: impl AsyncRead + Unpin) -> Option<PathBuf> {
    let mut lines = BufReader::new(out).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(p) = line.strip_prefix(READY) {
            return Some(PathBuf::from(p));
        }
    }
    None
}

/// What a lab that did not start said on its way out.
async fn tail(err: impl AsyncRead + Unpin) -> String {
    let mut text = String::new();
    let mut err = BufReader::new(err);
    let _ = tokio::time::timeout(Duration::from_secs(5), err.read_to_string(&mut text)).await;
    let text = text.trim();
    if text.is_empty() {
        String::new()
    } else {
        format!(": {text}")
    }
}

/// The lab's warnings, into the console's log pane.
async fn forward_log(err: impl AsyncRead + Unpin) {
    let mut lines = BufReader::new(err).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        tracing::warn!(target: "cutover::lab", "{line}");
    }
}
