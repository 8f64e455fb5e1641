//! (being written)

use super::ParseError;

pub fn parse(_input: &str) -> Result<serde_json::Value, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
