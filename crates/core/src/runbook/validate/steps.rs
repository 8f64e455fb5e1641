//! `[[step]]`: the fields every step has, which one thing it does, and the
//! rules about their order (unique ids, a gate before each disruptive
//! action, prechecks before a gate that requires them, nothing that changes
//! anything in a read-only runbook).

use std::collections::BTreeMap;

use toml::de::{DeTable, DeValue};

use super::{Cx, Span, StepInfo, TransposeNone, Val, a_type, get, is_id, key_span};
use crate::runbook::diag::suggest;
use crate::runbook::model::{Check, Meta, Paths, Phase, Record, Role, Step, StepBody};

const STEP_KEYS: &[&str] = &[
    "id", "title", "phase", "why", "hint", "probe", "expect", "within", "every", "advisory",
    "gate", "action", "verify", "record",
];
const STEP_BODIES: &[&str] = &["probe", "gate", "action", "record"];
const RECORD_KEYS: &[&str] = &["next_test_in", "reminders"];

impl Cx<'_> {
    pub(super) fn steps(
        &mut self,
        v: &Val<'_>,
        roles: Option<&BTreeMap<String, Role>>,
        paths: Option<&Paths>,
        meta: Option<&Meta>,
    ) -> Option<Vec<Step>> {
        let items = match v.get_ref() {
            DeValue::Array(a) => a,
            other => {
                self.err(
                    v.span().start,
                    format!(
                        "`step` must be an array of tables ([[step]]), not {}",
                        a_type(other)
                    ),
                );
                return None;
            }
        };
        // Roles or paths that failed to load still let the steps be checked
        // for their own problems; only the result is withheld.
        let empty_roles = BTreeMap::new();
        let roles_ok = roles.is_some();
        let roles = roles.unwrap_or(&empty_roles);
        let empty_paths = Paths::default();
        let paths = paths.unwrap_or(&empty_paths);
        let mut steps = Vec::new();
        let mut infos = Vec::new();
        let mut ok = roles_ok;
        for item in items {
            let (step, info) = self.step(item, roles, paths);
            match step {
                Some(s) => steps.push(s),
                None => ok = false,
            }
            infos.push(info);
        }
        self.cross_step_checks(&infos, meta);
        ok.then_some(steps)
    }

    fn cross_step_checks(&mut self, infos: &[StepInfo], meta: Option<&Meta>) {
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for info in infos {
            if let Some((id, span)) = &info.id {
                match seen.get(id.as_str()) {
                    Some(first) => {
                        let line = self.lines.pos(*first).line;
                        self.err(
                            span.start,
                            format!("duplicate step id `{id}` (first used on line {line})"),
                        );
                    }
                    None => {
                        seen.insert(id, span.start);
                    }
                }
            }
        }
        let mut armed = false;
        let mut checks_before = 0;
        for info in infos {
            if info.is_gate {
                armed = true;
                if let Some(req) = &info.gate_require
                    && checks_before == 0
                {
                    self.err(
                        req.start,
                        "the gate requires prechecks, but no check step comes before it",
                    );
                }
            }
            if info.is_check {
                checks_before += 1;
            }
            if let Some((op, span)) = &info.action
                && op.is_disruptive()
            {
                if !armed {
                    self.err(
                        span.start,
                        format!(
                            "disruptive action `{op}` is not preceded by a gate: add a step with `gate = {{ ... }}` before it"
                        ),
                    );
                }
                // One confirmation covers one disruptive change.
                armed = false;
            }
            if meta.is_some_and(|m| m.read_only) && (info.is_gate || info.action.is_some()) {
                let what = if info.is_gate { "a gate" } else { "an action" };
                self.err(
                    info.span.start,
                    format!("the runbook is read_only, but this step is {what}"),
                );
            }
        }
    }

    fn step(
        &mut self,
        v: &Val<'_>,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
    ) -> (Option<Step>, StepInfo) {
        let span = v.span();
        let mut info = StepInfo {
            id: None,
            span: span.clone(),
            is_gate: false,
            is_check: false,
            gate_require: None,
            action: None,
        };
        let Some(t) = self.table(v, "step") else {
            return (None, info);
        };
        self.unknown_keys(t, STEP_KEYS, "[[step]]");
        let id = self.req_string(t, &span, "id", "[[step]]");
        if let Some((id, at)) = &id
            && !is_id(id)
        {
            self.err(
                at.start,
                format!("step id `{id}` must be letters, digits, `.`, `_` and `-`"),
            );
        }
        info.id.clone_from(&id);
        let label = id
            .as_ref()
            .map_or_else(|| "[[step]]".to_string(), |(id, _)| format!("step `{id}`"));
        let title = self.req_string(t, &span, "title", &label);
        let phase = match get(t, "phase") {
            Some(pv) => self.phase(pv),
            None => {
                self.missing(t, &span, "phase", &format!("missing `phase` in {label}"));
                None
            }
        };
        let why = match get(t, "why") {
            Some(_) => self.opt_string(t, "why").and_then(|(w, at)| {
                if w.trim().is_empty() {
                    self.err(at.start, format!("`why` of {label} is empty"));
                    None
                } else {
                    Some(w)
                }
            }),
            None => {
                self.missing(
                    t,
                    &span,
                    "why",
                    &format!("missing `why` in {label}: tell the operator what this step proves and what to do when it fails"),
                );
                None
            }
        };

        let hint = self.hint(t, &label);
        self.collect_placeholders(t, "why", span.start);
        if let Some(DeValue::Table(g)) = get(t, "gate").map(|g| g.get_ref()) {
            self.collect_placeholders(g, "prompt", span.start);
        }
        let bodies: Vec<&str> = STEP_BODIES
            .iter()
            .copied()
            .filter(|k| get(t, k).is_some())
            .collect();
        let body = match bodies.as_slice() {
            [] => {
                self.err(
                    span.start,
                    format!(
                        "{label} does nothing: give it one of `probe`, `gate`, `action` or `record`"
                    ),
                );
                None
            }
            [one] => {
                self.misplaced_keys(t, one, &label);
                match *one {
                    "probe" => self.check_body(t, &span, &label, roles, paths, &mut info),
                    "gate" => {
                        info.is_gate = true;
                        self.gate(t, roles, &mut info)
                    }
                    "action" => self.action_body(t, roles, paths, &mut info),
                    _ => self.record(t),
                }
            }
            [first, second, ..] => {
                let at = key_span(t, second).map_or(span.start, |s| s.start);
                self.err(
                    at,
                    format!(
                        "{label} has both `{first}` and `{second}`: a step does exactly one thing"
                    ),
                );
                None
            }
        };
        let step = (|| {
            let (id, _) = id?;
            Some(Step {
                id,
                title: title?.0,
                phase: phase?,
                why: why?,
                hint,
                pos: self.lines.pos(span.start),
                body: body?,
            })
        })();
        (step, info)
    }

    /// `hint`: optional, and when given, not empty (a drill shows it on
    /// request).
    fn hint(&mut self, t: &DeTable<'_>, label: &str) -> Option<String> {
        let (h, at) = self.opt_string(t, "hint")?;
        if h.trim().is_empty() {
            self.err(at.start, format!("`hint` of {label} is empty"));
            return None;
        }
        Some(h)
    }

    /// Keys that belong to another kind of step.
    fn misplaced_keys(&mut self, t: &DeTable<'_>, body: &str, label: &str) {
        let belongs: &[(&str, &str)] = &[
            ("expect", "probe"),
            ("within", "probe"),
            ("every", "probe"),
            ("advisory", "probe"),
            ("verify", "action"),
        ];
        for (key, owner) in belongs {
            if *owner != body
                && let Some(s) = key_span(t, key)
            {
                self.err(
                    s.start,
                    format!("`{key}` goes with `{owner}`, but {label} has `{body}`"),
                );
            }
        }
    }

    fn phase(&mut self, v: &Val<'_>) -> Option<Phase> {
        let names = Phase::ALL.map(Phase::as_str);
        let bad = |cx: &mut Self, shown: String| {
            cx.err(
                v.span().start,
                format!(
                    "`phase` must be 1 to 5 or one of {}, not {shown}",
                    names.join(", ")
                ),
            );
            None
        };
        match v.get_ref() {
            DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .and_then(Phase::from_number)
            {
                Some(p) => Some(p),
                None => bad(self, i.as_str().to_string()),
            },
            DeValue::String(_) => {
                let s = self.string(v, "phase")?;
                match Phase::parse(&s)
                    .or_else(|| s.parse::<i64>().ok().and_then(Phase::from_number))
                {
                    Some(p) => Some(p),
                    None => match suggest(&s, names) {
                        Some(g) => {
                            self.err(
                                v.span().start,
                                format!("unknown phase `{s}` (did you mean `{g}`?)"),
                            );
                            None
                        }
                        None => bad(self, format!("`{s}`")),
                    },
                }
            }
            other => bad(self, a_type(other).to_string()),
        }
    }

    fn check_body(
        &mut self,
        t: &DeTable<'_>,
        span: &Span,
        label: &str,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
        info: &mut StepInfo,
    ) -> Option<StepBody> {
        info.is_check = true;
        let probe_v = get(t, "probe")?;
        let probe = self.probe(probe_v, roles);
        let expect = match get(t, "expect") {
            Some(ev) => probe
                .as_ref()
                .and_then(|(_, q)| self.expects(ev, *q, paths)),
            None => {
                self.err(
                    span.start,
                    format!("{label} probes but expects nothing: add `expect = [ ... ]`"),
                );
                None
            }
        };
        let within = get(t, "within")
            .map(|v| self.duration(v, "within"))
            .transpose_none();
        let every = get(t, "every")
            .map(|v| self.duration(v, "every"))
            .transpose_none();
        let advisory = match get(t, "advisory") {
            Some(v) => self.bool(v, "advisory"),
            None => Some(false),
        };
        Some(StepBody::Check(Check {
            probe: probe?.0?,
            expect: expect?,
            within: within?,
            every: every?,
            advisory: advisory?,
        }))
    }

    fn record(&mut self, t: &DeTable<'_>) -> Option<StepBody> {
        let v = get(t, "record")?;
        let rt = self.table(v, "record")?;
        let span = v.span();
        self.unknown_keys(rt, RECORD_KEYS, "record");
        let next = match get(rt, "next_test_in") {
            Some(nv) => self.duration(nv, "next_test_in"),
            None => {
                self.err(span.start, "missing `next_test_in` in record");
                None
            }
        };
        let reminders = get(rt, "reminders")
            .map(|r| self.list(r, "reminders", |cx, i| cx.string(i, "reminders")));
        Some(StepBody::Record(Record {
            next_test_in: next?,
            reminders: reminders.transpose_none()?.unwrap_or_default(),
        }))
    }
}
