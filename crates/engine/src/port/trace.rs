//! Traceroute: from a device over its [`DeviceSession`] (Linux
//! `traceroute -n TARGET`, Junos `traceroute TARGET no-resolve`) or from
//! this machine with the system `traceroute` (`tracert` on Windows), parsed
//! with [`cutover_core::parse::traceroute::parse`].
//!
//! Raw sockets would need root; the system tool (or the device's own) is
//! the portable way, and its text is the evidence the journal keeps. The
//! path classification (ExpressRoute / VPN) is the runbook's, applied by
//! the engine to the [`Trace`] returned here.

use std::future::Future;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::time::Instant;

use super::{DeviceError, DeviceSession};
use cutover_core::model::Trace;
use cutover_core::parse::{self, ParseError};

/// One traceroute as it ran: the exact command, what it printed, and the
/// parsed hops.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceRun {
    pub command: String,
    pub raw: String,
    pub trace: Trace,
    pub elapsed: Duration,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TraceError {
    /// Only an address or a host name is ever put on a command line.
    #[error("`{0}` is not an address or a host name")]
    BadTarget(String),
    #[error(transparent)]
    Device(#[from] DeviceError),
    #[error("cannot run `{program}`: {reason}")]
    Spawn { program: String, reason: String },
    #[error("`{command}` did not finish within {secs} s")]
    Timeout { command: String, secs: u64 },
    /// The command ran but printed no traceroute; `raw` keeps what it did
    /// print, for the operator and the journal.
    #[error("`{command}` printed no readable traceroute: {error}")]
    Unreadable {
        command: String,
        raw: String,
        error: ParseError,
    },
}

impl TraceError {
    /// What the command printed, when it ran at all.
    pub fn raw(&self) -> Option<&str> {
        match self {
            TraceError::Unreadable { raw, .. } => Some(raw),
            _ => None,
        }
    }
}

/// Something that can trace the path to a target.
pub trait Tracer: Send + Sync {
    fn trace(&self, target: &str) -> impl Future<Output = Result<TraceRun, TraceError>> + Send;
}

/// The command line a device runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemotePlatform {
    Linux,
    Junos,
}

/// True for an IP address or a DNS name: nothing a shell or the device's
/// CLI could read as an option or a second command.
pub fn is_valid_target(target: &str) -> bool {
    if target.parse::<IpAddr>().is_ok() {
        return true;
    }
    !target.is_empty()
        && target.len() <= 253
        && !target.starts_with(['-', '.'])
        && target
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// The exact command a device runs (the runbook renders the same text).
pub fn remote_command(platform: RemotePlatform, target: &str) -> Result<String, TraceError> {
    if !is_valid_target(target) {
        return Err(TraceError::BadTarget(target.to_string()));
    }
    Ok(match platform {
        RemotePlatform::Linux => format!("traceroute -n {target}"),
        RemotePlatform::Junos => format!("traceroute {target} no-resolve"),
    })
}

/// Runs `command` (a traceroute command line) on `device` and parses what
/// it printed. A traceroute that finds no route still prints its header and
/// timeouts, so an unreadable output means the command itself failed.
pub async fn run_on<D: DeviceSession>(device: &D, command: &str) -> Result<TraceRun, TraceError> {
    let started = Instant::now();
    let out = device.run(command).await?;
    let raw = if out.stderr.trim().is_empty() {
        out.stdout
    } else if out.stdout.trim().is_empty() {
        out.stderr
    } else {
        // Linux traceroute prints its header on stderr when stdout is not
        // a terminal; the parser wants both, header first.
        format!("{}\n{}", out.stderr.trim_end(), out.stdout)
    };
    read(command, raw, started.elapsed())
}

fn read(command: &str, raw: String, elapsed: Duration) -> Result<TraceRun, TraceError> {
    match parse::traceroute::parse(&raw) {
        Ok(trace) => Ok(TraceRun {
            command: command.to_string(),
            raw,
            trace,
            elapsed,
        }),
        Err(error) => Err(TraceError::Unreadable {
            command: command.to_string(),
            raw,
            error,
        }),
    }
}

/// A traceroute from one device, over its session.
#[derive(Debug)]
pub struct DeviceTracer<'a, D> {
    device: &'a D,
    platform: RemotePlatform,
}

impl<'a, D: DeviceSession> DeviceTracer<'a, D> {
    pub fn new(device: &'a D, platform: RemotePlatform) -> Self {
        Self { device, platform }
    }
}

impl<D: DeviceSession> Tracer for DeviceTracer<'_, D> {
    async fn trace(&self, target: &str) -> Result<TraceRun, TraceError> {
        let command = remote_command(self.platform, target)?;
        run_on(self.device, &command).await
    }
}

/// A traceroute from this machine, with the system tool.
#[derive(Debug, Clone)]
pub struct LocalTracer {
    /// `traceroute` (or `tracert` on Windows) unless set otherwise.
    pub program: PathBuf,
    pub max_hops: u8,
    /// Seconds to wait for each probe's answer.
    pub wait_secs: u8,
    /// The whole run; the child is killed when it passes.
    pub timeout: Duration,
}

impl Default for LocalTracer {
    fn default() -> Self {
        Self {
            program: PathBuf::from(if cfg!(windows) {
                "tracert"
            } else {
                "traceroute"
            }),
            max_hops: 30,
            wait_secs: 2,
            timeout: Duration::from_secs(120),
        }
    }
}

impl LocalTracer {
    fn args(&self, target: &str) -> Vec<String> {
        if cfg!(windows) {
            vec![
                "-d".into(),
                "-h".into(),
                self.max_hops.to_string(),
                "-w".into(),
                (u32::from(self.wait_secs) * 1000).to_string(),
                target.into(),
            ]
        } else {
            vec![
                "-n".into(),
                "-m".into(),
                self.max_hops.to_string(),
                "-w".into(),
                self.wait_secs.to_string(),
                target.into(),
            ]
        }
    }

    /// The command line as the operator would type it.
    pub fn command(&self, target: &str) -> String {
        let mut parts = vec![self.program.display().to_string()];
        parts.extend(self.args(target));
        parts.join(" ")
    }
}

impl Tracer for LocalTracer {
    async fn trace(&self, target: &str) -> Result<TraceRun, TraceError> {
        if !is_valid_target(target) {
            return Err(TraceError::BadTarget(target.to_string()));
        }
        let command = self.command(target);
        let started = Instant::now();
        let child = tokio::process::Command::new(&self.program)
            .args(self.args(target))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // A timed-out or abandoned trace must not outlive the console.
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| TraceError::Spawn {
                program: self.program.display().to_string(),
                reason: e.to_string(),
            })?;
        let out = match tokio::time::timeout(self.timeout, child.wait_with_output()).await {
            Ok(Ok(out)) => out,
            Ok(Err(e)) => {
                return Err(TraceError::Spawn {
                    program: self.program.display().to_string(),
                    reason: e.to_string(),
                });
            }
            Err(_) => {
                return Err(TraceError::Timeout {
                    command,
                    secs: self.timeout.as_secs(),
                });
            }
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let raw = if stderr.trim().is_empty() {
            stdout.into_owned()
        } else {
            format!("{}\n{}", stderr.trim_end(), stdout)
        };
        read(&command, raw, started.elapsed())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::port::CommandOutput;
    use cutover_core::runbook::render::render;
    use cutover_core::runbook::{Platform, Query};

    const ER: &str = include_str!("../../../../tests/fixtures/article/traceroute/linux-er.txt");

    struct Server {
        seen: Mutex<Vec<String>>,
        stdout: String,
        stderr: String,
    }

    impl DeviceSession for Server {
        fn role(&self) -> &str {
            "server"
        }
        async fn run(&self, command: &str) -> Result<CommandOutput, DeviceError> {
            self.seen.lock().expect("lock").push(command.to_string());
            Ok(CommandOutput {
                stdout: self.stdout.clone(),
                stderr: self.stderr.clone(),
                exit_status: Some(0),
                elapsed: Duration::from_millis(3),
            })
        }
    }

    #[test]
    fn commands_are_the_runbooks_rendering() {
        let q = Query::Trace {
            target: "10.17.11.132".into(),
        };
        assert_eq!(
            remote_command(RemotePlatform::Linux, "10.17.11.132").expect("valid"),
            render(&q, Platform::Linux).expect("renders")
        );
        assert_eq!(
            remote_command(RemotePlatform::Junos, "10.17.11.132").expect("valid"),
            render(&q, Platform::Junos).expect("renders")
        );
    }

    #[test]
    fn only_addresses_and_names_reach_a_command_line() {
        for ok in ["10.17.11.132", "2001:db8::1", "vm1.example.net", "vm-1"] {
            assert!(is_valid_target(ok), "{ok}");
        }
        for bad in ["", "-n", "a;reboot", "a b", "$(id)", ".x", "a|b"] {
            assert!(!is_valid_target(bad), "{bad}");
            assert_eq!(
                remote_command(RemotePlatform::Linux, bad),
                Err(TraceError::BadTarget(bad.to_string()))
            );
        }
    }

    #[tokio::test]
    async fn a_device_trace_runs_the_command_and_parses_the_article() {
        let s = Server {
            seen: Mutex::new(Vec::new()),
            stdout: ER.to_string(),
            stderr: String::new(),
        };
        let run = DeviceTracer::new(&s, RemotePlatform::Linux)
            .trace("10.17.11.132")
            .await
            .expect("trace");
        assert_eq!(
            *s.seen.lock().expect("lock"),
            ["traceroute -n 10.17.11.132"]
        );
        assert_eq!(run.command, "traceroute -n 10.17.11.132");
        assert_eq!(run.trace.target.as_deref(), Some("10.17.11.132"));
        assert_eq!(run.trace.hops.len(), 5);
        assert_eq!(run.trace.hops[2].addresses, ["192.168.11.18"]);
    }

    #[tokio::test]
    async fn a_header_on_stderr_is_put_back_in_front() {
        let (head, hops) = ER.split_at(ER.find(" 1 ").expect("first hop"));
        let s = Server {
            seen: Mutex::new(Vec::new()),
            stdout: hops.to_string(),
            stderr: head.to_string(),
        };
        let run = run_on(&s, "traceroute -n 10.17.11.132")
            .await
            .expect("trace");
        assert_eq!(run.trace.hops.len(), 5);
    }

    #[tokio::test]
    async fn an_error_message_is_unreadable_and_kept() {
        let s = Server {
            seen: Mutex::new(Vec::new()),
            stdout: String::new(),
            stderr: "traceroute: command not found\n".into(),
        };
        let err = run_on(&s, "traceroute -n 10.17.11.132")
            .await
            .expect_err("no trace");
        assert!(matches!(err, TraceError::Unreadable { .. }), "{err}");
        assert_eq!(err.raw(), Some("traceroute: command not found\n"));
    }

    fn script(dir: &tempfile::TempDir, body: &str) -> PathBuf {
        use std::os::unix::fs::PermissionsExt;
        let p = dir.path().join("fake-traceroute");
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).expect("write");
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        p
    }

    #[tokio::test]
    async fn a_local_trace_runs_the_program_with_the_target_as_one_argument() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fixture = dir.path().join("out.txt");
        std::fs::write(&fixture, ER).expect("write");
        let args = dir.path().join("args.txt");
        let prog = script(
            &dir,
            &format!(
                "printf '%s\\n' \"$@\" > '{}'\ncat '{}'",
                args.display(),
                fixture.display()
            ),
        );
        let t = LocalTracer {
            program: prog.clone(),
            ..LocalTracer::default()
        };
        let run = t.trace("10.17.11.132").await.expect("trace");
        assert_eq!(run.trace.hops.len(), 5);
        assert_eq!(
            std::fs::read_to_string(&args).expect("args"),
            "-n\n-m\n30\n-w\n2\n10.17.11.132\n"
        );
        assert_eq!(
            run.command,
            format!("{} -n -m 30 -w 2 10.17.11.132", prog.display())
        );
        assert_eq!(t.trace("-q").await, Err(TraceError::BadTarget("-q".into())));
    }

    #[tokio::test(start_paused = true)]
    async fn a_hung_local_trace_is_killed_at_its_timeout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = LocalTracer {
            program: script(&dir, "exec sleep 30"),
            timeout: Duration::from_secs(5),
            ..LocalTracer::default()
        };
        let err = t.trace("127.0.0.1").await.expect_err("times out");
        assert!(matches!(err, TraceError::Timeout { secs: 5, .. }), "{err}");
    }

    #[tokio::test]
    async fn a_missing_program_is_a_clear_error() {
        let t = LocalTracer {
            program: PathBuf::from("/nonexistent/traceroute"),
            ..LocalTracer::default()
        };
        let err = t.trace("127.0.0.1").await.expect_err("no program");
        assert!(
            err.to_string()
                .starts_with("cannot run `/nonexistent/traceroute`"),
            "{err}"
        );
    }
}
