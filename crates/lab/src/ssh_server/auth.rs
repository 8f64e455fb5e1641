//! Who may log into the lab's devices: the public keys of an OpenSSH
//! `authorized_keys` file and, when the operator asked for it, one password.

use std::fmt;
use std::path::{Path, PathBuf};

use russh::keys::PublicKey;
use sha2::{Digest, Sha256};

/// An `authorized_keys` file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizedKeysError {
    #[error("cannot read authorized keys {}: {reason}", path.display())]
    Unreadable { path: PathBuf, reason: String },
    #[error("no usable public key in {}{}", path.display(), describe_skipped(skipped))]
    Empty {
        path: PathBuf,
        /// `(line, why)` of every line that was not a key.
        skipped: Vec<(usize, String)>,
    },
}

fn describe_skipped(skipped: &[(usize, String)]) -> String {
    match skipped.first() {
        None => " (the file has no key lines)".to_string(),
        Some((line, why)) if skipped.len() == 1 => format!(" (line {line}: {why})"),
        Some((line, why)) => format!(
            " (line {line}: {why}; and {} more bad lines)",
            skipped.len() - 1
        ),
    }
}

/// The keys of an `authorized_keys` file, parsed the way sshd reads it:
/// blank lines and `#` comments skipped, an options field before the key
/// type tolerated (and ignored: the lab has no forced commands), lines that
/// are not keys skipped and reported.
#[derive(Debug, Clone, Default)]
pub struct AuthorizedKeys {
    keys: Vec<PublicKey>,
    /// `(line, why)` of the lines that were skipped.
    skipped: Vec<(usize, String)>,
}

impl AuthorizedKeys {
    /// Reads and parses `path`; a file without a single usable key is an
    /// error, since nobody could log in.
    pub fn load(path: &Path) -> Result<Self, AuthorizedKeysError> {
        let text = std::fs::read_to_string(path).map_err(|e| AuthorizedKeysError::Unreadable {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        let parsed = Self::parse(&text);
        if parsed.keys.is_empty() {
            return Err(AuthorizedKeysError::Empty {
                path: path.to_path_buf(),
                skipped: parsed.skipped,
            });
        }
        Ok(parsed)
    }

    pub fn parse(text: &str) -> Self {
        let mut out = AuthorizedKeys::default();
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match parse_line(line) {
                Ok(k) => out.keys.push(k),
                Err(why) => out.skipped.push((i + 1, why)),
            }
        }
        out
    }

    pub fn from_keys(keys: impl IntoIterator<Item = PublicKey>) -> Self {
        AuthorizedKeys {
            keys: keys.into_iter().collect(),
            skipped: Vec::new(),
        }
    }

    pub fn keys(&self) -> &[PublicKey] {
        &self.keys
    }

    /// Lines that were not keys: `(line number, why)`.
    pub fn skipped(&self) -> &[(usize, String)] {
        &self.skipped
    }

    /// Whether `key` is one of the authorized keys (the comment does not
    /// matter, the key material does).
    pub fn contains(&self, key: &PublicKey) -> bool {
        self.keys.iter().any(|k| k.key_data() == key.key_data())
    }
}

/// Key types sshd accepts at the start of a key (after any options).
fn is_key_type(word: &str) -> bool {
    word.starts_with("ssh-")
        || word.starts_with("ecdsa-sha2-")
        || word.starts_with("sk-ssh-")
        || word.starts_with("sk-ecdsa-sha2-")
}

fn parse_line(line: &str) -> Result<PublicKey, String> {
    let key_part = if line.split_whitespace().next().is_some_and(is_key_type) {
        line
    } else {
        skip_options(line).ok_or_else(|| "unterminated quote in the options field".to_string())?
    };
    let first = key_part.split_whitespace().next().unwrap_or("");
    if !is_key_type(first) {
        return Err(format!(
            "not a public key: `{}` (expected `[options] type base64 [comment]`)",
            truncate(line, 40)
        ));
    }
    PublicKey::from_openssh(key_part).map_err(|e| format!("not a valid {first} key: {e}"))
}

/// What follows the options field (`no-pty,command="echo a b" ssh-ed25519 …`):
/// options end at the first blank outside double quotes.
fn skip_options(line: &str) -> Option<&str> {
    let mut in_quotes = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            c if c.is_whitespace() && !in_quotes => return Some(line[i..].trim_start()),
            _ => {}
        }
    }
    if in_quotes { None } else { Some("") }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max).collect();
        t.push('…');
        t
    }
}

/// The lab's login password. Never printed: `Debug` hides it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    pub fn new(p: impl Into<String>) -> Self {
        Password(p.into())
    }

    /// Compares in time independent of where the inputs differ and of
    /// their lengths: both sides are hashed first, then every byte of the
    /// digests is looked at.
    pub fn matches(&self, attempt: &str) -> bool {
        let a = Sha256::digest(self.0.as_bytes());
        let b = Sha256::digest(attempt.as_bytes());
        let diff = a
            .iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        diff == 0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Everything the SSH servers check at login.
#[derive(Debug, Clone, Default)]
pub struct LoginPolicy {
    pub keys: AuthorizedKeys,
    pub password: Option<Password>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGVyuMzbOzAnTGRk1unlISDd2PsGNwPGrXPHB4u4EN+H";
    const ED2: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHDMb1uR7k1wMJE6y9BaXKRtbqKVe8mYSu1B4lGZxHuG";

    #[test]
    fn reads_keys_with_comments_options_and_junk() {
        let text = format!(
            "# lab keys\n\n{ED} alice@laptop\nno-pty,command=\"echo a b\",from=\"10.0.0.0/8\" {ED2} bob\nnot a key line\nssh-ed25519 AAAAbroken\ncommand=\"unterminated {ED}\n"
        );
        let k = AuthorizedKeys::parse(&text);
        assert_eq!(k.keys().len(), 2);
        assert_eq!(
            k.skipped().iter().map(|(l, _)| *l).collect::<Vec<_>>(),
            vec![5, 6, 7]
        );
        assert!(
            k.skipped()[0]
                .1
                .contains("not a public key: `not a key line`"),
            "{:?}",
            k.skipped()
        );
        assert!(k.skipped()[1].1.contains("not a valid ssh-ed25519 key"));
        assert!(k.skipped()[2].1.contains("unterminated quote"));
        let probe = PublicKey::from_openssh(&format!("{ED2} another-comment")).unwrap();
        assert!(k.contains(&probe));
        let only_first = AuthorizedKeys::parse(ED);
        assert!(!only_first.contains(&probe));
    }

    #[test]
    fn load_reports_path_and_reason() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = AuthorizedKeys::load(&missing).unwrap_err().to_string();
        assert!(e.contains(&missing.display().to_string()), "{e}");
        assert!(e.contains("No such file"), "{e}");
        let junk = dir.path().join("junk");
        std::fs::write(&junk, "hello world\n").unwrap();
        let e = AuthorizedKeys::load(&junk).unwrap_err().to_string();
        assert!(e.contains("no usable public key"), "{e}");
        assert!(e.contains("line 1: not a public key: `hello world`"), "{e}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "# nothing\n").unwrap();
        let e = AuthorizedKeys::load(&empty).unwrap_err().to_string();
        assert!(e.contains("has no key lines"), "{e}");
        let good = dir.path().join("good");
        std::fs::write(&good, format!("{ED}\n")).unwrap();
        assert_eq!(AuthorizedKeys::load(&good).unwrap().keys().len(), 1);
    }

    #[test]
    fn password_compares_whole_values_and_hides_itself() {
        let p = Password::new("s3cret-pw");
        assert!(p.matches("s3cret-pw"));
        assert!(!p.matches("s3cret-p"));
        assert!(!p.matches("s3cret-pw "));
        assert!(!p.matches(""));
        assert!(!format!("{p:?}").contains("s3cret"));
        assert!(
            !format!(
                "{:?}",
                LoginPolicy {
                    keys: AuthorizedKeys::default(),
                    password: Some(p)
                }
            )
            .contains("s3cret")
        );
    }
}
