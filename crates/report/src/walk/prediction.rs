//! The gate's prediction: per prefix and direction the path before, the
//! path predicted and the path seen after the change; then the hazards the
//! operator was shown.

use cutover_core::model::path::PathKind;
use cutover_core::session::prediction::PathCheck;

use super::{MAX_ROWS, heading, more};
use crate::document::*;
use crate::model::*;

fn kind<'a>(k: Option<PathKind>) -> Inline<'a> {
    match k {
        Some(k) => Inline::Kind(k),
        None => mark("fail", "no path"),
    }
}

fn seen<'a>(c: Option<&PathCheck>, checked: bool) -> (Inline<'a>, Inline<'a>) {
    match c {
        Some(c) => (
            kind(c.observed),
            if c.matched {
                mark("pass", "as predicted")
            } else {
                mark("fail", "NOT AS PREDICTED")
            },
        ),
        None if checked => (words("-"), words("not read")),
        None => (words("-"), words("not checked")),
    }
}

pub(super) fn predictions<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.predictions.is_empty() {
        return;
    }
    d.push(heading(2, vec![words("Prediction")]));
    for p in &r.predictions {
        let status = if p.hazards.is_empty() {
            mark("pass", "no hazard")
        } else {
            mark("fail", format!("{} HAZARD(S)", p.hazards.len()))
        };
        d.push(Block::Heading {
            level: 3,
            text: vec![
                words("Before "),
                Inline::Code(vec![text(&p.step)]),
                words(format!(" (seq {})", p.seq)),
            ],
            anchor: None,
            status: Some(vec![status]),
        });
        let read: Vec<Line<'a>> = p
            .sources
            .iter()
            .map(|s| {
                let mut l = vec![
                    words(s.direction.label()),
                    words(": "),
                    text(&s.device),
                    words(" "),
                    Inline::Code(vec![text(s.command.lines().next().unwrap_or_default())]),
                ];
                if let Some(e) = &s.error {
                    l.push(words(", not read: "));
                    l.push(text(e));
                }
                l
            })
            .collect();
        if !read.is_empty() {
            d.push(Block::Caption {
                text: "Read before the gate",
                strong: false,
            });
            d.push(Block::List {
                items: read,
                tight: false,
            });
        }
        let checked = p.checked.as_ref();
        let rows: Vec<Vec<Line<'a>>> = p
            .paths
            .iter()
            .take(MAX_ROWS)
            .map(|f| {
                let c = checked.and_then(|c| {
                    c.checks
                        .iter()
                        .find(|k| k.direction == f.direction && k.prefix == f.prefix)
                });
                let (observed, verdict) = seen(c, checked.is_some());
                vec![
                    vec![words(f.direction.label())],
                    vec![Inline::Code(vec![text_owned(f.prefix.to_string())])],
                    vec![kind(f.now)],
                    vec![kind(f.predicted)],
                    vec![observed],
                    vec![verdict],
                ]
            })
            .collect();
        if !rows.is_empty() {
            d.push(Block::Table {
                head: vec![
                    "Direction",
                    "Prefix",
                    "Path before",
                    "Predicted",
                    "Seen after the change",
                    "Check",
                ],
                rows,
            });
            more(d, p.paths.len());
        }
        match checked {
            Some(c) => {
                let wrong = c.checks.iter().filter(|k| !k.matched).count();
                d.push(Block::Paragraph(vec![
                    words("Checked after "),
                    Inline::Code(vec![text(&c.step)]),
                    words(format!(
                        " at {} (seq {}): {}",
                        c.at,
                        c.seq,
                        if wrong == 0 {
                            format!("as predicted for {} prefix(es).", c.checks.len())
                        } else {
                            format!(
                                "NOT as predicted for {wrong} of {} prefix(es).",
                                c.checks.len()
                            )
                        }
                    )),
                ]));
            }
            None => d.push(Block::Muted(vec![words(
                "Not checked: the change was not made, or not kept.",
            )])),
        }
        if !p.hazards.is_empty() {
            let rows = p
                .hazards
                .iter()
                .map(|h| {
                    vec![
                        vec![words(h.direction.label())],
                        vec![match h.prefix {
                            Some(x) => Inline::Code(vec![text_owned(x.to_string())]),
                            None => words("-"),
                        }],
                        vec![mark("fail", h.kind.as_str())],
                        vec![text(&h.message)],
                    ]
                })
                .collect();
            d.push(Block::Table {
                head: vec!["Direction", "Prefix", "Hazard", "Why"],
                rows,
            });
        }
    }
}
