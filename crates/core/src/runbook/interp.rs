//! `${name}` interpolation.
//!
//! `${name}` is replaced by the variable's value, `$$` is a literal `$`, and a
//! `$` followed by anything else stays as it is (so that PowerShell's `$ckt`
//! or a shell's `$HOME` in an explanation need no escaping). Names are
//! `[A-Za-z_][A-Za-z0-9_-]*`. An undefined name is an error, never an empty
//! string: a runbook that silently probes the wrong peer is worse than one
//! that does not load.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpError {
    #[error("undefined variable `{name}`")]
    Undefined {
        name: String,
        /// Byte offset of the `$` within the uninterpolated string.
        at: usize,
        suggestion: Option<String>,
    },
    #[error("`${{` without a closing `}}`")]
    Unterminated { at: usize },
    #[error(
        "`${{{name}}}` is not a variable name (letters, digits, `_` and `-`, starting with a letter or `_`)"
    )]
    BadName { name: String, at: usize },
}

impl InterpError {
    pub fn at(&self) -> usize {
        match self {
            InterpError::Undefined { at, .. }
            | InterpError::Unterminated { at }
            | InterpError::BadName { at, .. } => *at,
        }
    }
}

pub fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// Expands `text`, looking each name up with `lookup`.
pub fn interpolate_with<'v, F>(text: &str, mut lookup: F) -> Result<String, InterpError>
where
    F: FnMut(&str) -> Result<Option<&'v str>, InterpError>,
{
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut search = 0;
    while let Some(rel) = bytes.get(search..).and_then(|b| memchr::memchr(b'$', b)) {
        let at = search + rel;
        match bytes.get(at + 1) {
            Some(b'$') => {
                out.push_str(text.get(copied..=at).unwrap_or_default());
                copied = at + 2;
                search = at + 2;
            }
            Some(b'{') => {
                let close = bytes
                    .get(at + 2..)
                    .and_then(|b| memchr::memchr(b'}', b))
                    .map(|c| at + 2 + c)
                    .ok_or(InterpError::Unterminated { at })?;
                let name = text.get(at + 2..close).unwrap_or_default();
                if !is_var_name(name) {
                    return Err(InterpError::BadName {
                        name: name.to_string(),
                        at,
                    });
                }
                let value = lookup(name)?.ok_or_else(|| InterpError::Undefined {
                    name: name.to_string(),
                    at,
                    suggestion: None,
                })?;
                out.push_str(text.get(copied..at).unwrap_or_default());
                out.push_str(value);
                copied = close + 1;
                search = close + 1;
            }
            _ => search = at + 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    Ok(out)
}

/// Expands `text` against already resolved variables.
pub fn interpolate(text: &str, vars: &BTreeMap<String, String>) -> Result<String, InterpError> {
    interpolate_with(text, |name| Ok(vars.get(name).map(String::as_str))).map_err(|e| match e {
        InterpError::Undefined { name, at, .. } => {
            let suggestion =
                super::diag::suggest(&name, vars.keys().map(String::as_str)).map(str::to_string);
            InterpError::Undefined {
                name,
                at,
                suggestion,
            }
        }
        other => other,
    })
}

/// Why a `[vars]` table could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VarError {
    /// The variable whose value is at fault.
    pub var: String,
    pub kind: VarErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarErrorKind {
    Interp(InterpError),
    /// The variables that refer to each other, starting and ending at `var`.
    Cycle(Vec<String>),
}

/// Resolves variables that refer to other variables, in any order; returns
/// the values that resolved and one error per variable that did not.
pub fn resolve_vars(raw: &BTreeMap<String, String>) -> (BTreeMap<String, String>, Vec<VarError>) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Todo,
        Busy,
        Done,
        Failed,
    }
    struct Resolver<'r> {
        raw: &'r BTreeMap<String, String>,
        state: BTreeMap<&'r str, State>,
        done: BTreeMap<String, String>,
        stack: Vec<String>,
        errors: Vec<VarError>,
    }
    impl Resolver<'_> {
        fn resolve(&mut self, name: &str) -> Option<String> {
            let (key, text) = self.raw.get_key_value(name)?;
            match self.state.get(key.as_str()).copied().unwrap_or(State::Todo) {
                State::Done => return self.done.get(name).cloned(),
                State::Failed => return None,
                State::Busy => {
                    let from = self.stack.iter().position(|s| s == name).unwrap_or(0);
                    let mut cycle: Vec<String> =
                        self.stack.get(from..).unwrap_or_default().to_vec();
                    cycle.push(name.to_string());
                    self.errors.push(VarError {
                        var: name.to_string(),
                        kind: VarErrorKind::Cycle(cycle),
                    });
                    self.state.insert(key, State::Failed);
                    return None;
                }
                State::Todo => {}
            }
            self.state.insert(key, State::Busy);
            self.stack.push(name.to_string());
            let mut local: BTreeMap<String, String> = BTreeMap::new();
            let mut failed_inner = false;
            for n in referenced_names(text) {
                // Names that are not variables at all are left for
                // `interpolate_with` below to report as undefined.
                if self.raw.contains_key(n.as_str()) {
                    match self.resolve(&n) {
                        Some(v) => {
                            local.insert(n, v);
                        }
                        None => failed_inner = true,
                    }
                }
            }
            self.stack.pop();
            if failed_inner {
                // The root cause is already reported on the variable that
                // failed first.
                self.state.insert(key, State::Failed);
                return None;
            }
            let raw = self.raw;
            let result = interpolate_with(text, |n| Ok(local.get(n).map(String::as_str)));
            match result {
                Ok(v) => {
                    self.state.insert(key, State::Done);
                    self.done.insert(name.to_string(), v.clone());
                    Some(v)
                }
                Err(e) => {
                    let e = match e {
                        InterpError::Undefined { name: n, at, .. } => InterpError::Undefined {
                            suggestion: super::diag::suggest(&n, raw.keys().map(String::as_str))
                                .map(str::to_string),
                            name: n,
                            at,
                        },
                        other => other,
                    };
                    self.errors.push(VarError {
                        var: name.to_string(),
                        kind: VarErrorKind::Interp(e),
                    });
                    self.state.insert(key, State::Failed);
                    None
                }
            }
        }
    }
    let mut r = Resolver {
        raw,
        state: BTreeMap::new(),
        done: BTreeMap::new(),
        stack: Vec::new(),
        errors: Vec::new(),
    };
    for name in raw.keys() {
        r.resolve(name);
    }
    (r.done, r.errors)
}

/// The well-formed `${name}` references in `text`, in order.
fn referenced_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let _ = interpolate_with(text, |n| {
        names.push(n.to_string());
        Ok(Some(""))
    });
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn expands_escapes_and_leaves_lone_dollars() {
        let v = vars(&[("peer", "192.168.11.18"), ("t", "Cust11.inet.0")]);
        assert_eq!(
            interpolate("bgp ${peer} table ${t}", &v),
            Ok("bgp 192.168.11.18 table Cust11.inet.0".into())
        );
        assert_eq!(
            interpolate("cost $$5 and $ckt.Peerings", &v),
            Ok("cost $5 and $ckt.Peerings".into())
        );
        assert_eq!(interpolate("$$${peer}$", &v), Ok("$192.168.11.18$".into()));
        assert_eq!(
            interpolate("ünïcode ${peer}", &v),
            Ok("ünïcode 192.168.11.18".into())
        );
    }

    #[test]
    fn reports_undefined_unterminated_and_bad_names() {
        let v = vars(&[("msee_primary", "x")]);
        let e = interpolate("peer ${msee_primry}", &v).expect_err("undefined");
        assert_eq!(
            e,
            InterpError::Undefined {
                name: "msee_primry".into(),
                at: 5,
                suggestion: Some("msee_primary".into())
            }
        );
        assert_eq!(
            interpolate("a ${x", &v),
            Err(InterpError::Unterminated { at: 2 })
        );
        assert_eq!(
            interpolate("${}", &v),
            Err(InterpError::BadName {
                name: String::new(),
                at: 0
            })
        );
        assert_eq!(
            interpolate("${a b}", &v),
            Err(InterpError::BadName {
                name: "a b".into(),
                at: 0
            })
        );
    }

    #[test]
    fn resolves_vars_in_any_order_and_finds_cycles() {
        let (ok, errs) = resolve_vars(&vars(&[
            ("a", "${b}/25"),
            ("b", "${c}.0"),
            ("c", "10.1.11"),
        ]));
        assert!(errs.is_empty());
        assert_eq!(ok.get("a").map(String::as_str), Some("10.1.11.0/25"));

        let (ok, errs) = resolve_vars(&vars(&[("a", "${b}"), ("b", "${a}"), ("c", "fine")]));
        assert_eq!(ok.get("c").map(String::as_str), Some("fine"));
        assert_eq!(errs.len(), 1);
        assert!(matches!(&errs[0].kind, VarErrorKind::Cycle(c) if c.len() == 3));

        let (_, errs) = resolve_vars(&vars(&[("a", "${nope}")]));
        assert!(
            matches!(&errs[0].kind, VarErrorKind::Interp(InterpError::Undefined { name, .. }) if name == "nope")
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,24}") {
            let v = vars(&[("a", "1")]);
            let _ = interpolate(&s, &v);
            let _ = resolve_vars(&vars(&[("x", &s), ("a", "${x}")]));
        }
    }
}
