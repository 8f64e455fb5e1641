//! Where in the inventory a misfit with the runbook belongs: the runbook
//! checker (`preflight::check`) says what is wrong; this says where to
//! fix it, as `path:line:col` like every other bad-input message.

use std::path::Path;

use cutover_core::inventory;
use cutover_core::runbook::diag::Pos;

/// The key of `[azure]` that a "the runbook names …" problem is about.
fn azure_key(what: &str) -> Option<&'static str> {
    Some(match what {
        "resource group" => "resource_group",
        "gateway" => "gateway",
        "circuit" => "circuit",
        "peering" => "peering",
        "connection" => "connection",
        _ => return None,
    })
}

/// The position for one of `preflight::check`'s problems in `text`: a
/// missing device at the devices table (its first `[devices.…]` header),
/// a wrong platform at the device's `platform`, a name the runbook spells
/// otherwise at that `[azure]` key, and a missing `[azure]` at the file's
/// start.
pub(super) fn problem_pos(text: &str, problem: &str) -> Pos {
    let role = problem
        .strip_prefix("role `")
        .and_then(|r| r.split_once('`'));
    let names = problem
        .strip_prefix("the runbook names ")
        .and_then(|r| r.split_once(" `"))
        .and_then(|(what, _)| azure_key(what));
    match (role, names) {
        (Some((role, rest)), _) if rest.contains(" has no [devices.") => {
            inventory::position(text, &["devices", role])
        }
        (Some((role, rest)), _) if rest.contains(" in the runbook but ") => {
            inventory::position(text, &["devices", role, "platform"])
        }
        (_, Some(key)) => inventory::position(text, &["azure", key]),
        _ => Pos { line: 1, col: 1 },
    }
}

/// `PATH:LINE:COL: PROBLEM` for each problem (the file read again: the
/// loaded inventory keeps no text). Unreadable now, it is named by path
/// alone.
pub(super) fn placed(path: &Path, problems: &[String]) -> Vec<String> {
    let text = std::fs::read_to_string(path).ok();
    problems
        .iter()
        .map(|p| match &text {
            Some(t) => format!("{}:{}: {p}", path.display(), problem_pos(t, p)),
            None => format!("{}: {p}", path.display()),
        })
        .collect()
}
