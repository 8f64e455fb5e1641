//! The gate's prediction and, after the change, how it compared with what
//! was seen.

use super::SessionState;
use crate::session::prediction::{PathCheck, Prediction, PredictionSource};

/// A prediction made before a gate, with its check once the change was
/// made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PredictionRecord {
    /// The gate step it was made for.
    pub step: String,
    pub prediction: Prediction,
    pub check: Option<CheckRecord>,
}

/// The paths seen after the change, compared with the prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRecord {
    /// The action step after which it was checked.
    pub step: String,
    pub sources: Vec<PredictionSource>,
    pub checks: Vec<PathCheck>,
}

impl CheckRecord {
    pub fn mismatches(&self) -> usize {
        self.checks.iter().filter(|c| !c.matched).count()
    }
}

impl SessionState {
    /// The prediction made for gate `step`, if any.
    pub fn prediction_for(&self, step: &str) -> Option<&PredictionRecord> {
        self.predictions.iter().rev().find(|p| p.step == step)
    }

    /// The prediction checked after action `step`, if any.
    pub fn prediction_checked_at(&self, step: &str) -> Option<&PredictionRecord> {
        self.predictions
            .iter()
            .rev()
            .find(|p| p.check.as_ref().is_some_and(|c| c.step == step))
    }

    pub(super) fn apply_prediction(&mut self, step: &str, prediction: &Prediction) {
        self.step_mut_index(step);
        self.predictions.push(PredictionRecord {
            step: step.to_string(),
            prediction: prediction.clone(),
            check: None,
        });
    }

    pub(super) fn apply_prediction_check(
        &mut self,
        step: &str,
        gate: &str,
        sources: &[PredictionSource],
        checks: &[PathCheck],
    ) {
        self.step_mut_index(step);
        let check = CheckRecord {
            step: step.to_string(),
            sources: sources.to_vec(),
            checks: checks.to_vec(),
        };
        match self.predictions.iter_mut().rev().find(|p| p.step == gate) {
            Some(p) => p.check = Some(check),
            // A check without its prediction (a cut journal): kept.
            None => self.predictions.push(PredictionRecord {
                step: gate.to_string(),
                prediction: Prediction::default(),
                check: Some(check),
            }),
        }
    }
}
