//! A lab that behaves like a network (issue 15 item 6): per-probe round
//! trip jitter, the VPN slower than ExpressRoute, a failover timed by BFD
//! and convergence, and `--time-scale`, which compresses the long waits
//! (the hold time, ARM's operations) and is said on screen and in the
//! journal.
//!
//! The real binary runs at `--time-scale 0.15` (ARM operations of 3 s, not
//! 20 s): the failover it measures is BFD and convergence, which are never
//! compressed (crates/lab's `bfd_detection_is_never_compressed`).

use serde_json::Value;

use crate::cli_support::{cutover, events};
use crate::engine_support::*;
use crate::ui_support::classifier;
use cutover_core::session::Event;
use cutover_core::session::state::SessionState;

#[tokio::test(start_paused = true)]
async fn the_lab_time_scale_is_journaled_right_after_the_start_and_folded() {
    let scale = Event::LabTimeScale {
        factor: 0.1,
        hold_time_ms: 18_000,
        arm_operation_ms: 2_000,
    };
    let mut compressed = config();
    compressed.start_events.push(scale.clone());
    let run = run_session(
        failover_runbook(),
        Net::new(),
        compressed,
        operator_confirming(),
    )
    .await;
    assert_eq!(run.outcome.exit_code(), 0, "{}", run.outcome.outcome);
    assert_eq!(&run.kinds()[..2], ["session_start", "lab_time_scale"]);
    assert_eq!(run.events[1], scale);
    assert_eq!(run.count("lab_time_scale"), 1);
    let mut state = SessionState::new(classifier());
    for e in &run.events {
        state.apply(e);
    }
    assert_eq!(state.lab_time_scale, Some(0.1));
    // Without one, nothing is said: a run is in real time.
    let plain = run_session(
        failover_runbook(),
        Net::new(),
        config(),
        operator_confirming(),
    )
    .await;
    assert_eq!(plain.count("lab_time_scale"), 0);
}

/// The last hop's round-trip times of each server traceroute a step
/// parsed, with the path it took.
fn last_hops(evs: &[Value]) -> Vec<(String, Vec<f64>)> {
    evs.iter()
        .filter(|e| e["kind"] == "probe" && e["query"] == "trace")
        .filter_map(|e| {
            let hop = e["parsed"]["hops"].as_array()?.last()?.clone();
            let rtts: Vec<f64> = hop["rtts_ms"]
                .as_array()?
                .iter()
                .filter_map(Value::as_f64)
                .collect();
            let raw = e["raw"].as_str()?;
            // Over ExpressRoute the CE answers as the third hop.
            let path = if raw.contains(" 3  192.168.11.18 ") {
                "er"
            } else {
                "vpn"
            };
            (!rtts.is_empty()).then(|| (path.to_string(), rtts))
        })
        .collect()
}

#[test]
fn a_baseline_drill_fails_over_in_seconds_over_a_slower_jittering_vpn() {
    let dir = tempfile::tempdir().expect("dir");
    let journal = dir.path().join("baseline.jsonl");
    let out = cutover(dir.path())
        .args([
            "drill",
            "--headless",
            "--auto-confirm",
            "--scenario",
            "baseline",
        ])
        .args([
            "--time-scale",
            "0.15",
            "--settle",
            "2s",
            "--deadline",
            "20s",
        ])
        .arg("--journal")
        .arg(&journal)
        .output()
        .expect("cutover runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let evs = events(&journal);

    // Announced: in the journal right after the start, and on screen.
    assert_eq!(evs[1]["kind"], "lab_time_scale", "{}", evs[1]);
    assert_eq!(
        (
            &evs[1]["factor"],
            &evs[1]["hold_time_ms"],
            &evs[1]["arm_operation_ms"]
        ),
        (
            &Value::from(0.15),
            &Value::from(27_000),
            &Value::from(3_000)
        )
    );
    assert!(
        stdout.contains(
            " lab_time_scale   - lab time ×0.15: hold time 27.0 s, ARM operations 3.0 s;"
        ),
        "{stdout}"
    );

    // The failover, measured from the accepted PUT to the first probe on
    // the VPN: BFD (0.9 s) and convergence, within 0.5 s to 10 s.
    let r = cutover(dir.path())
        .args(["report", "--format", "json"])
        .arg(&journal)
        .output()
        .expect("report");
    assert_eq!(r.status.code(), Some(0));
    let report: Value = serde_json::from_slice(&r.stdout).expect("JSON");
    let failover: Vec<&Value> = report["timings"]
        .as_array()
        .expect("timings")
        .iter()
        .filter(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("failover."))
        })
        .collect();
    assert_eq!(failover.len(), 2, "{:#}", report["timings"]);
    for t in failover {
        let most = t["millis"].as_u64().expect("millis");
        let least = most - t["uncertainty_ms"].as_u64().unwrap_or(0);
        assert!(
            least >= 500 && most <= 10_000,
            "{}: {least}..{most} ms",
            t["name"]
        );
    }
    assert!(
        report["timeline"]
            .as_array()
            .expect("timeline")
            .iter()
            .any(|l| l["kind"] == "lab_time_scale"),
        "the report says the waits were compressed"
    );

    // Round-trip times: every probe its own, the VPN clearly slower.
    let hops = last_hops(&evs);
    let of = |path: &str| -> Vec<&Vec<f64>> {
        hops.iter()
            .filter(|(p, _)| p == path)
            .map(|(_, r)| r)
            .collect()
    };
    let (er, vpn) = (of("er"), of("vpn"));
    assert!(er.len() >= 2 && !vpn.is_empty(), "{hops:?}");
    assert_ne!(er[0], er[1], "two traceroutes of one path: {er:?}");
    let slowest_er = er
        .iter()
        .flat_map(|r| r.iter())
        .fold(0.0, |a: f64, b| a.max(*b));
    let fastest_vpn = vpn
        .iter()
        .flat_map(|r| r.iter())
        .fold(f64::MAX, |a: f64, b| a.min(*b));
    assert!(
        fastest_vpn > slowest_er + 10.0,
        "VPN {vpn:?} vs ExpressRoute {er:?}"
    );
}

#[test]
fn a_time_scale_outside_zero_to_one_is_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    for (cmd, scale, says) in [
        (&["drill", "--headless"][..], "0", "outside (0, 1]"),
        (&["drill", "--headless"][..], "10", "outside (0, 1]"),
        (&["lab", "serve"][..], "1.5", "outside (0, 1]"),
        (&["lab", "serve"][..], "-0.5", "outside (0, 1]"),
        (&["lab", "serve"][..], "fast", "`fast` is not a number"),
    ] {
        let out = cutover(dir.path())
            .args(cmd)
            .arg(format!("--time-scale={scale}"))
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{cmd:?} {scale}: {err}");
        assert!(err.contains("--time-scale") && err.contains(says), "{err}");
    }
}
