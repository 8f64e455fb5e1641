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
use super::pane::{age_span, block, bytes, duration, fit};
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

fn source_head<T>(app: &App, what: &str, l: &Latest<T>, width: usize) -> Vec<Line<'static>> {
    let mut head = vec![
        Span::styled(what.to_string(), app.theme.accent),
        Span::styled(format!(" {}", l.device), app.theme.title),
    ];
    let age = age_span(app, l.seen_at);
    let age_w = age.as_ref().map_or(0, Span::width);
    head.extend(age);
    head.push(Span::styled(
        fit(
            &format!("  $ {}", l.command),
            width.saturating_sub(what.len() + 8 + age_w),
        ),
        app.theme.muted,
    ));
    let mut out = vec![Line::from(head)];
    if let Some(e) = &l.error {
        let stale = if l.value.is_some() {
            "stale: "
        } else {
            "no data: "
        };
        out.push(Line::styled(
            fit(&format!("  {stale}{e}"), width),
            app.theme.warn,
        ));
    }
    out
}

/// Every line of the pane, top to bottom.
pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let live = &app.state.live;
    let t = &app.theme;
    let mut out: Vec<Line<'static>> = Vec::new();

    for l in &live.azure_peering {
        out.extend(source_head(app, "Azure peering", l, width));
        let Some(list) = &l.value else { continue };
        for p in &list.value {
            let st = p.state().map_or("unknown", |s| s.as_str()).to_string();
            let prov = p
                .provisioning_state()
                .map(|s| format!(" ({})", s.as_str()))
                .unwrap_or_default();
            out.push(Line::from(vec![
                Span::styled(
                    format!("  {}", p.name.as_deref().unwrap_or("peering")),
                    t.text,
                ),
                Span::styled(
                    format!(" {st}"),
                    state_style(app, p.state() == Some(&PeeringState::Enabled)),
                ),
                Span::styled(prov, t.muted),
            ]));
        }
    }

    for l in &live.bgp {
        out.extend(source_head(app, "BGP", l, width));
        let Some(s) = &l.value else { continue };
        for p in &s.peers {
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
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", p.address), t.text),
                Span::styled(format!(" AS{:<6}", p.peer_as), t.muted),
                Span::styled(
                    format!(" {:<11}", p.state.as_str()),
                    state_style(app, p.state.is_established()),
                ),
                Span::styled(format!(" {:>11}", duration(p.last_up_down_secs)), t.muted),
                Span::styled(
                    fit(&format!("  {prefixes}"), width.saturating_sub(48)),
                    t.text,
                ),
            ]));
        }
    }

    for l in &live.azure_bgp {
        out.extend(source_head(app, "Azure BGP", l, width));
        let Some(s) = &l.value else { continue };
        for p in &s.value {
            let st = p
                .state
                .as_ref()
                .map_or("unknown", |s| s.as_str())
                .to_string();
            let up = p
                .connected_for()
                .map(|d| format!(" up {}", duration(d.as_secs())))
                .unwrap_or_default();
            let routes = p
                .routes_received
                .map(|r| format!(" {r} routes"))
                .unwrap_or_default();
            let local = p
                .local_address
                .as_deref()
                .map(|a| format!(" via {a}"))
                .unwrap_or_default();
            out.push(Line::from(vec![
                Span::styled(
                    format!("  {:<15}", p.neighbor.as_deref().unwrap_or("-")),
                    t.text,
                ),
                Span::styled(
                    format!(" AS{:<6}", p.asn.map_or("-".to_string(), |a| a.to_string())),
                    t.muted,
                ),
                Span::styled(
                    format!(" {st:<10}"),
                    state_style(app, p.state == Some(BgpPeerState::Connected)),
                ),
                Span::styled(
                    fit(&format!("{up}{routes}{local}"), width.saturating_sub(36)),
                    t.muted,
                ),
            ]));
        }
    }

    for l in &live.azure_connection {
        out.extend(source_head(app, "Azure connection", l, width));
        let Some(c) = &l.value else { continue };
        let status = c.status().map_or("unknown", |s| s.as_str()).to_string();
        let p = &c.properties;
        let traffic = match (p.ingress_bytes_transferred, p.egress_bytes_transferred) {
            (Some(i), Some(e)) => format!("  in {} out {}", bytes(i), bytes(e)),
            _ => String::new(),
        };
        out.push(Line::from(vec![
            Span::styled(
                format!("  {}", c.name.as_deref().unwrap_or("connection")),
                t.text,
            ),
            Span::styled(
                format!(" {status}"),
                state_style(app, c.status() == Some(&ConnectionStatus::Connected)),
            ),
            Span::styled(traffic, t.muted),
        ]));
        for tu in c.tunnels() {
            let traffic = match (tu.ingress_bytes_transferred, tu.egress_bytes_transferred) {
                (Some(i), Some(e)) => format!("  in {} out {}", bytes(i), bytes(e)),
                _ => String::new(),
            };
            let st = tu
                .connection_status
                .as_ref()
                .map_or("unknown", |s| s.as_str())
                .to_string();
            out.push(Line::from(vec![
                Span::styled(
                    format!("    {}", tu.tunnel.as_deref().unwrap_or("tunnel")),
                    t.text,
                ),
                Span::styled(
                    format!(" {st}"),
                    state_style(
                        app,
                        tu.connection_status.as_ref() == Some(&ConnectionStatus::Connected),
                    ),
                ),
                Span::styled(traffic, t.muted),
            ]));
        }
    }

    for l in &live.ike {
        out.extend(source_head(app, "IKE", l, width));
        let Some(s) = &l.value else { continue };
        if s.sas.is_empty() {
            out.push(Line::styled("  no IKE SA", t.danger));
        }
        for sa in &s.sas {
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", sa.remote_address), t.text),
                Span::styled(
                    format!(" {:<5}", sa.state.as_str()),
                    state_style(app, sa.state == IkeState::Up),
                ),
                Span::styled(format!(" {} #{}", sa.mode, sa.index), t.muted),
                Span::styled(
                    sa.node
                        .as_deref()
                        .map(|n| format!(" {n}"))
                        .unwrap_or_default(),
                    t.muted,
                ),
            ]));
        }
    }

    for l in &live.ipsec {
        out.extend(source_head(app, "IPsec", l, width));
        let Some(s) = &l.value else { continue };
        let totals = match (s.total_active_tunnels, s.total_sas) {
            (Some(a), Some(n)) => format!("  {a} active tunnels, {n} SAs"),
            (Some(a), None) => format!("  {a} active tunnels"),
            _ => format!("  {} SAs", s.sas.len()),
        };
        out.push(Line::styled(totals, state_style(app, !s.sas.is_empty())));
        // One line per tunnel: its inbound and outbound SA side by side.
        let mut ids: Vec<u64> = Vec::new();
        for sa in &s.sas {
            if !ids.contains(&sa.tunnel_id) {
                ids.push(sa.tunnel_id);
            }
        }
        for id in ids {
            let sas: Vec<_> = s.tunnel(id).collect();
            let dirs: String = sas
                .iter()
                .map(|sa| match sa.direction {
                    Direction::In => '<',
                    Direction::Out => '>',
                })
                .collect();
            let Some(sa) = sas.first() else { continue };
            let life = sa
                .lifetime_secs
                .map(|s| format!(" {s}s"))
                .unwrap_or_default();
            let mon = sa
                .monitoring
                .as_ref()
                .map(|m| format!(" mon {}", m.as_str()))
                .unwrap_or_default();
            let mon_ok = !matches!(sa.monitoring, Some(VpnMonitor::Down));
            out.push(Line::from(vec![
                Span::styled(format!("  {id:<8}"), t.text),
                Span::styled(format!("{dirs:<3}"), state_style(app, dirs.len() >= 2)),
                Span::styled(
                    format!("{:<15}", sa.gateway.as_deref().unwrap_or("-")),
                    t.text,
                ),
                Span::styled(
                    fit(
                        &format!(" {}{life}", sa.algorithm.as_deref().unwrap_or("")),
                        width.saturating_sub(28 + mon.len()),
                    ),
                    t.muted,
                ),
                Span::styled(mon, state_style(app, mon_ok)),
            ]));
        }
    }

    for l in &live.bfd {
        out.extend(source_head(app, "BFD", l, width));
        let Some(s) = &l.value else { continue };
        if s.sessions.is_empty() {
            out.push(Line::styled("  no BFD session", t.danger));
        }
        for b in &s.sessions {
            let detect = b
                .detect_time_ms
                .map(|d| format!(" detect {d} ms"))
                .unwrap_or_default();
            out.push(Line::from(vec![
                Span::styled(format!("  {:<15}", b.address), t.text),
                Span::styled(
                    format!(" {:<6}", b.state.as_str()),
                    state_style(app, b.state == BfdState::Up),
                ),
                Span::styled(
                    fit(
                        &format!(" {}{detect}", b.interface.as_deref().unwrap_or("")),
                        width.saturating_sub(24),
                    ),
                    t.muted,
                ),
            ]));
        }
    }

    out
}
