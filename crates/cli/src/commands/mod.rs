//! One module per subcommand.

pub mod alarms;
pub mod analyze;
pub mod artwork;
pub mod bench;
pub mod bench_artwork;
pub mod bench_live;
pub mod corpus;
pub mod eval;
pub mod localize;
pub mod query;
pub mod serve;
pub mod simulate;
pub mod telemetry;
