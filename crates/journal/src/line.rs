//! The canonical line, and the hash over it.
//!
//! A record is written as one line of compact JSON, members in this order:
//! `seq`, `ts`, `kind`, the event's fields, `prev`, `hash`. The hash is
//! defined over bytes, not over a re-serialization, so no JSON library's
//! formatting choices can ever change it:
//!
//! 1. serialize the object without `hash` to a string `S` (it ends in `}`);
//! 2. `hash` = lowercase hex SHA-256 of `S`;
//! 3. the line is `S` with its final `}` replaced by `,"hash":"<hash>"}`,
//!    then `\n`.
//!
//! A reader re-derives `S` by removing exactly that 75-byte suffix and
//! putting the `}` back. Any other position of `hash`, any whitespace, any
//! re-encoding of the line is therefore detectable.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// `prev` of the first record.
pub const ZERO_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const HASH_KEY: &[u8] = br#","hash":""#;
/// `,"hash":"` + 64 hex digits + `"}`.
const SUFFIX_LEN: usize = HASH_KEY.len() + 64 + 2;

/// Members the journal itself writes around an event's fields.
pub const RESERVED: [&str; 4] = ["seq", "ts", "prev", "hash"];

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    s
}

fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why an event body cannot be encoded.
#[derive(Debug, thiserror::Error)]
pub enum EncodeError {
    #[error("the event does not serialize to a JSON object")]
    NotAnObject,
    #[error("the event has no `kind`")]
    NoKind,
    #[error("the event has a member named `{0}`, which the journal reserves")]
    Reserved(String),
    #[error("cannot serialize the record: {0}")]
    Json(#[from] serde_json::Error),
}

/// An encoded record: the line (with its newline) and its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub line: String,
    pub hash: String,
}

/// Encodes one record. `body` is the event as a JSON object, `kind` first.
/// Public so tools and benchmarks can produce journals; the session's own
/// writer is [`super::JournalWriter`], which also redacts and fsyncs.
pub fn encode(
    seq: u64,
    ts: &str,
    body: &Map<String, Value>,
    prev: &str,
) -> Result<Encoded, EncodeError> {
    if !body.get("kind").is_some_and(Value::is_string) {
        return Err(EncodeError::NoKind);
    }
    if let Some(k) = RESERVED.iter().find(|k| body.contains_key(**k)) {
        return Err(EncodeError::Reserved((*k).to_string()));
    }
    let mut obj = Map::with_capacity(body.len() + 3);
    obj.insert("seq".into(), Value::from(seq));
    obj.insert("ts".into(), Value::from(ts));
    for (k, v) in body {
        obj.insert(k.clone(), v.clone());
    }
    obj.insert("prev".into(), Value::from(prev));
    let mut s = serde_json::to_string(&obj)?;
    let hash = hex(&Sha256::digest(s.as_bytes()));
    s.pop();
    s.reserve(SUFFIX_LEN + 1);
    s.push_str(r#","hash":""#);
    s.push_str(&hash);
    s.push_str("\"}\n");
    Ok(Encoded { line: s, hash })
}

/// Encodes a serializable event (anything whose JSON form is an object
/// with `kind`), without redaction.
pub fn encode_event<T: serde::Serialize>(
    seq: u64,
    ts: &str,
    event: &T,
    prev: &str,
) -> Result<Encoded, EncodeError> {
    match serde_json::to_value(event)? {
        Value::Object(m) => encode(seq, ts, &m, prev),
        _ => Err(EncodeError::NotAnObject),
    }
}

/// RFC 3339, UTC, milliseconds: `2026-11-03T01:02:03.456Z`.
pub fn format_ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// Now, truncated to what the journal records (milliseconds), so a record
/// handed back by the writer equals the one read back later.
pub fn now_ms() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    now.replace_nanosecond(now.millisecond() as u32 * 1_000_000)
        .unwrap_or(now)
}

/// What is wrong with a line that is not a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LineError {
    /// Not JSON. `eof` when the text stops mid-value: what a torn write
    /// leaves. `col` is 1-based, in bytes.
    Json {
        col: usize,
        eof: bool,
        message: String,
    },
    /// JSON, but not a journal record.
    Field { col: usize, message: String },
}

impl LineError {
    pub(crate) fn col(&self) -> usize {
        match self {
            LineError::Json { col, .. } | LineError::Field { col, .. } => *col,
        }
    }

    pub(crate) fn message(&self) -> &str {
        match self {
            LineError::Json { message, .. } | LineError::Field { message, .. } => message,
        }
    }
}

/// One decoded line.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    pub seq: u64,
    pub ts: OffsetDateTime,
    pub kind: String,
    pub prev: String,
    pub hash: String,
    /// The event's members: `kind` and its fields.
    pub body: Map<String, Value>,
    /// SHA-256 of the canonical bytes, when asked for.
    pub computed: Option<String>,
}

fn field_err(message: impl Into<String>) -> LineError {
    LineError::Field {
        col: 1,
        message: message.into(),
    }
}

/// Decodes one line (without its `\n`).
pub(crate) fn decode(line: &[u8], compute_hash: bool) -> Result<Decoded, LineError> {
    let value: Value = serde_json::from_slice(line).map_err(|e| LineError::Json {
        col: e.column().max(1),
        eof: e.is_eof(),
        message: e.to_string(),
    })?;
    let Value::Object(mut obj) = value else {
        return Err(field_err("not a JSON object"));
    };
    let seq = match obj.remove("seq") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| field_err("`seq` is not a non-negative integer"))?,
        Some(_) => return Err(field_err("`seq` is not a number")),
        None => return Err(field_err("no `seq`")),
    };
    let ts = match obj.remove("ts") {
        Some(Value::String(s)) => OffsetDateTime::parse(&s, &Rfc3339)
            .map_err(|e| field_err(format!("`ts` is not an RFC 3339 time: {e}")))?,
        Some(_) => return Err(field_err("`ts` is not a string")),
        None => return Err(field_err("no `ts`")),
    };
    let kind = match obj.get("kind") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(field_err("`kind` is not a string")),
        None => return Err(field_err("no `kind`")),
    };
    let mut hex_member = |name: &'static str| match obj.remove(name) {
        Some(Value::String(s)) if is_hash(&s) => Ok(s),
        Some(_) => Err(field_err(format!(
            "`{name}` is not 64 lowercase hex digits"
        ))),
        None => Err(field_err(format!("no `{name}`"))),
    };
    let prev = hex_member("prev")?;
    let hash = hex_member("hash")?;
    let canonical_end = line.len().checked_sub(SUFFIX_LEN);
    let suffix_ok = canonical_end.is_some_and(|end| {
        line[end..].starts_with(HASH_KEY)
            && &line[end + HASH_KEY.len()..end + HASH_KEY.len() + 64] == hash.as_bytes()
            && &line[line.len() - 2..] == b"\"}"
    });
    let Some(end) = canonical_end.filter(|_| suffix_ok) else {
        return Err(LineError::Field {
            col: line.len().saturating_sub(SUFFIX_LEN).max(1),
            message: "`hash` is not the last member in the journal's canonical form".into(),
        });
    };
    let computed = compute_hash.then(|| {
        let mut h = Sha256::new();
        h.update(&line[..end]);
        h.update(b"}");
        hex(&h.finalize())
    });
    Ok(Decoded {
        seq,
        ts,
        kind,
        prev,
        hash,
        body: obj,
        computed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> Map<String, Value> {
        match serde_json::json!({"kind": "step_start", "step": "a\"b"}) {
            Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    #[test]
    fn line_layout_and_hash_definition() {
        let e = encode(3, "2026-01-02T03:04:05.678Z", &body(), ZERO_HASH).expect("encodes");
        let without = format!(
            r#"{{"seq":3,"ts":"2026-01-02T03:04:05.678Z","kind":"step_start","step":"a\"b","prev":"{ZERO_HASH}"}}"#
        );
        assert_eq!(e.hash, hex(&Sha256::digest(without.as_bytes())));
        assert_eq!(
            e.line,
            format!(
                "{}{},\"hash\":\"{}\"}}\n",
                &without[..without.len() - 1],
                "",
                e.hash
            )
        );
        let d = decode(e.line.trim_end_matches('\n').as_bytes(), true).expect("decodes");
        assert_eq!(d.computed.as_deref(), Some(e.hash.as_str()));
        assert_eq!(
            (d.seq, d.kind.as_str(), d.prev.as_str()),
            (3, "step_start", ZERO_HASH)
        );
        assert_eq!(format_ts(d.ts), "2026-01-02T03:04:05.678Z");
        assert_eq!(d.body, body());
    }

    #[test]
    fn reserved_members_and_missing_kind_are_refused() {
        let mut b = body();
        b.insert("prev".into(), Value::from("x"));
        assert!(
            matches!(encode(0, "t", &b, ZERO_HASH), Err(EncodeError::Reserved(k)) if k == "prev")
        );
        let mut b = body();
        b.remove("kind");
        assert!(matches!(
            encode(0, "t", &b, ZERO_HASH),
            Err(EncodeError::NoKind)
        ));
    }

    #[test]
    fn hash_elsewhere_than_last_is_not_canonical() {
        let line = format!(
            r#"{{"seq":0,"hash":"{ZERO_HASH}","ts":"2026-01-02T03:04:05.678Z","kind":"x","prev":"{ZERO_HASH}"}}"#
        );
        let e = decode(line.as_bytes(), true).expect_err("not canonical");
        assert!(e.message().contains("canonical"), "{e:?}");
    }

    #[test]
    fn torn_line_is_eof() {
        let e = encode(0, "2026-01-02T03:04:05.678Z", &body(), ZERO_HASH).expect("encodes");
        let torn = &e.line.as_bytes()[..40];
        assert!(matches!(
            decode(torn, false),
            Err(LineError::Json { eof: true, .. })
        ));
        let mut extra = e.line.trim_end().as_bytes().to_vec();
        extra.push(b'x');
        assert!(matches!(
            decode(&extra, false),
            Err(LineError::Json { eof: false, .. })
        ));
    }

    #[test]
    fn timestamps_have_milliseconds() {
        let t = time::macros::datetime!(2026-11-03 01:02:03.456789 UTC);
        assert_eq!(format_ts(t), "2026-11-03T01:02:03.456Z");
        assert_eq!(now_ms().nanosecond() % 1_000_000, 0);
    }
}
