//! One module per API resource.

pub mod alarms;
pub mod health;
pub mod telemetry;
