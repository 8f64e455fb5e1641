//! Routes pane: one device's table (or an Azure gateway's route list) at a
//! time, `[`/`]` to switch. Each row is one path: active marker, path kind
//! in its theme colour, prefix, protocol, preference, local-pref, AS path,
//! next hops. Rows whose prefix changed since the session's first capture
//! are marked `Δ` and drawn in the `changed` style.
//!
//! The filter (after `/`) is read as a prefix, not as text: `10.17` means
//! 10.17.0.0/16, `10.17.11.0/24` everything inside it, and a whole address
//! the routes that cover it. Since tables are sorted by prefix, each of
//! these is a binary search, so filtering a million routes costs the same
//! as filtering ten, and drawing touches only the visible rows.

use std::net::IpAddr;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Pane};
use super::pane::{age_span, block, fit, pad};
use cutover_core::model::Prefix;
use cutover_core::model::path::PathKind;
use cutover_core::model::table::{RouteTable, covering};

/// The rows a filter leaves: indices into [`RouteTable::routes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowSet {
    Range {
        start: usize,
        end: usize,
    },
    Indices(Vec<usize>),
    /// The filter does not read as a prefix; no rows, and why.
    Invalid(String),
}

impl Default for RowSet {
    fn default() -> Self {
        RowSet::Range { start: 0, end: 0 }
    }
}

impl RowSet {
    pub fn len(&self) -> usize {
        match self {
            RowSet::Range { start, end } => end.saturating_sub(*start),
            RowSet::Indices(v) => v.len(),
            RowSet::Invalid(_) => 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table index of the `i`-th row.
    pub fn get(&self, i: usize) -> Option<usize> {
        match self {
            RowSet::Range { start, end } => {
                let at = start.checked_add(i)?;
                (at < *end).then_some(at)
            }
            RowSet::Indices(v) => v.get(i).copied(),
            RowSet::Invalid(_) => None,
        }
    }
}

/// What a filter text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterQuery {
    All,
    /// Paths whose prefix lies inside this one.
    Within(Prefix),
    /// Paths whose prefix holds this address.
    Covering(IpAddr),
    Invalid(String),
}

/// Reads a filter as typed so far.
pub fn parse_filter(text: &str) -> FilterQuery {
    let t = text.trim();
    if t.is_empty() {
        return FilterQuery::All;
    }
    if t.contains('/') {
        return match Prefix::parse_lenient(t) {
            Ok((p, _)) => FilterQuery::Within(p),
            Err(e) => FilterQuery::Invalid(e.to_string()),
        };
    }
    if let Ok(a) = t.parse::<IpAddr>() {
        return FilterQuery::Covering(a);
    }
    if let Some(p) = partial_v4(t).or_else(|| partial_v6(t)) {
        return FilterQuery::Within(p);
    }
    FilterQuery::Invalid(format!(
        "`{t}` is not a prefix (try 10.17, 10.17.11.0/24 or an address)"
    ))
}

/// `10`, `10.17`, `10.17.11` (a trailing dot allowed): whole octets.
fn partial_v4(t: &str) -> Option<Prefix> {
    let body = t.strip_suffix('.').unwrap_or(t);
    let mut octets = [0u8; 4];
    let mut n = 0;
    for part in body.split('.') {
        if n == 3 || part.is_empty() || part.len() > 3 {
            return None;
        }
        *octets.get_mut(n)? = part.parse().ok()?;
        n += 1;
    }
    let len = u8::try_from(8 * n).ok()?;
    Prefix::new(IpAddr::from(octets), len).ok()
}

/// `2001:db8` (a trailing colon allowed): whole 16-bit groups.
fn partial_v6(t: &str) -> Option<Prefix> {
    if t.contains("::") {
        return None;
    }
    let body = t.strip_suffix(':').unwrap_or(t);
    let groups: Vec<&str> = body.split(':').collect();
    if groups.len() > 7
        || groups
            .iter()
            .any(|g| g.is_empty() || g.len() > 4 || !g.chars().all(|c| c.is_ascii_hexdigit()))
    {
        return None;
    }
    let addr: IpAddr = format!("{body}::").parse().ok()?;
    let len = u8::try_from(16 * groups.len()).ok()?;
    Prefix::new(addr, len).ok()
}

/// The rows of `table` that `filter` leaves.
pub fn filter_rows(table: &RouteTable, filter: &str) -> RowSet {
    let routes = table.routes();
    match parse_filter(filter) {
        FilterQuery::All => RowSet::Range {
            start: 0,
            end: routes.len(),
        },
        FilterQuery::Within(p) => {
            // Sorted by (family, address, length): the prefixes inside `p`
            // are one run that starts at the first one not below `p`.
            let start = routes.partition_point(|r| r.prefix() < p);
            let len = routes
                .get(start..)
                .map_or(0, |rest| rest.partition_point(|r| p.contains(&r.prefix())));
            RowSet::Range {
                start,
                end: start + len,
            }
        }
        FilterQuery::Covering(a) => {
            let mut rows: Vec<usize> = covering(Prefix::host(a), true)
                .flat_map(|p| {
                    let (s, e) = table.range_of(&p);
                    s..e
                })
                .collect();
            rows.sort_unstable();
            RowSet::Indices(rows)
        }
        FilterQuery::Invalid(why) => RowSet::Invalid(why),
    }
}

pub fn kind_tag(kind: PathKind) -> &'static str {
    match kind {
        PathKind::ExpressRoute => "ER",
        PathKind::Vpn => "VPN",
        PathKind::Unknown => "?",
    }
}

pub fn render(f: &mut Frame<'_>, area: Rect, app: &App) {
    let tables = &app.state.live.tables;
    let Some(view) = app.table() else {
        let p = Paragraph::new(Line::styled("no route table captured yet", app.theme.muted))
            .block(block(app, Pane::Routes, None));
        f.render_widget(p, area);
        return;
    };
    let extra = Line::from(vec![
        Span::styled(
            format!("[{}/{}] ", app.routes.table + 1, tables.len()),
            app.theme.muted,
        ),
        Span::styled(format!("{} {}", view.device, view.name), app.theme.accent),
    ]);
    let outer = block(app, Pane::Routes, Some(extra));
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let width = usize::from(inner.width);
    let height = usize::from(inner.height);
    if height == 0 || width == 0 {
        return;
    }
    let table = &view.latest;
    let rows = &app.routes.rows;
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(height);

    // Line 1: what was asked, and how fresh.
    lines.push(Line::from(vec![Span::styled(
        fit(&format!("$ {}", view.command), width),
        app.theme.muted,
    )]));
    // Line 2: counts, changes, filter.
    let d = &view.diff;
    let mut status = vec![Span::styled(
        format!("{} paths", table.len()),
        app.theme.text,
    )];
    if d.is_empty() {
        status.push(Span::styled(" · no change since start", app.theme.muted));
    } else {
        status.push(Span::styled(
            format!(
                " · since start: +{} −{} active changed {}",
                d.added.len(),
                d.removed.len(),
                d.active_changed.len()
            ),
            app.theme.changed,
        ));
    }
    status.extend(age_span(app, view.seen_at));
    if let Some(e) = &view.error {
        status.push(Span::styled(format!(" · stale: {e}"), app.theme.warn));
    }
    lines.push(Line::from(status));
    if app.routes.editing || !app.routes.filter.is_empty() {
        let cursor = if app.routes.editing { "▏" } else { "" };
        let mut spans = vec![
            Span::styled("/ ", app.theme.key),
            Span::styled(format!("{}{cursor}", app.routes.filter), app.theme.input),
        ];
        match rows {
            RowSet::Invalid(why) => spans.push(Span::styled(format!("  {why}"), app.theme.warn)),
            _ => spans.push(Span::styled(
                format!("  {} of {} paths", rows.len(), table.len()),
                app.theme.muted,
            )),
        }
        lines.push(Line::from(spans));
    }

    // Azure's failover test, while one is out: the prefixes it says only
    // this location carries (they need the VPN) and the redundant ones.
    if let Some(ft) = app.state.guard().and_then(|g| g.failover_test.as_ref()) {
        lines.push(Line::styled(fit(&ft.brief(), width), app.theme.warn));
    }

    // Column widths from the visible rows only.
    let body = height.saturating_sub(lines.len() + 1);
    let first = app.routes.scroll.min(rows.len().saturating_sub(1));
    let visible: Vec<usize> = (first..first + body).filter_map(|i| rows.get(i)).collect();
    let routes = table.routes();
    let prefix_w = visible
        .iter()
        .filter_map(|&i| routes.get(i))
        .map(|r| r.prefix().to_string().len())
        .max()
        .unwrap_or(18)
        .clamp(9, 43);
    let header = format!(
        "{} {} {} {} {} {:<12} next hops",
        "  ",
        pad("path", 4),
        pad("prefix", prefix_w),
        pad("proto", 7),
        pad("pref/lp", 8),
        "as path"
    );
    lines.push(Line::styled(fit(&header, width), app.theme.muted));

    let classifier = app.state.classifier();
    for &i in &visible {
        let Some(r) = routes.get(i) else { continue };
        let v = table.view(r);
        let prefix = r.prefix();
        let kind = classifier.classify_route(v);
        let changed = view.is_changed(&prefix);
        let mark = if changed { "Δ" } else { " " };
        let active = if r.active() { "*" } else { " " };
        let pref = match (r.preference(), r.local_pref()) {
            (Some(p), Some(lp)) => format!("{p}/{lp}"),
            (Some(p), None) => p.to_string(),
            (None, Some(lp)) => format!("-/{lp}"),
            (None, None) => String::new(),
        };
        let as_path = v.as_path().map_or_else(String::new, |p| {
            if p.is_empty() {
                "I".to_string()
            } else {
                p.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
            }
        });
        let hops = match v.next_hops() {
            None => "self".to_string(),
            Some(h) => h
                .iter()
                .map(|h| match (&h.addr, &h.interface) {
                    (Some(a), Some(i)) => format!("{a} ({i})"),
                    (Some(a), None) => a.to_string(),
                    (None, Some(i)) => i.to_string(),
                    (None, None) => String::new(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        };
        // The peer a path came from, unless it is the next hop itself.
        let hops = match v.learned_from() {
            Some(from)
                if !v
                    .next_hops()
                    .is_some_and(|h| h.iter().any(|h| h.addr == Some(from))) =>
            {
                format!("{hops} from {from}").trim().to_string()
            }
            _ => hops,
        };
        let row_style = if changed {
            app.theme.changed
        } else {
            app.theme.text
        };
        let fixed = 2 + 1 + 4 + 1 + prefix_w + 1 + 7 + 1 + 8 + 1 + 12 + 1;
        let spans = vec![
            Span::styled(mark, app.theme.changed),
            Span::styled(active, app.theme.ok),
            Span::raw(" "),
            Span::styled(pad(kind_tag(kind), 4), app.theme.path(kind)),
            Span::raw(" "),
            Span::styled(pad(&prefix.to_string(), prefix_w), row_style),
            Span::raw(" "),
            Span::styled(pad(v.protocol_name(), 7), app.theme.text),
            Span::raw(" "),
            Span::styled(pad(&pref, 8), app.theme.text),
            Span::raw(" "),
            Span::styled(pad(&as_path, 12), app.theme.text),
            Span::raw(" "),
            Span::styled(fit(&hops, width.saturating_sub(fixed)), app.theme.text),
        ];
        lines.push(Line::from(spans));
    }
    if rows.is_empty() && !matches!(rows, RowSet::Invalid(_)) {
        lines.push(Line::styled(
            if table.is_empty() {
                "the table is empty"
            } else {
                "no path matches the filter"
            },
            app.theme.muted,
        ));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests {
    use super::*;
    use cutover_core::model::table::RouteSource;

    fn p(s: &str) -> Prefix {
        s.parse().expect("prefix")
    }

    fn table(prefixes: &[&str]) -> RouteTable {
        RouteTable::from_sources("t", prefixes.iter().map(|s| RouteSource::new(p(s))))
            .expect("table")
    }

    fn prefixes(t: &RouteTable, rows: &RowSet) -> Vec<String> {
        (0..rows.len())
            .filter_map(|i| rows.get(i))
            .filter_map(|i| t.routes().get(i))
            .map(|r| r.prefix().to_string())
            .collect()
    }

    #[test]
    fn filter_reads_partial_prefixes() {
        assert_eq!(parse_filter(""), FilterQuery::All);
        assert_eq!(parse_filter("10"), FilterQuery::Within(p("10.0.0.0/8")));
        assert_eq!(
            parse_filter("10.17."),
            FilterQuery::Within(p("10.17.0.0/16"))
        );
        assert_eq!(
            parse_filter("10.17.11"),
            FilterQuery::Within(p("10.17.11.0/24"))
        );
        assert_eq!(
            parse_filter("10.17.11.0/24"),
            FilterQuery::Within(p("10.17.11.0/24"))
        );
        assert_eq!(
            parse_filter("10.17.11.132"),
            FilterQuery::Covering("10.17.11.132".parse().expect("ip"))
        );
        assert_eq!(
            parse_filter("2001:db8"),
            FilterQuery::Within(p("2001:db8::/32"))
        );
        assert!(matches!(parse_filter("10.300"), FilterQuery::Invalid(_)));
        assert!(matches!(parse_filter("bgp"), FilterQuery::Invalid(_)));
        assert!(matches!(parse_filter("10.1/99"), FilterQuery::Invalid(_)));
    }

    #[test]
    fn within_is_one_run_of_the_sorted_table() {
        let t = table(&[
            "10.17.11.128/26",
            "10.17.11.0/25",
            "10.17.11.128/25",
            "10.17.11.76/32",
            "10.17.10.0/24",
            "10.1.11.0/25",
            "0.0.0.0/0",
            "2001:db8::/32",
        ]);
        let rows = filter_rows(&t, "10.17.11");
        assert_eq!(
            prefixes(&t, &rows),
            [
                "10.17.11.0/25",
                "10.17.11.76/32",
                "10.17.11.128/25",
                "10.17.11.128/26"
            ]
        );
        let rows = filter_rows(&t, "10.17.11.128/26");
        assert_eq!(prefixes(&t, &rows), ["10.17.11.128/26"]);
        let rows = filter_rows(&t, "10.17.11.132");
        assert_eq!(
            prefixes(&t, &rows),
            ["0.0.0.0/0", "10.17.11.128/25", "10.17.11.128/26"]
        );
        assert_eq!(filter_rows(&t, "").len(), 8);
        assert_eq!(filter_rows(&t, "2001").len(), 1);
        assert!(matches!(filter_rows(&t, "x"), RowSet::Invalid(_)));
        assert_eq!(filter_rows(&t, "192.168").len(), 0);
    }
}
