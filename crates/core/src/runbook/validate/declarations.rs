//! The declarations steps refer to: `[vars]`, `[runbook]` and `[roles]`.

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};

use super::{Cx, TransposeNone, Val, a_type, get, is_id};
use crate::runbook::diag::suggest;
use crate::runbook::interp::{self, VarErrorKind};
use crate::runbook::model::{AzureNames, Meta, Role};
use crate::runbook::query::{self, AZURE_RESOURCE_KEYS, Platform};

const META_KEYS: &[&str] = &[
    "id",
    "title",
    "description",
    "version",
    "monitor_every",
    "repeat_every",
    "read_only",
];
const ROLE_KEYS: &[&str] = &["platform", "description"];

impl Cx<'_> {
    pub(super) fn vars_table(&mut self, v: Option<&Val<'_>>, overrides: &BTreeMap<String, String>) {
        let mut raw = BTreeMap::new();
        let mut spans = BTreeMap::new();
        let empty = DeTable::new();
        let t = match v {
            Some(v) => self.table(v, "vars").unwrap_or(&empty),
            None => &empty,
        };
        for (k, val) in t.iter() {
            let name = k.get_ref().as_ref();
            if !interp::is_var_name(name) {
                self.err(
                    k.span().start,
                    format!("bad variable name `{name}`: letters, digits, `_` and `-`, starting with a letter or `_`"),
                );
                continue;
            }
            let text = match val.get_ref() {
                DeValue::String(s) => s.to_string(),
                DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
                    Ok(n) => n.to_string(),
                    Err(_) => i.as_str().to_string(),
                },
                other => {
                    self.err(
                        val.span().start,
                        format!(
                            "variable `{name}` must be a string or an integer, not {}",
                            a_type(other)
                        ),
                    );
                    continue;
                }
            };
            spans.insert(name.to_string(), (val.span(), text.clone()));
            raw.insert(name.to_string(), text);
        }
        for (name, value) in overrides {
            // An override is taken literally: it comes from a program, and
            // its `$` are not meant as references.
            raw.insert(name.clone(), value.replace('$', "$$"));
            spans.remove(name);
        }
        let (resolved, errors) = interp::resolve_vars(&raw);
        self.broken_vars = raw
            .keys()
            .filter(|k| !resolved.contains_key(*k))
            .cloned()
            .collect();
        for e in errors {
            let Some((span, text)) = spans.get(&e.var).cloned() else {
                continue;
            };
            match e.kind {
                VarErrorKind::Interp(ie) => self.interp_error(&span, &text, &ie),
                VarErrorKind::Cycle(names) => {
                    self.err(
                        span.start,
                        format!(
                            "variables refer to each other in a circle: {}",
                            names.join(" -> ")
                        ),
                    );
                }
            }
        }
        self.vars = resolved;
    }

    pub(super) fn meta(&mut self, v: &Val<'_>) -> Option<Meta> {
        let t = self.table(v, "runbook")?;
        let span = v.span();
        self.unknown_keys(t, META_KEYS, "[runbook]");
        let id = self.req_string(t, &span, "id", "[runbook]");
        if let Some((id, at)) = &id
            && !is_id(id)
        {
            self.err(
                at.start,
                format!("runbook id `{id}` must be letters, digits, `.`, `_` and `-`"),
            );
        }
        let title = self.req_string(t, &span, "title", "[runbook]");
        let description = self.opt_string(t, "description").map(|s| s.0);
        let version = match get(t, "version") {
            Some(v) if matches!(v.get_ref(), DeValue::Integer(_)) => {
                self.uint(v, "version").map(|n| n.to_string())
            }
            Some(_) => self.opt_string(t, "version").map(|s| s.0),
            None => None,
        };
        let monitor_every = get(t, "monitor_every").map(|v| self.duration(v, "monitor_every"));
        let repeat_every = get(t, "repeat_every").map(|v| self.duration(v, "repeat_every"));
        let read_only = get(t, "read_only").map(|v| self.bool(v, "read_only"));
        Some(Meta {
            id: id?.0,
            title: title?.0,
            description,
            version,
            monitor_every: monitor_every.transpose_none()?,
            repeat_every: repeat_every.transpose_none()?,
            read_only: read_only.transpose_none()?.unwrap_or(false),
        })
    }

    pub(super) fn roles(&mut self, v: &Val<'_>) -> Option<BTreeMap<String, Role>> {
        let t = self.table(v, "roles")?;
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (k, rv) in t.iter() {
            let name = k.get_ref().as_ref();
            let ctx = format!("[roles.{name}]");
            if !is_id(name) {
                self.err(
                    k.span().start,
                    format!("role name `{name}` must be letters, digits, `.`, `_` and `-`"),
                );
            }
            let Some(rt) = self.table(rv, &format!("roles.{name}")) else {
                ok = false;
                continue;
            };
            let span = rv.span();
            let platform = match self.req_string(rt, &span, "platform", &ctx) {
                Some((p, at)) => match Platform::parse(&p) {
                    Some(p) => Some(p),
                    None => {
                        let names = Platform::ALL.map(Platform::as_str);
                        let msg = match suggest(&p, names) {
                            Some(s) => format!("unknown platform `{p}` (did you mean `{s}`?)"),
                            None => format!(
                                "unknown platform `{p}`; expected one of: {}",
                                names.join(", ")
                            ),
                        };
                        self.err(at.start, msg);
                        None
                    }
                },
                None => None,
            };
            let mut allowed: Vec<&str> = ROLE_KEYS.to_vec();
            if platform == Some(Platform::Azure) {
                allowed.extend(AZURE_RESOURCE_KEYS);
            }
            if platform.is_some() {
                self.unknown_keys(rt, &allowed, &ctx);
            }
            let description = self.opt_string(rt, "description").map(|s| s.0);
            let mut azure = AzureNames::default();
            if platform == Some(Platform::Azure) {
                for key in AZURE_RESOURCE_KEYS {
                    if let Some(val) = get(rt, key) {
                        let name =
                            self.checked(val, key, query::is_azure_name, "an Azure resource name");
                        if let Some(slot) = azure.slot(key) {
                            *slot = name;
                        }
                    }
                }
            }
            match platform {
                Some(platform) => {
                    out.insert(
                        name.to_string(),
                        Role {
                            name: name.to_string(),
                            platform,
                            description,
                            azure,
                        },
                    );
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}
