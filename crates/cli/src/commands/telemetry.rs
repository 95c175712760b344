//! `showrunner telemetry replay`: read a telemetry file, validate every
//! record, aggregate per interval, and report what was accepted, what was
//! refused and why, and the QoE metrics per interval.

use std::path::PathBuf;

use anyhow::Result;
use showrunner_telemetry::{replay, ReplayReport, Speed, Validator};

use crate::settings::ConfigArgs;
use crate::table::Table;

/// Telemetry subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Replay a JSON-lines, CSV or Parquet telemetry file through
    /// validation and aggregation.
    Replay {
        /// The file (`.csv` is read as CSV, `.parquet` as Parquet with the
        /// CSV columns, anything else as JSON lines).
        file: PathBuf,
        /// `max`, or a factor of real time (`60` plays an hour in a minute).
        #[arg(long, default_value = "max")]
        speed: Speed,
        /// Print the report as JSON (counts, rejections, per-interval metrics).
        #[arg(long)]
        json: bool,
        /// Intervals shown in the table (the JSON has them all).
        #[arg(long, default_value_t = 30)]
        limit: usize,
        /// Also write every leaf's per-minute aggregates to the telemetry
        /// store (Parquet) of this data directory, for `showrunner query`.
        #[arg(long)]
        data_dir: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

/// Runs a telemetry subcommand. Exit 0 when every record was accepted, 1
/// when some were refused (the report says which and why).
pub fn run(cmd: Command) -> Result<i32> {
    let Command::Replay { file, speed, json, limit, data_dir, config } = cmd;
    let settings = config.telemetry()?;
    let mut validator =
        Validator::new(settings.schema(), i64::from(settings.max_skew_s) * 1000).map_err(anyhow::Error::msg)?;
    let report = replay_file(&file, &mut validator, i64::from(settings.interval_s) * 1000, speed)?;
    if let Some(dir) = &data_dir {
        let written = store(&report, &validator, dir)?;
        eprintln!("{written} leaf-minute rows written to {}", showrunner_telemetry_store::root(dir).display());
    }
    if json {
        let intervals: Vec<serde_json::Value> = report
            .cube
            .totals()
            .iter()
            .map(|(t, agg)| serde_json::json!({"start_ms": t, "metrics": agg.metrics()}))
            .collect();
        let out = serde_json::json!({
            "records": report.records,
            "accepted": report.accepted,
            "rejected": report.rejected,
            "cells": report.cube.len(),
            "intervals": intervals,
        });
        println!("{out}");
    } else {
        print_report(&file, &report, limit);
    }
    Ok(if report.accepted == report.records { 0 } else { 1 })
}

/// Replays a telemetry file of any supported format: Parquet (`.parquet`),
/// CSV (`.csv`) or JSON lines (anything else).
pub fn replay_file(
    path: &std::path::Path,
    validator: &mut Validator,
    interval_ms: i64,
    speed: Speed,
) -> Result<ReplayReport, showrunner_core::InputError> {
    if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("parquet")) {
        showrunner_telemetry_store::replay_parquet(path, validator, interval_ms, speed)
    } else {
        replay(path, validator, interval_ms, speed)
    }
}

/// Writes the replayed leaf aggregates to the telemetry store in `dir`;
/// returns the rows written.
fn store(report: &ReplayReport, validator: &Validator, dir: &std::path::Path) -> Result<u64> {
    let dims: Vec<String> = validator.schema().dimensions.iter().map(|d| d.name.clone()).collect();
    let codes = report.cube.leaves();
    let values: Vec<Vec<String>> = codes.iter().map(|leaf| validator.decode(leaf)).collect();
    let mut writer = showrunner_telemetry_store::LeafWriter::new(&showrunner_telemetry_store::root(dir), &dims)?;
    for (start_ms, leaves) in report.cube.dense(&codes) {
        writer.push(start_ms, &values, &leaves)?;
    }
    writer.flush()?;
    Ok(writer.rows_written())
}

fn print_report(file: &std::path::Path, r: &ReplayReport, limit: usize) {
    println!(
        "{}: {} records, {} accepted, {} rejected; {} leaf-interval cells",
        file.display(),
        r.records,
        r.accepted,
        r.records - r.accepted,
        r.cube.len()
    );
    for (reason, rej) in &r.rejected {
        println!("  rejected {reason}: {} (first at line {}: {})", rej.count, rej.first_line, rej.first_detail);
    }
    let totals = r.cube.totals();
    if totals.is_empty() {
        return;
    }
    let pct = |v: f64| if v.is_nan() { "-".to_string() } else { format!("{:.2}%", 100.0 * v) };
    let num = |v: f64| if v.is_nan() { "-".to_string() } else { format!("{v:.0}") };
    let mut t = Table::new(&[
        "INTERVAL (UTC)",
        "ATTEMPTS",
        "PLAYS",
        "REBUFFER",
        "START_FAIL",
        "EXIT_BEFORE",
        "ERRORS",
        "STARTUP_P50_MS",
        "STARTUP_P95_MS",
        "BITRATE_KBPS",
    ]);
    for (start, agg) in totals.iter().take(limit) {
        let m = agg.metrics();
        let when = chrono::DateTime::from_timestamp_millis(*start)
            .map_or(start.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string());
        t.row(vec![
            when,
            m.attempts.to_string(),
            m.plays.to_string(),
            pct(m.rebuffering_ratio),
            pct(m.start_failure_rate),
            pct(m.exit_before_start_rate),
            pct(m.error_rate),
            num(m.startup_p50_ms),
            num(m.startup_p95_ms),
            num(m.bitrate_kbps),
        ]);
    }
    println!("\n{}", t.render());
    if totals.len() > limit {
        println!("… {} more intervals (--limit, or --json for all)", totals.len() - limit);
    }
}
