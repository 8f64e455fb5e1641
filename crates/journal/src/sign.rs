//! Signing a journal with an SSH key, so that an auditor can tell the
//! record is the one its operator signed: a chain rewritten with recomputed
//! hashes still reads "intact", but no longer matches the signature.
//!
//! The signatures are SSHSIG (OpenSSH's `ssh-keygen -Y sign` format),
//! namespace [`NAMESPACE`], made with RustCrypto's `ssh-key` as russh
//! re-exports it, so stock OpenSSH verifies them:
//!
//! ```text
//! ssh-keygen -Y verify -f allowed_signers -I OPERATOR -n cutover-journal \
//!     -s JOURNAL.sig < JOURNAL
//! ```
//!
//! - [`sign_journal`] writes `JOURNAL.sig` over the whole file; the writer
//!   calls it when it appends `session_end` (whoever closes the journal:
//!   the console or the detached guard).
//! - The writer also appends a `chain_signed` record right after
//!   `action_started` and `rollback_done`: a signature over the file's
//!   bytes up to there, so a session cut short still carries one.
//! - [`check`] verifies both against an `allowed_signers` file
//!   ([`AllowedSigners`]) as `ssh-keygen -Y verify -I OPERATOR` would,
//!   with the operator `session_start` names, and says who signed.
//!
//! The key is a private key file (unencrypted), or a public key (`.pub`,
//! or an encrypted private key) whose private half the ssh-agent holds.

mod agent;
mod allowed;
pub mod check;

use std::fmt;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use russh::keys::ssh_key::{HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

pub use allowed::{AllowedSigner, AllowedSigners, Bound, Refusal};
pub use check::{SignatureReport, SignatureState, check, check_at};

/// The SSHSIG namespace of every cutover signature: a signature made for
/// anything else (a git commit, a file) is never accepted as a journal's.
pub const NAMESPACE: &str = "cutover-journal";

/// OpenSSH's default hash for SSHSIG.
const HASH: HashAlg = HashAlg::Sha512;

/// What can go wrong loading a key, signing, or reading an allowed
/// signers file. Never carries key material.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("{}: cannot read the signing key: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not an OpenSSH private or public key: {why}", .path.display())]
    NotAKey { path: PathBuf, why: String },
    #[error(
        "{}: the key is encrypted and the ssh-agent does not hold it ({why}); add it with `ssh-add {}`, or name an unencrypted key",
        .path.display(), .path.display()
    )]
    EncryptedNoAgent { path: PathBuf, why: String },
    #[error(
        "{}: a public key: its private half must be in the ssh-agent, and it is not ({why})",
        .path.display()
    )]
    NotInAgent { path: PathBuf, why: String },
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("{}: cannot write the signature: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read the journal to sign it: {source}", .path.display())]
    ReadJournal {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An allowed signers line that does not read.
    #[error("{}:{line}:{col}: {message}", .path.display())]
    AllowedSigners {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
}

enum Key {
    File(Box<PrivateKey>),
    /// The ssh-agent at this socket signs with the private half of this key.
    Agent(PublicKey, Option<PathBuf>),
}

/// The key a session signs its journal with.
pub struct Signer {
    key: Key,
    path: PathBuf,
    fingerprint: String,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("path", &self.path)
            .field("fingerprint", &self.fingerprint)
            .field("agent", &matches!(self.key, Key::Agent(..)))
            .finish()
    }
}

impl Signer {
    /// Loads the key `--sign-key` (or the inventory's `sign_key`) names,
    /// and proves it can sign (an agent that does not hold the key is
    /// found now, before the session starts, not at its first signature).
    pub fn load(path: &Path) -> Result<Self, SignError> {
        Self::load_with_agent(path, agent::socket_from_env().as_deref())
    }

    /// [`Signer::load`] with the ssh-agent at `agent` (not `$SSH_AUTH_SOCK`).
    pub fn load_with_agent(path: &Path, agent: Option<&Path>) -> Result<Self, SignError> {
        let text = std::fs::read_to_string(path).map_err(|source| SignError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let not_a_key = |why: String| SignError::NotAKey {
            path: path.to_path_buf(),
            why,
        };
        let key = if text.contains("PRIVATE KEY") {
            let key = PrivateKey::from_openssh(&text).map_err(|e| not_a_key(e.to_string()))?;
            if key.is_encrypted() {
                let public = key.public_key().clone();
                agent::holds(agent, &public).map_err(|why| SignError::EncryptedNoAgent {
                    path: path.to_path_buf(),
                    why,
                })?;
                Key::Agent(public, agent.map(Path::to_path_buf))
            } else {
                Key::File(Box::new(key))
            }
        } else {
            let public = PublicKey::from_openssh(text.trim()).map_err(|e| {
                not_a_key(format!(
                    "{e} (expected a private key, or a public key `TYPE BASE64 [COMMENT]`)"
                ))
            })?;
            agent::holds(agent, &public).map_err(|why| SignError::NotInAgent {
                path: path.to_path_buf(),
                why,
            })?;
            Key::Agent(public, agent.map(Path::to_path_buf))
        };
        let fingerprint = match &key {
            Key::File(k) => k.fingerprint(HashAlg::Sha256),
            Key::Agent(k, _) => k.fingerprint(HashAlg::Sha256),
        }
        .to_string();
        let signer = Signer {
            key,
            path: path.to_path_buf(),
            fingerprint,
        };
        // One signature now: a key that cannot sign is bad input, found
        // before anything is touched.
        signer.sign(b"cutover: can this key sign?")?;
        Ok(signer)
    }

    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn public_key(&self) -> &PublicKey {
        match &self.key {
            Key::File(k) => k.public_key(),
            Key::Agent(k, _) => k,
        }
    }

    /// An SSHSIG over `msg` in [`NAMESPACE`].
    pub fn sign(&self, msg: &[u8]) -> Result<SshSig, SignError> {
        match &self.key {
            Key::File(k) => k
                .sign(NAMESPACE, HASH, msg)
                .map_err(|e| SignError::Sign(e.to_string())),
            Key::Agent(k, socket) => {
                let data = SshSig::signed_data(NAMESPACE, HASH, msg)
                    .map_err(|e| SignError::Sign(e.to_string()))?;
                let sig = agent::sign(socket.as_deref(), k, HASH, data).map_err(SignError::Sign)?;
                SshSig::new(k.key_data().clone(), NAMESPACE, HASH, sig)
                    .map_err(|e| SignError::Sign(e.to_string()))
            }
        }
    }

    /// [`Signer::sign`], armored as `ssh-keygen -Y sign` writes it.
    pub fn sign_armored(&self, msg: &[u8]) -> Result<String, SignError> {
        self.sign(msg)?
            .to_pem(LineEnding::LF)
            .map_err(|e| SignError::Sign(e.to_string()))
    }
}

static PROCESS_SIGNER: OnceLock<Arc<Signer>> = OnceLock::new();

/// Sets the key every journal this process creates or resumes is signed
/// with. The binary calls it once, at start-up, from `--sign-key` (the
/// console) or from the guard's own `--sign-key` (the detached guard, which
/// closes the journal when the console is gone). Returns `false` when a key
/// was already set (it is kept).
pub fn set_process_signer(signer: Arc<Signer>) -> bool {
    PROCESS_SIGNER.set(signer).is_ok()
}

/// The key set by [`set_process_signer`], if any.
pub fn process_signer() -> Option<Arc<Signer>> {
    PROCESS_SIGNER.get().cloned()
}

/// `JOURNAL.sig`: where the signature over the whole journal is written.
pub fn signature_path(journal: &Path) -> PathBuf {
    let mut name = journal.as_os_str().to_os_string();
    name.push(".sig");
    PathBuf::from(name)
}

/// Signs the whole journal file into `JOURNAL.sig` (mode 0600), replacing
/// an earlier one atomically; returns the signature's path.
pub fn sign_journal(journal: &Path, signer: &Signer) -> Result<PathBuf, SignError> {
    let bytes = std::fs::read(journal).map_err(|source| SignError::ReadJournal {
        path: journal.to_path_buf(),
        source,
    })?;
    let armored = signer.sign_armored(&bytes)?;
    let out = signature_path(journal);
    write_private(&out, armored.as_bytes()).map_err(|source| SignError::Write {
        path: out.clone(),
        source,
    })?;
    Ok(out)
}

/// Writes `bytes` to `path` through a temporary file and a rename, mode
/// 0600 whatever the umask, synced.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_os_string();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        // `mode` is filtered by the umask and ignored for an existing file.
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests;
