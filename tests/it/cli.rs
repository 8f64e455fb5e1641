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

/// Issue 14's forms through the real binary: JSON inside `<rpc-reply>` with
/// interfaces, and a capture cut short, which parses (exit 0) with its
/// warning in the JSON.
#[test]
fn parse_junos_route_rpc_reply_json_and_a_cut_capture_warns() {
    let run = |rel: &str| -> serde_json::Value {
        let out = cutover()
            .args(["parse", "junos-route"])
            .arg(fixture(rel))
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        serde_json::from_slice(&out).expect("stdout is JSON")
    };
    let got = run("junos/route-json/pyez-get-route-information-rpc-reply.json");
    assert_eq!(got["routes"][0]["next_hops"][0], "10.209.63.254");
    assert_eq!(got["routes"][0]["next_hop_interfaces"][0], "em0.0");
    assert!(got.get("warnings").is_none(), "{got}");
    let got = run("junos/show-route/derived-genie-ShowRouteTable-golden_output_3-cut-short.txt");
    assert_eq!(got["routes"].as_array().map(Vec::len), Some(3));
    let warnings = got["warnings"].as_array().expect("warnings");
    assert!(
        warnings[0]
            .as_str()
            .is_some_and(|w| w.contains("cut short")),
        "{got}"
    );
}

#[test]
fn parse_refuses_a_body_of_another_resource_naming_its_type() {
    let peering = fixture("arm/synthetic/peering-get-private-enabled.json");
    let text = std::fs::read_to_string(&peering).expect("read");
    // Where the peering's `type` value is: the error points at it.
    let at = text
        .find("\"Microsoft.Network/expressRouteCircuits/peerings\"")
        .expect("the fixture has a type");
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    for kind in ["arm-circuit", "arm-connection"] {
        cutover()
            .args(["parse", kind])
            .arg(&peering)
            .assert()
            .code(2)
            .stdout(predicate::str::is_empty())
            .stderr(
                predicate::str::contains(format!("{}:{line}:{column}: ", peering.display())).and(
                    predicate::str::contains(
                        "its `type` is `Microsoft.Network/expressRouteCircuits/peerings`",
                    ),
                ),
            );
    }
    cutover()
        .args(["parse", "arm-routes"])
        .write_stdin("{}\n")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("<stdin>:1:1: ").and(predicate::str::contains("{}")));
    cutover()
        .args(["parse", "arm-peering"])
        .arg(&peering)
        .assert()
        .success();
}

#[test]
fn parse_output_cut_short_by_the_reader_is_no_failure() {
    use std::io::Read as _;
    use std::process::Stdio;
    // A capture whose JSON is far longer than a pipe holds, read one byte.
    let mut capture = String::from(
        "Cust11.inet.0: 3000 destinations, 3000 routes (3000 active, 0 holddown, 0 hidden)\n\
         + = Active Route, - = Last Active, * = Both\n\n",
    );
    for i in 0..3000 {
        capture.push_str(&format!(
            "10.{}.{}.0/24       *[Static/5] 2d 21:12:16\n                    >  to 192.0.2.1 via ge-0/0/0.0\n",
            i / 256,
            i % 256
        ));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("capture.txt");
    std::fs::write(&path, capture).expect("write");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("cutover"))
        .args(["parse", "junos-route"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).expect("a first byte");
    assert_eq!(&first, b"{");
    drop(stdout);
    let out = child.wait_with_output().expect("exit");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
