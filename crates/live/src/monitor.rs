//! The streams one process monitors: the registry, a pipeline thread per
//! stream of this copy's shard, and what the API reads from them.
//!
//! Adding, changing or removing a stream writes the registry first and
//! then starts, restarts or stops its pipeline; the registry and the
//! defect history outlive the process. Which streams this copy runs is
//! decided one of two ways: statically, with `--shard k/N` (the streams
//! whose id hashes to `k`, FNV-1a of the id modulo `N`), or dynamically,
//! when copies coordinate (the server's cluster module claims streams and
//! tells the monitor with [`Monitor::claim`]). Every copy lists them all.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde::Serialize;
use showrunner_vqa::VqaConfig;

use crate::spec::{InputPolicy, StreamPatch, StreamRequest, StreamSpec};
use crate::status::StreamStatus;
use crate::store::{DefectFilter, DefectRecord, LiveStore, StoreError};
use crate::worker::{self, lock, NoticeFn, PipelineSettings, Shared};

/// Which streams this copy monitors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This copy's index, `0..count`.
    pub index: u32,
    /// Copies sharing the streams.
    pub count: u32,
}

impl Default for Shard {
    fn default() -> Self {
        Shard { index: 0, count: 1 }
    }
}

impl Shard {
    /// Parses `k/N` (0 ≤ k < N).
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("shard `{text}`: expected k/N with 0 ≤ k < N, e.g. 0/2");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (k.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether this copy monitors stream `id`.
    pub fn owns(&self, id: &str) -> bool {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        hash % u64::from(self.count) == u64::from(self.index)
    }
}

/// Why a registry change was refused.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The request is invalid; says what is wrong.
    #[error("{0}")]
    Invalid(String),
    /// A stream with that id exists.
    #[error("a stream with id `{0}` exists")]
    Conflict(String),
    /// No such stream.
    #[error("no stream `{0}`")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A stream with its live figures.
#[derive(Debug, Clone, Serialize)]
pub struct StreamView {
    /// What it is.
    #[serde(flatten)]
    pub spec: StreamSpec,
    /// Whether this copy monitors it (its shard).
    pub monitored_here: bool,
    /// Its figures, when monitored here.
    pub status: Option<StreamStatus>,
}

/// How the monitor runs.
#[derive(Debug, Clone, Default)]
pub struct MonitorSettings {
    /// The pipelines' shared settings.
    pub pipeline: PipelineSettings,
    /// Detector settings streams' thresholds apply over.
    pub vqa: VqaConfig,
    /// Which inputs are allowed.
    pub policy: InputPolicy,
    /// This copy's shard.
    pub shard: Shard,
    /// The detectors this copy runs (`--detectors`), of those each stream
    /// asks for; `None`: all.
    pub detectors: Option<Vec<showrunner_core::DefectType>>,
    /// Run only the streams claimed through [`Monitor::claim`] (copies
    /// coordinating over NATS), not those of `shard`.
    pub coordinated: bool,
}

struct Running {
    spec: StreamSpec,
    shared: Shared,
    thread: Option<JoinHandle<()>>,
}

/// The monitor.
pub struct Monitor {
    settings: MonitorSettings,
    store: Arc<Mutex<LiveStore>>,
    notify: NoticeFn,
    running: Mutex<BTreeMap<String, Running>>,
    /// The streams claimed, when coordinated.
    claimed: Mutex<std::collections::BTreeSet<String>>,
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

impl Monitor {
    /// Opens the registry at `db`, closes the defects a stopped process
    /// left open, adds the configuration's streams that are not registered
    /// yet, and starts the pipelines of this copy's streams.
    pub fn start(
        db: &Path,
        settings: MonitorSettings,
        configured: Vec<StreamRequest>,
        notify: NoticeFn,
    ) -> Result<Monitor, LiveError> {
        let store = LiveStore::open(db)?;
        let closed = store.close_unfinished(now_ms())?;
        if closed > 0 {
            tracing::info!("{closed} defects left open by the previous run were closed");
        }
        for request in configured {
            let name = request.name.clone();
            let spec = StreamSpec::new(request, settings.policy, &settings.vqa)
                .map_err(|e| LiveError::Invalid(format!("[[streams.stream]] `{name}`: {e}")))?;
            store.insert_stream(&spec, now_ms())?;
        }
        let specs = store.streams()?;
        let monitor = Monitor {
            settings,
            store: Arc::new(Mutex::new(store)),
            notify,
            running: Mutex::new(BTreeMap::new()),
            claimed: Mutex::default(),
        };
        for spec in specs {
            monitor.launch(spec);
        }
        Ok(monitor)
    }

    /// Whether this copy runs stream `id`.
    fn mine(&self, id: &str) -> bool {
        if self.settings.coordinated {
            lock(&self.claimed).contains(id)
        } else {
            self.settings.shard.owns(id)
        }
    }

    /// Starts `spec`'s pipeline if it is this copy's, with the detectors
    /// both it and this copy run.
    fn launch(&self, spec: StreamSpec) {
        if !self.mine(&spec.id) {
            return;
        }
        // Held until the pipeline is registered, so two callers (an API
        // change and a cluster round) cannot both start it.
        let mut running = lock(&self.running);
        if running.contains_key(&spec.id) {
            return;
        }
        let mut run = spec.clone();
        if let Some(mine) = &self.settings.detectors {
            run.detectors.retain(|d| mine.contains(d));
        }
        if run.detectors.is_empty() {
            tracing::info!(stream = %spec.id, "none of its detectors runs in this copy");
            return;
        }
        let vqa = match spec.vqa(&self.settings.vqa) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!(stream = %spec.id, "not monitored: {e}");
                return;
            }
        };
        let shared = Shared {
            store: self.store.clone(),
            notify: self.notify.clone(),
            status: Arc::default(),
            tile: Arc::default(),
            cancel: Arc::new(AtomicBool::new(false)),
        };
        let (thread_shared, pipeline) = (shared.clone(), self.settings.pipeline.clone());
        let thread = std::thread::Builder::new()
            .name(format!("stream {}", spec.id))
            .spawn(move || worker::run(run, vqa, pipeline, thread_shared));
        match thread {
            Ok(handle) => {
                running.insert(spec.id.clone(), Running { spec, shared, thread: Some(handle) });
            }
            Err(e) => tracing::error!(stream = %spec.id, "cannot start its pipeline: {e}"),
        }
    }

    /// Stops `id`'s pipeline (closing its defects under way) and waits.
    fn halt(&self, id: &str) {
        let stopped = lock(&self.running).remove(id);
        if let Some(mut running) = stopped {
            running.shared.cancel.store(true, Ordering::Relaxed);
            if let Some(handle) = running.thread.take() {
                let _ = handle.join();
            }
        }
    }

    /// Registers and starts a stream.
    pub fn add(&self, request: StreamRequest) -> Result<StreamView, LiveError> {
        let spec = StreamSpec::new(request, self.settings.policy, &self.settings.vqa).map_err(LiveError::Invalid)?;
        if !lock(&self.store).insert_stream(&spec, now_ms())? {
            return Err(LiveError::Conflict(spec.id));
        }
        self.launch(spec.clone());
        Ok(self.view(spec))
    }

    /// Changes a stream and restarts its pipeline.
    pub fn update(&self, id: &str, patch: StreamPatch) -> Result<StreamView, LiveError> {
        let current = self.spec(id)?.ok_or_else(|| LiveError::NotFound(id.to_string()))?;
        let spec = current.patched(patch, self.settings.policy, &self.settings.vqa).map_err(LiveError::Invalid)?;
        if !lock(&self.store).update_stream(&spec, now_ms())? {
            return Err(LiveError::NotFound(id.to_string()));
        }
        self.halt(id);
        self.launch(spec.clone());
        Ok(self.view(spec))
    }

    /// Stops and unregisters a stream; its history stays.
    pub fn remove(&self, id: &str) -> Result<(), LiveError> {
        if !lock(&self.store).delete_stream(id)? {
            return Err(LiveError::NotFound(id.to_string()));
        }
        self.halt(id);
        Ok(())
    }

    fn spec(&self, id: &str) -> Result<Option<StreamSpec>, LiveError> {
        Ok(lock(&self.store).streams()?.into_iter().find(|s| s.id == id))
    }

    fn view(&self, spec: StreamSpec) -> StreamView {
        let status = lock(&self.running).get(&spec.id).map(|r| lock(&r.shared.status).clone());
        StreamView { monitored_here: status.is_some(), status, spec }
    }

    /// The registry (for copies sharing it).
    pub fn registry(&self) -> Result<Vec<StreamSpec>, LiveError> {
        Ok(lock(&self.store).streams()?)
    }

    /// Takes a stream another copy registered or changed: writes it to the
    /// registry and, when it changed and runs here, restarts its pipeline.
    pub fn mirror(&self, spec: StreamSpec) -> Result<(), LiveError> {
        let store = lock(&self.store);
        let current = store.streams()?.into_iter().find(|s| s.id == spec.id);
        if current.as_ref() == Some(&spec) {
            return Ok(());
        }
        if current.is_some() {
            store.update_stream(&spec, now_ms())?;
        } else {
            store.insert_stream(&spec, now_ms())?;
        }
        drop(store);
        self.halt(&spec.id);
        self.launch(spec);
        Ok(())
    }

    /// Drops a stream another copy removed.
    pub fn forget(&self, id: &str) -> Result<(), LiveError> {
        lock(&self.store).delete_stream(id)?;
        self.halt(id);
        Ok(())
    }

    /// Sets the streams this copy runs, when coordinated: starts the newly
    /// claimed, stops the released.
    pub fn claim(&self, ids: std::collections::BTreeSet<String>) -> Result<(), LiveError> {
        let released: Vec<String> = lock(&self.running).keys().filter(|id| !ids.contains(*id)).cloned().collect();
        *lock(&self.claimed) = ids;
        for id in released {
            self.halt(&id);
        }
        for spec in self.registry()? {
            self.launch(spec);
        }
        Ok(())
    }

    /// Every registered stream with its figures.
    pub fn list(&self) -> Result<Vec<StreamView>, LiveError> {
        let specs = lock(&self.store).streams()?;
        Ok(specs.into_iter().map(|s| self.view(s)).collect())
    }

    /// One stream.
    pub fn get(&self, id: &str) -> Result<StreamView, LiveError> {
        let spec = self.spec(id)?.ok_or_else(|| LiveError::NotFound(id.to_string()))?;
        Ok(self.view(spec))
    }

    /// Defect history.
    pub fn defects(&self, filter: &DefectFilter) -> Result<Vec<DefectRecord>, LiveError> {
        Ok(lock(&self.store).defects(filter)?)
    }

    /// One defect.
    pub fn defect(&self, id: i64) -> Result<DefectRecord, LiveError> {
        lock(&self.store).defect(id)?.ok_or_else(|| LiveError::NotFound(format!("defect {id}")))
    }

    /// The JPEG of a defect's start.
    pub fn thumbnail(&self, id: i64) -> Result<Vec<u8>, LiveError> {
        lock(&self.store).thumbnail(id)?.ok_or_else(|| LiveError::NotFound(format!("thumbnail of defect {id}")))
    }

    /// The latest picture of a stream monitored here.
    pub fn tile(&self, id: &str) -> Result<Vec<u8>, LiveError> {
        let running = lock(&self.running);
        let tile = running.get(id).and_then(|r| lock(&r.shared.tile).clone());
        tile.ok_or_else(|| LiveError::NotFound(format!("picture of stream {id}")))
    }

    /// The streams this copy runs, with their figures (for `/metrics`).
    pub fn running(&self) -> Vec<(StreamSpec, StreamStatus)> {
        lock(&self.running).values().map(|r| (r.spec.clone(), lock(&r.shared.status).clone())).collect()
    }

    /// Stops every pipeline and waits for them.
    pub fn shutdown(&self) {
        let ids: Vec<String> = lock(&self.running).keys().cloned().collect();
        for r in lock(&self.running).values() {
            r.shared.cancel.store(true, Ordering::Relaxed);
        }
        for id in ids {
            self.halt(&id);
        }
    }
}

impl Drop for Monitor {
    fn drop(&mut self) {
        self.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_ids_without_overlap_and_bad_ones_are_named() {
        let ids: Vec<String> = (0..100).map(|i| format!("channel-{i}")).collect();
        let shards = [Shard::parse("0/3").unwrap(), Shard::parse("1/3").unwrap(), Shard::parse("2/3").unwrap()];
        for id in &ids {
            assert_eq!(shards.iter().filter(|s| s.owns(id)).count(), 1, "{id}");
        }
        assert!(shards.iter().all(|s| ids.iter().filter(|id| s.owns(id)).count() > 15), "roughly even");
        for bad in ["3/3", "1", "a/2", "0/0"] {
            assert!(Shard::parse(bad).unwrap_err().contains("expected k/N"), "{bad}");
        }
    }
}
