//! Real outside servers for the integration tests of showrunner's crates,
//! so that every crate starts them the same way.

pub mod nats;

pub use nats::NatsServer;
