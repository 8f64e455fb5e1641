//! Every fixture with a hand-checked `NAME.expected.json` beside it must
//! parse to exactly that JSON, field for field.

use std::path::{Path, PathBuf};

use cutover_core::parse::{self, Kind};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The kind a fixture folder holds.
fn kind_for(path: &Path) -> Option<Kind> {
    let rel = path
        .strip_prefix(fixtures())
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    let k = if rel.starts_with("junos/show-route/")
        || rel.starts_with("junos/route-detail/")
        || rel.starts_with("junos/route-json/")
        || rel.starts_with("junos/route-xml/")
        || rel.starts_with("article/route/")
    {
        Kind::JunosRoute
    } else if rel.starts_with("traceroute/") || rel.starts_with("article/traceroute/") {
        Kind::Traceroute
    } else if rel.starts_with("junos/bgp-summary/") || rel.starts_with("article/sessions/bgp-") {
        Kind::JunosBgpSummary
    } else if rel.starts_with("junos/bfd-session/") || rel.starts_with("article/sessions/bfd-") {
        Kind::JunosBfd
    } else if rel.starts_with("junos/ike-sa/") || rel.starts_with("article/sessions/ike-") {
        Kind::JunosIkeSa
    } else if rel.starts_with("junos/ipsec-sa/") || rel.starts_with("article/sessions/ipsec-") {
        Kind::JunosIpsecSa
    } else {
        return None;
    };
    Some(k)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The input a `NAME.expected.json` describes: `NAME.<anything but json>`,
/// or `NAME.json` for JSON captures.
fn input_for(expected: &Path) -> Option<PathBuf> {
    let name = expected
        .file_name()?
        .to_str()?
        .strip_suffix(".expected.json")?;
    let dir = expected.parent()?;
    for ext in ["txt", "xml", "json", "out"] {
        let p = dir.join(format!("{name}.{ext}"));
        if p.exists() {
            return Some(p);
        }
    }
    None
}

#[test]
fn every_expected_fixture_matches() {
    let mut files = Vec::new();
    walk(&fixtures(), &mut files);
    files.sort();
    let mut checked = 0;
    let mut failures = Vec::new();
    for exp in files
        .iter()
        .filter(|p| p.to_string_lossy().ends_with(".expected.json"))
    {
        let Some(kind) = kind_for(exp) else { continue };
        let input = input_for(exp).unwrap_or_else(|| panic!("no input beside {}", exp.display()));
        let text =
            String::from_utf8_lossy(&std::fs::read(&input).expect("read input")).into_owned();
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(exp).expect("read expected"))
                .expect("expected is JSON");
        checked += 1;
        match parse::to_json(kind, &text) {
            Ok(got) if got == want => {}
            Ok(got) => failures.push(format!(
                "{}: mismatch\n  got:  {}\n  want: {}",
                input.display(),
                serde_json::to_string(&got).unwrap_or_default(),
                serde_json::to_string(&want).unwrap_or_default()
            )),
            Err(e) => failures.push(format!("{}: {e}", input.display())),
        }
    }
    assert!(checked >= 30, "only {checked} expected fixtures found");
    assert!(
        failures.is_empty(),
        "{} of {checked} fixtures fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every input file (with or without an expected form) parses without error.
#[test]
fn every_fixture_parses() {
    let mut files = Vec::new();
    walk(&fixtures(), &mut files);
    files.sort();
    let mut failures = Vec::new();
    for f in &files {
        let name = f.to_string_lossy();
        if name.ends_with(".expected.json") || name.ends_with(".md") || name.ends_with(".tsv") {
            continue;
        }
        let Some(kind) = kind_for(f) else { continue };
        let text = String::from_utf8_lossy(&std::fs::read(f).expect("read")).into_owned();
        if let Err(e) = parse::to_json(kind, &text) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
