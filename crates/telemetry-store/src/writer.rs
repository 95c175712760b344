//! Writing closed minutes to Parquet, one part file per
//! [`PART_MINUTES`] minutes of an hour (or per [`MAX_ROWS`] rows). A part
//! is written under a temporary name and renamed into place, so a reader
//! never sees half a file and a crash loses at most the minutes of the
//! part being filled.

use std::path::{Path, PathBuf};

use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use showrunner_telemetry::Aggregate;

use crate::schema::{is_active, RowBuilder};
use crate::StoreError;

/// Rows buffered before a part file is written whatever the minute.
pub const MAX_ROWS: usize = 500_000;

/// Minutes per part: parts end at :09, :19, … :59 of each hour.
pub const PART_MINUTES: i64 = 10;

const HOUR_MS: i64 = 3_600_000;

/// The writer of one process.
#[derive(Debug)]
pub struct LeafWriter {
    root: PathBuf,
    /// Distinguishes this writer's part files from any other's.
    prefix: String,
    rows: RowBuilder,
    hour: Option<i64>,
    parts: u32,
    written: u64,
}

impl LeafWriter {
    /// A writer into `root` for these dimensions.
    pub fn new(root: &Path, dims: &[String]) -> Result<Self, StoreError> {
        std::fs::create_dir_all(root)
            .map_err(|e| StoreError::Io { path: root.to_path_buf(), message: format!("cannot create: {e}") })?;
        let prefix = format!("{}-{}", chrono::Utc::now().format("%Y%m%dT%H%M%S%3f"), std::process::id());
        Ok(LeafWriter {
            root: root.to_path_buf(),
            prefix,
            rows: RowBuilder::new(dims),
            hour: None,
            parts: 0,
            written: 0,
        })
    }

    /// Adds one closed minute: `leaves[i]` is the aggregate of the leaf
    /// whose dimension values are `values[i]`; leaves without activity are
    /// not stored. Writes the previous hour's part when the hour changes.
    pub fn push(&mut self, minute_ms: i64, values: &[Vec<String>], leaves: &[Aggregate]) -> Result<(), StoreError> {
        let hour = minute_ms.div_euclid(HOUR_MS);
        if self.hour.is_some_and(|h| h != hour) {
            self.flush()?;
        }
        self.hour = Some(hour);
        for (v, a) in values.iter().zip(leaves).filter(|(_, a)| is_active(a)) {
            self.rows.push(minute_ms, v, a);
        }
        let last_of_part = minute_ms.div_euclid(60_000).rem_euclid(PART_MINUTES) == PART_MINUTES - 1;
        if last_of_part || self.rows.len() >= MAX_ROWS {
            self.flush()?;
        }
        Ok(())
    }

    /// Writes what is buffered as a part file.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        let Some(hour) = self.hour else { return Ok(()) };
        if self.rows.is_empty() {
            return Ok(());
        }
        let label = chrono::DateTime::from_timestamp_millis(hour * HOUR_MS)
            .map_or_else(|| hour.to_string(), |t| t.format("%Y-%m-%dT%H").to_string());
        let dir = self.root.join(format!("hour={label}"));
        let fail = |path: &Path, message: String| StoreError::Io { path: path.to_path_buf(), message };
        std::fs::create_dir_all(&dir).map_err(|e| fail(&dir, format!("cannot create: {e}")))?;
        self.parts += 1;
        let path = dir.join(format!("part-{}-{:05}.parquet", self.prefix, self.parts));
        let temporary = dir.join(format!(".part-{}-{:05}.tmp", self.prefix, self.parts));
        let batch = self.rows.finish().map_err(|e| fail(&path, e.to_string()))?;
        let file = std::fs::File::create(&temporary).map_err(|e| fail(&temporary, e.to_string()))?;
        let properties = WriterProperties::builder().set_compression(Compression::ZSTD(ZstdLevel::default())).build();
        let mut writer =
            ArrowWriter::try_new(file, batch.schema(), Some(properties)).map_err(|e| fail(&path, e.to_string()))?;
        writer.write(&batch).map_err(|e| fail(&path, e.to_string()))?;
        writer.close().map_err(|e| fail(&path, e.to_string()))?;
        std::fs::rename(&temporary, &path).map_err(|e| fail(&path, e.to_string()))?;
        self.written += batch.num_rows() as u64;
        Ok(())
    }

    /// Rows written to files so far.
    pub fn rows_written(&self) -> u64 {
        self.written
    }
}

impl Drop for LeafWriter {
    fn drop(&mut self) {
        if let Err(e) = self.flush() {
            eprintln!("{e}");
        }
    }
}
