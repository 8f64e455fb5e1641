//! The gate's prediction in the report: per prefix and direction the path
//! before, the path predicted and the path seen after the change, and the
//! hazards the operator was shown.

use serde::{Deserialize, Serialize};

use cutover_core::session::prediction::{Hazard, PathCheck, PathForecast, PredictionSource};

/// A prediction made before a gate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Prediction {
    /// The gate it was made for.
    pub step: String,
    pub at: String,
    pub seq: u64,
    /// Where each direction was read (or why it could not be).
    pub sources: Vec<PredictionSource>,
    pub paths: Vec<PathForecast>,
    pub hazards: Vec<Hazard>,
    /// What was seen after the change; `None` when the change was not made
    /// or not kept.
    pub checked: Option<PredictionChecked>,
}

/// The paths seen after the change, each compared with the prediction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PredictionChecked {
    /// The action after which they were read.
    pub step: String,
    pub at: String,
    pub seq: u64,
    pub sources: Vec<PredictionSource>,
    pub checks: Vec<PathCheck>,
}
