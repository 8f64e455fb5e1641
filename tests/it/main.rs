//! The integration tests: one binary for the whole workspace, so shared
//! support compiles once and an edit relinks one test executable. One
//! module per area; `*_support` and `sshd` are shared helpers.

mod abort_cli;
mod arm_client;
mod arm_fixtures;
mod check;
mod cli;
mod drill_cli;
mod drill_guard;
mod engine_abort;
mod engine_detached;
mod engine_flow;
mod engine_headless;
mod engine_lab;
mod engine_prediction;
mod engine_props;
mod engine_settle;
mod engine_stranded;
mod engine_support;
mod engine_timing;
mod guard_output;
mod inventory_cli;
mod journal;
mod lab_arm;
mod lab_ssh;
mod lab_walkthrough;
mod model_analysis;
mod parse_fixtures;
mod parse_props;
mod recorded_support;
mod replay;
mod report;
mod run_guard;
mod secrets_e2e;
mod ssh_interop;
mod sshd;
mod stranded_cli;
mod ui_keys;
mod ui_snapshots;
mod ui_stranded;
mod ui_support;
