//! (being written)

use super::ParseError;
use crate::model::RouteList;

pub fn parse(_input: &str) -> Result<RouteList<'_>, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
