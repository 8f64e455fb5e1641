//! (being written)

use super::ParseError;

type Out = serde_json::Value;

pub fn parse_routes(_input: &str) -> Result<Out, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
pub fn parse_bgp_peers(_input: &str) -> Result<Out, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
pub fn parse_peerings(_input: &str) -> Result<Out, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
pub fn parse_circuit(_input: &str) -> Result<Out, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
pub fn parse_connection(_input: &str) -> Result<Out, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
pub fn parse_error(_input: &str) -> Result<Out, ParseError> {
    Err(ParseError::new(0, "not implemented yet"))
}
