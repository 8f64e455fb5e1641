//! Every ARM write in one table, in the words an Azure support case
//! quotes: the request (method, path, changed fields, If-Match), the
//! answer (status, new etag, provisioningState) and the three request ids.

use super::{MAX_ROWS, h2, more};
use crate::document::*;
use crate::model::*;

pub(super) fn writes<'a>(d: &mut Vec<Block<'a>>, r: &'a Report) {
    if r.writes.is_empty() {
        return;
    }
    h2(d, "ARM writes");
    d.push(Block::Muted(vec![words(
        "Each PUT as sent and answered. Status 0: no answer came. Quote the request ids to Azure support.",
    )]));
    let rows = r
        .writes
        .iter()
        .take(MAX_ROWS)
        .map(|w| {
            let changes = if w.changes.is_empty() {
                vec![words("-")]
            } else {
                vec![text_owned(w.changes.join("; "))]
            };
            let status = match (w.status, w.error_code.as_deref()) {
                (0, Some(code)) => format!("no answer ({code})"),
                (0, None) => "no answer".to_string(),
                (s, Some(code)) => format!("{s} {code}"),
                (s, None) => s.to_string(),
            };
            vec![
                vec![text(&w.at), words(format!(" (seq {})", w.seq))],
                vec![text(&w.step), words(format!(" ({})", w.during))],
                vec![Inline::Code(vec![
                    text(&w.method),
                    words(" "),
                    text(&w.path),
                ])],
                changes,
                vec![opt(w.if_match.as_deref())],
                vec![text_owned(status)],
                vec![opt(w.etag.as_deref())],
                vec![opt(w.provisioning_state.as_deref())],
                vec![opt(w.client_request_id.as_deref())],
                vec![opt(w.request_id.as_deref())],
                vec![opt(w.correlation_id.as_deref())],
            ]
        })
        .collect();
    d.push(Block::Table {
        head: vec![
            "At",
            "Step",
            "Request",
            "Changed",
            "If-Match",
            "Status",
            "New etag",
            "provisioningState",
            "x-ms-client-request-id",
            "x-ms-request-id",
            "x-ms-correlation-request-id",
        ],
        rows,
    });
    more(d, r.writes.len());
}
