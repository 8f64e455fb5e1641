//! One SSH connection: the russh client handler (host key check), the
//! transport (TCP, or a direct-tcpip channel of the previous hop), and one
//! command on an `exec` channel.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use russh::client::{self, DisconnectReason, Handle};
use russh::keys::{Algorithm, HashAlg, PublicKey, PublicKeyOrCertificate};
use russh::{ChannelMsg, Disconnect};
use tokio::time::timeout_at;

use super::known_hosts::{self, KnownHosts, Refusal, Verdict};

/// Where and how a host key is judged.
#[derive(Debug, Clone)]
pub(crate) struct HostKeyPolicy {
    pub known_hosts: PathBuf,
    pub trust_on_first_use: bool,
}

/// Why a connection attempt ended before the session was usable.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ClientError {
    #[error(transparent)]
    Ssh(#[from] russh::Error),
    #[error("{0}")]
    HostKey(String),
}

/// The russh handler: checks the host key, remembers why the session ended.
pub(crate) struct Client {
    host: String,
    port: u16,
    policy: HostKeyPolicy,
    ended: Arc<Mutex<Option<String>>>,
}

impl Client {
    pub(crate) fn new(
        host: &str,
        port: u16,
        policy: HostKeyPolicy,
        ended: Arc<Mutex<Option<String>>>,
    ) -> Self {
        Self {
            host: host.to_string(),
            port,
            policy,
            ended,
        }
    }

    fn judge(&self, key: &PublicKey) -> Result<(), String> {
        let file = KnownHosts::load(&self.policy.known_hosts).map_err(|e| e.to_string())?;
        let verdict = file.check(&self.host, self.port, key);
        let name = known_hosts::lookup_name(&self.host, self.port);
        let refusal = |verdict: &Verdict| {
            Refusal {
                verdict,
                name: name.clone(),
                file: file.path(),
                key,
            }
            .to_string()
        };
        match verdict {
            Verdict::Known { line } => {
                tracing::debug!(host = %name, file = %file.path().display(), line, "host key known");
                Ok(())
            }
            Verdict::Unknown if self.policy.trust_on_first_use => {
                let line = known_hosts::append(file.path(), &self.host, self.port, key)
                    .map_err(|e| format!("{}; refusing the unknown key it could not record", e))?;
                tracing::warn!(
                    host = %name,
                    fingerprint = %known_hosts::fingerprint(key),
                    file = %file.path().display(),
                    line,
                    "unknown host key trusted on first use and recorded"
                );
                Ok(())
            }
            v @ Verdict::Changed { .. } => {
                let msg = refusal(&v);
                tracing::error!(host = %name, "{msg}");
                Err(msg)
            }
            v => {
                let mut msg = refusal(&v);
                if !file.skipped().is_empty() {
                    let lines: Vec<String> =
                        file.skipped().iter().map(|(l, _)| l.to_string()).collect();
                    msg.push_str(&format!(
                        " (unreadable lines skipped: {})",
                        lines.join(", ")
                    ));
                }
                Err(msg)
            }
        }
    }
}

impl client::Handler for Client {
    type Error = ClientError;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => {
                self.judge(key).map(|()| true).map_err(ClientError::HostKey)
            }
            PublicKeyOrCertificate::Certificate(_) => Err(ClientError::HostKey(format!(
                "{} presented a host certificate; host certificates are not accepted, only keys recorded in {}",
                known_hosts::lookup_name(&self.host, self.port),
                self.policy.known_hosts.display()
            ))),
        }
    }

    async fn disconnected(
        &mut self,
        reason: DisconnectReason<Self::Error>,
    ) -> Result<(), Self::Error> {
        let why = match &reason {
            DisconnectReason::ReceivedDisconnect(info) => {
                format!(
                    "the server disconnected ({:?}: {})",
                    info.reason_code, info.message
                )
            }
            DisconnectReason::Error(e) => e.to_string(),
        };
        if let Ok(mut slot) = self.ended.lock() {
            slot.get_or_insert(why);
        }
        match reason {
            DisconnectReason::ReceivedDisconnect(_) => Ok(()),
            DisconnectReason::Error(e) => Err(e),
        }
    }
}

/// Host key algorithms in the order to offer them: types already recorded
/// for the host first, so a host known by its RSA key is not asked for a
/// new ed25519 key (which would look like an unknown key). SHA-1 `ssh-rsa`
/// signatures are never offered.
pub(crate) fn preferred_host_key_algorithms(known: &[Algorithm]) -> Vec<Algorithm> {
    let default: Vec<Algorithm> = russh::Preferred::DEFAULT
        .key
        .iter()
        .filter(|a| !matches!(a, Algorithm::Rsa { hash: None }))
        .cloned()
        .collect();
    let mut out: Vec<Algorithm> = Vec::new();
    for k in known {
        for a in &default {
            let same = match k {
                Algorithm::Rsa { .. } => matches!(a, Algorithm::Rsa { .. }),
                _ => a == k,
            };
            if same && !out.contains(a) {
                out.push(a.clone());
            }
        }
    }
    for a in default {
        if !out.contains(&a) {
            out.push(a);
        }
    }
    out
}

/// A live, authenticated connection, with the jump sessions it rides on
/// (kept alive as long as it is).
pub(crate) struct Connection {
    pub handle: Handle<Client>,
    pub jumps: Vec<Handle<Client>>,
    pub ended: Arc<Mutex<Option<String>>>,
    pub auth_method: String,
    pub generation: u64,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("jumps", &self.jumps.len())
            .field("auth_method", &self.auth_method)
            .field("generation", &self.generation)
            .field("closed", &self.handle.is_closed())
            .finish()
    }
}

impl Connection {
    pub(crate) fn is_closed(&self) -> bool {
        self.handle.is_closed() || self.jumps.iter().any(Handle::is_closed)
    }

    /// Why the session ended, when the handler was told.
    pub(crate) fn end_reason(&self) -> String {
        self.ended
            .lock()
            .ok()
            .and_then(|s| s.clone())
            .unwrap_or_else(|| "the connection closed".to_string())
    }

    pub(crate) async fn close(&self) {
        let _ = self
            .handle
            .disconnect(Disconnect::ByApplication, "", "en")
            .await;
        for j in self.jumps.iter().rev() {
            let _ = j.disconnect(Disconnect::ByApplication, "", "en").await;
        }
    }
}

/// How one command failed.
#[derive(Debug)]
pub(crate) enum ExecError {
    /// The connection died before the command finished: worth one retry
    /// on a fresh connection.
    ConnectionLost(String),
    Timeout,
    Other(String),
}

/// What came back from one `exec`.
#[derive(Debug)]
pub(crate) struct ExecOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub exit_status: Option<u32>,
    pub elapsed: Duration,
}

/// Runs `command` on a new session channel until the server closes it.
pub(crate) async fn exec(
    conn: &Connection,
    command: &str,
    limit: Duration,
    max_output: usize,
) -> Result<ExecOutput, ExecError> {
    let start = Instant::now();
    let deadline = tokio::time::Instant::now() + limit;
    let lost_or = |e: russh::Error| {
        if conn.is_closed() {
            ExecError::ConnectionLost(conn.end_reason())
        } else {
            ExecError::Other(e.to_string())
        }
    };
    let mut channel = match timeout_at(deadline, conn.handle.channel_open_session()).await {
        Err(_) => return Err(ExecError::Timeout),
        Ok(Err(russh::Error::ChannelOpenFailure(reason))) => {
            return Err(ExecError::Other(format!(
                "the server refused a session channel ({reason:?})"
            )));
        }
        Ok(Err(e)) => return Err(lost_or(e)),
        Ok(Ok(c)) => c,
    };
    match timeout_at(deadline, channel.exec(true, command)).await {
        Err(_) => return Err(ExecError::Timeout),
        Ok(Err(e)) => return Err(lost_or(e)),
        Ok(Ok(())) => {}
    }
    let mut out = ExecOutput {
        stdout: Vec::new(),
        stderr: Vec::new(),
        exit_status: None,
        elapsed: Duration::ZERO,
    };
    let mut exited = false;
    loop {
        let msg = match timeout_at(deadline, channel.wait()).await {
            Err(_) => {
                // Ask the device to stop the command; the channel is dropped
                // either way.
                let _ = channel.close().await;
                return Err(ExecError::Timeout);
            }
            Ok(msg) => msg,
        };
        match msg {
            Some(ChannelMsg::Data { data }) => out.stdout.extend_from_slice(&data),
            Some(ChannelMsg::ExtendedData { data, ext }) => {
                if ext == 1 {
                    out.stderr.extend_from_slice(&data);
                } else {
                    tracing::debug!(ext, len = data.len(), "ignored extended data");
                }
            }
            Some(ChannelMsg::ExitStatus { exit_status }) => {
                out.exit_status = Some(exit_status);
                exited = true;
            }
            Some(ChannelMsg::ExitSignal {
                signal_name,
                error_message,
                ..
            }) => {
                tracing::warn!(signal = ?signal_name, message = %error_message, "remote command ended by a signal");
                exited = true;
            }
            Some(ChannelMsg::Failure) => {
                let _ = channel.close().await;
                return Err(ExecError::Other(
                    "the server refused to run the command".into(),
                ));
            }
            Some(ChannelMsg::Close) => break,
            Some(_) => {}
            None if exited => break,
            None => return Err(ExecError::ConnectionLost(conn.end_reason())),
        }
        if out.stdout.len() + out.stderr.len() > max_output {
            let _ = channel.close().await;
            return Err(ExecError::Other(format!(
                "the output exceeded {max_output} bytes; command abandoned"
            )));
        }
    }
    out.elapsed = start.elapsed();
    Ok(out)
}

/// The SHA-2 hash to sign with for an RSA key: the best the server
/// advertises, SHA-256 when it advertises nothing; never SHA-1.
pub(crate) async fn rsa_hash(handle: &Handle<Client>) -> HashAlg {
    match handle.best_supported_rsa_hash().await {
        Ok(Some(Some(h))) => h,
        _ => HashAlg::Sha256,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::EcdsaCurve;

    #[test]
    fn known_types_come_first_and_sha1_rsa_never() {
        let d = preferred_host_key_algorithms(&[]);
        assert_eq!(d[0], Algorithm::Ed25519);
        assert!(!d.contains(&Algorithm::Rsa { hash: None }));
        let r = preferred_host_key_algorithms(&[Algorithm::Rsa { hash: None }]);
        assert_eq!(
            &r[..2],
            &[
                Algorithm::Rsa {
                    hash: Some(HashAlg::Sha512)
                },
                Algorithm::Rsa {
                    hash: Some(HashAlg::Sha256)
                }
            ]
        );
        assert_eq!(r.len(), d.len());
        let e = preferred_host_key_algorithms(&[
            Algorithm::Ecdsa {
                curve: EcdsaCurve::NistP256,
            },
            Algorithm::Ed25519,
        ]);
        assert_eq!(
            &e[..2],
            &[
                Algorithm::Ecdsa {
                    curve: EcdsaCurve::NistP256
                },
                Algorithm::Ed25519
            ]
        );
    }
}
