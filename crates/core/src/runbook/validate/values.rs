//! One value read from the tree: its type checked, its `${var}`s expanded,
//! its text parsed; a wrong one becomes a message at its exact position.

use std::net::IpAddr;

use toml::de::{DeTable, DeValue};

use super::{Cx, Span, Val, a_type, get};
use crate::model::Prefix;
use crate::runbook::duration::Duration;
use crate::runbook::interp::{self, InterpError};

impl Cx<'_> {
    /// Where, in the file, the character `at` of the string value at `span`
    /// is: exact when the string has no escapes, else the string's start.
    pub(super) fn locate_in_string(&self, span: &Span, decoded: &str, at: usize) -> usize {
        let Some(raw) = self.src.get(span.clone()) else {
            return span.start;
        };
        for q in [3usize, 1] {
            if raw.len() >= 2 * q
                && raw.get(q..raw.len() - q) == Some(decoded)
                && matches!(raw.as_bytes().first(), Some(b'"' | b'\''))
            {
                return span.start + q + at;
            }
        }
        span.start
    }

    pub(super) fn interp_error(&mut self, span: &Span, decoded: &str, e: &InterpError) {
        if matches!(e, InterpError::Undefined { name, .. } if self.broken_vars.contains(name)) {
            return;
        }
        let at = self.locate_in_string(span, decoded, e.at());
        let msg = match e {
            InterpError::Undefined {
                name,
                suggestion: Some(s),
                ..
            } => {
                format!("undefined variable `{name}` (did you mean `{s}`?)")
            }
            InterpError::Undefined { name, .. } => {
                format!("undefined variable `{name}`: define it in [vars]")
            }
            other => other.to_string(),
        };
        self.err(at, msg);
    }

    /// A string value, interpolated.
    pub(super) fn string(&mut self, v: &Val<'_>, what: &str) -> Option<String> {
        let DeValue::String(s) = v.get_ref() else {
            self.err(
                v.span().start,
                format!("`{what}` must be a string, not {}", a_type(v.get_ref())),
            );
            return None;
        };
        match interp::interpolate(s, &self.vars) {
            Ok(out) => Some(out),
            Err(e) => {
                self.interp_error(&v.span(), s, &e);
                None
            }
        }
    }

    pub(super) fn opt_string(&mut self, t: &DeTable<'_>, key: &str) -> Option<(String, Span)> {
        let v = get(t, key)?;
        self.string(v, key).map(|s| (s, v.span()))
    }

    pub(super) fn req_string(
        &mut self,
        t: &DeTable<'_>,
        span: &Span,
        key: &str,
        ctx: &str,
    ) -> Option<(String, Span)> {
        if get(t, key).is_none() {
            self.missing(t, span, key, &format!("missing `{key}` in {ctx}"));
            return None;
        }
        self.opt_string(t, key)
    }

    pub(super) fn bool(&mut self, v: &Val<'_>, what: &str) -> Option<bool> {
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be true or false, not {}", a_type(other)),
                );
                None
            }
        }
    }

    /// A non-negative integer, written as one or as a string (so that a
    /// `${var}` can hold it).
    pub(super) fn uint(&mut self, v: &Val<'_>, what: &str) -> Option<u32> {
        let text = match v.get_ref() {
            DeValue::Integer(i) => {
                let parsed = u32::from_str_radix(i.as_str(), i.radix()).ok();
                if parsed.is_none() {
                    self.err(
                        v.span().start,
                        format!("`{what}` must be a whole number from 0 to {}", u32::MAX),
                    );
                }
                return parsed;
            }
            DeValue::String(_) => self.string(v, what)?,
            other => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be a whole number, not {}", a_type(other)),
                );
                return None;
            }
        };
        let parsed = text.trim().parse::<u32>().ok();
        if parsed.is_none() {
            self.err(
                v.span().start,
                format!("`{what}` must be a whole number, not `{text}`"),
            );
        }
        parsed
    }

    pub(super) fn duration(&mut self, v: &Val<'_>, what: &str) -> Option<Duration> {
        let text = self.string(v, what)?;
        match Duration::parse(&text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(v.span().start, e.to_string());
                None
            }
        }
    }

    pub(super) fn prefix(&mut self, v: &Val<'_>, what: &str) -> Option<Prefix> {
        let text = self.string(v, what)?;
        match Prefix::parse_strict(&text) {
            Ok(p) => Some(p),
            Err(e) => {
                self.err(v.span().start, format!("bad prefix in `{what}`: {e}"));
                None
            }
        }
    }

    pub(super) fn ip(&mut self, v: &Val<'_>, what: &str) -> Option<IpAddr> {
        let text = self.string(v, what)?;
        match text.trim().parse::<IpAddr>() {
            Ok(a) => Some(a),
            Err(_) => {
                self.err(
                    v.span().start,
                    format!("`{what}` must be an IP address, not `{text}`"),
                );
                None
            }
        }
    }

    pub(super) fn checked(
        &mut self,
        v: &Val<'_>,
        what: &str,
        ok: fn(&str) -> bool,
        expected: &str,
    ) -> Option<String> {
        let text = self.string(v, what)?;
        if ok(&text) {
            Some(text)
        } else {
            self.err(
                v.span().start,
                format!("`{what}` must be {expected}, not `{text}`"),
            );
            None
        }
    }

    pub(super) fn list<T>(
        &mut self,
        v: &Val<'_>,
        what: &str,
        mut each: impl FnMut(&mut Self, &Val<'_>) -> Option<T>,
    ) -> Option<Vec<T>> {
        let items = self.array(v, what)?;
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for item in items {
            match each(self, item) {
                Some(x) => out.push(x),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}
