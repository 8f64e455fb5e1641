//! Redaction at the source: every string the journal writes, and whatever
//! logs, reports and screens pass through [`Redactor::redact_str`], loses
//! the secrets the program knows and anything shaped like one before it
//! leaves the process.
//!
//! What is replaced by `[REDACTED]`:
//! - exact secrets registered at run time (passwords and passphrases read
//!   from the environment, tokens, client secrets, key material), in their
//!   raw form and in their JSON-escaped form (a secret inside a raw JSON body
//!   that is itself stored as a string appears escaped);
//! - `-----BEGIN … PRIVATE KEY-----` blocks through their `-----END …-----`
//!   line (to the end of the text when the end line is missing), and the
//!   `Private-Lines:`/`Private-MAC:` part of PuTTY key files;
//! - JWT-like tokens: `eyJ…` followed by at least two more dot-separated
//!   base64url segments (the signature may be empty);
//! - the token after `Bearer` (any case; at least 8 token characters, so
//!   prose such as "bearer of" stays readable);
//! - the inventory's `redact` patterns: literal text where `*` matches any
//!   run (possibly empty) of non-whitespace characters.
//!
//! Shapes are removed before exact secrets, so a registered token that is
//! also a JWT disappears whole rather than leaving fragments around a hole.

mod pattern;
mod shapes;

use std::borrow::Cow;
use std::fmt;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use memchr::memmem;
use serde_json::Value;

use cutover_core::inventory::Inventory;

use pattern::Pattern;
pub use pattern::RedactError;
use shapes::{redact_bearer, redact_jwt, redact_pem, redact_putty};

/// What a redacted span is replaced with.
pub const REDACTED: &str = "[REDACTED]";

#[derive(Default, Clone)]
struct Rules {
    /// Longest first, so a secret that contains another goes whole.
    secrets: Vec<String>,
    patterns: Vec<Pattern>,
}

/// Scrubs secrets from text and JSON. Shared (`Arc<Redactor>`) between the
/// journal, the log layer and the report; secrets can be registered at any
/// time, e.g. when a token is fetched mid-session.
#[derive(Default)]
pub struct Redactor {
    rules: RwLock<Rules>,
}

impl fmt::Debug for Redactor {
    // Never print the secrets themselves.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.read();
        f.debug_struct("Redactor")
            .field("secrets", &r.secrets.len())
            .field("patterns", &r.patterns.len())
            .finish()
    }
}

impl Redactor {
    pub fn new() -> Self {
        Self::default()
    }

    /// A redactor with the inventory's `redact` patterns and the values of
    /// every credential variable the inventory names that is set now.
    pub fn for_inventory(inv: &Inventory) -> Result<Self, RedactError> {
        let r = Self::new();
        for p in &inv.redact {
            r.add_pattern(p)?;
        }
        r.register_inventory_secrets(inv);
        Ok(r)
    }

    /// Registers the values of the environment variables the inventory
    /// names for passwords, passphrases, tokens and client secrets.
    pub fn register_inventory_secrets(&self, inv: &Inventory) {
        let mut vars: Vec<&str> = Vec::new();
        for d in inv.devices.values() {
            vars.extend(d.password_env.as_deref());
            vars.extend(d.passphrase_env.as_deref());
        }
        if let Some(az) = &inv.azure {
            vars.extend(az.token_env.as_deref());
            vars.extend(az.client_secret_env.as_deref());
        }
        for var in vars {
            if let Ok(value) = std::env::var(var) {
                self.register_secret(&value);
            }
        }
    }

    /// Adds an inventory pattern (`*` = any run of non-whitespace).
    pub fn add_pattern(&self, pattern: &str) -> Result<(), RedactError> {
        let p = Pattern::parse(pattern)?;
        let mut rules = self.write();
        if !rules.patterns.contains(&p) {
            rules.patterns.push(p);
        }
        Ok(())
    }

    /// Registers a secret the program knows. Empty strings are ignored
    /// (they would match everywhere); surrounding whitespace is also
    /// registered trimmed, since a value read from a file or the
    /// environment often carries a newline the protocol then drops.
    pub fn register_secret(&self, secret: &str) {
        let mut forms = vec![secret.to_string()];
        let trimmed = secret.trim();
        if trimmed != secret {
            forms.push(trimmed.to_string());
        }
        for f in forms.clone() {
            if let Ok(quoted) = serde_json::to_string(&f) {
                let escaped = &quoted[1..quoted.len() - 1];
                if escaped != f {
                    forms.push(escaped.to_string());
                }
            }
        }
        let mut rules = self.write();
        for f in forms {
            if !f.is_empty() && !rules.secrets.contains(&f) {
                rules.secrets.push(f);
            }
        }
        rules
            .secrets
            .sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    }

    /// Whether any secret has been registered.
    pub fn has_secrets(&self) -> bool {
        !self.read().secrets.is_empty()
    }

    /// `text` with every secret and secret-shaped span replaced; borrowed
    /// when nothing had to change.
    pub fn redact_str<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let rules = self.read();
        redact_with(&rules, text)
    }

    /// Redacts every string value and every object key of `value` in place.
    pub fn redact_value(&self, value: &mut Value) {
        self.redact_value_except(value, &|_| false, false);
    }

    /// Like [`Redactor::redact_value`], but string values for which
    /// `protected` holds are left alone (enum tags the program itself
    /// wrote: blanking them would make a record unreadable as an event),
    /// and with `keep_top_keys` the top-level keys too (a record's schema).
    pub fn redact_value_except(
        &self,
        value: &mut Value,
        protected: &dyn Fn(&str) -> bool,
        keep_top_keys: bool,
    ) {
        let rules = self.read();
        redact_value_with(&rules, value, protected, keep_top_keys);
    }

    fn read(&self) -> RwLockReadGuard<'_, Rules> {
        // A panic elsewhere while holding the lock cannot leave `Rules`
        // half-updated in a way that loses secrets (pushes are atomic
        // from the reader's view), so a poisoned lock is still usable.
        self.rules.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Rules> {
        self.rules.write().unwrap_or_else(|e| e.into_inner())
    }
}

fn redact_value_with(
    rules: &Rules,
    value: &mut Value,
    protected: &dyn Fn(&str) -> bool,
    top: bool,
) {
    match value {
        Value::String(s) => {
            if protected(s) {
                return;
            }
            if let Cow::Owned(r) = redact_with(rules, s) {
                *s = r;
            }
        }
        Value::Array(items) => {
            for v in items {
                redact_value_with(rules, v, protected, false);
            }
        }
        Value::Object(map) => {
            let needs_key_change = !top
                && map
                    .keys()
                    .any(|k| matches!(redact_with(rules, k), Cow::Owned(_)));
            if needs_key_change {
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    redact_value_with(rules, &mut v, protected, false);
                    let k = redact_with(rules, &k).into_owned();
                    map.insert(k, v);
                }
            } else {
                for v in map.values_mut() {
                    redact_value_with(rules, v, protected, false);
                }
            }
        }
        Value::Number(n) => {
            // A digits-only secret (a PIN-like password) would otherwise
            // survive as a JSON number, e.g. inside a parsed output. The
            // value becomes a string: the record may then no longer read
            // as its event type, which is the lesser harm.
            let digits = n.to_string();
            if rules
                .secrets
                .iter()
                .any(|s| s.bytes().all(|b| b.is_ascii_digit()) && digits.contains(s.as_str()))
            {
                *value = Value::String(REDACTED.to_string());
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
}

fn redact_with<'a>(rules: &Rules, text: &'a str) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(text);
    apply(&mut out, redact_pem);
    apply(&mut out, redact_putty);
    apply(&mut out, redact_jwt);
    apply(&mut out, redact_bearer);
    for s in &rules.secrets {
        apply(&mut out, |t| replace_all(t, s));
    }
    for p in &rules.patterns {
        apply(&mut out, |t| replace_spans(t, |t, from| p.find(t, from)));
    }
    out
}

fn apply<'a>(text: &mut Cow<'a, str>, pass: impl Fn(&str) -> Option<String>) {
    if let Some(changed) = pass(text) {
        *text = Cow::Owned(changed);
    }
}

/// Replaces every span `find` reports (each search starts where the last
/// span ended); `None` when there was none.
fn replace_spans(
    text: &str,
    find: impl Fn(&str, usize) -> Option<(usize, usize)>,
) -> Option<String> {
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut from = 0;
    while from <= text.len() {
        let Some((start, end)) = find(text, from) else {
            break;
        };
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(&text[copied..start]);
        o.push_str(REDACTED);
        copied = end;
        // An empty span cannot happen with the finders here, but never loop.
        from = end.max(start + 1);
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some(o)
}

fn replace_all(text: &str, secret: &str) -> Option<String> {
    let finder = memmem::Finder::new(secret.as_bytes());
    replace_spans(text, |t, from| {
        finder
            .find(&t.as_bytes()[from..])
            .map(|i| (from + i, from + i + secret.len()))
    })
}

#[cfg(test)]
mod tests;
