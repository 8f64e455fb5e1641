//! Folding what a step did: the commands it ran (each distinct command
//! once, with how often it ran) and each expectation's latest verdict.

use cutover_core::session::event::MONITOR_STEP;
use cutover_journal::Record;

use super::fold::Acc;
use crate::model::{CommandRun, Expectation, Step};

fn new_step(id: &str) -> Step {
    Step {
        id: id.to_string(),
        title: id.to_string(),
        phase: String::new(),
        kind: String::new(),
        started_at: None,
        ended_at: None,
        duration_ms: None,
        verdict: "not_run".into(),
        expectations: Vec::new(),
        commands: Vec::new(),
    }
}

impl Acc {
    /// Step `id`, added when the journal did not announce it.
    pub(super) fn step(&mut self, id: &str) -> &mut Step {
        let i = match self.step_index.get(id) {
            Some(&i) => i,
            None => {
                self.steps.push(new_step(id));
                self.step_index.insert(id.to_string(), self.steps.len() - 1);
                self.steps.len() - 1
            }
        };
        &mut self.steps[i]
    }

    /// One run of a command; a command run again replaces its record.
    pub(super) fn command_run(&mut self, step: &str, run: CommandRun) {
        // The monitor's probes feed the route and trace history, not a
        // step of the runbook.
        if step == MONITOR_STEP && !self.step_index.contains_key(step) {
            return;
        }
        let s = self.step(step);
        match s
            .commands
            .iter_mut()
            .find(|c| c.device == run.device && c.command == run.command)
        {
            Some(c) => {
                let runs = c.runs.saturating_add(1);
                *c = CommandRun { runs, ..run };
            }
            None => s.commands.push(run),
        }
    }

    pub(super) fn expectation(
        &mut self,
        r: &Record,
        step: &str,
        clause: &str,
        passed: bool,
        evidence: &str,
    ) {
        let s = self.step(step);
        match s.expectations.iter_mut().find(|x| x.clause == clause) {
            Some(x) => {
                x.passed = passed;
                evidence.clone_into(&mut x.evidence);
                x.evaluations = x.evaluations.saturating_add(1);
                x.seq = r.seq;
            }
            None => s.expectations.push(Expectation {
                clause: clause.to_string(),
                passed,
                evidence: evidence.to_string(),
                evaluations: 1,
                seq: r.seq,
            }),
        }
    }
}
