//! `cutover validate` over many circuits through the real binary: three
//! labs (`baseline`, `vpn-bgp-down`, `baseline`) in one run with
//! `--prom-out`, then a directory holding a malformed inventory among good
//! ones. The lab serves one topology, so the three circuits share a name
//! (`SEA-Cust11-ER`); the `inventory` of each line tells them apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cutover_lab::serve::{LabHandle, LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};
use serde_json::Value;

const TOKEN: &str = "validate-many-test-token";

async fn lab(dir: PathBuf, name: &str) -> LabHandle {
    let s = scenario::load_builtin(name, &Topology::article()).expect("scenario");
    start(LabOptions::new(s, dir.join("inventory.toml"), TOKEN))
        .await
        .expect("the lab starts")
}

/// `cutover validate ARGS` from a blocking thread (the labs serve on this
/// runtime meanwhile), with nothing of the developer's own.
async fn validate(home: &Path, args: Vec<std::ffi::OsString>) -> Output {
    let home = home.to_path_buf();
    tokio::task::spawn_blocking(move || {
        Command::new(assert_cmd::cargo::cargo_bin("cutover"))
            .env("HOME", &home)
            .env_remove("SSH_AUTH_SOCK")
            .env(TOKEN_ENV, TOKEN)
            .arg("validate")
            .args(args)
            .output()
            .expect("cutover validate runs")
    })
    .await
    .expect("join")
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: not JSON: {l}")))
        .collect()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("no string `{k}` in {v}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_circuits_in_one_run_then_a_directory_with_a_bad_inventory() {
    let dir = tempfile::tempdir().expect("dir");
    let (a, b, c) = tokio::join!(
        lab(dir.path().join("a"), "baseline"),
        lab(dir.path().join("b"), "vpn-bgp-down"),
        lab(dir.path().join("c"), "baseline"),
    );
    let invs: Vec<PathBuf> = [&a, &b, &c]
        .iter()
        .map(|l| l.inventory_path().to_path_buf())
        .collect();
    let prom = dir.path().join("cutover.prom");
    let mut args: Vec<std::ffi::OsString> = vec!["--json".into(), "--jobs".into(), "3".into()];
    for i in &invs {
        args.push("--inventory".into());
        args.push(i.clone().into());
    }
    args.push("--prom-out".into());
    args.push(prom.clone().into());
    let out = validate(dir.path(), args).await;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let lines = json_lines(&out);
    let mut per_inventory: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for l in &lines {
        assert_eq!(s(l, "circuit"), "SEA-Cust11-ER", "{l}");
        time::OffsetDateTime::parse(s(l, "ts"), &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{e}: {l}"));
        per_inventory
            .entry(s(l, "inventory").to_string())
            .or_default()
            .push(l);
    }
    let names: Vec<String> = invs.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(
        per_inventory.keys().cloned().collect::<Vec<_>>(),
        {
            let mut n = names.clone();
            n.sort();
            n
        },
        "{}",
        text(&out)
    );
    let failed = |inv: &str| {
        per_inventory[inv]
            .iter()
            .filter(|l| s(l, "verdict") == "failed")
            .map(|l| s(l, "step").to_string())
            .collect::<Vec<_>>()
    };
    assert!(failed(&names[0]).is_empty(), "{}", text(&out));
    assert!(failed(&names[2]).is_empty(), "{}", text(&out));
    assert!(
        failed(&names[1])
            .iter()
            .any(|s| s == "fw-bgp-to-vpn-gateway"),
        "{}",
        text(&out)
    );
    // The same checks for every circuit.
    assert_eq!(
        per_inventory[&names[0]].len(),
        per_inventory[&names[1]].len()
    );
    assert_eq!(
        per_inventory[&names[0]].len(),
        per_inventory[&names[2]].len()
    );
    let err = String::from_utf8_lossy(&out.stderr);
    for n in &names {
        let summary = format!("SEA-Cust11-ER ({n}): ");
        assert_eq!(
            err.lines()
                .filter(|l| l.starts_with(&summary) && l.contains(" passed, "))
                .count(),
            1,
            "{err}"
        );
    }

    // One sample per check and circuit, agreeing with the lines.
    let exposition = std::fs::read_to_string(&prom).expect("the prom file is written");
    let samples: Vec<&str> = exposition
        .lines()
        .filter(|l| l.starts_with("cutover_check_passed{"))
        .collect();
    assert_eq!(samples.len(), lines.len(), "{exposition}");
    for l in &lines {
        let want = format!(
            "cutover_check_passed{{circuit=\"SEA-Cust11-ER\",inventory=\"{}\",check=\"{}\",advisory=\"{}\"}} {}",
            s(l, "inventory"),
            s(l, "step"),
            l["advisory"].as_bool().expect("advisory"),
            u8::from(s(l, "verdict") == "passed"),
        );
        assert_eq!(
            samples.iter().filter(|x| **x == want).count(),
            1,
            "{want}\n{exposition}"
        );
    }
    assert_eq!(
        exposition
            .lines()
            .filter(|l| l.starts_with("cutover_validate_last_run_timestamp_seconds{"))
            .count(),
        3,
        "{exposition}"
    );
    assert!(exposition.contains("# TYPE cutover_check_passed gauge\n"));

    // A directory: two good inventories around a malformed one.
    let fleet = dir.path().join("inventories");
    std::fs::create_dir(&fleet).expect("dir");
    std::fs::copy(&invs[0], fleet.join("1-sea.toml")).expect("copy");
    std::fs::write(
        fleet.join("2-broken.toml"),
        "[devices.ce1]\nplatform = \"junos\"\nhost = \n",
    )
    .expect("write");
    std::fs::copy(&invs[2], fleet.join("3-fra.toml")).expect("copy");
    let out = validate(
        dir.path(),
        vec!["--json".into(), "--inventory".into(), fleet.clone().into()],
    )
    .await;
    // Bad input wins over passed: a circuit nobody checked is not a pass.
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    let broken = fleet.join("2-broken.toml").display().to_string();
    assert!(
        err.lines().any(|l| {
            l.strip_prefix(&format!("{broken}:"))
                .and_then(|rest| rest.split_once(": "))
                .and_then(|(pos, _)| pos.split_once(':'))
                .is_some_and(|(line, col)| {
                    line.parse::<u32>().is_ok() && col.parse::<u32>().is_ok()
                })
        }),
        "want {broken}:LINE:COL: …\n{err}"
    );
    let lines = json_lines(&out);
    let seen: std::collections::BTreeSet<&str> = lines.iter().map(|l| s(l, "inventory")).collect();
    let want: std::collections::BTreeSet<String> = ["1-sea.toml", "3-fra.toml"]
        .iter()
        .map(|n| fleet.join(n).display().to_string())
        .collect();
    assert_eq!(
        seen,
        want.iter().map(String::as_str).collect(),
        "{}",
        text(&out)
    );
    assert!(
        lines.iter().all(|l| s(l, "verdict") == "passed"),
        "{}",
        text(&out)
    );

    for l in [a, b, c] {
        l.shutdown().await.expect("lab stops");
    }
}
