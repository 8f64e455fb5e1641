//! The report as Markdown (GitHub-flavoured tables), for pasting into a
//! change ticket.
//!
//! Every piece of text from the journal is redacted, then escaped: in
//! prose and table cells Markdown's punctuation is backslash-escaped and
//! `<`, `>` and `&` become entities (ticket systems render inline HTML);
//! exact commands and raw evidence go into fenced code blocks whose fence
//! is longer than any run of backticks inside.

use std::fmt::Write as _;

use super::model::*;
use super::text;
use cutover_journal::Redactor;
use cutover_core::model::diff::TableDiff;

/// Rows listed per table before "and N more" (the JSON has them all).
pub const MAX_ROWS: usize = 50;

/// Escapes text for a paragraph or a table cell.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '!' => {
                o.push('\\');
                o.push(c);
            }
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '\r' => {}
            '\n' => o.push_str("<br>"),
            _ => o.push(c),
        }
    }
    o
}

struct Md<'a> {
    out: String,
    red: &'a Redactor,
}

impl Md<'_> {
    /// Redacted and escaped.
    fn t(&self, s: &str) -> String {
        escape(&self.red.redact_str(s))
    }

    fn opt(&self, s: Option<&str>) -> String {
        s.map_or_else(|| "-".to_string(), |s| self.t(s))
    }

    fn line(&mut self, s: &str) {
        self.out.push_str(s);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn row(&mut self, cells: &[String]) {
        let _ = writeln!(self.out, "| {} |", cells.join(" | "));
    }

    fn header(&mut self, cells: &[&str]) {
        let _ = writeln!(self.out, "| {} |", cells.join(" | "));
        let _ = writeln!(self.out, "|{}", "---|".repeat(cells.len()));
    }

    /// A fenced block of verbatim text (redacted, not escaped).
    fn code(&mut self, lang: &str, body: &str) {
        let body = self.red.redact_str(body).into_owned();
        let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let _ = writeln!(self.out, "{fence}{lang}");
        self.out.push_str(body.trim_end_matches('\n'));
        let _ = writeln!(self.out, "\n{fence}");
    }

    fn more(&mut self, total: usize) {
        if total > MAX_ROWS {
            let _ = writeln!(
                self.out,
                "\n_… and {} more (see the JSON report)._",
                total - MAX_ROWS
            );
        }
    }
}

/// The report as Markdown.
pub fn render(r: &Report, red: &Redactor) -> String {
    let mut m = Md {
        out: String::new(),
        red,
    };
    let title = r
        .session
        .runbook
        .as_ref()
        .map_or("unknown runbook".to_string(), |rb| rb.title.clone());
    let _ = writeln!(m.out, "# Change report: {}", m.t(&title));
    m.blank();
    if r.integrity.tampered {
        m.line("> **WARNING: THE JOURNAL FAILED ITS INTEGRITY CHECK.** It was edited after it was written, or damaged. Do not rely on this report without the original journal.");
        m.line(">");
    }
    for w in &r.warnings {
        let _ = writeln!(m.out, "> **Warning:** {}", m.t(w));
        m.line(">");
    }
    if r.integrity.tampered || !r.warnings.is_empty() {
        // Close the quote.
        m.out.truncate(m.out.len() - 2);
        m.blank();
    }

    summary(&mut m, r);
    timings(&mut m, r);
    steps(&mut m, r);
    gates(&mut m, r);
    actions(&mut m, r);
    routes(&mut m, r);
    traces(&mut m, r);
    notes(&mut m, r);

    m.line("## Journal integrity");
    m.blank();
    m.header(&["", ""]);
    let i = &r.integrity;
    m.row(&["Journal".into(), m.t(&r.journal)]);
    m.row(&["Status".into(), format!("**{}**", m.t(&i.status))]);
    m.row(&["Check".into(), m.t(&i.summary)]);
    m.row(&[
        "Records".into(),
        format!("{} read, {} verified", i.records, i.verified_records),
    ]);
    m.row(&["Head hash".into(), m.opt(i.head_hash.as_deref())]);
    if i.unknown_kinds > 0 {
        m.row(&[
            "Not interpreted".into(),
            format!(
                "{} records of kinds this version does not know",
                i.unknown_kinds
            ),
        ]);
    }
    m.row(&["Path rules".into(), m.t(&i.path_rules)]);
    m.row(&["Report by".into(), m.t(&r.generated_by)]);
    m.out
}

fn summary(m: &mut Md<'_>, r: &Report) {
    let s = &r.session;
    m.line("## Summary");
    m.blank();
    m.header(&["", ""]);
    m.row(&["Operator".into(), m.opt(s.operator.as_deref())]);
    m.row(&["Ticket".into(), m.opt(s.ticket.as_deref())]);
    let mode = match (&s.mode, &s.scenario) {
        (Some(mode), Some(sc)) => format!("{} (scenario {})", m.t(mode), m.t(sc)),
        (Some(mode), None) => m.t(mode),
        (None, _) => "-".into(),
    };
    m.row(&["Mode".into(), mode]);
    if let Some(rb) = &s.runbook {
        m.row(&[
            "Runbook".into(),
            format!("{} — {}", m.t(&rb.id), m.t(&rb.title)),
        ]);
        m.row(&["Runbook SHA-256".into(), m.t(&rb.sha256)]);
    }
    m.row(&["Session".into(), m.opt(s.session_id.as_deref())]);
    m.row(&["Started".into(), m.opt(s.started_at.as_deref())]);
    m.row(&["Ended".into(), m.opt(s.ended_at.as_deref())]);
    m.row(&[
        "Duration".into(),
        s.duration_ms.map_or("-".into(), text::duration),
    ]);
    let o = &r.outcome;
    let outcome = match o.exit_code {
        Some(code) => format!(
            "**exit {code}**: {} — {}",
            m.opt(o.outcome.as_deref()),
            m.t(&o.meaning)
        ),
        None => format!("**not closed**: {}", m.t(&o.meaning)),
    };
    m.row(&["Outcome".into(), outcome]);
    for t in &r.timings {
        if t.name == "failover" || t.name == "failback" {
            m.row(&[
                format!("{} time", m.t(&t.name)),
                format!("**{}** ({})", text::duration(t.millis), m.t(&t.source)),
            ]);
        }
    }
    m.row(&["Journal".into(), m.t(&r.integrity.summary)]);
    m.blank();
}

fn timings(m: &mut Md<'_>, r: &Report) {
    if r.timings.is_empty() {
        return;
    }
    m.line("## Timings");
    m.blank();
    m.header(&["Measurement", "Step", "Time", "Source", "Records"]);
    for t in &r.timings {
        let seqs: Vec<String> = t.seqs.iter().map(|s| format!("seq {s}")).collect();
        m.row(&[
            m.t(&t.name),
            m.t(&t.step),
            text::duration(t.millis),
            match t.source.as_str() {
                "measured" => "measured by the engine".into(),
                "derived" => "derived: change applied → first passing verification".into(),
                other => m.t(other),
            },
            seqs.join(", "),
        ]);
    }
    m.blank();
}

fn steps(m: &mut Md<'_>, r: &Report) {
    m.line("## Steps");
    m.blank();
    m.header(&[
        "#", "Step", "Phase", "Started", "Duration", "Verdict", "Checks",
    ]);
    for (i, s) in r.steps.iter().enumerate() {
        let passed = s.expectations.iter().filter(|e| e.passed).count();
        m.row(&[
            (i + 1).to_string(),
            format!("{} — {}", m.t(&s.id), m.t(&s.title)),
            m.t(&s.phase),
            m.opt(s.started_at.as_deref()),
            s.duration_ms.map_or("-".into(), text::duration),
            format!("**{}**", text::verdict(&s.verdict)),
            if s.expectations.is_empty() {
                "-".into()
            } else {
                format!("{passed}/{}", s.expectations.len())
            },
        ]);
    }
    m.blank();
    m.line("### Step details");
    m.blank();
    for (i, s) in r.steps.iter().enumerate() {
        if s.commands.is_empty() && s.expectations.is_empty() {
            continue;
        }
        let _ = writeln!(
            m.out,
            "#### {}. {} — {}\n\n**{}**{}\n",
            i + 1,
            m.t(&s.id),
            m.t(&s.title),
            text::verdict(&s.verdict),
            s.duration_ms
                .map_or(String::new(), |d| format!(" in {}", text::duration(d)))
        );
        if !s.commands.is_empty() {
            let mut cmds = String::new();
            for c in &s.commands {
                let _ = writeln!(cmds, "{}> {}", c.device, c.command);
            }
            m.code("text", &cmds);
            m.blank();
            m.header(&["Device", "Query", "Runs", "Time", "Result", "Request id"]);
            for c in &s.commands {
                m.row(&[
                    m.t(&c.device),
                    m.t(&c.query),
                    c.runs.to_string(),
                    text::duration(c.elapsed_ms),
                    match &c.error {
                        Some(e) => format!("**error**: {}", m.t(e)),
                        None => "ok".into(),
                    },
                    m.opt(c.request_id.as_deref()),
                ]);
            }
            m.blank();
        }
        if !s.expectations.is_empty() {
            m.header(&["Result", "Expectation", "Evidence"]);
            for e in &s.expectations {
                m.row(&[
                    format!("**{}**", text::pass(e.passed)),
                    m.t(&e.clause),
                    m.t(&e.evidence),
                ]);
            }
            m.blank();
        }
    }
}

fn gates(m: &mut Md<'_>, r: &Report) {
    if r.gates.is_empty() {
        return;
    }
    m.line("## Gates");
    m.blank();
    m.header(&[
        "Step",
        "Prompt",
        "Failed pre-checks",
        "Decision",
        "Override reason",
        "Decided at",
    ]);
    for g in &r.gates {
        m.row(&[
            m.t(&g.step),
            m.t(&g.prompt),
            if g.failed_checks.is_empty() {
                "none".into()
            } else {
                m.t(&g.failed_checks.join(", "))
            },
            format!("**{}**", m.t(&g.decision.to_uppercase())),
            m.opt(g.reason.as_deref()),
            m.opt(g.decided_at.as_deref()),
        ]);
    }
    m.blank();
}

fn attempts(m: &mut Md<'_>, list: &[Attempt]) {
    m.header(&[
        "At",
        "Request",
        "Status",
        "Error",
        "Retry after",
        "Request id",
    ]);
    for a in list {
        m.row(&[
            m.t(&a.at),
            format!("{} {}", m.t(&a.method), m.t(&a.path)),
            a.status.to_string(),
            m.opt(a.error_code.as_deref()),
            a.retry_after_ms.map_or("-".into(), text::duration),
            m.opt(a.request_id.as_deref()),
        ]);
    }
    m.blank();
}

fn actions(m: &mut Md<'_>, r: &Report) {
    if r.actions.is_empty() {
        return;
    }
    m.line("## Guarded changes");
    m.blank();
    for a in &r.actions {
        let _ = writeln!(
            m.out,
            "### {} on {} (step {})\n",
            m.t(&a.op),
            m.t(&a.target),
            m.t(&a.step)
        );
        m.header(&["", ""]);
        m.row(&[
            "Result".into(),
            format!("**{}**", text::action_result(&a.result)),
        ]);
        m.row(&[
            "Started".into(),
            format!("{} (seq {})", m.t(&a.started_at), a.seq),
        ]);
        let applied = match (a.ok, &a.detail) {
            (Some(true), d) => format!(
                "applied at {}: {}",
                m.opt(a.done_at.as_deref()),
                m.opt(d.as_deref())
            ),
            (Some(false), d) => format!(
                "**FAILED** at {}: {}",
                m.opt(a.done_at.as_deref()),
                m.opt(d.as_deref())
            ),
            (None, _) => "no answer recorded".into(),
        };
        m.row(&["Change".into(), applied]);
        if let Some(d) = &a.deadline {
            m.row(&[
                "Deadline".into(),
                format!(
                    "{} s, armed {}, expires {}",
                    d.seconds,
                    m.t(&d.armed_at),
                    m.t(&d.expires_at)
                ),
            ]);
        }
        if let Some(c) = &a.confirmed_at {
            m.row(&["Confirmed healthy".into(), m.t(c)]);
        }
        m.blank();
        if !a.attempts.is_empty() {
            m.line("Attempts:");
            m.blank();
            attempts(m, &a.attempts);
        }
        if !a.verifications.is_empty() {
            m.line("Verifications:");
            m.blank();
            m.header(&["At", "Result", "Clause", "Evidence", "After the change"]);
            for v in &a.verifications {
                m.row(&[
                    m.t(&v.at),
                    format!("**{}**", text::pass(v.passed)),
                    m.t(&v.clause),
                    m.t(&v.evidence),
                    text::duration(v.elapsed_ms),
                ]);
            }
            m.blank();
        }
        if let Some(rb) = &a.rollback {
            let _ = writeln!(
                m.out,
                "**Rollback** ({}): {} — started {}, {}\n",
                m.t(&rb.op),
                text::rollback_reason(&rb.reason),
                m.t(&rb.started_at),
                match rb.result.as_str() {
                    "done" => format!(
                        "**done** at {}: {}",
                        m.opt(rb.ended_at.as_deref()),
                        m.opt(rb.detail.as_deref())
                    ),
                    "failed" => format!(
                        "**FAILED** at {}: {}",
                        m.opt(rb.ended_at.as_deref()),
                        m.opt(rb.error.as_deref())
                    ),
                    _ => "**still running** when the journal ends".into(),
                }
            );
            if !rb.attempts.is_empty() {
                attempts(m, &rb.attempts);
            }
            if let Some(man) = &rb.manual {
                m.line("**The operator must run one of these by hand:**");
                m.blank();
                m.code("sh", &man.az_cli);
                m.blank();
                m.code("powershell", &man.powershell);
                m.blank();
            }
        }
        if a.result != "rollback_failed" && !a.manual.az_cli.is_empty() {
            m.line("The same change by hand:");
            m.blank();
            m.code("sh", &a.manual.az_cli);
            m.blank();
            m.code("powershell", &a.manual.powershell);
            m.blank();
        }
    }
}

fn table_diff(m: &mut Md<'_>, d: &TableDiff) {
    if d.is_empty() {
        m.line("No difference.");
        m.blank();
        return;
    }
    if !d.active_changed.is_empty() {
        m.header(&["Prefix", "Active before", "Active after"]);
        for c in d.active_changed.iter().take(MAX_ROWS) {
            m.row(&[
                m.t(&c.prefix.to_string()),
                m.t(&text::active(c.before.as_ref())),
                format!("**{}**", m.t(&text::active(c.after.as_ref()))),
            ]);
        }
        m.more(d.active_changed.len());
        m.blank();
    }
    if !d.removed.is_empty() || !d.added.is_empty() {
        m.header(&["", "Prefix", "Path"]);
        for (sign, list) in [("removed", &d.removed), ("added", &d.added)] {
            for c in list.iter().take(MAX_ROWS) {
                m.row(&[
                    sign.to_string(),
                    m.t(&c.prefix.to_string()),
                    m.t(&text::path(&c.path)),
                ]);
            }
        }
        m.more(d.removed.len().max(d.added.len()));
        m.blank();
    }
}

fn capture(m: &Md<'_>, c: &CaptureRef) -> String {
    format!("seq {} ({}, {})", c.seq, m.t(&c.step), m.t(&c.at))
}

fn routes(m: &mut Md<'_>, r: &Report) {
    if r.route_changes.is_empty() {
        return;
    }
    m.line("## Route changes");
    m.blank();
    let (changed, same): (Vec<&RouteSource>, Vec<&RouteSource>) = r
        .route_changes
        .iter()
        .partition(|s| !s.changes.is_empty() || !s.errors.is_empty());
    for s in changed {
        let _ = writeln!(
            m.out,
            "### {} · {} ({})\n\n{} captures, first {}, last {}.\n",
            m.t(&s.device),
            m.t(&s.command),
            m.t(&s.table),
            s.captures,
            capture(m, &s.first),
            capture(m, &s.last)
        );
        for (i, c) in s.changes.iter().enumerate() {
            let _ = writeln!(
                m.out,
                "#### Change {}: {} → {}\n",
                i + 1,
                capture(m, &c.from),
                capture(m, &c.to)
            );
            table_diff(m, &c.diff);
        }
        m.line("**Net, first capture to last:**");
        m.blank();
        if s.net.is_empty() {
            m.line("No difference: the table ended as it started.");
            m.blank();
        } else {
            table_diff(m, &s.net);
        }
        for e in &s.errors {
            let _ = writeln!(m.out, "- unreadable capture: {}", m.t(e));
        }
        if !s.errors.is_empty() {
            m.blank();
        }
    }
    if !same.is_empty() {
        let names: Vec<String> = same
            .iter()
            .map(|s| format!("{} · {}", m.t(&s.device), m.t(&s.command)))
            .collect();
        let _ = writeln!(m.out, "Unchanged over the session: {}.\n", names.join("; "));
    }
}

fn traces(m: &mut Md<'_>, r: &Report) {
    if r.trace_changes.is_empty() {
        return;
    }
    m.line("## Traceroute changes");
    m.blank();
    for s in &r.trace_changes {
        let _ = writeln!(
            m.out,
            "### {} · {}{}\n",
            m.t(&s.device),
            m.t(&s.command),
            s.target
                .as_deref()
                .map_or(String::new(), |t| format!(" → {}", m.t(t)))
        );
        let path: Vec<String> = s
            .path
            .iter()
            .map(|p| {
                format!(
                    "**{}**{} at {}",
                    text::kind(p.kind),
                    if p.reached {
                        ""
                    } else {
                        " (target not reached)"
                    },
                    capture(m, &p.capture)
                )
            })
            .collect();
        let _ = writeln!(m.out, "Path over the session: {}.\n", path.join(" → "));
        if !s.changes.is_empty() {
            m.header(&["From", "To", "Path", "Hops lost", "Hops gained"]);
            for c in &s.changes {
                let hops = |l: &[cutover_core::model::diff::HopAddress]| {
                    if l.is_empty() {
                        "-".to_string()
                    } else {
                        l.iter()
                            .map(|h| format!("{} (TTL {})", m.t(&h.address), h.ttl))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                };
                m.row(&[
                    capture(m, &c.from),
                    capture(m, &c.to),
                    format!(
                        "{} → **{}**",
                        text::kind(c.diff.kind_before()),
                        text::kind(c.diff.kind_after())
                    ),
                    hops(&c.diff.lost),
                    hops(&c.diff.gained),
                ]);
            }
            m.blank();
        }
        let _ = writeln!(
            m.out,
            "Net, first capture to last: {} → {}{}.\n",
            text::kind(s.net.kind_before()),
            text::kind(s.net.kind_after()),
            if s.net.lost.is_empty() && s.net.gained.is_empty() {
                ", same hops".to_string()
            } else {
                format!("; lost {}, gained {}", s.net.lost.len(), s.net.gained.len())
            }
        );
        for e in &s.errors {
            let _ = writeln!(m.out, "- unreadable capture: {}", m.t(e));
        }
    }
}

fn notes(m: &mut Md<'_>, r: &Report) {
    if r.notes.is_empty() {
        return;
    }
    m.line("## Notes");
    m.blank();
    m.header(&["At", "Level", "Step", "Text"]);
    for n in &r.notes {
        m.row(&[
            m.t(&n.at),
            match n.level.as_str() {
                "info" => "info".to_string(),
                other => format!("**{}**", m.t(&other.to_uppercase())),
            },
            m.opt(n.step.as_deref()),
            m.t(&n.text),
        ]);
    }
    m.blank();
}
