//! `--prom-out`: the results in the Prometheus text exposition format, for
//! node_exporter's textfile collector. The file is replaced atomically
//! (a temporary file in the same directory, fsynced, renamed), so the
//! collector never reads half of it. It holds names and verdicts only:
//! no evidence, no error text, nothing an inventory's secrets could reach.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::lines::{checks, verdict};
use super::many::{Checked, Circuit, CircuitResult};

/// A label value escaped per the exposition format: `\`, `"` and a line
/// feed.
pub(super) fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for ch in v.chars() {
        match ch {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let inner: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
        .collect();
    format!("{{{}}}", inner.join(","))
}

fn seconds(t: OffsetDateTime) -> String {
    format!("{:.3}", t.unix_timestamp_nanos() as f64 / 1e9)
}

/// The exposition text. Every sample carries `inventory` besides
/// `circuit`: two inventories may name circuits alike (names are unique
/// per resource group only), and a series must stay unique.
pub(super) fn render(circuits: &[Circuit], now: OffsetDateTime) -> String {
    let mut s = String::new();
    family(
        &mut s,
        "cutover_inventory_valid",
        "1 when the inventory was read and fits the runbook, 0 when it was bad input (not checked).",
    );
    for c in circuits {
        let inv = c.inventory.display().to_string();
        let ok = u8::from(!matches!(c.result, CircuitResult::Bad(_)));
        let _ = writeln!(
            s,
            "cutover_inventory_valid{} {ok}",
            labels(&[("inventory", &inv)])
        );
    }
    family(
        &mut s,
        "cutover_check_passed",
        "1 when the check passed, 0 when it failed or warned (advisory=\"true\": a warning).",
    );
    for c in circuits {
        let Some(k) = checked(c) else { continue };
        let inv = c.inventory.display().to_string();
        for step in checks(k) {
            let advisory = if step.advisory { "true" } else { "false" };
            let l = labels(&[
                ("circuit", &c.circuit),
                ("inventory", &inv),
                ("check", &step.step),
                ("advisory", advisory),
            ]);
            let passed = u8::from(verdict(step) == "passed");
            let _ = writeln!(s, "cutover_check_passed{l} {passed}");
        }
    }
    per_circuit(
        &mut s,
        "cutover_validate_exit_code",
        "The circuit's exit status: 0 all passed, 1 a check failed, 2 bad input.",
        circuits,
        |c| Some(c.exit_code().to_string()),
    );
    per_circuit(
        &mut s,
        "cutover_validate_duration_seconds",
        "How long the circuit's checks took.",
        circuits,
        |c| checked(c).map(|k| format!("{:.3}", k.elapsed.as_secs_f64())),
    );
    per_circuit(
        &mut s,
        "cutover_validate_last_run_timestamp_seconds",
        "When the circuit's checks last ran to the end (Unix time).",
        circuits,
        |c| checked(c).map(|k| seconds(k.finished)),
    );
    family(
        &mut s,
        "cutover_validate_file_timestamp_seconds",
        "When this file was written (Unix time): stale when the timer stops.",
    );
    let _ = writeln!(
        s,
        "cutover_validate_file_timestamp_seconds {}",
        seconds(now)
    );
    s
}

fn family(s: &mut String, name: &str, help: &str) {
    let _ = writeln!(s, "# HELP {name} {help}");
    let _ = writeln!(s, "# TYPE {name} gauge");
}

/// A gauge with one sample per circuit (labelled `circuit` and
/// `inventory`) for which `value` gives one.
fn per_circuit(
    s: &mut String,
    name: &str,
    help: &str,
    circuits: &[Circuit],
    value: impl Fn(&Circuit) -> Option<String>,
) {
    family(s, name, help);
    for c in circuits {
        let Some(v) = value(c) else { continue };
        let inv = c.inventory.display().to_string();
        let l = labels(&[("circuit", &c.circuit), ("inventory", &inv)]);
        let _ = writeln!(s, "{name}{l} {v}");
    }
}

/// The checks' results, when the circuit's inventory was good input.
fn checked(c: &Circuit) -> Option<&Checked> {
    match &c.result {
        CircuitResult::Checked(k) => Some(k),
        CircuitResult::Bad(_) => None,
    }
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Before any circuit runs: the directory exists and the target is not a
/// directory, so a typo costs seconds, not a whole run.
pub(super) fn check_target(path: &Path) -> Result<(), String> {
    let dir = parent(path);
    if !dir.is_dir() {
        return Err(format!("{} is not a directory", dir.display()));
    }
    if path.is_dir() {
        return Err("is a directory".into());
    }
    if path.file_name().is_none() {
        return Err("names no file".into());
    }
    Ok(())
}

/// Replaces `path` with `text`: a temporary file beside it (a dot file
/// not ending in `.prom`, which the collector ignores), fsynced, renamed
/// over the target, then the directory fsynced. Mode 0644, the textfile
/// collector's convention (the file holds no secret).
pub(super) fn write_atomic(path: &Path, text: &str) -> Result<(), String> {
    let dir = parent(path);
    let name = path
        .file_name()
        .ok_or_else(|| "names no file".to_string())?
        .to_string_lossy()
        .into_owned();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        // A leftover of a killed run goes; `create_new` then never follows
        // a link someone put in its place.
        match std::fs::remove_file(&tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o644);
        }
        let mut f = opts.open(&tmp)?;
        #[cfg(unix)]
        {
            // The process umask may have narrowed the mode at creation;
            // the collector runs as another user and must read it.
            use std::os::unix::fs::PermissionsExt as _;
            f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
        }
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        #[cfg(unix)]
        std::fs::File::open(&dir)?.sync_all()?;
        Ok(())
    })();
    result.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("cannot write: {e}")
    })
}
