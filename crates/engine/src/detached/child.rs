//! The console's end of a detached guard: starts the child process, waits
//! for it to say it watches, and tells it how the change is resolved.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};

use super::{
    ACK, APPLIED, CONFIRM, DENIED, GRANTED, READY, RESOLVED, ROLLBACK, Watch, WatchRequest,
    Watchdog,
};

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
    /// How long the guard may take to say `ready`: longer than a drill
    /// guard's wait for its hold on the lab (`cutover guard --hold`), so
    /// that a guard that cannot hold the lab says why before this gives up.
    pub ready_timeout: Duration,
    /// Set in the guard's environment only (a drill's lab token).
    pub env: GuardEnv,
}

/// Variables for the guard alone. A secret goes this way rather than on
/// the command line, which any local user can read with `ps`; Debug shows
/// the names only.
#[derive(Clone, Default)]
pub struct GuardEnv(Vec<(OsString, OsString)>);

impl GuardEnv {
    pub fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        self.0.push((name.into(), value.into()));
    }
}

impl std::fmt::Debug for GuardEnv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

/// See [`ChildWatchdog::ready_timeout`].
const READY_TIMEOUT: Duration = Duration::from_secs(20);

impl ChildWatchdog {
    pub fn new(program: PathBuf, inventory: PathBuf, journal: PathBuf) -> Self {
        Self {
            program,
            leading_args: vec!["guard".into()],
            inventory,
            journal,
            grace: Duration::from_secs(30),
            ready_timeout: READY_TIMEOUT,
            env: GuardEnv::default(),
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
            "--settle-ms".into(),
            req.settle.as_millis().to_string().into(),
            "--rollback-budget-ms".into(),
            req.budget.as_millis().to_string().into(),
        ]);
        a
    }
}

impl Watchdog for ChildWatchdog {
    fn arm(&self, req: WatchRequest) -> BoxFuture<'_, Result<Option<Box<dyn Watch>>, String>> {
        Box::pin(async move {
            let mut cmd = tokio::process::Command::new(&self.program);
            cmd.args(self.args(&req))
                .envs(self.env.0.iter().map(|(k, v)| (k, v)))
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
            let Some((stdin, stdout)) = child.stdin.take().zip(child.stdout.take()) else {
                end(&mut child).await;
                return Err("the guard has no stdin or stdout".into());
            };
            let mut lines = BufReader::new(stdout).lines();
            let failed = match tokio::time::timeout(self.ready_timeout, lines.next_line()).await {
                Ok(Ok(Some(l))) if l.trim() == READY => {
                    return Ok(Some(Box::new(ChildWatch {
                        child,
                        stdin: Some(stdin),
                        lines,
                    }) as Box<dyn Watch>));
                }
                Ok(Ok(other)) => format!("the guard did not start: it said {other:?}"),
                Ok(Err(e)) => format!("the guard did not start: {e}"),
                Err(_) => format!(
                    "the guard did not say `{READY}` within {} s",
                    self.ready_timeout.as_secs()
                ),
            };
            // Killed before its input closes: a guard that may still come
            // up would take that for this console dying and roll back a
            // change it was never meant to watch (two writers of one
            // journal).
            end(&mut child).await;
            drop(stdin);
            Err(failed)
        })
    }
}

/// Kills the guard's process and reaps it. Bounded: a process that does
/// not die on SIGKILL is beyond help, and the console must go on.
async fn end(child: &mut Child) {
    if let Err(e) = child.start_kill() {
        tracing::warn!(error = %e, "cannot stop the detached guard");
        return;
    }
    if tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .is_err()
    {
        tracing::warn!("the detached guard did not end within 5 s of SIGKILL");
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
    fn gone(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(format!("the guard process exited ({status})")),
            Ok(None) => None,
            // Unknown is not gone: a second guard beside a live one would
            // mean two writers of one journal.
            Err(e) => {
                tracing::warn!(error = %e, "cannot check the detached guard's process");
                None
            }
        }
    }

    fn abandon(&mut self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            end(&mut self.child).await;
            self.stdin = None;
        })
    }

    fn applied(&mut self) -> BoxFuture<'_, Result<bool, String>> {
        Box::pin(async move {
            self.say(APPLIED).await?;
            match self.hear().await?.as_str() {
                ACK => Ok(true),
                DENIED => Ok(false),
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
