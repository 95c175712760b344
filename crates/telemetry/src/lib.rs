//! Player telemetry: the event schema ([`event`]), the dimensions it is
//! broken down by ([`schema`]), record-by-record validation
//! ([`validate`]), per-interval aggregation of every leaf ([`aggregate`])
//! and file replay ([`replay`]).

pub mod aggregate;
pub mod event;
pub mod record;
pub mod replay;
pub mod schema;
pub mod simulate;
pub mod validate;

pub use aggregate::{Aggregate, Cube, Metrics, MINUTE_MS};
pub use event::{Event, EventKind};
pub use replay::{replay, ReplayReport, Speed};
pub use schema::{Dimension, Schema, TelemetryConfig};
pub use validate::{Reason, Rejection, Validator};
