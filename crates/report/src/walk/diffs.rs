//! Before and after: the route tables and traceroutes that changed over
//! the session, each change in order, then the net effect.

use cutover_core::model::diff::{HopAddress, TableDiff};

use super::{MAX_ROWS, capture, heading, more};
use crate::document::*;
use crate::model::*;
use crate::text;

fn table_diff<'a>(d: &mut Vec<Block<'a>>, diff: &'a TableDiff) {
    if diff.is_empty() {
        d.push(Block::Paragraph(vec![words("No difference.")]));
        return;
    }
    if !diff.active_changed.is_empty() {
        let rows = diff
            .active_changed
            .iter()
            .take(MAX_ROWS)
            .map(|c| {
                vec![
                    vec![Inline::Code(vec![text_owned(c.prefix.to_string())])],
                    vec![Inline::ActivePath(c.before.as_ref())],
                    vec![Inline::Strong(vec![Inline::ActivePath(c.after.as_ref())])],
                ]
            })
            .collect();
        d.push(Block::Table {
            head: vec!["Prefix", "Active before", "Active after"],
            rows,
        });
        more(d, diff.active_changed.len());
    }
    if !diff.removed.is_empty() || !diff.added.is_empty() {
        let mut rows = Vec::new();
        for (sign, list) in [("removed", &diff.removed), ("added", &diff.added)] {
            for c in list.iter().take(MAX_ROWS) {
                rows.push(vec![
                    vec![words(sign)],
                    vec![Inline::Code(vec![text_owned(c.prefix.to_string())])],
                    vec![text_owned(text::path(&c.path))],
                ]);
            }
        }
        d.push(Block::Table {
            head: vec!["", "Prefix", "Path"],
            rows,
        });
        more(d, diff.removed.len().max(diff.added.len()));
    }
}

fn unreadable(errors: &[String], tight: bool) -> Option<Block<'_>> {
    (!errors.is_empty()).then(|| Block::List {
        items: errors
            .iter()
            .map(|e| vec![words("unreadable capture: "), text(e)])
            .collect(),
        tight,
    })
}

pub(super) fn routes<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.route_changes.is_empty() {
        return;
    }
    super::h2(d, "Route changes");
    let (changed, same): (Vec<&RouteSource>, Vec<&RouteSource>) = r
        .route_changes
        .iter()
        .partition(|s| !s.changes.is_empty() || !s.errors.is_empty());
    for s in changed {
        d.push(heading(
            3,
            vec![
                text(&s.device),
                words(" · "),
                Inline::Code(vec![text(&s.command)]),
                words(" ("),
                text(&s.table),
                words(")"),
            ],
        ));
        let mut para = vec![words(format!("{} captures, first ", s.captures))];
        para.extend(capture(&s.first));
        para.push(words(", last "));
        para.extend(capture(&s.last));
        para.push(words("."));
        d.push(Block::Paragraph(para));
        for (i, c) in s.changes.iter().enumerate() {
            let mut title = vec![words(format!("Change {}: ", i + 1))];
            title.extend(capture(&c.from));
            title.push(words(" → "));
            title.extend(capture(&c.to));
            d.push(heading(4, title));
            table_diff(d, &c.diff);
        }
        d.push(Block::Caption {
            text: "Net, first capture to last",
            strong: true,
        });
        if s.net.is_empty() {
            d.push(Block::Paragraph(vec![words(
                "No difference: the table ended as it started.",
            )]));
        } else {
            table_diff(d, &s.net);
        }
        d.extend(unreadable(&s.errors, false));
    }
    if !same.is_empty() {
        let names = same
            .iter()
            .map(|s| {
                vec![
                    text(&s.device),
                    words(" · "),
                    Inline::Code(vec![text(&s.command)]),
                ]
            })
            .collect();
        let mut para = vec![words("Unchanged over the session: ")];
        para.extend(join(names, "; "));
        para.push(words("."));
        d.push(Block::Paragraph(para));
    }
}

/// `10.0.0.1 (TTL 3), …`, or `-`.
fn hops(list: &[HopAddress]) -> Line<'_> {
    if list.is_empty() {
        return vec![words("-")];
    }
    join(
        list.iter()
            .map(|h| {
                vec![
                    Inline::Code(vec![text(&h.address)]),
                    words(format!(" (TTL {})", h.ttl)),
                ]
            })
            .collect(),
        ", ",
    )
}

pub(super) fn traces<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.trace_changes.is_empty() {
        return;
    }
    super::h2(d, "Traceroute changes");
    for s in &r.trace_changes {
        let mut title = vec![
            text(&s.device),
            words(" · "),
            Inline::Code(vec![text(&s.command)]),
        ];
        if let Some(t) = s.target.as_deref() {
            title.extend([words(" → "), text(t)]);
        }
        d.push(heading(3, title));
        let path = s
            .path
            .iter()
            .map(|p| {
                let mut l = vec![mark(
                    format!("kind-{}", p.kind.as_str()),
                    text::kind(p.kind),
                )];
                if !p.reached {
                    l.push(words(" (target not reached)"));
                }
                l.push(words(" at "));
                l.extend(capture(&p.capture));
                l
            })
            .collect();
        let mut para = vec![words("Path over the session: ")];
        para.extend(join(path, " → "));
        para.push(words("."));
        d.push(Block::Paragraph(para));
        if !s.changes.is_empty() {
            let rows = s
                .changes
                .iter()
                .map(|c| {
                    vec![
                        capture(&c.from),
                        capture(&c.to),
                        vec![
                            Inline::Kind(c.diff.kind_before()),
                            words(" → "),
                            Inline::Strong(vec![Inline::Kind(c.diff.kind_after())]),
                        ],
                        hops(&c.diff.lost),
                        hops(&c.diff.gained),
                    ]
                })
                .collect();
            d.push(Block::Table {
                head: vec!["From", "To", "Path", "Hops lost", "Hops gained"],
                rows,
            });
        }
        d.push(Block::Paragraph(vec![
            words("Net, first capture to last: "),
            Inline::Kind(s.net.kind_before()),
            words(" → "),
            Inline::Kind(s.net.kind_after()),
            Inline::NetHops {
                lost: hops(&s.net.lost),
                gained: hops(&s.net.gained),
                lost_count: s.net.lost.len(),
                gained_count: s.net.gained.len(),
            },
            words("."),
        ]));
        d.extend(unreadable(&s.errors, true));
    }
}
