//! The clients that reach the world: devices over SSH (russh, with OpenSSH's
//! configuration conventions) and Azure Resource Manager over HTTPS (reqwest
//! with rustls, tokens from azure_identity). Each implements one of the
//! engine's ports ([`cutover_engine::port`]), so the engine runs the same
//! code against real devices, the lab and test doubles.

pub mod arm;
pub mod ssh;
