use super::*;

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).expect("write");
    p
}

const INV: &str = r#"
[devices.ce1]
platform = "junos"
host = "127.0.0.1"
[devices.ce2]
platform = "junos"
host = "127.0.0.1"
[devices.fw]
platform = "junos"
host = "127.0.0.1"
[devices.server]
platform = "linux"
host = "127.0.0.1"
[azure]
endpoint = "http://127.0.0.1:9"
subscription = "00000000-0000-0000-0000-000000000000"
resource_group = "rg-er-lab"
circuit = "er-circuit-11"
gateway = "vpngw-hub-11"
connection = "cn-onprem-11"
credential = "token-env"
token_env = "CUTOVER_ARM_TOKEN"
"#;

#[test]
fn the_bundled_runbook_fits_a_full_inventory() {
    let dir = tempfile::tempdir().expect("dir");
    let inv = write(&dir, "inv.toml", INV);
    let p = prepare(&inv, None, DEFAULT_RUNBOOK, DEFAULT_NAME).expect("fits");
    assert_eq!(p.runbook.meta.id, "er-vpn-validate");
    assert!(refuse_changes(&p.runbook).is_ok());
    assert_eq!(p.runbook_sha256.len(), 64);
}

#[test]
fn a_bad_inventory_names_its_line() {
    let dir = tempfile::tempdir().expect("dir");
    let inv = write(
        &dir,
        "inv.toml",
        &INV.replace(
            "host = \"127.0.0.1\"\n[devices.ce2]",
            "hots = 1\n[devices.ce2]",
        ),
    );
    let e = prepare(&inv, None, DEFAULT_RUNBOOK, DEFAULT_NAME).expect_err("bad");
    assert!(e.starts_with(&format!("{}:", inv.display())), "{e}");
}

#[test]
fn a_runbook_that_changes_things_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let inv = write(&dir, "inv.toml", INV);
    let rb = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("runbooks/er-vpn-failover.toml");
    let p = prepare(&inv, Some(&rb), DEFAULT_RUNBOOK, DEFAULT_NAME).expect("fits");
    let e = refuse_changes(&p.runbook).expect_err("refused");
    assert!(
        e.contains("confirm-failover, disable-private-peering, enable-private-peering"),
        "{e}"
    );
}

#[test]
fn a_missing_device_is_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    let inv = write(
        &dir,
        "inv.toml",
        &INV.replace(
            "[devices.server]\nplatform = \"linux\"\nhost = \"127.0.0.1\"\n",
            "",
        ),
    );
    let e = prepare(&inv, None, DEFAULT_RUNBOOK, DEFAULT_NAME).expect_err("no server");
    // At the devices table (INV starts with an empty line, then
    // `[devices.ce1]`), with what is missing.
    assert!(
        e.contains(&format!(
            "\n  {}:2:2: role `server` (linux) has no [devices.server]",
            inv.display()
        )),
        "{e}"
    );
}

#[test]
fn a_misfit_is_placed_where_it_is_fixed() {
    use super::fit::problem_pos;
    let text = INV.replace(
        "[devices.server]\nplatform = \"linux\"\nhost = \"127.0.0.1\"\n",
        "",
    );
    let at = |p: &str| problem_pos(&text, p).to_string();
    assert_eq!(
        at("role `server` (linux) has no [devices.server] in the inventory"),
        "2:2"
    );
    assert_eq!(
        at("role `fw` is linux in the runbook but junos in the inventory"),
        "9:12"
    );
    assert_eq!(
        at(
            "the runbook names circuit `other`, the inventory `er-circuit-11`: set it in the runbook's [vars] or the inventory"
        ),
        "15:11"
    );
    assert_eq!(
        at("role `azure` is Azure, but the inventory has no [azure] section"),
        "1:1"
    );
    // No device at all: the file's start.
    assert_eq!(
        problem_pos(
            "redact = []\n",
            "role `fw` (junos) has no [devices.fw] in the inventory"
        )
        .to_string(),
        "1:1"
    );
}

/// The messages placed above are the ones the checker writes: a change
/// of its wording must fail here, not leave problems at 1:1 unseen.
#[test]
fn the_checkers_messages_are_the_ones_placed() {
    let dir = tempfile::tempdir().expect("dir");
    let text = INV
        .replace(
            "[devices.server]\nplatform = \"linux\"\nhost = \"127.0.0.1\"\n",
            "",
        )
        .replace(
            "[devices.fw]\nplatform = \"junos\"",
            "[devices.fw]\nplatform = \"linux\"",
        );
    let inv = write(&dir, "inv.toml", &text);
    let e = prepare(&inv, None, DEFAULT_RUNBOOK, DEFAULT_NAME).expect_err("misfit");
    let path = inv.display().to_string();
    assert!(
        e.contains(&format!(
            "{path}:2:2: role `server` (linux) has no [devices.server]"
        )),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "{path}:9:12: role `fw` is junos in the runbook but linux"
        )),
        "{e}"
    );
}

mod causes {
    use super::super::causes::{group, normalize};
    use cutover_core::session::event::Verdict;
    use cutover_engine::StepReport;

    fn failed(id: &str, device: &str, error: Option<&str>, advisory: bool) -> StepReport {
        StepReport {
            step: id.into(),
            title: String::new(),
            kind: "check",
            verdict: Verdict::Failed,
            device: Some(device.into()),
            command: None,
            evidence: Vec::new(),
            error: error.map(str::to_string),
            advisory,
        }
    }

    #[test]
    fn request_ids_are_not_part_of_a_cause() {
        assert_eq!(
            normalize(
                "authentication: InvalidAuthenticationToken: failed. [correlation id 1, request id 2]"
            ),
            "authentication: InvalidAuthenticationToken: failed."
        );
        assert_eq!(normalize("peers [a, b] down"), "peers [a, b] down");
        // ARM unreachable: every read names its own path, one cause.
        let path = |verb: &str, p: &str| {
            normalize(&format!(
                "timed out: {verb} /subscriptions/0/resourceGroups/rg/providers/{p}?api-version=1 still failing; last answer: transport: Connection refused"
            ))
        };
        assert_eq!(
            path("GET", "x/peerings/AzurePrivatePeering"),
            "timed out: the ARM call still failing; last answer: transport: Connection refused"
        );
        assert_eq!(path("GET", "a"), path("POST", "b/getLearnedRoutes"));
        assert_eq!(normalize("cut [request id"), "cut [request id");
    }

    #[test]
    fn checks_without_an_answer_for_one_reason_are_one_cause() {
        let key = "no answer: fw: host key refused: HOST KEY CHANGED";
        let steps = [
            failed("a", "fw", Some(key), false),
            failed(
                "b",
                "ce1",
                Some("no answer: ce1: connection refused"),
                false,
            ),
            failed("c", "fw", Some(key), true),
            failed("d", "fw", Some(key), false),
            // Judged on an answer: never grouped.
            failed("e", "fw", None, false),
            failed(
                "f",
                "azure",
                Some("no answer: authentication: 401 [request id 1]"),
                false,
            ),
            failed(
                "g",
                "azure",
                Some("no answer: authentication: 401 [request id 2]"),
                false,
            ),
        ];
        let causes = group(steps.iter());
        assert_eq!(causes.len(), 2, "{causes:?}");
        assert_eq!(causes[0].text, key);
        assert_eq!(causes[0].failed, ["a", "d"]);
        assert_eq!(causes[0].warned, ["c"]);
        assert_eq!(
            causes[0].line(),
            format!(
                "2 checks failed and 1 advisory check warned, one cause: {key} (checks: a, d; advisory: c)"
            )
        );
        assert_eq!(causes[1].text, "azure: no answer: authentication: 401");
        assert_eq!(
            causes[1].line(),
            "2 checks failed, one cause: azure: no answer: authentication: 401 (checks: f, g)"
        );
    }
}

mod many_circuits {
    use std::collections::BTreeMap;
    use std::path::PathBuf;
    use std::time::Duration;

    use super::super::lines::{Printer, summary};
    use super::super::many::{Checked, Circuit, CircuitResult, Input, expand};
    use super::super::prom::{escape_label, render, write_atomic};
    use cutover_core::session::Outcome;
    use cutover_core::session::event::Verdict;
    use cutover_engine::expect::ClauseResult;
    use cutover_engine::{SessionOutcome, StepReport};
    use cutover_journal::Redactor;
    use time::OffsetDateTime;

    fn step(id: &str, verdict: Verdict, advisory: bool) -> StepReport {
        StepReport {
            step: id.into(),
            title: format!("{id} title"),
            kind: "check",
            verdict,
            device: Some("fw".into()),
            command: Some("show bgp summary".into()),
            evidence: vec![ClauseResult {
                clause: "state == Established".into(),
                passed: verdict == Verdict::Passed,
                evidence: "Active s3cret-42".into(),
            }],
            error: None,
            advisory,
        }
    }

    fn circuit(name: &str, inv: &str, status: Outcome, steps: Vec<StepReport>) -> Circuit {
        let t = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
        let mut ended = BTreeMap::new();
        ended.insert("a".to_string(), t - Duration::from_millis(1500));
        Circuit {
            inventory: PathBuf::from(inv),
            circuit: name.into(),
            result: CircuitResult::Checked(Checked {
                outcome: SessionOutcome {
                    status,
                    outcome: "done".into(),
                    steps,
                },
                ended,
                finished: t,
                elapsed: Duration::from_millis(2500),
            }),
        }
    }

    fn bad(inv: &str) -> Circuit {
        Circuit {
            inventory: PathBuf::from(inv),
            circuit: "bad".into(),
            result: CircuitResult::Bad(format!("{inv}:3:7: expected `=`")),
        }
    }

    #[test]
    fn a_directory_gives_its_toml_files_sorted_and_a_file_named_twice_runs_once() {
        let dir = tempfile::tempdir().expect("dir");
        for n in [
            "b.toml",
            "a.toml",
            ".hidden.toml",
            "notes.txt",
            "c.toml.bak",
        ] {
            std::fs::write(dir.path().join(n), "").expect("write");
        }
        std::fs::create_dir(dir.path().join("sub.toml")).expect("subdir");
        let empty = tempfile::tempdir().expect("empty");
        let a = dir.path().join("a.toml");
        let got = expand(&[
            dir.path().to_path_buf(),
            a.clone(),
            empty.path().to_path_buf(),
        ]);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0], Input::Inventory(a));
        assert_eq!(got[1], Input::Inventory(dir.path().join("b.toml")));
        assert!(
            matches!(&got[2], Input::Bad { path, error }
                if path == empty.path() && error.contains("no *.toml inventory")),
            "{got:?}"
        );
    }

    #[test]
    fn an_advisory_failure_is_a_warning_in_json_and_secrets_are_redacted() {
        let c = circuit(
            "er-1",
            "/inv/one.toml",
            Outcome::CheckFailed,
            vec![
                step("a", Verdict::Passed, false),
                step("b", Verdict::Failed, true),
                step("c", Verdict::Failed, false),
            ],
        );
        let r = Redactor::new();
        r.add_pattern("s3cret-*").expect("pattern");
        let mut out = Vec::new();
        let mut err = Vec::new();
        Printer::new(true, true).render(&c, Some(&r), &mut out, &mut err);
        let out = String::from_utf8(out).expect("utf8");
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        let verdicts: Vec<&str> = lines
            .iter()
            .map(|l| l["verdict"].as_str().expect("verdict"))
            .collect();
        assert_eq!(verdicts, ["passed", "warning", "failed"]);
        for l in &lines {
            assert_eq!(l["circuit"], "er-1");
            assert_eq!(l["inventory"], "/inv/one.toml");
        }
        // Stamped at its own step end, the others at the circuit's end.
        assert_eq!(lines[0]["ts"], "2027-01-15T07:59:58.500Z");
        assert_eq!(lines[1]["ts"], "2027-01-15T08:00:00.000Z");
        assert!(!out.contains("s3cret-42"), "{out}");
        let err = String::from_utf8(err).expect("utf8");
        assert!(
            err.contains("er-1 (/inv/one.toml): warning (advisory check): b: ")
                && err.contains("er-1 (/inv/one.toml): check failed: c: "),
            "{err}"
        );
        assert!(!err.contains("s3cret-42"), "{err}");
        assert_eq!(
            summary(&c),
            "er-1 (/inv/one.toml): 1 passed, 1 warning(s), 1 failed in 2.5 s: exit 1"
        );
    }

    #[test]
    fn a_bad_inventory_is_named_by_its_path_and_prints_no_check() {
        let c = bad("/inv/broken.toml");
        let mut out = Vec::new();
        let mut err = Vec::new();
        Printer::new(true, true).render(&c, None, &mut out, &mut err);
        assert!(out.is_empty());
        assert_eq!(
            String::from_utf8(err).expect("utf8"),
            "/inv/broken.toml:3:7: expected `=`\n"
        );
        assert_eq!(c.exit_code(), 2);
        assert_eq!(
            summary(&c),
            "bad (/inv/broken.toml): not checked (bad input): exit 2"
        );
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
    }

    #[test]
    fn the_exposition_has_one_sample_per_check_and_circuit() {
        let circuits = vec![
            circuit(
                "er-1",
                "/inv/one.toml",
                Outcome::Completed,
                vec![
                    step("a", Verdict::Passed, false),
                    step("b", Verdict::Failed, true),
                ],
            ),
            circuit(
                "er-\"2\"",
                "/inv/two.toml",
                Outcome::CheckFailed,
                vec![
                    step("a", Verdict::Failed, false),
                    step("b", Verdict::Passed, true),
                ],
            ),
            bad("/inv/broken.toml"),
        ];
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_100).expect("time");
        let text = render(&circuits, now);
        let samples = |name: &str| {
            text.lines()
                .filter(|l| l.starts_with(&format!("{name}{{")))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            samples("cutover_check_passed"),
            [
                r#"cutover_check_passed{circuit="er-1",inventory="/inv/one.toml",check="a",advisory="false"} 1"#,
                r#"cutover_check_passed{circuit="er-1",inventory="/inv/one.toml",check="b",advisory="true"} 0"#,
                r#"cutover_check_passed{circuit="er-\"2\"",inventory="/inv/two.toml",check="a",advisory="false"} 0"#,
                r#"cutover_check_passed{circuit="er-\"2\"",inventory="/inv/two.toml",check="b",advisory="true"} 1"#,
            ]
        );
        assert_eq!(
            samples("cutover_inventory_valid"),
            [
                r#"cutover_inventory_valid{inventory="/inv/one.toml"} 1"#,
                r#"cutover_inventory_valid{inventory="/inv/two.toml"} 1"#,
                r#"cutover_inventory_valid{inventory="/inv/broken.toml"} 0"#,
            ]
        );
        assert_eq!(
            samples("cutover_validate_last_run_timestamp_seconds")[0],
            r#"cutover_validate_last_run_timestamp_seconds{circuit="er-1",inventory="/inv/one.toml"} 1800000000.000"#
        );
        assert!(text.contains("# TYPE cutover_check_passed gauge\n"));
        assert!(text.contains("cutover_validate_file_timestamp_seconds 1800000100.000\n"));
        assert!(!text.contains("s3cret"), "no evidence in the metrics");
        // Each family's HELP and TYPE once, before its samples.
        for name in ["cutover_check_passed", "cutover_inventory_valid"] {
            assert_eq!(text.matches(&format!("# TYPE {name} ")).count(), 1);
        }
    }

    #[test]
    fn the_prom_file_is_replaced_whole_with_mode_0644() {
        let dir = tempfile::tempdir().expect("dir");
        let f = dir.path().join("cutover.prom");
        std::fs::write(&f, "old\n").expect("write");
        write_atomic(&f, "new 1\n").expect("written");
        assert_eq!(std::fs::read_to_string(&f).expect("read"), "new 1\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&f).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left.len(), 1, "no temporary file left: {left:?}");
        let missing = dir.path().join("nowhere").join("x.prom");
        assert!(write_atomic(&missing, "x").is_err());
    }

    /// The bound holds, every circuit comes back in input order, and each
    /// one's lines are printed as it finishes.
    #[tokio::test(start_paused = true)]
    async fn circuits_run_at_most_jobs_at_once_and_print_as_they_finish() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};

        use super::super::many::run_all;

        let dir = tempfile::tempdir().expect("dir");
        let mut inputs = Vec::new();
        for (i, n) in ["slow", "b", "c", "d"].iter().enumerate() {
            let inv = super::INV.replace("er-circuit-11", &format!("er-{n}"));
            let p = dir.path().join(format!("{i}-{n}.toml"));
            std::fs::write(&p, inv).expect("write");
            inputs.push(Input::Inventory(p));
        }
        let broken = dir.path().join("broken.toml");
        std::fs::write(&broken, "[devices.ce1\n").expect("write");
        inputs.insert(2, Input::Inventory(broken.clone()));
        let running = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut printer = Printer::capturing(true, true);
        let circuits = run_all(
            inputs,
            super::DEFAULT_RUNBOOK,
            "bundled",
            2,
            &mut printer,
            |p, inv| {
                let (running, most) = (running.clone(), most.clone());
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    let slow = inv.to_string_lossy().contains("slow");
                    tokio::time::sleep(Duration::from_secs(if slow { 10 } else { 1 })).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    let t = OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("time");
                    CircuitResult::Checked(Checked {
                        outcome: SessionOutcome {
                            status: Outcome::Completed,
                            outcome: "completed".into(),
                            steps: vec![step(&p.runbook.meta.id, Verdict::Passed, false)],
                        },
                        ended: BTreeMap::new(),
                        finished: t,
                        elapsed: Duration::from_secs(1),
                    })
                }
            },
        )
        .await;
        assert_eq!(most.load(Ordering::SeqCst), 2, "two at once, never more");
        let names: Vec<&str> = circuits.iter().map(|c| c.circuit.as_str()).collect();
        assert_eq!(names, ["er-slow", "er-b", "broken", "er-c", "er-d"]);
        assert_eq!(circuits[2].exit_code(), 2);
        let (out, err) = printer.captured();
        let order: Vec<String> = out
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).expect("json");
                v["circuit"].as_str().expect("circuit").to_string()
            })
            .collect();
        // The slow one holds a slot for 10 s while the others pass it.
        assert_eq!(order, ["er-b", "er-c", "er-d", "er-slow"]);
        assert!(
            err.starts_with(&format!("{}:1:", broken.display())),
            "the bad one is reported first, by its path: {err}"
        );
    }
}
