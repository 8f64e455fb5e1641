//! Every inventory field checked where it is written, so a bad value is
//! reported at its own `path:line:col` when the inventory loads, not later
//! by the client that uses it, nor at the line of the bundled runbook the
//! Azure names are interpolated into.
//!
//! serde has already checked the types and the keys; these are the rules
//! about the values. Positions come from `toml`'s spanned tree, and the
//! problems are [`Diagnostics`], the runbook validator's type and renderer.

use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use super::{Azure, Credential, Device, Inventory};
use crate::runbook::diag::{Diagnostic, Diagnostics, LineIndex, Pos};

/// A redact pattern must keep at least this many literal (non-space)
/// characters besides its `*`s: `""`, `*` or `a*` would blank out whole
/// journals and make them useless as evidence. The journal's redactor
/// applies the same rule.
pub const MIN_REDACT_LITERAL: usize = 3;

/// The names an ExpressRoute circuit peering can have: ARM names a
/// circuit's peering after its `peeringType`, so no other name exists.
const PEERING_NAMES: [&str; 3] = [
    "AzurePrivatePeering",
    "AzurePublicPeering",
    "MicrosoftPeering",
];

pub(super) struct Checker<'s> {
    doc: Option<DeTable<'s>>,
    lines: LineIndex<'s>,
    errors: Vec<(usize, String)>,
}

/// Where the value at `path` (`["devices", "fw", "platform"]`) is
/// written, or the nearest enclosing table that is (`["devices"]` for a
/// missing device: its first `[devices.…]` header); the file's start when
/// none is. For problems found after the load, such as a role the runbook
/// needs and the inventory lacks.
pub fn position(text: &str, path: &[&str]) -> Pos {
    let c = Checker::new(text);
    c.lines.pos(c.at(path))
}

impl<'s> Checker<'s> {
    pub(super) fn new(text: &'s str) -> Self {
        Self {
            doc: DeTable::parse(text).ok().map(toml::Spanned::into_inner),
            lines: LineIndex::new(text),
            errors: Vec::new(),
        }
    }

    /// Byte offset of the value at `path` (`["devices", "ce1", "host"]`),
    /// or of the nearest enclosing one that exists.
    fn at(&self, path: &[&str]) -> usize {
        let Some(mut table) = self.doc.as_ref() else {
            return 0;
        };
        let mut pos = 0;
        for key in path {
            let Some(v) = table.get(*key) else {
                return pos;
            };
            pos = v.span().start;
            match v.get_ref() {
                DeValue::Table(t) => table = t,
                _ => return pos,
            }
        }
        pos
    }

    /// Offset of element `i` of the array at `path`.
    fn at_item(&self, path: &[&str], i: usize) -> usize {
        let whole = self.at(path);
        let mut table = self.doc.as_ref();
        let (last, parents) = match path.split_last() {
            Some(x) => x,
            None => return whole,
        };
        for key in parents {
            table = table.and_then(|t| match t.get(*key).map(|v| v.get_ref()) {
                Some(DeValue::Table(t)) => Some(t),
                _ => None,
            });
        }
        match table.and_then(|t| t.get(*last)).map(|v| v.get_ref()) {
            Some(DeValue::Array(a)) => a.get(i).map_or(whole, |v| v.span().start),
            _ => whole,
        }
    }

    fn err(&mut self, at: usize, msg: impl Into<String>) {
        self.errors.push((at, msg.into()));
    }

    pub(super) fn finish(mut self, file: &Path) -> Result<(), Diagnostics> {
        if self.errors.is_empty() {
            return Ok(());
        }
        self.errors.sort_by_key(|(at, _)| *at);
        self.errors.dedup();
        let items = self
            .errors
            .iter()
            .map(|(at, m)| Diagnostic {
                pos: Some(self.lines.pos(*at)),
                message: m.clone(),
            })
            .collect();
        Err(Diagnostics {
            file: file.display().to_string(),
            items,
        })
    }

    pub(super) fn inventory(&mut self, inv: &Inventory, files: bool) {
        for (i, p) in inv.redact.iter().enumerate() {
            if !redact_is_narrow(p) {
                self.err(
                    self.at_item(&["redact"], i),
                    format!(
                        "redact pattern `{p}` would hide everything: it needs at least {MIN_REDACT_LITERAL} literal characters besides `*`"
                    ),
                );
            }
        }
        for (name, d) in &inv.devices {
            self.device(name, d, files);
        }
        if let Some(az) = &inv.azure {
            self.azure(az);
        }
        if let Some(key) = &inv.journal.sign_key {
            self.sign_key(key, files);
        }
    }

    /// What can be told of a signing key without SSH code (the core has
    /// none): it is named, exists and looks like an OpenSSH key. The binary
    /// loads it, and says what else is wrong, before the session starts.
    fn sign_key(&mut self, key: &Path, files: bool) {
        let at = self.at(&["journal", "sign_key"]);
        if key.as_os_str().is_empty() {
            self.err(at, "`sign_key` is empty");
            return;
        }
        let Some(full) = expand_home(key).filter(|_| files) else {
            return;
        };
        match std::fs::read_to_string(&full) {
            Err(e) => self.err(
                at,
                format!("`sign_key` {}: cannot read: {e}", full.display()),
            ),
            Ok(t) if !looks_like_ssh_key(&t) => self.err(
                at,
                format!(
                    "`sign_key` {} is not an OpenSSH private key nor a public key (`ssh-ed25519 AAAA...`)",
                    full.display()
                ),
            ),
            Ok(_) => {}
        }
    }

    fn device(&mut self, name: &str, d: &Device, files: bool) {
        let at = |c: &Self, key: &str| c.at(&["devices", name, key]);
        if let Some(why) = host_problem(&d.host) {
            self.err(at(self, "host"), format!("device `{name}`: `host` {why}"));
        }
        if d.port == Some(0) {
            self.err(
                at(self, "port"),
                format!("device `{name}`: port 0 is not a port"),
            );
        }
        if let Some(u) = &d.user
            && let Some(why) = user_problem(u)
        {
            self.err(at(self, "user"), format!("device `{name}`: `user` {why}"));
        }
        for (key, var) in [
            ("passphrase_env", &d.passphrase_env),
            ("password_env", &d.password_env),
        ] {
            if let Some(v) = var
                && !is_env_name(v)
            {
                self.err(
                    at(self, key),
                    env_message(&format!("device `{name}`: `{key}`"), v),
                );
            }
        }
        for (key, file, optional) in [
            ("identity", &d.identity, false),
            // With trust_on_first_use the file is created at the first key.
            ("known_hosts", &d.known_hosts, d.trust_on_first_use),
        ] {
            let Some(p) = file else { continue };
            if p.as_os_str().is_empty() {
                self.err(at(self, key), format!("device `{name}`: `{key}` is empty"));
            } else if files
                && !optional
                && let Some(full) = expand_home(p)
                && !full.exists()
            {
                self.err(
                    at(self, key),
                    format!(
                        "device `{name}`: `{key}` file {} does not exist",
                        full.display()
                    ),
                );
            }
        }
    }

    fn azure(&mut self, az: &Azure) {
        let at = |c: &Self, key: &str| c.at(&["azure", key]);
        if !is_uuid(&az.subscription) {
            self.err(
                at(self, "subscription"),
                format!(
                    "`subscription` must be a subscription id (a UUID, 8-4-4-4-12 hex digits), not `{}`",
                    az.subscription
                ),
            );
        }
        if !is_api_version(&az.api_version) {
            self.err(
                at(self, "api_version"),
                format!(
                    "`api_version` must be an ARM API version (a date, e.g. 2024-05-01 or 2023-07-01-preview), not `{}`",
                    az.api_version
                ),
            );
        }
        if let Some(why) = resource_group_problem(&az.resource_group) {
            self.err(
                at(self, "resource_group"),
                format!("`resource_group` `{}` {why}", az.resource_group),
            );
        }
        for (key, v) in [
            ("circuit", &az.circuit),
            ("gateway", &az.gateway),
            ("connection", &az.connection),
        ] {
            if let Some(why) = network_name_problem(v) {
                self.err(at(self, key), format!("`{key}` `{v}` {why}"));
            }
        }
        if !PEERING_NAMES.contains(&az.peering.as_str()) {
            self.err(
                at(self, "peering"),
                format!(
                    "`peering` `{}` is not a circuit peering name; ARM names peerings after their type: {}",
                    az.peering,
                    PEERING_NAMES.join(", ")
                ),
            );
        }
        for (key, var) in [
            ("token_env", &az.token_env),
            ("client_secret_env", &az.client_secret_env),
        ] {
            if let Some(v) = var
                && !is_env_name(v)
            {
                self.err(at(self, key), env_message(&format!("`{key}`"), v));
            }
        }
        if let Some(c) = &az.client_id
            && !is_uuid(c)
        {
            self.err(
                at(self, "client_id"),
                format!("`client_id` must be an application id (a UUID), not `{c}`"),
            );
        }
        let cred = at(self, "credential");
        if az.credential == Credential::TokenEnv && az.token_env.is_none() {
            self.err(cred, "`credential = \"token-env\"` needs `token_env`, the name of the variable that holds the token");
        }
        if az.credential == Credential::ClientSecret
            && (az.client_secret_env.is_none() || az.tenant_id.is_none() || az.client_id.is_none())
        {
            self.err(cred, "`credential = \"client-secret\"` needs `tenant_id`, `client_id` and `client_secret_env`");
        }
        if let Some(t) = &az.request_timeout {
            let (lo, hi) = Azure::REQUEST_TIMEOUT_RANGE;
            match crate::runbook::Duration::parse(t) {
                Err(e) => self.err(
                    at(self, "request_timeout"),
                    format!("`request_timeout`: {e}"),
                ),
                Ok(d) if d.as_std() < lo || d.as_std() > hi => self.err(
                    at(self, "request_timeout"),
                    format!(
                        "`request_timeout` must be between {}s and {}s, not `{t}`",
                        lo.as_secs(),
                        hi.as_secs()
                    ),
                ),
                Ok(_) => {}
            }
        }
        if !super::endpoint_is_acceptable(&az.endpoint) {
            self.err(
                at(self, "endpoint"),
                format!(
                    "`endpoint` must be an https:// URL (plain http only on a loopback address), got `{}`",
                    az.endpoint
                ),
            );
        }
    }
}

fn env_message(what: &str, v: &str) -> String {
    format!(
        "{what} must name an environment variable (letters, digits and `_`, not starting with a digit), not `{v}`"
    )
}

/// A portable environment variable name (POSIX.1-2017, Base Definitions
/// 8.1: letters, digits and underscore, not beginning with a digit).
pub(super) fn is_env_name(s: &str) -> bool {
    s.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The journal's rule for a redact pattern (see [`MIN_REDACT_LITERAL`]).
pub fn redact_is_narrow(p: &str) -> bool {
    p.chars()
        .filter(|c| *c != '*' && !c.is_whitespace())
        .count()
        >= MIN_REDACT_LITERAL
}

/// Why `host` is not an address, a host name or an ssh_config alias.
fn host_problem(h: &str) -> Option<&'static str> {
    if h.is_empty() {
        return Some("is empty");
    }
    if h.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Some("contains a space or a control character: give one host name or address");
    }
    if h.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    if h.len() > 253 {
        return Some("is longer than 253 characters, the longest a host name may be");
    }
    // `-` first would read as an option to ssh tooling; `@` or `:` mean a
    // user or a port written into the host.
    if h.starts_with(['-', '.'])
        || !h
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Some(
            "must be an IP address or a host name (letters, digits, `.`, `-`, `_`); put the port in `port` and the user in `user`",
        );
    }
    None
}

fn user_problem(u: &str) -> Option<&'static str> {
    if u.is_empty() {
        Some("is empty: leave it out to use ~/.ssh/config or the local user")
    } else if u.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("contains a space or a control character")
    } else if u.starts_with('-') {
        Some("starts with `-`")
    } else {
        None
    }
}

/// 8-4-4-4-12 hexadecimal digits.
pub(super) fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// ARM API versions are dates, `YYYY-MM-DD`, with an optional stage
/// suffix (`-preview`, `-privatepreview`, `-beta`).
pub(crate) fn is_api_version(s: &str) -> bool {
    let (date, suffix) = match s.get(..10) {
        Some(d) => (d, &s[10..]),
        None => return false,
    };
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| {
        b.get(r.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .and_then(|_| date.get(r))
            .and_then(|d| d.parse::<u32>().ok())
    };
    let ok_date = b.get(4) == Some(&b'-')
        && b.get(7) == Some(&b'-')
        && digits(0..4).is_some_and(|y| y >= 2014)
        && digits(5..7).is_some_and(|m| (1..=12).contains(&m))
        && digits(8..10).is_some_and(|d| (1..=31).contains(&d));
    let ok_suffix = suffix.is_empty()
        || suffix
            .strip_prefix('-')
            .is_some_and(|t| !t.is_empty() && t.bytes().all(|c| c.is_ascii_lowercase()));
    ok_date && ok_suffix
}

/// Microsoft.Resources/resourcegroups (learn.microsoft.com, "Naming rules
/// and restrictions for Azure resources"): 1-90 characters; letters,
/// digits, `_`, `-`, `.`, `(` and `)`; not ending with `.`. ARM also takes
/// non-ASCII letters; this tool does not, because the name goes unquoted
/// into URLs and the az/PowerShell commands it prints (the runbook
/// validator's `is_azure_name` has the same limit).
pub(super) fn resource_group_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() || s.len() > 90 {
        Some("must be 1 to 90 characters long")
    } else if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'(' | b')'))
    {
        Some("may hold only letters, digits, `_`, `-`, `.`, `(` and `)`")
    } else if s.ends_with('.') {
        Some("must not end with `.`")
    } else {
        None
    }
}

/// Microsoft.Network expressRouteCircuits, virtualNetworkGateways and
/// connections (same page): 1-80 characters; letters, digits, `_`, `.`,
/// `-`; starting with a letter or digit; ending with a letter, digit or
/// `_`.
pub(super) fn network_name_problem(s: &str) -> Option<&'static str> {
    if s.is_empty() || s.len() > 80 {
        Some("must be 1 to 80 characters long")
    } else if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        Some("may hold only letters, digits, `_`, `-` and `.`")
    } else if !s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric()) {
        Some("must start with a letter or a digit")
    } else if !s
        .bytes()
        .last()
        .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        Some("must end with a letter, a digit or `_`")
    } else {
        None
    }
}

/// The file the SSH client will open: a leading `~/` is the home
/// directory; relative paths are the working directory's, as for the
/// client. `None` when it cannot be told here (a `%` token, which the
/// client expands per host, or no home directory): the client reports it.
fn looks_like_ssh_key(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("-----BEGIN ") && t.contains("PRIVATE KEY-----")
        || ["ssh-", "ecdsa-", "sk-"].iter().any(|p| t.starts_with(p))
}

/// `~/` expanded: where a key or file named in the inventory is.
pub fn expand_home(p: &Path) -> Option<PathBuf> {
    let raw = p.to_str()?;
    if raw.contains('%') {
        return None;
    }
    match raw.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(rest)),
        None if raw == "~" => std::env::var_os("HOME").map(PathBuf::from),
        None => Some(p.to_path_buf()),
    }
}
