//! Read-only SQL over the store. The session knows one table, `leaves`;
//! DDL, DML and statements (`CREATE`, `INSERT`, `COPY`, `SET`…) are
//! refused, and tables cannot name files, so a query reads the store and
//! nothing else.

use std::path::Path;

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::execution::context::{SQLOptions, SessionContext};
use datafusion::prelude::ParquetReadOptions;
use serde::Serialize;

use crate::StoreError;

/// A query's answer.
#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    /// Column names, in order.
    pub columns: Vec<String>,
    /// The rows, each an object keyed by column.
    pub rows: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Whether more rows matched than were returned.
    pub truncated: bool,
    /// The same rows as a text table.
    #[serde(skip)]
    pub table: String,
}

/// Runs `sql` over the store at `root`, returning at most `max_rows` rows.
pub async fn query(root: &Path, sql: &str, max_rows: usize) -> Result<QueryResult, StoreError> {
    if !has_parts(root) {
        return Err(StoreError::Empty(root.to_path_buf()));
    }
    let ctx = SessionContext::new();
    let location = format!("{}/", root.display());
    let options = ParquetReadOptions::default().table_partition_cols(vec![("hour".to_string(), DataType::Utf8)]);
    ctx.register_parquet("leaves", &location, options)
        .await
        .map_err(|e| StoreError::Io { path: root.to_path_buf(), message: e.to_string() })?;
    let read_only = SQLOptions::new().with_allow_ddl(false).with_allow_dml(false).with_allow_statements(false);
    let frame = ctx.sql_with_options(sql, read_only).await.map_err(|e| StoreError::Query(e.to_string()))?;
    let batches = frame
        .limit(0, Some(max_rows + 1))
        .map_err(|e| StoreError::Query(e.to_string()))?
        .collect()
        .await
        .map_err(|e| StoreError::Query(e.to_string()))?;
    result(batches, max_rows)
}

/// Whether any part file exists under `root`.
fn has_parts(root: &Path) -> bool {
    let Ok(hours) = std::fs::read_dir(root) else { return false };
    hours.flatten().any(|h| {
        std::fs::read_dir(h.path())
            .map(|parts| parts.flatten().any(|p| p.path().extension().is_some_and(|e| e == "parquet")))
            .unwrap_or(false)
    })
}

fn result(batches: Vec<RecordBatch>, max_rows: usize) -> Result<QueryResult, StoreError> {
    let columns: Vec<String> =
        batches.first().map(|b| b.schema().fields().iter().map(|f| f.name().clone()).collect()).unwrap_or_default();
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut kept = Vec::new();
    let mut left = max_rows;
    for batch in &batches {
        if left == 0 {
            break;
        }
        let take = batch.num_rows().min(left);
        kept.push(batch.slice(0, take));
        left -= take;
    }
    let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
    for batch in &kept {
        writer.write(batch).map_err(|e| StoreError::Query(e.to_string()))?;
    }
    writer.finish().map_err(|e| StoreError::Query(e.to_string()))?;
    let bytes = writer.into_inner();
    let rows: Vec<serde_json::Map<String, serde_json::Value>> = if bytes.is_empty() {
        Vec::new()
    } else {
        serde_json::from_slice(&bytes).map_err(|e| StoreError::Query(e.to_string()))?
    };
    let table = datafusion::arrow::util::pretty::pretty_format_batches(&kept)
        .map_err(|e| StoreError::Query(e.to_string()))?
        .to_string();
    Ok(QueryResult { columns, rows, truncated: total > max_rows, table })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LeafWriter;
    use showrunner_telemetry::Aggregate;

    const T: i64 = 1_793_577_600_000; // 2026-11-02T00:00Z

    fn agg(attempts: u64, rebuffer_s: f64) -> Aggregate {
        Aggregate { attempts, plays: attempts, play_s: 100.0, rebuffer_s, ..Aggregate::default() }
    }

    /// Two hours of two leaves; CDN B rebuffers in the second hour.
    fn store(dir: &Path) {
        let dims = vec!["cdn".to_string(), "country".to_string()];
        let values = vec![vec!["A".to_string(), "DE".to_string()], vec!["B".to_string(), "DE".to_string()]];
        let mut w = LeafWriter::new(dir, &dims).unwrap();
        for m in 0..120 {
            let b = if m >= 60 { agg(20, 10.0) } else { agg(20, 1.0) };
            w.push(T + m * 60_000, &values, &[agg(30, 1.0), b]).unwrap();
        }
        // A minute with no activity on A stores only B.
        w.push(T + 120 * 60_000, &values, &[Aggregate::default(), agg(5, 0.0)]).unwrap();
        w.flush().unwrap();
        assert_eq!(w.rows_written(), 241);
    }

    #[tokio::test]
    async fn sums_by_hour_and_dimension_come_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        store(dir.path());
        let r = query(
            dir.path(),
            "SELECT hour, cdn, sum(attempts) AS attempts, sum(rebuffer_s) / sum(play_s + rebuffer_s) AS rebuffering
             FROM leaves GROUP BY hour, cdn ORDER BY hour, cdn",
            100,
        )
        .await
        .unwrap();
        assert_eq!(r.columns, ["hour", "cdn", "attempts", "rebuffering"]);
        let rows: Vec<(String, String, u64, f64)> = r
            .rows
            .iter()
            .map(|row| {
                (
                    row["hour"].as_str().unwrap().to_string(),
                    row["cdn"].as_str().unwrap().to_string(),
                    row["attempts"].as_u64().unwrap(),
                    row["rebuffering"].as_f64().unwrap(),
                )
            })
            .collect();
        assert_eq!(rows.len(), 5, "{rows:?}");
        assert_eq!((rows[0].0.as_str(), rows[0].1.as_str(), rows[0].2), ("2026-11-02T00", "A", 1800));
        assert_eq!((rows[3].0.as_str(), rows[3].1.as_str(), rows[3].2), ("2026-11-02T01", "B", 1200));
        assert!((rows[3].3 - 10.0 / 110.0).abs() < 1e-12, "{rows:?}");
        assert_eq!((rows[4].0.as_str(), rows[4].1.as_str(), rows[4].2), ("2026-11-02T02", "B", 5));
        assert!(r.table.contains("| hour"), "{}", r.table);
        assert!(!r.truncated);
    }

    #[tokio::test]
    async fn results_are_capped_and_writes_and_files_refused() {
        let dir = tempfile::tempdir().unwrap();
        store(dir.path());
        let r = query(dir.path(), "SELECT * FROM leaves", 10).await.unwrap();
        assert_eq!((r.rows.len(), r.truncated), (10, true));
        for sql in [
            "CREATE TABLE x AS SELECT 1",
            "INSERT INTO leaves SELECT * FROM leaves",
            "COPY leaves TO '/tmp/out.parquet'",
            "SET datafusion.execution.batch_size = 1",
            "SELECT * FROM '/etc/passwd'",
        ] {
            let err = query(dir.path(), sql, 10).await.unwrap_err();
            assert!(matches!(err, StoreError::Query(_)), "{sql}: {err}");
        }
        let err = query(dir.path(), "SELECT nonsense FROM leaves", 10).await.unwrap_err().to_string();
        assert!(err.contains("nonsense"), "{err}");
        let empty = tempfile::tempdir().unwrap();
        let err = query(empty.path(), "SELECT 1", 10).await.unwrap_err();
        assert!(matches!(err, StoreError::Empty(_)), "{err}");
    }
}
