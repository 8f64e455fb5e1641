//! OpenSSH's `allowed_signers` file (ssh-keygen(1), "ALLOWED SIGNERS"),
//! the trust anchor `cutover verify --allowed-signers` reads: one line per
//! key, `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`.
//!
//! `ssh-key` does not read this format, and it is small, so it is read
//! here. A line admits a signature as `ssh-keygen -Y verify -I OPERATOR`
//! admits it ([`AllowedSigners::admit`]): the key is the line's, the
//! principals (an OpenSSH pattern list: `*`, `?`, `!` negation) match the
//! operator, `namespaces="..."` (a pattern list too) allows
//! `cutover-journal`, and `valid-after`/`valid-before` hold at the time of
//! verification. `cert-authority` names a CA, and journals are signed
//! with plain keys, so such a line never matches.
//!
//! The time is the verification's, as ssh-keygen judges it without
//! `-Overify-time`: an SSHSIG carries no signing time, and the journal's
//! own timestamps are the signer's word. Times read as OpenSSH reads them
//! (`YYYYMMDD[HHMM[SS]]`, UTC with a `Z` suffix, else the system time
//! zone).

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use russh::keys::ssh_key::PublicKey;

use super::{NAMESPACE, SignError};

/// One line of the file.
#[derive(Debug, Clone)]
pub struct AllowedSigner {
    /// As written (comma-separated patterns).
    pub principals: String,
    pub key: PublicKey,
    /// `namespaces="..."`; `None`: any namespace.
    pub namespaces: Option<Vec<String>>,
    pub cert_authority: bool,
    /// `valid-after="..."`: not valid before this instant.
    pub valid_after: Option<Bound>,
    /// `valid-before="..."`: not valid after this instant.
    pub valid_before: Option<Bound>,
    /// 1-based line of the file.
    pub line: usize,
}

/// A `valid-after`/`valid-before` time: as written, and the instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bound {
    pub written: String,
    pub at: Timestamp,
}

/// Why no line of the file admits a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No line lists the key for journals.
    Unlisted,
    /// Lines list the key, for these principals, none matching the
    /// operator.
    Principal { listed: Vec<String> },
    /// Lines list the key for the operator, and none is valid at the time
    /// of verification: one reason per line.
    Time { reasons: Vec<String> },
}

impl AllowedSigner {
    fn vouches_for_journals(&self) -> bool {
        !self.cert_authority
            && self
                .namespaces
                .as_ref()
                .is_none_or(|ns| pattern_list(NAMESPACE, ns.iter().map(String::as_str)))
    }

    /// Whether the line's principals admit `name`, as `-I name` does.
    pub fn admits_principal(&self, name: &str) -> bool {
        pattern_list(name, self.principals.split(','))
    }

    /// Why the line is not valid at `now`; `None`: it is.
    pub fn invalid_at(&self, now: Timestamp) -> Option<String> {
        let said = |name: &str, b: &Bound| format!("{name}=\"{}\" ({})", b.written, utc(b.at));
        if let Some(b) = self.valid_after.as_ref().filter(|b| now < b.at) {
            return Some(format!(
                "the key is not yet valid: {} is after the time of verification, {}",
                said("valid-after", b),
                utc(now)
            ));
        }
        if let Some(b) = self.valid_before.as_ref().filter(|b| now > b.at) {
            return Some(format!(
                "the key has expired: {} is before the time of verification, {}",
                said("valid-before", b),
                utc(now)
            ));
        }
        None
    }

    /// The line's validity window, when it has one, in words.
    pub fn window(&self) -> Option<String> {
        match (&self.valid_after, &self.valid_before) {
            (None, None) => None,
            (Some(a), None) => Some(format!("from {}", utc(a.at))),
            (None, Some(b)) => Some(format!("until {}", utc(b.at))),
            (Some(a), Some(b)) => Some(format!("from {} until {}", utc(a.at), utc(b.at))),
        }
    }
}

/// An instant as `verify` prints it.
pub fn utc(t: Timestamp) -> String {
    t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The whole file.
#[derive(Debug, Clone)]
pub struct AllowedSigners {
    pub path: PathBuf,
    pub signers: Vec<AllowedSigner>,
}

impl AllowedSigners {
    pub fn load(path: &Path) -> Result<Self, SignError> {
        let text = std::fs::read_to_string(path).map_err(|e| SignError::AllowedSigners {
            path: path.to_path_buf(),
            line: 1,
            col: 1,
            message: format!("cannot read the allowed signers file: {e}"),
        })?;
        Self::parse(&text, path)
    }

    /// Reads `text`; `path` is for messages. The first bad line is an
    /// error at its `path:line:col`: a trust anchor is not read loosely.
    pub fn parse(text: &str, path: &Path) -> Result<Self, SignError> {
        let mut signers = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let number = i + 1;
            let trimmed = line.trim_start();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            let err = |col: usize, message: String| SignError::AllowedSigners {
                path: path.to_path_buf(),
                line: number,
                col,
                message,
            };
            let tokens = tokenize(line).map_err(|col| err(col, "unterminated quote".into()))?;
            let Some(&(_, principals)) = tokens.first() else {
                continue;
            };
            let key_at = |from: usize| -> Option<PublicKey> {
                let rest: Vec<&str> = tokens.get(from..)?.iter().map(|t| t.1).collect();
                PublicKey::from_openssh(&rest.join(" ")).ok()
            };
            let (options, key) = match key_at(1) {
                Some(k) => (None, k),
                None => match (tokens.get(1), key_at(2)) {
                    (Some(&(col, opts)), Some(k)) => (Some((col, opts)), k),
                    (Some(&(col, _)), None) => {
                        return Err(err(
                            col,
                            "expected a public key (`ssh-ed25519 AAAA...`), after the principals and any options".into(),
                        ));
                    }
                    (None, _) => {
                        return Err(err(
                            line.len() + 1,
                            "a principal without a key: expected `PRINCIPALS [OPTIONS] KEYTYPE BASE64`"
                                .into(),
                        ));
                    }
                },
            };
            let mut signer = AllowedSigner {
                principals: unquote(principals).to_string(),
                key,
                namespaces: None,
                cert_authority: false,
                valid_after: None,
                valid_before: None,
                line: number,
            };
            if let Some((col, opts)) = options {
                for opt in split_options(opts) {
                    let (name, value) = match opt.split_once('=') {
                        Some((n, v)) => (n, Some(unquote(v))),
                        None => (opt, None),
                    };
                    match (name.to_ascii_lowercase().as_str(), value) {
                        ("cert-authority", None) => signer.cert_authority = true,
                        ("namespaces", Some(v)) => {
                            signer.namespaces =
                                Some(v.split(',').map(|s| s.trim().to_string()).collect());
                        }
                        (which @ ("valid-after" | "valid-before"), Some(v)) => {
                            let slot = if which == "valid-after" {
                                &mut signer.valid_after
                            } else {
                                &mut signer.valid_before
                            };
                            if slot.is_some() {
                                return Err(err(col, format!("more than one `{which}`")));
                            }
                            let at = parse_time(v).ok_or_else(|| {
                                err(
                                    col,
                                    format!(
                                        "`{which}=\"{v}\"`: expected YYYYMMDD, YYYYMMDDHHMM or YYYYMMDDHHMMSS, with Z for UTC"
                                    ),
                                )
                            })?;
                            *slot = Some(Bound {
                                written: v.to_string(),
                                at,
                            });
                        }
                        _ => {
                            return Err(err(col, format!("unknown option `{opt}`")));
                        }
                    }
                }
            }
            signers.push(signer);
        }
        Ok(Self {
            path: path.to_path_buf(),
            signers,
        })
    }

    /// The lines that vouch for `key` as a journal signer (for anyone, at
    /// any time).
    pub fn vouching_for(&self, key: &PublicKey) -> Vec<&AllowedSigner> {
        self.signers
            .iter()
            .filter(|s| s.key.key_data() == key.key_data() && s.vouches_for_journals())
            .collect()
    }

    /// The first line that admits a journal signature by `key` from
    /// `principal` at `now`, as `ssh-keygen -Y verify -I principal` looks
    /// for one.
    pub fn admit(
        &self,
        key: &PublicKey,
        principal: &str,
        now: Timestamp,
    ) -> Result<&AllowedSigner, Refusal> {
        let lines = self.vouching_for(key);
        if lines.is_empty() {
            return Err(Refusal::Unlisted);
        }
        let theirs: Vec<&AllowedSigner> = lines
            .iter()
            .copied()
            .filter(|s| s.admits_principal(principal))
            .collect();
        if theirs.is_empty() {
            return Err(Refusal::Principal {
                listed: lines.iter().map(|s| s.principals.clone()).collect(),
            });
        }
        let mut reasons = Vec::new();
        for s in theirs {
            match s.invalid_at(now) {
                None => return Ok(s),
                Some(why) => reasons.push(format!("{}:{}: {why}", self.path.display(), s.line)),
            }
        }
        Err(Refusal::Time { reasons })
    }
}

/// An OpenSSH time (`parse_absolute_time`): `YYYYMMDD`, `YYYYMMDDHHMM` or
/// `YYYYMMDDHHMMSS`, in UTC with a `Z` (or `UTC`) suffix, else in the
/// system time zone.
fn parse_time(s: &str) -> Option<Timestamp> {
    let upper = s.to_ascii_uppercase();
    let (digits, tz) = match upper
        .strip_suffix('Z')
        .or_else(|| upper.strip_suffix("UTC"))
    {
        Some(d) => (d, TimeZone::UTC),
        None => (upper.as_str(), TimeZone::system()),
    };
    if !matches!(digits.len(), 8 | 12 | 14) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |from: usize, len: usize| -> Option<i16> {
        digits
            .get(from..from + len)
            .map_or(Some(0), |d| d.parse().ok())
    };
    let small = |v: Option<i16>| v.and_then(|v| i8::try_from(v).ok());
    let dt = DateTime::new(
        field(0, 4)?,
        small(field(4, 2))?,
        small(field(6, 2))?,
        small(field(8, 2))?,
        small(field(10, 2))?,
        small(field(12, 2))?,
        0,
    )
    .ok()?;
    dt.to_zoned(tz).ok().map(|z| z.timestamp())
}

/// OpenSSH's `match_pattern_list`: whether `text` matches one of the
/// patterns and no `!`-negated one.
fn pattern_list<'a>(text: &str, patterns: impl Iterator<Item = &'a str>) -> bool {
    let mut positive = false;
    for p in patterns {
        match p.strip_prefix('!') {
            Some(negated) if glob(negated, text) => return false,
            Some(_) => {}
            None => positive |= glob(p, text),
        }
    }
    positive
}

/// Whitespace-separated tokens with their 1-based columns; double quotes
/// protect spaces. `Err(col)` at an unterminated quote.
fn tokenize(line: &str) -> Result<Vec<(usize, &str)>, usize> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quote_col = None;
    for (i, c) in line.char_indices() {
        let Some(s) = start else {
            if c.is_whitespace() {
                continue;
            }
            start = Some(i);
            if c == '"' {
                quote_col = Some(i + 1);
            }
            continue;
        };
        if c == '"' {
            quote_col = if quote_col.is_some() {
                None
            } else {
                Some(i + 1)
            };
        } else if c.is_whitespace() && quote_col.is_none() {
            out.push((s + 1, &line[s..i]));
            start = None;
        }
    }
    if let Some(q) = quote_col {
        return Err(q);
    }
    if let Some(s) = start {
        out.push((s + 1, &line[s..]));
    }
    Ok(out)
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

/// Splits `a,b="x,y",c` at the commas outside quotes.
fn split_options(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[from..]);
    out.into_iter().filter(|o| !o.is_empty()).collect()
}

/// OpenSSH's pattern match: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[u8], t: &[u8]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), text.as_bytes())
}
