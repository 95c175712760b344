//! `/metrics`: Prometheus text exposition — per live stream its frame rate,
//! lag, bitrate, decode errors, reconnects, state and defects by type; the
//! process's CPU time and memory; the QoE counters.

use std::fmt::Write;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use crate::error::ApiError;
use crate::routes::streams::with_monitor;
use crate::AppState;

/// `GET /metrics`.
pub async fn get(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let running = with_monitor(&state, |m| Ok(m.running())).await?;
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: Vec<(String, f64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let per_stream = |f: &dyn Fn(&showrunner_live::StreamStatus) -> f64| -> Vec<(String, f64)> {
        running.iter().map(|(spec, status)| (format!("{{stream=\"{}\"}}", escape(&spec.id)), f(status))).collect()
    };
    family("showrunner_stream_fps", "gauge", "Decoded pictures per second.", per_stream(&|s| s.fps));
    family("showrunner_stream_lag_seconds", "gauge", "Analysis behind real time.", per_stream(&|s| s.lag_s));
    family("showrunner_stream_bitrate_kbps", "gauge", "Input bitrate.", per_stream(&|s| s.bitrate_kbps));
    family(
        "showrunner_stream_decode_errors_total",
        "counter",
        "Decoder damage signals and damaged pictures.",
        per_stream(&|s| s.decode_errors as f64),
    );
    family(
        "showrunner_stream_reconnects_total",
        "counter",
        "Times the input was opened again after a loss.",
        per_stream(&|s| s.reconnects as f64),
    );
    let states = running
        .iter()
        .map(|(spec, status)| (format!("{{stream=\"{}\",state=\"{}\"}}", escape(&spec.id), status.state.name()), 1.0))
        .collect();
    family("showrunner_stream_state", "gauge", "The stream's state (1 for the current one).", states);
    let defects = running
        .iter()
        .flat_map(|(spec, status)| {
            status
                .defects
                .iter()
                .map(|(kind, n)| (format!("{{stream=\"{}\",type=\"{}\"}}", escape(&spec.id), escape(kind)), *n as f64))
        })
        .collect();
    family("showrunner_stream_defects_total", "counter", "Defects by type since this process started.", defects);
    if let Some((cpu_s, rss)) = process_usage() {
        family("process_cpu_seconds_total", "counter", "User and system CPU time.", vec![(String::new(), cpu_s)]);
        family("process_resident_memory_bytes", "gauge", "Resident memory.", vec![(String::new(), rss)]);
    }
    let uptime = state.started.elapsed().as_secs_f64();
    family("showrunner_uptime_seconds", "gauge", "Seconds since the server started.", vec![(String::new(), uptime)]);
    let s = &state.qoe.stats;
    let counter = |v: &std::sync::atomic::AtomicU64| vec![(String::new(), v.load(Ordering::Relaxed) as f64)];
    family("showrunner_telemetry_accepted_total", "counter", "Telemetry records accepted.", counter(&s.accepted));
    family("showrunner_telemetry_rejected_total", "counter", "Telemetry records refused.", counter(&s.rejected));
    family("showrunner_alarms_opened_total", "counter", "QoE alarms opened.", counter(&s.alarms_opened));
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// CPU seconds and resident bytes of this process, from `/proc/self`.
fn process_usage() -> Option<(f64, f64)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, in clock ticks
    // (100 per second on Linux).
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let rss_kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some((ticks / 100.0, rss_kb * 1024.0))
}
