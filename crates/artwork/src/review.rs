//! The human in the loop. Uploads checked through the API are kept with
//! their report; a partner disputes one verdict; the dispute waits in the
//! review queue; a reviewer's decision becomes a ground-truth label in the
//! *reviewed dataset* (`<data dir>/artwork/reviewed`: the image, its
//! `labels.json` and `manifest.json`), which `artwork eval --dataset` reads
//! like any other dataset — so every decision counts in the next evaluation.
//!
//! State lives in `artwork.db` beside the evaluation runs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::eval::{read_json, write_json};
use crate::synth::ImageInfo;
use crate::{ArtworkError, Report};

/// An upload checked through the API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCheck {
    /// Its number, used to dispute it.
    pub id: i64,
    /// When it was checked (UTC, RFC 3339).
    pub at: String,
    /// The stored image's file name (in the uploads directory).
    pub file: String,
    /// The checks' report.
    pub report: Report,
}

/// A disputed verdict and, once reviewed, its decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dispute {
    /// Its number in the queue.
    pub id: i64,
    /// The disputed check.
    pub check: i64,
    /// The upload's name.
    pub image: String,
    /// The disputed defect type.
    pub defect: String,
    /// What the check said: true when it found the defect.
    pub flagged: bool,
    /// The partner's reason.
    pub reason: String,
    /// When it was disputed.
    pub at: String,
    /// The reviewer's decision (true: the defect is there), once decided.
    pub decision: Option<Decision>,
}

/// A reviewer's decision on a dispute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// Whether the defect is present.
    pub present: bool,
    /// Who decided.
    pub reviewer: String,
    /// Why, in the reviewer's words.
    pub note: String,
    /// When.
    pub at: String,
}

/// Uploads, disputes and the reviewed dataset.
pub struct ReviewStore {
    db: Connection,
    uploads: PathBuf,
    reviewed: PathBuf,
}

/// The reviewed dataset's directory under `data_dir`.
pub fn reviewed_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("artwork").join("reviewed")
}

impl ReviewStore {
    /// Opens (creating) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<ReviewStore, ArtworkError> {
        let uploads = data_dir.join("artwork").join("uploads");
        let reviewed = reviewed_dir(data_dir);
        for dir in [&uploads, &reviewed] {
            std::fs::create_dir_all(dir).map_err(|e| ArtworkError::io(dir, e))?;
        }
        let db = Connection::open(data_dir.join("artwork.db"))?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA busy_timeout = 5000;
             CREATE TABLE IF NOT EXISTS checks (
                 id INTEGER PRIMARY KEY, at TEXT NOT NULL, file TEXT NOT NULL, report TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS disputes (
                 id INTEGER PRIMARY KEY, check_id INTEGER NOT NULL REFERENCES checks(id), defect TEXT NOT NULL,
                 reason TEXT NOT NULL, at TEXT NOT NULL, present INTEGER, reviewer TEXT, note TEXT, decided_at TEXT);",
        )?;
        Ok(ReviewStore { db, uploads, reviewed })
    }

    /// Keeps an upload (its bytes, as sent) and its report; returns its number.
    pub fn record_check(&mut self, at: &str, bytes: &[u8], report: &Report) -> Result<StoredCheck, ArtworkError> {
        let tx = self.db.transaction()?;
        tx.execute("INSERT INTO checks (at, file, report) VALUES (?1, '', '')", params![at])?;
        let id = tx.last_insert_rowid();
        let file = format!("{id}-{}", safe_file_name(&report.name));
        let path = self.uploads.join(&file);
        std::fs::write(&path, bytes).map_err(|e| ArtworkError::io(&path, e))?;
        let json = serde_json::to_string(report).expect("a report serialises");
        tx.execute("UPDATE checks SET file = ?2, report = ?3 WHERE id = ?1", params![id, file, json])?;
        tx.commit()?;
        Ok(StoredCheck { id, at: at.to_owned(), file, report: report.clone() })
    }

    /// A stored check.
    pub fn check(&self, id: i64) -> Result<StoredCheck, ArtworkError> {
        let row: Option<(String, String, String)> = self
            .db
            .query_row("SELECT at, file, report FROM checks WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let (at, file, report) = row.ok_or_else(|| ArtworkError::NotFound(format!("no artwork check {id}")))?;
        let report = serde_json::from_str(&report)
            .map_err(|e| ArtworkError::invalid(format!("stored check {id}"), e.to_string()))?;
        Ok(StoredCheck { id, at, file, report })
    }

    /// Opens a dispute of `defect`'s verdict on check `check`; one open
    /// dispute per check and defect.
    pub fn dispute(&mut self, check: i64, defect: &str, reason: &str, at: &str) -> Result<Dispute, ArtworkError> {
        let stored = self.check(check)?;
        if stored.report.verdict(defect).is_none() {
            let known: Vec<&str> = stored.report.verdicts.iter().map(|v| v.check.as_str()).collect();
            return Err(ArtworkError::invalid(
                format!("defect {defect:?}"),
                format!("not a check of this report ({})", known.join(", ")),
            ));
        }
        let open: Option<i64> = self
            .db
            .query_row(
                "SELECT id FROM disputes WHERE check_id = ?1 AND defect = ?2 AND present IS NULL",
                params![check, defect],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = open {
            return Err(ArtworkError::Conflict(format!(
                "{defect} of check {check} is already in the queue (dispute {id})"
            )));
        }
        self.db.execute(
            "INSERT INTO disputes (check_id, defect, reason, at) VALUES (?1, ?2, ?3, ?4)",
            params![check, defect, reason, at],
        )?;
        self.dispute_by_id(self.db.last_insert_rowid())
    }

    /// The queue: open disputes (or all, decided ones too), oldest first.
    pub fn queue(&self, all: bool) -> Result<Vec<Dispute>, ArtworkError> {
        let filter = if all { "" } else { "WHERE d.present IS NULL" };
        let mut q = self.db.prepare(&format!("{DISPUTE_SELECT} {filter} ORDER BY d.id"))?;
        let rows = q.query_map([], dispute_row)?;
        rows.map(|r| r?.into_dispute()).collect()
    }

    /// One dispute.
    pub fn dispute_by_id(&self, id: i64) -> Result<Dispute, ArtworkError> {
        let row = self.db.query_row(&format!("{DISPUTE_SELECT} WHERE d.id = ?1"), [id], dispute_row).optional()?;
        row.ok_or_else(|| ArtworkError::NotFound(format!("no dispute {id}")))?.into_dispute()
    }

    /// Decides dispute `id`: the decision is stored and written as the
    /// image's label for that defect in the reviewed dataset.
    pub fn decide(&mut self, id: i64, decision: &Decision) -> Result<Dispute, ArtworkError> {
        if decision.reviewer.trim().is_empty() {
            return Err(ArtworkError::invalid("reviewer", "say who decided"));
        }
        let dispute = self.dispute_by_id(id)?;
        if dispute.decision.is_some() {
            return Err(ArtworkError::Conflict(format!("dispute {id} is already decided")));
        }
        let stored = self.check(dispute.check)?;
        self.add_label(&stored, &dispute.defect, decision.present)?;
        self.db.execute(
            "UPDATE disputes SET present = ?2, reviewer = ?3, note = ?4, decided_at = ?5 WHERE id = ?1",
            params![id, decision.present, decision.reviewer, decision.note, decision.at],
        )?;
        self.dispute_by_id(id)
    }

    /// Copies the upload into the reviewed dataset and sets its label.
    fn add_label(&self, stored: &StoredCheck, defect: &str, present: bool) -> Result<(), ArtworkError> {
        let target = self.reviewed.join(&stored.file);
        if !target.exists() {
            let source = self.uploads.join(&stored.file);
            std::fs::copy(&source, &target).map_err(|e| ArtworkError::io(&source, e))?;
        }
        let mut labels: BTreeMap<String, BTreeMap<String, bool>> = read_json(&self.reviewed.join("labels.json"))?;
        labels.entry(stored.file.clone()).or_default().insert(defect.to_owned(), present);
        let mut manifest: BTreeMap<String, ImageInfo> = read_json(&self.reviewed.join("manifest.json"))?;
        manifest.insert(
            stored.file.clone(),
            ImageInfo { kind: stored.report.kind.clone(), locale: stored.report.locale.clone() },
        );
        write_json(&self.reviewed.join("manifest.json"), &manifest)?;
        write_json(&self.reviewed.join("labels.json"), &labels)
    }
}

const DISPUTE_SELECT: &str =
    "SELECT d.id, d.check_id, c.report, d.defect, d.reason, d.at, d.present, d.reviewer, d.note, d.decided_at \
     FROM disputes d JOIN checks c ON c.id = d.check_id";

/// A dispute as read from SQLite, its check's report still as JSON.
struct DisputeRow {
    id: i64,
    check: i64,
    report: String,
    defect: String,
    reason: String,
    at: String,
    present: Option<bool>,
    reviewer: Option<String>,
    note: Option<String>,
    decided_at: Option<String>,
}

fn dispute_row(r: &rusqlite::Row) -> rusqlite::Result<DisputeRow> {
    Ok(DisputeRow {
        id: r.get(0)?,
        check: r.get(1)?,
        report: r.get(2)?,
        defect: r.get(3)?,
        reason: r.get(4)?,
        at: r.get(5)?,
        present: r.get(6)?,
        reviewer: r.get(7)?,
        note: r.get(8)?,
        decided_at: r.get(9)?,
    })
}

impl DisputeRow {
    fn into_dispute(self) -> Result<Dispute, ArtworkError> {
        let report: Report = serde_json::from_str(&self.report)
            .map_err(|e| ArtworkError::invalid(format!("stored check {}", self.check), e.to_string()))?;
        let flagged = report.verdict(&self.defect).is_some_and(|v| !v.pass);
        let decision = self.present.map(|present| Decision {
            present,
            reviewer: self.reviewer.unwrap_or_default(),
            note: self.note.unwrap_or_default(),
            at: self.decided_at.unwrap_or_default(),
        });
        Ok(Dispute {
            id: self.id,
            check: self.check,
            image: report.name,
            defect: self.defect,
            flagged,
            reason: self.reason,
            at: self.at,
            decision,
        })
    }
}

/// An upload's name reduced to a plain file name.
fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String =
        base.chars().map(|c| if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') { c } else { '_' }).collect();
    let clean = clean.trim_start_matches('.');
    if clean.is_empty() {
        "upload".to_owned()
    } else {
        clean.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Evidence, Verdict};

    fn report(name: &str) -> Report {
        let verdict = |check: &str, pass| Verdict {
            check: check.into(),
            pass,
            score: 0.0,
            evidence: vec![Evidence { message: "m".into(), region: None, value: None, failing: !pass }],
        };
        Report {
            name: name.into(),
            kind: "poster".into(),
            locale: "de-DE".into(),
            width: 480,
            height: 720,
            verdicts: vec![verdict("safe_zone", false), verdict("legibility", true)],
            lines: vec![],
            detections: vec![],
            elapsed_ms: 1.0,
            notices: vec![],
        }
    }

    #[test]
    fn a_decided_dispute_becomes_a_label_of_the_reviewed_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = ReviewStore::open(dir.path()).unwrap();
        let check = store.record_check("2026-12-01T00:00:00Z", b"bytes", &report("../../etc/x.png")).unwrap();
        assert_eq!(check.file, format!("{}-x.png", check.id));
        let d = store.dispute(check.id, "safe_zone", "the title is inside", "2026-12-01T00:01:00Z").unwrap();
        assert!(d.flagged && d.decision.is_none());
        let again = store.dispute(check.id, "safe_zone", "again", "t").unwrap_err();
        assert!(matches!(again, ArtworkError::Conflict(_)), "{again}");
        let unknown = store.dispute(check.id, "sharpness", "", "t").unwrap_err().to_string();
        assert!(unknown.contains("not a check of this report (safe_zone, legibility)"), "{unknown}");
        assert!(matches!(store.dispute(99, "safe_zone", "", "t"), Err(ArtworkError::NotFound(_))));
        assert_eq!(store.queue(false).unwrap(), vec![d.clone()]);

        let anonymous = Decision { present: false, reviewer: " ".into(), note: String::new(), at: "t2".into() };
        assert!(store.decide(d.id, &anonymous).unwrap_err().to_string().contains("say who decided"));
        let decision = Decision { present: false, reviewer: "ana".into(), note: "fits".into(), at: "t2".into() };
        let decided = store.decide(d.id, &decision).unwrap();
        assert_eq!(decided.decision, Some(decision.clone()));
        assert!(store.queue(false).unwrap().is_empty());
        assert_eq!(store.queue(true).unwrap().len(), 1);
        assert!(matches!(store.decide(d.id, &decision), Err(ArtworkError::Conflict(_))));

        let dataset = crate::eval::Dataset::load(&reviewed_dir(dir.path())).unwrap();
        assert_eq!(dataset.labels[&check.file], BTreeMap::from([("safe_zone".to_string(), false)]));
        assert_eq!(dataset.target(&check.file).locale, "de-DE");
        assert_eq!(std::fs::read(reviewed_dir(dir.path()).join(&check.file)).unwrap(), b"bytes");
    }
}
