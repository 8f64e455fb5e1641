//! User authentication, in the order the contract gives: the identity
//! files the inventory or the ssh config names, then the ssh-agent (unless
//! `IdentitiesOnly`), then OpenSSH's default identity files when nothing
//! named one, then the password from the environment. Every attempt is
//! described for the error message; no secret ever is.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::MethodKind;
use russh::client::{AuthResult, Handle, KeyboardInteractiveAuthResponse};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg, PublicKey};

use super::SecretEnv;
use super::session::{Client, rsa_hash};

/// A private key file to offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub path: PathBuf,
    /// Named by the inventory or the ssh config (a problem with it is
    /// reported); otherwise one of OpenSSH's default files, silently
    /// skipped when absent or locked.
    pub explicit: bool,
}

/// Everything needed to log in as one user on one hop.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub user: String,
    pub identities: Vec<Identity>,
    pub passphrase_env: Option<String>,
    pub password_env: Option<String>,
    pub agent_socket: Option<PathBuf>,
    /// `IdentitiesOnly yes`: no agent keys.
    pub identities_only: bool,
}

/// How authentication went: the method that worked, or what was tried.
pub(crate) type AuthOutcome = Result<String, Vec<String>>;

/// Rounds of keyboard-interactive prompts answered before giving up.
const MAX_KBD_ROUNDS: usize = 5;

pub(crate) async fn authenticate(
    handle: &mut Handle<Client>,
    creds: &Credentials,
    env: &SecretEnv,
) -> AuthOutcome {
    let mut tried: Vec<String> = Vec::new();
    let mut offered: HashSet<Vec<u8>> = HashSet::new();
    // What the server said it would still accept after the last failure
    // (None until it has said anything).
    let mut remaining: Option<Vec<MethodKind>> = None;

    let mut keys = Keys {
        tried: &mut tried,
        offered: &mut offered,
        remaining: &mut remaining,
    };
    // Named keys first; OpenSSH's default files only after the agent, as
    // `ssh` offers them.
    let (named, defaults): (Vec<&Identity>, Vec<&Identity>) =
        creds.identities.iter().partition(|id| id.explicit);
    if let Some(method) = keys.offer(handle, creds, &named, env).await {
        return method;
    }
    if creds.identities_only {
        tracing::debug!("IdentitiesOnly: the agent's keys are not offered");
    } else {
        match agent(handle, creds, keys.offered, keys.remaining).await {
            Ok(method) => return Ok(method),
            Err(Some(why)) => keys.tried.push(why),
            Err(None) => {}
        }
    }
    if handle.is_closed() {
        return Err(std::mem::take(keys.tried));
    }
    if let Some(method) = keys.offer(handle, creds, &defaults, env).await {
        return method;
    }
    if handle.is_closed() {
        return Err(tried);
    }

    match password(handle, creds, env, &remaining).await {
        Ok(method) => Ok(method),
        Err(why) => {
            tried.push(why);
            Err(tried)
        }
    }
}

/// The public-key attempts so far.
struct Keys<'a> {
    tried: &'a mut Vec<String>,
    offered: &'a mut HashSet<Vec<u8>>,
    remaining: &'a mut Option<Vec<MethodKind>>,
}

impl Keys<'_> {
    /// Offers each identity file; `Some` ends authentication (a success,
    /// or the connection gone).
    async fn offer(
        &mut self,
        handle: &mut Handle<Client>,
        creds: &Credentials,
        ids: &[&Identity],
        env: &SecretEnv,
    ) -> Option<AuthOutcome> {
        let user = creds.user.as_str();
        for id in ids {
            let key = match load_identity(id, creds.passphrase_env.as_deref(), env) {
                Ok(Some(k)) => k,
                Ok(None) => continue,
                Err(why) => {
                    tracing::warn!(key = %id.path.display(), "{why}");
                    self.tried
                        .push(format!("publickey {}: {why}", id.path.display()));
                    continue;
                }
            };
            if !self.offered.insert(public_blob(key.public_key())) {
                continue;
            }
            let hash = if key.algorithm().is_rsa() {
                Some(rsa_hash(handle).await)
            } else {
                None
            };
            let attempt = handle
                .authenticate_publickey(user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
                .await;
            match attempt {
                Ok(AuthResult::Success) => {
                    return Some(Ok(format!("publickey ({})", id.path.display())));
                }
                Ok(AuthResult::Failure {
                    remaining_methods,
                    partial_success,
                }) => {
                    self.tried.push(format!(
                        "publickey {}: {}",
                        id.path.display(),
                        if partial_success {
                            "accepted, but the server wants another method too"
                        } else {
                            "not accepted"
                        }
                    ));
                    *self.remaining = Some(remaining_methods.to_vec());
                }
                Err(e) => {
                    self.tried
                        .push(format!("publickey {}: {e}", id.path.display()));
                    if handle.is_closed() {
                        return Some(Err(std::mem::take(self.tried)));
                    }
                }
            }
        }
        None
    }
}

fn public_blob(key: &PublicKey) -> Vec<u8> {
    key.to_bytes().unwrap_or_default()
}

/// Loads one identity; `Ok(None)` for a default file that is absent or
/// locked without a passphrase (OpenSSH skips those quietly too).
fn load_identity(
    id: &Identity,
    passphrase_env: Option<&str>,
    env: &SecretEnv,
) -> Result<Option<PrivateKey>, String> {
    let text = match std::fs::read_to_string(&id.path) {
        Ok(t) => t,
        Err(e) if !id.explicit && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the key file: {e}")),
    };
    match russh::keys::decode_secret_key(&text, None) {
        Ok(k) => Ok(Some(k)),
        Err(russh::keys::Error::KeyIsEncrypted) => {
            let Some(var) = passphrase_env else {
                if !id.explicit {
                    // The path only: never anything of the key.
                    tracing::debug!(key = %id.path.display(), "default identity is encrypted and no passphrase_env is set: skipped");
                    return Ok(None);
                }
                return Err(format!(
                    "the key {} is encrypted and no `passphrase_env` names the variable holding its passphrase",
                    id.path.display()
                ));
            };
            let Some(pass) = env.get(var) else {
                return Err(format!(
                    "the key {} is encrypted and the variable {var} (passphrase_env) is not set",
                    id.path.display()
                ));
            };
            russh::keys::decode_secret_key(&text, Some(&pass))
                .map(Some)
                // The decoder's message never carries the passphrase, but
                // it says nothing useful either: name the likely cause.
                .map_err(|_| {
                    format!(
                        "cannot decrypt the key {} with the passphrase from {var} (wrong passphrase?)",
                        id.path.display()
                    )
                })
        }
        Err(e) => Err(format!("cannot read the key {}: {e}", id.path.display())),
    }
}

/// Tries each agent identity; `Err(Some(why))` to report, `Err(None)` when
/// nothing was worth mentioning.
#[cfg(unix)]
async fn agent(
    handle: &mut Handle<Client>,
    creds: &Credentials,
    offered: &mut HashSet<Vec<u8>>,
    remaining: &mut Option<Vec<MethodKind>>,
) -> Result<String, Option<String>> {
    use russh::keys::agent::AgentIdentity;
    use russh::keys::agent::client::AgentClient;

    let Some(sock) = creds.agent_socket.as_deref() else {
        return Err(Some("agent: SSH_AUTH_SOCK is not set".into()));
    };
    let mut client = AgentClient::connect_uds(sock)
        .await
        .map_err(|e| Some(format!("agent {}: cannot connect: {e}", sock.display())))?;
    let identities = client
        .request_identities()
        .await
        .map_err(|e| Some(format!("agent {}: cannot list keys: {e}", sock.display())))?;
    let mut rejected = 0usize;
    for identity in identities {
        let AgentIdentity::PublicKey { key, comment } = identity else {
            continue;
        };
        if !offered.insert(public_blob(&key)) {
            continue;
        }
        let hash = if key.algorithm().is_rsa() {
            Some(rsa_hash(handle).await)
        } else {
            None
        };
        match handle
            .authenticate_publickey_with(creds.user.as_str(), key, hash, &mut client)
            .await
        {
            Ok(AuthResult::Success) => return Ok(format!("agent ({comment})")),
            Ok(AuthResult::Failure {
                remaining_methods, ..
            }) => {
                rejected += 1;
                *remaining = Some(remaining_methods.to_vec());
            }
            Err(e) => {
                tracing::debug!(key = %comment, "agent signing failed: {e}");
                rejected += 1;
                if handle.is_closed() {
                    break;
                }
            }
        }
    }
    Err(Some(if rejected == 0 {
        format!("agent {}: no usable keys", sock.display())
    } else {
        format!("agent {}: {rejected} key(s) not accepted", sock.display())
    }))
}

#[cfg(not(unix))]
async fn agent(
    _handle: &mut Handle<Client>,
    _creds: &Credentials,
    _offered: &mut HashSet<Vec<u8>>,
    _remaining: &mut Option<Vec<MethodKind>>,
) -> Result<String, Option<String>> {
    Err(Some("agent: not supported on this platform".into()))
}

async fn password(
    handle: &mut Handle<Client>,
    creds: &Credentials,
    env: &SecretEnv,
    remaining: &Option<Vec<MethodKind>>,
) -> Result<String, String> {
    let Some(var) = creds.password_env.as_deref() else {
        return Err("password: no `password_env` configured".into());
    };
    let Some(secret) = env.get(var) else {
        return Err(format!(
            "password: the variable {var} (password_env) is not set"
        ));
    };
    let offers = |m: MethodKind| remaining.as_ref().is_none_or(|r| r.contains(&m));
    let mut outcome: Vec<String> = Vec::new();
    if offers(MethodKind::Password) {
        match handle
            .authenticate_password(creds.user.as_str(), secret.as_str())
            .await
        {
            Ok(AuthResult::Success) => return Ok("password".into()),
            Ok(AuthResult::Failure {
                remaining_methods, ..
            }) => {
                outcome.push(format!("password from {var}: not accepted"));
                if !remaining_methods.contains(&MethodKind::KeyboardInteractive) {
                    return Err(outcome.join("; "));
                }
            }
            Err(e) => return Err(format!("password from {var}: {e}")),
        }
    }
    // Network devices (Junos among them) often take the password only
    // through keyboard-interactive prompts.
    if offers(MethodKind::KeyboardInteractive) && !handle.is_closed() {
        match keyboard_interactive(handle, &creds.user, &secret).await {
            Ok(true) => return Ok("keyboard-interactive (password)".into()),
            Ok(false) => outcome.push(format!(
                "keyboard-interactive with the password from {var}: not accepted"
            )),
            Err(e) => outcome.push(format!("keyboard-interactive: {e}")),
        }
    }
    if outcome.is_empty() {
        outcome.push("password: the server does not offer password authentication".into());
    }
    Err(outcome.join("; "))
}

/// Answers every hidden prompt with the password and visible ones with
/// nothing (a password login has nothing else to say).
async fn keyboard_interactive(
    handle: &mut Handle<Client>,
    user: &str,
    secret: &str,
) -> Result<bool, russh::Error> {
    let mut reply = handle
        .authenticate_keyboard_interactive_start(user, None)
        .await?;
    for _ in 0..MAX_KBD_ROUNDS {
        match reply {
            KeyboardInteractiveAuthResponse::Success => return Ok(true),
            KeyboardInteractiveAuthResponse::Failure { .. } => return Ok(false),
            KeyboardInteractiveAuthResponse::InfoRequest { prompts, .. } => {
                let answers = prompts
                    .iter()
                    .map(|p| {
                        if p.echo {
                            String::new()
                        } else {
                            secret.to_string()
                        }
                    })
                    .collect();
                reply = handle
                    .authenticate_keyboard_interactive_respond(answers)
                    .await?;
            }
        }
    }
    Ok(false)
}

/// OpenSSH's default identity files, in its order, under `~/.ssh`.
pub(crate) fn default_identities(home: &Path) -> Vec<Identity> {
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|n| Identity {
            path: home.join(".ssh").join(n),
            explicit: false,
        })
        .collect()
}
