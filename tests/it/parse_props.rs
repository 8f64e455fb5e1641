//! No input may panic a parser: arbitrary text, and real fixtures cut,
//! spliced and corrupted, go through every kind via the public dispatcher.

use std::path::Path;

use clap::ValueEnum;
use cutover_core::parse::{self, Kind};
use proptest::prelude::*;

fn fixture_texts() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.to_string_lossy().ends_with(".expected.json")
                && !p.extension().is_some_and(|x| x == "md" || x == "tsv")
                && let Ok(b) = std::fs::read(&p)
            {
                out.push(String::from_utf8_lossy(&b).into_owned());
            }
        }
    }
    out.sort();
    out
}

fn all_kinds() -> &'static [Kind] {
    Kind::value_variants()
}

fn parse_all(text: &str) {
    for &k in all_kinds() {
        // Ok or Err are both fine; a panic fails the test.
        let _ = parse::to_json(k, text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,400}") {
        parse_all(&s);
    }

    #[test]
    fn structured_noise_never_panics(
        lines in proptest::collection::vec(
            prop_oneof![
                Just("inet.0: 3 destinations, 3 routes (3 active, 0 holddown, 0 hidden)".to_string()),
                Just("10.1.11.0/25       *[BGP/170] 1d 02:03:04, localpref 150".to_string()),
                Just("                      AS path: 12076 I, validation-state: unverified".to_string()),
                Just("                    >  to 192.168.11.18 via ge-0/0/1.0".to_string()),
                Just(" 1  10.1.11.1  0.512 ms  0.401 ms *".to_string()),
                Just("traceroute to 10.17.11.132 (10.17.11.132), 30 hops max".to_string()),
                Just("Tracing route to 10.17.11.132".to_string()),
                Just("  2     *        *        *     Request timed out.".to_string()),
                Just("<rt-entry><active-tag>*</active-tag>".to_string()),
                Just("[{\"data\":".to_string()),
                Just("{\"value\": [".to_string()),
                "[ -~]{0,60}",
            ],
            0..40,
        )
    ) {
        parse_all(&lines.join("\n"));
    }

    #[test]
    fn corrupted_fixtures_never_panic(idx in 0usize..10_000, cut in 0usize..100_000, flip in 0usize..100_000, byte in any::<u8>()) {
        let texts = fixture_texts();
        prop_assume!(!texts.is_empty());
        let t = &texts[idx % texts.len()];
        let mut b = t.as_bytes().to_vec();
        if !b.is_empty() {
            let i = flip % b.len();
            b[i] = byte;
            b.truncate(cut % (b.len() + 1));
        }
        parse_all(&String::from_utf8_lossy(&b));
    }
}

/// Cuts every fixture at line boundaries: every one of the first lines (where
/// headers and format detection live), then evenly spaced cuts through the
/// rest — every line of a 5,000-line capture would make this test quadratic.
#[test]
fn every_fixture_truncated_at_line_boundaries_never_panics() {
    const HEAD: usize = 40;
    const SPREAD: usize = 60;
    for t in fixture_texts() {
        let ends: Vec<usize> = t
            .split_inclusive('\n')
            .scan(0, |end, line| {
                *end += line.len();
                Some(*end)
            })
            .collect();
        let step = (ends.len() / SPREAD).max(1);
        for (i, &end) in ends.iter().enumerate() {
            if i < HEAD || i % step == 0 {
                parse_all(&t[..end]);
            }
        }
    }
}
