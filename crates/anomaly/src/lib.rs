//! Anomaly scoring of metric series.
//!
//! [`detector`] is the univariate streaming detector: causal, constant
//! memory per series, one configuration for all series. [`nab`] measures it
//! on the Numenta Anomaly Benchmark with NAB's own scoring rules.

pub mod alarm_eval;
pub mod alarms;
pub mod bytes;
pub mod calendar;
pub mod chart;
pub mod correlation;
pub mod detector;
pub mod error;
pub mod explain;
pub mod forecast;
pub mod history;
pub mod monitor;
pub mod nab;
pub mod pipeline;
pub mod snapshot;
pub mod store;

pub use detector::{DetectorConfig, StreamingDetector};
pub use error::AnomalyError;
pub use forecast::{ForecastScore, Forecaster};
