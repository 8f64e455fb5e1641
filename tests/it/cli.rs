//! The real binary: `cutover parse` and the exit codes around it.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

fn cutover() -> Command {
    Command::cargo_bin("cutover").expect("binary built")
}

#[test]
fn parse_traceroute_file_prints_contract_json() {
    let out = cutover()
        .args(["parse", "traceroute"])
        .arg(fixture("traceroute/windows/article-before-failover.txt"))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let got: serde_json::Value = serde_json::from_slice(&out).expect("stdout is JSON");
    let want: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture(
            "traceroute/windows/article-before-failover.expected.json",
        ))
        .expect("read"),
    )
    .expect("JSON");
    assert_eq!(got, want);
}

#[test]
fn parse_reads_stdin() {
    let input = std::fs::read(fixture(
        "junos/show-route/genie-ShowRoute-golden_output.txt",
    ))
    .expect("read");
    let out = cutover()
        .args(["parse", "junos-route"])
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let got: serde_json::Value = serde_json::from_slice(&out).expect("stdout is JSON");
    assert_eq!(got["table"], "inet.0");
    assert_eq!(got["routes"][0]["prefix"], "10.169.14.240/32");
}

#[test]
fn parse_help_lists_the_kinds() {
    cutover()
        .args(["parse", "--help"])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("junos-route")
                .and(predicate::str::contains("traceroute"))
                .and(predicate::str::contains("arm-routes"))
                .and(predicate::str::contains("arm-bgp-peers")),
        );
}

#[test]
fn parse_unknown_kind_is_a_usage_error() {
    cutover().args(["parse", "cisco-route"]).assert().code(2);
}

#[test]
fn parse_missing_file_exits_2_naming_it() {
    cutover()
        .args(["parse", "traceroute", "/nonexistent/trace.txt"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/nonexistent/trace.txt"));
}

#[test]
fn parse_garbage_exits_2_with_a_line() {
    cutover()
        .args(["parse", "traceroute"])
        .write_stdin("this is not a traceroute\nat all\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<stdin>"));
    cutover()
        .args(["parse", "arm-routes"])
        .write_stdin("{\"value\": [ {\"network\": 12,, ]}\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<stdin>:1"));
}
