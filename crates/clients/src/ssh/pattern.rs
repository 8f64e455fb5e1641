//! OpenSSH's host patterns (`*`, `?`, `!negation`), shared by ssh_config
//! `Host` lines and known_hosts host fields.

/// Glob match of `text` against `pattern` (`*` any run, `?` one character),
/// ASCII case-insensitive as OpenSSH compares host names.
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().map(|c| c.to_ascii_lowercase()).collect();
    let t: Vec<char> = text.chars().map(|c| c.to_ascii_lowercase()).collect();
    // Iterative matcher with one backtrack point: linear in practice, no
    // recursion depth to exhaust on hostile input.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == '?' || c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// A pattern list matches when some positive pattern matches and no negated
/// one does (a matching negation vetoes the whole list, as in OpenSSH).
pub(crate) fn list_matches<'a>(patterns: impl IntoIterator<Item = &'a str>, text: &str) -> bool {
    let mut positive = false;
    for pat in patterns {
        if let Some(neg) = pat.strip_prefix('!') {
            if wildcard_match(neg, text) {
                return false;
            }
        } else if wildcard_match(pat, text) {
            positive = true;
        }
    }
    positive
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*", ""));
        assert!(wildcard_match("*", "anything"));
        assert!(wildcard_match("ce?", "ce1"));
        assert!(!wildcard_match("ce?", "ce12"));
        assert!(wildcard_match("*.example.com", "r1.EXAMPLE.com"));
        assert!(!wildcard_match("*.example.com", "example.com"));
        assert!(wildcard_match("10.1.*.1", "10.1.11.1"));
        assert!(wildcard_match("a*b*c", "aXXbYYbc"));
        assert!(!wildcard_match("a*b*c", "aXXbYYbd"));
        assert!(wildcard_match("[127.0.0.*]:2222", "[127.0.0.1]:2222"));
        assert!(!wildcard_match("", "x"));
        assert!(wildcard_match("", ""));
    }

    #[test]
    fn negation_vetoes() {
        assert!(list_matches(["*", "!bastion"], "ce1"));
        assert!(!list_matches(["*", "!bastion"], "bastion"));
        assert!(
            !list_matches(["!bastion"], "ce1"),
            "negation alone never matches"
        );
        assert!(!list_matches(["!ce*", "ce1"], "ce1"));
    }
}
