//! The Arrow schema of the `leaves` table and the conversion of leaf
//! aggregates into record batches.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, Float64Builder, ListBuilder, StringBuilder, TimestampMillisecondBuilder, UInt32Builder, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use showrunner_telemetry::aggregate::startup_bucket_centre_ms;
use showrunner_telemetry::Aggregate;

/// The additive counters, in column order.
const COUNTS: [&str; 5] = ["attempts", "plays", "start_failures", "exits_before_start", "errors"];
/// The additive sums, in column order.
const SUMS: [&str; 4] = ["play_s", "rebuffer_s", "bitrate_kbit", "startup_ms_sum"];

/// The file schema for these dimensions (the `hour` partition column is
/// added by the reader).
pub fn leaf_schema(dims: &[String]) -> SchemaRef {
    let mut fields = vec![Field::new("minute", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false)];
    fields.extend(dims.iter().map(|d| Field::new(d, DataType::Utf8, false)));
    fields.extend(COUNTS.iter().map(|c| Field::new(*c, DataType::UInt64, false)));
    fields.extend(SUMS.iter().map(|c| Field::new(*c, DataType::Float64, false)));
    fields.push(Field::new(
        "startup_hist",
        DataType::List(Arc::new(Field::new("item", DataType::UInt32, true))),
        false,
    ));
    Arc::new(Schema::new(fields))
}

/// Rows being collected for one batch.
#[derive(Debug)]
pub struct RowBuilder {
    schema: SchemaRef,
    minute: TimestampMillisecondBuilder,
    dims: Vec<StringBuilder>,
    counts: [UInt64Builder; 5],
    sums: [Float64Builder; 4],
    hist: ListBuilder<UInt32Builder>,
    rows: usize,
}

impl RowBuilder {
    /// Empty, for `dims`.
    pub fn new(dims: &[String]) -> Self {
        RowBuilder {
            schema: leaf_schema(dims),
            minute: TimestampMillisecondBuilder::new().with_timezone("UTC"),
            dims: dims.iter().map(|_| StringBuilder::new()).collect(),
            counts: std::array::from_fn(|_| UInt64Builder::new()),
            sums: std::array::from_fn(|_| Float64Builder::new()),
            hist: ListBuilder::new(UInt32Builder::new()),
            rows: 0,
        }
    }

    /// Rows so far.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Adds one leaf's minute (`values` in dimension order).
    pub fn push(&mut self, minute_ms: i64, values: &[String], a: &Aggregate) {
        self.minute.append_value(minute_ms);
        for (builder, v) in self.dims.iter_mut().zip(values) {
            builder.append_value(v);
        }
        let counts = [a.attempts, a.plays, a.start_failures, a.exits_before_start, a.errors];
        for (builder, v) in self.counts.iter_mut().zip(counts) {
            builder.append_value(v);
        }
        let startup: f64 = a.startup.iter().enumerate().map(|(k, &c)| f64::from(c) * startup_bucket_centre_ms(k)).sum();
        for (builder, v) in self.sums.iter_mut().zip([a.play_s, a.rebuffer_s, a.bitrate_kbit, startup]) {
            builder.append_value(v);
        }
        self.hist.values().append_slice(&a.startup);
        self.hist.append(true);
        self.rows += 1;
    }

    /// The rows as a record batch; the builder is empty afterwards.
    pub fn finish(&mut self) -> Result<RecordBatch, ArrowError> {
        let mut columns: Vec<ArrayRef> = vec![Arc::new(self.minute.finish())];
        columns.extend(self.dims.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.extend(self.counts.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.extend(self.sums.iter_mut().map(|b| Arc::new(b.finish()) as ArrayRef));
        columns.push(Arc::new(self.hist.finish()));
        self.rows = 0;
        RecordBatch::try_new(self.schema.clone(), columns)
    }
}

/// Whether an aggregate has anything to store.
pub fn is_active(a: &Aggregate) -> bool {
    a.attempts > 0 || a.plays > 0 || a.errors > 0 || a.exits_before_start > 0 || a.play_s > 0.0 || a.rebuffer_s > 0.0
}
