//! The prediction, its check and an override as headless lines: a first
//! line that says it all, then one indented line per prefix or hazard.

use cutover_core::session::prediction::{
    Direction, Hazard, PathCheck, Prediction, PredictionSource,
};

fn kind(k: Option<cutover_core::model::path::PathKind>) -> &'static str {
    k.map_or("no path", |k| k.as_str())
}

/// `N prefix(es) move to the VPN, M hazard(s)`, then per direction its
/// prefixes (`10.17.11.0/25 expressroute → vpn`) and every hazard.
pub(super) fn prediction(p: &Prediction) -> String {
    let moving = p.paths.iter().filter(|f| f.moves()).count();
    let mut t = format!(
        "when ExpressRoute is withdrawn: {moving} prefix(es) move, {} hazard(s)",
        p.hazards.len()
    );
    for dir in Direction::ALL {
        for s in p.sources.iter().filter(|s| s.direction == dir) {
            let cmd = s.command.lines().next().unwrap_or_default();
            t.push_str(&format!("\n{} from {}: {cmd}", dir.label(), s.device));
            if let Some(e) = &s.error {
                t.push_str(&format!(" (not read: {e})"));
            }
        }
        for f in p.paths_of(dir) {
            t.push_str(&format!("\n  {}", Prediction::path_line(f)));
        }
    }
    for h in &p.hazards {
        t.push_str(&format!("\nHAZARD {}: {}", h.headline(), h.message));
    }
    t
}

/// `prediction for GATE held for N prefix(es)` or `WRONG for M of N`, then
/// one line per prefix that went another way than predicted.
pub(super) fn check(gate: &str, sources: &[PredictionSource], checks: &[PathCheck]) -> String {
    let wrong: Vec<&PathCheck> = checks.iter().filter(|c| !c.matched).collect();
    let mut t = if wrong.is_empty() {
        format!("prediction of {gate} held for {} prefix(es)", checks.len())
    } else {
        format!(
            "prediction of {gate} WRONG for {} of {} prefix(es)",
            wrong.len(),
            checks.len()
        )
    };
    for s in sources.iter().filter(|s| s.error.is_some()) {
        t.push_str(&format!(
            "\n{} not checked: {}: {}",
            s.direction.label(),
            s.device,
            s.error.as_deref().unwrap_or_default()
        ));
    }
    for c in checks {
        t.push_str(&format!(
            "\n  {} {} predicted {}, seen {}{}",
            c.direction.label(),
            c.prefix,
            kind(c.predicted),
            kind(c.observed),
            if c.matched { "" } else { "  MISMATCH" }
        ));
    }
    t
}

/// `OVERRIDE of N failed pre-check(s) (...) and M predicted hazard(s)
/// (...): reason`, naming only what there was.
pub(super) fn override_text(reason: &str, failed: &[String], hazards: &[Hazard]) -> String {
    let mut what = Vec::new();
    if !failed.is_empty() {
        what.push(format!(
            "{} failed pre-check(s) ({})",
            failed.len(),
            failed.join(", ")
        ));
    }
    if !hazards.is_empty() {
        let list: Vec<String> = hazards.iter().map(Hazard::headline).collect();
        what.push(format!(
            "{} predicted hazard(s) ({})",
            hazards.len(),
            list.join(", ")
        ));
    }
    format!("OVERRIDE of {}: {reason}", what.join(" and "))
}
