//! `cutover validate` tells each cause once: in one lab `fw` refuses
//! every login (`refuse_login`) and ARM answers every call 401; in another
//! the known_hosts records other keys than the devices present (a changed
//! host key). Each cause stops many checks; stderr has one line per
//! cause naming its checks (ARM's per-call request ids left out), the
//! summary repeats each shared cause under its circuit, and `--json`
//! still has one failed line per check with its own error.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cutover_lab::serve::{LabHandle, LabOptions, TOKEN_ENV, start};
use cutover_lab::{Topology, scenario};
use serde_json::Value;

const TOKEN: &str = "validate-causes-test-token";

async fn lab(dir: PathBuf, faults: &str) -> LabHandle {
    let text = format!("name = \"causes\"\ndescription = \"validate causes\"\n{faults}");
    let s = scenario::parse("causes.toml", &text, &Topology::article()).expect("scenario");
    start(LabOptions::new(s, dir.join("inventory.toml"), TOKEN))
        .await
        .expect("the lab starts")
}

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

/// Every known_hosts line's key replaced by another valid key: each
/// device now presents a key that differs from the one on record.
fn change_host_keys(lab: &LabHandle) {
    let other = std::fs::read_to_string(lab.inventory_path().with_extension("id_ed25519.pub"))
        .expect("the lab's client key");
    let blob = other.split_whitespace().nth(1).expect("a key blob");
    let kh = lab.known_hosts();
    let text = std::fs::read_to_string(kh).expect("known_hosts");
    let changed: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            format!("{} {} {blob}", f[0], f[1])
        })
        .collect();
    std::fs::write(kh, changed.join("\n") + "\n").expect("write known_hosts");
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_cause_is_one_line_naming_its_checks_and_json_keeps_one_line_per_check() {
    let dir = tempfile::tempdir().expect("dir");
    let (refused, changed) = tokio::join!(
        lab(
            dir.path().join("a"),
            "[[ssh.fault]]\ndevice = \"fw\"\nrefuse_login = true\n[[arm.fault]]\nstatus = 401\n",
        ),
        lab(dir.path().join("b"), ""),
    );
    change_host_keys(&changed);
    let invs = [refused.inventory_path(), changed.inventory_path()];
    let mut args: Vec<std::ffi::OsString> = vec!["--json".into(), "--jobs".into(), "2".into()];
    for i in invs {
        args.push("--inventory".into());
        args.push(i.into());
    }
    let out = validate(dir.path(), args).await;
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let all = format!(
        "stdout:\n{}\nstderr:\n{err}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();

    for inv in invs {
        let inv = inv.display().to_string();
        let prefix = format!("SEA-Cust11-ER ({inv}): ");
        let mine: Vec<&Value> = lines.iter().filter(|l| s(l, "inventory") == inv).collect();
        let failed: Vec<&Value> = mine
            .iter()
            .copied()
            .filter(|l| s(l, "verdict") == "failed")
            .collect();
        // JSON: still one line per check, each failed one with its error.
        assert!(failed.len() >= 4, "{all}");
        for l in &failed {
            assert!(!s(l, "error").is_empty(), "{l}");
        }
        let told: Vec<&str> = err
            .lines()
            .filter(|l| l.starts_with(&prefix) && !l.contains(" passed, "))
            .collect();
        let recap: Vec<&str> = {
            let at = err
                .lines()
                .position(|l| l.starts_with(&prefix) && l.contains(" passed, "))
                .unwrap_or_else(|| panic!("no summary for {inv}: {all}"));
            err.lines()
                .skip(at + 1)
                .take_while(|l| l.starts_with("  one cause: "))
                .collect()
        };
        // Every failed check is named, and no reason is told twice.
        for l in &failed {
            let step = s(l, "step");
            let named = told
                .iter()
                .filter(|t| {
                    [",", ")", ";"]
                        .iter()
                        .any(|end| t.contains(&format!(" {step}{end}")))
                        || t.contains(&format!(": {step}: "))
                })
                .count();
            assert_eq!(named, 1, "{step} is named once in stderr:\n{all}");
        }
        assert!(told.len() < failed.len(), "grouped: {told:#?}\n{all}");
        let grouped: Vec<&&str> = told
            .iter()
            .filter(|t| t.contains(", one cause: "))
            .collect();
        assert_eq!(
            recap.len(),
            grouped.len(),
            "the summary names each cause: {all}"
        );
        if inv == refused.inventory_path().display().to_string() {
            let fw: Vec<&&str> = told
                .iter()
                .filter(|t| t.contains("fw: authentication failed"))
                .collect();
            assert_eq!(fw.len(), 1, "{all}");
            let fw_failed = failed.iter().filter(|l| s(l, "device") == "fw").count();
            assert!(
                fw[0].contains(&format!("{fw_failed} checks failed, one cause: ")),
                "{all}"
            );
            let arm: Vec<&&str> = told
                .iter()
                .filter(|t| t.contains("azure: no answer: authentication"))
                .collect();
            assert_eq!(arm.len(), 1, "ARM's 401 is one cause: {all}");
            assert!(!arm[0].contains("request id"), "{all}");
        } else {
            let host_key = told
                .iter()
                .filter(|t| t.to_lowercase().contains("host key"))
                .count();
            assert!(
                host_key >= 3,
                "one line per device whose key changed: {all}"
            );
            assert_eq!(host_key, told.len(), "{all}");
        }
    }
    let (a, b) = tokio::join!(refused.shutdown(), changed.shutdown());
    a.expect("lab a stops");
    b.expect("lab b stops");
}
