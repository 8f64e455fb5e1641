//! `cutover check RUNBOOK`: load the runbook and say whether it is valid.

use std::path::Path;
use std::process::ExitCode;

use super::exit;
use cutover_core::runbook::Runbook;

pub fn run(path: &Path) -> ExitCode {
    match Runbook::load(path) {
        Ok(rb) => {
            let s = rb.summary();
            outln!(
                "{}: ok: {}: {} {} in {} {}, {} {}, {} {}, {} {}",
                path.display(),
                rb.meta.id,
                s.steps,
                plural(s.steps, "step", "steps"),
                s.phases,
                plural(s.phases, "phase", "phases"),
                s.probes,
                plural(s.probes, "probe", "probes"),
                s.gates,
                plural(s.gates, "gate", "gates"),
                s.actions,
                plural(s.actions, "action", "actions"),
            );
            ExitCode::from(exit::OK)
        }
        Err(diags) => {
            errln!("{diags}");
            ExitCode::from(exit::BAD_INPUT)
        }
    }
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
