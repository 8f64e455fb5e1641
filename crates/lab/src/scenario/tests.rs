use super::parse::line_col;
use super::*;

fn topo() -> Topology {
    Topology::article()
}

#[test]
fn every_builtin_loads_and_is_named_after_its_file() {
    let t = topo();
    let all = builtin(&t).expect("built-in scenarios parse");
    assert_eq!(all.len(), 13);
    for (s, name) in all.iter().zip(builtin_names()) {
        assert_eq!(s.name, name);
        assert!(!s.description.is_empty());
    }
    for want in [
        "baseline",
        "vpn-bgp-down",
        "spoke-not-advertised",
        "vpn-more-specific",
        "ce2-localpref-missing",
        "er-disable-conflict",
        "slow-convergence",
        "stuck-on-vpn",
        "rollback-throttled",
        "disable-operation-failed",
        "arm-slow",
        "concurrent-writer",
        "token-expires",
    ] {
        assert!(load_builtin(want, &t).is_ok(), "{want}");
    }
    assert!(matches!(
        load_builtin("nope", &t),
        Err(LoadError::Unknown { .. })
    ));
}

#[test]
fn each_fault_sits_at_its_layer() {
    let t = topo();
    let get = |n: &str| load_builtin(n, &t).expect("loads");
    assert_eq!(
        get("baseline"),
        Scenario {
            description: get("baseline").description,
            objectives: get("baseline").objectives,
            ..Scenario::default()
        }
    );
    let names = |s: &Scenario| {
        s.sessions_down
            .iter()
            .map(|(i, _)| t.sessions[*i].name)
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&get("vpn-bgp-down")), ["fw-vpngw0", "fw-vpngw1"]);
    let spoke = get("spoke-not-advertised");
    assert!(spoke.exports.iter().all(|e| e.deny == [t.spoke]));
    assert_eq!(spoke.exports.len(), 2);
    let ms = get("vpn-more-specific");
    assert_eq!(ms.statics.len(), 1);
    assert!(
        ms.exports
            .iter()
            .all(|e| e.advertise == [ms.statics[0].prefix])
    );
    let lp = get("ce2-localpref-missing");
    assert_eq!(lp.exports.len(), 1);
    assert_eq!(lp.exports[0].local_pref, Some(LocalPref::Unset));
    assert_eq!(
        t.sessions[lp.exports[0].session].ends[lp.exports[0].end].node,
        Node::Ce2
    );
    let conflict = get("er-disable-conflict");
    let codes: Vec<_> = conflict
        .peering_put_errors
        .iter()
        .map(|f| (f.status, f.code.as_str()))
        .collect();
    assert_eq!(
        codes,
        [
            (409, "AnotherOperationInProgress"),
            (429, "RetryableErrorDueToAnotherOperation")
        ]
    );
    assert!(conflict.peering_put_errors[1].retry_after_s.is_some());
    let slow = get("slow-convergence");
    assert!(!slow.timing.bfd);
    assert_eq!(slow.timing.detection(true), Duration::from_secs(180));
    assert_eq!(
        Timing::default().detection(true),
        Duration::from_millis(900)
    );
    // Every failover pays the convergence baseline after its detection.
    assert_eq!(Timing::default().convergence, Duration::from_millis(600));
    let quick = parse(
        "x.toml",
        "name = \"a\"\ndescription = \"b\"\n[timing]\nconvergence_ms = 0\n",
        &topo(),
    )
    .expect("valid");
    assert_eq!(quick.timing.convergence, Duration::ZERO);
    assert_eq!(get("stuck-on-vpn").drop, [Carriage::Vpn]);
}

fn err(text: &str) -> ScenarioError {
    parse("x.toml", text, &topo()).expect_err("must fail")
}

#[test]
fn errors_name_file_line_and_column() {
    let e = err("name = \"a\"\ndescription = \"b\"\nfoo = 1\n");
    assert_eq!((e.file.as_str(), e.line, e.col), ("x.toml", 3, 1), "{e}");
    assert!(e.message.contains("foo"), "{e}");

    let e = err("name = \"a\"\ndescription = \"b\"\n[timing]\nbfd_multiplier = \"three\"\n");
    assert_eq!((e.line, e.col), (4, 18), "{e}");

    let e = err("name = \"a\"\ndescription = \"b\"\n[timing]\nconvergence_ms = 900000\n");
    assert_eq!((e.line, e.col), (4, 18), "{e}");
    assert!(e.message.contains("convergence_ms"), "{e}");

    let e = err(
        "name = \"a\"\ndescription = \"b\"\n[[session]]\nrouter = \"fw\"\nneighbor = \"10.17.11.99\"\nstate = \"down\"\n",
    );
    assert_eq!((e.line, e.col), (5, 12), "{e}");
    assert!(e.message.contains("10.17.11.76"), "{e}");

    let e = err(
        "name = \"a\"\ndescription = \"b\"\n[[session]]\nrouter = \"fw9\"\nneighbor = \"10.17.11.76\"\nstate = \"down\"\n",
    );
    assert_eq!((e.line, e.col), (4, 10), "{e}");

    let e = err(
        "name = \"a\"\ndescription = \"b\"\n[[session]]\nrouter = \"fw\"\nneighbor = \"10.17.11.76\"\nstate = \"sideways\"\n",
    );
    assert_eq!(e.line, 6, "{e}");

    let e = err(
        "name = \"a\"\ndescription = \"b\"\n[[export]]\nrouter = \"fw\"\nneighbor = \"10.17.11.76\"\ndeny = [\"10.17.11.1/24\"]\n",
    );
    assert_eq!((e.line, e.col), (6, 9), "{e}");

    let e = err(
        "name = \"a\"\ndescription = \"b\"\n[[export]]\nrouter = \"fw\"\nneighbor = \"10.17.11.76\"\nadvertise = [\"10.1.11.0/26\"]\n",
    );
    assert_eq!((e.line, e.col), (6, 14), "{e}");

    let e =
        err("name = \"a\"\ndescription = \"b\"\n[[arm.peering_put]]\nstatus = 200\ncode = \"X\"\n");
    assert_eq!((e.line, e.col), (4, 10), "{e}");

    let e = err(
        "name = \"a\"\ndescription = \"b\"\n[[export]]\nrouter = \"ce2\"\nneighbor = \"192.168.11.3\"\nlocal_preference = \"none\"\n",
    );
    assert_eq!(e.line, 6, "{e}");

    let e = err("name = \"Bad Name\"\ndescription = \"b\"\n");
    assert_eq!((e.line, e.col), (1, 8), "{e}");

    let e = err("name = \"a\"\n");
    assert!(e.message.contains("description"), "{e}");

    let e = err("name = \"a\"\ndescription = \"b\"\n[data_plane]\ndrop = [\"carrier-pigeon\"]\n");
    assert_eq!(e.line, 4, "{e}");
}

#[test]
fn line_col_counts_characters() {
    assert_eq!(line_col("ab\ncdé\nx", 8), (3, 1));
    assert_eq!(line_col("ab\ncdé\nx", 6), (2, 3));
    assert_eq!(line_col("", 10), (1, 1));
}

#[test]
fn fault_rules_are_checked_with_their_position() {
    let err = |body: &str| {
        parse(
            "f.toml",
            &format!("name = \"a\"\ndescription = \"b\"\n{body}"),
            &topo(),
        )
        .expect_err("invalid")
    };
    // (table, line, col, words the message must have)
    let cases: &[(&str, usize, usize, &str)] = &[
        (
            "[[arm.fault]]\nmethod = \"GET\"\nnth = 1\nstatuss = 500\n",
            6,
            1,
            "statuss",
        ),
        (
            "[[arm.fault]]\nmethod = \"FETCH\"\nhang = true\n",
            4,
            10,
            "FETCH",
        ),
        (
            "[[arm.fault]]\nresource = \"vm\"\nhang = true\n",
            4,
            12,
            "resource `vm`",
        ),
        ("[[arm.fault]]\nnth = 0\nhang = true\n", 4, 7, "nth"),
        ("[[arm.fault]]\nnth = \"4-2\"\nhang = true\n", 4, 7, "nth"),
        ("[[arm.fault]]\nnth = true\nhang = true\n", 4, 7, "nth"),
        ("[[arm.fault]]\nstatus = 200\n", 4, 10, "400 to 599"),
        (
            "[[arm.fault]]\nstatus = 429\ncode = \"Too Many\"\n",
            5,
            8,
            "one word",
        ),
        (
            "[[arm.fault]]\nhang = true\nreset = true\n",
            3,
            1,
            "one action",
        ),
        (
            "[[arm.fault]]\nmethod = \"GET\"\n",
            3,
            1,
            "needs latency_ms or an action",
        ),
        (
            "[[arm.fault]]\nretry_after_s = 3\nhang = true\n",
            4,
            17,
            "go with a status",
        ),
        ("[[arm.fault]]\nlatency_ms = 0\n", 4, 14, "latency_ms"),
        (
            "[[arm.fault]]\nresource = \"peering\"\noperation = \"Done\"\n",
            5,
            13,
            "Failed or Canceled",
        ),
        (
            "[[arm.fault]]\nmethod = \"GET\"\nresource = \"peering\"\noperation = \"Failed\"\n",
            6,
            13,
            "PUT",
        ),
        (
            "[[arm.fault]]\nprovisioning_state = \"Deleting\"\n",
            4,
            22,
            "Failed",
        ),
        (
            "[[arm.fault]]\ntoken_expires_after = 0\n",
            4,
            23,
            "at least 1",
        ),
        (
            "[[arm.fault]]\nmethod = \"GET\"\ntoken_expires_after = 3\n",
            3,
            1,
            "stands alone",
        ),
        (
            "[[ssh.fault]]\ndevice = \"router9\"\nslow_ms = 10\n",
            4,
            10,
            "no device",
        ),
        ("[[ssh.fault]]\ndevice = \"ce1\"\n", 3, 1, "needs slow_ms"),
        (
            "[[ssh.fault]]\ndevice = \"ce1\"\nslow_ms = 0\n",
            5,
            11,
            "slow_ms",
        ),
        (
            "[[ssh.fault]]\ndevice = \"ce1\"\nhang = true\n",
            5,
            1,
            "hang",
        ),
        (
            "[[ssh.fault]]\ndevice = \"fw\"\nslow_ms = 5\n[[ssh.fault]]\ndevice = \"fw\"\nrefuse_login = true\n",
            7,
            10,
            "already",
        ),
    ];
    for (body, line, col, words) in cases {
        let e = err(body);
        assert_eq!(e.file, "f.toml");
        assert_eq!((e.line, e.col), (*line, *col), "{body}: {e}");
        assert!(e.message.contains(words), "{body}: {e}");
    }
}

#[test]
fn fault_rules_load_into_the_scenario() {
    let s = parse(
        "f.toml",
        "name = \"a\"\ndescription = \"b\"\n\
         [[arm.peering_put]]\nstatus = 409\ncode = \"AnotherOperationInProgress\"\n\
         [[arm.fault]]\nresource = \"any\"\nlatency_ms = 2000\n\
         [[arm.fault]]\nmethod = \"get\"\nresource = \"peering\"\nnth = \"2-\"\nstatus = 503\n\
         [[arm.fault]]\nmethod = \"PUT\"\nresource = \"peering\"\nnth = \"every\"\noperation = \"Canceled\"\n\
         [[arm.fault]]\ntoken_expires_after = 7\n\
         [[ssh.fault]]\ndevice = \"ce2\"\nslow_ms = 1500\ndrop_after = 3\nrefuse_login = true\n",
        &topo(),
    )
    .expect("valid");
    let f = &s.faults;
    assert_eq!(
        f.arm.len(),
        4,
        "the older form first, then the file's rules"
    );
    assert_eq!(f.arm[0].method.as_deref(), Some("PUT"));
    assert_eq!(
        f.arm[0].nth,
        Nth {
            from: 1,
            to: Some(1)
        }
    );
    assert!(matches!(&f.arm[0].action, Some(ArmAction::Status(a)) if a.status == 409));
    assert_eq!(f.arm[1].resource, ArmResource::Any);
    assert_eq!(f.arm[1].latency, Some(Duration::from_secs(2)));
    assert_eq!(f.arm[1].action, None);
    assert_eq!(f.arm[2].method.as_deref(), Some("GET"));
    assert_eq!(f.arm[2].nth, Nth { from: 2, to: None });
    assert!(
        matches!(&f.arm[2].action, Some(ArmAction::Status(a)) if a.code == "ServiceUnavailable")
    );
    assert_eq!(f.arm[3].nth, Nth::EVERY);
    assert_eq!(
        f.arm[3].action,
        Some(ArmAction::Operation(OperationEnd::Canceled))
    );
    assert_eq!(f.token_expires_after, Some(7));
    assert_eq!(
        f.ssh,
        [(
            crate::topology::DeviceId::Ce2,
            SshFault {
                slow: Some(Duration::from_millis(1500)),
                drop_after: Some(3),
                refuse_login: true,
            }
        )]
    );
    assert!(
        Nth {
            from: 2,
            to: Some(3)
        }
        .contains(3)
    );
    assert!(
        !Nth {
            from: 2,
            to: Some(3)
        }
        .contains(4)
    );
}

#[test]
fn every_builtin_scenario_says_what_the_trainee_must_do() {
    for s in builtin(&topo()).expect("the built-in scenarios parse") {
        assert!(!s.objectives.is_empty(), "{} has no [[objective]]", s.name);
    }
    let down = load_builtin("vpn-bgp-down", &topo()).expect("loads");
    let hold = down
        .objectives
        .iter()
        .find(|o| o.kind == cutover_core::drill::ObjectiveKind::NoOverride)
        .expect("vpn-bgp-down: hold the gate");
    assert!(!hold.evidence.is_empty());
}

#[test]
fn a_bad_objective_is_placed_at_its_table() {
    let t = topo();
    let file = |objectives: &str| format!("name = \"x\"\ndescription = \"d\"\n{objectives}");
    let e = parse(
        "x.toml",
        &file("[[objective]]\nid = \"a\"\ntext = \"t\"\nkind = \"be_careful\"\n"),
        &t,
    )
    .expect_err("unknown kind");
    assert_eq!((e.line, e.file.as_str()), (6, "x.toml"), "{e}");
    assert!(e.message.contains("be_careful"), "{e}");
    let twice = "[[objective]]\nid = \"a\"\ntext = \"t\"\nkind = \"completes\"\n";
    let e = parse("x.toml", &file(&format!("{twice}{twice}")), &t).expect_err("twice");
    assert_eq!(e.line, 7, "{e}");
    assert!(e.message.contains("declared twice"), "{e}");
    let e = parse(
        "x.toml",
        &file("[[objective]]\nid = \"a\"\ntext = \"t\"\nkind = \"completes\"\nevidence = [{ step = \"s\", line = \"\" }]\n"),
        &t,
    )
    .expect_err("empty line");
    assert!(e.message.contains("evidence"), "{e}");
}

#[test]
fn convergence_is_a_range_unless_a_scenario_sets_one_value() {
    let t = Timing::default();
    assert_eq!(
        (t.convergence, t.convergence_max),
        (Duration::from_millis(600), Duration::from_millis(1800))
    );
    // ARM's asynchronous operation of a peering PUT: tens of seconds.
    assert_eq!(t.provisioning, Duration::from_secs(20));
    let timing = |body: &str| {
        parse(
            "x.toml",
            &format!("name = \"a\"\ndescription = \"b\"\n[timing]\n{body}"),
            &topo(),
        )
        .map(|s| (s.timing.convergence, s.timing.convergence_max))
    };
    let ms = Duration::from_millis;
    assert_eq!(timing("convergence_ms = 300\n"), Ok((ms(300), ms(300))));
    assert_eq!(
        timing("convergence_ms = 300\nconvergence_max_ms = 2500\n"),
        Ok((ms(300), ms(2500)))
    );
    let e = timing("convergence_ms = 500\nconvergence_max_ms = 400\n").unwrap_err();
    assert_eq!((e.line, e.col), (5, 22), "{e}");
    assert!(e.message.contains("convergence_ms (500)"), "{e}");
}
