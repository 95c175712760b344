//! The stream registry and the defect history, in SQLite (WAL, full sync:
//! what a call returned is on disk, so a crash loses nothing that was
//! acknowledged).
//!
//! A defect row is written when the defect is confirmed (with the JPEG of
//! the picture where it started) and completed when it ends. Rows left open
//! by a process that stopped are closed at the next start, saying so.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use crate::spec::StreamSpec;

/// What can go wrong with the store; every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("{path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
    /// A stored row does not decode.
    #[error("{path}: stream `{id}` is damaged: {reason}")]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// The row.
        id: String,
        /// Why.
        reason: String,
    },
}

/// One defect of the history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DefectRecord {
    /// Row id.
    pub id: i64,
    /// Stream id.
    pub stream: String,
    /// Defect type: a detector's (`video_freeze`, …) or `input_loss`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Wall-clock start, ms since the epoch (UTC).
    pub start_ms: i64,
    /// Wall-clock end, once it ended.
    pub end_ms: Option<i64>,
    /// Media time of the start, seconds (none for input loss).
    pub start_pts_s: Option<f64>,
    /// Media time of the end.
    pub end_pts_s: Option<f64>,
    /// When it was confirmed and announced, ms since the epoch.
    pub confirmed_ms: i64,
    /// The detector's confidence, once it ended.
    pub confidence: Option<f64>,
    /// What was measured, once it ended.
    pub evidence: serde_json::Value,
    /// Whether a thumbnail of its start exists.
    pub has_thumbnail: bool,
}

/// Which defects to list.
#[derive(Debug, Clone, Default)]
pub struct DefectFilter {
    /// One stream only.
    pub stream: Option<String>,
    /// One type only.
    pub kind: Option<String>,
    /// Starting at or after, ms.
    pub since_ms: Option<i64>,
    /// Starting before, ms.
    pub until_ms: Option<i64>,
    /// At most this many, newest first.
    pub limit: usize,
}

/// The registry and history.
pub struct LiveStore {
    path: PathBuf,
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS streams (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS defects (
    id INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    kind TEXT NOT NULL,
    start_ms INTEGER NOT NULL,
    end_ms INTEGER,
    start_pts_s REAL,
    end_pts_s REAL,
    confirmed_ms INTEGER NOT NULL,
    confidence REAL,
    evidence TEXT,
    thumbnail BLOB
);
CREATE INDEX IF NOT EXISTS defects_stream_start ON defects (stream, start_ms);
CREATE INDEX IF NOT EXISTS defects_start ON defects (start_ms);
";

const DEFECT_COLUMNS: &str = "id, stream, kind, start_ms, end_ms, start_pts_s, end_pts_s, confirmed_ms, confidence, \
                              evidence, thumbnail IS NOT NULL";

impl LiveStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let fail = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
        conn.execute_batch(SCHEMA).map_err(fail)?;
        Ok(LiveStore { path: path.to_path_buf(), conn })
    }

    fn fail(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Adds a stream; `false` (and nothing written) when its id exists.
    pub fn insert_stream(&self, spec: &StreamSpec, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "INSERT INTO streams (id, spec, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?3) ON CONFLICT (id) DO NOTHING",
                params![spec.id, json(spec), now_ms],
            )
            .map_err(|e| self.fail(e))?;
        Ok(n == 1)
    }

    /// Replaces a stream's description; `false` when it does not exist.
    pub fn update_stream(&self, spec: &StreamSpec, now_ms: i64) -> Result<bool, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE streams SET spec = ?2, updated_ms = ?3 WHERE id = ?1",
                params![spec.id, json(spec), now_ms],
            )
            .map_err(|e| self.fail(e))?;
        Ok(n == 1)
    }

    /// Removes a stream from the registry (its history stays); `false`
    /// when it did not exist.
    pub fn delete_stream(&self, id: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute("DELETE FROM streams WHERE id = ?1", [id]).map_err(|e| self.fail(e))?;
        Ok(n == 1)
    }

    /// Every stream, by id.
    pub fn streams(&self) -> Result<Vec<StreamSpec>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, spec FROM streams ORDER BY id").map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.fail(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.fail(e))?;
        rows.into_iter()
            .map(|(id, text)| {
                serde_json::from_str(&text).map_err(|e| StoreError::Damaged {
                    path: self.path.clone(),
                    id,
                    reason: e.to_string(),
                })
            })
            .collect()
    }

    /// Records a confirmed defect; returns its id.
    pub fn open_defect(&self, d: &NewDefect<'_>) -> Result<i64, StoreError> {
        self.conn
            .query_row(
                "INSERT INTO defects (stream, kind, start_ms, start_pts_s, confirmed_ms, thumbnail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING id",
                params![d.stream, d.kind, d.start_ms, d.start_pts_s, d.confirmed_ms, d.thumbnail],
                |r| r.get(0),
            )
            .map_err(|e| self.fail(e))
    }

    /// Completes a defect when it ends.
    pub fn close_defect(&self, id: i64, end: &DefectEnd) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE defects SET end_ms = ?2, end_pts_s = ?3, confidence = ?4, evidence = ?5 WHERE id = ?1",
                params![id, end.end_ms, end.end_pts_s, end.confidence, end.evidence.to_string()],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Closes the defects a stopped process left open, at `now_ms`, with
    /// `{"closed_at_restart": 1}` as evidence; returns how many.
    pub fn close_unfinished(&self, now_ms: i64) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE defects SET end_ms = ?1, evidence = '{\"closed_at_restart\":1}' WHERE end_ms IS NULL",
                [now_ms],
            )
            .map_err(|e| self.fail(e))
    }

    /// Defects matching `filter`, newest first.
    pub fn defects(&self, f: &DefectFilter) -> Result<Vec<DefectRecord>, StoreError> {
        let sql = format!(
            "SELECT {DEFECT_COLUMNS} FROM defects
             WHERE (?1 IS NULL OR stream = ?1) AND (?2 IS NULL OR kind = ?2)
               AND (?3 IS NULL OR start_ms >= ?3) AND (?4 IS NULL OR start_ms < ?4)
             ORDER BY start_ms DESC, id DESC LIMIT ?5"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map(params![f.stream, f.kind, f.since_ms, f.until_ms, f.limit as i64], record)
            .map_err(|e| self.fail(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.fail(e))
    }

    /// One defect.
    pub fn defect(&self, id: i64) -> Result<Option<DefectRecord>, StoreError> {
        let sql = format!("SELECT {DEFECT_COLUMNS} FROM defects WHERE id = ?1");
        self.conn.query_row(&sql, [id], record).optional().map_err(|e| self.fail(e))
    }

    /// The JPEG of a defect's start, if there is one.
    pub fn thumbnail(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let got: Option<Option<Vec<u8>>> = self
            .conn
            .query_row("SELECT thumbnail FROM defects WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(|e| self.fail(e))?;
        Ok(got.flatten())
    }
}

/// A defect as confirmed.
#[derive(Debug, Clone)]
pub struct NewDefect<'a> {
    /// Stream id.
    pub stream: &'a str,
    /// Defect type name.
    pub kind: &'a str,
    /// Wall-clock start, ms.
    pub start_ms: i64,
    /// Media time of the start.
    pub start_pts_s: Option<f64>,
    /// Wall-clock confirmation, ms.
    pub confirmed_ms: i64,
    /// JPEG of the start.
    pub thumbnail: Option<&'a [u8]>,
}

/// How a defect ended.
#[derive(Debug, Clone)]
pub struct DefectEnd {
    /// Wall-clock end, ms.
    pub end_ms: i64,
    /// Media time of the end.
    pub end_pts_s: Option<f64>,
    /// The detector's confidence.
    pub confidence: Option<f64>,
    /// What was measured.
    pub evidence: serde_json::Value,
}

fn record(r: &rusqlite::Row<'_>) -> rusqlite::Result<DefectRecord> {
    let evidence: Option<String> = r.get(9)?;
    Ok(DefectRecord {
        id: r.get(0)?,
        stream: r.get(1)?,
        kind: r.get(2)?,
        start_ms: r.get(3)?,
        end_ms: r.get(4)?,
        start_pts_s: r.get(5)?,
        end_pts_s: r.get(6)?,
        confirmed_ms: r.get(7)?,
        confidence: r.get(8)?,
        evidence: evidence.and_then(|e| serde_json::from_str(&e).ok()).unwrap_or(serde_json::Value::Null),
        has_thumbnail: r.get(10)?,
    })
}

fn json(spec: &StreamSpec) -> String {
    serde_json::to_string(spec).unwrap_or_else(|_| unreachable!("a spec is plain data"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::{InputPolicy, StreamRequest};

    fn spec(name: &str) -> StreamSpec {
        let request = StreamRequest {
            name: name.into(),
            url: "udp://127.0.0.1:5000".into(),
            detectors: None,
            tags: [("region".to_string(), "eu".to_string())].into(),
            thresholds: serde_json::Map::new(),
        };
        StreamSpec::new(request, InputPolicy::default(), &showrunner_vqa::VqaConfig::default()).unwrap()
    }

    #[test]
    fn streams_and_their_history_survive_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        {
            let store = LiveStore::open(&path).unwrap();
            assert!(store.insert_stream(&spec("News"), 1).unwrap());
            assert!(!store.insert_stream(&spec("news"), 2).unwrap(), "same id");
            assert!(store.insert_stream(&spec("Sport"), 3).unwrap());
            let jpeg = [0xFF, 0xD8, 0xFF, 0xD9];
            let new = NewDefect {
                stream: "news",
                kind: "video_freeze",
                start_ms: 1_000,
                start_pts_s: Some(12.5),
                confirmed_ms: 2_000,
                thumbnail: Some(&jpeg),
            };
            let id = store.open_defect(&new).unwrap();
            let end = DefectEnd {
                end_ms: 4_000,
                end_pts_s: Some(15.5),
                confidence: Some(0.9),
                evidence: serde_json::json!({"duration_s": 3.0}),
            };
            store.close_defect(id, &end).unwrap();
            store.open_defect(&NewDefect { kind: "input_loss", start_ms: 9_000, thumbnail: None, ..new }).unwrap();
            assert!(store.delete_stream("sport").unwrap());
            assert!(!store.delete_stream("sport").unwrap());
        }
        let store = LiveStore::open(&path).unwrap();
        assert_eq!(store.streams().unwrap(), vec![spec("News")]);
        assert_eq!(store.close_unfinished(10_000).unwrap(), 1, "the input loss left open");
        let all = store.defects(&DefectFilter { limit: 10, ..Default::default() }).unwrap();
        assert_eq!(all.iter().map(|d| d.kind.as_str()).collect::<Vec<_>>(), ["input_loss", "video_freeze"]);
        assert_eq!(all[0].evidence["closed_at_restart"], 1);
        let freeze = &all[1];
        assert_eq!((freeze.start_ms, freeze.end_ms, freeze.start_pts_s), (1_000, Some(4_000), Some(12.5)));
        assert_eq!(freeze.evidence["duration_s"], 3.0);
        assert!(freeze.has_thumbnail && !all[0].has_thumbnail);
        assert_eq!(store.thumbnail(freeze.id).unwrap().unwrap(), vec![0xFF, 0xD8, 0xFF, 0xD9]);
        let only = DefectFilter {
            kind: Some("video_freeze".into()),
            since_ms: Some(500),
            until_ms: Some(1_001),
            limit: 10,
            ..Default::default()
        };
        assert_eq!(store.defects(&only).unwrap().len(), 1);
        let none = DefectFilter { stream: Some("sport".into()), limit: 10, ..Default::default() };
        assert!(store.defects(&none).unwrap().is_empty());
        assert_eq!(store.defect(999).unwrap(), None);
    }
}
