//! The guarded changes: each change with its HTTP attempts, deadline,
//! verifications, and the rollback or the manual commands.

use super::{fact, heading, pass_mark};
use crate::document::*;
use crate::model::*;
use crate::text;

fn attempts<'a>(d: &mut Vec<Block<'a>>, list: &'a [Attempt]) {
    let rows = list
        .iter()
        .map(|a| {
            vec![
                vec![text(&a.at)],
                vec![Inline::Code(vec![
                    text(&a.method),
                    words(" "),
                    text(&a.path),
                ])],
                vec![words(a.status.to_string())],
                vec![opt(a.error_code.as_deref())],
                vec![words(a.retry_after_ms.map_or("-".into(), text::duration))],
                vec![opt(a.request_id.as_deref())],
            ]
        })
        .collect();
    d.push(Block::Table {
        head: vec![
            "At",
            "Request",
            "Status",
            "Error",
            "Retry after",
            "Request id",
        ],
        rows,
    });
}

/// `<word> at <time>: <answer>`, the shape of every ending.
fn ended<'a>(word: Inline<'a>, at: Option<&'a str>, answer: Option<&'a str>) -> Line<'a> {
    vec![word, words(" at "), opt(at), words(": "), opt(answer)]
}

fn rollback<'a>(d: &mut Vec<Block<'a>>, rb: &'a Rollback) {
    let result = match rb.result.as_str() {
        "done" => RollbackResult::Ended(ended(
            mark("pass", "done"),
            rb.ended_at.as_deref(),
            rb.detail.as_deref(),
        )),
        "failed" => RollbackResult::Ended(ended(
            mark("fail", "FAILED"),
            rb.ended_at.as_deref(),
            rb.error.as_deref(),
        )),
        _ => RollbackResult::Running,
    };
    d.push(Block::Rollback {
        op: vec![Inline::Code(vec![text(&rb.op)])],
        why: text::rollback_reason(&rb.reason),
        started: vec![text(&rb.started_at)],
        result,
    });
    if !rb.attempts.is_empty() {
        attempts(d, &rb.attempts);
    }
    if let Some(man) = &rb.manual {
        d.push(Block::Urgent {
            lead: "The operator must run one of these by hand:",
            blocks: manual(man),
        });
    }
}

fn manual(m: &Manual) -> Vec<Block<'_>> {
    vec![
        Block::Code {
            lang: "sh",
            body: m.az_cli.as_str().into(),
        },
        Block::Code {
            lang: "powershell",
            body: m.powershell.as_str().into(),
        },
    ]
}

pub(super) fn actions<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.actions.is_empty() {
        return;
    }
    super::h2(d, "Guarded changes");
    for a in &r.actions {
        d.push(heading(
            3,
            vec![
                Inline::Code(vec![text(&a.op)]),
                words(" on "),
                text(&a.target),
                words(" (step "),
                text(&a.step),
                words(")"),
            ],
        ));
        let applied = match (a.ok, &a.cancelled) {
            (Some(true), _) => ended(words("applied"), a.done_at.as_deref(), a.detail.as_deref()),
            (Some(false), _) => ended(
                mark("fail", "FAILED"),
                a.done_at.as_deref(),
                a.detail.as_deref(),
            ),
            (None, Some(c)) => {
                let mut line = ended(
                    mark("fail", "CANCELLED"),
                    Some(c.at.as_str()),
                    Some(c.detail.as_str()),
                );
                line.push(words(format!(" (seq {}; ", c.seq)));
                line.push(words(text::cancel_reason(&c.reason)));
                line.push(words(")"));
                line
            }
            (None, None) => vec![words("no answer recorded")],
        };
        let mut rows = vec![
            fact(
                "Result",
                vec![mark(a.result.as_str(), text::action_result(&a.result))],
            ),
            fact(
                "Started",
                vec![text(&a.started_at), words(format!(" (seq {})", a.seq))],
            ),
            fact("Change", applied),
        ];
        if let Some(dl) = &a.deadline {
            rows.push(fact(
                "Deadline",
                vec![
                    words(format!(
                        "{}, armed ",
                        text::duration(dl.seconds.saturating_mul(1000))
                    )),
                    text(&dl.armed_at),
                    words(", expires "),
                    text(&dl.expires_at),
                ],
            ));
        }
        if let Some(c) = &a.confirmed_at {
            rows.push(fact("Confirmed healthy", vec![text(c)]));
        }
        d.push(Block::Facts(rows));
        if !a.attempts.is_empty() {
            d.push(Block::Caption {
                text: "Attempts",
                strong: false,
            });
            attempts(d, &a.attempts);
        }
        if !a.verifications.is_empty() {
            d.push(Block::Caption {
                text: "Verifications",
                strong: false,
            });
            let rows = a
                .verifications
                .iter()
                .map(|v| {
                    vec![
                        vec![text(&v.at)],
                        vec![pass_mark(v.passed)],
                        vec![text(&v.clause)],
                        vec![text(&v.evidence)],
                        vec![words(text::duration(v.elapsed_ms))],
                    ]
                })
                .collect();
            d.push(Block::Table {
                head: vec!["At", "Result", "Clause", "Evidence", "After the change"],
                rows,
            });
        }
        if let Some(rb) = &a.rollback {
            rollback(d, rb);
        }
        if a.result != "rollback_failed" && !a.manual.az_cli.is_empty() {
            d.push(Block::Caption {
                text: "The same change by hand",
                strong: false,
            });
            d.extend(manual(&a.manual));
        }
    }
}
