//! Folding the gates: the prompt with what held it, the decision (an
//! override with its reason, failed checks and hazards), the prediction
//! made before the prompt and its check after the change.

use cutover_core::session::event::GateDecision;
use cutover_core::session::prediction::{
    Hazard, PathCheck, Prediction as Forecast, PredictionSource,
};
use cutover_journal::Record;
use cutover_journal::line::format_ts;

use super::fold::Acc;
use crate::model::{Gate, Prediction, PredictionChecked};

fn headlines(hazards: &[Hazard]) -> Vec<String> {
    hazards.iter().map(Hazard::headline).collect()
}

impl Acc {
    pub(super) fn gate_prompt(
        &mut self,
        r: &Record,
        step: &str,
        prompt: &str,
        confirm_text: &str,
        failed_checks: &[String],
        hazards: &[Hazard],
    ) {
        self.step(step);
        self.gates.push(Gate {
            step: step.to_string(),
            prompted_at: Some(format_ts(r.ts)),
            prompt: prompt.to_string(),
            confirm_text: confirm_text.to_string(),
            failed_checks: failed_checks.to_vec(),
            hazards: headlines(hazards),
            decision: "unanswered".into(),
            reason: None,
            decided_at: None,
            seq: None,
        });
    }

    pub(super) fn gate_decision(&mut self, r: &Record, step: &str, decision: &GateDecision) {
        let (word, reason, failed, hazards) = match decision {
            GateDecision::Confirmed => ("confirmed", None, None, None),
            GateDecision::Declined => ("declined", None, None, None),
            GateDecision::Override {
                reason,
                failed_checks,
                hazards,
            } => (
                "override",
                Some(reason.clone()),
                Some(failed_checks.clone()),
                Some(headlines(hazards)),
            ),
        };
        let i = match self
            .gates
            .iter()
            .rposition(|g| g.step == step && g.decided_at.is_none())
        {
            Some(i) => i,
            None => {
                // A decision without its prompt (a cut journal): kept,
                // since what was decided matters most.
                self.gates.push(Gate {
                    step: step.to_string(),
                    prompted_at: None,
                    prompt: String::new(),
                    confirm_text: String::new(),
                    failed_checks: Vec::new(),
                    hazards: Vec::new(),
                    decision: String::new(),
                    reason: None,
                    decided_at: None,
                    seq: None,
                });
                self.gates.len() - 1
            }
        };
        let g = &mut self.gates[i];
        g.decision = word.to_string();
        g.reason = reason;
        if let Some(f) = failed
            && g.failed_checks.is_empty()
        {
            g.failed_checks = f;
        }
        if let Some(h) = hazards
            && g.hazards.is_empty()
        {
            g.hazards = h;
        }
        g.decided_at = Some(format_ts(r.ts));
        g.seq = Some(r.seq);
        let label = match &g.reason {
            Some(why) => format!("gate: OVERRIDE ({why})"),
            None => format!("gate: {word}"),
        };
        let ok = Some(word != "declined");
        self.mark(r, "gate", Some(step), label, ok);
    }

    pub(super) fn prediction(&mut self, r: &Record, step: &str, p: &Forecast) {
        self.predictions.push(Prediction {
            step: step.to_string(),
            at: format_ts(r.ts),
            seq: r.seq,
            sources: p.sources.clone(),
            paths: p.paths.clone(),
            hazards: p.hazards.clone(),
            checked: None,
        });
        let moving = p.paths.iter().filter(|f| f.moves()).count();
        let label = format!(
            "prediction: {moving} prefix(es) move, {} hazard(s)",
            p.hazards.len()
        );
        self.mark(
            r,
            "prediction",
            Some(step),
            label,
            Some(p.hazards.is_empty()),
        );
    }

    pub(super) fn prediction_check(
        &mut self,
        r: &Record,
        step: &str,
        gate: &str,
        sources: &[PredictionSource],
        checks: &[PathCheck],
    ) {
        let checked = PredictionChecked {
            step: step.to_string(),
            at: format_ts(r.ts),
            seq: r.seq,
            sources: sources.to_vec(),
            checks: checks.to_vec(),
        };
        match self.predictions.iter_mut().rev().find(|p| p.step == gate) {
            Some(p) => p.checked = Some(checked),
            // A check without its prediction (a cut journal): kept.
            None => self.predictions.push(Prediction {
                step: gate.to_string(),
                at: String::new(),
                seq: r.seq,
                sources: Vec::new(),
                paths: Vec::new(),
                hazards: Vec::new(),
                checked: Some(checked),
            }),
        }
        let wrong = checks.iter().filter(|c| !c.matched).count();
        let label = if wrong == 0 {
            format!("prediction held for {} prefix(es)", checks.len())
        } else {
            format!(
                "prediction WRONG for {wrong} of {} prefix(es)",
                checks.len()
            )
        };
        self.mark(r, "prediction_check", Some(step), label, Some(wrong == 0));
    }
}
