//! The report as one self-contained HTML file: inline CSS, an inline SVG
//! timeline, no script, no external asset of any kind (it is opened from
//! a ticket attachment, often offline, and must show the same everywhere).
//!
//! Every piece of text from the journal is redacted, then escaped for HTML
//! (`& < > " '`), in element content and in attributes alike, so a step's
//! evidence that contains markup shows as text.

use std::fmt::Write as _;

use super::model::*;
use super::text;
use cutover_journal::Redactor;
use cutover_core::model::diff::{HopAddress, TableDiff};

/// Rows listed per table before "and N more" (the JSON has them all).
pub const MAX_ROWS: usize = 50;

/// Escapes text for element content and quoted attributes.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const CSS: &str = "
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#1b1f24;background:#fff;line-height:1.4}
h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:1.8em}
h3{margin-top:1.4em}h4{margin:1em 0 .4em}
table{border-collapse:collapse;margin:.5em 0 1em;width:100%}
th,td{border:1px solid #d0d7de;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.k{width:14em;background:#f6f8fa;font-weight:600}
pre,code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:.6em;overflow-x:auto;white-space:pre-wrap}
.warn{background:#fff1f0;border:3px solid #cf222e;padding:.8em 1em;margin:1em 0;color:#82071e}
.warn strong{font-size:1.1em}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.5em 1em;margin:.5em 0}
.pass,.passed,.confirmed{color:#1a7f37;font-weight:600}
.fail,.failed,.declined,.rollback_failed{color:#cf222e;font-weight:700}
.overridden,.override,.rolled_back,.unfinished{color:#9a6700;font-weight:700}
.skipped,.not_run,.muted{color:#6e7781}
.kind-expressroute{color:#0550ae;font-weight:600}.kind-vpn{color:#8250df;font-weight:600}.kind-unknown{color:#6e7781}
svg text{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}
.legend span{display:inline-block;margin-right:1.2em}
.sw{display:inline-block;width:.9em;height:.9em;vertical-align:-0.1em;margin-right:.3em;border-radius:2px}
";

struct Html<'a> {
    out: String,
    red: &'a Redactor,
}

impl Html<'_> {
    /// Redacted and escaped.
    fn t(&self, s: &str) -> String {
        escape(&self.red.redact_str(s))
    }

    fn opt(&self, s: Option<&str>) -> String {
        s.map_or_else(|| "-".to_string(), |s| self.t(s))
    }

    fn push(&mut self, s: &str) {
        self.out.push_str(s);
    }

    /// A key/value table; values are already escaped.
    fn kv(&mut self, rows: &[(&str, String)]) {
        self.push("<table>");
        for (k, v) in rows {
            let _ = write!(
                self.out,
                "<tr><td class=\"k\">{}</td><td>{v}</td></tr>",
                escape(k)
            );
        }
        self.push("</table>\n");
    }

    fn thead(&mut self, cells: &[&str]) {
        self.push("<table><tr>");
        for c in cells {
            let _ = write!(self.out, "<th>{}</th>", escape(c));
        }
        self.push("</tr>\n");
    }

    /// A row of already escaped cells.
    fn tr(&mut self, cells: &[String]) {
        self.push("<tr>");
        for c in cells {
            let _ = write!(self.out, "<td>{c}</td>");
        }
        self.push("</tr>\n");
    }

    fn pre(&mut self, body: &str) {
        let _ = writeln!(
            self.out,
            "<pre>{}</pre>",
            self.t(body.trim_end_matches('\n'))
        );
    }

    fn more(&mut self, total: usize) {
        if total > MAX_ROWS {
            let _ = writeln!(
                self.out,
                "<p class=\"muted\">… and {} more (see the JSON report).</p>",
                total - MAX_ROWS
            );
        }
    }
}

fn class_span(class: &str, text: &str) -> String {
    format!("<span class=\"{}\">{}</span>", escape(class), escape(text))
}

/// The report as one HTML document.
pub fn render(r: &Report, red: &Redactor) -> String {
    let mut h = Html {
        out: String::new(),
        red,
    };
    let title = r
        .session
        .runbook
        .as_ref()
        .map_or("unknown runbook".to_string(), |rb| rb.title.clone());
    let _ = write!(
        h.out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Change report: {}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>Change report: {}</h1>\n",
        h.t(&title),
        h.t(&title)
    );
    if r.integrity.tampered {
        let _ = writeln!(
            h.out,
            "<div class=\"warn\" role=\"alert\"><strong>WARNING: THE JOURNAL FAILED ITS INTEGRITY CHECK.</strong> It was edited after it was written, or damaged. Do not rely on this report without the original journal.<br>{}</div>",
            h.t(&r.integrity.summary)
        );
    }
    for w in &r.warnings {
        let class = if r.integrity.tampered && w.starts_with("JOURNAL INTEGRITY") {
            "warn"
        } else {
            "note"
        };
        let _ = writeln!(
            h.out,
            "<div class=\"{class}\"><strong>Warning:</strong> {}</div>",
            h.t(w)
        );
    }

    summary(&mut h, r);
    timeline(&mut h, r);
    timings(&mut h, r);
    steps(&mut h, r);
    gates(&mut h, r);
    actions(&mut h, r);
    routes(&mut h, r);
    traces(&mut h, r);
    notes(&mut h, r);

    h.push("<h2>Journal integrity</h2>\n");
    let i = &r.integrity;
    let mut rows = vec![
        ("Journal", h.t(&r.journal)),
        (
            "Status",
            class_span(if i.tampered { "fail" } else { "pass" }, &i.status),
        ),
        ("Check", h.t(&i.summary)),
        (
            "Records",
            format!("{} read, {} verified", i.records, i.verified_records),
        ),
        (
            "Head hash",
            format!("<code>{}</code>", h.opt(i.head_hash.as_deref())),
        ),
    ];
    if i.unknown_kinds > 0 {
        rows.push((
            "Not interpreted",
            format!(
                "{} records of kinds this version does not know",
                i.unknown_kinds
            ),
        ));
    }
    rows.push(("Path rules", h.t(&i.path_rules)));
    rows.push(("Report by", h.t(&r.generated_by)));
    h.kv(&rows);
    h.push("</body>\n</html>\n");
    h.out
}

fn summary(h: &mut Html<'_>, r: &Report) {
    let s = &r.session;
    h.push("<h2>Summary</h2>\n");
    let mode = match (&s.mode, &s.scenario) {
        (Some(mode), Some(sc)) => format!("{} (scenario {})", h.t(mode), h.t(sc)),
        (Some(mode), None) => h.t(mode),
        (None, _) => "-".into(),
    };
    let mut rows = vec![
        ("Operator", h.opt(s.operator.as_deref())),
        ("Ticket", h.opt(s.ticket.as_deref())),
        ("Mode", mode),
    ];
    if let Some(rb) = &s.runbook {
        rows.push((
            "Runbook",
            format!("<code>{}</code> — {}", h.t(&rb.id), h.t(&rb.title)),
        ));
        rows.push((
            "Runbook SHA-256",
            format!("<code>{}</code>", h.t(&rb.sha256)),
        ));
    }
    rows.push(("Session", h.opt(s.session_id.as_deref())));
    rows.push(("Started", h.opt(s.started_at.as_deref())));
    rows.push(("Ended", h.opt(s.ended_at.as_deref())));
    rows.push(("Duration", s.duration_ms.map_or("-".into(), text::duration)));
    let o = &r.outcome;
    let outcome = match o.exit_code {
        Some(code) => format!(
            "{}: {} — {}",
            class_span(
                if code == 0 { "pass" } else { "fail" },
                &format!("exit {code}")
            ),
            h.opt(o.outcome.as_deref()),
            h.t(&o.meaning)
        ),
        None => format!("{}: {}", class_span("fail", "not closed"), h.t(&o.meaning)),
    };
    rows.push(("Outcome", outcome));
    let timing_rows: Vec<(String, String)> = r
        .timings
        .iter()
        .filter(|t| t.name == "failover" || t.name == "failback")
        .map(|t| {
            (
                format!("{} time", t.name),
                format!(
                    "<strong>{}</strong> ({})",
                    text::duration(t.millis),
                    h.t(&t.source)
                ),
            )
        })
        .collect();
    for (k, v) in &timing_rows {
        rows.push((k.as_str(), v.clone()));
    }
    rows.push(("Journal", h.t(&r.integrity.summary)));
    h.kv(&rows);
}

fn timings(h: &mut Html<'_>, r: &Report) {
    if r.timings.is_empty() {
        return;
    }
    h.push("<h2>Timings</h2>\n");
    h.thead(&["Measurement", "Step", "Time", "Source", "Records"]);
    for t in &r.timings {
        let seqs: Vec<String> = t.seqs.iter().map(|s| format!("seq {s}")).collect();
        let source = match t.source.as_str() {
            "measured" => "measured by the engine".to_string(),
            "derived" => "derived: change applied → first passing verification".to_string(),
            other => h.t(other),
        };
        h.tr(&[
            h.t(&t.name),
            h.t(&t.step),
            format!("<strong>{}</strong>", text::duration(t.millis)),
            source,
            seqs.join(", "),
        ]);
    }
    h.push("</table>\n");
}

fn steps(h: &mut Html<'_>, r: &Report) {
    h.push("<h2>Steps</h2>\n");
    h.thead(&[
        "#", "Step", "Phase", "Started", "Duration", "Verdict", "Checks",
    ]);
    for (i, s) in r.steps.iter().enumerate() {
        let passed = s.expectations.iter().filter(|e| e.passed).count();
        h.tr(&[
            (i + 1).to_string(),
            format!("<code>{}</code><br>{}", h.t(&s.id), h.t(&s.title)),
            h.t(&s.phase),
            h.opt(s.started_at.as_deref()),
            s.duration_ms.map_or("-".into(), text::duration),
            class_span(&s.verdict, text::verdict(&s.verdict)),
            if s.expectations.is_empty() {
                "-".into()
            } else {
                format!("{passed}/{}", s.expectations.len())
            },
        ]);
    }
    h.push("</table>\n<h3>Step details</h3>\n");
    for (i, s) in r.steps.iter().enumerate() {
        if s.commands.is_empty() && s.expectations.is_empty() {
            continue;
        }
        let _ = writeln!(
            h.out,
            "<h4 id=\"step-{}\">{}. <code>{}</code> — {} · {}{}</h4>",
            i + 1,
            i + 1,
            h.t(&s.id),
            h.t(&s.title),
            class_span(&s.verdict, text::verdict(&s.verdict)),
            s.duration_ms
                .map_or(String::new(), |d| format!(" in {}", text::duration(d)))
        );
        if !s.commands.is_empty() {
            let cmds: String = s
                .commands
                .iter()
                .map(|c| format!("{}> {}\n", c.device, c.command))
                .collect();
            h.pre(&cmds);
            h.thead(&["Device", "Query", "Runs", "Time", "Result", "Request id"]);
            for c in &s.commands {
                h.tr(&[
                    h.t(&c.device),
                    h.t(&c.query),
                    c.runs.to_string(),
                    text::duration(c.elapsed_ms),
                    match &c.error {
                        Some(e) => format!("{}: {}", class_span("fail", "error"), h.t(e)),
                        None => "ok".into(),
                    },
                    h.opt(c.request_id.as_deref()),
                ]);
            }
            h.push("</table>\n");
        }
        if !s.expectations.is_empty() {
            h.thead(&["Result", "Expectation", "Evidence"]);
            for e in &s.expectations {
                h.tr(&[
                    class_span(if e.passed { "pass" } else { "fail" }, text::pass(e.passed)),
                    h.t(&e.clause),
                    h.t(&e.evidence),
                ]);
            }
            h.push("</table>\n");
        }
    }
}

fn gates(h: &mut Html<'_>, r: &Report) {
    if r.gates.is_empty() {
        return;
    }
    h.push("<h2>Gates</h2>\n");
    h.thead(&[
        "Step",
        "Prompt",
        "Failed pre-checks",
        "Decision",
        "Override reason",
        "Decided at",
    ]);
    for g in &r.gates {
        h.tr(&[
            h.t(&g.step),
            h.t(&g.prompt),
            if g.failed_checks.is_empty() {
                "none".into()
            } else {
                h.t(&g.failed_checks.join(", "))
            },
            class_span(&g.decision, &g.decision.to_uppercase()),
            h.opt(g.reason.as_deref()),
            h.opt(g.decided_at.as_deref()),
        ]);
    }
    h.push("</table>\n");
}

fn attempts(h: &mut Html<'_>, list: &[Attempt]) {
    h.thead(&[
        "At",
        "Request",
        "Status",
        "Error",
        "Retry after",
        "Request id",
    ]);
    for a in list {
        h.tr(&[
            h.t(&a.at),
            format!("<code>{} {}</code>", h.t(&a.method), h.t(&a.path)),
            a.status.to_string(),
            h.opt(a.error_code.as_deref()),
            a.retry_after_ms.map_or("-".into(), text::duration),
            h.opt(a.request_id.as_deref()),
        ]);
    }
    h.push("</table>\n");
}

fn actions(h: &mut Html<'_>, r: &Report) {
    if r.actions.is_empty() {
        return;
    }
    h.push("<h2>Guarded changes</h2>\n");
    for a in &r.actions {
        let _ = writeln!(
            h.out,
            "<h3><code>{}</code> on {} (step {})</h3>",
            h.t(&a.op),
            h.t(&a.target),
            h.t(&a.step)
        );
        let applied = match a.ok {
            Some(true) => format!(
                "applied at {}: {}",
                h.opt(a.done_at.as_deref()),
                h.opt(a.detail.as_deref())
            ),
            Some(false) => format!(
                "{} at {}: {}",
                class_span("fail", "FAILED"),
                h.opt(a.done_at.as_deref()),
                h.opt(a.detail.as_deref())
            ),
            None => "no answer recorded".into(),
        };
        let mut rows = vec![
            (
                "Result",
                class_span(&a.result, text::action_result(&a.result)),
            ),
            ("Started", format!("{} (seq {})", h.t(&a.started_at), a.seq)),
            ("Change", applied),
        ];
        if let Some(d) = &a.deadline {
            rows.push((
                "Deadline",
                format!(
                    "{} s, armed {}, expires {}",
                    d.seconds,
                    h.t(&d.armed_at),
                    h.t(&d.expires_at)
                ),
            ));
        }
        if let Some(c) = &a.confirmed_at {
            rows.push(("Confirmed healthy", h.t(c)));
        }
        h.kv(&rows);
        if !a.attempts.is_empty() {
            h.push("<h4>Attempts</h4>\n");
            attempts(h, &a.attempts);
        }
        if !a.verifications.is_empty() {
            h.push("<h4>Verifications</h4>\n");
            h.thead(&["At", "Result", "Clause", "Evidence", "After the change"]);
            for v in &a.verifications {
                h.tr(&[
                    h.t(&v.at),
                    class_span(if v.passed { "pass" } else { "fail" }, text::pass(v.passed)),
                    h.t(&v.clause),
                    h.t(&v.evidence),
                    text::duration(v.elapsed_ms),
                ]);
            }
            h.push("</table>\n");
        }
        if let Some(rb) = &a.rollback {
            h.push("<h4>Rollback</h4>\n");
            let result = match rb.result.as_str() {
                "done" => format!(
                    "{} at {}: {}",
                    class_span("pass", "done"),
                    h.opt(rb.ended_at.as_deref()),
                    h.opt(rb.detail.as_deref())
                ),
                "failed" => format!(
                    "{} at {}: {}",
                    class_span("fail", "FAILED"),
                    h.opt(rb.ended_at.as_deref()),
                    h.opt(rb.error.as_deref())
                ),
                _ => class_span("fail", "still running when the journal ends"),
            };
            h.kv(&[
                ("Operation", format!("<code>{}</code>", h.t(&rb.op))),
                ("Why", escape(text::rollback_reason(&rb.reason))),
                ("Started", h.t(&rb.started_at)),
                ("Result", result),
            ]);
            if !rb.attempts.is_empty() {
                attempts(h, &rb.attempts);
            }
            if let Some(man) = &rb.manual {
                h.push("<div class=\"warn\"><strong>The operator must run one of these by hand:</strong>\n");
                h.pre(&man.az_cli);
                h.pre(&man.powershell);
                h.push("</div>\n");
            }
        }
        if a.result != "rollback_failed" && !a.manual.az_cli.is_empty() {
            h.push("<h4>The same change by hand</h4>\n");
            h.pre(&a.manual.az_cli);
            h.pre(&a.manual.powershell);
        }
    }
}

fn kind_span(k: cutover_core::model::path::PathKind) -> String {
    class_span(&format!("kind-{}", k.as_str()), text::kind(k))
}

fn table_diff(h: &mut Html<'_>, d: &TableDiff) {
    if d.is_empty() {
        h.push("<p>No difference.</p>\n");
        return;
    }
    if !d.active_changed.is_empty() {
        h.thead(&["Prefix", "Active before", "Active after"]);
        for c in d.active_changed.iter().take(MAX_ROWS) {
            let side = |p: Option<&cutover_core::model::analysis::PathView>| match p {
                Some(p) => format!("{} {}", kind_span(p.kind), h.t(&text::path(p))),
                None => "no active path".to_string(),
            };
            h.tr(&[
                format!("<code>{}</code>", h.t(&c.prefix.to_string())),
                side(c.before.as_ref()),
                format!("<strong>{}</strong>", side(c.after.as_ref())),
            ]);
        }
        h.push("</table>\n");
        h.more(d.active_changed.len());
    }
    if !d.removed.is_empty() || !d.added.is_empty() {
        h.thead(&["", "Prefix", "Path"]);
        for (sign, list) in [("removed", &d.removed), ("added", &d.added)] {
            for c in list.iter().take(MAX_ROWS) {
                h.tr(&[
                    sign.to_string(),
                    format!("<code>{}</code>", h.t(&c.prefix.to_string())),
                    h.t(&text::path(&c.path)),
                ]);
            }
        }
        h.push("</table>\n");
        h.more(d.removed.len().max(d.added.len()));
    }
}

fn capture(h: &Html<'_>, c: &CaptureRef) -> String {
    format!("seq {} ({}, {})", c.seq, h.t(&c.step), h.t(&c.at))
}

fn routes(h: &mut Html<'_>, r: &Report) {
    if r.route_changes.is_empty() {
        return;
    }
    h.push("<h2>Route changes</h2>\n");
    let (changed, same): (Vec<&RouteSource>, Vec<&RouteSource>) = r
        .route_changes
        .iter()
        .partition(|s| !s.changes.is_empty() || !s.errors.is_empty());
    for s in changed {
        let _ = writeln!(
            h.out,
            "<h3>{} · <code>{}</code> ({})</h3>\n<p>{} captures, first {}, last {}.</p>",
            h.t(&s.device),
            h.t(&s.command),
            h.t(&s.table),
            s.captures,
            capture(h, &s.first),
            capture(h, &s.last)
        );
        for (i, c) in s.changes.iter().enumerate() {
            let _ = writeln!(
                h.out,
                "<h4>Change {}: {} → {}</h4>",
                i + 1,
                capture(h, &c.from),
                capture(h, &c.to)
            );
            table_diff(h, &c.diff);
        }
        h.push("<h4>Net, first capture to last</h4>\n");
        if s.net.is_empty() {
            h.push("<p>No difference: the table ended as it started.</p>\n");
        } else {
            table_diff(h, &s.net);
        }
        if !s.errors.is_empty() {
            h.push("<ul>");
            for e in &s.errors {
                let _ = write!(h.out, "<li>unreadable capture: {}</li>", h.t(e));
            }
            h.push("</ul>\n");
        }
    }
    if !same.is_empty() {
        let names: Vec<String> = same
            .iter()
            .map(|s| format!("{} · <code>{}</code>", h.t(&s.device), h.t(&s.command)))
            .collect();
        let _ = writeln!(
            h.out,
            "<p>Unchanged over the session: {}.</p>",
            names.join("; ")
        );
    }
}

fn hops(h: &Html<'_>, l: &[HopAddress]) -> String {
    if l.is_empty() {
        return "-".into();
    }
    l.iter()
        .map(|x| format!("<code>{}</code> (TTL {})", h.t(&x.address), x.ttl))
        .collect::<Vec<_>>()
        .join(", ")
}

fn traces(h: &mut Html<'_>, r: &Report) {
    if r.trace_changes.is_empty() {
        return;
    }
    h.push("<h2>Traceroute changes</h2>\n");
    for s in &r.trace_changes {
        let _ = writeln!(
            h.out,
            "<h3>{} · <code>{}</code>{}</h3>",
            h.t(&s.device),
            h.t(&s.command),
            s.target
                .as_deref()
                .map_or(String::new(), |t| format!(" → {}", h.t(t)))
        );
        let path: Vec<String> = s
            .path
            .iter()
            .map(|p| {
                format!(
                    "{}{} at {}",
                    kind_span(p.kind),
                    if p.reached {
                        ""
                    } else {
                        " (target not reached)"
                    },
                    capture(h, &p.capture)
                )
            })
            .collect();
        let _ = writeln!(h.out, "<p>Path over the session: {}.</p>", path.join(" → "));
        if !s.changes.is_empty() {
            h.thead(&["From", "To", "Path", "Hops lost", "Hops gained"]);
            for c in &s.changes {
                h.tr(&[
                    capture(h, &c.from),
                    capture(h, &c.to),
                    format!(
                        "{} → <strong>{}</strong>",
                        kind_span(c.diff.kind_before()),
                        kind_span(c.diff.kind_after())
                    ),
                    hops(h, &c.diff.lost),
                    hops(h, &c.diff.gained),
                ]);
            }
            h.push("</table>\n");
        }
        let _ = writeln!(
            h.out,
            "<p>Net, first capture to last: {} → {}; lost {}, gained {}.</p>",
            kind_span(s.net.kind_before()),
            kind_span(s.net.kind_after()),
            hops(h, &s.net.lost),
            hops(h, &s.net.gained)
        );
        if !s.errors.is_empty() {
            h.push("<ul>");
            for e in &s.errors {
                let _ = write!(h.out, "<li>unreadable capture: {}</li>", h.t(e));
            }
            h.push("</ul>\n");
        }
    }
}

fn notes(h: &mut Html<'_>, r: &Report) {
    if r.notes.is_empty() {
        return;
    }
    h.push("<h2>Notes</h2>\n");
    h.thead(&["At", "Level", "Step", "Text"]);
    for n in &r.notes {
        let level = match n.level.as_str() {
            "info" => "info".to_string(),
            "warn" => class_span("overridden", "WARN"),
            _ => class_span("fail", &n.level.to_uppercase()),
        };
        h.tr(&[h.t(&n.at), level, h.opt(n.step.as_deref()), h.t(&n.text)]);
    }
    h.push("</table>\n");
}

// ---------------------------------------------------------------- timeline

const SVG_W: f64 = 1000.0;
const LABEL_W: f64 = 250.0;
const PLOT_X0: f64 = 260.0;
const PLOT_X1: f64 = 985.0;
const TOP: f64 = 30.0;
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
        ("action", _) => ("A", "#bc4c00"),
        ("action_done", Some(false)) => ("!", "#cf222e"),
        ("action_done", _) => ("a", "#bc4c00"),
        ("deadline", _) => ("D", "#9a6700"),
        ("verify", Some(false)) => ("V", "#cf222e"),
        ("verify", _) => ("V", "#1a7f37"),
        ("confirm", _) => ("C", "#1a7f37"),
        ("rollback", _) => ("R", "#cf222e"),
        ("rollback_done", _) => ("r", "#9a6700"),
        ("rollback_failed", _) => ("X", "#cf222e"),
        ("session_end", Some(true)) => ("E", "#1a7f37"),
        ("session_end", _) => ("E", "#cf222e"),
        _ => ("·", "#6e7781"),
    }
}

fn parse_ts(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

/// The inline SVG: one bar per step on a time axis, a band for each
/// deadline, and a marker line per gate, action, deadline, verification,
/// confirmation, rollback and the end. Each element has a `<title>`, which
/// browsers show on hover without any script.
fn timeline(h: &mut Html<'_>, r: &Report) {
    let Some(start) = r.session.started_at.as_deref().and_then(parse_ts) else {
        return;
    };
    let at = |s: &str| -> Option<u64> {
        let t = parse_ts(s)?;
        Some(u64::try_from((t - start).whole_milliseconds().max(0)).unwrap_or(u64::MAX))
    };
    let total = r.session.duration_ms.unwrap_or(0).max(1);
    let x = |ms: u64| PLOT_X0 + (PLOT_X1 - PLOT_X0) * (ms.min(total) as f64 / total as f64);
    let rows = r.steps.len() as f64;
    let plot_bottom = TOP + rows * ROW_H + 4.0;
    let height = plot_bottom + AXIS_H;

    h.push("<h2>Timeline</h2>\n");
    let _ = writeln!(
        h.out,
        "<svg viewBox=\"0 0 {SVG_W} {height}\" width=\"100%\" role=\"img\" aria-label=\"Session timeline\">"
    );
    let _ = writeln!(
        h.out,
        "<rect x=\"{PLOT_X0}\" y=\"{TOP}\" width=\"{}\" height=\"{}\" fill=\"#f6f8fa\"/>",
        PLOT_X1 - PLOT_X0,
        plot_bottom - TOP
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
            h.out,
            "<rect x=\"{:.1}\" y=\"{TOP}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#fff8c5\" stroke=\"#d4a72c\" stroke-dasharray=\"4 2\"><title>{}</title></rect>",
            x(x0),
            (x(end) - x(x0)).max(1.0),
            plot_bottom - TOP,
            h.t(&format!(
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
    let mut t = 0;
    while t <= total {
        let xt = x(t);
        let _ = writeln!(
            h.out,
            "<line x1=\"{xt:.1}\" y1=\"{TOP}\" x2=\"{xt:.1}\" y2=\"{:.1}\" stroke=\"#d0d7de\" stroke-width=\"0.5\"/><text x=\"{xt:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#57606a\">{}</text>",
            plot_bottom,
            plot_bottom + 16.0,
            escape(&text::offset(t))
        );
        t += step;
    }

    // Step bars.
    for (i, s) in r.steps.iter().enumerate() {
        let y = TOP + i as f64 * ROW_H + 3.0;
        let label: String = if s.id.chars().count() > 34 {
            s.id.chars().take(33).chain(['…']).collect()
        } else {
            s.id.clone()
        };
        let _ = writeln!(
            h.out,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"{}\">{}</text>",
            LABEL_W,
            y + BAR_H - 2.0,
            if s.started_at.is_some() {
                "#1b1f24"
            } else {
                "#8c959f"
            },
            h.t(&label)
        );
        let Some(s0) = s.started_at.as_deref().and_then(at) else {
            continue;
        };
        let s1 = s.ended_at.as_deref().and_then(at).unwrap_or(total);
        let _ = writeln!(
            h.out,
            "<rect x=\"{:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{BAR_H}\" rx=\"2\" fill=\"{}\"><title>{}</title></rect>",
            x(s0),
            (x(s1) - x(s0)).max(2.0),
            verdict_color(&s.verdict),
            h.t(&format!(
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
    for m in &r.timeline {
        let (glyph, color) = marker_style(&m.kind, m.ok);
        let xm = x(m.offset_ms);
        let _ = writeln!(
            h.out,
            "<g><title>{}</title><line x1=\"{xm:.1}\" y1=\"{:.1}\" x2=\"{xm:.1}\" y2=\"{plot_bottom:.1}\" stroke=\"{color}\" stroke-width=\"1.5\"/><text x=\"{xm:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{color}\" font-weight=\"bold\">{}</text></g>",
            h.t(&format!(
                "{} {} (seq {}): {}",
                text::offset(m.offset_ms),
                m.at,
                m.seq,
                m.label
            )),
            TOP - 12.0,
            TOP - 16.0,
            escape(glyph)
        );
    }
    h.push("</svg>\n");
    h.push("<p class=\"legend\">");
    for (c, label) in [
        ("#2da44e", "passed"),
        ("#cf222e", "failed"),
        ("#d4a72c", "overridden"),
        ("#8250df", "unfinished"),
        ("#fff8c5", "guarded window"),
    ] {
        let _ = write!(
            h.out,
            "<span><i class=\"sw\" style=\"background:{c}\"></i>{label}</span>"
        );
    }
    h.push("<span>G gate · A change sent · a applied · D deadline armed · V verification · C confirmed healthy · R rollback · r rolled back · X rollback failed · E end</span></p>\n");
}
