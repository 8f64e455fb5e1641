//! The integration tests: one binary for the whole workspace, so shared
//! support compiles once and an edit relinks one test executable. One
//! module per area; `*_support` and `sshd` are shared helpers.

mod abort_cli;
mod arm_answers;
mod arm_client;
mod arm_fixtures;
mod arm_writes;
mod check;
mod clean_output;
mod cli;
mod cli_conventions;
mod cli_support;
mod drill_blind;
mod drill_cli;
mod drill_faults;
mod drill_guard;
mod drill_score;
mod drill_timing;
mod engine_abort;
mod engine_blind;
mod engine_detached;
mod engine_drill_score;
mod engine_flow;
mod engine_headless;
mod engine_lab;
mod engine_prediction;
mod engine_props;
mod engine_settle;
mod engine_stranded;
mod engine_support;
mod engine_timing;
mod failover_test;
mod guard_escalate;
mod guard_inflight;
mod guard_output;
mod guard_review;
mod html_layout;
mod inventory_cli;
mod journal;
mod lab_arm;
mod lab_ssh;
mod lab_walkthrough;
mod model_analysis;
mod parse_fixtures;
mod parse_props;
mod polish_headless;
mod record_true;
mod recorded_support;
mod replay;
mod report;
mod run_guard;
mod secrets_e2e;
mod signing;
mod ssh_identity;
mod ssh_interop;
mod sshd;
mod stranded_cli;
mod ui_blind;
mod ui_debrief;
mod ui_keys;
mod ui_matrix;
mod ui_snapshots;
mod ui_stranded;
mod ui_support;
mod validate_causes;
mod validate_many;

/// A headless drill on the lab's test clock (`--time-scale 0.15`: the
/// ARM operations of a few seconds and the hold time the tests were
/// written for; BFD, convergence and round-trip times are never scaled).
pub(crate) const HEADLESS_DRILL: [&str; 4] = ["drill", "--headless", "--time-scale", "0.15"];

/// `HEADLESS_DRILL` answering every question yes, with a 20 s deadline.
pub(crate) const FAST_DRILL: [&str; 7] = [
    "drill",
    "--headless",
    "--time-scale",
    "0.15",
    "--auto-confirm",
    "--deadline",
    "20s",
];
