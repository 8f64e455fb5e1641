//! One SSH connection to a lab device: login, then session channels that
//! either run one command (`exec`) or give an interactive CLI (`shell`).
//!
//! Each session channel gets two tasks. The reader only moves what the
//! client sends into a queue; the worker runs commands and writes output,
//! waiting for the client's window as it goes. Were they one task, a client
//! typing while a long output waits for window space would fill russh's
//! per-channel buffer, stall the connection loop, and with it the window
//! adjustments the writer waits for.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};

use russh::keys::PublicKey;
use russh::server::{Auth, ChannelOpenHandle, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, ChannelMsg, ChannelReadHalf, ChannelWriteHalf};
use tokio::sync::mpsc;

use super::auth::LoginPolicy;
use super::line::{Action, LineEditor, crlf};
use crate::render::{prompt, run_command_as};
use crate::scenario::SshFault;
use crate::{DeviceId, SharedWorld};

/// What every connection to one device shares.
#[derive(Debug)]
pub(super) struct DeviceCtx {
    pub world: SharedWorld,
    pub device: DeviceId,
    pub policy: Arc<LoginPolicy>,
    /// The scenario's `[[ssh.fault]]` for this device.
    pub fault: SshFault,
}

/// Input queued for a channel's worker above this many bytes is dropped,
/// as a terminal drops keystrokes it cannot take.
const MAX_QUEUED_INPUT: usize = 1 << 20;

/// Longest user name shown in a prompt.
const MAX_USER: usize = 64;

pub(super) struct Connection {
    ctx: Arc<DeviceCtx>,
    peer: Option<SocketAddr>,
    user: Option<String>,
    /// Set once a login succeeded; the connection's task drops clients
    /// that never get there.
    pub authenticated: Arc<AtomicBool>,
    /// Commands run on this connection, over all its channels.
    commands: Arc<AtomicU32>,
}

impl Connection {
    pub fn new(ctx: Arc<DeviceCtx>, peer: Option<SocketAddr>) -> Self {
        Connection {
            ctx,
            peer,
            user: None,
            authenticated: Arc::new(AtomicBool::new(false)),
            commands: Arc::new(AtomicU32::new(0)),
        }
    }

    fn key_allowed(&self, key: &PublicKey) -> bool {
        !self.ctx.fault.refuse_login && self.ctx.policy.keys.contains(key)
    }

    fn accepted(&mut self, user: &str, method: &str) -> Auth {
        let user = printable_user(user);
        tracing::info!(
            device = self.ctx.device.name(),
            user = %user,
            peer = ?self.peer,
            method,
            "lab login"
        );
        self.user = Some(user);
        self.authenticated.store(true, Ordering::Release);
        Auth::Accept
    }

    fn refused(&self, user: &str, method: &str) -> Auth {
        tracing::info!(
            device = self.ctx.device.name(),
            user = %printable_user(user),
            peer = ?self.peer,
            method,
            "lab login refused"
        );
        Auth::reject()
    }
}

/// The login name as a prompt may show it: no control characters (they
/// would reach the operator's terminal), not endless.
fn printable_user(user: &str) -> String {
    let clean: String = user
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_USER)
        .collect();
    if clean.is_empty() {
        "user".to_string()
    } else {
        clean
    }
}

impl russh::server::Handler for Connection {
    type Error = russh::Error;

    async fn auth_publickey_offered(
        &mut self,
        _user: &str,
        offer: PublicKeyOffer<'_>,
    ) -> Result<Auth, Self::Error> {
        // Refusing here spares the client a signature for a key that
        // would not be accepted anyway.
        Ok(if self.key_allowed(offer.public_key) {
            Auth::Accept
        } else {
            Auth::reject()
        })
    }

    async fn auth_publickey(
        &mut self,
        user: &str,
        key: VerifiedPublicKey<'_>,
    ) -> Result<Auth, Self::Error> {
        Ok(if self.key_allowed(key.public_key) {
            self.accepted(user, "publickey")
        } else {
            self.refused(user, "publickey")
        })
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        let ok = self
            .ctx
            .policy
            .password
            .as_ref()
            .is_some_and(|p| p.matches(password))
            && !self.ctx.fault.refuse_login;
        Ok(if ok {
            self.accepted(user, "password")
        } else {
            self.refused(user, "password")
        })
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: ChannelOpenHandle,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        let Some(user) = self.user.clone() else {
            // russh only opens channels after a login; refuse anyway
            // should that ever change.
            return Ok(());
        };
        reply.accept().await;
        let (read, write) = channel.split();
        let (tx, rx) = mpsc::unbounded_channel();
        let queued = Arc::new(AtomicUsize::new(0));
        tokio::spawn(read_channel(read, tx, Arc::clone(&queued)));
        let worker = Worker {
            ctx: Arc::clone(&self.ctx),
            user,
            write,
            queued,
            pty: false,
            shell: None,
            session: session.handle(),
            commands: Arc::clone(&self.commands),
        };
        tokio::spawn(worker.run(rx));
        Ok(())
    }

    async fn pty_request(
        &mut self,
        channel: ChannelId,
        _term: &str,
        _col_width: u32,
        _row_height: u32,
        _pix_width: u32,
        _pix_height: u32,
        _modes: &[(russh::Pty, u32)],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn shell_request(
        &mut self,
        channel: ChannelId,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_success(channel)
    }

    async fn env_request(
        &mut self,
        channel: ChannelId,
        _variable_name: &str,
        _variable_value: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn subsystem_request(
        &mut self,
        channel: ChannelId,
        _name: &str,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }

    async fn x11_request(
        &mut self,
        channel: ChannelId,
        _single_connection: bool,
        _x11_auth_protocol: &str,
        _x11_auth_cookie: &str,
        _x11_screen_number: u32,
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)
    }
}

async fn read_channel(
    mut read: ChannelReadHalf,
    tx: mpsc::UnboundedSender<ChannelMsg>,
    queued: Arc<AtomicUsize>,
) {
    while let Some(msg) = read.wait().await {
        if let ChannelMsg::Data { data } = &msg {
            let before = queued.fetch_add(data.len(), Ordering::AcqRel);
            if before + data.len() > MAX_QUEUED_INPUT {
                queued.fetch_sub(data.len(), Ordering::AcqRel);
                continue;
            }
        }
        if tx.send(msg).is_err() {
            return;
        }
    }
}

/// An interactive session in progress.
struct Shell {
    editor: LineEditor,
}

struct Worker {
    ctx: Arc<DeviceCtx>,
    user: String,
    write: ChannelWriteHalf<Msg>,
    queued: Arc<AtomicUsize>,
    pty: bool,
    shell: Option<Shell>,
    /// To close the whole connection (`drop_after`).
    session: russh::server::Handle,
    commands: Arc<AtomicU32>,
}

/// The client went away while we were writing.
struct Gone;

impl Worker {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<ChannelMsg>) {
        while let Some(msg) = rx.recv().await {
            match self.handle(msg).await {
                Ok(true) => {}
                Ok(false) | Err(Gone) => return,
            }
        }
    }

    /// Handles one message; `Ok(false)` when the channel is done.
    async fn handle(&mut self, msg: ChannelMsg) -> Result<bool, Gone> {
        match msg {
            ChannelMsg::RequestPty { .. } => {
                self.pty = true;
                Ok(true)
            }
            ChannelMsg::RequestShell { .. } => {
                if self.shell.is_none() {
                    self.shell = Some(Shell {
                        editor: LineEditor::new(self.pty),
                    });
                    self.send_prompt().await?;
                }
                Ok(true)
            }
            ChannelMsg::Exec { command, .. } => {
                if self.shell.is_some() {
                    return Ok(true);
                }
                let line = String::from_utf8_lossy(&command).into_owned();
                self.scenario_fault().await?;
                let out = self.run_line(&line);
                self.write_text(&out.stdout).await?;
                if !out.stderr.is_empty() {
                    let bytes = self.terminal_bytes(&out.stderr);
                    self.write
                        .extended_data_bytes(1, bytes)
                        .await
                        .map_err(|_| Gone)?;
                }
                let status = if out.close {
                    0
                } else {
                    u32::try_from(out.exit).unwrap_or(1)
                };
                self.finish(status).await?;
                Ok(false)
            }
            ChannelMsg::Data { data } => {
                self.queued.fetch_sub(data.len(), Ordering::AcqRel);
                let Some(shell) = self.shell.as_mut() else {
                    return Ok(true);
                };
                let actions = shell.editor.feed(&data);
                for action in actions {
                    match action {
                        Action::Echo(bytes) => {
                            self.write.data_bytes(bytes).await.map_err(|_| Gone)?;
                        }
                        Action::Run(line) => {
                            if !self.shell_line(&line).await? {
                                return Ok(false);
                            }
                        }
                        Action::Interrupt => self.send_prompt().await?,
                        Action::Hangup => {
                            self.finish(0).await?;
                            return Ok(false);
                        }
                    }
                }
                Ok(true)
            }
            ChannelMsg::Eof => {
                let Some(shell) = self.shell.as_mut() else {
                    // Input ended before any request; the exec or shell
                    // request may still come.
                    return Ok(true);
                };
                // Without a pty the input was a script: its last line may
                // lack a line end and still be meant.
                let last = shell.editor.take_pending();
                if !self.pty && !last.trim().is_empty() {
                    self.shell_line(&last).await?;
                }
                self.finish(0).await?;
                Ok(false)
            }
            ChannelMsg::Close => Ok(false),
            _ => Ok(true),
        }
    }

    /// Runs a line typed in the shell and shows the next prompt; `false`
    /// when the line ended the session.
    async fn shell_line(&mut self, line: &str) -> Result<bool, Gone> {
        self.scenario_fault().await?;
        let out = self.run_line(line);
        let mut text = out.stdout;
        text.push_str(&out.stderr);
        self.write_text(&text).await?;
        if out.close {
            self.finish(0).await?;
            return Ok(false);
        }
        self.send_prompt().await?;
        Ok(true)
    }

    /// The scenario's fault before a command: past `drop_after` commands
    /// the connection is closed unanswered; `slow_ms` delays the answer.
    async fn scenario_fault(&mut self) -> Result<(), Gone> {
        let fault = self.ctx.fault;
        let n = self
            .commands
            .fetch_add(1, Ordering::AcqRel)
            .saturating_add(1);
        if fault.drop_after.is_some_and(|max| n > max) {
            tracing::info!(
                device = self.ctx.device.name(),
                command = n,
                "the scenario drops this SSH session"
            );
            let _ = self
                .session
                .disconnect(
                    russh::Disconnect::ByApplication,
                    "the scenario drops this session".to_owned(),
                    String::new(),
                )
                .await;
            return Err(Gone);
        }
        if let Some(d) = fault.slow {
            tokio::time::sleep(d).await;
        }
        Ok(())
    }

    fn run_line(&self, line: &str) -> crate::CommandOutput {
        tracing::debug!(
            device = self.ctx.device.name(),
            command = line,
            "lab command"
        );
        let device = self.ctx.device;
        let user = self.user.as_str();
        self.ctx
            .world
            .with(|w, _| run_command_as(w, device, user, line))
    }

    async fn send_prompt(&mut self) -> Result<(), Gone> {
        // Without a pty the client is a program reading output, not a
        // person: prompts would only be noise in what it parses.
        if !self.pty {
            return Ok(());
        }
        let device = self.ctx.device;
        let user = self.user.as_str();
        let p = self.ctx.world.with(|w, _| prompt(w, device, user));
        self.write_text(&p).await
    }

    fn terminal_bytes(&self, text: &str) -> Vec<u8> {
        if self.pty {
            crlf(text)
        } else {
            text.as_bytes().to_vec()
        }
    }

    async fn write_text(&mut self, text: &str) -> Result<(), Gone> {
        if text.is_empty() {
            return Ok(());
        }
        let bytes = self.terminal_bytes(text);
        self.write.data_bytes(bytes).await.map_err(|_| Gone)
    }

    async fn finish(&mut self, status: u32) -> Result<(), Gone> {
        self.write.exit_status(status).await.map_err(|_| Gone)?;
        self.write.eof().await.map_err(|_| Gone)?;
        self.write.close().await.map_err(|_| Gone)
    }
}

#[cfg(test)]
mod tests {
    use super::printable_user;

    #[test]
    fn user_names_cannot_reach_the_terminal_raw() {
        assert_eq!(printable_user("netops"), "netops");
        assert_eq!(printable_user("ev\x1b[2Jil\n"), "ev[2Jil");
        assert_eq!(printable_user("\x07"), "user");
        assert_eq!(printable_user(&"x".repeat(200)).len(), 64);
    }
}
