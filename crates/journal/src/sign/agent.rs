//! Signing through the ssh-agent (`$SSH_AUTH_SOCK`), with russh's agent
//! client. The journal writer is synchronous and may run inside a tokio
//! runtime or outside one, so each exchange runs on a thread of its own
//! with a small runtime: never a nested `block_on`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use russh::keys::agent::AgentIdentity;
use russh::keys::agent::client::AgentClient;
use russh::keys::ssh_key::{HashAlg, PublicKey, Signature};

/// An agent that does not answer in this long is treated as absent: a
/// signature must never hold up a session.
const AGENT_TIMEOUT: Duration = Duration::from_secs(10);

fn on_own_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, String>> + Send + 'static,
) -> Result<T, String> {
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start a runtime for the agent: {e}"))?;
        rt.block_on(async move {
            tokio::time::timeout(AGENT_TIMEOUT, work)
                .await
                .map_err(|_| "the ssh-agent did not answer".to_string())?
        })
    })
    .join()
    .map_err(|_| "the agent exchange failed".to_string())?
}

/// The agent's socket: `$SSH_AUTH_SOCK`.
pub(super) fn socket_from_env() -> Option<PathBuf> {
    std::env::var_os("SSH_AUTH_SOCK")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
}

async fn connect(socket: Option<PathBuf>) -> Result<AgentClient<tokio::net::UnixStream>, String> {
    let Some(socket) = socket else {
        return Err("no ssh-agent: SSH_AUTH_SOCK is not set".into());
    };
    AgentClient::connect_uds(&socket)
        .await
        .map_err(|e| format!("cannot reach the ssh-agent at {}: {e}", socket.display()))
}

/// `Ok` when the agent at `socket` holds the private half of `key`.
pub(super) fn holds(socket: Option<&Path>, key: &PublicKey) -> Result<(), String> {
    let wanted = key.key_data().clone();
    let socket = socket.map(Path::to_path_buf);
    on_own_runtime(async move {
        let mut agent = connect(socket).await?;
        let ids = agent
            .request_identities()
            .await
            .map_err(|e| format!("the ssh-agent did not list its keys: {e}"))?;
        let held = ids.iter().any(|id| match id {
            AgentIdentity::PublicKey { key, .. } => key.key_data() == &wanted,
            AgentIdentity::Certificate { .. } => false,
        });
        if held {
            Ok(())
        } else {
            Err("the ssh-agent does not hold this key".into())
        }
    })
}

/// The agent's signature over `data` (SSHSIG's signed blob) with `key`.
pub(super) fn sign(
    socket: Option<&Path>,
    key: &PublicKey,
    hash: HashAlg,
    data: Vec<u8>,
) -> Result<Signature, String> {
    let key = key.clone();
    let socket = socket.map(Path::to_path_buf);
    on_own_runtime(async move {
        let mut agent = connect(socket).await?;
        agent
            .sign_request_signature(&key, Some(hash), &data)
            .await
            .map_err(|e| format!("the ssh-agent did not sign: {e}"))
    })
}
