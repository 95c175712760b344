//! `showrunner serve`: the HTTP API (axum) in front of the components, in
//! one process.
//!
//! Live streams: `/v1/streams` registers the streams to watch, each with
//! its pipeline in this process (`showrunner-live`); `/v1/defects` is their
//! defect history with a thumbnail of each defect's start; `/metrics` has
//! their figures for Prometheus.
//!
//! QoE: `POST /v1/telemetry` feeds live ingest, whose closed minutes go in
//! memory to the alarm pipeline; `/v1/alarms` serves what the pipeline
//! raised, with localization and chart, and takes acknowledgements;
//! `/v1/suppressed` keeps suppression auditable.
//!
//! Both notify through the same sinks (`notify`).
//!
//! Artwork: `POST /v1/artwork` checks an upload and keeps its report;
//! `/v1/artwork/{id}/dispute` puts a verdict in the review queue
//! (`/v1/artwork/queue`), whose decisions become ground-truth labels.
//!
//! Security defaults: it listens on 127.0.0.1; every state-changing
//! endpoint needs `Authorization: Bearer <token>`; request bodies are
//! capped after decompression; no endpoint reads a file a caller names.

pub mod artwork;
pub mod auth;
pub mod cluster;
pub mod config;
pub mod error;
pub mod nats;
pub mod notify;
pub mod qoe;
pub mod routes;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use showrunner_anomaly::calendar::{read_schedule, ScheduledEvent};
use showrunner_anomaly::pipeline::AlarmsConfig;
use showrunner_anomaly::store::AlarmStore;
use showrunner_core::DefectType;
use showrunner_live::{Monitor, MonitorSettings, Shard, StreamsConfig};
use showrunner_telemetry::TelemetryConfig;
use showrunner_vqa::VqaConfig;
use tower_http::decompression::RequestDecompressionLayer;

pub use config::ServerConfig;
pub use qoe::QoeService;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The bearer token of state-changing endpoints.
    pub token: Arc<str>,
    /// The alarm store (the API's own connection; the pipeline has its own).
    pub store: Arc<Mutex<AlarmStore>>,
    /// Live telemetry and the alarm pipeline.
    pub qoe: Arc<QoeService>,
    /// The calendar file's events (the API's are in the store).
    pub file_calendar: Arc<Vec<ScheduledEvent>>,
    /// The telemetry store's directory, for `/v1/query`.
    pub telemetry_root: std::path::PathBuf,
    /// Alarm and defect events, for server-sent event subscribers.
    pub events: tokio::sync::broadcast::Sender<notify::Notification>,
    /// The live streams.
    pub live: Arc<Monitor>,
    /// Artwork checks and their review queue.
    pub artwork: Arc<artwork::ArtworkService>,
    /// When the process started, for `/metrics`.
    pub started: std::time::Instant,
}

/// Everything `serve` is configured with.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// `[server]`.
    pub server: ServerConfig,
    /// `[telemetry]`.
    pub telemetry: TelemetryConfig,
    /// `[alarms]`.
    pub alarms: AlarmsConfig,
    /// `[notify]`.
    pub notify: notify::NotifyConfig,
    /// `[streams]`.
    pub streams: StreamsConfig,
    /// `[vqa]`: the detector settings streams' thresholds apply over.
    pub vqa: VqaConfig,
    /// `--shard k/N`.
    pub shard: Shard,
    /// `--detectors`: the detectors this copy runs.
    pub detectors: Option<Vec<DefectType>>,
    /// `[nats]`: with `coordinate`, copies share the streams.
    pub nats: nats::NatsConfig,
    /// `[artwork]`: models and thresholds of the artwork checks.
    pub artwork: artwork::ArtworkSettings,
}

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The settings cannot work.
    #[error("{0}")]
    Config(String),
    /// The listen address is unusable.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// The data directory or store cannot be used.
    #[error("{0}")]
    Store(String),
    /// Serving failed.
    #[error("server: {0}")]
    Serve(std::io::Error),
}

/// Events kept for a slow server-sent event subscriber before it is told
/// it missed some.
const EVENT_BACKLOG: usize = 256;

/// The API routes over `state`, with body limits and gzip decoding.
pub fn router(state: AppState, max_body_bytes: usize) -> Router {
    let protected = Router::new()
        .route("/v1/telemetry", post(routes::telemetry::post))
        .route("/v1/alarms/{id}/ack", post(routes::alarms::ack))
        .route("/v1/query", post(routes::query::post))
        .route("/v1/calendar", post(routes::calendar::put))
        .route("/v1/calendar/{id}", axum::routing::delete(routes::calendar::remove))
        .route("/v1/streams", post(routes::streams::create))
        .route("/v1/streams/{id}", axum::routing::patch(routes::streams::update).delete(routes::streams::remove))
        .route("/v1/artwork", post(routes::artwork::upload))
        .route("/v1/artwork/{id}/dispute", post(routes::artwork::dispute))
        .route("/v1/artwork/queue/{id}/decision", post(routes::artwork::decide))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), auth::require_token));
    Router::new()
        .route("/", get(routes::wall::page))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .route("/v1/alarms", get(routes::alarms::list))
        .route("/v1/alarms/{id}", get(routes::alarms::get))
        .route("/v1/alarms/{id}/chart.svg", get(routes::alarms::chart))
        .route("/v1/suppressed", get(routes::alarms::suppressed))
        .route("/v1/events", get(routes::events::stream))
        .route("/v1/streams", get(routes::streams::list))
        .route("/v1/streams/{id}", get(routes::streams::get))
        .route("/v1/streams/{id}/thumbnail", get(routes::streams::tile))
        .route("/v1/defects", get(routes::defects::list))
        .route("/v1/defects/{id}", get(routes::defects::get))
        .route("/v1/defects/{id}/thumbnail", get(routes::defects::thumbnail))
        .route("/v1/artwork/queue", get(routes::artwork::queue))
        .route("/v1/artwork/{id}", get(routes::artwork::get))
        .route("/metrics", get(routes::metrics::get))
        .route("/v1/calendar", get(routes::calendar::list))
        .merge(protected)
        .fallback(|| async { error::ApiError::not_found("no such endpoint (see the README's API section)") })
        .layer(DefaultBodyLimit::max(max_body_bytes))
        .layer(RequestDecompressionLayer::new())
        .with_state(state)
}

/// Opens the stores, starts notification delivery, the QoE service and
/// the live streams' pipelines. Call it inside the tokio runtime that will
/// serve.
pub fn state(settings: &Settings, token: String) -> Result<AppState, ServerError> {
    let Settings { server: config, telemetry, alarms, notify, streams, .. } = settings;
    notify.validate().map_err(ServerError::Config)?;
    streams.validate().map_err(ServerError::Config)?;
    settings.nats.validate().map_err(ServerError::Config)?;
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| ServerError::Store(format!("cannot create data directory {}: {e}", config.data_dir.display())))?;
    let db = config.data_dir.join("showrunner.db");
    let store = AlarmStore::open(&db).map_err(|e| ServerError::Store(e.to_string()))?;
    let (events, _) = tokio::sync::broadcast::channel(EVENT_BACKLOG);
    let notifier = notify::start(notify, events.clone());
    let telemetry_root = showrunner_telemetry_store::root(&config.data_dir);
    let file_calendar = match &alarms.calendar {
        Some(path) => read_schedule(path).map_err(|e| ServerError::Config(e.to_string()))?,
        None => Vec::new(),
    };
    let api_calendar = store.calendar().map_err(|e| ServerError::Store(e.to_string()))?;
    let schedule = file_calendar.iter().chain(&api_calendar).cloned().collect();
    let defect_notifier = notifier.clone();
    let notice: showrunner_live::NoticeFn =
        Arc::new(move |n| defect_notifier.send_blocking(notify::Notification::of_defect(&n)));
    let monitor_settings = MonitorSettings {
        pipeline: streams.pipeline(),
        vqa: settings.vqa.clone(),
        policy: streams.policy(),
        shard: settings.shard,
        detectors: settings.detectors.clone(),
        coordinated: settings.nats.coordinate,
    };
    let live = Monitor::start(&config.data_dir.join("streams.db"), monitor_settings, streams.stream.clone(), notice)
        .map_err(|e| ServerError::Store(e.to_string()))?;
    let artwork = artwork::ArtworkService::open(&settings.artwork, &config.data_dir)
        .map_err(|e| ServerError::Config(format!("artwork: {e}")))?;
    let qoe =
        QoeService::start(telemetry, alarms, db, &telemetry_root, schedule, notifier).map_err(ServerError::Config)?;
    Ok(AppState {
        token: token.into(),
        store: Arc::new(Mutex::new(store)),
        qoe: Arc::new(qoe),
        telemetry_root,
        file_calendar: Arc::new(file_calendar),
        events,
        live: Arc::new(live),
        artwork: Arc::new(artwork),
        started: std::time::Instant::now(),
    })
}

/// Serves until `shutdown` completes; `on_ready` gets the bound address
/// (the port is chosen by the system when the configuration says `:0`).
pub async fn serve(
    config: &ServerConfig,
    state: AppState,
    on_ready: impl FnOnce(SocketAddr),
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|source| ServerError::Listen { addr: config.listen.clone(), source })?;
    let addr = listener.local_addr().map_err(|source| ServerError::Listen { addr: config.listen.clone(), source })?;
    on_ready(addr);
    axum::serve(listener, router(state, config.max_body_bytes))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(ServerError::Serve)
}
