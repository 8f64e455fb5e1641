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

use std::borrow::Cow;
use std::fmt;
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use memchr::memmem;
use serde_json::Value;

use cutover_core::inventory::Inventory;

/// What a redacted span is replaced with.
pub const REDACTED: &str = "[REDACTED]";

/// A pattern must keep at least this many literal characters: `*` alone, or
/// `a*`, would blank out whole journals and make them useless as evidence.
const MIN_PATTERN_LITERAL: usize = 3;

/// Bearer tokens shorter than this are taken for prose.
const MIN_BEARER_TOKEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RedactError {
    #[error(
        "redact pattern `{pattern}` is too broad: it needs at least {MIN_PATTERN_LITERAL} literal characters besides `*`"
    )]
    TooBroad { pattern: String },
}

/// One inventory pattern, split at its `*`s.
#[derive(Clone, PartialEq, Eq)]
struct Pattern {
    /// The non-empty literal pieces, in order.
    literals: Vec<String>,
    leading_star: bool,
    trailing_star: bool,
}

impl Pattern {
    fn parse(text: &str) -> Result<Self, RedactError> {
        let pieces: Vec<&str> = text.split('*').collect();
        let literals: Vec<String> = pieces
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| (*p).to_string())
            .collect();
        let literal_chars: usize = literals
            .iter()
            .map(|l| l.chars().filter(|c| !c.is_whitespace()).count())
            .sum();
        if literal_chars < MIN_PATTERN_LITERAL {
            return Err(RedactError::TooBroad {
                pattern: text.to_string(),
            });
        }
        Ok(Pattern {
            literals,
            leading_star: text.starts_with('*'),
            trailing_star: text.ends_with('*'),
        })
    }

    /// The first match at or after `from`, as a byte range of `text`.
    fn find(&self, text: &str, from: usize) -> Option<(usize, usize)> {
        let first = self.literals.first()?;
        let mut search = from;
        while let Some(off) = memmem::find(&text.as_bytes()[search..], first.as_bytes()) {
            let hit = search + off;
            // Occurrences may overlap (`aa` in `aaa`).
            search = hit + 1;
            if let Some(end) = self.rest_matches(text, hit + first.len()) {
                let start = if self.leading_star {
                    extend_back(text, hit, from)
                } else {
                    hit
                };
                return Some((start, end));
            }
        }
        None
    }

    /// Matches the literals after the first one, each separated from the
    /// previous by a non-whitespace gap; returns the end of the match.
    fn rest_matches(&self, text: &str, mut pos: usize) -> Option<usize> {
        for lit in &self.literals[1..] {
            let off = memmem::find(&text.as_bytes()[pos..], lit.as_bytes())?;
            // The earliest occurrence gives the shortest gap; a later one
            // would span the same whitespace, so one look is enough.
            if text[pos..pos + off].chars().any(char::is_whitespace) {
                return None;
            }
            pos += off + lit.len();
        }
        if self.trailing_star {
            pos = extend_forward(text, pos);
        }
        Some(pos)
    }
}

fn extend_back(text: &str, mut pos: usize, floor: usize) -> usize {
    for (i, c) in text[floor..pos].char_indices().rev() {
        if c.is_whitespace() {
            break;
        }
        pos = floor + i;
    }
    pos
}

fn extend_forward(text: &str, pos: usize) -> usize {
    text[pos..]
        .char_indices()
        .find(|(_, c)| c.is_whitespace())
        .map_or(text.len(), |(i, _)| pos + i)
}

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

fn redact_pem(text: &str) -> Option<String> {
    const BEGIN: &str = "-----BEGIN ";
    replace_spans(text, |t, from| {
        let mut search = from;
        while let Some(off) = memmem::find(&t.as_bytes()[search..], BEGIN.as_bytes()) {
            let start = search + off;
            let label_from = start + BEGIN.len();
            search = label_from;
            let rest = &t[label_from..];
            let Some(label_len) = rest.find("-----") else {
                continue;
            };
            let label = &rest[..label_len];
            if !label.contains("PRIVATE KEY") || label.contains('\n') {
                continue;
            }
            let body_from = label_from + label_len + 5;
            let end = match t[body_from..].find("-----END ") {
                Some(e) => {
                    let end_label = body_from + e + "-----END ".len();
                    t[end_label..]
                        .find("-----")
                        .map_or(t.len(), |c| end_label + c + 5)
                }
                None => t.len(),
            };
            return Some((start, end));
        }
        None
    })
}

fn redact_putty(text: &str) -> Option<String> {
    const LINES: &str = "Private-Lines:";
    const MAC: &str = "Private-MAC:";
    replace_spans(text, |t, from| {
        let start = from + t[from..].find(LINES)?;
        let end = match t[start..].find(MAC) {
            Some(m) => {
                let after = start + m + MAC.len();
                t[after..].find(['\n', '\r']).map_or(t.len(), |e| after + e)
            }
            None => t.len(),
        };
        Some((start, end))
    })
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn b64url_run(bytes: &[u8], from: usize) -> usize {
    bytes[from..].iter().take_while(|b| is_b64url(**b)).count()
}

fn redact_jwt(text: &str) -> Option<String> {
    let finder = memmem::Finder::new(b"eyJ");
    replace_spans(text, |t, from| {
        let bytes = t.as_bytes();
        let mut search = from;
        while let Some(off) = finder.find(&bytes[search..]) {
            let start = search + off;
            search = start + 3;
            if start > 0 && is_b64url(bytes[start - 1]) {
                continue;
            }
            let mut pos = start + b64url_run(bytes, start);
            let mut segments = 1;
            while pos < bytes.len() && bytes[pos] == b'.' {
                let run = b64url_run(bytes, pos + 1);
                // Only the third (signature) segment may be empty.
                if run == 0 && segments != 2 {
                    break;
                }
                pos += 1 + run;
                segments += 1;
            }
            if segments >= 3 {
                return Some((start, pos));
            }
        }
        None
    })
}

fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

fn redact_bearer(text: &str) -> Option<String> {
    replace_spans(text, |t, from| {
        let bytes = t.as_bytes();
        for i in memchr::memchr2_iter(b'b', b'B', &bytes[from..]).map(|i| from + i) {
            if bytes.len() < i + 6 || !bytes[i..i + 6].eq_ignore_ascii_case(b"bearer") {
                continue;
            }
            if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
                continue;
            }
            let gap = bytes[i + 6..]
                .iter()
                .take_while(|b| **b == b' ' || **b == b'\t')
                .count();
            if gap == 0 {
                continue;
            }
            let tok = i + 6 + gap;
            let len = bytes[tok..]
                .iter()
                .take_while(|b| is_token_char(**b))
                .count();
            if len >= MIN_BEARER_TOKEN {
                return Some((tok, tok + len));
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r() -> Redactor {
        Redactor::new()
    }

    #[test]
    fn registered_secret_and_its_json_escaped_form() {
        let red = r();
        red.register_secret("pa\"ss\\wörd");
        assert_eq!(red.redact_str("x pa\"ss\\wörd y"), "x [REDACTED] y");
        assert_eq!(
            red.redact_str(r#"{"password":"pa\"ss\\wörd"}"#),
            r#"{"password":"[REDACTED]"}"#
        );
        assert!(matches!(red.redact_str("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn empty_secret_is_ignored_and_trimmed_form_registered() {
        let red = r();
        red.register_secret("");
        assert!(!red.has_secrets());
        red.register_secret("hunter22\n");
        assert_eq!(red.redact_str("pw=hunter22;"), "pw=[REDACTED];");
    }

    #[test]
    fn longest_secret_goes_whole() {
        let red = r();
        red.register_secret("abc");
        red.register_secret("xxabcxx");
        assert_eq!(
            red.redact_str("1 xxabcxx 2 abc"),
            "1 [REDACTED] 2 [REDACTED]"
        );
    }

    #[test]
    fn bearer_tokens_any_case_but_not_prose() {
        let red = r();
        assert_eq!(
            red.redact_str("Authorization: Bearer abcDEF123.-_~+/="),
            "Authorization: Bearer [REDACTED]"
        );
        assert_eq!(
            red.redact_str("authorization: bearer\tQWERTYUIOP"),
            "authorization: bearer\t[REDACTED]"
        );
        assert_eq!(red.redact_str("the bearer of news"), "the bearer of news");
        assert_eq!(red.redact_str("xBearer abcdefghij"), "xBearer abcdefghij");
    }

    #[test]
    fn jwt_shapes() {
        let red = r();
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl";
        assert_eq!(red.redact_str(&format!("t={jwt};")), "t=[REDACTED];");
        // Unsigned token (empty third segment).
        assert_eq!(
            red.redact_str("eyJhbGciOiJub25lIn0.eyJ4IjoxfQ."),
            "[REDACTED]"
        );
        // Two segments and an embedded `eyJ` are not tokens.
        assert_eq!(red.redact_str("eyJhb.eyJ4"), "eyJhb.eyJ4");
        assert_eq!(red.redact_str("keyJar.a.b"), "keyJar.a.b");
    }

    #[test]
    fn pem_private_keys_and_not_certificates() {
        let red = r();
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
        assert_eq!(red.redact_str(&format!("a\n{key}\nb")), "a\n[REDACTED]\nb");
        assert_eq!(
            red.redact_str("x -----BEGIN RSA PRIVATE KEY-----\nMIIE cut off"),
            "x [REDACTED]"
        );
        let cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        assert_eq!(red.redact_str(cert), cert);
    }

    #[test]
    fn putty_private_lines() {
        let red = r();
        let ppk = "PuTTY-User-Key-File-3: ssh-ed25519\nPublic-Lines: 2\nAAAA\nPrivate-Lines: 1\nSECRETBASE64\nPrivate-MAC: 0123abcd\nnext";
        let out = red.redact_str(ppk);
        assert!(
            !out.contains("SECRETBASE64") && !out.contains("0123abcd"),
            "{out}"
        );
        assert!(out.ends_with("[REDACTED]\nnext"), "{out}");
    }

    #[test]
    fn inventory_patterns() {
        let red = r();
        red.add_pattern("s3cret*").expect("pattern");
        red.add_pattern("*@corp.example").expect("pattern");
        red.add_pattern("key=*;end").expect("pattern");
        assert_eq!(
            red.redact_str("psk s3cret-42 and s3cret"),
            "psk [REDACTED] and [REDACTED]"
        );
        assert_eq!(
            red.redact_str("mail alice@corp.example."),
            "mail [REDACTED]."
        );
        assert_eq!(
            red.redact_str("key=abc;end key=a b;end"),
            "[REDACTED] key=a b;end"
        );
    }

    #[test]
    fn too_broad_patterns_are_refused() {
        for p in ["*", "", "a*", "**x*", " * "] {
            assert!(
                matches!(Pattern::parse(p), Err(RedactError::TooBroad { .. })),
                "{p:?}"
            );
        }
        assert!(Pattern::parse("abc*").is_ok());
    }

    #[test]
    fn inventory_patterns_and_the_values_of_its_credential_variables() {
        // Cargo sets CARGO_MANIFEST_DIR for the test process: a variable
        // whose value is known without touching the environment.
        let inv = Inventory::from_str(
            r#"
redact = ["s3cret*"]
[devices.ce1]
platform = "junos"
host = "127.0.0.1"
password_env = "CARGO_MANIFEST_DIR"
passphrase_env = "CUTOVER_TEST_SURELY_UNSET_VARIABLE"
"#,
            std::path::Path::new("inv.toml"),
        )
        .expect("inventory");
        let red = Redactor::for_inventory(&inv).expect("redactor");
        let text = format!("dir={} psk=s3cret-9", env!("CARGO_MANIFEST_DIR"));
        assert_eq!(red.redact_str(&text), "dir=[REDACTED] psk=[REDACTED]");

        let broad = Inventory {
            redact: vec!["x*".into()],
            ..inv
        };
        assert!(Redactor::for_inventory(&broad).is_err());
    }

    #[test]
    fn digits_only_secret_inside_a_number() {
        let red = r();
        red.register_secret("4242");
        let mut v = serde_json::json!({"pin": 4242, "asn": 65020, "n": 1424242});
        red.redact_value(&mut v);
        assert_eq!(
            v,
            serde_json::json!({"pin": "[REDACTED]", "asn": 65020, "n": "[REDACTED]"})
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let red = r();
        red.register_secret("topsecretvalue");
        let d = format!("{red:?}");
        assert!(!d.contains("topsecretvalue"), "{d}");
    }

    #[test]
    fn value_walk_keeps_vocabulary_and_top_keys() {
        let red = r();
        red.add_pattern("pass*").expect("pattern");
        red.register_secret("password-key");
        let mut v = serde_json::json!({
            "kind": "step_end", "verdict": "passed", "note": "passphrase here",
            "nested": {"password-key": ["passwd"]}
        });
        red.redact_value_except(&mut v, &|s| s == "passed", true);
        assert_eq!(
            v,
            serde_json::json!({
                "kind": "step_end", "verdict": "passed", "note": "[REDACTED] here",
                "nested": {"[REDACTED]": ["[REDACTED]"]}
            })
        );
    }
}
