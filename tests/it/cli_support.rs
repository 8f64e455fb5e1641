//! The real `cutover` binary as the end-to-end tests run it, and its
//! journal read back.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// A `cutover` command whose journals go under `state` (never the
/// developer's own state directory), with colour and log level as a
/// fresh terminal has them.
pub(crate) fn cutover(state: &Path) -> Command {
    let mut c = Command::new(assert_cmd::cargo::cargo_bin("cutover"));
    c.env("XDG_STATE_HOME", state)
        .env_remove("NO_COLOR")
        .env_remove("CUTOVER_LOG");
    c
}

/// Every record of a journal, in order.
pub(crate) fn events(journal: &Path) -> Vec<Value> {
    std::fs::read_to_string(journal)
        .unwrap_or_else(|e| panic!("{}: {e}", journal.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}
