//! The lab's devices over SSH: one russh server per device, on a listener
//! the caller binds (127.0.0.1, ephemeral port). Logins by public key from
//! an OpenSSH `authorized_keys` file, or by password when the operator set
//! one; any user name. `exec` runs one command, `shell` gives the device's
//! CLI with its prompt. Every command goes through [`crate::run_command`]
//! on the shared world, so a CLI session sees exactly what a probe sees.
//! Nothing here forwards ports or opens connections of its own.

mod auth;
mod line;
mod session;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use russh::keys::PrivateKey;
use russh::keys::ssh_key::private::{Ed25519Keypair, KeypairData};
use russh::{Disconnect, MethodKind, MethodSet, SshId};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

pub use auth::{AuthorizedKeys, AuthorizedKeysError, LoginPolicy, Password};
pub use line::{Action, LineEditor, crlf};

use super::{DeviceId, SharedWorld};
use session::{Connection, DeviceCtx};

/// Timers of the SSH servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SshServerOptions {
    /// A connection with no traffic either way for this long is closed.
    pub idle_timeout: Duration,
    /// From TCP connect to a successful login.
    pub login_grace: Duration,
    /// How long a refused login attempt takes (russh pads rejections to
    /// this so that timing tells nothing about why).
    pub auth_rejection: Duration,
    /// How long sessions get to close when the server shuts down.
    pub shutdown_grace: Duration,
}

impl Default for SshServerOptions {
    fn default() -> Self {
        SshServerOptions {
            idle_timeout: Duration::from_secs(15 * 60),
            login_grace: Duration::from_secs(60),
            auth_rejection: Duration::from_millis(300),
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// A key could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot generate an SSH key: {0}")]
pub struct KeyGenError(String);

impl KeyGenError {
    pub(crate) fn new(reason: String) -> Self {
        KeyGenError(reason)
    }
}

/// A fresh Ed25519 key pair.
///
/// The seed is SHA-256 over three version-4 UUIDs: `uuid` draws them from
/// the operating system's random source, and the crate tree has no other
/// `rand_core` 0.10 generator that `PrivateKey::random` would take.
pub fn generate_ed25519(comment: &str) -> Result<PrivateKey, KeyGenError> {
    let mut h = Sha256::new();
    for _ in 0..3 {
        h.update(uuid::Uuid::new_v4().as_bytes());
    }
    let seed: [u8; 32] = h.finalize().into();
    let pair = Ed25519Keypair::from_seed(&seed);
    PrivateKey::new(KeypairData::from(pair), comment).map_err(|e| KeyGenError::new(e.to_string()))
}

/// Serves `device` on `listener` until `shutdown` completes, then closes
/// every session (after at most `options.shutdown_grace`) and returns.
pub async fn serve_ssh(
    world: SharedWorld,
    device: DeviceId,
    host_key: PrivateKey,
    policy: Arc<LoginPolicy>,
    options: SshServerOptions,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut methods = MethodSet::empty();
    methods.push(MethodKind::PublicKey);
    if policy.password.is_some() {
        methods.push(MethodKind::Password);
    }
    let config = Arc::new(russh::server::Config {
        server_id: SshId::Standard(
            concat!("SSH-2.0-cutover_lab_", env!("CARGO_PKG_VERSION")).into(),
        ),
        methods,
        auth_rejection_time: options.auth_rejection,
        // OpenSSH's client opens with a `none` attempt to learn the
        // methods; answering it at once is not a timing leak.
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![host_key],
        inactivity_timeout: Some(options.idle_timeout),
        // Keystrokes echo one byte at a time.
        nodelay: true,
        ..Default::default()
    });
    let fault = world.with(|w, _| {
        w.scenario()
            .faults
            .ssh
            .iter()
            .find(|(d, _)| *d == device)
            .map(|(_, f)| *f)
            .unwrap_or_default()
    });
    let ctx = Arc::new(DeviceCtx {
        world,
        device,
        policy,
        fault,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut sessions = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    let _ = stream.set_nodelay(true);
                    let conn = Connection::new(Arc::clone(&ctx), Some(peer));
                    sessions.spawn(connection(
                        Arc::clone(&config),
                        stream,
                        conn,
                        options,
                        stop_rx.clone(),
                        device,
                    ));
                }
                Err(e) => {
                    // Out of descriptors or a connection reset before
                    // accept: the listener itself is fine, try again soon.
                    tracing::warn!(device = device.name(), error = %e, "lab ssh accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(options.shutdown_grace, async {
        while sessions.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        sessions.abort_all();
        while sessions.join_next().await.is_some() {}
    }
    Ok(())
}

async fn connection(
    config: Arc<russh::server::Config>,
    stream: tokio::net::TcpStream,
    conn: Connection,
    options: SshServerOptions,
    mut stop: watch::Receiver<bool>,
    device: DeviceId,
) {
    let authenticated = Arc::clone(&conn.authenticated);
    let started = tokio::time::timeout(
        options.login_grace,
        russh::server::run_stream(config, stream, conn),
    )
    .await;
    let running = match started {
        Ok(Ok(r)) => r,
        Ok(Err(e)) => {
            tracing::debug!(device = device.name(), error = %e, "lab ssh handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(device = device.name(), "lab ssh client sent no greeting");
            return;
        }
    };
    let handle = running.handle();
    tokio::pin!(running);
    let grace = tokio::time::sleep(options.login_grace);
    tokio::pin!(grace);
    let mut grace_over = false;
    let reason = loop {
        tokio::select! {
            r = &mut running => {
                if let Err(e) = r {
                    tracing::debug!(device = device.name(), error = %e, "lab ssh session ended");
                }
                return;
            }
            () = &mut grace, if !grace_over => {
                grace_over = true;
                if !authenticated.load(Ordering::Acquire) {
                    break "login grace time over";
                }
            }
            _ = stop.wait_for(|s| *s) => break "the lab is shutting down",
        }
    };
    let _ = handle
        .disconnect(Disconnect::ByApplication, reason.into(), "en".into())
        .await;
    let _ = tokio::time::timeout(Duration::from_secs(1), running).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_differ_and_round_trip_through_openssh_text() {
        let a = generate_ed25519("a").unwrap();
        let b = generate_ed25519("b").unwrap();
        assert_ne!(a.public_key().key_data(), b.public_key().key_data());
        let text = a.to_openssh(russh::keys::ssh_key::LineEnding::LF).unwrap();
        let back = PrivateKey::from_openssh(text.as_bytes()).unwrap();
        assert_eq!(back.public_key().key_data(), a.public_key().key_data());
        assert_eq!(a.algorithm(), russh::keys::Algorithm::Ed25519);
    }
}

#[cfg(test)]
#[path = "ssh_server/tests.rs"]
mod fault_tests;
