use std::path::Path;

use crate::parse::{Kind, WriteJsonError, to_json, write_json};

/// What `cutover parse` printed before it streamed: the JSON tree, pretty.
fn tree_bytes(input: &str) -> Result<Vec<u8>, String> {
    to_json(Kind::JunosRoute, input)
        .map(|v| serde_json::to_vec_pretty(&v).expect("serializes"))
        .map_err(|e| e.to_string())
}

fn streamed_bytes(input: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    match write_json(Kind::JunosRoute, input, &mut out) {
        Ok(()) => Ok(out),
        Err(WriteJsonError::Parse(e)) => {
            assert!(out.is_empty(), "wrote {} bytes before refusing", out.len());
            Err(e.to_string())
        }
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn every_text_fixture_streams_the_bytes_of_the_tree() {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures"));
    let mut checked = 0;
    for dir in ["junos/show-route", "junos/route-detail", "article/route"] {
        for entry in std::fs::read_dir(root.join(dir))
            .expect("fixture dir")
            .flatten()
        {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) != Some("txt") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            assert_eq!(
                streamed_bytes(&text),
                tree_bytes(&text),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} fixtures");
}

#[test]
fn warnings_errors_and_empty_captures_stream_alike() {
    let cut_short = "Cust11.inet.0: 2 destinations, 2 routes (2 active, 0 holddown, 0 hidden)\n\
        + = Active Route, - = Last Active, * = Both\n\n\
        10.0.0.0/24        *[Static/5] 2d 21:12:16\n                    >  via st0.118\n\
        10.0.1.0/24        *[Static/5] 2d 21:12:16\n";
    let no_header = "10.0.0.0/24        *[Static/5] 2d 21:12:16\n                    >  via st0.118\n\
        10.0.1.0/24        *[Static/5] 2d 21:12:16\n                    >  via st0.119\n";
    for input in [
        cut_short,
        no_header,
        "",
        "user@r> show route table X\n\n",
        "10.0.0.0/24 *[Bogus\nthis is not a route\n",
    ] {
        assert_eq!(streamed_bytes(input), tree_bytes(input), "{input}");
    }
}

#[test]
fn a_big_capture_streams_the_bytes_of_the_tree() {
    use std::fmt::Write as _;
    let mut text = String::from(
        "Cust11.inet.0: 5000 destinations, 10000 routes (5000 active, 0 holddown, 0 hidden)\n\
         + = Active Route, - = Last Active, * = Both\n\n",
    );
    for i in 0..5000 {
        let _ = write!(
            text,
            "{:<19}*[BGP/170] 2d 00:34:04, localpref 150\n\
             \x20                     AS path: 12076 I, validation-state: unverified\n\
             \x20                   >  to 192.168.11.0 via reth1.11\n\
             \x20                   [BGP/170] 2d 21:12:13, localpref 100, from 10.17.11.76\n\
             \x20                     AS path: 65515 I, validation-state: unverified\n\
             \x20                   >  via st0.118\n",
            format!("10.{}.{}.0/24", i / 256, i % 256)
        );
    }
    let streamed = streamed_bytes(&text).expect("parses");
    assert_eq!(Ok(streamed), tree_bytes(&text));
}
