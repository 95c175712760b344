//! Player events from a Parquet file, for `telemetry replay FILE.parquet`:
//! the same columns as the CSV form (event fields, one column per
//! dimension), any Arrow types that print as those values. Timestamps
//! are read as epoch milliseconds. One record batch is in memory at a
//! time.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use showrunner_core::InputError;
use showrunner_telemetry::{replay_table, ReplayReport, Speed, Validator};

/// Rows read per batch.
const BATCH_ROWS: usize = 8192;

/// Replays the events of a Parquet file.
pub fn replay_parquet(
    path: &Path,
    validator: &mut Validator,
    interval_ms: i64,
    speed: Speed,
) -> Result<ReplayReport, InputError> {
    let file = std::fs::File::open(path).map_err(|e| InputError::io(path, e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| InputError::format(path, format!("not a Parquet file: {e}")))?;
    let headers: Vec<String> = builder.schema().fields().iter().map(|f| f.name().clone()).collect();
    let reader = builder.with_batch_size(BATCH_ROWS).build().map_err(|e| InputError::format(path, e.to_string()))?;
    let rows = reader.flat_map(|batch| match batch.map_err(|e| e.to_string()).and_then(|b| text_rows(&b)) {
        Ok(rows) => rows.into_iter().map(Ok).collect::<Vec<_>>(),
        Err(e) => vec![Err(format!("a record batch could not be read: {e}"))],
    });
    replay_table(path, headers, rows, 1, validator, interval_ms, speed)
}

/// A batch as rows of text cells (null as empty).
fn text_rows(batch: &RecordBatch) -> Result<Vec<csv::StringRecord>, String> {
    let columns: Vec<ArrayRef> = batch.columns().iter().map(as_printable).collect::<Result<_, _>>()?;
    let options = FormatOptions::default().with_null("");
    let formatters: Vec<ArrayFormatter> = columns
        .iter()
        .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    Ok((0..batch.num_rows())
        .map(|row| formatters.iter().map(|f| f.value(row).to_string()).collect::<csv::StringRecord>())
        .collect())
}

/// Timestamps as epoch milliseconds; everything else as it is.
fn as_printable(column: &ArrayRef) -> Result<ArrayRef, String> {
    match column.data_type() {
        DataType::Timestamp(_, zone) => {
            let ms =
                cast(column, &DataType::Timestamp(TimeUnit::Millisecond, zone.clone())).map_err(|e| e.to_string())?;
            cast(&ms, &DataType::Int64).map_err(|e| e.to_string())
        }
        _ => Ok(Arc::clone(column)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{BooleanArray, Float64Array, StringArray, TimestampMillisecondArray};
    use datafusion::arrow::datatypes::{Field, Schema};
    use datafusion::parquet::arrow::ArrowWriter;
    use showrunner_telemetry::{Dimension, Schema as TelemetrySchema};

    const T: i64 = 1_795_000_020_000;

    fn write(path: &Path) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("time", DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into())), false),
            Field::new("session", DataType::Utf8, false),
            Field::new("type", DataType::Utf8, false),
            Field::new("cdn", DataType::Utf8, true),
            Field::new("startup_ms", DataType::Float64, true),
            Field::new("fatal", DataType::Boolean, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(TimestampMillisecondArray::from(vec![T, T + 1000, T + 2000, T + 3000]).with_timezone("UTC")),
                Arc::new(StringArray::from(vec!["s1", "s1", "s2", "s2"])),
                Arc::new(StringArray::from(vec!["attempt", "start", "attempt", "start"])),
                Arc::new(StringArray::from(vec![Some("A"), Some("A"), Some("B"), Some("B")])),
                Arc::new(Float64Array::from(vec![None, Some(850.0), None, Some(-5.0)])),
                Arc::new(BooleanArray::from(vec![None, None, None, None])),
            ],
        )
        .unwrap();
        let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn events_are_read_and_validated_like_csv_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.parquet");
        write(&path);
        let schema = TelemetrySchema { dimensions: vec![Dimension { name: "cdn".into(), cap: 10 }] };
        let mut validator = Validator::new(schema, 86_400_000).unwrap();
        let report = replay_parquet(&path, &mut validator, 60_000, Speed::Max).unwrap();
        assert_eq!((report.records, report.accepted), (4, 3));
        let bad = &report.rejected["bad_value"];
        assert_eq!((bad.count, bad.first_line), (1, 4), "{bad:?}");
        let totals = report.cube.totals();
        assert_eq!((totals[0].1.attempts, totals[0].1.plays), (2, 1));
    }

    #[test]
    fn a_file_that_is_not_parquet_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.parquet");
        std::fs::write(&path, "time,session\n").unwrap();
        let schema = TelemetrySchema { dimensions: vec![Dimension { name: "cdn".into(), cap: 10 }] };
        let mut validator = Validator::new(schema, 86_400_000).unwrap();
        let err = replay_parquet(&path, &mut validator, 60_000, Speed::Max).unwrap_err().to_string();
        assert!(err.contains("events.parquet") && err.contains("not a Parquet file"), "{err}");
    }
}
