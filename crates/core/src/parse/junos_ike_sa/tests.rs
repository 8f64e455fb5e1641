use proptest::prelude::*;

use super::parse;
use crate::model::tunnel::{IkeSas, IkeState};
use crate::parse::Kind;
use crate::parse::junos_bgp_summary::junos_cli::{assert_fixtures, line_soup};

const GCP: &str =
    include_str!("../../../../../tests/fixtures/junos/ike-sa/gcp-community-srx-ike-2sa.txt");
const CLUSTER: &str =
    include_str!("../../../../../tests/fixtures/article/sessions/ike-sa-srx-one-down.txt");

const OLD_LAYOUT: &str = "user@srx> show security ike security-associations
Index   Remote Address  State  Initiator cookie  Responder cookie  Mode
4       192.0.2.10      UP     5e1db3f9d50b0f2e  4d3ab2e41b13a1f2  Main
7       192.0.2.11      DOWN   a1b2c3d4e5f60718  0000000000000000  Main
";

fn ok(input: &str) -> IkeSas {
    parse(input).unwrap_or_else(|e| panic!("{e}\n{input}"))
}

fn err_line(input: &str) -> (usize, String) {
    let e = parse(input).expect_err("must not parse");
    (e.line, e.message)
}

#[test]
fn current_layout_from_configuration_mode() {
    let s = ok(GCP);
    assert_eq!(s.sas.len(), 2);
    let sa = &s.sas[0];
    assert_eq!(
        (sa.index, sa.state.clone(), sa.mode.as_str()),
        (1_590_399, IkeState::Up, "IKEv2")
    );
    assert_eq!(
        (sa.initiator_cookie.as_str(), sa.responder_cookie.as_str()),
        ("e1f16b380e661b93", "34379d5726ea8545")
    );
    assert_eq!(sa.remote_address, "35.233.197.145");
    assert_eq!(sa.node, None);
    assert_eq!(s.sas[1].remote_address, "35.230.59.183");
}

#[test]
fn old_layout_with_main_mode_and_a_down_sa() {
    let s = ok(OLD_LAYOUT);
    assert_eq!(s.sas.len(), 2);
    assert_eq!(
        (s.sas[0].remote_address.as_str(), s.sas[0].mode.as_str()),
        ("192.0.2.10", "Main")
    );
    assert_eq!(s.sas[1].state, IkeState::Down);
    assert_eq!(s.sas[1].responder_cookie, "0000000000000000");
}

#[test]
fn chassis_cluster_sections() {
    let s = ok(CLUSTER);
    assert_eq!(s.sas.len(), 2);
    assert!(s.sas.iter().all(|sa| sa.node.as_deref() == Some("node0")));
    let two_nodes = "{primary:node0}\nnode0:\n------------------\n\
        Index   State  Initiator cookie  Responder cookie  Mode           Remote Address\n\
        1 UP 0123456789abcdef fedcba9876543210 IKEv2 192.0.2.1\n\n\
        node1:\n------------------\n\
        Index   State  Initiator cookie  Responder cookie  Mode           Remote Address\n\
        2 UP 1123456789abcdef fedcba9876543211 IKEv2 192.0.2.2\n";
    let nodes: Vec<_> = ok(two_nodes).sas.into_iter().map(|sa| sa.node).collect();
    assert_eq!(nodes, [Some("node0".to_owned()), Some("node1".to_owned())]);
}

#[test]
fn no_sa_at_all_is_an_empty_list() {
    for input in [
        "",
        "root@vsrx# run show security ike security-associations\n\n[edit]\nroot@vsrx# ",
        "node0:\n-----\n\nnode1:\n-----\n",
    ] {
        assert!(ok(input).sas.is_empty(), "{input:?}");
    }
}

#[test]
fn malformed_rows_name_the_line() {
    let header =
        "Index   State  Initiator cookie  Responder cookie  Mode           Remote Address\n";
    for (row, needle) in [
        (
            "15x0399 UP e1f16b380e661b93 34379d5726ea8545 IKEv2 35.233.197.145\n",
            "15x0399",
        ),
        (
            "1590399 UP e1f16b380e661bzz 34379d5726ea8545 IKEv2 35.233.197.145\n",
            "initiator cookie",
        ),
        (
            "1590399 UP e1f16b380e661b93 - IKEv2 35.233.197.145\n",
            "responder cookie",
        ),
        (
            "1590399 UP e1f16b380e661b93 34379d5726ea8545 IKEv2 vpn.example\n",
            "vpn.example",
        ),
        ("1590399 UP e1f16b380e661b93 34379d5726ea8545 IKEv2\n", "6"),
    ] {
        let (line, message) = err_line(&format!("{header}{row}"));
        assert_eq!(line, 2, "{row}");
        assert!(message.contains(needle), "{row}: {message}");
    }
}

#[test]
fn unrelated_input_names_the_header() {
    let (line, message) = err_line("root@vsrx> show version\nHostname: vsrx\n");
    assert_eq!(line, 2);
    assert!(message.contains("Initiator cookie"), "{message}");
    let (line, _) = err_line("  Total active tunnels: 2\n");
    assert_eq!(line, 1);
}

#[test]
fn article_fixtures_match_their_expected_json() {
    assert_fixtures("article/sessions", "ike-", Kind::JunosIkeSa);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_line_soup(input in line_soup(&[GCP, CLUSTER, OLD_LAYOUT])) {
        let _ = parse(&input);
    }

    #[test]
    fn never_panics_on_any_string(input in any::<String>()) {
        let _ = parse(&input);
    }
}
