use proptest::prelude::*;

use super::parse;
use crate::model::tunnel::{Direction, IpsecSas, VpnMonitor};
use crate::parse::Kind;
use crate::parse::junos_bgp_summary::junos_cli::{assert_fixtures, line_soup};

const GCP: &str = include_str!(
    "../../../../../tests/fixtures/junos/ipsec-sa/gcp-community-srx-ipsec-2tunnels.txt"
);
const CLUSTER: &str =
    include_str!("../../../../../tests/fixtures/article/sessions/ipsec-sa-srx.txt");

const OLD_LAYOUT: &str = "user@srx> show security ipsec security-associations
  Total active tunnels: 1
  ID    Gateway          Port  Algorithm       SPI      Life:sec/kb  Mon vsys
  <2    192.0.2.10      500   ESP:3des/sha1   6a4b8a5c 3363/ unlim   -   0
  >2    192.0.2.10      500   ESP:3des/sha1   c8f1bd2d 3363/ unlim   -   0
";

const NAT_T_GCM: &str = "  Total active tunnels: 1     Total Ipsec sas: 2
  ID    Algorithm       SPI      Life:sec/kb  Mon lsys Port  Gateway
  <2147483650 ESP:aes-gcm-128/None 0badcafe 28755/4608000 D root 4500 198.51.100.7
  >2147483650 ESP:aes-gcm-128/None 1badcafe 28755/unlim D root 4500 198.51.100.7
";

const HEADER: &str = "  ID    Algorithm       SPI      Life:sec/kb  Mon lsys Port  Gateway\n";

fn ok(input: &str) -> IpsecSas {
    parse(input).unwrap_or_else(|e| panic!("{e}\n{input}"))
}

fn err_line(input: &str) -> (usize, String) {
    let e = parse(input).expect_err("must not parse");
    (e.line, e.message)
}

#[test]
fn current_layout_two_rows_per_tunnel() {
    let s = ok(GCP);
    assert_eq!((s.total_active_tunnels, s.total_sas), (Some(2), None));
    assert_eq!(s.sas.len(), 4);
    let inbound = &s.sas[0];
    assert_eq!(
        (inbound.tunnel_id, inbound.direction),
        (131_073, Direction::In)
    );
    assert_eq!(inbound.algorithm.as_deref(), Some("ESP:aes-cbc-128/sha1"));
    assert_eq!(inbound.spi.as_deref(), Some("a2fde6d8"));
    assert_eq!(
        (inbound.lifetime_secs, inbound.lifetime_kb),
        (Some(2618), None)
    );
    assert_eq!(
        (
            inbound.monitoring.clone(),
            inbound.lsys.as_deref(),
            inbound.port
        ),
        (None, Some("root"), Some(500))
    );
    assert_eq!(inbound.gateway.as_deref(), Some("35.230.59.183"));
    assert_eq!(s.sas[1].direction, Direction::Out);
    assert_eq!(s.tunnel(131_074).count(), 2);
}

#[test]
fn old_layout_columns_follow_the_header() {
    let s = ok(OLD_LAYOUT);
    let sa = &s.sas[0];
    assert_eq!(
        (sa.tunnel_id, sa.gateway.as_deref(), sa.port),
        (2, Some("192.0.2.10"), Some(500))
    );
    assert_eq!(
        (sa.algorithm.as_deref(), sa.spi.as_deref()),
        (Some("ESP:3des/sha1"), Some("6a4b8a5c"))
    );
    assert_eq!(
        (sa.lifetime_secs, sa.lsys.as_deref()),
        (Some(3363), Some("0"))
    );
}

#[test]
fn nat_t_gcm_ten_digit_ids_and_monitoring_down() {
    let s = ok(NAT_T_GCM);
    assert_eq!((s.total_active_tunnels, s.total_sas), (Some(1), Some(2)));
    let sa = &s.sas[0];
    assert_eq!((sa.tunnel_id, sa.port), (2_147_483_650, Some(4500)));
    assert_eq!(
        (sa.lifetime_secs, sa.lifetime_kb),
        (Some(28_755), Some(4_608_000))
    );
    assert_eq!(sa.monitoring, Some(VpnMonitor::Down));
    assert_eq!(s.sas[1].lifetime_kb, None);
}

#[test]
fn chassis_cluster_totals_are_summed_and_nodes_named() {
    let s = ok(CLUSTER);
    assert_eq!((s.total_active_tunnels, s.total_sas), (Some(2), Some(4)));
    assert!(s.sas.iter().all(|sa| sa.node.as_deref() == Some("node0")));
    assert_eq!(s.sas[0].monitoring, Some(VpnMonitor::Up));
}

#[test]
fn lifetime_spellings() {
    for (life, secs) in ["3363/ unlim", "3363/unlim", "3363 /unlim"]
        .into_iter()
        .zip([3363, 3363, 3363])
    {
        let input = format!("{HEADER}  <2 ESP:3des/sha1 6a4b8a5c {life} - root 500 192.0.2.10\n");
        let sa = &ok(&input).sas[0];
        assert_eq!(
            (sa.lifetime_secs, sa.lifetime_kb),
            (Some(secs), None),
            "{life}"
        );
    }
    let spaced =
        format!("{HEADER}  < 2 ESP:3des/sha1 6a4b8a5c 3363/ unlim - root 500 192.0.2.10\n");
    assert_eq!(ok(&spaced).sas[0].tunnel_id, 2);
}

#[test]
fn zero_tunnels_and_empty_capture() {
    let s = ok("  Total active tunnels: 0\n");
    assert_eq!((s.total_active_tunnels, s.sas.len()), (Some(0), 0));
    assert_eq!(ok("").total_active_tunnels, None);
}

#[test]
fn malformed_rows_name_the_line() {
    for (row, needle) in [
        (
            "  131073 ESP:aes-cbc-128/sha1 a2fde6d8 2618/ unlim - root 500 35.230.59.183\n",
            "`<` or `>`",
        ),
        (
            "  <13x073 ESP:aes-cbc-128/sha1 a2fde6d8 2618/ unlim - root 500 35.230.59.183\n",
            "13x073",
        ),
        (
            "  <131073 ESP:aes-cbc-128/sha1 a2fde6zz 2618/ unlim - root 500 35.230.59.183\n",
            "SPI",
        ),
        (
            "  <131073 ESP:aes-cbc-128/sha1 a2fde6d8 26x8/ unlim - root 500 35.230.59.183\n",
            "26x8",
        ),
        (
            "  <131073 ESP:aes-cbc-128/sha1 a2fde6d8 2618/ lots - root 500 35.230.59.183\n",
            "lots",
        ),
        (
            "  <131073 ESP:aes-cbc-128/sha1 a2fde6d8 2618/ unlim - root 5o0 35.230.59.183\n",
            "5o0",
        ),
        (
            "  <131073 ESP:aes-cbc-128/sha1 a2fde6d8 2618/ unlim - root 500 gateway-1\n",
            "gateway-1",
        ),
        (
            "  <131073 ESP:aes-cbc-128/sha1 a2fde6d8 2618/ unlim - root 500\n",
            "fewer",
        ),
        (
            "  <131073 ESP:aes-cbc-128/sha1 a2fde6d8 2618/ unlim - root 500 35.230.59.183 extra\n",
            "more",
        ),
    ] {
        let (line, message) = err_line(&format!("  Total active tunnels: 1\n{HEADER}{row}"));
        assert_eq!(line, 3, "{row}");
        assert!(message.contains(needle), "{row}: {message}");
    }
    let (_, message) = err_line("  Total active tunnels: x\n");
    assert!(message.contains("`x`"), "{message}");
}

#[test]
fn unrelated_input_names_the_header() {
    let (line, message) =
        err_line("user@srx> show security ipsec security-associations\nerror: syntax error\n");
    assert_eq!(line, 2);
    assert!(message.contains("Total active tunnels"), "{message}");
}

#[test]
fn article_fixtures_match_their_expected_json() {
    assert_fixtures("article/sessions", "ipsec-", Kind::JunosIpsecSa);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn never_panics_on_line_soup(input in line_soup(&[GCP, CLUSTER, OLD_LAYOUT, NAT_T_GCM, IKED])) {
        let _ = parse(&input);
    }

    #[test]
    fn never_panics_on_any_string(input in any::<String>()) {
        let _ = parse(&input);
    }
}

const IKED: &str =
    include_str!("../../../../../tests/fixtures/junos/ipsec-sa/iked-0x-spi-2tunnels.txt");

#[test]
fn iked_prints_0x_spis_and_a_capital_s() {
    let s = ok(IKED);
    assert_eq!((s.total_active_tunnels, s.total_sas), (Some(2), Some(4)));
    let spis: Vec<_> = s.sas.iter().map(|sa| sa.spi.as_deref()).collect();
    assert_eq!(
        spis,
        [
            Some("5e0c7a19"),
            Some("c3a8f062"),
            Some("0a1b2c3d"),
            Some("d4e5f607")
        ]
    );
    assert_eq!(s.sas[2].monitoring, Some(VpnMonitor::Up));
    assert_fixtures("junos/ipsec-sa", "iked-", Kind::JunosIpsecSa);
}

#[test]
fn totals_read_in_any_capitalisation_and_on_their_own_lines() {
    for totals in [
        "  Total active tunnels: 1     Total Ipsec sas: 2\n",
        "  Total active tunnels: 1     Total IPsec sas: 2\n",
        "  TOTAL ACTIVE TUNNELS: 1     total ipsec sas: 2\n",
        "Total active tunnels: 1\nTotal IPsec sas: 2\n",
    ] {
        let s = ok(&format!(
            "{totals}{HEADER}  <2 ESP:aes-gcm-128/None 0X0BADCAFE 100/ unlim - root 500 192.0.2.1\n"
        ));
        assert_eq!(
            (s.total_active_tunnels, s.total_sas),
            (Some(1), Some(2)),
            "{totals}"
        );
        assert_eq!(s.sas[0].spi.as_deref(), Some("0BADCAFE"));
    }
}

#[test]
fn a_0x_prefix_alone_or_with_non_hex_digits_is_refused() {
    for spi in ["0x", "0xzz12", "0x0x12"] {
        let (line, message) = err_line(&format!(
            "  Total active tunnels: 1\n{HEADER}  <2 ESP:aes-gcm-128/None {spi} 100/ unlim - root 500 192.0.2.1\n"
        ));
        assert_eq!(line, 3, "{spi}");
        assert!(
            message.contains(&format!("SPI `{spi}`")),
            "{spi}: {message}"
        );
    }
    let (line, message) = err_line("  Total IPsec sas: many\n");
    assert_eq!(line, 1);
    assert!(message.contains("Total IPsec sas"), "{message}");
}
