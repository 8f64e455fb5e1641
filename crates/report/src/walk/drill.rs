//! A drill's section: the score, what the trainee decided and how long
//! each decision took, every objective with whether it was met and, for
//! a missed one, the journal lines that showed the fault.

use super::{fact, pass_mark};
use crate::document::*;
use crate::model::Report;
use crate::text;
use cutover_core::drill::DrillScore;

pub(super) fn drill<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    let Some(s) = &r.drill else {
        return;
    };
    d.push(Block::Heading {
        level: 2,
        text: vec![words("Drill")],
        anchor: Some("drill".into()),
        status: Some(vec![mark(
            if s.missed().next().is_none() {
                "pass"
            } else {
                "fail"
            },
            format!("score {}/100", s.score),
        )]),
    });
    d.push(Block::Facts(facts(s)));
    d.push(Block::Caption {
        text: "Objectives",
        strong: false,
    });
    d.push(Block::Table {
        head: vec![
            "Objective",
            "What the trainee had to do",
            "Met",
            "What the journal showed",
        ],
        rows: s
            .objectives
            .iter()
            .map(|o| {
                vec![
                    vec![Inline::Code(vec![text(&o.id)])],
                    vec![text(&o.text)],
                    vec![pass_mark(o.met)],
                    vec![text(&o.why)],
                ]
            })
            .collect(),
    });
    let evidence: Vec<Vec<Line<'a>>> = s
        .missed()
        .flat_map(|o| {
            o.evidence.iter().map(move |e| {
                vec![
                    vec![Inline::Code(vec![text(&o.id)])],
                    vec![text(&e.step)],
                    vec![if e.command.is_empty() {
                        words("-")
                    } else {
                        Inline::Code(vec![text(&e.command)])
                    }],
                    if e.found {
                        vec![Inline::Code(vec![text(&e.line)])]
                    } else {
                        vec![
                            words("not printed this session; a line with "),
                            text(&e.line),
                        ]
                    },
                ]
            })
        })
        .collect();
    if !evidence.is_empty() {
        d.push(Block::Caption {
            text: "What to look at for each missed objective",
            strong: true,
        });
        d.push(Block::Table {
            head: vec!["Objective", "Step", "Command", "Output line"],
            rows: evidence,
        });
    }
    if !s.decisions.is_empty() {
        d.push(Block::Caption {
            text: "Decisions",
            strong: false,
        });
        d.push(Block::Table {
            head: vec!["Step", "Decision", "Detail", "Took (from its prompt)"],
            rows: s
                .decisions
                .iter()
                .map(|x| {
                    vec![
                        vec![text(&x.step)],
                        vec![text(&x.what)],
                        vec![opt(x.detail.as_deref())],
                        vec![words(x.took_ms.map_or("-".into(), text::duration))],
                    ]
                })
                .collect(),
        });
    }
}

fn facts(s: &DrillScore) -> Vec<(Line<'_>, Line<'_>)> {
    let met = s.objectives.iter().filter(|o| o.met).count();
    let mut rows = vec![
        fact("Scenario", vec![text(&s.scenario)]),
        fact("Fault", vec![text(&s.fault)]),
        fact(
            "Score",
            vec![Inline::Strong(vec![words(format!("{}/100", s.score))])],
        ),
        fact(
            "Objectives met",
            vec![words(format!("{met} of {}", s.objectives.len()))],
        ),
    ];
    if let Some(seed) = s.seed {
        rows.push(fact(
            "Drawn at random",
            vec![words(format!("--scenario random --seed {seed}"))],
        ));
    }
    if s.marks > 0 {
        rows.push(fact(
            "Blind marks",
            vec![words(format!("{} of {} right", s.marks_right, s.marks))],
        ));
    }
    if s.hints > 0 {
        rows.push(fact(
            "Hints used",
            vec![words(format!(
                "{} (-{} points each)",
                s.hints,
                cutover_core::drill::HINT_COST
            ))],
        ));
    }
    rows
}
