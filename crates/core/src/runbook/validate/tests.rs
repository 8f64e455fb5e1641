use std::collections::BTreeMap;

use super::build;
use crate::runbook::{
    ActionOp, Clause, Diagnostics, GateRequire, PathKind, Phase, Query, Runbook, Step, StepBody,
};
use proptest::prelude::*;

const FAILOVER: &str = include_str!("../../../../../runbooks/er-vpn-failover.toml");
const VALIDATE: &str = include_str!("../../../../../runbooks/er-vpn-validate.toml");

const BASE: &str = r#"
[runbook]
id = "t"
title = "t"

[vars]
msee = "192.168.11.18"
onprem = "10.1.11.0/25"

[roles.ce1]
platform = "junos"

[roles.azure]
platform = "azure"
resource_group = "rg"
gateway = "gw"
circuit = "ckt"
peering = "AzurePrivatePeering"
connection = "cn"

[paths.expressroute]
first_as = [12076]
trace_hops = ["192.168.11.18"]

[paths.vpn]
first_as = [65515]
trace_fallback = true
"#;

fn load(extra: &str) -> Result<Runbook, Diagnostics> {
    build(&format!("{BASE}\n{extra}"), "t.toml", &BTreeMap::new())
}

fn messages(extra: &str) -> Vec<String> {
    match load(extra) {
        Ok(_) => Vec::new(),
        Err(d) => d.items.into_iter().map(|i| i.message).collect(),
    }
}

const CHECK: &str = r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "bgp.advertised", peer = "${msee}" }
expect = [{ prefix = "${onprem}" }]
"#;

const GATE: &str = r#"
[[step]]
id = "g"
title = "g"
phase = 3
why = "w"
gate = { prompt = "p", confirm_text = "ckt", require = "prechecks" }
"#;

fn disable(id: &str) -> String {
    format!(
        r#"
[[step]]
id = "{id}"
title = "d"
phase = 3
why = "w"
action = {{ op = "azure.peering.disable", role = "azure", rollback = "azure.peering.enable", deadline = "10m" }}
"#
    )
}

#[test]
fn the_failover_runbook_covers_the_whole_procedure() {
    let rb = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("bundled runbook is valid");
    let s = rb.summary();
    assert_eq!((s.phases, s.gates, s.actions), (5, 1, 2));
    let cmd = |id: &str| {
        rb.step(id)
            .and_then(Step::rendered_command)
            .map(str::to_string)
    };
    assert_eq!(
        cmd("ce1-advertises-onprem").as_deref(),
        Some("show route advertising-protocol bgp 192.168.11.18")
    );
    assert_eq!(
        cmd("ce2-advertises-onprem").as_deref(),
        Some("show route advertising-protocol bgp 192.168.11.22")
    );
    assert_eq!(
        cmd("fw-prefers-er-for-hub").as_deref(),
        Some("show route table Cust11.inet.0 10.17.11.0/24")
    );
    assert_eq!(
        cmd("fw-receives-azure-from-vpn2").as_deref(),
        Some("show route receive-protocol bgp 10.17.11.77 table Cust11.inet.0")
    );
    assert_eq!(
        cmd("trace-before-failover").as_deref(),
        Some("traceroute -n 10.17.11.132")
    );

    let gate = rb
        .step("confirm-failover")
        .and_then(Step::gate)
        .expect("gate");
    assert_eq!(gate.confirm_text, rb.vars["circuit"]);
    assert_eq!(gate.require, Some(GateRequire::Prechecks));

    let off = rb
        .step("disable-private-peering")
        .and_then(Step::action)
        .expect("action");
    assert_eq!(off.op, ActionOp::AzurePeeringDisable);
    assert_eq!(off.rollback, ActionOp::AzurePeeringEnable);
    assert_eq!(off.target.peering, "AzurePrivatePeering");
    assert_eq!(off.deadline.to_string(), "10m");
    assert!(off.rollback_command.contains("state=Enabled"));
    let StepBody::Action(a) = &rb
        .steps
        .iter()
        .find(|s| s.id == "disable-private-peering")
        .expect("step")
        .body
    else {
        panic!("not an action");
    };
    let Clause::Trace(t) = &a.verify[0].expect[0].clause else {
        panic!("not a trace clause")
    };
    assert_eq!(t.path, Some(PathKind::Vpn));
    assert_eq!(a.verify[0].within.to_string(), "1m");

    let last = rb.steps.last().expect("steps");
    assert_eq!(last.phase, Phase::Maintain);
    let StepBody::Record(r) = &last.body else {
        panic!("last step records the next test")
    };
    assert_eq!(r.next_test_in.to_string(), "90d");
    assert!(r.reminders.iter().any(|m| m.contains("BFD")));
    assert!(r.reminders.iter().any(|m| m.contains("alerts")));
    // Every disruptive action comes after a gate.
    let gate_at = rb
        .steps
        .iter()
        .position(|s| s.gate().is_some())
        .expect("gate");
    let off_at = rb
        .steps
        .iter()
        .position(|s| s.id == "disable-private-peering")
        .expect("action");
    assert!(gate_at < off_at);
    assert!(rb.steps.iter().all(|s| !s.why.trim().is_empty()));
}

#[test]
fn the_validate_runbook_is_the_read_only_subset() {
    let rb = build(VALIDATE, "v.toml", &BTreeMap::new()).expect("bundled runbook is valid");
    let full = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("bundled runbook is valid");
    assert!(rb.meta.read_only && rb.is_read_only());
    // `run` and `drill` read the peering in the engine before any step
    // (`peering_preflight`); the quarterly check has no engine preflight,
    // so it reads the peering as its first check instead.
    const PEERING_CHECK: &str = "private-peering-enabled";
    let peering = rb.step(PEERING_CHECK).expect("validate reads the peering");
    assert_eq!(peering.phase, Phase::ValidateEr);
    for step in rb.steps.iter().filter(|s| s.id != PEERING_CHECK) {
        let twin = full
            .step(&step.id)
            .or_else(|| {
                full.step("trace-before-failover")
                    .filter(|_| step.id == "trace-crosses-er")
            })
            .expect("every validate step exists in the failover runbook");
        assert_eq!(step.probe(), twin.probe(), "{}", step.id);
    }
    let phase_1_2 = full
        .steps
        .iter()
        .filter(|s| s.phase <= Phase::ValidateVpn)
        .count();
    assert_eq!(
        rb.steps
            .iter()
            .filter(|s| s.phase <= Phase::ValidateVpn && s.id != PEERING_CHECK)
            .count(),
        phase_1_2
    );
}

#[test]
fn azure_names_come_from_the_role_unless_the_probe_names_them() {
    let rb = load(
        r#"
[[step]]
id = "a"
title = "a"
phase = 2
why = "w"
probe = { role = "azure", query = "azure.learned_routes" }
expect = [{ prefix = "${onprem}", path = "vpn" }]

[[step]]
id = "b"
title = "b"
phase = 2
why = "w"
probe = { role = "azure", query = "azure.bgp_peers", gateway = "other-gw" }
expect = [{ state = "Connected", at_least = 2 }]
"#,
    )
    .expect("valid");
    assert!(matches!(&rb.steps[0].probe().expect("probe").query,
            Query::AzureLearnedRoutes { gateway } if gateway.gateway == "gw" && gateway.resource_group == "rg"));
    assert!(matches!(&rb.steps[1].probe().expect("probe").query,
            Query::AzureBgpPeers { gateway } if gateway.gateway == "other-gw"));
}

#[test]
fn overrides_replace_vars_literally() {
    let mut o = BTreeMap::new();
    o.insert("msee".to_string(), "192.168.11.22".to_string());
    let rb = build(&format!("{BASE}{CHECK}"), "t.toml", &o).expect("valid");
    assert_eq!(
        rb.steps[0].rendered_command(),
        Some("show route advertising-protocol bgp 192.168.11.22")
    );
    o.insert("msee".to_string(), "${onprem}".to_string());
    let err =
        build(&format!("{BASE}{CHECK}"), "t.toml", &o).expect_err("a literal `${` is no address");
    assert!(
        err.to_string()
            .contains("must be an IP address, not `${onprem}`"),
        "{err}"
    );
}

#[test]
fn dollar_escapes_and_phase_names() {
    let rb = load(
        r#"
[[step]]
id = "c"
title = "costs $$5, see $ckt"
phase = "validate-er"
why = "w"
probe = { role = "ce1", query = "bgp.advertised", peer = "${msee}" }
expect = [{ prefix = "${onprem}" }]
"#,
    )
    .expect("valid");
    assert_eq!(rb.steps[0].title, "costs $5, see $ckt");
    assert_eq!(rb.steps[0].phase, Phase::ValidateEr);
}

#[test]
fn clause_forms_follow_the_query() {
    let m = messages(
        r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "bgp.advertised", peer = "${msee}" }
expect = [{ prefix = "${onprem}", state = "Up" }]
"#,
    );
    assert_eq!(
        m,
        [
            "unknown key `state` in an expect clause of `bgp.advertised`; expected one of: prefix, more_specific_than, path, next_hop, protocol, present, active_path, active, local_pref, as_path, as_path_starts_with, next_hop_in, at_least"
        ]
    );
    let m = messages(
        r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "route.table", table = "T" }
expect = [{ prefix = "${onprem}", path = "vpn", active_path = "vpn" }, { prefix = "${onprem}", path = "vnp" }, { at_least = 1 }]
"#,
    );
    assert_eq!(
        m,
        [
            "`active_path` looks at every path of the prefix: drop `path` (or use `active` to test the selected paths)",
            "unknown path kind `vnp` (did you mean `vpn`?)",
            "an expect clause of `route.table` needs `prefix` or `more_specific_than`",
        ]
    );
}

#[test]
fn a_step_does_exactly_one_thing() {
    let m = messages(
        r#"
[[step]]
id = "x"
title = "x"
phase = 3
why = "w"
probe = { role = "ce1", query = "bfd.sessions" }
gate = { prompt = "p", confirm_text = "ckt" }
"#,
    );
    assert_eq!(
        m,
        ["step `x` has both `probe` and `gate`: a step does exactly one thing"]
    );
    let m = messages(
        r#"
[[step]]
id = "x"
title = "x"
phase = 1
why = "w"
probe = { role = "ce1", query = "bfd.sessions" }
verify = []
"#,
    );
    assert_eq!(
        m,
        [
            "step `x` probes but expects nothing: add `expect = [ ... ]`",
            "`verify` goes with `action`, but step `x` has `probe`",
        ]
    );
}

#[test]
fn each_disruptive_action_needs_its_own_gate() {
    assert!(load(&format!("{CHECK}{GATE}{}", disable("d1"))).is_ok());
    let m = messages(&format!("{CHECK}{GATE}{}{}", disable("d1"), disable("d2")));
    assert_eq!(
        m,
        [
            "disruptive action `azure.peering.disable` is not preceded by a gate: add a step with `gate = { ... }` before it"
        ]
    );
    let m = messages(&format!("{GATE}{}", disable("d1")));
    assert_eq!(
        m,
        ["the gate requires prechecks, but no check step comes before it"]
    );
}

#[test]
fn paths_must_be_declared_and_have_one_fallback() {
    let rb = build(
        r#"
[runbook]
id = "t"
title = "t"
[roles.s]
platform = "linux"
[paths.vpn]
trace_fallback = true
[[step]]
id = "t"
title = "t"
phase = 3
why = "w"
probe = { role = "s", query = "trace", target = "10.17.11.132" }
expect = [{ path = "expressroute" }, { path = "unknown" }]
"#,
        "t.toml",
        &BTreeMap::new(),
    );
    let err = rb.expect_err("expressroute is not declared");
    assert_eq!(
        err.lines(),
        ["t.toml:15:20: path `expressroute` is not declared: add [paths.expressroute]"]
    );
    let two = BASE.replace("trace_hops = [\"192.168.11.18\"]", "trace_fallback = true");
    let err =
        build(&format!("{two}{CHECK}"), "t.toml", &BTreeMap::new()).expect_err("two fallbacks");
    assert!(
        err.to_string()
            .contains("only one path may be the trace fallback"),
        "{err}"
    );
}

#[test]
fn device_parameters_cannot_smuggle_commands() {
    let m = messages(
        r#"
[[step]]
id = "c"
title = "c"
phase = 1
why = "w"
probe = { role = "ce1", query = "route.table", table = "Cust11.inet.0 | save /tmp/x" }
expect = [{ prefix = "${onprem}" }]
"#,
    );
    assert_eq!(
        m,
        [
            "`table` must be one word (letters, digits, . _ - : /), not `Cust11.inet.0 | save /tmp/x`"
        ]
    );
}

#[test]
fn missing_sections_are_reported() {
    let err = build("", "e.toml", &BTreeMap::new()).expect_err("empty");
    assert_eq!(
        err.lines(),
        [
            "e.toml:1:1: missing [runbook] table (id, title, ...)",
            "e.toml:1:1: the runbook has no [[step]]"
        ]
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_any_text(s in "\\PC{0,200}") {
        let _ = build(&s, "p.toml", &BTreeMap::new());
    }

    #[test]
    fn never_panics_on_a_damaged_runbook(cut in 0usize..FAILOVER.len(), len in 0usize..40, junk in "\\PC{0,8}") {
        let mut text = String::with_capacity(FAILOVER.len());
        let start = (0..=cut).rev().find(|i| FAILOVER.is_char_boundary(*i)).unwrap_or(0);
        let end = (start + len..=FAILOVER.len()).find(|i| FAILOVER.is_char_boundary(*i)).unwrap_or(FAILOVER.len());
        text.push_str(&FAILOVER[..start]);
        text.push_str(&junk);
        text.push_str(&FAILOVER[end..]);
        if let Err(d) = build(&text, "p.toml", &BTreeMap::new()) {
            prop_assert!(!d.items.is_empty());
            prop_assert!(d.items.iter().all(|i| i.pos.is_some_and(|p| p.line >= 1 && p.col >= 1)));
        }
    }
}

fn guarded(max_outage: &str, verify: &str) -> String {
    format!(
        r#"{CHECK}{GATE}
[[step]]
id = "d"
title = "d"
phase = 3
why = "w"
action = {{ op = "azure.peering.disable", role = "azure", rollback = "azure.peering.enable", deadline = "10m", max_outage = "{max_outage}" }}
{verify}"#
    )
}

const TRACE_VERIFY: &str = r#"
[[step.verify]]
probe = { role = "ce1", query = "trace", target = "10.17.11.132" }
expect = [{ path = "vpn", reached = true }]
within = "60s"
every = "5s"
"#;

const TABLE_VERIFY: &str = r#"
[[step.verify]]
probe = { role = "ce1", query = "bgp.advertised", peer = "${msee}" }
expect = [{ prefix = "${onprem}" }]
within = "60s"
"#;

#[test]
fn max_outage_is_read_onto_the_action() {
    let rb = load(&guarded("15s", TRACE_VERIFY)).expect("valid");
    let a = rb.step("d").and_then(Step::action).expect("action");
    assert_eq!(a.max_outage.map(|d| d.to_string()).as_deref(), Some("15s"));
    let rb = load(&format!("{CHECK}{GATE}{}", disable("d"))).expect("valid");
    assert_eq!(
        rb.step("d")
            .and_then(Step::action)
            .expect("action")
            .max_outage,
        None
    );
}

#[test]
fn the_bundled_failover_sets_max_outage_on_both_changes() {
    let rb = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("bundled runbook is valid");
    for id in ["disable-private-peering", "enable-private-peering"] {
        let a = rb.step(id).and_then(Step::action).expect("action");
        assert_eq!(
            a.max_outage.map(|d| d.to_string()).as_deref(),
            Some("15s"),
            "{id}"
        );
    }
}

#[test]
fn max_outage_must_be_able_to_fire() {
    let within = messages(&guarded("60s", TRACE_VERIFY));
    assert!(
        within
            .iter()
            .any(|m| m.contains("shorter than the trace verification's `within` (1m)")),
        "{within:?}"
    );
    let every = messages(&guarded("5s", TRACE_VERIFY));
    assert!(
        every
            .iter()
            .any(|m| m.contains("longer than the trace verification's `every` (5s)")),
        "{every:?}"
    );
    let deadline = messages(&guarded("10m", TRACE_VERIFY));
    assert!(
        deadline
            .iter()
            .any(|m| m.contains("shorter than the action's `deadline` (10m)")),
        "{deadline:?}"
    );
    let unwatched = messages(&guarded("15s", TABLE_VERIFY));
    assert!(
        unwatched
            .iter()
            .any(|m| m.contains("needs a `[[step.verify]]` with a `trace` probe")),
        "{unwatched:?}"
    );
    let bad = messages(&guarded("0s", TRACE_VERIFY));
    assert!(
        bad.iter().any(|m| m.contains("longer than zero")),
        "{bad:?}"
    );
    assert!(messages(&guarded("6s", TRACE_VERIFY)).is_empty());
}

fn action_step(op: &str, rollback: &str, deadline: &str) -> String {
    format!(
        r#"
[[step]]
id = "a"
title = "a"
phase = 3
why = "w"
action = {{ op = "{op}", role = "azure", rollback = "{rollback}", deadline = "{deadline}" }}
"#
    )
}

#[test]
fn a_rollback_must_undo_its_action() {
    let m = messages(&format!(
        "{CHECK}{GATE}{}",
        action_step("azure.peering.disable", "azure.peering.disable", "10m")
    ));
    assert_eq!(
        m,
        [
            "rollback `azure.peering.disable` does not undo action `azure.peering.disable`: it would leave the peering Disabled; use rollback = \"azure.peering.enable\""
        ]
    );
    assert!(messages(&format!("{CHECK}{GATE}{}", disable("d"))).is_empty());
    // The restore's rollback re-asserts Enabled (er-restore.toml).
    assert!(
        messages(&action_step(
            "azure.peering.enable",
            "azure.peering.enable",
            "10m"
        ))
        .is_empty()
    );
    for op in ActionOp::ALL {
        assert!(!op.undone_by().is_empty(), "{op}");
        assert!(
            op.undone_by().iter().all(|r| !r.is_disruptive()),
            "{op}: a rollback never takes ExpressRoute down"
        );
    }
}

#[test]
fn a_duration_longer_than_a_year_is_refused() {
    let m = messages(&format!(
        "{CHECK}{GATE}{}",
        action_step(
            "azure.peering.disable",
            "azure.peering.enable",
            "99999999999h"
        )
    ));
    assert_eq!(
        m,
        ["bad duration `99999999999h`: longer than 365d, the longest a duration may be"]
    );
}

#[test]
fn confirm_text_is_a_resource_name_or_a_phrase() {
    let gate = |text: &str| {
        format!(
            r#"
[[step]]
id = "g"
title = "g"
phase = 3
why = "w"
gate = {{ prompt = "p", confirm_text = "{text}" }}
"#
        )
    };
    for ok in ["ckt", "rg", "AzurePrivatePeering", "disable it", "12345678"] {
        assert!(messages(&gate(ok)).is_empty(), "{ok}");
    }
    for bad in ["y", "yes", "ck", "1234567", "  go   "] {
        let m = messages(&gate(bad));
        assert_eq!(m.len(), 1, "{bad}: {m:?}");
        assert!(
            m[0].contains("is too easy to type by reflex: use the resource's name (e.g. confirm_text = \"${circuit}\") or a phrase of at least 8 characters"),
            "{m:?}"
        );
    }
}

#[test]
fn why_texts_say_the_limits_in_force_flags_over_the_runbook() {
    use crate::runbook::in_force::Flags;
    let mut rb = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("bundled runbook is valid");
    let why = |rb: &Runbook, id: &str| rb.step(id).map(|s| s.why.clone()).unwrap_or_default();
    // Unrendered, the placeholders are still there (no literal `10m`).
    assert!(why(&rb, "disable-private-peering").contains("within {deadline}"));
    rb.apply_in_force(&Flags {
        deadline: Some(std::time::Duration::from_secs(20)),
        ..Flags::default()
    });
    let disable = why(&rb, "disable-private-peering");
    assert!(
        disable.contains("confirms the \nresult within 20.0 s")
            || disable.contains("result within 20.0 s"),
        "{disable}"
    );
    assert!(
        disable.contains("within 1m 00s (the"),
        "the verification window: {disable}"
    );
    assert!(
        disable.contains("for 15.0 s, at once"),
        "max_outage: {disable}"
    );
    assert!(
        !disable.contains("10m") && !disable.contains('{'),
        "{disable}"
    );
    // The gate says the deadline of the change it lets through.
    let gate = why(&rb, "confirm-failover");
    assert!(gate.contains("healthy within 20.0 s"), "{gate}");
    // Without a flag, the runbook's own value.
    let mut rb = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("valid");
    rb.apply_in_force(&Flags::default());
    assert!(why(&rb, "disable-private-peering").contains("within 10m 00s"));
}

#[test]
fn an_unknown_or_valueless_placeholder_is_refused_where_it_is() {
    let err = load(&format!(
        "{CHECK}{GATE}{}",
        disable("d").replace(r#"why = "w""#, r#"why = "undone after {dedline}""#)
    ))
    .expect_err("an unknown placeholder");
    let d = &err.items[0];
    assert!(
        d.message.contains("unknown placeholder `{dedline}`"),
        "{}",
        d.message
    );
    assert!(
        d.message.contains("{deadline}"),
        "the known ones are named: {}",
        d.message
    );
    let pos = d.pos.expect("a position");
    let src = format!("{BASE}\n{CHECK}{GATE}{}", disable("d"));
    let line = src.lines().nth(pos.line - 1).unwrap_or_default();
    assert!(line.starts_with("why = "), "line {}: {line}", pos.line);
    assert_eq!(pos.col, "why = \"undone after ".len() + 1);
    // A check has no deadline; a gate before an action has one.
    let m = messages(&CHECK.replace(r#"why = "w""#, r#"why = "within {deadline}""#));
    assert!(
        m.iter()
            .any(|m| m.contains("`{deadline}` has no value in step `c`")),
        "{m:?}"
    );
    let ok = load(&format!(
        "{CHECK}{}{}",
        GATE.replace(
            r#"why = "w""#,
            r#"why = "undone unless confirmed within {deadline}""#
        ),
        disable("d")
    ));
    assert!(ok.is_ok(), "{ok:?}");
}

#[test]
fn a_hint_is_read_interpolated_and_never_empty() {
    let with = CHECK.replace(
        "why = \"w\"",
        "why = \"w\"\nhint = \"is ${onprem} advertised to ${msee}?\"",
    );
    let rb = load(&with).expect("valid");
    assert_eq!(
        rb.step("c").and_then(|s| s.hint.as_deref()),
        Some("is 10.1.11.0/25 advertised to 192.168.11.18?")
    );
    assert_eq!(
        load(CHECK)
            .expect("valid")
            .step("c")
            .and_then(|s| s.hint.clone()),
        None
    );
    let empty = CHECK.replace("why = \"w\"", "why = \"w\"\nhint = \"  \"");
    assert_eq!(messages(&empty), ["`hint` of step `c` is empty"]);
    // Every step of the bundled failover runbook says what to look at.
    let rb = build(FAILOVER, "f.toml", &BTreeMap::new()).expect("bundled runbook is valid");
    let without: Vec<&str> = rb
        .steps
        .iter()
        .filter(|s| s.hint.is_none() && !matches!(s.body, StepBody::Record(_)))
        .map(|s| s.id.as_str())
        .collect();
    assert!(without.is_empty(), "{without:?}");
}
