use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::parse::ParseError;

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

/// Members that only a flattened (az CLI) body of that resource has at the
/// top level.
pub(super) const PEERING_KEYS: &[&str] = &["peeringType", "azureAsn", "peerAsn", "vlanId", "state"];
pub(super) const CIRCUIT_KEYS: &[&str] = &[
    "serviceProviderProvisioningState",
    "circuitProvisioningState",
    "serviceProviderProperties",
    "peerings",
];
pub(super) const CONNECTION_KEYS: &[&str] = &[
    "connectionStatus",
    "connectionType",
    "tunnelConnectionStatus",
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
    pub(super) value: Value,
    /// Set when `value` is no longer the JSON of `text` (taken out of an
    /// example file, or reshaped): errors then cannot name an input line.
    origin: Option<String>,
}

impl<'a> Doc<'a> {
    pub(super) fn load(input: &'a str, want: Want) -> Result<Self, ParseError> {
        let (text, skipped) = json_start(input)?;
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

    /// A `{value: [...]}` list, a bare array (az CLI), or the `{}` body of
    /// the official examples.
    pub(super) fn list<T, I>(
        mut self,
        what: &str,
        wrap: impl FnOnce(Vec<I>) -> T,
    ) -> Result<T, ParseError>
    where
        T: DeserializeOwned,
        I: DeserializeOwned,
    {
        match self.value.take() {
            v @ Value::Array(_) => self.typed::<Vec<I>>(&format!("{what} array"), v).map(wrap),
            Value::Object(m) if m.is_empty() || m.contains_key("value") => {
                self.typed(what, Value::Object(m))
            }
            other => Err(ParseError::new(
                self.start_line(),
                format!(
                    "not an ARM {what}{}: expected {{\"value\": [...]}}, found {}",
                    self.where_(),
                    describe(&other)
                ),
            )),
        }
    }

    /// A resource, as ARM sends it or flattened by the az CLI.
    pub(super) fn resource<T: DeserializeOwned>(
        mut self,
        what: &str,
        markers: &[&str],
    ) -> Result<T, ParseError> {
        let value = self.value.take();
        let value = match value {
            Value::Object(m)
                if !m.contains_key("properties") && markers.iter().any(|k| m.contains_key(*k)) =>
            {
                self.origin = Some("the az CLI form, with `properties` flattened".into());
                unflatten(m)
            }
            Value::Object(m) => Value::Object(m),
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
        self.typed(what, value)
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
/// echoed command or a prompt). Returns that text and the lines before it.
fn json_start(input: &str) -> Result<(&str, usize), ParseError> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut offset = 0;
    let mut first_text_line = None;
    for (i, line) in input.split_inclusive('\n').enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with(['{', '[']) {
            let lead = line.len() - trimmed.len();
            let text = input.get(offset + lead..).unwrap_or_default();
            return Ok((text, i));
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
/// serde_json's own "at line L column C" suffix (the column stays, as text).
fn located(e: &serde_json::Error, skipped: usize, what: &str) -> ParseError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let msg = full.strip_suffix(&suffix).unwrap_or(&full);
    if e.line() == 0 {
        ParseError::new(0, format!("{what}: {msg}"))
    } else {
        ParseError::new(
            skipped + e.line(),
            format!("{what}: {msg} (column {})", e.column()),
        )
    }
}
