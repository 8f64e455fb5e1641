//! The one walk over a [`Report`]: which sections, headings, tables, rows
//! and sentences the Markdown and HTML renderings show, in which order,
//! and in which words. The renderers only write the [`Document`] out.

mod actions;
mod diffs;
mod drill;
mod prediction;
mod writes;

use crate::document::*;
use crate::model::*;
use crate::text;

/// Rows listed per table before "and N more" (the JSON has them all).
pub const MAX_ROWS: usize = 50;

/// The document both renderings are written from.
pub fn walk(r: &Report) -> Document<'_> {
    let title = r
        .session
        .runbook
        .as_ref()
        .map_or("unknown runbook", |rb| rb.title.as_str());
    let mut d = Vec::new();
    alerts(&mut d, r);
    summary(&mut d, r);
    drill::drill(&mut d, r);
    d.push(Block::Timeline(r));
    timings(&mut d, r);
    planned(&mut d, r);
    steps(&mut d, r);
    gates(&mut d, r);
    prediction::predictions(&mut d, r);
    actions::actions(&mut d, r);
    writes::writes(&mut d, r);
    diffs::routes(&mut d, r);
    diffs::traces(&mut d, r);
    notes(&mut d, r);
    integrity(&mut d, r);
    Document {
        title: vec![words("Change report: "), text(title)],
        blocks: d,
    }
}

fn h2(d: &mut Vec<Block<'_>>, title: &'static str) {
    d.push(Block::Heading {
        level: 2,
        text: vec![words(title)],
        anchor: None,
        status: None,
    });
}

/// A heading of `level` without anchor or status.
fn heading(level: u8, text: Line<'_>) -> Block<'_> {
    Block::Heading {
        level,
        text,
        anchor: None,
        status: None,
    }
}

/// A labelled fact of the report's own wording.
fn fact<'a>(label: &'static str, value: Line<'a>) -> (Line<'a>, Line<'a>) {
    (vec![words(label)], value)
}

fn pass_mark(passed: bool) -> Inline<'static> {
    mark(if passed { "pass" } else { "fail" }, text::pass(passed))
}

fn duration_or_dash(ms: Option<u64>) -> Inline<'static> {
    words(ms.map_or("-".into(), text::duration))
}

/// `seq 12 (step, time)`.
fn capture(c: &CaptureRef) -> Line<'_> {
    vec![
        words(format!("seq {} (", c.seq)),
        text(&c.step),
        words(", "),
        text(&c.at),
        words(")"),
    ]
}

/// "… and N more" under a table cut at [`MAX_ROWS`].
fn more(d: &mut Vec<Block<'_>>, total: usize) {
    if total > MAX_ROWS {
        d.push(Block::Muted(vec![words(format!(
            "… and {} more (see the JSON report).",
            total - MAX_ROWS
        ))]));
    }
}

fn alerts<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    let mut list = Vec::new();
    if r.integrity.tampered {
        list.push(Alert {
            level: AlertLevel::Alarm,
            lead: "WARNING: THE JOURNAL FAILED ITS INTEGRITY CHECK.",
            text: vec![words(
                "It was edited after it was written, or damaged. Do not rely on this report without the original journal.",
            )],
            detail: Some(vec![text(&r.integrity.summary)]),
        });
    }
    for w in &r.warnings {
        let level = if r.integrity.tampered && w.starts_with("JOURNAL INTEGRITY") {
            AlertLevel::Warning
        } else {
            AlertLevel::Note
        };
        list.push(Alert {
            level,
            lead: "Warning:",
            text: vec![text(w)],
            detail: None,
        });
    }
    if !list.is_empty() {
        d.push(Block::Alerts(list));
    }
}

fn summary<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    let s = &r.session;
    h2(d, "Summary");
    let mode = match (&s.mode, &s.scenario) {
        (Some(mode), Some(sc)) => vec![text(mode), words(" (scenario "), text(sc), words(")")],
        (Some(mode), None) => vec![text(mode)],
        (None, _) => vec![words("-")],
    };
    let mut rows = vec![
        fact("Operator", vec![opt(s.operator.as_deref())]),
        fact("Ticket", vec![opt(s.ticket.as_deref())]),
        fact("Signing key", vec![opt(s.key_fingerprint.as_deref())]),
        fact("Signature", vec![text(&r.integrity.signature)]),
        fact("Mode", mode),
    ];
    if let Some(rb) = &s.runbook {
        rows.push(fact(
            "Runbook",
            vec![
                Inline::Code(vec![text(&rb.id)]),
                words(" — "),
                text(&rb.title),
            ],
        ));
        rows.push(fact(
            "Runbook SHA-256",
            vec![Inline::Code(vec![text(&rb.sha256)])],
        ));
    }
    rows.push(fact("Session", vec![opt(s.session_id.as_deref())]));
    rows.push(fact("Started", vec![opt(s.started_at.as_deref())]));
    rows.push(fact("Ended", vec![opt(s.ended_at.as_deref())]));
    rows.push(fact("Duration", vec![duration_or_dash(s.duration_ms)]));
    let o = &r.outcome;
    let outcome = match o.exit_code {
        Some(code) => vec![
            mark(
                if code == 0 { "pass" } else { "fail" },
                format!("exit {code}"),
            ),
            words(": "),
            opt(o.outcome.as_deref()),
            words(" — "),
            text(&o.meaning),
        ],
        None => vec![mark("fail", "not closed"), words(": "), text(&o.meaning)],
    };
    rows.push(fact("Outcome", outcome));
    for t in &r.timings {
        let base = t.name.split('.').next().unwrap_or_default();
        if base == "failover" || base == "failback" {
            rows.push((
                vec![text(&t.name), words(" time")],
                vec![
                    Inline::Strong(vec![words(timing_value(t))]),
                    words(" ("),
                    text(&t.source),
                    words(")"),
                ],
            ));
        }
    }
    rows.push(fact("Journal", vec![text(&r.integrity.summary)]));
    d.push(Block::Facts(rows));
}

fn timings<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.timings.iter().all(|t| t.source == "planned") {
        return;
    }
    h2(d, "Timings");
    let rows = r
        .timings
        .iter()
        .filter(|t| t.source != "planned")
        .map(|t| {
            let seqs: Vec<String> = t.seqs.iter().map(|s| format!("seq {s}")).collect();
            let source = match (t.source.as_str(), &t.from, &t.to) {
                ("measured", Some(from), Some(to)) => {
                    words(format!("measured by the engine: {from} → {to}"))
                }
                ("measured", _, _) => words("measured by the engine"),
                ("derived", _, _) => words("derived: change applied → first passing verification"),
                (other, _, _) => text(other),
            };
            vec![
                vec![text(&t.name)],
                vec![text(&t.step)],
                vec![Inline::Figure(vec![words(timing_value(t))])],
                vec![source],
                vec![words(seqs.join(", "))],
            ]
        })
        .collect();
    d.push(Block::Table {
        head: vec!["Measurement", "Step", "Time", "Source", "Records"],
        rows,
    });
}

/// What the session planned (when the next test is due): dates, not
/// measurements, so filed apart from the timings.
fn planned<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    let rows: Vec<_> = r
        .timings
        .iter()
        .filter(|t| t.source == "planned")
        .map(|t| {
            let seqs: Vec<String> = t.seqs.iter().map(|s| format!("seq {s}")).collect();
            vec![
                vec![text(&t.name)],
                vec![text(&t.step)],
                vec![words(t.due.clone().unwrap_or_else(|| "-".into()))],
                vec![words(format!(
                    "{} after the record",
                    text::duration(t.millis)
                ))],
                vec![words(seqs.join(", "))],
            ]
        })
        .collect();
    if rows.is_empty() {
        return;
    }
    h2(d, "Planned");
    d.push(Block::Table {
        head: vec!["What", "Step", "Due", "Interval", "Records"],
        rows,
    });
}

/// A timing with its uncertainty: `1.2–2.2 s` when the engine measured
/// a range (the probe before saw the old path), else the exact duration.
fn timing_value(t: &crate::model::Timing) -> String {
    match t.uncertainty_ms {
        Some(u) if u > 0 => cutover_core::session::state::measured_text(t.millis, Some(u)),
        _ => text::duration(t.millis),
    }
}

fn verdict_mark(verdict: &str) -> Inline<'_> {
    mark(verdict, text::verdict(verdict))
}

fn steps<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    h2(d, "Steps");
    let rows = r
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let passed = s.expectations.iter().filter(|e| e.passed).count();
            vec![
                vec![words((i + 1).to_string())],
                vec![
                    Inline::Code(vec![text(&s.id)]),
                    Inline::Break,
                    text(&s.title),
                ],
                vec![text(&s.phase)],
                vec![opt(s.started_at.as_deref())],
                vec![duration_or_dash(s.duration_ms)],
                vec![verdict_mark(&s.verdict)],
                vec![if s.expectations.is_empty() {
                    words("-")
                } else {
                    words(format!("{passed}/{}", s.expectations.len()))
                }],
            ]
        })
        .collect();
    d.push(Block::Table {
        head: vec![
            "#", "Step", "Phase", "Started", "Duration", "Verdict", "Checks",
        ],
        rows,
    });
    d.push(heading(3, vec![words("Step details")]));
    for (i, s) in r.steps.iter().enumerate() {
        if s.commands.is_empty() && s.expectations.is_empty() {
            continue;
        }
        let mut status = vec![verdict_mark(&s.verdict)];
        if let Some(ms) = s.duration_ms {
            status.push(words(format!(" in {}", text::duration(ms))));
        }
        d.push(Block::Heading {
            level: 4,
            text: vec![
                words(format!("{}. ", i + 1)),
                Inline::Code(vec![text(&s.id)]),
                words(" — "),
                text(&s.title),
            ],
            anchor: Some(format!("step-{}", i + 1)),
            status: Some(status),
        });
        if !s.commands.is_empty() {
            let cmds: String = s
                .commands
                .iter()
                .map(|c| format!("{}> {}\n", c.device, c.command))
                .collect();
            d.push(Block::Code {
                lang: "text",
                body: cmds.into(),
            });
            let rows = s
                .commands
                .iter()
                .map(|c| {
                    vec![
                        vec![text(&c.device)],
                        vec![text(&c.query)],
                        vec![words(c.runs.to_string())],
                        vec![words(text::duration(c.elapsed_ms))],
                        match &c.error {
                            Some(e) => vec![mark("fail", "error"), words(": "), text(e)],
                            None => vec![words("ok")],
                        },
                        vec![opt(c.request_id.as_deref())],
                    ]
                })
                .collect();
            d.push(Block::Table {
                head: vec!["Device", "Query", "Runs", "Time", "Result", "Request id"],
                rows,
            });
        }
        if !s.expectations.is_empty() {
            let rows = s
                .expectations
                .iter()
                .map(|e| {
                    vec![
                        vec![pass_mark(e.passed)],
                        vec![text(&e.clause)],
                        vec![text(&e.evidence)],
                    ]
                })
                .collect();
            d.push(Block::Table {
                head: vec!["Result", "Expectation", "Evidence"],
                rows,
            });
        }
    }
}

fn gates<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.gates.is_empty() {
        return;
    }
    h2(d, "Gates");
    let rows = r
        .gates
        .iter()
        .map(|g| {
            vec![
                vec![text(&g.step)],
                vec![text(&g.prompt)],
                vec![if g.failed_checks.is_empty() {
                    words("none")
                } else {
                    text_owned(g.failed_checks.join(", "))
                }],
                vec![if g.hazards.is_empty() {
                    words("none")
                } else {
                    text_owned(g.hazards.join(", "))
                }],
                vec![Inline::Mark {
                    class: g.decision.as_str().into(),
                    text: vec![text_owned(g.decision.to_uppercase())],
                }],
                vec![opt(g.reason.as_deref())],
                vec![opt(g.decided_at.as_deref())],
            ]
        })
        .collect();
    d.push(Block::Table {
        head: vec![
            "Step",
            "Prompt",
            "Failed pre-checks",
            "Predicted hazards",
            "Decision",
            "Override reason",
            "Decided at",
        ],
        rows,
    });
}

fn notes<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.notes.is_empty() {
        return;
    }
    h2(d, "Notes");
    let rows = r
        .notes
        .iter()
        .map(|n| {
            let level = match n.level.as_str() {
                "info" => words("info"),
                "warn" => Inline::Mark {
                    class: "overridden".into(),
                    text: vec![text_owned("WARN".into())],
                },
                other => Inline::Mark {
                    class: "fail".into(),
                    text: vec![text_owned(other.to_uppercase())],
                },
            };
            vec![
                vec![text(&n.at)],
                vec![level],
                vec![opt(n.step.as_deref())],
                vec![text(&n.text)],
            ]
        })
        .collect();
    d.push(Block::Table {
        head: vec!["At", "Level", "Step", "Text"],
        rows,
    });
}

fn integrity<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    let i = &r.integrity;
    h2(d, "Journal integrity");
    let mut rows = vec![
        fact("Journal", vec![text(&r.journal)]),
        fact(
            "Status",
            vec![Inline::Mark {
                class: if i.tampered { "fail" } else { "pass" }.into(),
                text: vec![text(&i.status)],
            }],
        ),
        fact("Check", vec![text(&i.summary)]),
        fact(
            "Records",
            vec![words(format!(
                "{} read, {} verified",
                i.records, i.verified_records
            ))],
        ),
        fact(
            "Head hash",
            vec![Inline::Code(vec![opt(i.head_hash.as_deref())])],
        ),
    ];
    if i.unknown_kinds > 0 {
        rows.push(fact(
            "Not interpreted",
            vec![words(format!(
                "{} records of kinds this version does not know",
                i.unknown_kinds
            ))],
        ));
    }
    rows.push(fact("Path rules", vec![text(&i.path_rules)]));
    rows.push(fact("Report by", vec![text(&r.generated_by)]));
    d.push(Block::Facts(rows));
}

#[cfg(test)]
mod tests;
