//! The `cutover` binary's command line, as a library so that the
//! integration tests drive the same code as the binary.

pub mod cli;
