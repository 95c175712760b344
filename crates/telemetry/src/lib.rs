//! Player telemetry: the event schema ([`event`]), the dimensions it is
//! broken down by ([`schema`]), record-by-record validation
//! ([`validate`]), per-interval aggregation of every leaf ([`aggregate`]),
//! event-time windows for live ingest ([`live`]) and file replay
//! ([`replay`]).

pub mod aggregate;
pub mod event;
pub mod live;
pub mod record;
pub mod replay;
pub mod schema;
pub mod simulate;
pub mod validate;

pub use aggregate::{Aggregate, Cube, Metrics, MINUTE_MS};
pub use event::{Event, EventKind};
pub use live::{Closed, ClosedInterval, Late, LiveIngest, LiveWindows};
pub use replay::{replay, replay_table, ReplayReport, Speed};
pub use schema::{Dimension, Schema, TelemetryConfig};
pub use validate::{Reason, Rejection, Validator};
