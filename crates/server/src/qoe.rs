//! The live QoE path of `serve`: telemetry records in, validated into
//! event-time windows; each closed minute goes, in memory, to the alarm
//! pipeline running on its own thread, which writes alarms and
//! suppressions to the store.
//!
//! The queue to the pipeline is bounded: when scoring falls behind, ingest
//! waits instead of memory growing.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use showrunner_anomaly::calendar::ScheduledEvent;
use showrunner_anomaly::pipeline::{AlarmPipeline, AlarmsConfig};
use showrunner_anomaly::pipeline::{AlarmRecord, Change};
use showrunner_anomaly::store::AlarmStore;
use showrunner_telemetry::{ClosedInterval, LiveIngest, Rejection, TelemetryConfig, Validator};
use showrunner_telemetry_store::LeafWriter;

use crate::notify::{Notification, Notifier};

/// The pipeline's learned state, beside the alarm store.
pub const SNAPSHOT_FILE: &str = "alarm-state.bin";

/// Minutes between saves of the learned state (and at shutdown).
const SNAPSHOT_EVERY: u32 = 60;

/// Closed minutes queued for the pipeline at most.
const QUEUE: usize = 256;
/// Rejections described one by one in a response (all are counted).
const DESCRIBED: usize = 100;

/// Work for the pipeline thread.
enum Input {
    /// A leaf seen for the first time.
    Leaf(Vec<String>),
    /// A closed minute.
    Interval(ClosedInterval),
    /// The calendar was edited: every scheduled event now.
    Calendar(Vec<ScheduledEvent>),
    /// Write what is buffered and stop.
    Shutdown,
}

/// Counters shown by `/readyz` and `/metrics`-style reports.
#[derive(Debug, Default)]
pub struct QoeStats {
    /// Records accepted.
    pub accepted: AtomicU64,
    /// Records refused.
    pub rejected: AtomicU64,
    /// Minutes scored by the pipeline.
    pub minutes: AtomicU64,
    /// Alarms opened.
    pub alarms_opened: AtomicU64,
    /// Pipeline or store failures (each logged).
    pub failures: AtomicU64,
    /// Series whose learned state was taken back from the last run.
    pub restored_series: AtomicU64,
}

/// One refused record of a batch.
#[derive(Debug, Clone, Serialize)]
pub struct RecordError {
    /// Its position in the batch (from 0).
    pub index: usize,
    /// The reason's name.
    pub reason: &'static str,
    /// What is wrong.
    pub detail: String,
}

/// The answer to a telemetry batch.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// Records in the batch.
    pub records: usize,
    /// Accepted.
    pub accepted: usize,
    /// Refused.
    pub rejected: usize,
    /// Refusals by reason.
    pub rejected_by_reason: std::collections::BTreeMap<&'static str, usize>,
    /// The first refusals, one by one.
    pub errors: Vec<RecordError>,
}

/// The live QoE service.
pub struct QoeService {
    ingest: Mutex<LiveIngest>,
    to_pipeline: SyncSender<Input>,
    /// Its counters.
    pub stats: Arc<QoeStats>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl QoeService {
    /// Starts the pipeline thread, with the calendar `schedule`, writing
    /// alarms into the store at `db` and every closed minute's leaves into
    /// the telemetry store at `telemetry_root`, and telling `notifier` of
    /// every alarm opened, localized or resolved.
    pub fn start(
        telemetry: &TelemetryConfig,
        alarms: &AlarmsConfig,
        db: PathBuf,
        telemetry_root: &std::path::Path,
        schedule: Vec<ScheduledEvent>,
        notifier: Notifier,
    ) -> Result<Self, String> {
        telemetry.validate()?;
        alarms.validate()?;
        if telemetry.interval_s != 60 {
            return Err(format!(
                "alarms are scored on one-minute intervals; telemetry.interval_s = {}",
                telemetry.interval_s
            ));
        }
        let validator = Validator::new(telemetry.schema(), i64::from(telemetry.max_skew_s) * 1000)?;
        let ingest = LiveIngest::new(validator, 60_000, i64::from(alarms.lateness_s) * 1000);
        let dims = ingest.dimensions();
        let mut store = AlarmStore::open(&db).map_err(|e| e.to_string())?;
        let abandoned = store.resolve_abandoned().map_err(|e| e.to_string())?;
        if abandoned > 0 {
            tracing::warn!(abandoned, "alarms left open by an earlier run were resolved");
        }
        let writer = LeafWriter::new(telemetry_root, &dims).map_err(|e| e.to_string())?;
        let stats = Arc::new(QoeStats::default());
        let (tx, rx) = sync_channel(QUEUE);
        let worker = Worker {
            store,
            writer: Some(writer),
            dims,
            leaves: Vec::new(),
            config: alarms.clone(),
            schedule,
            pipeline: None,
            stats: stats.clone(),
            notifier,
            run: format!("serve-{}-{}", chrono::Utc::now().timestamp_millis(), std::process::id()),
            snapshot: db.with_file_name(SNAPSHOT_FILE),
        };
        let thread = std::thread::Builder::new()
            .name("alarm-pipeline".into())
            .spawn(move || worker.run(rx))
            .map_err(|e| format!("cannot start the alarm pipeline thread: {e}"))?;
        Ok(QoeService { ingest: Mutex::new(ingest), to_pipeline: tx, stats, thread: Mutex::new(Some(thread)) })
    }

    /// Hands the pipeline the edited calendar (every event, absolute
    /// starts).
    pub fn set_calendar(&self, events: Vec<ScheduledEvent>) {
        let _ = self.to_pipeline.send(Input::Calendar(events));
    }

    /// Lets the pipeline finish what it was given, write the telemetry it
    /// buffered, and stop; waits for it.
    pub fn shutdown(&self) {
        let _ = self.to_pipeline.send(Input::Shutdown);
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            if thread.join().is_err() {
                tracing::error!("the alarm pipeline thread panicked");
            }
        }
    }

    /// Ingests a batch as HTTP and NATS carry it: a JSON array of records,
    /// or one record per line. Errors name why the batch as a whole was
    /// refused (not a JSON array though it starts as one, no records);
    /// nothing of a refused batch is kept.
    pub fn ingest_batch(&self, text: &str) -> Result<IngestReport, String> {
        let trimmed = text.trim_start();
        let report = if trimmed.starts_with('[') {
            let records: Vec<&serde_json::value::RawValue> = serde_json::from_str(trimmed)
                .map_err(|e| format!("the batch starts as a JSON array but is not one: {e}"))?;
            self.ingest(records.iter().map(|r| r.get()))
        } else {
            self.ingest(text.lines().filter(|l| !l.trim().is_empty()))
        };
        if report.records == 0 {
            return Err("no records: send a JSON array of events or one event per line".into());
        }
        Ok(report)
    }

    /// Ingests a batch of JSON records (checked against the wall clock) and
    /// hands every minute it closes to the pipeline. Blocking: call it off
    /// the async runtime.
    pub fn ingest<'a>(&self, records: impl IntoIterator<Item = &'a str>) -> IngestReport {
        let now = chrono::Utc::now().timestamp_millis();
        let mut report = IngestReport {
            records: 0,
            accepted: 0,
            rejected: 0,
            rejected_by_reason: Default::default(),
            errors: Vec::new(),
        };
        let mut ingest = self.ingest.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for (index, text) in records.into_iter().enumerate() {
            report.records += 1;
            match ingest.offer(text, now) {
                Ok(()) => report.accepted += 1,
                Err(Rejection { reason, detail }) => {
                    report.rejected += 1;
                    *report.rejected_by_reason.entry(reason.name()).or_default() += 1;
                    if report.errors.len() < DESCRIBED {
                        report.errors.push(RecordError { index, reason: reason.name(), detail });
                    }
                }
            }
        }
        let closed = ingest.close_ready();
        for leaf in closed.new_leaves {
            // The pipeline thread lives as long as the service; a send can
            // only fail once it has died, which `failures` already counts.
            let _ = self.to_pipeline.send(Input::Leaf(leaf));
        }
        for interval in closed.intervals {
            let _ = self.to_pipeline.send(Input::Interval(interval));
        }
        self.stats.accepted.fetch_add(report.accepted as u64, Ordering::Relaxed);
        self.stats.rejected.fetch_add(report.rejected as u64, Ordering::Relaxed);
        report
    }
}

/// The pipeline thread's state: the pipeline (built at the first closed
/// minute), the alarm store, the telemetry store writer.
struct Worker {
    store: AlarmStore,
    writer: Option<LeafWriter>,
    dims: Vec<String>,
    leaves: Vec<Vec<String>>,
    config: AlarmsConfig,
    /// Scheduled events (absolute starts), for the pipeline to come.
    schedule: Vec<ScheduledEvent>,
    pipeline: Option<AlarmPipeline>,
    stats: Arc<QoeStats>,
    notifier: Notifier,
    run: String,
    /// Where the pipeline's learned state is saved.
    snapshot: PathBuf,
}

impl Worker {
    fn fail(&self, what: String) {
        self.stats.failures.fetch_add(1, Ordering::Relaxed);
        tracing::error!("alarm pipeline: {what}");
    }

    /// Runs until `shutdown` or until every sender is gone.
    fn run(mut self, rx: Receiver<Input>) {
        for input in rx {
            match input {
                Input::Leaf(values) => self.leaf(values),
                Input::Interval(interval) => self.interval(interval),
                Input::Calendar(events) => {
                    if let Some(p) = self.pipeline.as_mut() {
                        p.set_calendar(&events);
                    }
                    self.schedule = events;
                }
                Input::Shutdown => break,
            }
        }
        if let Some(mut writer) = self.writer.take() {
            if let Err(e) = writer.flush() {
                self.fail(e.to_string());
            }
        }
        self.save_snapshot();
    }

    /// Saves what the pipeline learned (under a temporary name, then
    /// renamed, so a crash leaves the previous save whole).
    fn save_snapshot(&self) {
        let Some(p) = self.pipeline.as_ref() else { return };
        let temporary = self.snapshot.with_extension("tmp");
        let saved = std::fs::write(&temporary, p.snapshot()).and_then(|()| std::fs::rename(&temporary, &self.snapshot));
        if let Err(e) = saved {
            self.fail(format!("cannot save the learned state to {}: {e}", self.snapshot.display()));
        }
    }

    /// Takes back what the last run saved, if anything.
    fn restore_snapshot(&mut self) {
        let Ok(bytes) = std::fs::read(&self.snapshot) else { return };
        let Some(p) = self.pipeline.as_mut() else { return };
        match p.restore(&bytes) {
            Ok(n) => {
                self.stats.restored_series.fetch_add(n as u64, Ordering::Relaxed);
                tracing::info!(series = n, "learned state taken back from {}", self.snapshot.display());
            }
            Err(e) => self.fail(format!("{}: {e}; learning from scratch", self.snapshot.display())),
        }
    }

    fn leaf(&mut self, values: Vec<String>) {
        if let Some(p) = self.pipeline.as_mut() {
            if let Err(e) = p.add_leaf(values.clone()) {
                self.fail(e.to_string());
                return;
            }
        }
        self.leaves.push(values);
    }

    fn interval(&mut self, interval: ClosedInterval) {
        if let Some(writer) = self.writer.as_mut() {
            if let Err(e) = writer.push(interval.start_ms, &self.leaves, &interval.leaves) {
                let message = e.to_string();
                self.fail(message);
            }
        }
        if self.pipeline.is_none() {
            let calendar: Vec<_> = self.schedule.iter().map(|e| e.relative_to(interval.start_ms)).collect();
            let built = AlarmPipeline::new(
                &self.dims,
                self.leaves.clone(),
                interval.start_ms,
                &calendar,
                self.config.pipeline(),
            );
            match built {
                Ok(p) => self.pipeline = Some(p),
                Err(e) => return self.fail(e.to_string()),
            }
            self.restore_snapshot();
        }
        let Some(p) = self.pipeline.as_mut() else { return };
        let step = match p.step(interval.leaves) {
            Ok(step) => step,
            Err(e) => return self.fail(e.to_string()),
        };
        self.stats.minutes.fetch_add(1, Ordering::Relaxed);
        if p.minutes().is_multiple_of(SNAPSHOT_EVERY) {
            self.save_snapshot();
        }
        if let Err(e) = self.store.save_suppressed(&step.suppressed) {
            self.fail(e.to_string());
        }
        for (change, record) in &step.alarms {
            match self.store.save(&self.run, record) {
                Ok(id) => {
                    if *change == Change::Opened {
                        self.stats.alarms_opened.fetch_add(1, Ordering::Relaxed);
                        tracing::info!(id, summary = %record.summary, "alarm opened");
                    }
                    if let Some(n) = notification(id, *change, record) {
                        self.notifier.send_blocking(n);
                    }
                }
                Err(e) => self.fail(e.to_string()),
            }
        }
    }
}

/// The notification of an alarm change, for the changes that get one.
fn notification(id: i64, change: Change, r: &AlarmRecord) -> Option<Notification> {
    let (event, at_ms) = match change {
        Change::Opened => ("alarm.opened", r.opened_ms),
        Change::Explained => ("alarm.localized", r.last_ms.max(r.opened_ms)),
        Change::Resolved => ("alarm.resolved", r.resolved_ms.unwrap_or(r.last_ms)),
        Change::Updated => return None,
    };
    Some(Notification {
        event: event.to_string(),
        id,
        at_ms,
        level: r.level.name().to_string(),
        summary: r.summary.clone(),
        explanation: r.explanation.as_ref().map(|e| e.text.clone()),
        url: format!("/v1/alarms/{id}"),
        ..Notification::default()
    })
}
