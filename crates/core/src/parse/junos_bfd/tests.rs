use proptest::prelude::*;

use super::parse;
use crate::model::tunnel::{BfdSessions, BfdState};
use crate::parse::Kind;
use crate::parse::junos_bgp_summary::junos_cli::{assert_fixtures, line_soup};

const BRIEF_MISALIGNED: &str = include_str!(
    "../../../../../tests/fixtures/junos/bfd-session/genie-ShowBFDSession-golden_output.txt"
);
const EXTENSIVE: &str = include_str!(
    "../../../../../tests/fixtures/junos/bfd-session/genie-ShowBFDSessionAddressExtensive-golden_output.txt"
);
const DETAIL: &str = include_str!(
    "../../../../../tests/fixtures/junos/bfd-session/genie-ShowBFDSessionDetail-golden_output.txt"
);
const EMPTY: &str = include_str!(
    "../../../../../tests/fixtures/junos/bfd-session/genie-ShowBFDSessionDetail-golden_output2.txt"
);
const VSRX: &str = include_str!(
    "../../../../../tests/fixtures/junos/bfd-session/vbernat-networklab-vsrx-bfd-3sessions.txt"
);
const PYEZ: &str = include_str!(
    "../../../../../tests/fixtures/junos/bfd-session/pyez-get-bfd-session-information-extensive.xml"
);
const CE1_EXTENSIVE: &str =
    include_str!("../../../../../tests/fixtures/article/sessions/bfd-session-ce1-extensive.txt");

const HEADER: &str = "                                                  Detect   Transmit
Address                  State     Interface      Time     Interval  Multiplier
";

fn ok(input: &str) -> BfdSessions {
    parse(input).unwrap_or_else(|e| panic!("{e}\n{input}"))
}

fn err_line(input: &str) -> (usize, String) {
    let e = parse(input).expect_err("must not parse");
    (e.line, e.message)
}

#[test]
fn misaligned_columns_without_the_detect_line_and_an_empty_interface() {
    let s = ok(BRIEF_MISALIGNED);
    assert_eq!(s.sessions.len(), 2);
    let multihop = s.session("10.0.0.1").expect("listed");
    assert_eq!(multihop.interface, None);
    assert_eq!(
        (
            multihop.detect_time_ms,
            multihop.transmit_interval_ms,
            multihop.multiplier
        ),
        (Some(1500), Some(500), Some(3))
    );
    assert_eq!(
        s.session("10.0.0.2").and_then(|x| x.interface.as_deref()),
        Some("ge-0/0/0.0")
    );
    assert_eq!((s.session_count, s.client_count), (Some(2), Some(2)));
    assert_eq!(
        (s.transmit_rate_pps, s.receive_rate_pps),
        (Some(4.0), Some(4.0))
    );
    assert!(
        s.sessions
            .iter()
            .all(|x| x.clients.is_empty() && x.remote_state.is_none())
    );
}

#[test]
fn trailing_spaces_after_multiplier_and_echo() {
    let s = ok(VSRX);
    assert_eq!(s.sessions.len(), 3);
    assert!(
        s.sessions
            .iter()
            .all(|x| x.state == BfdState::Up && x.multiplier == Some(5))
    );
}

#[test]
fn extensive_detail_lines() {
    let s = ok(EXTENSIVE);
    let x = s.session("10.144.0.2").expect("listed");
    assert_eq!(x.clients.len(), 1);
    assert_eq!(x.clients[0].name, "OSPF realm ospf-v2 Area 0.0.0.0");
    assert_eq!(
        (x.clients[0].tx_interval_ms, x.clients[0].rx_interval_ms),
        (Some(1000), Some(1000))
    );
    assert_eq!(x.up_time_secs, Some(9 * 3_600 + 27 * 60 + 10));
    assert_eq!(
        (
            x.local_diagnostic.as_deref(),
            x.remote_diagnostic.as_deref()
        ),
        (Some("None"), Some("None"))
    );
    assert_eq!(
        (x.remote_state.clone(), x.version),
        (Some(BfdState::Up), Some(1))
    );
    assert_eq!(x.session_type.as_deref(), Some("Single hop BFD"));
    assert_eq!(
        (x.local_discriminator, x.remote_discriminator),
        (Some(350), Some(772))
    );
    assert_eq!(x.session_id.as_deref(), Some("0x1b3"));
    // The rate line had no newline and the summary trailing spaces.
    assert_eq!(s.receive_rate_pps, Some(1.0));
}

#[test]
fn detail_multihop_client_without_realm() {
    let s = ok(DETAIL);
    let x = &s.sessions[0];
    assert_eq!(x.clients[0].name, "LDP-OAM");
    assert_eq!(x.clients[0].tx_interval_ms, Some(50));
    assert_eq!(x.session_type.as_deref(), Some("Multi hop BFD"));
    assert_eq!(x.up_time_secs, Some(166));
}

#[test]
fn zero_sessions_alone_is_an_empty_answer() {
    let s = ok(EMPTY);
    assert!(s.sessions.is_empty());
    assert_eq!(
        (s.session_count, s.client_count, s.transmit_rate_pps),
        (Some(0), Some(0), Some(0.0))
    );
}

#[test]
fn up_time_past_a_day_is_hours_and_minutes() {
    let s = ok(CE1_EXTENSIVE);
    assert_eq!(s.sessions[0].up_time_secs, Some(2 * 86_400 + 34 * 60));
    let input = format!(
        "{HEADER}10.0.0.5   Up   1.500  0.500  3\n Session up time 1w2d 03:04:05, previous down time 00:00:04\n"
    );
    assert_eq!(
        ok(&input).sessions[0].up_time_secs,
        Some(9 * 86_400 + 3 * 3_600 + 4 * 60 + 5)
    );
}

#[test]
fn multihop_local_address_and_states() {
    let input = format!(
        "{HEADER}10.0.0.5   Init   1.500  0.500  3\n Multi-hop route table 16, local-address 10.0.0.2\n\
         10.0.0.6   AdminDown  ge-0/0/1.0  0.000  1.000  3\n 10.0.0.7   Failing   0.000  1.000  3\n10.0.0.8 Odd 0.000 1.000 3\n"
    );
    let s = ok(&input);
    let states: Vec<_> = s.sessions.iter().map(|x| x.state.clone()).collect();
    assert_eq!(
        states,
        [
            BfdState::Init,
            BfdState::AdminDown,
            BfdState::Failing,
            BfdState::Unknown("Odd".into())
        ]
    );
    assert_eq!(s.sessions[0].local_address.as_deref(), Some("10.0.0.2"));
    assert_eq!(s.session_count, None);
}

#[test]
fn long_address_alone_on_its_line() {
    let input = format!(
        "{HEADER}2001:db8:1111:2222:3333:4444:5555:6666\n                         Up        ge-0/0/0.0     0.900     0.300        3\n"
    );
    let s = ok(&input);
    assert_eq!(
        s.sessions[0].address,
        "2001:db8:1111:2222:3333:4444:5555:6666"
    );
    assert_eq!(s.sessions[0].interface.as_deref(), Some("ge-0/0/0.0"));
}

#[test]
fn unreadable_detail_values_are_left_out() {
    let input = format!(
        "{HEADER}10.0.0.5   Up   1.500  0.500  3\n Session up time soon\n Remote state Up, version x\n"
    );
    let x = &ok(&input).sessions[0];
    assert_eq!(
        (x.up_time_secs, x.version, x.remote_state.clone()),
        (None, None, Some(BfdState::Up))
    );
}

#[test]
fn errors_in_rows_and_summary_name_the_line() {
    for (body, line) in [
        ("10.0.0.5   Up   1.5x0  0.500  3\n", 3),
        ("10.0.0.5   Up   ge-0/0/0.0  1.500  0.500  x\n", 3),
        ("10.0.0.5   Up   ge-0/0/0.0  1.500\n", 3),
        ("10.0.0.5   Up   a b 1.500 0.5 3\n", 3),
        ("1 sessions, x clients\n", 3),
        (
            "Cumulative transmit rate x pps, cumulative receive rate 1.0 pps\n",
            3,
        ),
        ("Cumulative transmit rate 1.0 pps\n", 3),
        ("not a row\n", 3),
        ("2001:db8::1\n", 3),
    ] {
        assert_eq!(err_line(&format!("{HEADER}{body}")).0, line, "{body}");
    }
}

#[test]
fn unrelated_input_names_the_header() {
    for input in [
        "",
        "user@r> show bfd session\n",
        "Groups: 1 Peers: 1 Down peers: 0\n",
    ] {
        let e = parse(input).expect_err(input);
        assert!(e.message.contains("Address  State"), "{input:?}: {e}");
    }
    assert_eq!(err_line("10.0.0.5   Up   1.500  0.500  3\n").0, 1);
}

#[test]
fn xml_extensive_reply() {
    let s = ok(PYEZ);
    let x = &s.sessions[0];
    assert_eq!(
        (x.address.as_str(), x.state.clone()),
        ("10.92.20.4", BfdState::Down)
    );
    assert_eq!(x.interface, None);
    assert_eq!(
        (x.detect_time_ms, x.transmit_interval_ms, x.multiplier),
        (Some(0), Some(3000), Some(3))
    );
    assert_eq!(x.remote_state, Some(BfdState::AdminDown));
    assert_eq!(x.clients[0].name, "Static");
    assert_eq!(x.local_address.as_deref(), Some("10.60.0.1"));
    assert_eq!(x.session_id.as_deref(), Some("0x1"));
    assert_eq!(
        (s.transmit_rate_pps, s.receive_rate_pps),
        (Some(0.3), Some(0.0))
    );
}

#[test]
fn xml_errors() {
    let e = parse("<rpc-reply><bgp-information/></rpc-reply>").expect_err("wrong reply");
    assert!(e.message.contains("<bfd-session-information>"), "{e}");
    let bad = "<bfd-session-information>\n<bfd-session>\n<session-neighbor>10.0.0.1</session-neighbor>\n\
               <session-state>Up</session-state>\n<session-detection-time>fast</session-detection-time>\n\
               </bfd-session>\n</bfd-session-information>";
    assert_eq!(err_line(bad).0, 5);
    let no_state = "<bfd-session-information>\n<bfd-session>\n<session-neighbor>10.0.0.1</session-neighbor>\n</bfd-session>\n</bfd-session-information>";
    assert_eq!(err_line(no_state).0, 2);
}

#[test]
fn article_fixtures_match_their_expected_json() {
    assert_fixtures("article/sessions", "bfd-", Kind::JunosBfd);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_line_soup(input in line_soup(&[BRIEF_MISALIGNED, EXTENSIVE, DETAIL, EMPTY, VSRX, CE1_EXTENSIVE])) {
        let _ = parse(&input);
    }

    #[test]
    fn never_panics_on_xml_soup(input in line_soup(&[PYEZ])) {
        let _ = parse(&input);
    }

    #[test]
    fn never_panics_on_any_string(input in any::<String>()) {
        let _ = parse(&input);
    }
}
