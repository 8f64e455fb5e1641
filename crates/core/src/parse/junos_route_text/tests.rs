use proptest::prelude::*;

use super::*;

/// One route as a compact tuple: prefix, protocol, active, preference,
/// local_pref, as_path, next_hops, table.
type Row = (
    String,
    Option<String>,
    bool,
    Option<u32>,
    Option<u32>,
    Option<Vec<u32>>,
    Option<Vec<String>>,
    Option<String>,
);

fn rows(input: &str) -> Vec<Row> {
    let list = parse(input).unwrap_or_else(|e| panic!("parse failed: {e}"));
    list.routes
        .into_iter()
        .map(|r| {
            (
                r.prefix.into_owned(),
                r.protocol.map(Cow::into_owned),
                r.active,
                r.preference,
                r.local_pref,
                r.as_path,
                r.next_hops
                    .map(|v| v.into_iter().map(Cow::into_owned).collect()),
                r.table.map(Cow::into_owned),
            )
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn row(
    prefix: &str,
    protocol: Option<&str>,
    active: bool,
    preference: Option<u32>,
    local_pref: Option<u32>,
    as_path: Option<&[u32]>,
    next_hops: Option<&[&str]>,
    table: Option<&str>,
) -> Row {
    (
        prefix.to_string(),
        protocol.map(str::to_string),
        active,
        preference,
        local_pref,
        as_path.map(<[u32]>::to_vec),
        next_hops.map(|v| v.iter().map(|s| s.to_string()).collect()),
        table.map(str::to_string),
    )
}

fn err(input: &str) -> ParseError {
    match parse(input) {
        Ok(list) => panic!("expected an error, got {} routes", list.routes.len()),
        Err(e) => e,
    }
}

// ---------------------------------------------------------------- brief form

const ARTICLE_TABLE: &str = include_str!(
    "../../../../../tests/fixtures/article/route/srx42-01-route-table-cust11-10.17.11.0-24.txt"
);

#[test]
fn brief_article_table_every_path_and_next_hop() {
    let t = Some("Cust11.inet.0");
    let got = rows(ARTICLE_TABLE);
    assert_eq!(got.len(), 10);
    assert_eq!(
        got[0],
        row(
            "10.17.11.0/25",
            Some("bgp"),
            true,
            Some(170),
            Some(150),
            Some(&[12076]),
            Some(&["192.168.11.0", "192.168.11.2"]),
            t
        )
    );
    assert_eq!(
        got[1],
        row(
            "10.17.11.0/25",
            Some("bgp"),
            false,
            Some(170),
            Some(150),
            Some(&[12076]),
            Some(&["192.168.11.2"]),
            t
        )
    );
    assert_eq!(
        got[2],
        row(
            "10.17.11.0/25",
            Some("bgp"),
            false,
            Some(170),
            Some(100),
            Some(&[65515]),
            Some(&[]),
            t
        )
    );
    assert_eq!(
        got[4],
        row(
            "10.17.11.76/32",
            Some("static"),
            true,
            Some(5),
            None,
            None,
            Some(&[]),
            t
        )
    );
    assert_eq!(got[9].0, "10.17.11.128/26");
    let list = parse(ARTICLE_TABLE).expect("parses");
    assert!(
        list.routes
            .iter()
            .all(|r| matches!(r.prefix, Cow::Borrowed(_)))
    );
    assert_eq!(list.table.as_deref(), Some("Cust11.inet.0"));
}

#[test]
fn brief_local_via_marks_and_several_tables() {
    let input = "\
edge@srx> show route

inet.0: 3 destinations, 3 routes (3 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

0.0.0.0/0          *[Access-internal/12] 10:23:19, metric 0
                    >  to 10.200.0.65 via fxp0.0
10.200.0.64/27     *[Direct/0] 10:23:19
                    >  via fxp0.0
10.200.0.68/32     *[Local/0] 10:23:19
                       Local via fxp0.0

inet.3: 2 destinations, 2 routes (1 active, 0 holddown, 0 hidden)
+ = Active Route, - = Last Active, * = Both

10.64.4.4/32       +[LDP/9/4] 02:30:55, metric 110
                    > to 192.168.220.6 via ge-0/0/1.0, Push 307742
                   -[OSPF/10] 02:30:55, metric 110
                      to 192.168.220.6 via ge-0/0/1.0
";
    let got = rows(input);
    let (i0, i3) = (Some("inet.0"), Some("inet.3"));
    assert_eq!(
        got,
        vec![
            row(
                "0.0.0.0/0",
                Some("access-internal"),
                true,
                Some(12),
                None,
                None,
                Some(&["10.200.0.65"]),
                i0
            ),
            row(
                "10.200.0.64/27",
                Some("direct"),
                true,
                Some(0),
                None,
                None,
                Some(&[]),
                i0
            ),
            row(
                "10.200.0.68/32",
                Some("local"),
                true,
                Some(0),
                None,
                None,
                Some(&[]),
                i0
            ),
            row(
                "10.64.4.4/32",
                Some("ldp"),
                true,
                Some(9),
                None,
                None,
                Some(&["192.168.220.6"]),
                i3
            ),
            row(
                "10.64.4.4/32",
                Some("ospf"),
                false,
                Some(10),
                None,
                None,
                Some(&["192.168.220.6"]),
                i3
            ),
        ]
    );
}

#[test]
fn brief_hidden_long_and_typed_destinations() {
    let input = "\
inet6.0: 21 destinations, 21 routes (20 active, 0 holddown, 1 hidden)
+ = Active Route, - = Last Active, * = Both

3001:0:dead:beef::/64
                    [BGP ] 00:00:27, from 3001:2:e10a::10
                    AS path: 65010 I, validation-state: unverified
                    >  to 3001:3::3 via ge-0/0/9.0
202.81.164.0/23     [BGP ] 01:30:18, MED 0, localpref 100
                      AS path: 52320 9304 55821 I, validation-state: invalid
                    >  to 192.168.86.5 via ge-0/0/1.0

default-switch.evpn.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)
2:10.6.0.11:7999::6::52:54:00:8b:38:40/304 MAC/IP
                   *[EVPN/170] 00:10:00
                       Indirect
2567(S=0)          *[L-OSPF/10/5] 1w6d 20:26:02, metric 0
                    > to 10.169.14.121 via ge-0/0/1.0, Pop
2001:db8:7fc5:ca45::1/128*[Static/5] 3w5d 18:30:36
                    >  to 2001:db8:eb18:6337::1 via ge-0/0/1.0
";
    let got = rows(input);
    assert_eq!(
        got[0],
        row(
            "3001:0:dead:beef::/64",
            Some("bgp"),
            false,
            None,
            None,
            Some(&[65010]),
            Some(&["3001:3::3"]),
            Some("inet6.0")
        )
    );
    assert_eq!(
        (got[1].3, got[1].4, got[1].5.as_deref()),
        (None, Some(100), Some(&[52320, 9304, 55821][..]))
    );
    assert_eq!(
        got[2],
        row(
            "2:10.6.0.11:7999::6::52:54:00:8b:38:40/304",
            Some("evpn"),
            true,
            Some(170),
            None,
            None,
            Some(&[]),
            Some("default-switch.evpn.0")
        )
    );
    assert_eq!(
        (got[3].0.as_str(), got[3].1.as_deref()),
        ("2567(S=0)", Some("l-ospf"))
    );
}

#[test]
fn cli_noise_pager_crlf_and_block_indent_are_skipped() {
    let input = "{master:0}\r\nuser@r1> show route table inet.0 | no-more \r\n\r\n    inet.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\r\n    + = Active Route, - = Last Active, * = Both\r\n---(more 45%)---\r                \r    10.0.0.0/8         *[Static/5] 1d\r\n                        > to 10.1.1.1 via ge-0/0/0.0\r\n\r\n{master:0}\r\nuser@r1> \r\n";
    assert_eq!(
        rows(input),
        vec![row(
            "10.0.0.0/8",
            Some("static"),
            true,
            Some(5),
            None,
            None,
            Some(&["10.1.1.1"]),
            Some("inet.0")
        )]
    );
}

#[test]
fn block_indented_output_under_a_flush_left_line() {
    // Only the warning is at column 0: the output's own indentation stays.
    let input = "\
Warning: License key missing; requires 'BGP' license
    inet6.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)
    3001:0:dead:beef::/64
                        *[BGP/170] 00:00:27, localpref 100
                        >  to 3001:3::3 via ge-0/0/9.0
    inet.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)
      Prefix                  Nexthop              MED     Lclpref    AS path
      2:10.6.0.11:7999::6::52:54:00:8b:38:40/304 MAC/IP
    *                         Self                         100        I
";
    let got = rows(input);
    assert_eq!(got.len(), 2);
    assert_eq!(
        (got[0].0.as_str(), got[0].2),
        ("3001:0:dead:beef::/64", true)
    );
    assert_eq!(
        (got[1].0.as_str(), got[1].4, got[1].6.clone()),
        (
            "2:10.6.0.11:7999::6::52:54:00:8b:38:40/304",
            Some(100),
            None
        )
    );
}

#[test]
fn routes_before_any_table_header_have_no_table() {
    let got = rows("10.0.0.0/8 *[Static/5] 1d\n  > to 10.1.1.1 via ge-0/0/0.0\n");
    assert_eq!(got[0].7, None);
    assert_eq!(parse("").expect("empty").table, None);
    assert!(
        parse("\n\n{master}\nuser@r1> show route\n\n")
            .expect("no routes")
            .routes
            .is_empty()
    );
}

// -------------------------------------------------------------- summary form

#[test]
fn summary_advertising_with_blank_columns() {
    let input = include_str!(
        "../../../../../tests/fixtures/article/route/mx03-01-advertising-protocol-bgp-192.168.11.18.txt"
    );
    assert_eq!(
        rows(input),
        vec![row(
            "10.1.11.0/25",
            None,
            true,
            None,
            None,
            Some(&[]),
            None,
            Some("Cust11.inet.0")
        )]
    );
}

#[test]
fn summary_receive_two_commands_in_one_capture() {
    let input = include_str!(
        "../../../../../tests/fixtures/article/route/srx42-01-receive-protocol-bgp-10.17.11.76-and-77-table-cust11.txt"
    );
    let got = rows(input);
    assert_eq!(got.len(), 4);
    let t = Some("Cust11.inet.0");
    assert_eq!(
        got[0],
        row(
            "10.17.11.0/25",
            None,
            false,
            None,
            None,
            Some(&[65515]),
            Some(&["10.17.11.76"]),
            t
        )
    );
    assert_eq!(
        got[3],
        row(
            "10.17.11.128/26",
            None,
            false,
            None,
            None,
            Some(&[65515]),
            Some(&["10.17.11.77"]),
            t
        )
    );
}

#[test]
fn summary_lclpref_med_and_split_lines() {
    let input = "\
root@CORE-1# run show route receive-protocol bgp 10.6.0.21
Warning: License key missing; requires 'BGP' license

bgp.rtarget.0: 12 destinations, 25 routes (12 active, 0 holddown, 0 hidden)
Limit/Threshold: 1048576/1048576 destinations
  Prefix                  Nexthop              MED     Lclpref    AS path
  64011:64011:268435462/96                    
*                         Self                         100        I
* 10.6.0.0/16             192.168.41.2         0       100        65001 {65002 65003} I
  10.7.0.0/16             192.168.41.2         20                 65001 65002 ?
  2:10.6.0.11:7999::6::52:54:00:8b:38:40/304 MAC/IP            
*                         Self                         100        [65000] I
* 10.1.0.0/24             2001:7f8:19:6::1:1                      65001 ?
";
    let t = Some("bgp.rtarget.0");
    assert_eq!(
        rows(input),
        vec![
            row(
                "64011:64011:268435462/96",
                None,
                true,
                None,
                Some(100),
                Some(&[]),
                None,
                t
            ),
            row(
                "10.6.0.0/16",
                None,
                true,
                None,
                Some(100),
                Some(&[65001, 65002, 65003]),
                Some(&["192.168.41.2"]),
                t
            ),
            row(
                "10.7.0.0/16",
                None,
                false,
                None,
                None,
                Some(&[65001, 65002]),
                Some(&["192.168.41.2"]),
                t
            ),
            row(
                "2:10.6.0.11:7999::6::52:54:00:8b:38:40/304",
                None,
                true,
                None,
                Some(100),
                Some(&[]),
                None,
                t
            ),
            row(
                "10.1.0.0/24",
                None,
                true,
                None,
                None,
                Some(&[65001]),
                Some(&["2001:7f8:19:6::1:1"]),
                t
            ),
        ]
    );
}

#[test]
fn summary_with_mangled_header_keeps_data_columns() {
    // A copy whose header lost its spacing (tabs) while the data kept Junos's.
    let input = "\
inet.0: 850018 destinations, 850021 routes (850018 active, 0 holddown, 0 hidden)
Prefix\t\t  Nexthop\t       MED     Lclpref    AS path
* 192.168.225.0/24           10.64.4.4                      100        200000 4 5 6 I
";
    assert_eq!(
        rows(input),
        vec![row(
            "192.168.225.0/24",
            None,
            true,
            None,
            Some(100),
            Some(&[200000, 4, 5, 6]),
            Some(&["10.64.4.4"]),
            Some("inet.0")
        )]
    );
}

// --------------------------------------------------------- detail/extensive

#[test]
fn detail_extensive_skips_tsi_and_indirect_next_hops() {
    let input = "\
    show route extensive

inet.0: 13 destinations, 13 routes (13 active, 0 holddown, 0 hidden)
10.55.0.1/32 (2 entries, 1 announced)
TSI:
KRT in-kernel 10.55.0.1/32 -> {indirect(1048574)}
Page 0 idx 0, (group eBGP_SUT-2 type External) Type 1 val 0x2b47ac54 (adv_entry)
Advertised metrics:
    Nexthop: Self
    AS path: [1] 2 I
    Localpref: 7
    *BGP    Preference: 170/-101
            Next hop type: Router, Next hop index: 595
            Next hop: 10.145.0.2 via ge-0/0/0.0, selected
            Next hop: 10.145.0.6 via ge-0/0/1.0
            Protocol next hop: 10.100.5.5
            AS path: 65001 (65002 65003) I  (Originator)
            Localpref: 100
            Indirect next hops: 1
                    Protocol next hop: 10.100.5.5 Metric: 3
                            Next hop: 10.145.0.9 via ge-0/0/0.0
                                    Nexthop: 10.145.0.9 via ge-0/0/0.0
            Router ID: 10.16.2.2
            Next hop: 10.145.0.99 via ge-0/0/0.0
     OSPF   Preference: 150/10
            Next hop: via st0.118
            AS path: I
         BGP                 /-101
            Next hop: 10.9.9.9 via em1.0, selected
            AS path: 65000 I
            Localpref: 90
";
    let t = Some("inet.0");
    assert_eq!(
        rows(input),
        vec![
            row(
                "10.55.0.1/32",
                Some("bgp"),
                true,
                Some(170),
                Some(100),
                Some(&[65001, 65002, 65003]),
                Some(&["10.145.0.2", "10.145.0.6"]),
                t
            ),
            row(
                "10.55.0.1/32",
                Some("ospf"),
                false,
                Some(150),
                None,
                Some(&[]),
                Some(&[]),
                t
            ),
            row(
                "10.55.0.1/32",
                Some("bgp"),
                false,
                None,
                Some(90),
                Some(&[65000]),
                Some(&["10.9.9.9"]),
                t
            ),
        ]
    );
}

#[test]
fn detail_advertising_and_receive_blocks() {
    let input = "\
juniper@QFX1> show route advertising-protocol bgp 192.0.2.100 extensive

default-switch.evpn.0: 15 destinations, 15 routes (15 active, 0 holddown, 0 hidden)
* 2:192.0.2.11:1::654::50:54:33:00:00:15/304 MAC/IP (1 entry, 1 announced)
 BGP group evpn type Internal
     Nexthop: Self
     Localpref: 100
     AS path: [65000] I

inet.3: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)
2567 (1 entry, 1 announced)
     Accepted
     Nexthop: 10.0.0.1
     AS path: 65001 65002 I
inet6.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)
2001:db8:100::/48 (3 entries, 2 announced)
";
    assert_eq!(
        rows(input),
        vec![
            row(
                "2:192.0.2.11:1::654::50:54:33:00:00:15/304",
                None,
                true,
                None,
                Some(100),
                Some(&[]),
                None,
                Some("default-switch.evpn.0")
            ),
            row(
                "2567",
                None,
                false,
                None,
                None,
                Some(&[65001, 65002]),
                Some(&["10.0.0.1"]),
                Some("inet.3")
            ),
            row(
                "2001:db8:100::/48",
                None,
                false,
                None,
                None,
                None,
                Some(&[]),
                Some("inet6.0")
            ),
        ]
    );
}

#[test]
fn every_text_fixture_parses_to_its_expected_json() {
    let root =
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("tests/fixtures");
    let mut checked = 0;
    for dir in ["junos/show-route", "junos/route-detail", "article/route"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.extension().and_then(|x| x.to_str()) != Some("txt") {
                continue;
            }
            let expected = p.with_extension("expected.json");
            let Ok(want) = std::fs::read_to_string(&expected) else {
                continue;
            };
            let want: serde_json::Value = serde_json::from_str(&want).expect("expected JSON");
            let text = std::fs::read_to_string(&p).expect("read");
            let got = serde_json::to_value(
                parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
            )
            .expect("serializes");
            assert_eq!(got, want, "{}", p.display());
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} text fixtures");
}

// ------------------------------------------------------------------ errors

#[test]
fn error_path_without_destination() {
    let e = err(
        "inet.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\n                    *[BGP/170] 1d\n",
    );
    assert_eq!(e.line, 2);
    assert!(e.message.contains("no destination"), "{e}");
}

#[test]
fn error_next_hop_without_path() {
    let e = err("inet.0: 1 destinations\n\n                    > to 10.1.1.1 via ge-0/0/0.0\n");
    assert_eq!(e.line, 3);
    assert!(e.message.contains("no `[Protocol/preference]` path"), "{e}");
    let e = err("10.0.0.0/8\n    to 10.1.1.1 via ge-0/0/0.0\n");
    assert_eq!(e.line, 2);
    let e = err("10.0.0.0/8\n    AS path: 65000 I\n");
    assert_eq!(e.line, 2);
}

#[test]
fn error_garbled_proto_pref() {
    for bad in [
        "*[BGP170] 1d",
        "*[BGP/17x] 1d",
        "*[BGP/170 1d",
        "*[/170] 1d",
    ] {
        let e = err(&format!("inet.0: 1 destinations\n10.0.0.0/8   {bad}\n"));
        assert_eq!(e.line, 2, "{bad}");
        assert!(e.message.contains("garbled"), "{bad}: {e}");
    }
}

#[test]
fn error_garbled_as_path_and_localpref() {
    let e = err("10.0.0.0/8 *[BGP/170] 1d\n   AS path: 65000 x65001 I\n");
    assert_eq!(e.line, 2);
    let e = err(
        "10.0.0.0/8 (1 entry, 1 announced)\n   *BGP Preference: 170/-101\n   Localpref: lots\n",
    );
    assert_eq!(e.line, 3);
    let e = err("10.0.0.0/8 (1 entry, 1 announced)\n   *BGP Preference: high\n");
    assert_eq!(e.line, 2);
}

#[test]
fn error_detail_lines_without_entry_header() {
    let e = err("inet.0: 1 destinations\n        *BGP    Preference: 170/-101\n");
    assert_eq!(e.line, 2);
    let e = err("inet.0: 1 destinations\n     Nexthop: Self\n");
    assert_eq!(e.line, 2);
}

#[test]
fn error_summary_structure() {
    let head = "inet.0: 1 destinations\n  Prefix                  Nexthop              MED     Lclpref    AS path\n";
    let e = err(&format!(
        "{head}*                         Self                         100        I\n"
    ));
    assert_eq!(e.line, 3);
    assert!(e.message.contains("no prefix"), "{e}");
    let e = err(&format!(
        "{head}  10.0.0.0/8\n  10.1.0.0/16             Self                                    I\n"
    ));
    assert_eq!(e.line, 3);
    let e = err(&format!("{head}  10.0.0.0/8\n"));
    assert_eq!(e.line, 3);
    let e = err(&format!(
        "{head}* 10.0.0.0/8              Self                 abc                I\n"
    ));
    assert_eq!(e.line, 3);
    let e = err(&format!(
        "{head}* 10.0.0.0/8              bogus                                   I\n"
    ));
    assert_eq!(e.line, 3);
}

#[test]
fn error_route_data_in_no_known_form() {
    // A summary table whose header was cut off (a terse line without its
    // header now reads in Junos's columns, with a warning).
    let e = err("inet.0: 1 destinations\n10.0.0.0/8  10.1.1.1   100   I\n");
    assert_eq!(e.line, 2);
}

#[test]
fn error_device_error_message() {
    let e = err(
        "user@r1> show route table nosuch.inet.0\nerror: the routing table nosuch.inet.0 does not exist\n",
    );
    assert_eq!(e.line, 2);
}

// --------------------------------------------------------------- no panics

const FRAGMENTS: &[&str] = &[
    "",
    "   ",
    "user@SEA-SRX42-01> show route table Cust11.inet.0 10.17.11.0/24",
    "{primary:node0}",
    "---(more 45%)---",
    "---(more",
    "\r",
    "Cust11.inet.0: 14 destinations, 21 routes (14 active, 0 holddown, 0 hidden)",
    "+ = Active Route, - = Last Active, * = Both",
    "10.17.11.0/25      *[BGP/170] 2d 00:34:04, localpref 150",
    "                      AS path: 12076 I, validation-state: unverified",
    "                    > to 192.168.11.0 via reth1.11",
    "                      to 192.168.11.2 via reth2.11",
    "                    [BGP/170] 2d 21:12:13, localpref 100, from 10.17.11.76",
    "                    > via st0.118",
    "                       Local via fxp0.0",
    "3001:0:dead:beef::/64",
    "                    [BGP ] 00:00:27, from 3001:2:e10a::10",
    "*[BGP/",
    "[",
    "  Prefix                  Nexthop              MED     Lclpref    AS path",
    "* 10.1.11.0/25            Self                                    I",
    "  10.17.11.0/25           10.17.11.76                             65515 I",
    "  2:10.6.0.11:7999::6::52:54:00:8b:38:40/304 MAC/IP            ",
    "*                         Self                         100        I",
    "* 10.220.0.0/16           Self                 12003   120        (65151 65000) I",
    "10.55.0.0/32 (1 entry, 1 announced)",
    "* 1:192.0.2.11:1::010101010101010101::0/192 AD/EVI (1 entry, 1 announced)",
    "TSI:",
    "KRT in-kernel 10.55.0.0/32 -> {10.30.0.2}",
    "Advertised metrics:",
    "    Nexthop: Self",
    "        *BGP    Preference: 170/-101",
    "         BGP                 /-101",
    "                Next hop: 10.30.0.2 via ge-0/0/2.0, selected",
    "                Next hop: via st0.118",
    "                Protocol next hop: 10.100.5.5",
    "                Indirect next hops: 1",
    "                        Nexthop: 10.145.0.2 via ge-0/0/0.0",
    "                AS path: [1] 2 I ",
    "                Localpref: 100",
    "     Nexthop: 10.0.0.1",
    "2567(S=0) (1 entry, 1 announced)",
    "é 10.0.0.0/8 (ü",
    "日本語 *[BGP/170]",
    "\t*\t",
    " (1 entry",
];

proptest! {
    #[test]
    fn arbitrary_text_never_panics(s in "\\PC*") {
        let _ = parse(&s);
    }

    #[test]
    fn arbitrary_bytes_never_panic(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        let s = String::from_utf8_lossy(&b);
        let _ = parse(&s);
    }

    #[test]
    fn mixes_of_real_fragments_never_panic(
        picks in proptest::collection::vec((0..FRAGMENTS.len(), 0usize..6, any::<bool>()), 0..40)
    ) {
        let mut s = String::new();
        for (i, cut, crlf) in picks {
            let f = FRAGMENTS[i];
            // Also feed fragments cut short, on a char boundary.
            let end = f.char_indices().map(|(i, _)| i).nth(f.chars().count().saturating_sub(cut)).unwrap_or(f.len());
            s.push_str(&f[..end]);
            s.push_str(if crlf { "\r\n" } else { "\n" });
        }
        let _ = parse(&s);
    }
}

// ------------------------------------------------- issue 14: more real forms

/// (prefix, protocol, active, use, next hops, interfaces, from) of each path.
type Seen = (
    String,
    Option<String>,
    bool,
    Option<PathUse>,
    Vec<String>,
    Vec<String>,
    Option<String>,
);

fn seen(list: &RouteList<'_>) -> Vec<Seen> {
    let s = |v: &[Cow<'_, str>]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    list.routes
        .iter()
        .map(|r| {
            (
                r.prefix.to_string(),
                r.protocol.as_deref().map(str::to_string),
                r.active,
                r.path_use,
                r.next_hops.as_deref().map(s).unwrap_or_default(),
                r.next_hop_interfaces()
                    .iter()
                    .map(|x| x.to_string())
                    .collect(),
                r.from().map(str::to_string),
            )
        })
        .collect()
}

fn path(
    prefix: &str,
    proto: Option<&str>,
    active: bool,
    path_use: Option<PathUse>,
    hops: &[&str],
    ifaces: &[&str],
    from: Option<&str>,
) -> Seen {
    (
        prefix.to_string(),
        proto.map(str::to_string),
        active,
        path_use,
        hops.iter().map(|s| s.to_string()).collect(),
        ifaces.iter().map(|s| s.to_string()).collect(),
        from.map(str::to_string),
    )
}

use crate::model::PathUse;

#[test]
fn routing_and_forwarding_use_marks_with_their_legend() {
    let input = "\
root@PE1> show route 192.168.1.4

inet.0: 23 destinations, 28 routes (23 active, 0 holddown, 0 hidden)
@ = Routing Use Only, # = Forwarding Use Only
+ = Active Route, - = Last Active, * = Both

192.168.1.4/32     @[OSPF/10] 00:00:02, metric 300
                       to 172.16.12.1 via ge-0/0/2.0
                    >  to 172.16.15.0 via ge-0/0/5.0
                   #[LDP/9] 00:00:02, metric 300
                       to 172.16.12.1 via ge-0/0/2.0, Push 300000
                    >  to 172.16.15.0 via ge-0/0/5.0, Push 299904
150.100.1.0/24     @[EVPN/170] 01:42:08
                    > to 10.10.5.1 via xe-0/0/2.0
                   #[Multipath/255] 01:42:08, metric2 0
                    > to 10.10.5.1 via xe-0/0/2.0
                      to 10.10.6.1 via xe-0/0/0.0
";
    let list = parse(input).expect("parses");
    let (r, f) = (Some(PathUse::RoutingOnly), Some(PathUse::ForwardingOnly));
    let two = ["172.16.12.1", "172.16.15.0"];
    let two_if = ["ge-0/0/2.0", "ge-0/0/5.0"];
    assert_eq!(
        seen(&list),
        vec![
            path("192.168.1.4/32", Some("ospf"), true, r, &two, &two_if, None),
            path("192.168.1.4/32", Some("ldp"), false, f, &two, &two_if, None),
            path(
                "150.100.1.0/24",
                Some("evpn"),
                true,
                r,
                &["10.10.5.1"],
                &["xe-0/0/2.0"],
                None
            ),
            path(
                "150.100.1.0/24",
                Some("multipath"),
                false,
                f,
                &["10.10.5.1", "10.10.6.1"],
                &["xe-0/0/2.0", "xe-0/0/0.0"],
                None
            ),
        ]
    );
    assert!(list.warnings.is_empty(), "{:?}", list.warnings);
    let json = serde_json::to_value(&list).expect("serializes");
    assert_eq!(json["routes"][0]["use"], "routing-only");
    assert_eq!(json["routes"][1]["use"], "forwarding-only");
    assert!(json["routes"][0].get("use").is_some());
    // A path used for both shows no `use` at all, and a clean list no
    // `warnings`.
    let plain = serde_json::to_value(parse(ARTICLE_TABLE).expect("parses")).expect("json");
    assert!(plain["routes"][0].get("use").is_none());
    assert!(plain.get("warnings").is_none());
}

#[test]
fn interface_next_hops_and_from_are_kept() {
    let list = parse(ARTICLE_TABLE).expect("parses");
    let vpn: Vec<Seen> = seen(&list)
        .into_iter()
        .filter(|p| p.6.is_some() || p.0 == "10.17.11.76/32")
        .collect();
    assert_eq!(
        vpn[0],
        path(
            "10.17.11.0/25",
            Some("bgp"),
            false,
            None,
            &[],
            &["st0.118"],
            Some("10.17.11.76")
        )
    );
    assert!(
        vpn.iter()
            .any(|p| p.0 == "10.17.11.76/32" && p.5 == ["st0.118"] && p.4.is_empty()),
        "{vpn:?}"
    );
    // Addresses and interfaces of the ExpressRoute paths side by side.
    assert_eq!(
        list.routes[0].next_hop_interfaces(),
        ["reth1.11", "reth2.11"]
    );
    // A brief path keeps only the span of its lines, read again when asked.
    assert!(matches!(
        list.routes[0].hop_details,
        crate::model::HopDetails::Brief(_)
    ));
    // Detail: `Next hop: A via IF` and `Next hop: via IF`, not the
    // indirect section's.
    let detail = "\
10.55.0.0/32 (1 entry, 1 announced)
        *BGP    Preference: 170/-101
                Next hop: 10.30.0.2 via ge-0/0/2.0, selected
                Next hop: via st0.118
                Indirect next hops: 1
                        Next hop: 10.145.0.2 via ge-0/0/0.0
";
    let list = parse(detail).expect("parses");
    assert_eq!(
        list.routes[0].next_hop_interfaces(),
        ["ge-0/0/2.0", "st0.118"]
    );
    assert_eq!(
        list.routes[0].next_hops.as_deref(),
        Some(&[Cow::Borrowed("10.30.0.2")][..])
    );
}

const TERSE: &str = "\
root@VMX1:PE1> show route protocol bgp terse

inet.0: 34 destinations, 44 routes (34 active, 1 holddown, 0 hidden)
@ = Routing Use Only, # = Forwarding Use Only
+ = Active Route, - = Last Active, * = Both

A V Destination        P Prf   Metric 1   Metric 2  Next hop        AS path
* ? 10.1.0.2/31        B 170        100          0                  ?
  unverified                                       >10.0.0.3
  ?                    B 170        100          0                  ?
  unverified                                       >10.0.0.3
* V 192.168.10.1/32    B 170        100                             (65001) 2 I
  valid                                            >10.1.0.0
* ? 198.18.100.0/24    E 170                     3 >10.2.3.0
                                                    10.2.4.0
* ? 198.18.200.0/24    D   0                       >irb.200
* ? 198.18.200.1/32    L   0                        Local
* ? 184.164.240.0/24   B 170        200                             9498 20473 47065 I
@ ? 150.100.1.0/24     E 170                       >10.10.5.1
# ?                    M 255                       >10.10.5.1
";

#[test]
fn terse_one_path_per_line() {
    let list = parse(TERSE).expect("parses");
    assert!(list.warnings.is_empty(), "{:?}", list.warnings);
    let t = Some("inet.0");
    assert_eq!(
        rows(TERSE),
        vec![
            row(
                "10.1.0.2/31",
                Some("bgp"),
                true,
                Some(170),
                Some(100),
                Some(&[]),
                Some(&["10.0.0.3"]),
                t
            ),
            row(
                "10.1.0.2/31",
                Some("bgp"),
                false,
                Some(170),
                Some(100),
                Some(&[]),
                Some(&["10.0.0.3"]),
                t
            ),
            row(
                "192.168.10.1/32",
                Some("bgp"),
                true,
                Some(170),
                Some(100),
                Some(&[65001, 2]),
                Some(&["10.1.0.0"]),
                t
            ),
            // `E` (EVPN) is no letter Junos documents: no protocol.
            row(
                "198.18.100.0/24",
                None,
                true,
                Some(170),
                None,
                None,
                Some(&["10.2.3.0", "10.2.4.0"]),
                t
            ),
            row(
                "198.18.200.0/24",
                Some("direct"),
                true,
                Some(0),
                None,
                None,
                Some(&[]),
                t
            ),
            row(
                "198.18.200.1/32",
                None,
                true,
                Some(0),
                None,
                None,
                Some(&[]),
                t
            ),
            row(
                "184.164.240.0/24",
                Some("bgp"),
                true,
                Some(170),
                Some(200),
                Some(&[9498, 20473, 47065]),
                Some(&[]),
                t
            ),
            row(
                "150.100.1.0/24",
                None,
                true,
                Some(170),
                None,
                None,
                Some(&["10.10.5.1"]),
                t
            ),
            row(
                "150.100.1.0/24",
                None,
                false,
                Some(255),
                None,
                None,
                Some(&["10.10.5.1"]),
                t
            ),
        ]
    );
    assert_eq!(list.routes[4].next_hop_interfaces(), ["irb.200"]);
    // `Metric 1` of a BGP path is its local preference (the same routes'
    // brief form says `localpref 100`); other protocols have none.
    assert_eq!(list.routes[4].local_pref, None);
    assert_eq!(list.routes[7].path_use, Some(PathUse::RoutingOnly));
    assert_eq!(list.routes[8].path_use, Some(PathUse::ForwardingOnly));
}

#[test]
fn terse_without_its_header_parses_with_a_warning() {
    // `show route terse | match 10.`: the column header is gone.
    let input = "\
* ? 10.2.0.0/16        S   5                       >10.0.12.1
  ?                    S   7                       >10.0.41.0
";
    let list = parse(input).expect("parses");
    assert_eq!(list.routes.len(), 2);
    assert_eq!(list.routes[1].prefix, "10.2.0.0/16");
    assert_eq!(list.routes[1].preference, Some(7));
    assert!(
        list.warnings
            .iter()
            .any(|w| w.contains("without their `A V Destination")),
        "{:?}",
        list.warnings
    );
    assert!(list.warnings.iter().any(|w| w.contains("no table header")));
}

#[test]
fn terse_errors_name_the_line() {
    let head = "A V Destination        P Prf   Metric 1   Metric 2  Next hop        AS path\n";
    let e = err(&format!(
        "{head}                                                   >10.0.0.3\n"
    ));
    assert_eq!(e.line, 2);
    let e = err(&format!(
        "{head}  ?                    B 170        100          0   ?\n"
    ));
    assert!(e.message.contains("no destination"), "{e}");
    let e = err(&format!(
        "{head}* ? 10.0.0.0/8         B 170        abc                             I\n"
    ));
    assert_eq!(e.line, 2);
    assert!(e.message.contains("not a number"), "{e}");
}

#[test]
fn a_capture_cut_short_warns() {
    // The last path lost its next-hop lines.
    let cut = "\
inet.0: 2 destinations, 2 routes (2 active, 0 holddown, 0 hidden)
10.1.0.0/16        *[Static/5] 1d 02:00:00
                    > to 10.0.0.1 via ge-0/0/0.0
10.2.0.0/16        *[BGP/170] 1d 02:00:00, localpref 100
                      AS path: 65001 I
";
    let list = parse(cut).expect("parses");
    assert_eq!(list.routes.len(), 2);
    assert_eq!(list.warnings.len(), 1, "{:?}", list.warnings);
    assert!(
        list.warnings[0].starts_with("line 4:"),
        "{:?}",
        list.warnings
    );
    assert!(list.warnings[0].contains("cut short"));
    let json = serde_json::to_value(&list).expect("serializes");
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(1));
    // The whole capture: no warning.
    let whole = format!("{cut}                    > to 10.9.9.9 via st0.118\n");
    assert!(parse(&whole).expect("parses").warnings.is_empty());
}

#[test]
fn a_filtered_capture_warns() {
    // `show route | match 10.17`: no table header, no next-hop lines.
    let filtered = "\
10.17.11.0/25      *[BGP/170] 2d 00:34:04, localpref 150
                    [BGP/170] 2d 21:12:13, localpref 100, from 10.17.11.76
10.17.11.76/32     *[Static/5] 2d 21:12:22
";
    let list = parse(filtered).expect("parses");
    assert_eq!(list.routes.len(), 3);
    assert_eq!(list.routes[1].from(), Some("10.17.11.76"));
    assert_eq!(list.warnings.len(), 2, "{:?}", list.warnings);
    assert!(
        list.warnings[0].starts_with("3 path(s) show no next hop"),
        "{:?}",
        list.warnings
    );
    assert!(list.warnings[1].contains("no table header"));
}

#[test]
fn brief_spans_read_back_through_crlf_and_the_pager() {
    let input = "inet.0: 1 destinations, 1 routes (1 active, 0 holddown, 0 hidden)\r\n\
10.17.11.0/25      *[BGP/170] 2d 00:34:04, localpref 100, from 10.17.11.76\r\n\
                      AS path: 65515 I, validation-state: unverified\r\n\
                    > via st0.118\r\n\
---(more 45%)---\r                      via st0.119\r\n\
10.17.11.76/32     *[Static/5] 2d 21:12:16\r\n";
    let list = parse(input).expect("parses");
    assert_eq!(list.routes[0].next_hop_interfaces(), ["st0.118", "st0.119"]);
    assert_eq!(list.routes[0].from(), Some("10.17.11.76"));
    // Each path's span is its own: the next path starts afresh.
    assert!(list.routes[1].next_hop_interfaces().is_empty());
    assert_eq!(list.routes[1].from(), None);
}
