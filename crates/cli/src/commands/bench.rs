//! `showrunner bench telemetry`: end-to-end speed of the QoE path on this
//! machine — aggregation from a file replay, and scoring of monitored
//! series — on one core. `showrunner bench live`: see [`super::bench_live`];
//! `showrunner bench artwork`: see [`super::bench_artwork`].

use std::io::Write;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use showrunner_anomaly::Forecaster;
use showrunner_telemetry::simulate::world::DIMENSIONS;
use showrunner_telemetry::simulate::{QoeSimulation, SimSpec};
use showrunner_telemetry::{replay, Dimension, Schema, Speed, Validator};

use crate::table::Table;

/// Bench subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Aggregation from file replay (events/s) and forecast scoring
    /// (series/s), one core.
    Telemetry {
        /// Player events in the replayed file (drawn from the QoE
        /// simulator's peak minutes).
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Monitored series scored for one interval.
        #[arg(long, default_value_t = 1_000_000)]
        series: usize,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Live streams: how many one `serve` monitors in real time, CPU and
    /// memory per stream, webhook latency, against one ffmpeg per stream.
    Live(super::bench_live::Args),
    /// Artwork checks: time per 1920×1080 image with every check (run
    /// under `taskset -c 0` for one core).
    Artwork(super::bench_artwork::Args),
}

/// Runs a bench subcommand.
pub fn run(cmd: Command) -> Result<i32> {
    let (events, series, json) = match cmd {
        Command::Telemetry { events, series, json } => (events, series, json),
        Command::Live(args) => return super::bench_live::run(args),
        Command::Artwork(args) => return super::bench_artwork::run(args),
    };
    if events == 0 || series == 0 {
        bail!("--events and --series must be at least 1");
    }
    let replayed = bench_replay(events)?;
    let scored = bench_scoring(series);
    if json {
        println!("{}", serde_json::json!({ "replay": replayed, "scoring": scored }));
        return Ok(0);
    }
    let mut t = Table::new(&["STAGE", "ITEMS", "SECONDS", "PER_SECOND", "NOTE"]);
    t.row(vec![
        "replay + validate + aggregate".into(),
        format!("{} events", replayed.events),
        format!("{:.2}", replayed.seconds),
        format!("{:.0} events/s", replayed.events as f64 / replayed.seconds),
        format!("{:.0} MB JSON lines, {} leaf-minute cells", replayed.bytes as f64 / 1e6, replayed.cells),
    ]);
    t.row(vec![
        "forecast scoring, one interval".into(),
        format!("{} series", scored.series),
        format!("{:.3}", scored.seconds),
        format!("{:.0} series/s", scored.series as f64 / scored.seconds),
        format!("{} bytes of state per series", scored.state_bytes),
    ]);
    println!("{}", t.render());
    Ok(0)
}

/// Replay figures.
#[derive(Debug, serde::Serialize)]
struct ReplayFigures {
    events: u64,
    bytes: u64,
    cells: usize,
    seconds: f64,
}

/// Writes `n` simulated player events to a temporary JSON-lines file and
/// times their replay.
fn bench_replay(n: usize) -> Result<ReplayFigures> {
    let sim = QoeSimulation::new(SimSpec::new(2, 1));
    let path = std::env::temp_dir().join(format!("showrunner-bench-{}.jsonl", std::process::id()));
    let file = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = std::io::BufWriter::new(file);
    let mut written = 0;
    let mut minute = 1200;
    while written < n {
        for e in sim.player_events(minute).into_iter().take(n - written) {
            serde_json::to_writer(&mut w, &e)?;
            w.write_all(b"\n")?;
            written += 1;
        }
        minute = (minute + 1) % sim.minutes();
    }
    w.flush()?;
    drop(w);
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let schema = Schema { dimensions: DIMENSIONS.iter().map(|d| Dimension { name: d.to_string(), cap: 50 }).collect() };
    let mut validator = Validator::new(schema, 86_400_000).map_err(anyhow::Error::msg)?;
    let start = Instant::now();
    let report = replay(&path, &mut validator, 60_000, Speed::Max);
    let seconds = start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&path);
    let report = report?;
    if report.accepted != report.records {
        bail!("the benchmark's own events were refused: {:?}", report.rejected);
    }
    Ok(ReplayFigures { events: report.accepted, bytes, cells: report.cube.len(), seconds })
}

/// Scoring figures.
#[derive(Debug, serde::Serialize)]
struct ScoringFigures {
    series: usize,
    state_bytes: usize,
    seconds: f64,
}

/// Times one interval of `n` warm forecasters.
fn bench_scoring(n: usize) -> ScoringFigures {
    let mut warm = Forecaster::new(1.0);
    for m in 0..2 * 10_080u32 {
        let phase = f64::from(m % 1440) / 1440.0 * std::f64::consts::TAU;
        warm.update(m % 10_080, 600.0 - 400.0 * phase.cos());
    }
    let mut states = vec![warm; n];
    let start = Instant::now();
    let mut far = 0usize;
    for (i, s) in states.iter_mut().enumerate() {
        far += usize::from(s.update(1200, 500.0 + (i % 97) as f64).z.abs() > 4.0);
    }
    let seconds = start.elapsed().as_secs_f64();
    std::hint::black_box(far);
    ScoringFigures { series: n, state_bytes: std::mem::size_of::<Forecaster>(), seconds }
}
