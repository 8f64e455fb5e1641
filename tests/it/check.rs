//! `cutover check RUNBOOK` through the real binary: exit 0 and a summary for
//! the bundled runbooks, exit 2 and exact `file:line:col: message` lines for
//! each kind of mistake (the broken runbooks are in tests/fixtures/runbooks).

use assert_cmd::Command;

fn cutover() -> Command {
    let mut cmd = Command::cargo_bin("cutover").expect("binary built");
    // Relative paths keep the `file:` prefix of the messages predictable.
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Runs `cutover check` on a broken fixture and returns its stderr lines,
/// after checking the exit status and that nothing went to stdout.
fn problems(name: &str) -> Vec<String> {
    let out = cutover()
        .args(["check", &format!("tests/fixtures/runbooks/{name}")])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8(out.stderr)
        .expect("UTF-8 stderr")
        .lines()
        .map(str::to_string)
        .collect()
}

fn at(name: &str, pos: &str, message: &str) -> String {
    format!("tests/fixtures/runbooks/{name}:{pos}: {message}")
}

#[test]
fn bundled_failover_runbook_is_valid() {
    let out = cutover()
        .args(["check", "runbooks/er-vpn-failover.toml"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("runbooks/er-vpn-failover.toml: ok: er-vpn-failover: "),
        "{stdout}"
    );
    assert!(stdout.contains(" steps in 5 phases, "), "{stdout}");
    assert!(
        stdout.trim_end().ends_with(" probes, 1 gate, 2 actions"),
        "{stdout}"
    );
    assert!(out.stderr.is_empty());
}

#[test]
fn bundled_validate_runbook_is_valid_and_read_only() {
    let out = cutover()
        .args(["check", "runbooks/er-vpn-validate.toml"])
        .assert()
        .code(0)
        .get_output()
        .clone();
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("runbooks/er-vpn-validate.toml: ok: er-vpn-validate: "),
        "{stdout}"
    );
    assert!(
        stdout.trim_end().ends_with(" probes, 0 gates, 0 actions"),
        "{stdout}"
    );
}

#[test]
fn toml_syntax_error() {
    let f = "syntax-error.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "3:34",
            "TOML syntax error: invalid basic string, expected `\"`"
        )]
    );
}

#[test]
fn unknown_keys_at_every_level_with_suggestions() {
    let f = "unknown-keys.toml";
    assert_eq!(
        problems(f),
        [
            at(
                f,
                "4:1",
                "unknown key `monitor_evry` in [runbook] (did you mean `monitor_every`?)"
            ),
            at(
                f,
                "11:1",
                "unknown key `tittle` in [[step]] (did you mean `title`?)"
            ),
            at(
                f,
                "14:75",
                "unknown key `tabel` in probe `bgp.advertised` (did you mean `table`?)"
            ),
            at(
                f,
                "15:38",
                "unknown key `local_prf` in an expect clause of `bgp.advertised` (did you mean `local_pref`?)"
            ),
            at(
                f,
                "17:2",
                "unknown key `stepz` in the top level (did you mean `step`?)"
            ),
        ]
    );
}

#[test]
fn undefined_variable() {
    let f = "undefined-var.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "16:59",
            "undefined variable `msee_primry` (did you mean `msee_primary`?)"
        )]
    );
}

#[test]
fn variables_in_a_circle() {
    let f = "var-cycle.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "6:5",
            "variables refer to each other in a circle: a -> b -> a"
        )]
    );
}

#[test]
fn duplicate_step_id_points_at_the_second() {
    let f = "duplicate-id.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "17:6",
            "duplicate step id `ce-adv` (first used on line 9)"
        )]
    );
}

#[test]
fn bad_duration() {
    let f = "bad-duration.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "4:17",
            "bad duration `5 seconds`: expected a number and a unit (ms, s, m, h, d), e.g. 90s, 10m, 1h30m"
        )]
    );
}

#[test]
fn action_without_rollback() {
    let f = "action-no-rollback.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "23:10",
            "action `azure.peering.disable` has no `rollback`: name the op that returns to a safe state \
             (e.g. rollback = \"azure.peering.enable\")"
        )]
    );
}

#[test]
fn action_without_deadline() {
    let f = "action-no-deadline.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "23:10",
            "action `azure.peering.disable` has no `deadline`: say how long the change may stand unconfirmed \
             before it is rolled back (e.g. deadline = \"10m\")"
        )]
    );
}

#[test]
fn disruptive_action_before_any_gate() {
    let f = "ungated-action.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "16:17",
            "disruptive action `azure.peering.disable` is not preceded by a gate: add a step with `gate = { ... }` before it"
        )]
    );
}

#[test]
fn unknown_query() {
    let f = "unknown-query.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "13:33",
            "unknown query `bgp.advertized` (did you mean `bgp.advertised`?)"
        )]
    );
}

#[test]
fn query_the_platform_cannot_answer() {
    let f = "wrong-platform.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "13:36",
            "query `ipsec.sas` is not available on platform `linux` (role `server`)"
        )]
    );
}

#[test]
fn bad_prefix_after_interpolation() {
    let f = "bad-prefix.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "17:22",
            "bad prefix in `prefix`: `10.1.11.1/25` has host bits set (did you mean 10.1.11.0/25?)"
        )]
    );
}

#[test]
fn probe_on_undeclared_role() {
    let f = "undeclared-role.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "13:18",
            "undeclared role `ce2` (did you mean `ce1`?)"
        )]
    );
}

#[test]
fn gate_with_empty_confirm_text() {
    let f = "empty-confirm.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "19:58",
            "gate `confirm_text` is empty: the operator must type something specific (e.g. the circuit name) to go on"
        )]
    );
}

#[test]
fn read_only_runbook_with_gate_and_action() {
    let f = "read-only-with-action.toml";
    assert_eq!(
        problems(f),
        [
            at(
                f,
                "12:1",
                "the runbook is read_only, but this step is a gate"
            ),
            at(
                f,
                "19:1",
                "the runbook is read_only, but this step is an action"
            ),
        ]
    );
}

#[test]
fn several_problems_are_reported_in_file_order() {
    let f = "several-problems.toml";
    assert_eq!(
        problems(f),
        [
            at(
                f,
                "4:16",
                "bad duration `3 months`: expected a number and a unit (ms, s, m, h, d), e.g. 90s, 10m, 1h30m"
            ),
            at(
                f,
                "12:9",
                "`phase` must be 1 to 5 or one of validate-er, validate-vpn, failover, restore, maintain, not 7"
            ),
            at(
                f,
                "14:58",
                "`peer` must be an IP address, not `192.168.11.300`"
            ),
            at(
                f,
                "17:1",
                "missing `why` in step `ce1-bfd`: tell the operator what this step proves and what to do when it fails"
            ),
        ]
    );
}

#[test]
fn unreadable_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope.toml");
    let out = Command::cargo_bin("cutover")
        .expect("binary")
        .arg("check")
        .arg(&missing)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.starts_with(&format!("{}: cannot read: ", missing.display())),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1);

    let latin1 = dir.path().join("latin1.toml");
    std::fs::write(&latin1, b"[runbook]\nid = \"caf\xe9\"\n").expect("write");
    let out = Command::cargo_bin("cutover")
        .expect("binary")
        .arg("check")
        .arg(&latin1)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).expect("UTF-8");
    assert!(
        stderr.starts_with(&format!(
            "{}: cannot read: not UTF-8 text",
            latin1.display()
        )),
        "{stderr}"
    );
}

// The bundled runbook against the article's own outputs (in their normalized
// `cutover parse` form): what the article calls healthy must pass, and the
// faults the procedure exists to catch must fail.
mod article {
    use std::borrow::Cow;
    use std::path::Path;

    use cutover_core::model::{ParsedRoute, Trace};
    use cutover_core::runbook::{
        Clause, Expect, Runbook, Step, StepBody, Verdict, eval_routes, eval_trace,
    };

    fn fixture(rel: &str) -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel);
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read fixture"))
            .expect("JSON fixture")
    }

    fn routes(rel: &str) -> Vec<ParsedRoute<'static>> {
        let text = |v: &serde_json::Value| v.as_str().map(|s| Cow::Owned(s.to_string()));
        let num = |v: &serde_json::Value| v.as_u64().and_then(|n| u32::try_from(n).ok());
        fixture(rel)["routes"]
            .as_array()
            .expect("routes")
            .iter()
            .map(|r| ParsedRoute {
                prefix: text(&r["prefix"]).expect("prefix"),
                protocol: text(&r["protocol"]),
                active: r["active"].as_bool().expect("active"),
                preference: num(&r["preference"]),
                local_pref: num(&r["local_pref"]),
                as_path: r["as_path"]
                    .as_array()
                    .map(|a| a.iter().filter_map(num).collect()),
                next_hops: r["next_hops"]
                    .as_array()
                    .map(|a| a.iter().filter_map(text).collect()),
                hop_details: cutover_core::model::HopDetails::read(
                    r["next_hop_interfaces"]
                        .as_array()
                        .map(|a| a.iter().filter_map(text).collect())
                        .unwrap_or_default(),
                    text(&r["from"]),
                ),
                path_use: None,
                table: text(&r["table"]),
            })
            .collect()
    }

    fn trace(rel: &str) -> Trace {
        serde_json::from_value(fixture(rel)).expect("trace fixture")
    }

    fn runbook() -> Runbook {
        Runbook::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-vpn-failover.toml"))
            .expect("valid")
    }

    fn expects<'r>(rb: &'r Runbook, id: &str) -> &'r [Expect] {
        match &rb.step(id).map(|s: &Step| &s.body) {
            Some(StepBody::Check(c)) => &c.expect,
            other => panic!("{id} is not a check: {other:?}"),
        }
    }

    fn judge_routes(rb: &Runbook, expect: &[Expect], table: &[ParsedRoute<'_>]) -> Vec<Verdict> {
        expect
            .iter()
            .map(|e| match &e.clause {
                Clause::Route(r) => eval_routes(r, table, &rb.paths),
                other => panic!("not a route clause: {other}"),
            })
            .collect()
    }

    fn judge_trace(rb: &Runbook, expect: &[Expect], t: &Trace) -> Vec<Verdict> {
        expect
            .iter()
            .map(|e| match &e.clause {
                Clause::Trace(c) => eval_trace(c, t, &rb.paths),
                other => panic!("not a trace clause: {other}"),
            })
            .collect()
    }

    fn all_pass(vs: &[Verdict]) {
        for v in vs {
            assert!(v.passed, "{}", v.detail);
        }
    }

    #[test]
    fn the_articles_steady_state_passes_phase_1_and_2_route_checks() {
        let rb = runbook();
        let fw = routes("article/route/srx42-01-route-table-cust11-10.17.11.0-24.expected.json");
        for id in [
            "fw-prefers-er-for-hub",
            "fw-prefers-er-for-spoke",
            "no-vpn-more-specific-toward-azure",
        ] {
            all_pass(&judge_routes(&rb, expects(&rb, id), &fw));
        }
        let ce1 =
            routes("article/route/mx03-01-advertising-protocol-bgp-192.168.11.18.expected.json");
        all_pass(&judge_routes(
            &rb,
            expects(&rb, "ce1-advertises-onprem"),
            &ce1,
        ));
        let ce2 =
            routes("article/route/mx03-02-advertising-protocol-bgp-192.168.11.22.expected.json");
        all_pass(&judge_routes(
            &rb,
            expects(&rb, "ce2-advertises-onprem"),
            &ce2,
        ));
        let rx = routes(
            "article/route/srx42-01-receive-protocol-bgp-10.17.11.76-and-77-table-cust11.expected.json",
        );
        for id in ["fw-receives-azure-from-vpn1", "fw-receives-azure-from-vpn2"] {
            all_pass(&judge_routes(&rb, expects(&rb, id), &rx));
        }
    }

    #[test]
    fn a_ce_without_local_pref_150_fails_the_preference_check() {
        let rb = runbook();
        let mut fw =
            routes("article/route/srx42-01-route-table-cust11-10.17.11.0-24.expected.json");
        // The secondary CE's path for the hub, as if CE2 lacked the policy.
        let ce2_path = fw
            .iter_mut()
            .find(|r| r.prefix == "10.17.11.0/25" && !r.active && r.local_pref == Some(150))
            .expect("the article's second ER path");
        ce2_path.local_pref = Some(100);
        let verdicts = judge_routes(&rb, expects(&rb, "fw-prefers-er-for-hub"), &fw);
        let failed: Vec<&str> = verdicts
            .iter()
            .filter(|v| !v.passed)
            .map(|v| v.detail.as_str())
            .collect();
        assert_eq!(
            failed,
            ["10.17.11.0/25: a path has local-pref 100, expected 150"]
        );
    }

    #[test]
    fn the_articles_traceroutes_classify_as_the_article_says() {
        let rb = runbook();
        let before = trace("traceroute/windows/article-before-failover.expected.json");
        let after = trace("traceroute/windows/article-after-failover.expected.json");
        all_pass(&judge_trace(
            &rb,
            expects(&rb, "trace-before-failover"),
            &before,
        ));
        assert!(
            judge_trace(&rb, expects(&rb, "trace-before-failover"), &after)
                .iter()
                .any(|v| !v.passed)
        );

        let Some(StepBody::Action(a)) = rb.step("disable-private-peering").map(|s| &s.body) else {
            panic!("disable-private-peering is an action");
        };
        all_pass(&judge_trace(&rb, &a.verify[0].expect, &after));
        assert!(
            judge_trace(&rb, &a.verify[0].expect, &before)
                .iter()
                .any(|v| !v.passed)
        );
    }
}

#[test]
fn advisory_is_a_boolean_of_checks_only() {
    let f = "bad-advisory.toml";
    assert_eq!(
        problems(f),
        [
            at(f, "15:12", "`advisory` must be true or false, not a string"),
            at(
                f,
                "23:1",
                "`advisory` goes with `probe`, but step `gate` has `gate`"
            ),
        ]
    );
}

#[test]
fn max_outage_that_cannot_fire_or_would_fire_on_one_trace() {
    let f = "bad-max-outage.toml";
    assert_eq!(
        problems(f),
        [
            at(
                f,
                "26:124",
                "`max_outage` (2m) must be shorter than the action's `deadline` (1m30s): the deadline would roll back first"
            ),
            at(
                f,
                "26:124",
                "`max_outage` (2m) must be shorter than the trace verification's `within` (1m): that verification would give up first"
            ),
            at(
                f,
                "39:123",
                "`max_outage` (5s) must be longer than the trace verification's `every` (5s): one trace that misses the target would roll back before the next could see the traffic back"
            ),
            at(
                f,
                "52:123",
                "bad duration `soon`: expected a number and a unit (ms, s, m, h, d), e.g. 90s, 10m, 1h30m"
            ),
            at(
                f,
                "59:123",
                "`max_outage` needs a `[[step.verify]]` with a `trace` probe: only a trace tells traffic that is lost from traffic not moved yet"
            ),
        ]
    );
}

#[test]
fn rollback_that_repeats_the_change() {
    let f = "rollback-not-inverse.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "23:69",
            "rollback `azure.peering.disable` does not undo action `azure.peering.disable`: \
             it would leave the peering Disabled; use rollback = \"azure.peering.enable\""
        )]
    );
}

#[test]
fn deadline_past_the_longest_duration() {
    let f = "deadline-too-long.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "23:104",
            "bad duration `99999999999h`: longer than 365d, the longest a duration may be"
        )]
    );
}

#[test]
fn confirm_text_typed_by_reflex() {
    let f = "confirm-by-reflex.toml";
    assert_eq!(
        problems(f),
        [at(
            f,
            "16:58",
            "gate `confirm_text` `y` is too easy to type by reflex: use the resource's name \
             (e.g. confirm_text = \"${circuit}\") or a phrase of at least 8 characters"
        )]
    );
}
