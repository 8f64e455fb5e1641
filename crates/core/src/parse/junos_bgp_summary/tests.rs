use proptest::prelude::*;

use super::junos_cli::{assert_fixtures, line_soup};
use super::parse;
use crate::model::bgp::{BgpSummary, PeerState};
use crate::parse::Kind;

const GENIE: &str = include_str!(
    "../../../../../tests/fixtures/junos/bgp-summary/genie-ShowBgpSummary-golden_output.txt"
);
const GENIE_2: &str = include_str!(
    "../../../../../tests/fixtures/junos/bgp-summary/genie-ShowBgpSummary-golden_output_2.txt"
);
const INSTANCE: &str = include_str!(
    "../../../../../tests/fixtures/junos/bgp-summary/genie-ShowBgpSummaryInstance-golden_output.txt"
);
const LLGR_ACTIVE: &str = include_str!(
    "../../../../../tests/fixtures/junos/bgp-summary/vbernat-networklab-bgp-llgr-one-active.txt"
);
const NAPALM: &str = include_str!(
    "../../../../../tests/fixtures/junos/bgp-summary/napalm-get-bgp-summary-information-pr_581-master.xml"
);
const SRX: &str =
    include_str!("../../../../../tests/fixtures/article/sessions/bgp-summary-srx.txt");
const SRX_XML: &str =
    include_str!("../../../../../tests/fixtures/article/sessions/bgp-summary-srx-xml.xml");

const HEADERS: &str = "Groups: 1 Peers: 1 Down peers: 0
Table          Tot Paths  Act Paths Suppressed    History Damp State    Pending
inet.0
                       2          2          0          0          0          0
Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...
";

fn ok(input: &str) -> BgpSummary {
    parse(input).unwrap_or_else(|e| panic!("{e}\n{input}"))
}

fn err_line(input: &str) -> (usize, String) {
    let e = parse(input).expect_err("must not parse");
    (e.line, e.message)
}

#[test]
fn threading_mode_line_and_counts() {
    let s = ok(GENIE);
    assert_eq!(
        (s.group_count, s.peer_count, s.down_peer_count),
        (Some(14), Some(19), Some(15))
    );
    assert_eq!(
        s.tables.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        ["inet.0", "inet.3", "inet6.0"]
    );
    assert_eq!(
        (s.tables[0].total_paths, s.tables[0].active_paths),
        (1366, 682)
    );
    assert_eq!(s.peers.len(), 19);
}

#[test]
fn last_up_down_in_two_tokens_and_ribs_under_the_peer() {
    let s = ok(GENIE);
    let p = s.peer("10.169.14.240").expect("listed");
    assert_eq!(p.state, PeerState::Establ);
    assert_eq!(
        p.last_up_down_secs,
        3 * 604_800 + 2 * 86_400 + 4 * 3_600 + 19 * 60 + 15
    );
    assert_eq!(
        (p.input_messages, p.output_messages, p.flaps),
        (280_414, 221_573, 127)
    );
    let rib = p.rib("inet.0").expect("inet.0 line");
    assert_eq!(
        (rib.active, rib.received, rib.accepted, rib.damped),
        (682, 684, Some(684), 0)
    );
    assert!(p.rib("inet.3").is_some());
    let connect = s.peer("10.49.216.179").expect("listed");
    assert_eq!(connect.state, PeerState::Connect);
    assert!(connect.ribs.is_empty());
}

#[test]
fn long_ipv6_peer_pushes_the_as_column() {
    let s = ok(GENIE);
    let p = s.peer("2001:db8:6be:89bb::1:140").expect("listed");
    assert_eq!((p.peer_as, p.state.clone()), (65171, PeerState::Connect));
}

#[test]
fn inline_counts_mean_established_in_inet0_and_inet2() {
    let s = ok(GENIE_2);
    let p = s.peer("10.145.0.2").expect("listed");
    assert_eq!(p.state, PeerState::Establ);
    assert_eq!(p.last_up_down_secs, 9);
    let tables: Vec<_> = p.ribs.iter().map(|r| r.table.as_deref()).collect();
    assert_eq!(tables, [Some("inet.0"), Some("inet.2")]);
    // The table names carried trailing spaces.
    assert_eq!(s.tables[0].name, "inet.0");
}

#[test]
fn routing_instance_tables() {
    let s = ok(INSTANCE);
    assert_eq!(s.tables[0].instance.as_deref(), Some("VRF-TEST001"));
    assert_eq!(s.tables[1].name, "VRF-TEST001.mdt.0");
    let p = s.peer("192.168.1.2").expect("listed");
    assert_eq!(p.last_up_down_secs, 245);
    assert_eq!(p.instance(), Some("VRF-TEST001"));
}

#[test]
fn logical_system_prompt_and_non_established_peer_with_routes() {
    let s = ok(LLGR_ACTIVE);
    let p = s.peer("2001:db8:1::2").expect("listed");
    assert_eq!(p.state, PeerState::Active);
    assert_eq!(p.last_up_down_secs, 2);
    assert_eq!(p.rib("inet6.0").map(|r| r.received), Some(1));
    assert_eq!(
        s.peer("2001:db8:2::2").map(|p| p.last_up_down_secs),
        Some(145)
    );
}

#[test]
fn cluster_banner_prompts_and_mode_lines_are_skipped() {
    let s = ok(SRX);
    assert_eq!(s.peers.len(), 4);
    let vpn = s.peer("10.17.11.77").expect("listed");
    assert_eq!((vpn.peer_as, vpn.instance()), (65515, Some("Cust11")));
    assert_eq!(vpn.last_up_down_secs, 2 * 86_400 + 41 * 60 + 56);
}

#[test]
fn table_name_and_counts_on_one_line() {
    let input = "Groups: 1 Peers: 0 Down peers: 0
Table          Tot Paths  Act Paths Suppressed    History Damp State    Pending
inet.0                 8          4          0          0          0          0
Peer                     AS      InPkt     OutPkt    OutQ   Flaps Last Up/Dwn State|#Active/Received/Accepted/Damped...
";
    let s = ok(input);
    assert_eq!(
        (
            s.tables[0].name.as_str(),
            s.tables[0].total_paths,
            s.tables[0].active_paths
        ),
        ("inet.0", 8, 4)
    );
}

#[test]
fn old_three_count_layout_and_asdot() {
    let input = format!(
        "{HEADERS}10.0.0.2            1.10         10         12       0       0     1:02:03 Establ\n  inet.0: 2/4/0\n"
    );
    let s = ok(&input);
    let p = &s.peers[0];
    assert_eq!(p.peer_as, 65_546);
    assert_eq!(p.last_up_down_secs, 3_723);
    let rib = &p.ribs[0];
    assert_eq!(
        (rib.active, rib.received, rib.accepted, rib.damped),
        (2, 4, None, 0)
    );
}

#[test]
fn week_and_hour_units_and_every_state_name() {
    for (state, want) in [
        ("Idle", PeerState::Idle),
        ("OpenSent", PeerState::OpenSent),
        ("OpenConfirm", PeerState::OpenConfirm),
        ("Weird", PeerState::Unknown("Weird".into())),
    ] {
        let input = format!(
            "{HEADERS}10.0.0.2          65002          0          0       0       3    20w6d20h {state}\n"
        );
        let p = &ok(&input).peers[0];
        assert_eq!(p.state, want);
        assert_eq!(p.last_up_down_secs, 20 * 604_800 + 6 * 86_400 + 20 * 3_600);
    }
}

#[test]
fn error_non_numeric_peer_as() {
    let input = format!(
        "{HEADERS}10.0.0.2          65x02          0          0       0       0        4:05 Active\n"
    );
    let (line, message) = err_line(&input);
    assert_eq!(line, 6);
    assert!(message.contains("65x02"), "{message}");
}

#[test]
fn error_garbled_rib_counts() {
    let input = format!(
        "{HEADERS}10.0.0.2          65002          1          1       0       0        4:05 Establ\n  inet.0: 1/x/2\n"
    );
    let (line, message) = err_line(&input);
    assert_eq!(line, 7);
    assert!(message.contains("1/x/2"), "{message}");
}

#[test]
fn error_garbled_inline_counts() {
    let input = format!(
        "{HEADERS}10.0.0.2          65002          1          1       0       0        4:05 1/1/1/0  0/0\n"
    );
    assert_eq!(err_line(&input).0, 6);
}

#[test]
fn error_other_malformed_peer_rows() {
    for (row, line) in [
        ("10.0.0.2          65002          1\n", 6),
        (
            "10.0.0.2          65002          1          1       0       0        4:x5 Establ\n",
            6,
        ),
        (
            "10.0.0.2          65002          1         -1       0       0        4:05 Establ\n",
            6,
        ),
        ("garbage here\n", 6),
        ("  inet.0: 1/1/1/0\n", 6),
        (
            "10.0.0.2          65002          1          1       0       0        4:05 Establ\n  inet.0: 1/1/1/0 extra\n",
            7,
        ),
    ] {
        assert_eq!(err_line(&format!("{HEADERS}{row}")).0, line, "{row}");
    }
}

#[test]
fn error_table_block_problems() {
    let no_counts = "Groups: 1 Peers: 1 Down peers: 0\nTable          Tot Paths  Act Paths Suppressed    History Damp State    Pending\ninet.0\ninet6.0\n";
    assert_eq!(err_line(no_counts).0, 3);
    let bad = "Table          Tot Paths  Act Paths Suppressed    History Damp State    Pending\ninet.0\n  1 2 3 x 5 6\n";
    assert_eq!(err_line(bad).0, 3);
    let nameless = "Table          Tot Paths  Act Paths Suppressed    History Damp State    Pending\n  1 2 3 4 5 6\n";
    assert_eq!(err_line(nameless).0, 2);
    let bad_groups = "Groups: x Peers: 1 Down peers: 0\n";
    assert_eq!(err_line(bad_groups).0, 1);
    let twice = "Groups: 1 Peers: 1 Down peers: 0\nGroups: 1 Peers: 1 Down peers: 0\n";
    assert_eq!(err_line(twice).0, 2);
}

#[test]
fn error_unrelated_input_names_the_header() {
    for input in [
        "",
        "\n\n",
        "user@host> show bgp summary\n",
        "Address State Interface\n",
        "{\"a\": 1}",
    ] {
        let e = parse(input).expect_err(input);
        assert!(e.message.contains("Groups:"), "{input:?}: {e}");
    }
    let (line, _) = err_line(
        "user@r> show version\nHostname: r1\nModel: mx960\nJunos: 20.4R3\nsomething else\n",
    );
    assert_eq!(line, 5);
}

#[test]
fn xml_reply_with_prompt_namespaces_and_seconds_attribute() {
    let s = ok(SRX_XML);
    assert_eq!(s, ok(SRX));
}

#[test]
fn xml_peer_with_several_ribs_and_master_tables() {
    let s = ok(NAPALM);
    let p = s.peer("192.168.2.15").expect("listed");
    assert_eq!(p.last_up_down_secs, 247);
    assert_eq!(p.ribs.len(), 5);
    assert_eq!(
        p.rib("vrf.inet.0")
            .map(|r| (r.received, r.instance.as_deref())),
        Some((3, Some("vrf")))
    );
    assert_eq!(
        p.rib("bgp.l3vpn.0").and_then(|r| r.instance.as_deref()),
        None
    );
}

#[test]
fn xml_without_seconds_reads_the_text() {
    let xml = "<bgp-information><bgp-peer><peer-address>10.0.0.1+179</peer-address><peer-as>1</peer-as>\
        <input-messages>1</input-messages><output-messages>2</output-messages><route-queue-count>0</route-queue-count>\
        <flap-count>0</flap-count><elapsed-time>1w1d2h</elapsed-time><peer-state>Idle</peer-state></bgp-peer></bgp-information>";
    let s = ok(xml);
    assert_eq!(s.group_count, None);
    let p = &s.peers[0];
    assert_eq!(
        (p.address.as_str(), p.state.clone()),
        ("10.0.0.1", PeerState::Idle)
    );
    assert_eq!(p.last_up_down_secs, 8 * 86_400 + 2 * 3_600);
}

#[test]
fn xml_errors_name_the_line() {
    let bad_count = "<bgp-information>\n  <group-count>2</group-count>\n  <peer-count>x</peer-count>\n</bgp-information>";
    assert_eq!(err_line(bad_count).0, 3);
    let no_as = "<bgp-information>\n<bgp-peer>\n<peer-address>10.0.0.1</peer-address>\n</bgp-peer>\n</bgp-information>";
    assert_eq!(err_line(no_as).0, 2);
    let bad_as = "<bgp-information>\n<bgp-peer>\n<peer-address>10.0.0.1</peer-address>\n<peer-as>1/x/2</peer-as>\n</bgp-peer>\n</bgp-information>";
    assert_eq!(err_line(bad_as).0, 4);
    let (_, message) = err_line("<rpc-reply><route-information/></rpc-reply>");
    assert!(message.contains("<bgp-information>"), "{message}");
    let (line, _) = err_line("<bgp-information>\n<group-count>1</peer-count>\n");
    assert!(line >= 1);
}

#[test]
fn article_fixtures_match_their_expected_json() {
    assert_fixtures("article/sessions", "bgp-", Kind::JunosBgpSummary);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_line_soup(input in line_soup(&[GENIE, GENIE_2, INSTANCE, LLGR_ACTIVE, SRX, HEADERS])) {
        let _ = parse(&input);
    }

    #[test]
    fn never_panics_on_xml_soup(input in line_soup(&[NAPALM, SRX_XML])) {
        let _ = parse(&input);
    }

    #[test]
    fn never_panics_on_any_string(input in any::<String>()) {
        let _ = parse(&input);
    }
}

/// Public captures often show the prompt without a user (`srx1> show
/// ...`) or with the host cut (`> show ...`): both are the echo, and an
/// outbound SA or an active next hop that starts with `>` is not.
#[test]
fn prompts_without_a_user_are_the_echo() {
    use super::junos_cli::is_prompt;
    for p in [
        "srx1> show bgp summary",
        "> show security ipsec security-associations",
        "fw1b01> show security ipsec sa",
        "srx1>",
        "root@vsrx# run show route",
        "juniper@R:R1>",
    ] {
        assert!(is_prompt(p), "{p}");
    }
    for answer in [
        ">131073 ESP:aes-cbc-256/sha256 93be8146 3597/ unlim - root 500 52.0.0.1",
        "> to 10.0.0.1 via ge-0/0/0.0",
        "<131073 ESP:aes-cbc-256/sha256 8f2a3b1c 3597/ unlim - root 500 52.0.0.1",
        "{master:0}",
    ] {
        assert!(!is_prompt(answer), "{answer}");
    }
}
