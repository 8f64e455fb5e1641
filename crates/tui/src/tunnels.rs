//! Tunnels & BGP pane: per device the BGP peers (state, up/down time,
//! prefix counts), IKE and IPsec SAs and BFD sessions; Azure's view: the
//! connection (status, bytes, tunnels), the gateway's BGP peers and the
//! peering state. Each source shows its latest capture; a failed later
//! capture keeps the last good one, marked stale.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Pane};
use super::pane::{age_span, block, bytes, duration, fit, flow};
use cutover_core::model::azure::{BgpPeerState, ConnectionStatus, PeeringState};
use cutover_core::model::tunnel::{BfdState, Direction, IkeState, VpnMonitor};
use cutover_core::session::state::Latest;

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let outer = block(app, Pane::Tunnels, None);
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let width = usize::from(inner.width);
    let mut lines = lines(app, width);
    if lines.is_empty() {
        lines.push(Line::styled(
            "no tunnel, BGP or BFD state captured yet",
            app.theme.muted,
        ));
    }
    let scroll = app
        .tunnels_scroll
        .min(lines.len().saturating_sub(usize::from(inner.height)));
    let visible: Vec<Line<'_>> = lines
        .into_iter()
        .skip(scroll)
        .take(usize::from(inner.height))
        .collect();
    f.render_widget(Paragraph::new(visible), inner);
}

fn state_style(app: &App, good: bool) -> Style {
    if good { app.theme.ok } else { app.theme.danger }
}

/// One source's section: what it is, who answered, the command, and its
/// rows as cells (laid out to a width by the pane, whole in the detail).
#[derive(Debug)]
pub struct Section {
    pub what: &'static str,
    pub device: String,
    pub command: String,
    pub seen_at: Option<time::OffsetDateTime>,
    pub error: Option<String>,
    pub has_value: bool,
    pub rows: Vec<Vec<Span<'static>>>,
    /// How many leading cells line up in columns across the rows.
    pub aligned: usize,
    /// Which of those columns are right-aligned (durations read best so).
    pub right: Option<usize>,
}

fn section<T>(what: &'static str, l: &Latest<T>) -> Section {
    Section {
        what,
        device: l.device.clone(),
        command: l.command.clone(),
        seen_at: l.seen_at,
        error: l.error.clone(),
        has_value: l.value.is_some(),
        rows: Vec::new(),
        aligned: 0,
        right: None,
    }
}

/// Pads the first `s.aligned` cells of each row to the widest cell of
/// their column in this section, so columns line up with no more blank
/// than the values need (a fixed width would push the uptime off a
/// narrow pane).
fn align(mut s: Section) -> Section {
    let mut widths = vec![0usize; s.aligned];
    // A one-cell row (a total, "no IKE SA") is no part of the columns.
    for row in s.rows.iter().filter(|r| r.len() > 1) {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.width());
        }
    }
    for row in &mut s.rows {
        if row.len() <= 1 {
            continue;
        }
        for (i, (c, w)) in row.iter_mut().zip(&widths).enumerate() {
            let pad = " ".repeat(w.saturating_sub(c.width()));
            if !pad.is_empty() {
                c.content = if s.right == Some(i) {
                    format!("{pad}{}", c.content)
                } else {
                    format!("{}{pad}", c.content)
                }
                .into();
            }
        }
    }
    s
}

fn cell(text: impl Into<String>, style: Style) -> Span<'static> {
    Span::styled(text.into(), style)
}

fn head_lines(app: &App, s: &Section, width: usize) -> Vec<Line<'static>> {
    let mut head = vec![
        Span::styled(s.what.to_string(), app.theme.accent),
        Span::styled(format!(" {}", s.device), app.theme.title),
    ];
    let age = age_span(app, s.seen_at);
    let used = s.what.len() + 1 + s.device.len() + age.as_ref().map_or(0, Span::width);
    head.extend(age);
    // The command is shortened visibly; the step detail has it whole.
    head.push(Span::styled(
        fit(&format!("  $ {}", s.command), width.saturating_sub(used)),
        app.theme.muted,
    ));
    let mut out = vec![Line::from(head)];
    if let Some(e) = &s.error {
        let stale = if s.has_value { "stale: " } else { "no data: " };
        out.push(Line::styled(
            fit(&format!("  {stale}{e}"), width),
            app.theme.warn,
        ));
    }
    out
}

/// Every line of the pane, top to bottom, laid out to `width`.
pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    for s in sections(app) {
        out.extend(head_lines(app, &s, width));
        for mut row in s.rows {
            // A nested row (a connection's tunnel) says so by its
            // leading blanks; its continuation lines hang under it.
            let nested = row.first().map_or(0, |c| {
                c.content.len() - c.content.trim_start_matches(' ').len()
            });
            if let Some(c) = row.first_mut() {
                c.content = c.content.trim_start_matches(' ').to_string().into();
            }
            let indent = 2 + nested;
            out.extend(flow(row, width, indent));
        }
    }
    out
}

/// The rows of the sections that `device` answered to `command`, each
/// whole on one line (the step detail wraps them): where a value the
/// pane had to shorten can be read in full.
pub fn full_rows(app: &App, device: &str, command: &str) -> Vec<Line<'static>> {
    sections(app)
        .into_iter()
        .filter(|s| s.device == device && s.command == command)
        .flat_map(|s| {
            s.rows.into_iter().map(|row| {
                let mut spans = vec![Span::raw("  ")];
                for (i, c) in row.into_iter().enumerate() {
                    if i > 0 {
                        spans.push(Span::raw(" "));
                    }
                    spans.push(c);
                }
                Line::from(spans)
            })
        })
        .collect()
}

/// Every source's section, in pane order. Each row starts with its
/// source: the device that answered, or, for Azure's gateway, the
/// gateway instance (its own BGP address) that reported the peer; an
/// active-active gateway reports each neighbour once per instance.
pub fn sections(app: &App) -> Vec<Section> {
    let live = &app.state.live;
    let t = &app.theme;
    let mut out: Vec<Section> = Vec::new();

    for l in &live.azure_peering {
        let mut s = section("Azure peering", l);
        if let Some(list) = &l.value {
            for p in &list.value {
                let st = p.state().map_or("unknown", |s| s.as_str()).to_string();
                let mut row = vec![
                    cell(p.name.as_deref().unwrap_or("peering"), t.text),
                    cell(
                        st,
                        state_style(app, p.state() == Some(&PeeringState::Enabled)),
                    ),
                ];
                if let Some(ps) = p.provisioning_state() {
                    row.push(cell(format!("({})", ps.as_str()), t.muted));
                }
                s.rows.push(row);
            }
        }
        s.aligned = 2;
        out.push(align(s));
    }

    for l in &live.bgp {
        let mut s = section("BGP", l);
        if let Some(sum) = &l.value {
            for p in &sum.peers {
                let prefixes = p
                    .ribs
                    .iter()
                    .map(|r| {
                        format!(
                            "{} {}/{}",
                            r.table.as_deref().unwrap_or("-"),
                            r.active,
                            r.received
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                let mut row = vec![
                    cell(l.device.clone(), t.muted),
                    cell(p.address.to_string(), t.text),
                    cell(
                        p.state.as_str().to_string(),
                        state_style(app, p.state.is_established()),
                    ),
                    cell(duration(p.last_up_down_secs), t.muted),
                    // After the uptime: on a narrow pane the AS number is
                    // what moves to the next line, not the uptime.
                    cell(format!("AS{}", p.peer_as), t.muted),
                ];
                if !prefixes.is_empty() {
                    row.push(cell(prefixes, t.text));
                }
                s.rows.push(row);
            }
        }
        s.aligned = 5;
        s.right = Some(3);
        out.push(align(s));
    }

    for l in &live.azure_bgp {
        let mut s = section("Azure BGP", l);
        if let Some(list) = &l.value {
            for p in &list.value {
                let st = p
                    .state
                    .as_ref()
                    .map_or("unknown", |s| s.as_str())
                    .to_string();
                let mut row = vec![
                    cell(
                        format!("gw {}", p.local_address.as_deref().unwrap_or("?")),
                        t.muted,
                    ),
                    cell(p.neighbor.as_deref().unwrap_or("-"), t.text),
                    cell(
                        st,
                        state_style(app, p.state == Some(BgpPeerState::Connected)),
                    ),
                    cell(
                        p.connected_for()
                            .map(|d| format!("up {}", duration(d.as_secs())))
                            .unwrap_or_default(),
                        t.muted,
                    ),
                    cell(
                        format!("AS{}", p.asn.map_or("-".to_string(), |a| a.to_string())),
                        t.muted,
                    ),
                ];
                if let Some(r) = p.routes_received {
                    row.push(cell(format!("{r} routes"), t.muted));
                }
                s.rows.push(row);
            }
        }
        s.aligned = 5;
        s.right = Some(3);
        out.push(align(s));
    }

    for l in &live.azure_connection {
        let mut s = section("Azure connection", l);
        if let Some(c) = &l.value {
            let status = c.status().map_or("unknown", |s| s.as_str()).to_string();
            let p = &c.properties;
            let mut row = vec![
                cell(c.name.as_deref().unwrap_or("connection"), t.text),
                cell(
                    status,
                    state_style(app, c.status() == Some(&ConnectionStatus::Connected)),
                ),
            ];
            if let (Some(i), Some(e)) = (p.ingress_bytes_transferred, p.egress_bytes_transferred) {
                row.push(cell(format!("in {} out {}", bytes(i), bytes(e)), t.muted));
            }
            s.rows.push(row);
            for tu in c.tunnels() {
                let st = tu
                    .connection_status
                    .as_ref()
                    .map_or("unknown", |s| s.as_str())
                    .to_string();
                // The tunnel's name carries the gateway instance
                // (`…_IN_0_…`); the leading blanks nest it under the
                // connection.
                let mut row = vec![
                    cell(
                        format!("  {}", tu.tunnel.as_deref().unwrap_or("tunnel")),
                        t.text,
                    ),
                    cell(
                        st,
                        state_style(
                            app,
                            tu.connection_status.as_ref() == Some(&ConnectionStatus::Connected),
                        ),
                    ),
                ];
                if let (Some(i), Some(e)) =
                    (tu.ingress_bytes_transferred, tu.egress_bytes_transferred)
                {
                    row.push(cell(format!("in {} out {}", bytes(i), bytes(e)), t.muted));
                }
                s.rows.push(row);
            }
        }
        out.push(s);
    }

    for l in &live.ike {
        let mut s = section("IKE", l);
        if let Some(sas) = &l.value {
            if sas.sas.is_empty() {
                s.rows.push(vec![cell("no IKE SA", t.danger)]);
            }
            for sa in &sas.sas {
                let mut row = vec![
                    cell(l.device.clone(), t.muted),
                    cell(sa.remote_address.to_string(), t.text),
                    cell(
                        sa.state.as_str().to_string(),
                        state_style(app, sa.state == IkeState::Up),
                    ),
                    cell(format!("{} #{}", sa.mode, sa.index), t.muted),
                ];
                if let Some(n) = &sa.node {
                    row.push(cell(n.clone(), t.muted));
                }
                s.rows.push(row);
            }
        }
        s.aligned = 4;
        out.push(align(s));
    }

    for l in &live.ipsec {
        let mut s = section("IPsec", l);
        if let Some(sas) = &l.value {
            let totals = match (sas.total_active_tunnels, sas.total_sas) {
                (Some(a), Some(n)) => format!("{a} active tunnels, {n} SAs"),
                (Some(a), None) => format!("{a} active tunnels"),
                _ => format!("{} SAs", sas.sas.len()),
            };
            s.rows
                .push(vec![cell(totals, state_style(app, !sas.sas.is_empty()))]);
            // One row per tunnel: its inbound and outbound SA side by side.
            let mut ids: Vec<u64> = Vec::new();
            for sa in &sas.sas {
                if !ids.contains(&sa.tunnel_id) {
                    ids.push(sa.tunnel_id);
                }
            }
            for id in ids {
                let pair: Vec<_> = sas.tunnel(id).collect();
                let dirs: String = pair
                    .iter()
                    .map(|sa| match sa.direction {
                        Direction::In => '<',
                        Direction::Out => '>',
                    })
                    .collect();
                let Some(sa) = pair.first() else { continue };
                let mut row = vec![
                    cell(l.device.clone(), t.muted),
                    cell(id.to_string(), t.text),
                    cell(dirs.clone(), state_style(app, dirs.len() >= 2)),
                    cell(sa.gateway.as_deref().unwrap_or("-"), t.text),
                ];
                if let Some(m) = &sa.monitoring {
                    row.push(cell(
                        format!("mon {}", m.as_str()),
                        state_style(app, !matches!(m, VpnMonitor::Down)),
                    ));
                }
                if let Some(a) = &sa.algorithm {
                    row.push(cell(a.clone(), t.muted));
                }
                if let Some(life) = sa.lifetime_secs {
                    row.push(cell(format!("{life}s"), t.muted));
                }
                s.rows.push(row);
            }
        }
        s.aligned = 4;
        out.push(align(s));
    }

    for l in &live.bfd {
        let mut s = section("BFD", l);
        if let Some(b) = &l.value {
            if b.sessions.is_empty() {
                s.rows.push(vec![cell("no BFD session", t.danger)]);
            }
            for b in &b.sessions {
                let mut row = vec![
                    cell(l.device.clone(), t.muted),
                    cell(b.address.to_string(), t.text),
                    cell(
                        b.state.as_str().to_string(),
                        state_style(app, b.state == BfdState::Up),
                    ),
                ];
                if let Some(i) = &b.interface {
                    row.push(cell(i.clone(), t.muted));
                }
                if let Some(d) = b.detect_time_ms {
                    row.push(cell(format!("detect {d} ms"), t.muted));
                }
                s.rows.push(row);
            }
        }
        s.aligned = 3;
        out.push(align(s));
    }

    out
}
