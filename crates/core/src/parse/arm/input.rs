use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::kind::{self, Mismatch, Shape};
use crate::parse::ParseError;
use crate::parse::lines::line_col;

/// Top-level members of a resource; the az CLI leaves these in place when it
/// flattens `properties` (it also adds `resourceGroup`).
const RESOURCE_KEYS: &[&str] = &[
    "id",
    "name",
    "etag",
    "type",
    "location",
    "tags",
    "sku",
    "identity",
    "extendedLocation",
    "resourceGroup",
];

/// The az CLI spells these members as the Python SDK names them.
const CLI_RENAMES: &[(&str, &str)] = &[("azureAsn", "azureASN"), ("peerAsn", "peerASN")];

/// Which response of an example file holds the body wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Want {
    Success,
    Failure,
}

/// The JSON value found in a capture, and where it came from.
#[derive(Debug)]
pub(super) struct Doc<'a> {
    /// The input from the line where the JSON starts.
    text: &'a str,
    /// Input lines before `text`.
    skipped: usize,
    /// Characters before `text` on its first line.
    lead: usize,
    pub(super) value: Value,
    /// Set when `value` is no longer the JSON of `text` (taken out of an
    /// example file, or reshaped): errors then cannot name an input line.
    origin: Option<String>,
}

impl<'a> Doc<'a> {
    pub(super) fn load(input: &'a str, want: Want) -> Result<Self, ParseError> {
        let (text, skipped, lead) = json_start(input)?;
        let value = match serde_json::Deserializer::from_str(text)
            .into_iter::<Value>()
            .next()
        {
            Some(Ok(v)) => v,
            Some(Err(e)) => return Err(located(&e, skipped, "invalid JSON")),
            None => return Err(ParseError::new(0, "empty input: expected an ARM JSON body")),
        };
        let mut doc = Doc {
            text,
            skipped,
            lead,
            value,
            origin: None,
        };
        doc.unwrap_example(want)?;
        if want == Want::Success {
            doc.refuse_error_body()?;
        }
        Ok(doc)
    }

    pub(super) fn start_line(&self) -> usize {
        if self.origin.is_some() {
            0
        } else {
            self.skipped + 1
        }
    }

    /// Replaces an example file by the body of the response wanted.
    fn unwrap_example(&mut self, want: Want) -> Result<(), ParseError> {
        let Some(Value::Object(responses)) = self.value.get("responses") else {
            return Ok(());
        };
        let has_body = |code: &str| responses.get(code).and_then(|r| r.get("body")).is_some();
        let code = match want {
            Want::Success => ["200", "201"]
                .into_iter()
                .find(|c| has_body(c))
                .map(str::to_owned),
            Want::Failure => responses
                .keys()
                .find(|c| !c.starts_with('2') && has_body(c))
                .cloned(),
        };
        let Some(code) = code else {
            let which = match want {
                Want::Success => "a 200 or 201",
                Want::Failure => "an error",
            };
            return Err(ParseError::new(
                self.start_line(),
                format!("example file without {which} response body"),
            ));
        };
        let body = match self
            .value
            .get_mut("responses")
            .and_then(|r| r.get_mut(code.as_str()))
        {
            Some(r) => r.get_mut("body").map(Value::take).unwrap_or(Value::Null),
            None => Value::Null,
        };
        self.value = body;
        self.origin = Some(format!("responses.{code}.body of the example file"));
        Ok(())
    }

    /// An error body read as a success body would look like an empty or
    /// partial result; refuse it and say what ARM answered.
    fn refuse_error_body(&self) -> Result<(), ParseError> {
        let Some(Value::Object(err)) = self.value.get("error") else {
            return Ok(());
        };
        let text = |k: &str| err.get(k).and_then(Value::as_str).unwrap_or("?");
        Err(ParseError::new(
            self.start_line(),
            format!(
                "this is an ARM error body, not a result: {}: {} (use `cutover parse arm-error`)",
                text("code"),
                text("message")
            ),
        ))
    }

    fn where_(&self) -> String {
        self.origin
            .as_ref()
            .map(|o| format!(" (in {o})"))
            .unwrap_or_default()
    }

    /// Deserializes `value` as `T`; on failure, re-reads the text to find
    /// the line serde_json stops at.
    pub(super) fn typed<T: DeserializeOwned>(
        &self,
        what: &str,
        value: Value,
    ) -> Result<T, ParseError> {
        let err = match serde_json::from_value::<T>(value) {
            Ok(v) => return Ok(v),
            Err(e) => e,
        };
        if self.origin.is_none() {
            let mut de = serde_json::Deserializer::from_str(self.text);
            if let Err(e) = T::deserialize(&mut de) {
                return Err(located(&e, self.skipped, &format!("not an ARM {what}")));
            }
        }
        Err(ParseError::new(
            0,
            format!("not an ARM {what}{}: {err}", self.where_()),
        ))
    }

    /// A `{value: [...]}` list or a bare array (az CLI) of `item`s.
    ///
    /// `{}` (the placeholder body of the official examples) is refused: an
    /// answer with no entries is `{"value": []}`, and a `{}` read as "no
    /// routes" would hide a body that lost its list.
    pub(super) fn list<T, I>(
        mut self,
        what: &str,
        item: &Shape,
        wrap: impl FnOnce(Vec<I>) -> T,
    ) -> Result<T, ParseError>
    where
        T: DeserializeOwned,
        I: DeserializeOwned,
    {
        match self.value.take() {
            Value::Array(items) => {
                let wrong = self.check_items(item, &items)?;
                let list = self.typed::<Vec<I>>(&format!("{what} array"), Value::Array(items))?;
                wrong.map_or(Ok(wrap(list)), Err)
            }
            Value::Object(m) if m.is_empty() => Err(self.error_at(
                None,
                format!(
                    "not an ARM {what}{}: an empty object `{{}}` (a list with no entries is {{\"value\": []}})",
                    self.where_()
                ),
            )),
            Value::Object(m) if m.contains_key("value") => {
                let wrong = match m.get("value") {
                    Some(Value::Array(items)) => self.check_items(item, items)?,
                    _ => None,
                };
                let list = self.typed(what, Value::Object(m))?;
                wrong.map_or(Ok(list), Err)
            }
            other => {
                let ty = other.get("type").and_then(Value::as_str);
                let found = match ty {
                    Some(t) => format!("an object whose `type` is `{t}`"),
                    None => describe(&other).to_owned(),
                };
                Err(self.error_at(
                    ty.map(|t| format!("\"{t}\"")).as_deref(),
                    format!(
                        "not an ARM {what}{}: expected {{\"value\": [...]}}, found {found}",
                        self.where_()
                    ),
                ))
            }
        }
    }

    /// Refuses a list whose entries are not `item`s, naming the first: at
    /// once (`Err`) when the entry is another shape, else (`Ok(Some)`) for
    /// the caller to report after serde's own error, should there be one.
    fn check_items(&self, item: &Shape, items: &[Value]) -> Result<Option<ParseError>, ParseError> {
        for (i, v) in items.iter().enumerate() {
            let Value::Object(m) = v else {
                // Not an object: serde names the type it found.
                continue;
            };
            if let Err(wrong) = kind::check(item, m) {
                return self.refusal(wrong, &format!("entry {} of the list: ", i + 1));
            }
        }
        Ok(None)
    }

    /// A [`Mismatch`] as a [`ParseError`]: returned now when it names what
    /// the body is instead, kept for after serde's error when not.
    fn refusal(&self, wrong: Mismatch, context: &str) -> Result<Option<ParseError>, ParseError> {
        let Mismatch {
            message,
            anchor,
            identified,
        } = wrong;
        let e = self.error_at(
            anchor.as_deref(),
            format!("{context}{message}{}", self.where_()),
        );
        if identified { Err(e) } else { Ok(Some(e)) }
    }

    /// A ParseError at the first place `anchor` is in the input (the start
    /// of the JSON when there is none, or when the body was reshaped and
    /// `anchor` is not found).
    fn error_at(&self, anchor: Option<&str>, message: String) -> ParseError {
        let found = anchor.and_then(|a| self.text.find(a));
        match found {
            Some(at) => {
                let (line, column) = line_col(self.text, at);
                let column = if line == 1 {
                    column + self.lead
                } else {
                    column
                };
                ParseError::new(self.skipped + line, message).at_column(column)
            }
            None if self.origin.is_none() => {
                ParseError::new(self.start_line(), message).at_column(self.lead + 1)
            }
            None => ParseError::new(0, message),
        }
    }

    /// A resource, as ARM sends it or flattened by the az CLI.
    pub(super) fn resource<T: DeserializeOwned>(mut self, shape: &Shape) -> Result<T, ParseError> {
        let what = shape.what;
        let value = self.value.take();
        let value = match value {
            Value::Object(m)
                if !m.contains_key("properties") && kind::holds_any(shape, m.keys()) =>
            {
                self.origin = Some("the az CLI form, with `properties` flattened".into());
                unflatten(m)
            }
            Value::Object(m) => Value::Object(m),
            Value::Array(_) => {
                return Err(self.error_at(
                    None,
                    format!(
                        "not an ARM {what}{}: found a list (a list is read by another kind)",
                        self.where_()
                    ),
                ));
            }
            other => {
                return Err(ParseError::new(
                    self.start_line(),
                    format!(
                        "not an ARM {what}{}: expected an object, found {}",
                        self.where_(),
                        describe(&other)
                    ),
                ));
            }
        };
        let wrong = match &value {
            Value::Object(m) => match kind::check(shape, m) {
                Ok(()) => None,
                Err(wrong) => self.refusal(wrong, "")?,
            },
            _ => None,
        };
        let resource = self.typed(what, value)?;
        wrong.map_or(Ok(resource), Err)
    }
}

/// Rebuilds `properties` from an az CLI object, recursing into `peerings`.
fn unflatten(mut top: Map<String, Value>) -> Value {
    let mut props = Map::new();
    let keys: Vec<String> = top
        .keys()
        .filter(|k| !RESOURCE_KEYS.contains(&k.as_str()))
        .cloned()
        .collect();
    for k in keys {
        let Some(mut v) = top.remove(&k) else {
            continue;
        };
        if let (true, Value::Array(items)) = (k == "peerings", &mut v) {
            for item in items.iter_mut() {
                if let Value::Object(m) = item
                    && !m.contains_key("properties")
                {
                    *item = unflatten(std::mem::take(m));
                }
            }
        }
        let name = CLI_RENAMES
            .iter()
            .find(|(cli, _)| *cli == k)
            .map_or(k, |(_, arm)| (*arm).to_owned());
        props.insert(name, v);
    }
    top.insert("properties".into(), Value::Object(props));
    Value::Object(top)
}

fn describe(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object without `value`",
    }
}

/// Where the JSON starts: at the first non-blank character when that opens
/// a value, else at the first line that starts with `{` or `[` (skipping an
/// echoed command or a prompt). Returns that text, the lines before it and
/// the characters before it on its line.
fn json_start(input: &str) -> Result<(&str, usize, usize), ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut offset = 0;
    let mut first_text_line = None;
    for (i, line) in input.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with(['{', '[']) {
            let lead = line.len() - trimmed.len();
            let text = input.get(offset + lead..).unwrap_or_default();
            return Ok((text, i, line[..lead].chars().count()));
        }
        if first_text_line.is_none() && !trimmed.is_empty() {
            first_text_line = Some(i + 1);
        }
        offset += line.len();
    }
    Err(match first_text_line {
        Some(line) => ParseError::new(
            line,
            "no JSON object or array found (expected an ARM response body)",
        ),
        None => ParseError::new(0, "empty input: expected an ARM JSON body"),
    })
}

/// A ParseError at serde_json's line, shifted by the skipped lines, without
/// serde_json's own "at line L column C" suffix (the column goes in
/// [`ParseError::column`]).
fn located(e: &serde_json::Error, skipped: usize, what: &str) -> ParseError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    if e.line() == 0 {
        ParseError::new(0, format!("{what}: {msg}"))
    } else {
        ParseError::new(skipped + e.line(), format!("{what}: {msg}")).at_column(e.column())
    }
}
