//! The gate's prediction as lines, shared by the gate popup and the step
//! detail: per direction each prefix's path now and predicted, the
//! hazards, and after the change what was seen.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::app::App;
use cutover_core::model::path::PathKind;
use cutover_core::session::prediction::{Direction, Hazard, Prediction};
use cutover_core::session::state::{CheckRecord, GateState};

fn kind_span(app: &App, k: Option<PathKind>) -> Span<'static> {
    let t = &app.theme;
    let (text, style): (&str, Style) = match k {
        Some(PathKind::ExpressRoute) => ("expressroute", t.path_er),
        Some(PathKind::Vpn) => ("vpn", t.path_vpn),
        Some(PathKind::Unknown) => ("unknown", t.path_unknown),
        None => ("NO PATH", t.danger),
    };
    Span::styled(text, style)
}

/// The forecast per direction: where it was read, then one line per
/// prefix (`10.17.11.0/25  expressroute → vpn`), at most `max_paths` in
/// all (`None`: every one), the rest counted.
pub fn forecast_lines(app: &App, p: &Prediction, max_paths: Option<usize>) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    let width = p
        .paths
        .iter()
        .map(|f| f.prefix.to_string().len())
        .max()
        .unwrap_or(0);
    let mut shown = 0usize;
    for dir in Direction::ALL {
        let sources: Vec<_> = p.sources.iter().filter(|s| s.direction == dir).collect();
        if sources.is_empty() {
            continue;
        }
        let from: Vec<String> = sources
            .iter()
            .map(|s| match &s.error {
                Some(e) => format!("{}: not read ({e})", s.device),
                None => s.device.clone(),
            })
            .collect();
        out.push(Line::from(vec![
            Span::styled(format!("  {}", dir.label()), t.accent),
            Span::styled(format!("  from {}", from.join(", ")), t.muted),
        ]));
        for f in p.paths_of(dir) {
            if max_paths.is_some_and(|m| shown >= m) {
                continue;
            }
            shown += 1;
            let mut l = vec![
                Span::styled(format!("    {:<width$}  ", f.prefix.to_string()), t.text),
                kind_span(app, f.now),
                Span::styled(" → ", t.muted),
                kind_span(app, f.predicted),
            ];
            if let Some(c) = f.covered_by {
                l.push(Span::styled(format!(" (covered by {c})"), t.muted));
            }
            out.push(Line::from(l));
        }
    }
    if shown < p.paths.len() {
        out.push(Line::styled(
            format!(
                "    … {} more prefix(es) in the step detail",
                p.paths.len() - shown
            ),
            t.muted,
        ));
    }
    out
}

/// One line per hazard: what, where, and why.
pub fn hazard_lines(app: &App, hazards: &[Hazard]) -> Vec<Line<'static>> {
    let t = &app.theme;
    hazards
        .iter()
        .map(|h| {
            Line::from(vec![
                Span::styled(format!("    ✗ {}: ", h.headline()), t.danger),
                Span::styled(h.message.clone(), t.text),
            ])
        })
        .collect()
}

/// What was seen after the change, against the forecast.
pub fn check_lines(app: &App, c: &CheckRecord) -> Vec<Line<'static>> {
    let t = &app.theme;
    let wrong = c.mismatches();
    let mut out = vec![if wrong == 0 {
        Line::styled(
            format!("✓ as predicted for {} prefix(es)", c.checks.len()),
            t.ok,
        )
    } else {
        Line::styled(
            format!(
                "✗ NOT as predicted for {wrong} of {} prefix(es)",
                c.checks.len()
            ),
            t.danger,
        )
    }];
    for s in c.sources.iter().filter(|s| s.error.is_some()) {
        out.push(Line::styled(
            format!(
                "  {} not checked: {}",
                s.direction.label(),
                s.error.as_deref().unwrap_or_default()
            ),
            t.warn,
        ));
    }
    for k in &c.checks {
        let (m, style) = if k.matched {
            ("✓", t.ok)
        } else {
            ("✗", t.danger)
        };
        out.push(Line::from(vec![
            Span::styled(format!("  {m} "), style),
            Span::styled(
                format!("{} {}  predicted ", k.direction.label(), k.prefix),
                t.text,
            ),
            kind_span(app, k.predicted),
            Span::styled(", seen ", t.muted),
            kind_span(app, k.observed),
        ]));
    }
    out
}

/// The step detail's part for gate `g`: the whole forecast and the
/// hazards that held it.
pub fn gate_detail(app: &App, g: &GateState) -> Vec<Line<'static>> {
    let t = &app.theme;
    let mut out = Vec::new();
    if let Some(p) = app.state.prediction_for(&g.step) {
        out.push(Line::styled(
            "Prediction (ExpressRoute withdrawn): path now → path predicted",
            t.accent,
        ));
        out.extend(forecast_lines(app, &p.prediction, None));
    }
    if !g.hazards.is_empty() {
        out.push(Line::styled(
            format!(
                "✗ {} predicted hazard(s), holding the gate:",
                g.hazards.len()
            ),
            t.danger,
        ));
        out.extend(hazard_lines(app, &g.hazards));
    } else if app.state.prediction_for(&g.step).is_some() {
        out.push(Line::styled("✓ no hazard predicted", t.ok));
    }
    out
}

/// The step detail's part for action `step`: the prediction checked after
/// it, if it was.
pub fn check_detail(app: &App, step: &str) -> Vec<Line<'static>> {
    let Some(c) = app
        .state
        .prediction_checked_at(step)
        .and_then(|p| p.check.as_ref())
    else {
        return Vec::new();
    };
    let mut out = vec![
        Line::raw(""),
        Line::styled("Prediction, checked after the change", app.theme.accent),
    ];
    out.extend(check_lines(app, c));
    out
}
