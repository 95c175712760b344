//! The alarm store: every alarm and every suppressed anomaly, in SQLite
//! (`showrunner.db` in the data dir), so that `alarms list|show|ack` and
//! the API see what the pipeline found, and suppression can be audited.
//!
//! An alarm is written when it opens and rewritten as it changes; the
//! pipeline's own id (`key`) and the id of the pipeline run identify the
//! row, the store assigns the id users see. Acknowledgement is kept
//! across rewrites. The database runs in WAL mode with full syncs: a write
//! that returned is on disk.
//!
//! Lifecycle: **open** → **acknowledged** (by an operator) → **resolved**
//! (by the pipeline, when the series is back to normal — acknowledged or
//! not).

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::alarms::{Classification, Explanation, Severity};
use crate::calendar::ScheduledEvent;
use crate::pipeline::{AlarmRecord, Chart, SuppressedRecord};

/// Where an alarm is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// Raised, nobody on it yet.
    Open,
    /// An operator is on it.
    Acknowledged,
    /// The series is back to normal.
    Resolved,
}

impl AlarmState {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            AlarmState::Open => "open",
            AlarmState::Acknowledged => "acknowledged",
            AlarmState::Resolved => "resolved",
        }
    }
}

impl std::str::FromStr for AlarmState {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "open" => Ok(AlarmState::Open),
            "acknowledged" | "ack" => Ok(AlarmState::Acknowledged),
            "resolved" => Ok(AlarmState::Resolved),
            _ => Err(format!("state `{s}`: expected open, acknowledged or resolved")),
        }
    }
}

/// Who acknowledged an alarm, when, and what they said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Acknowledgement {
    /// Operator.
    pub by: String,
    /// When, ms since the epoch.
    pub at_ms: i64,
    /// Their note.
    pub note: String,
}

/// An alarm as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredAlarm {
    /// Its id.
    pub id: i64,
    /// Lifecycle state.
    pub state: AlarmState,
    /// Opened, ms since the epoch.
    pub opened_ms: i64,
    /// Last anomalous interval.
    pub last_ms: i64,
    /// Resolved, once it has.
    pub resolved_ms: Option<i64>,
    /// Severity level.
    pub level: Severity,
    /// Severity score.
    pub severity: f64,
    /// Largest |z|.
    pub peak_z: f64,
    /// Sessions at stake.
    pub attempts: u64,
    /// Elements involved, the opening one first.
    pub elements: Vec<String>,
    /// Metrics involved, the opening one first.
    pub metrics: Vec<String>,
    /// What moved, where, by how much.
    pub summary: String,
    /// Its localization.
    pub explanation: Option<Explanation>,
    /// The opening series with its expected band.
    pub chart: Chart,
    /// The acknowledgement, if any.
    pub acknowledged: Option<Acknowledgement>,
}

/// Which alarms to list.
#[derive(Debug, Clone, Default)]
pub struct AlarmFilter {
    /// Only in this state.
    pub state: Option<AlarmState>,
    /// Only opened at or after (ms).
    pub since_ms: Option<i64>,
    /// Only opened before (ms).
    pub until_ms: Option<i64>,
    /// At most this many, newest first (`None`: all).
    pub limit: Option<usize>,
}

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused.
    #[error("alarm store {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// No alarm has that id.
    #[error("no alarm {0} (`showrunner alarms list` shows the ids)")]
    NotFound(i64),
    /// The alarm already resolved; there is nothing to acknowledge.
    #[error("alarm {0} is already resolved")]
    AlreadyResolved(i64),
    /// A row could not be read back.
    #[error("alarm store {path}: row {id} is damaged: {message}")]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// The row.
        id: i64,
        /// What is wrong.
        message: String,
    },
}

/// The alarm store.
#[derive(Debug)]
pub struct AlarmStore {
    path: PathBuf,
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS alarms (
    id INTEGER PRIMARY KEY,
    run TEXT NOT NULL,
    key INTEGER NOT NULL,
    opened_ms INTEGER NOT NULL,
    last_ms INTEGER NOT NULL,
    resolved_ms INTEGER,
    level TEXT NOT NULL,
    severity REAL NOT NULL,
    peak_z REAL NOT NULL,
    attempts INTEGER NOT NULL,
    elements TEXT NOT NULL,
    metrics TEXT NOT NULL,
    summary TEXT NOT NULL,
    explanation TEXT,
    chart TEXT NOT NULL,
    acked_by TEXT,
    acked_ms INTEGER,
    ack_note TEXT,
    UNIQUE (run, key)
);
CREATE INDEX IF NOT EXISTS alarms_opened ON alarms (opened_ms);
CREATE TABLE IF NOT EXISTS suppressed (
    time_ms INTEGER NOT NULL,
    element TEXT NOT NULL,
    metric TEXT NOT NULL,
    observed REAL,
    expected REAL,
    forecast_z REAL,
    derivative_z REAL,
    attempts INTEGER NOT NULL,
    class TEXT NOT NULL,
    correlation_z REAL
);
CREATE INDEX IF NOT EXISTS suppressed_time ON suppressed (time_ms);
CREATE TABLE IF NOT EXISTS calendar (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL
);
";

const COLUMNS: &str = "id, opened_ms, last_ms, resolved_ms, level, severity, peak_z, attempts, elements, metrics, \
                       summary, explanation, chart, acked_by, acked_ms, ack_note";

impl AlarmStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let fail = |source| StoreError::Sqlite { path: path.to_path_buf(), source };
        let conn = Connection::open(path).map_err(fail)?;
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(fail)?;
        conn.pragma_update(None, "journal_mode", "WAL").map_err(fail)?;
        conn.pragma_update(None, "synchronous", "FULL").map_err(fail)?;
        conn.execute_batch(SCHEMA).map_err(fail)?;
        add_columns_of_later_versions(&conn).map_err(fail)?;
        Ok(AlarmStore { path: path.to_path_buf(), conn })
    }

    fn fail(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite { path: self.path.clone(), source }
    }

    /// Writes an alarm of pipeline run `run` (inserting it, or updating
    /// everything but its acknowledgement); returns its id.
    pub fn save(&mut self, run: &str, a: &AlarmRecord) -> Result<i64, StoreError> {
        // `id` is the rowid (no AUTOINCREMENT), so an insert that becomes an
        // update uses up no id.
        self.conn
            .query_row(
                "INSERT INTO alarms (run, key, opened_ms, last_ms, resolved_ms, level, severity, peak_z, attempts,
                                     elements, metrics, summary, explanation, chart)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT (run, key) DO UPDATE SET
                     last_ms = excluded.last_ms, resolved_ms = excluded.resolved_ms, level = excluded.level,
                     severity = excluded.severity, peak_z = excluded.peak_z, elements = excluded.elements,
                     metrics = excluded.metrics, summary = excluded.summary, explanation = excluded.explanation,
                     chart = excluded.chart
                 RETURNING id",
                params![
                    run,
                    a.key as i64,
                    a.opened_ms,
                    a.last_ms,
                    a.resolved_ms,
                    a.level.name(),
                    a.severity,
                    a.peak_z,
                    a.attempts as i64,
                    json(&a.elements),
                    json(&a.metrics),
                    a.summary,
                    a.explanation.as_ref().map(json),
                    json(&a.chart),
                ],
                |row| row.get(0),
            )
            .map_err(|e| self.fail(e))
    }

    /// Resolves every alarm still open: called when a pipeline starts,
    /// since no earlier run can update its alarms any more (their series'
    /// state went with it). Each is marked as closed at restart, resolved
    /// one interval after its last anomaly; returns how many.
    pub fn resolve_abandoned(&mut self) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE alarms SET resolved_ms = last_ms + 60000,
                                   summary = summary || ' (closed at restart: its pipeline stopped while it was open)'
                 WHERE resolved_ms IS NULL",
                [],
            )
            .map_err(|e| self.fail(e))
    }

    /// Writes suppressed anomalies, all or none.
    pub fn save_suppressed(&mut self, records: &[SuppressedRecord]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let fail = |source| StoreError::Sqlite { path: path.clone(), source };
        let tx = self.conn.transaction().map_err(fail)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO suppressed (time_ms, element, metric, observed, expected, forecast_z, derivative_z,
                                             attempts, class, correlation_z)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .map_err(fail)?;
            for s in records {
                insert
                    .execute(params![
                        s.time_ms,
                        s.element,
                        s.metric,
                        s.observed,
                        s.expected,
                        s.forecast_z,
                        s.derivative_z,
                        s.attempts as i64,
                        json(&s.class),
                        s.correlation_z,
                    ])
                    .map_err(fail)?;
            }
        }
        tx.commit().map_err(fail)
    }

    /// Alarms matching `filter`, newest first.
    pub fn list(&self, filter: &AlarmFilter) -> Result<Vec<StoredAlarm>, StoreError> {
        let state_clause = match filter.state {
            None => "1",
            Some(AlarmState::Open) => "resolved_ms IS NULL AND acked_by IS NULL",
            Some(AlarmState::Acknowledged) => "resolved_ms IS NULL AND acked_by IS NOT NULL",
            Some(AlarmState::Resolved) => "resolved_ms IS NOT NULL",
        };
        let sql = format!(
            "SELECT {COLUMNS} FROM alarms WHERE {state_clause} AND opened_ms >= ?1 AND opened_ms < ?2
             ORDER BY opened_ms DESC, id DESC LIMIT ?3"
        );
        let limit = filter.limit.map_or(-1, |l| l as i64);
        let since = filter.since_ms.unwrap_or(i64::MIN);
        let until = filter.until_ms.unwrap_or(i64::MAX);
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.fail(e))?;
        let rows = stmt.query_map(params![since, until, limit], raw).map_err(|e| self.fail(e))?;
        rows.map(|r| r.map_err(|e| self.fail(e)).and_then(|r| self.decode(r))).collect()
    }

    /// The alarm with id `id`.
    pub fn get(&self, id: i64) -> Result<StoredAlarm, StoreError> {
        let sql = format!("SELECT {COLUMNS} FROM alarms WHERE id = ?1");
        let row = self.conn.query_row(&sql, [id], raw).optional().map_err(|e| self.fail(e))?;
        self.decode(row.ok_or(StoreError::NotFound(id))?)
    }

    /// Acknowledges alarm `id` on behalf of `by`. Acknowledging again
    /// replaces the note; a resolved alarm cannot be acknowledged.
    pub fn acknowledge(&mut self, id: i64, by: &str, note: &str, now_ms: i64) -> Result<StoredAlarm, StoreError> {
        let alarm = self.get(id)?;
        if alarm.state == AlarmState::Resolved {
            return Err(StoreError::AlreadyResolved(id));
        }
        self.conn
            .execute(
                "UPDATE alarms SET acked_by = ?2, acked_ms = ?3, ack_note = ?4 WHERE id = ?1",
                params![id, by, now_ms, note],
            )
            .map_err(|e| self.fail(e))?;
        self.get(id)
    }

    /// Suppressed anomalies in `[since_ms, until_ms)`, oldest first, at most
    /// `limit`.
    pub fn suppressed(&self, since_ms: i64, until_ms: i64, limit: usize) -> Result<Vec<SuppressedRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT rowid, time_ms, element, metric, observed, expected, forecast_z, derivative_z, attempts, class,
                        correlation_z
                 FROM suppressed WHERE time_ms >= ?1 AND time_ms < ?2 ORDER BY time_ms, rowid LIMIT ?3",
            )
            .map_err(|e| self.fail(e))?;
        let rows = stmt
            .query_map(params![since_ms, until_ms, limit as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    SuppressedRecord {
                        time_ms: r.get(1)?,
                        element: r.get(2)?,
                        metric: r.get(3)?,
                        observed: real(r.get(4)?),
                        expected: real(r.get(5)?),
                        forecast_z: real(r.get(6)?),
                        derivative_z: real(r.get(7)?),
                        correlation_z: real(r.get(10)?),
                        attempts: r.get::<_, i64>(8)? as u64,
                        class: Classification::Actionable,
                    },
                    r.get::<_, String>(9)?,
                ))
            })
            .map_err(|e| self.fail(e))?;
        rows.map(|r| {
            let (id, mut s, class) = r.map_err(|e| self.fail(e))?;
            s.class = serde_json::from_str(&class).map_err(|e| self.damaged(id, format!("class: {e}")))?;
            Ok(s)
        })
        .collect()
    }

    /// The events added through the API.
    pub fn calendar(&self) -> Result<Vec<ScheduledEvent>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT rowid, event FROM calendar ORDER BY id").map_err(|e| self.fail(e))?;
        let rows =
            stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))).map_err(|e| self.fail(e))?;
        rows.map(|r| {
            let (rowid, text) = r.map_err(|e| self.fail(e))?;
            self.column(rowid, "calendar event", &text)
        })
        .collect()
    }

    /// Adds an event, or replaces the one with its id.
    pub fn put_event(&mut self, event: &ScheduledEvent) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO calendar (id, event) VALUES (?1, ?2) ON CONFLICT (id) DO UPDATE SET event = excluded.event",
                params![event.id, json(event)],
            )
            .map_err(|e| self.fail(e))?;
        Ok(())
    }

    /// Removes an event; whether there was one.
    pub fn remove_event(&mut self, id: &str) -> Result<bool, StoreError> {
        let n = self.conn.execute("DELETE FROM calendar WHERE id = ?1", [id]).map_err(|e| self.fail(e))?;
        Ok(n > 0)
    }

    fn damaged(&self, id: i64, message: String) -> StoreError {
        StoreError::Damaged { path: self.path.clone(), id, message }
    }

    /// A JSON column of row `id`, decoded.
    fn column<T: serde::de::DeserializeOwned>(&self, id: i64, what: &str, text: &str) -> Result<T, StoreError> {
        serde_json::from_str(text).map_err(|e| self.damaged(id, format!("{what}: {e}")))
    }

    fn decode(&self, r: RawRow) -> Result<StoredAlarm, StoreError> {
        let id = r.id;
        let level = self.column(id, "level", &format!("\"{}\"", r.level))?;
        let acknowledged = match (r.acked_by, r.acked_ms) {
            (Some(by), Some(at_ms)) => Some(Acknowledgement { by, at_ms, note: r.ack_note.unwrap_or_default() }),
            _ => None,
        };
        let state = if r.resolved_ms.is_some() {
            AlarmState::Resolved
        } else if acknowledged.is_some() {
            AlarmState::Acknowledged
        } else {
            AlarmState::Open
        };
        Ok(StoredAlarm {
            id,
            state,
            opened_ms: r.opened_ms,
            last_ms: r.last_ms,
            resolved_ms: r.resolved_ms,
            level,
            severity: r.severity,
            peak_z: r.peak_z,
            attempts: r.attempts as u64,
            elements: self.column(id, "elements", &r.elements)?,
            metrics: self.column(id, "metrics", &r.metrics)?,
            summary: r.summary,
            explanation: match r.explanation {
                Some(e) => Some(self.column(id, "explanation", &e)?),
                None => None,
            },
            chart: self.column(id, "chart", &r.chart)?,
            acknowledged,
        })
    }
}

/// A stored real (SQLite keeps NaN as NULL).
/// Adds the columns that stores written by earlier versions lack (the
/// schema's `CREATE TABLE IF NOT EXISTS` leaves an existing table as it is).
fn add_columns_of_later_versions(conn: &Connection) -> rusqlite::Result<()> {
    let has_correlation =
        conn.prepare("SELECT 1 FROM pragma_table_info('suppressed') WHERE name = 'correlation_z'")?.exists([])?;
    if !has_correlation {
        conn.execute_batch("ALTER TABLE suppressed ADD COLUMN correlation_z REAL")?;
    }
    Ok(())
}

fn real(v: Option<f64>) -> f64 {
    v.unwrap_or(f64::NAN)
}

/// A row as SQLite returns it, before its JSON columns are decoded.
struct RawRow {
    id: i64,
    opened_ms: i64,
    last_ms: i64,
    resolved_ms: Option<i64>,
    level: String,
    severity: f64,
    peak_z: f64,
    attempts: i64,
    elements: String,
    metrics: String,
    summary: String,
    explanation: Option<String>,
    chart: String,
    acked_by: Option<String>,
    acked_ms: Option<i64>,
    ack_note: Option<String>,
}

fn raw(r: &Row) -> rusqlite::Result<RawRow> {
    Ok(RawRow {
        id: r.get(0)?,
        opened_ms: r.get(1)?,
        last_ms: r.get(2)?,
        resolved_ms: r.get(3)?,
        level: r.get(4)?,
        severity: r.get(5)?,
        peak_z: r.get(6)?,
        attempts: r.get(7)?,
        elements: r.get(8)?,
        metrics: r.get(9)?,
        summary: r.get(10)?,
        explanation: r.get(11)?,
        chart: r.get(12)?,
        acked_by: r.get(13)?,
        acked_ms: r.get(14)?,
        ack_note: r.get(15)?,
    })
}

/// JSON text of a value the store keeps as a JSON column (these types
/// always serialize; non-finite numbers become `null`).
fn json<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::ChartPoint;

    fn record(key: usize, opened_ms: i64, resolved_ms: Option<i64>) -> AlarmRecord {
        AlarmRecord {
            key,
            opened_ms,
            last_ms: opened_ms + 60_000,
            resolved_ms,
            elements: vec!["cdn=B&country=DE".into(), "cdn=B".into()],
            metrics: vec!["rebuffering_ratio".into()],
            peak_z: 12.5,
            attempts: 800,
            severity: 36.3,
            level: Severity::Major,
            summary: "rebuffering_ratio 0.0240 against 0.0040 expected (+500%) on cdn=B&country=DE".into(),
            explanation: Some(Explanation {
                elements: vec!["cdn=B&country=DE&isp=ISP-3".into()],
                explained: 0.96,
                well_explained: true,
                text: "rebuffering_ratio 0.0040 → 0.0240 in cdn=B&country=DE&isp=ISP-3".into(),
            }),
            chart: Chart {
                element: "cdn=B&country=DE".into(),
                metric: "rebuffering_ratio".into(),
                points: vec![
                    ChartPoint { time_ms: opened_ms, observed: Some(0.024), expected: 0.004, sd: 0.001 },
                    ChartPoint { time_ms: opened_ms + 60_000, observed: None, expected: f64::NAN, sd: 0.001 },
                ],
            },
        }
    }

    #[test]
    fn alarms_round_trip_and_keep_their_acknowledgement_across_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("showrunner.db");
        let mut store = AlarmStore::open(&path).unwrap();
        let id = store.save("run-1", &record(0, 1_000_000, None)).unwrap();
        assert_eq!(store.save("run-1", &record(0, 1_000_000, None)).unwrap(), id);
        // Another run's alarm 0 is another alarm, and rewrites use up no ids.
        let other = store.save("run-2", &record(0, 2_000_000, None)).unwrap();
        assert_eq!(other, id + 1);
        let a = store.get(id).unwrap();
        assert_eq!(a.state, AlarmState::Open);
        assert_eq!(a.elements, ["cdn=B&country=DE", "cdn=B"]);
        assert_eq!(a.explanation.as_ref().unwrap().elements, ["cdn=B&country=DE&isp=ISP-3"]);
        assert_eq!(a.chart.points[0].observed, Some(0.024));
        assert!(a.chart.points[1].expected.is_nan() && a.chart.points[1].observed.is_none());
        let acked = store.acknowledge(id, "ana", "CDN-B paged", 1_100_000).unwrap();
        assert_eq!(acked.state, AlarmState::Acknowledged);
        // The pipeline rewrites it as it resolves: same id, still acknowledged.
        let mut resolved = record(0, 1_000_000, Some(1_500_000));
        resolved.summary = "localized".into();
        assert_eq!(store.save("run-1", &resolved).unwrap(), id);
        drop(store);
        let store = AlarmStore::open(&path).unwrap();
        let a = store.get(id).unwrap();
        assert_eq!((a.state, a.summary.as_str()), (AlarmState::Resolved, "localized"));
        assert_eq!(a.acknowledged.as_ref().map(|k| (k.by.as_str(), k.note.as_str())), Some(("ana", "CDN-B paged")));
        let open = store.list(&AlarmFilter { state: Some(AlarmState::Open), ..AlarmFilter::default() }).unwrap();
        assert_eq!(open.iter().map(|a| a.id).collect::<Vec<_>>(), [other]);
        let all = store.list(&AlarmFilter::default()).unwrap();
        assert_eq!(all.iter().map(|a| a.id).collect::<Vec<_>>(), [other, id], "newest first");
        let early = store.list(&AlarmFilter { until_ms: Some(1_500_000), ..AlarmFilter::default() }).unwrap();
        assert_eq!(early.len(), 1);
    }

    #[test]
    fn acknowledging_names_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = AlarmStore::open(&dir.path().join("s.db")).unwrap();
        let id = store.save("r", &record(3, 0, Some(60_000))).unwrap();
        assert!(matches!(store.acknowledge(id, "ana", "", 0), Err(StoreError::AlreadyResolved(i)) if i == id));
        let open = store.save("r", &record(4, 0, None)).unwrap();
        assert_eq!(store.resolve_abandoned().unwrap(), 1);
        let closed = store.get(open).unwrap();
        assert_eq!((closed.state, closed.resolved_ms), (AlarmState::Resolved, Some(120_000)));
        assert!(closed.summary.ends_with("(closed at restart: its pipeline stopped while it was open)"));
        assert_eq!(store.resolve_abandoned().unwrap(), 0);
        let err = store.acknowledge(99, "ana", "", 0).unwrap_err();
        assert_eq!(err.to_string(), "no alarm 99 (`showrunner alarms list` shows the ids)");
    }

    #[test]
    fn suppressions_are_kept_with_their_reason_also_in_a_store_of_an_earlier_version() {
        let dir = tempfile::tempdir().unwrap();
        // The suppressed table as it was before the correlation scorer.
        Connection::open(dir.path().join("s.db"))
            .unwrap()
            .execute_batch(
                "CREATE TABLE suppressed (time_ms INTEGER NOT NULL, element TEXT NOT NULL, metric TEXT NOT NULL,
                 observed REAL, expected REAL, forecast_z REAL, derivative_z REAL, attempts INTEGER NOT NULL,
                 class TEXT NOT NULL)",
            )
            .unwrap();
        let mut store = AlarmStore::open(&dir.path().join("s.db")).unwrap();
        let s = |t: i64, class| SuppressedRecord {
            time_ms: t,
            element: "country=FR".into(),
            metric: "attempts".into(),
            observed: 350.0,
            expected: 1000.0,
            forecast_z: -20.0,
            derivative_z: -15.0,
            correlation_z: -18.0,
            attempts: 350,
            class,
        };
        store
            .save_suppressed(&[
                s(60_000, Classification::External { agreeing: 0.93 }),
                s(120_000, Classification::Anticipated { event: "match".into() }),
            ])
            .unwrap();
        let got = store.suppressed(0, 100_000, 10).unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].class, Classification::External { agreeing: 0.93 });
        assert_eq!(got[0].correlation_z, -18.0);
        assert_eq!(
            store.suppressed(0, i64::MAX, 10).unwrap()[1].class,
            Classification::Anticipated { event: "match".into() }
        );
    }

    #[test]
    fn calendar_events_are_added_replaced_and_removed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut store = AlarmStore::open(&path).unwrap();
        let event = |id: &str, minutes| ScheduledEvent {
            id: id.into(),
            kind: "match".into(),
            scope: vec![("country".into(), "GB".into())],
            start_ms: 1_794_000_000_000,
            minutes,
        };
        store.put_event(&event("b", 90)).unwrap();
        store.put_event(&event("a", 60)).unwrap();
        store.put_event(&event("b", 120)).unwrap();
        drop(store);
        let mut store = AlarmStore::open(&path).unwrap();
        assert_eq!(store.calendar().unwrap(), [event("a", 60), event("b", 120)]);
        assert!(store.remove_event("a").unwrap());
        assert!(!store.remove_event("a").unwrap());
        assert_eq!(store.calendar().unwrap(), [event("b", 120)]);
    }

    #[test]
    fn a_damaged_row_is_reported_not_panicked_on() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let mut store = AlarmStore::open(&path).unwrap();
        let id = store.save("r", &record(0, 0, None)).unwrap();
        Connection::open(&path).unwrap().execute("UPDATE alarms SET chart = '{' WHERE id = ?1", [id]).unwrap();
        let err = store.get(id).unwrap_err().to_string();
        assert!(err.contains(&format!("row {id} is damaged: chart:")), "{err}");
        let err = AlarmStore::open(dir.path()).unwrap_err().to_string();
        assert!(err.starts_with("alarm store "), "{err}");
    }
}
