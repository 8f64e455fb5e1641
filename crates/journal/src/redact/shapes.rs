//! Secret shapes recognised without being told the secret: private key
//! blocks (PEM and PuTTY), JWTs and bearer tokens.

use memchr::memmem;

use super::replace_spans;

/// Bearer tokens shorter than this are taken for prose.
const MIN_BEARER_TOKEN: usize = 8;

pub(super) fn redact_pem(text: &str) -> Option<String> {
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

pub(super) fn redact_putty(text: &str) -> Option<String> {
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

pub(super) fn redact_jwt(text: &str) -> Option<String> {
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

pub(super) fn redact_bearer(text: &str) -> Option<String> {
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
