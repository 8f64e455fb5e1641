//! (being written)

use super::ParseError;
use crate::model::Trace;

pub fn parse(_input: &str) -> Result<Trace, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
