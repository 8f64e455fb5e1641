//! Gates and the actions they guard: a gate's confirmation, an action's
//! target, rollback and deadline, and the verifications that follow it.

use std::collections::BTreeMap;

use toml::de::DeTable;

use super::{Cx, Span, StepInfo, TransposeNone, Val, get};
use crate::azure_call::FailoverTestTarget;
use crate::runbook::diag::suggest;
use crate::runbook::model::{
    Action, ActionOp, ActionStep, Gate, GateRequire, Paths, Role, StepBody, Verify,
};
use crate::runbook::query::{self, PeeringRef, Platform};
use crate::runbook::render;

const GATE_KEYS: &[&str] = &["prompt", "confirm_text", "require"];
const ACTION_KEYS: &[&str] = &[
    "op",
    "role",
    "resource_group",
    "circuit",
    "peering",
    "gateway",
    "link_type",
    "category",
    "api_version",
    "rollback",
    "deadline",
    "max_outage",
    "settle",
    "rollback_budget",
];
/// The longest settle window: the session's exit waits for it.
const MAX_SETTLE_S: u64 = 600;
/// A confirmation that is not a resource name must be at least this long:
/// `y` or `yes` is typed by reflex, which is what the gate is there to stop.
const MIN_CONFIRM_PHRASE: usize = 8;
/// The variables (and Azure role keys) that name the resources a runbook
/// changes or reads.
const RESOURCE_KEYS: &[&str] = &[
    "resource_group",
    "circuit",
    "peering",
    "gateway",
    "connection",
];
const VERIFY_KEYS: &[&str] = &["probe", "expect", "within", "every"];

impl Cx<'_> {
    pub(super) fn gate(
        &mut self,
        t: &DeTable<'_>,
        roles: &BTreeMap<String, Role>,
        info: &mut StepInfo,
    ) -> Option<StepBody> {
        let v = get(t, "gate")?;
        let gt = self.table(v, "gate")?;
        let span = v.span();
        self.unknown_keys(gt, GATE_KEYS, "gate");
        let prompt = self.req_string(gt, &span, "prompt", "gate");
        let confirm = self.req_string(gt, &span, "confirm_text", "gate");
        let confirm = confirm.and_then(|(c, at)| {
            if c.trim().is_empty() {
                self.err(
                    at.start,
                    "gate `confirm_text` is empty: the operator must type something specific (e.g. the circuit name) to go on",
                );
                None
            } else if !self.names_a_resource(&c, roles)
                && c.trim().chars().count() < MIN_CONFIRM_PHRASE
            {
                self.err(
                    at.start,
                    format!(
                        "gate `confirm_text` `{c}` is too easy to type by reflex: use the resource's name (e.g. confirm_text = \"${{circuit}}\") or a phrase of at least {MIN_CONFIRM_PHRASE} characters"
                    ),
                );
                None
            } else {
                Some(c)
            }
        });
        let require = match self.opt_string(gt, "require") {
            Some((r, at)) if r == "prechecks" => {
                info.gate_require = Some(at);
                Some(Some(GateRequire::Prechecks))
            }
            Some((r, at)) => {
                self.err(
                    at.start,
                    format!("unknown gate requirement `{r}`; expected `prechecks`"),
                );
                None
            }
            None if get(gt, "require").is_some() => None,
            None => Some(None),
        };
        Some(StepBody::Gate(Gate {
            prompt: prompt?.0,
            confirm_text: confirm?,
            require: require?,
        }))
    }

    /// True when `text` is the name of an Azure resource the runbook
    /// names (in its variables or on an Azure role): typing it proves the
    /// operator read which circuit is about to change.
    fn names_a_resource(&self, text: &str, roles: &BTreeMap<String, Role>) -> bool {
        let text = text.trim();
        RESOURCE_KEYS.iter().any(|k| {
            self.vars.get(*k).is_some_and(|v| v == text)
                || roles.values().any(|r| r.azure.get(k) == Some(text))
        })
    }

    fn op(&mut self, v: &Val<'_>, what: &str) -> Option<(ActionOp, Span)> {
        let s = self.string(v, what)?;
        match ActionOp::parse(&s) {
            Some(op) => Some((op, v.span())),
            None => {
                let names = ActionOp::ALL.map(ActionOp::as_str);
                let msg = match suggest(&s, names) {
                    Some(g) => format!("unknown action `{s}` (did you mean `{g}`?)"),
                    None => format!(
                        "unknown action `{s}`; expected one of: {}",
                        names.join(", ")
                    ),
                };
                self.err(v.span().start, msg);
                None
            }
        }
    }

    pub(super) fn action_body(
        &mut self,
        t: &DeTable<'_>,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
        info: &mut StepInfo,
    ) -> Option<StepBody> {
        let v = get(t, "action")?;
        let at = self.table(v, "action")?;
        let span = v.span();
        self.unknown_keys(at, ACTION_KEYS, "action");
        let op = match get(at, "op") {
            Some(ov) => self.op(ov, "op"),
            None => {
                self.err(span.start, "missing `op` in action");
                None
            }
        };
        info.action = op.clone();
        // A stop alone would stop whatever test runs there, with no start
        // and no verdict of this session: it exists only as the rollback.
        if let Some((stop, at)) = &op
            && let Some(start) = stop.stops()
        {
            self.err(
                at.start,
                format!(
                    "`{stop}` is only a rollback: use op = \"{start}\" with rollback = \"{stop}\""
                ),
            );
        }
        let op_name = op
            .as_ref()
            .map_or("the action".to_string(), |(o, _)| format!("action `{o}`"));
        let role = match self.req_string(at, &span, "role", "action") {
            Some((name, rat)) => match roles.get(&name) {
                Some(r) if r.platform == Platform::Azure => Some(r),
                Some(r) => {
                    self.err(
                        rat.start,
                        format!(
                            "{op_name} needs a role on platform `azure`; `{}` is `{}`",
                            r.name, r.platform
                        ),
                    );
                    None
                }
                None => {
                    self.undeclared_role(&name, rat.start, roles);
                    None
                }
            },
            None => None,
        };
        let mut names = Vec::new();
        for key in ["resource_group", "circuit", "peering"] {
            let name = match get(at, key) {
                Some(nv) => self.checked(nv, key, query::is_azure_name, "an Azure resource name"),
                None => {
                    match role.and_then(|r| r.azure.get(key)) {
                        Some(n) => Some(n.to_string()),
                        None => {
                            if let Some(r) = role {
                                self.err(span.start, format!("{op_name} needs `{key}` (on the action or on its role `{}`)", r.name));
                            }
                            None
                        }
                    }
                }
            };
            names.push(name);
        }
        // A failover test runs on the gateway: named on the action or on
        // its role, like the peering's names.
        let link = op.as_ref().is_some_and(|(o, _)| o.is_link_test());
        let test = op.as_ref().is_some_and(|(o, _)| o.is_failover_test()) && !link;
        let link_test = self.link_test(at, link, &op_name);
        let gateway = match get(at, "gateway") {
            // The link test runs on the circuit: a gateway there would be
            // read as the test's target by a person and ignored by the call.
            Some(gv) if link => {
                self.err(
                    gv.span().start,
                    format!("{op_name} runs on the circuit: remove `gateway`"),
                );
                None
            }
            Some(gv) => self
                .checked(
                    gv,
                    "gateway",
                    query::is_azure_name,
                    "an Azure resource name",
                )
                .map(Some),
            None if test => match role.and_then(|r| r.azure.get("gateway")) {
                Some(g) => Some(Some(g.to_string())),
                None => {
                    if let Some(r) = role {
                        self.err(
                            span.start,
                            format!(
                                "{op_name} needs `gateway` (on the action or on its role `{}`)",
                                r.name
                            ),
                        );
                    }
                    None
                }
            },
            None => Some(None),
        };
        let rollback = match get(at, "rollback") {
            Some(rv) => self
                .op(rv, "rollback")
                .and_then(|(rb, rat)| self.inverse(op.as_ref().map(|(o, _)| *o), rb, &rat)),
            None => {
                let msg = format!(
                    "{op_name} has no `rollback`: name the op that returns to a safe state (e.g. rollback = \"azure.peering.enable\")"
                );
                self.missing(at, &span, "rollback", &msg);
                None
            }
        };
        let deadline = match get(at, "deadline") {
            Some(dv) => self.duration(dv, "deadline"),
            None => {
                let msg = format!(
                    "{op_name} has no `deadline`: say how long the change may stand unconfirmed before it is rolled back (e.g. deadline = \"10m\")"
                );
                self.missing(at, &span, "deadline", &msg);
                None
            }
        };
        let verify = match get(t, "verify") {
            Some(vv) => self.verifies(vv, roles, paths),
            None => Some(Vec::new()),
        };
        let max_outage = match get(at, "max_outage") {
            Some(mv) => self.max_outage(mv, deadline, verify.as_deref()).map(Some),
            None => Some(None),
        };
        let settle = match get(at, "settle") {
            Some(sv) => self.settle(sv).map(Some),
            None => Some(None),
        };
        let rollback_budget = match get(at, "rollback_budget") {
            Some(bv) => self.rollback_budget(bv).map(Some),
            None => Some(None),
        };
        let [rg, circuit, peering]: [Option<String>; 3] = names.try_into().ok()?;
        let (op, _) = op?;
        let target = PeeringRef {
            resource_group: rg?,
            circuit: circuit?,
            peering: peering?,
        };
        let rollback = rollback?;
        let gateway = gateway?;
        let link_test = link_test?;
        let call = |o: ActionOp| match (gateway.as_deref(), &link_test) {
            (_, Some(l)) if o.is_link_test() => {
                let t = FailoverTestTarget::link_sketch(&target.resource_group, &target.circuit, l);
                render::failover_test_call(o, &t).to_string()
            }
            (Some(g), _) if o.is_failover_test() => {
                let t = FailoverTestTarget::sketch(&target.resource_group, g);
                render::failover_test_call(o, &t).to_string()
            }
            _ => render::action_call(o, &target).to_string(),
        };
        let action = Action {
            op,
            role: role?.name.clone(),
            command: call(op),
            rollback_command: call(rollback),
            gateway,
            link_test,
            target,
            rollback,
            deadline: deadline?,
            max_outage: max_outage?,
            settle: settle?,
            rollback_budget: rollback_budget?,
        };
        Some(StepBody::Action(ActionStep {
            action,
            verify: verify?,
        }))
    }

    /// A rollback must undo its action (see [`ActionOp::undone_by`]):
    /// `check` catches a rollback that repeats the change, which a drill
    /// would otherwise report as "rolled back" with the peering still down.
    fn inverse(&mut self, op: Option<ActionOp>, rollback: ActionOp, at: &Span) -> Option<ActionOp> {
        // An unknown op is reported on its own: nothing to compare with.
        let Some(op) = op else {
            return Some(rollback);
        };
        let undo = op.undone_by();
        if undo.contains(&rollback) {
            return Some(rollback);
        }
        let expected = undo.first().map_or("", |o| o.as_str());
        self.err(
            at.start,
            format!(
                "rollback `{rollback}` does not undo action `{op}`: it would leave {}; use rollback = \"{expected}\"",
                rollback.leaves()
            ),
        );
        None
    }

    /// How long a rollback watches the peering after its write (a write
    /// still in flight could land after it); bounded because the session's
    /// exit waits for it.
    fn settle(&mut self, v: &Val<'_>) -> Option<crate::runbook::Duration> {
        let d = self.duration(v, "settle")?;
        if d.as_std().as_secs() > MAX_SETTLE_S {
            self.err(
                v.span().start,
                format!(
                    "`settle` ({d}) is longer than 10m: the rollback and the session's exit wait for it"
                ),
            );
            return None;
        }
        Some(d)
    }

    /// How long a failing rollback retries before the operator is left to
    /// act: at least a second, at most [`Action::MAX_ROLLBACK_BUDGET`].
    fn rollback_budget(&mut self, v: &Val<'_>) -> Option<crate::runbook::Duration> {
        let d = self.duration(v, "rollback_budget")?;
        let s = d.as_std();
        if s < std::time::Duration::from_secs(1) || s > Action::MAX_ROLLBACK_BUDGET {
            self.err(
                v.span().start,
                format!(
                    "`rollback_budget` ({d}) must be between 1s and 1h: a failing rollback retries that long before the peering is left to the operator"
                ),
            );
            return None;
        }
        Some(d)
    }

    /// `max_outage` is read only from a trace that did or did not reach
    /// the target, so it needs a trace verification; and it must be able
    /// to fire: shorter than that verification's `within` (which would
    /// otherwise end the wait first) and than the deadline, and longer
    /// than its `every` (or one lost trace would roll back before the next
    /// one could see the traffic back).
    fn max_outage(
        &mut self,
        v: &Val<'_>,
        deadline: Option<crate::runbook::Duration>,
        verify: Option<&[Verify]>,
    ) -> Option<crate::runbook::Duration> {
        let d = self.duration(v, "max_outage")?;
        let at = v.span().start;
        let mut ok = true;
        if let Some(dl) = deadline
            && d >= dl
        {
            self.err(
                at,
                format!(
                    "`max_outage` ({d}) must be shorter than the action's `deadline` ({dl}): the deadline would roll back first"
                ),
            );
            ok = false;
        }
        // The verifications did not read: their own errors say why.
        let verify = verify?;
        let traces: Vec<&Verify> = verify
            .iter()
            .filter(|x| x.probe.query.name() == query::QueryName::Trace)
            .collect();
        if traces.is_empty() {
            self.err(
                at,
                "`max_outage` needs a `[[step.verify]]` with a `trace` probe: only a trace tells traffic that is lost from traffic not moved yet",
            );
            return None;
        }
        for x in traces {
            if d >= x.within {
                self.err(
                    at,
                    format!(
                        "`max_outage` ({d}) must be shorter than the trace verification's `within` ({}): that verification would give up first",
                        x.within
                    ),
                );
                ok = false;
            }
            if let Some(every) = x.every
                && d <= every
            {
                self.err(
                    at,
                    format!(
                        "`max_outage` ({d}) must be longer than the trace verification's `every` ({every}): one trace that misses the target would roll back before the next could see the traffic back"
                    ),
                );
                ok = false;
            }
        }
        ok.then_some(d)
    }

    fn verifies(
        &mut self,
        v: &Val<'_>,
        roles: &BTreeMap<String, Role>,
        paths: &Paths,
    ) -> Option<Vec<Verify>> {
        let items = self.array(v, "verify")?;
        let mut out = Vec::new();
        let mut ok = true;
        for item in items {
            let Some(t) = self.table(item, "verify") else {
                ok = false;
                continue;
            };
            let span = item.span();
            self.unknown_keys(t, VERIFY_KEYS, "verify");
            let probe = match get(t, "probe") {
                Some(pv) => self.probe(pv, roles),
                None => {
                    self.err(span.start, "missing `probe` in verify");
                    None
                }
            };
            let expect = match (get(t, "expect"), &probe) {
                (Some(ev), Some((_, q))) => self.expects(ev, *q, paths),
                (Some(_), None) => None,
                (None, _) => {
                    self.err(span.start, "missing `expect` in verify");
                    None
                }
            };
            let within = match get(t, "within") {
                Some(wv) => self.duration(wv, "within"),
                None => {
                    self.err(
                        span.start,
                        "missing `within` in verify: how long may the change take to show?",
                    );
                    None
                }
            };
            let every = get(t, "every")
                .map(|e| self.duration(e, "every"))
                .transpose_none();
            match (probe.and_then(|p| p.0), expect, within, every) {
                (Some(probe), Some(expect), Some(within), Some(every)) => out.push(Verify {
                    probe,
                    expect,
                    within,
                    every,
                }),
                _ => ok = false,
            }
        }
        ok.then_some(out)
    }
}
