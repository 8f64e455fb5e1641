use super::*;
use proptest::prelude::*;

const FIXTURES: &[&str] = &[
    include_str!("../../../../../tests/fixtures/traceroute/linux/jc-freebsd12-traceroute6.txt"),
    include_str!("../../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute-n-ipv4.txt"),
    include_str!("../../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute2.txt"),
    include_str!("../../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute7.txt"),
    include_str!("../../../../../tests/fixtures/traceroute/linux/jc-generic-traceroute8.txt"),
    include_str!(
        "../../../../../tests/fixtures/traceroute/junos/genie-TracerouteNoResolve-golden_output_2.txt"
    ),
    include_str!(
        "../../../../../tests/fixtures/traceroute/junos/napalm-traceroute-8.8.8.8-rpc-reply.xml"
    ),
    include_str!("../../../../../tests/fixtures/traceroute/windows/article-before-failover.txt"),
    include_str!("../../../../../tests/fixtures/traceroute/windows/article-after-failover.txt"),
];

/// Lines no fixture holds but real outputs do.
const EXTRA_LINES: &[&str] = &[
    "     MPLS Label=299792 CoS=0 TTL=1 S=1",
    " 3  10.0.0.1  3.0 ms !H  3.1 ms !N  *",
    " 4  10.0.0.2  1.1ms  1.2ms  1.3ms",
    "  2  10.0.0.1  reports: Destination net unreachable.",
    "  3     *        *        *     要求がタイムアウトしました。",
    "10.17.11.132 へのルートをトレースしています",
    "over a maximum of 30 hops:",
    "Tracing route to vm.example [10.17.11.132]",
    "traceroute to 10.17.11.132 (10.17.11.132), 30 hops max, 60 byte packets",
    "user@SEA-SRX42-01> traceroute 10.17.11.132 routing-instance Cust11",
    "{primary:node0}",
    " x  10.0.0.1  1.0 ms",
    " 5  10.0.0.1  abc ms",
    "300  10.0.0.1  1 ms",
    "<hop><ttl-value>1</ttl-value><probe-result><rtt>12</rtt></probe-result></hop>",
    "</traceroute-results></rpc-reply>",
    "",
];

fn real_lines() -> Vec<&'static str> {
    FIXTURES
        .iter()
        .flat_map(|f| f.lines())
        .chain(EXTRA_LINES.iter().copied())
        .collect()
}

fn check(input: &str) {
    if let Ok(trace) = parse(input) {
        for pair in trace.hops.windows(2) {
            if let [a, b] = pair {
                assert!(a.ttl < b.ttl, "TTLs not increasing in {trace:?}");
            }
        }
        assert!(trace.hops.iter().all(|h| h.ttl >= 1));
        for hop in &trace.hops {
            assert_eq!(
                hop.timeout,
                hop.addresses.is_empty() && hop.rtts_ms.is_empty()
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn mixes_of_real_lines_never_panic(
        picked in prop::collection::vec(prop::sample::select(real_lines()), 0..40)
    ) {
        check(&picked.join("\n"));
    }

    #[test]
    fn real_lines_after_each_header_never_panic(
        header in prop::sample::select(vec![
            "traceroute to 10.17.11.132 (10.17.11.132), 30 hops max, 60 byte packets",
            "Tracing route to 10.17.11.132 over a maximum of 30 hops",
            "<rpc-reply><traceroute-results><target-ip>10.17.11.132</target-ip>",
        ]),
        picked in prop::collection::vec(
            prop_oneof![3 => prop::sample::select(real_lines()).prop_map(str::to_owned), 1 => ".{0,30}"],
            0..40,
        )
    ) {
        check(&format!("{header}\n{}", picked.join("\n")));
    }

    #[test]
    fn chopped_fixtures_never_panic(idx in 0..FIXTURES.len(), cut in 0usize..6000, ins in ".{0,8}") {
        let f = FIXTURES[idx];
        let mut at = cut.min(f.len());
        while !f.is_char_boundary(at) {
            at -= 1;
        }
        check(&f[..at]);
        check(&format!("{}{ins}{}", &f[..at], &f[at..]));
    }
}

/// A well-formed trace: per hop, a TTL step and per probe `None` (no
/// answer) or the answering address (an index into a small pool, so
/// repeats happen) and an RTT in microseconds.
type Step = (u8, Vec<Option<(usize, u32)>>);

fn traces() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(
        (
            1u8..4,
            prop::collection::vec(prop::option::of((0usize..4, 0u32..2_000_000)), 1..4),
        ),
        0..20,
    )
}

const POOL: [&str; 4] = ["10.1.11.1", "192.168.11.18", "2001:db8::1", "10.17.11.132"];

fn expected(steps: &[Step], rtt: impl Fn(u32) -> f64) -> Vec<Hop> {
    let mut ttl = 0u8;
    steps
        .iter()
        .map(|(step, probes)| {
            ttl += step;
            let mut hop = empty_hop(ttl);
            for (a, us) in probes.iter().flatten() {
                add_address(&mut hop, POOL[*a]);
                hop.rtts_ms.push(rtt(*us));
            }
            hop.timeout = hop.addresses.is_empty();
            hop
        })
        .collect()
}

proptest! {
    #[test]
    fn linux_rendering_round_trips(steps in traces()) {
        let mut text = String::from("traceroute to 10.17.11.132 (10.17.11.132), 60 hops max\n");
        let mut ttl = 0u8;
        for (step, probes) in &steps {
            ttl += step;
            text.push_str(&format!("{ttl:2} "));
            let mut last = None;
            for p in probes {
                match p {
                    None => text.push_str(" *"),
                    Some((a, us)) => {
                        if last != Some(*a) {
                            text.push_str(&format!(" {}", POOL[*a]));
                            last = Some(*a);
                        }
                        text.push_str(&format!("  {}.{:03} ms", us / 1000, us % 1000));
                    }
                }
            }
            text.push('\n');
        }
        let t = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(t.hops, expected(&steps, |us| f64::from(us) / 1000.0));
    }

    #[test]
    fn windows_rendering_round_trips(steps in traces()) {
        // tracert shows one address per hop: make every answer come from it
        let steps: Vec<_> = steps
            .into_iter()
            .map(|(s, probes)| {
                let a = probes.iter().flatten().map(|(a, _)| *a).next();
                (s, probes.into_iter().map(|p| p.map(|(_, us)| (a.unwrap_or(0), us))).collect::<Vec<_>>())
            })
            .collect();
        let mut text = String::from("Tracing route to 10.17.11.132 over a maximum of 60 hops\n\n");
        let mut ttl = 0u8;
        for (step, probes) in &steps {
            ttl += step;
            text.push_str(&format!("{ttl:3}"));
            for p in probes {
                match p {
                    None => text.push_str("     *   "),
                    Some((_, us)) if *us < 1000 => text.push_str("    <1 ms"),
                    Some((_, us)) => text.push_str(&format!("  {:4} ms", us / 1000)),
                }
            }
            match probes.iter().flatten().next() {
                Some((a, _)) => text.push_str(&format!("  {}\n", POOL[*a])),
                None => text.push_str("  Request timed out.\n"),
            }
        }
        text.push_str("\nTrace complete.\n");
        let t = parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(t.hops, expected(&steps, |us| f64::from((us / 1000).max(1))));
    }
}

#[test]
fn detects_each_format() {
    assert_eq!(detect("<rpc-reply>").ok(), Some(Format::Xml { offset: 0 }));
    assert_eq!(
        detect("r1> traceroute 1.2.3.4 | display xml\n<rpc-reply>").ok(),
        Some(Format::Xml { offset: 37 })
    );
    assert_eq!(
        detect("$ traceroute -n h\ntraceroute to h (1.2.3.4), 30 hops max\n").ok(),
        Some(Format::Bsd {
            header: 2,
            target: Some("1.2.3.4".into())
        })
    );
    assert_eq!(
        detect("traceroute6 to h (2001:db8::1) from 2001:db8::2, 64 hops max").ok(),
        Some(Format::Bsd {
            header: 1,
            target: Some("2001:db8::1".into())
        })
    );
    assert_eq!(
        detect("C:\\>tracert h\n\nTracing route to h [1.2.3.4]\nover a maximum of 30 hops:\n").ok(),
        Some(Format::Windows {
            header: 3,
            target: Some("1.2.3.4".into())
        })
    );
}

#[test]
fn header_target_forms() {
    assert_eq!(
        header_target("1.2.3.4 (1.2.3.4), 30 hops max", '(', ')').as_deref(),
        Some("1.2.3.4")
    );
    assert_eq!(
        header_target("h, 30 hops max", '(', ')').as_deref(),
        Some("h")
    );
    assert_eq!(
        header_target("h(1.2.3.4), 30 hops", '(', ')').as_deref(),
        Some("1.2.3.4")
    );
    assert_eq!(
        header_target("10.17.11.132 over a maximum of 30 hops", '[', ']').as_deref(),
        Some("10.17.11.132")
    );
    assert_eq!(header_target("", '(', ')'), None);
}

#[test]
fn no_header_is_an_error() {
    let e = parse(" 1  10.0.0.1  0.5 ms\n 2  * * *\n").expect_err("must be refused");
    assert_eq!(e.line, 0);
    assert!(parse("").is_err());
    assert!(parse("  1    <1 ms    <1 ms    <1 ms  10.1.11.1\n").is_err());
}

#[test]
fn number_forms() {
    assert_eq!(number("0.512"), Some(0.512));
    assert_eq!(number("11"), Some(11.0));
    assert_eq!(number("<1"), Some(1.0));
    assert_eq!(number("1,5"), Some(1.5));
    for bad in [
        "", ".5", "5.", "inf", "NaN", "1e3", "1.2.3", "-1", "<", "１",
    ] {
        assert_eq!(number(bad), None, "{bad}");
    }
}

#[test]
fn address_forms() {
    for good in ["10.1.11.1", "2001:db8::1", "fe80::1%eth0", "::1"] {
        assert!(is_addr(good), "{good}");
    }
    for bad in ["10.1.11", "host", "fe80::1%", "1.2.3.4%eth0", "[10.1.1.1]"] {
        assert!(!is_addr(bad), "{bad}");
    }
}

/// A Junos `traceroute | display xml` reply of `probes` probes of TTL 1
/// (each its own `<hop>`, as Junos repeats `<hop>` when the probes of one
/// TTL answer from different addresses), `per_line` elements to a line,
/// addresses cycling through `distinct` values, and the `<rtt>` of probe
/// `bad` (if any) not a number. Returns the text and the line of that `<rtt>`.
fn big_junos_xml(
    probes: usize,
    per_line: usize,
    distinct: usize,
    bad: Option<usize>,
) -> (String, usize) {
    use std::fmt::Write as _;
    let mut s = String::from(
        "user@r> traceroute 10.0.0.1 | display xml\n<rpc-reply>\n<traceroute-results>\n<target-ip>10.0.0.1</target-ip>\n",
    );
    let mut line = 5;
    let mut bad_line = 0;
    for i in 0..probes {
        let a = i % distinct;
        let rtt = if Some(i) == bad {
            bad_line = line;
            "5x0"
        } else {
            "500"
        };
        let _ = write!(
            s,
            "<hop><ttl-value>1</ttl-value><probe-result><ip-address>10.{}.{}.1</ip-address><rtt>{rtt}</rtt></probe-result></hop>",
            a >> 8,
            a & 0xff
        );
        if (i + 1) % per_line == 0 {
            s.push('\n');
            line += 1;
        }
    }
    s.push_str("\n</traceroute-results>\n</rpc-reply>\n\nuser@r> ");
    (s, bad_line)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// Line numbers on big inputs come from one running count: they must
    /// still be the line the fault is on, wherever it is.
    #[test]
    fn big_xml_errors_name_the_right_line(
        probes in 2_000usize..20_000,
        per_line in 1usize..40,
        at in 0.0f64..1.0,
    ) {
        let bad = ((probes as f64 * at) as usize).min(probes - 1);
        let (xml, line) = big_junos_xml(probes, per_line, probes, Some(bad));
        let e = parse(&xml).expect_err("a non-numeric <rtt> is refused");
        prop_assert_eq!(e.line, line, "{}", e);
        prop_assert!(e.message.contains("5x0"), "{}", e);
    }

    #[test]
    fn big_xml_merges_probes_and_keeps_each_address_once(
        probes in 2_000usize..20_000,
        distinct in 1usize..400,
    ) {
        let (xml, _) = big_junos_xml(probes, 7, distinct, None);
        let t = parse(&xml).expect("parses");
        prop_assert_eq!(t.hops.len(), 1);
        let want: Vec<String> = (0..distinct.min(probes))
            .map(|a| format!("10.{}.{}.1", a >> 8, a & 0xff))
            .collect();
        prop_assert_eq!(&t.hops[0].addresses, &want);
        prop_assert_eq!(t.hops[0].rtts_ms.len(), probes);
    }
}

/// The input: 300k sibling elements in 2.4 MB. It took 35 s when
/// every start tag's line was counted from the start of the input; the
/// test holds no clock (benches/parse.rs measures it), it only proves the
/// input reads, and a quadratic parser would not finish in CI's time.
#[test]
fn three_hundred_thousand_siblings_read() {
    let mut xml = String::from("<rpc-reply>\n<traceroute-results>\n");
    for _ in 0..300_000 {
        xml.push_str("<x/>\n");
    }
    xml.push_str("<hop><ttl-value>1</ttl-value><probe-result><rtt>9x</rtt></probe-result></hop>\n");
    xml.push_str("</traceroute-results>\n</rpc-reply>\n");
    let e = parse(&xml).expect_err("the bad <rtt> is refused");
    assert_eq!(e.line, 300_003, "{e}");
}
