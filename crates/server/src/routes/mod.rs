//! One module per API resource.

pub mod alarms;
pub mod artwork;
pub mod calendar;
pub mod defects;
pub mod events;
pub mod health;
pub mod metrics;
pub mod params;
pub mod query;
pub mod streams;
pub mod telemetry;
pub mod wall;
