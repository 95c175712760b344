//! One module per API resource.

pub mod alarms;
pub mod calendar;
pub mod events;
pub mod health;
pub mod query;
pub mod telemetry;
