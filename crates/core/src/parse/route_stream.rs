//! `cutover parse junos-route` on a text capture, written path by path.
//!
//! The parsed paths of a big `show route` capture weigh about twice the
//! capture (a path is some 350 bytes in memory, some 170 bytes of text), so
//! holding them all and then writing them costs three times the input.
//! Here the text parser hands out each path once the next has begun
//! ([`junos_route_text::parse_draining`]) and it is serialized at once:
//! memory stays near the capture's own size.
//!
//! Two passes: the first reads everything and keeps nothing but the top
//! table and the warnings, so that an input which does not parse writes
//! nothing (exit 2 with the error alone); the second writes. The bytes are
//! those of [`super::to_json`] pretty-printed (a test holds them equal on
//! every fixture).

use std::borrow::Cow;

use serde::ser::{Error as _, SerializeSeq};
use serde::{Serialize, Serializer};

use super::{WriteJsonError, junos_route_text};
use crate::model::ParsedRoute;

/// Hands every path but the last (still open) to `each`.
fn take_done<'a>(routes: &mut Vec<ParsedRoute<'a>>, mut each: impl FnMut(ParsedRoute<'a>)) {
    if routes.len() > 1 {
        let open = routes.pop();
        routes.drain(..).for_each(&mut each);
        routes.extend(open);
    }
}

/// [`crate::model::RouteList`]'s serialized form, with the paths produced
/// while it is written.
#[derive(Serialize)]
struct Streamed<'a> {
    table: Option<Cow<'a, str>>,
    routes: Paths<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
}

/// The paths of `input`, parsed again as they are serialized.
struct Paths<'a> {
    input: &'a str,
}

impl Serialize for Paths<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(None)?;
        let mut failed = None;
        let mut write = |r: ParsedRoute<'_>| {
            if failed.is_none()
                && let Err(e) = seq.serialize_element(&r)
            {
                failed = Some(e);
            }
        };
        let rest =
            junos_route_text::parse_draining(self.input, |routes| take_done(routes, &mut write));
        let rest = rest.map_err(|e| S::Error::custom(format!("the second read failed: {e}")))?;
        rest.routes.into_iter().for_each(&mut write);
        if let Some(e) = failed {
            return Err(e);
        }
        seq.end()
    }
}

/// Parses the text capture `input` and writes its normalized JSON to `out`
/// path by path.
pub(super) fn write(input: &str, out: impl std::io::Write) -> Result<(), WriteJsonError> {
    let mut table = None;
    let rest = junos_route_text::parse_draining(input, |routes| {
        take_done(routes, |r| {
            if table.is_none() {
                table = r.table;
            }
        })
    })?;
    let doc = Streamed {
        // The first table that holds a path, as `RouteList::from_routes`.
        table: table.or(rest.table),
        routes: Paths { input },
        warnings: rest.warnings,
    };
    serde_json::to_writer_pretty(out, &doc).map_err(WriteJsonError::Write)
}

#[cfg(test)]
mod tests;
