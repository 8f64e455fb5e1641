//! Traceroute pane: the latest trace beside the one it is compared with
//! (the last trace before the path last changed, else the session's
//! first), hop by hop. Hops that prove ExpressRoute or the VPN carry the
//! path colour and a tag; hops lost since "before" are marked `-`, new
//! ones `+`, so the MSEE hop disappearing on failover is plain to see.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Pane};
use super::pane::{age_span, block, pad, text_width};
use super::routes::kind_tag;
use cutover_core::model::path::{PathKind, TraceClass};
use cutover_core::model::trace::Trace;

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let traces = &app.state.live.traces;
    let Some(view) = app.trace_view() else {
        let p = Paragraph::new(Line::styled("no traceroute yet", app.theme.muted)).block(block(
            app,
            Pane::Trace,
            None,
        ));
        f.render_widget(p, area);
        return;
    };
    let mut extra = vec![Span::styled(
        format!(
            "[{}/{}] {} → {}",
            app.trace + 1,
            traces.len(),
            view.device,
            view.target().unwrap_or("?")
        ),
        app.theme.accent,
    )];
    extra.extend(age_span(app, view.seen_at));
    if let Some(e) = &view.error {
        extra.push(Span::styled(format!(" stale: {e}"), app.theme.warn));
    }
    let outer = block(app, Pane::Trace, Some(Line::from(extra)));
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let (before, before_class) = view.before();
    let before_label = if view.change.is_some() {
        "before"
    } else {
        "start"
    };
    let [left, right] = Layout::horizontal([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)])
        .spacing(1)
        .areas(inner);
    // One address width for both sides, so the columns line up.
    let addr_w = before
        .hops
        .iter()
        .chain(&view.latest.hops)
        .flat_map(|h| &h.addresses)
        .map(|a| text_width(a))
        .max()
        .unwrap_or(7)
        .clamp(7, 39);
    let lost = |a: &str| view.compare.lost_address(a);
    let gained = |a: &str| view.compare.gained_address(a);
    let before_side = Side {
        label: before_label,
        trace: before,
        class: before_class,
        differs: &lost,
        mark: '-',
    };
    let latest_side = Side {
        label: "latest",
        trace: &view.latest,
        class: &view.latest_class,
        differs: &gained,
        mark: '+',
    };
    column(f, left, app, &before_side, addr_w);
    column(f, right, app, &latest_side, addr_w);
}

/// One side of the comparison.
struct Side<'a> {
    label: &'a str,
    trace: &'a Trace,
    class: &'a TraceClass,
    /// Whether an address is not on the other side.
    differs: &'a dyn Fn(&str) -> bool,
    mark: char,
}

fn column(f: &mut Frame<'_>, area: Rect, app: &App, side: &Side<'_>, addr_w: usize) {
    let t = &app.theme;
    let width = usize::from(area.width);
    let class = side.class;
    let kind_word = match class.kind {
        PathKind::ExpressRoute => "ExpressRoute",
        PathKind::Vpn if class.inferred => "VPN (no ER hop)",
        PathKind::Vpn => "VPN",
        PathKind::Unknown => "unknown",
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{}: ", side.label), t.muted),
        Span::styled(kind_word, t.path(class.kind)),
        if class.reached {
            Span::styled(", reached", t.muted)
        } else {
            Span::styled(", NOT reached", t.danger)
        },
    ])];
    // ttl(3) mark(1) gap(1) address rtt(9) tag(7): the round-trip time
    // goes first when the column is narrow, the address is cut last.
    let show_rtt = width >= 5 + addr_w + 9 + 7;
    let addr_w = addr_w.min(width.saturating_sub(5 + 4)).max(1);
    let classifier = app.state.classifier();
    let target = side.trace.target.as_deref().unwrap_or("");
    let skip = app
        .trace_scroll
        .min(side.trace.hops.len().saturating_sub(1));
    for hop in side.trace.hops.iter().skip(skip) {
        if hop.timeout || hop.addresses.is_empty() {
            lines.push(Line::from(vec![
                Span::styled(format!(" {:>2}  ", hop.ttl), t.muted),
                Span::styled("*", t.muted),
            ]));
            continue;
        }
        let rtt = hop
            .rtts_ms
            .iter()
            .copied()
            .reduce(f64::min)
            .map(|r| format!("{r:.1} ms"))
            .unwrap_or_default();
        for (n, a) in hop.addresses.iter().enumerate() {
            let ip = a.trim().parse().ok();
            let kind = ip.and_then(|ip| {
                if classifier.er_trace_hops.contains(&ip) {
                    Some(PathKind::ExpressRoute)
                } else if classifier.vpn_trace_hops.contains(&ip) {
                    Some(PathKind::Vpn)
                } else {
                    None
                }
            });
            let is_target = a == target;
            let (tag, style) = match (kind, is_target) {
                (_, true) => ("target", t.ok),
                (Some(k), false) => (kind_tag(k), t.path(k)),
                (None, false) => ("", t.text),
            };
            let ttl = if n == 0 {
                format!(" {:>2}", hop.ttl)
            } else {
                "   ".to_string()
            };
            let mark = if (side.differs)(a) {
                side.mark.to_string()
            } else {
                " ".to_string()
            };
            let mut spans = vec![
                Span::styled(ttl, t.muted),
                Span::styled(mark, t.changed),
                Span::raw(" "),
                Span::styled(pad(a, addr_w), style),
            ];
            if show_rtt {
                let shown = if n == 0 { rtt.as_str() } else { "" };
                spans.push(Span::styled(format!(" {shown:>8}"), t.muted));
            }
            spans.push(Span::styled(format!(" {tag}"), style));
            lines.push(Line::from(spans));
        }
    }
    f.render_widget(Paragraph::new(lines), area);
}
