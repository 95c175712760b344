//! Evaluation runs kept in SQLite (`artwork.db` in the data dir): each
//! run's dataset, configuration (version and full TOML) and every image's
//! label, verdict and score, so runs can be compared image by image.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{params, Connection};

use crate::eval::{score, DefectScore, ImageOutcome};
use crate::{ArtworkConfig, ArtworkError};

/// The run store.
pub struct RunStore {
    db: Connection,
}

/// A stored run's header.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// Run number.
    pub id: i64,
    /// When it ran (UTC, RFC 3339).
    pub at: String,
    /// The dataset directory.
    pub dataset: String,
    /// The configuration's version.
    pub config_version: String,
}

/// How two runs differ.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Defect type → (score in A, score in B).
    pub scores: BTreeMap<String, (DefectScore, DefectScore)>,
    /// (image, defect, label, predicted in A, predicted in B) where A and B disagree.
    pub flipped: Vec<(String, String, bool, bool, bool)>,
}

impl RunStore {
    /// Opens (creating) `path`.
    pub fn open(path: &Path) -> Result<RunStore, ArtworkError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| ArtworkError::io(dir, e))?;
        }
        let db = Connection::open(path)?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE IF NOT EXISTS runs (
                 id INTEGER PRIMARY KEY, at TEXT NOT NULL, dataset TEXT NOT NULL,
                 config_version TEXT NOT NULL, config TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS results (
                 run INTEGER NOT NULL REFERENCES runs(id), image TEXT NOT NULL, defect TEXT NOT NULL,
                 label INTEGER NOT NULL, predicted INTEGER NOT NULL, score REAL NOT NULL,
                 PRIMARY KEY (run, image, defect));",
        )?;
        Ok(RunStore { db })
    }

    /// Stores a run; returns its number.
    pub fn record(
        &mut self,
        at: &str,
        dataset: &str,
        config: &ArtworkConfig,
        outcomes: &[ImageOutcome],
    ) -> Result<i64, ArtworkError> {
        let tx = self.db.transaction()?;
        tx.execute(
            "INSERT INTO runs (at, dataset, config_version, config) VALUES (?1, ?2, ?3, ?4)",
            params![at, dataset, config.version(), config.to_toml()],
        )?;
        let run = tx.last_insert_rowid();
        {
            let mut insert = tx.prepare(
                "INSERT INTO results (run, image, defect, label, predicted, score) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for o in outcomes {
                for (defect, &(label, predicted, score)) in &o.results {
                    insert.execute(params![run, o.image, defect, label, predicted, score as f64])?;
                }
            }
        }
        tx.commit()?;
        Ok(run)
    }

    /// The stored runs, oldest first.
    pub fn list(&self) -> Result<Vec<RunInfo>, ArtworkError> {
        let mut q = self.db.prepare("SELECT id, at, dataset, config_version FROM runs ORDER BY id")?;
        let rows = q.query_map([], |r| {
            Ok(RunInfo { id: r.get(0)?, at: r.get(1)?, dataset: r.get(2)?, config_version: r.get(3)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// A run's per-image outcomes.
    pub fn outcomes(&self, run: i64) -> Result<Vec<ImageOutcome>, ArtworkError> {
        let exists: i64 = self.db.query_row("SELECT COUNT(*) FROM runs WHERE id = ?1", [run], |r| r.get(0))?;
        if exists == 0 {
            return Err(ArtworkError::invalid(format!("run {run}"), "no such run (`showrunner artwork runs list`)"));
        }
        let mut q = self
            .db
            .prepare("SELECT image, defect, label, predicted, score FROM results WHERE run = ?1 ORDER BY image")?;
        let mut by_image: BTreeMap<String, ImageOutcome> = BTreeMap::new();
        let rows = q.query_map([run], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, bool>(2)?,
                r.get::<_, bool>(3)?,
                r.get::<_, f64>(4)?,
            ))
        })?;
        for row in rows {
            let (image, defect, label, predicted, score) = row?;
            by_image
                .entry(image.clone())
                .or_insert_with(|| ImageOutcome { image, results: BTreeMap::new(), error: None })
                .results
                .insert(defect, (label, predicted, score as f32));
        }
        Ok(by_image.into_values().collect())
    }

    /// Per-defect scores of runs `a` and `b` and the images whose verdict flipped.
    pub fn compare(&self, a: i64, b: i64) -> Result<Comparison, ArtworkError> {
        let (ra, rb) = (self.outcomes(a)?, self.outcomes(b)?);
        let (sa, sb) = (score(&ra), score(&rb));
        let mut scores = BTreeMap::new();
        for defect in sa.keys().chain(sb.keys()) {
            scores.insert(
                defect.clone(),
                (sa.get(defect).cloned().unwrap_or_default(), sb.get(defect).cloned().unwrap_or_default()),
            );
        }
        let b_by_image: BTreeMap<&str, &ImageOutcome> = rb.iter().map(|o| (o.image.as_str(), o)).collect();
        let mut flipped = Vec::new();
        for oa in &ra {
            let Some(ob) = b_by_image.get(oa.image.as_str()) else { continue };
            for (defect, &(label, pa, _)) in &oa.results {
                if let Some(&(_, pb, _)) = ob.results.get(defect) {
                    if pa != pb {
                        flipped.push((oa.image.clone(), defect.clone(), label, pa, pb));
                    }
                }
            }
        }
        Ok(Comparison { scores, flipped })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(image: &str, results: &[(&str, bool, bool)]) -> ImageOutcome {
        ImageOutcome {
            image: image.into(),
            results: results.iter().map(|(d, l, p)| (d.to_string(), (*l, *p, 0.5))).collect(),
            error: None,
        }
    }

    #[test]
    fn runs_are_kept_and_compared_image_by_image() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = RunStore::open(&dir.path().join("artwork.db")).unwrap();
        let config = ArtworkConfig::default();
        let first =
            vec![outcome("a.png", &[("safe_zone", true, false)]), outcome("b.png", &[("safe_zone", false, false)])];
        let second =
            vec![outcome("a.png", &[("safe_zone", true, true)]), outcome("b.png", &[("safe_zone", false, false)])];
        let a = store.record("2026-11-24T00:00:00Z", "ds", &config, &first).unwrap();
        let b = store.record("2026-11-24T00:01:00Z", "ds", &config, &second).unwrap();
        drop(store);
        let store = RunStore::open(&dir.path().join("artwork.db")).unwrap();
        assert_eq!(store.list().unwrap().len(), 2);
        let c = store.compare(a, b).unwrap();
        let (sa, sb) = &c.scores["safe_zone"];
        assert_eq!((sa.recall(), sb.recall()), (0.0, 1.0));
        assert_eq!(c.flipped, vec![("a.png".to_string(), "safe_zone".to_string(), true, false, true)]);
        let missing = store.compare(a, 99).unwrap_err().to_string();
        assert!(missing.contains("run 99") && missing.contains("no such run"), "{missing}");
    }
}
