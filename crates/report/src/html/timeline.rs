//! The session drawn over time, as inline SVG: the one part of the report
//! that only the HTML has (a ticket system cannot show it; the Markdown's
//! tables hold the same moments).

use std::fmt::Write as _;

use super::escape;
use crate::model::Report;
use crate::text;
use cutover_journal::Redactor;

const SVG_W: f64 = 1000.0;
const LABEL_W: f64 = 250.0;
const PLOT_X0: f64 = 260.0;
const PLOT_X1: f64 = 985.0;
/// The top of the plot when the markers' letters fit in one lane; each
/// further lane pushes the plot down by `LANE_H`.
const TOP: f64 = 30.0;
/// One lane of marker letters (11 px text: its box is about 14 units high).
const LANE_H: f64 = 14.0;
/// The least distance between two letters' centres in one lane: a bold
/// 11 px monospace letter is about 7 units wide.
const LANE_GAP: f64 = 10.0;
const ROW_H: f64 = 18.0;
const BAR_H: f64 = 12.0;
const AXIS_H: f64 = 28.0;

/// Tick spacings to choose from, in milliseconds.
const TICKS: [u64; 16] = [
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000,
    1_800_000, 3_600_000, 7_200_000, 14_400_000, 43_200_000,
];

fn verdict_color(v: &str) -> &'static str {
    match v {
        "passed" => "#2da44e",
        "failed" => "#cf222e",
        "overridden" => "#d4a72c",
        "skipped" => "#8c959f",
        "unfinished" => "#8250df",
        _ => "#d0d7de",
    }
}

fn marker_style(kind: &str, ok: Option<bool>) -> (&'static str, &'static str) {
    match (kind, ok) {
        ("gate", Some(false)) => ("G", "#cf222e"),
        ("gate", _) => ("G", "#0969da"),
        ("prediction" | "prediction_check", Some(false)) => ("P", "#cf222e"),
        ("prediction" | "prediction_check", _) => ("P", "#1a7f37"),
        ("action", _) => ("A", "#bc4c00"),
        ("action_done", Some(false)) => ("!", "#cf222e"),
        ("action_done", _) => ("a", "#bc4c00"),
        ("deadline", _) => ("D", "#9a6700"),
        ("verify", Some(false)) => ("V", "#cf222e"),
        ("verify", _) => ("V", "#1a7f37"),
        ("traffic_lost", _) => ("L", "#cf222e"),
        ("traffic", Some(true)) => ("T", "#1a7f37"),
        ("traffic", _) => ("T", "#9a6700"),
        ("confirm", _) => ("C", "#1a7f37"),
        ("rollback", _) => ("R", "#cf222e"),
        ("rollback_done", _) => ("r", "#9a6700"),
        ("rollback_failed", _) => ("X", "#cf222e"),
        ("preflight", Some(false)) => ("P", "#cf222e"),
        ("guard", Some(false)) => ("!", "#cf222e"),
        ("guard", _) => ("g", "#9a6700"),
        ("session_end", Some(true)) => ("E", "#1a7f37"),
        ("session_end", _) => ("E", "#cf222e"),
        _ => ("·", "#6e7781"),
    }
}

/// The lane of each marker at `xs` (in their order) and how many lanes
/// there are: a marker goes to the lowest lane whose last letter is at
/// least `gap` to its left, so letters close in time stack instead of
/// overlapping. Done here rather than in the page, which runs no script.
pub(super) fn lanes(xs: &[f64], gap: f64) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..xs.len()).collect();
    order.sort_by(|a, b| xs[*a].total_cmp(&xs[*b]).then(a.cmp(b)));
    let mut last: Vec<f64> = Vec::new();
    let mut lane = vec![0; xs.len()];
    for i in order {
        let x = xs[i];
        let free = last.iter().position(|l| x - l >= gap);
        let k = match free {
            Some(k) => k,
            None => {
                last.push(f64::NEG_INFINITY);
                last.len() - 1
            }
        };
        last[k] = x;
        lane[i] = k;
    }
    (lane, last.len().max(1))
}

fn parse_ts(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The inline SVG: one bar per step on a time axis, a band for each
/// deadline, and a marker line per gate, action, deadline, verification,
/// confirmation, rollback and the end. Each element has a `<title>`, which
/// browsers show on hover without any script.
pub(super) fn timeline(out: &mut String, r: &Report, red: &Redactor) {
    let t = |s: &str| escape(&red.redact_str(s));
    let Some(start) = r.session.started_at.as_deref().and_then(parse_ts) else {
        return;
    };
    let at = |s: &str| -> Option<u64> {
        let t = parse_ts(s)?;
        Some(u64::try_from((t - start).whole_milliseconds().max(0)).unwrap_or(u64::MAX))
    };
    let total = r.session.duration_ms.unwrap_or(0).max(1);
    let x = |ms: u64| PLOT_X0 + (PLOT_X1 - PLOT_X0) * (ms.min(total) as f64 / total as f64);
    let marker_x: Vec<f64> = r.timeline.iter().map(|m| x(m.offset_ms)).collect();
    let (lane, lane_count) = lanes(&marker_x, LANE_GAP);
    let top = TOP + (lane_count - 1) as f64 * LANE_H;
    let rows = r.steps.len() as f64;
    let plot_bottom = top + rows * ROW_H + 4.0;
    let height = plot_bottom + AXIS_H;

    out.push_str("<h2>Timeline</h2>\n");
    let _ = writeln!(
        out,
        "<svg viewBox=\"0 0 {SVG_W} {height}\" width=\"100%\" role=\"img\" aria-label=\"Session timeline\">"
    );
    let _ = writeln!(
        out,
        "<rect x=\"{PLOT_X0}\" y=\"{top}\" width=\"{}\" height=\"{}\" fill=\"#f6f8fa\"/>",
        PLOT_X1 - PLOT_X0,
        plot_bottom - top
    );

    // Deadline bands: from armed to the answer (or the expiry).
    for a in &r.actions {
        let Some(d) = &a.deadline else { continue };
        let (Some(x0), Some(exp)) = (at(&d.armed_at), at(&d.expires_at)) else {
            continue;
        };
        let answered = a
            .confirmed_at
            .as_deref()
            .or(a.rollback.as_ref().map(|rb| rb.started_at.as_str()))
            .and_then(at);
        let end = answered.unwrap_or(exp).min(exp);
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{top}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fff8c5\" stroke=\"#d4a72c\" stroke-dasharray=\"4 2\"><title>{}</title></rect>",
            x(x0),
            (x(end) - x(x0)).max(1.0),
            plot_bottom - top,
            t(&format!(
                "guarded window of {}: deadline {} s, expires {}",
                a.op, d.seconds, d.expires_at
            ))
        );
    }

    // Time axis.
    let step = TICKS
        .iter()
        .copied()
        .find(|t| total / t <= 8)
        .unwrap_or(86_400_000);
    let mut tick = 0;
    while tick <= total {
        let xt = x(tick);
        let _ = writeln!(
            out,
            "<line x1=\"{xt:.1}\" y1=\"{top}\" x2=\"{xt:.1}\" y2=\"{:.1}\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/><text x=\"{xt:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#57606a\">{}</text>",
            plot_bottom,
            plot_bottom + 16.0,
            escape(&text::offset(tick))
        );
        tick += step;
    }

    // Step bars.
    for (i, s) in r.steps.iter().enumerate() {
        let y = top + i as f64 * ROW_H + 3.0;
        let label: String = if s.id.chars().count() > 34 {
            s.id.chars().take(33).chain(['…']).collect()
        } else {
            s.id.clone()
        };
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            LABEL_W,
            y + BAR_H - 2.0,
            if s.started_at.is_some() {
                "#1b1f24"
            } else {
                "#8c959f"
            },
            t(&label)
        );
        let Some(s0) = s.started_at.as_deref().and_then(at) else {
            continue;
        };
        let s1 = s.ended_at.as_deref().and_then(at).unwrap_or(total);
        let _ = writeln!(
            out,
            "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR_H}\" rx=\"2\" fill=\"{}\"><title>{}</title></rect>",
            x(s0),
            (x(s1) - x(s0)).max(2.0),
            verdict_color(&s.verdict),
            t(&format!(
                "{} — {}: {}{}",
                s.id,
                s.title,
                text::verdict(&s.verdict),
                s.duration_ms
                    .map_or(String::new(), |d| format!(" in {}", text::duration(d)))
            ))
        );
    }

    // Markers.
    for ((m, xm), lane) in r.timeline.iter().zip(&marker_x).zip(&lane) {
        let (glyph, color) = marker_style(&m.kind, m.ok);
        let label_y = top - 16.0 - *lane as f64 * LANE_H;
        let _ = writeln!(
            out,
            "<g><title>{}</title><line x1=\"{xm:.1}\" y1=\"{:.1}\" x2=\"{xm:.1}\" y2=\"{plot_bottom:.1}\" stroke=\"{color}\" stroke-width=\"1.5\"/><text class=\"mk\" x=\"{xm:.1}\" y=\"{label_y:.1}\" text-anchor=\"middle\" fill=\"{color}\" font-weight=\"bold\">{}</text></g>",
            t(&format!(
                "{} {} (seq {}): {}",
                text::offset(m.offset_ms),
                m.at,
                m.seq,
                m.label
            )),
            top - 12.0,
            escape(glyph)
        );
    }
    out.push_str("</svg>\n");
    out.push_str("<p class=\"legend\">");
    for (c, label) in [
        ("#2da44e", "passed"),
        ("#cf222e", "failed"),
        ("#d4a72c", "overridden"),
        ("#8250df", "unfinished"),
        ("#fff8c5", "guarded window"),
    ] {
        let _ = write!(
            out,
            "<span><i class=\"sw\" style=\"background:{c}\"></i>{label}</span>"
        );
    }
    out.push_str("<span>G gate · A change sent · a applied · D deadline armed · V verification · C confirmed healthy · R rollback · r rolled back · X rollback failed · E end</span></p>\n");
}
