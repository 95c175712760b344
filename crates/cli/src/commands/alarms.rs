//! `showrunner alarms detect|list|show|ack`: run the QoE alarm pipeline
//! over telemetry into the alarm store, and work with the alarms it holds.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use showrunner_anomaly::alarms::Classification;
use showrunner_anomaly::chart::render_svg;
use showrunner_anomaly::pipeline::{AlarmPipeline, AlarmRecord, Change, Chart, PipelineConfig};
use showrunner_anomaly::store::{AlarmFilter, AlarmState, AlarmStore, StoredAlarm};
use showrunner_telemetry::{Speed, Validator};

use crate::settings::ConfigArgs;
use crate::table::Table;

/// The data directory flag shared by the alarm commands.
#[derive(clap::Args, Debug, Clone)]
pub struct DataDir {
    /// Data directory holding the alarm store (`showrunner.db`).
    #[arg(long, env = "SHOWRUNNER_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
}

impl DataDir {
    fn db(&self) -> PathBuf {
        self.data_dir.join("showrunner.db")
    }

    /// The existing store (an error naming the directory when there is none).
    fn existing(&self) -> Result<AlarmStore> {
        let db = self.db();
        if !db.exists() {
            bail!(
                "no alarm store in {} (run `showrunner alarms detect` or `showrunner serve` with this --data-dir first)",
                self.data_dir.display()
            );
        }
        Ok(AlarmStore::open(&db)?)
    }
}

/// Alarm subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Run the alarm pipeline minute by minute over telemetry — a
    /// simulation made by `simulate qoe`, or a telemetry file — and store
    /// every alarm and every suppressed anomaly.
    Detect {
        /// A simulation directory (`spec.json`, `calendar.toml`).
        #[arg(long, conflicts_with = "telemetry", required_unless_present = "telemetry")]
        sim: Option<PathBuf>,
        /// A telemetry file (JSON lines, `.csv` or `.parquet`), as for
        /// `telemetry replay`.
        #[arg(long)]
        telemetry: Option<PathBuf>,
        /// Calendar of anticipated events (TOML `[[event]]` tables) [default:
        /// the simulation's `calendar.toml`; none for a file].
        #[arg(long)]
        calendar: Option<PathBuf>,
        /// Most dimensions fixed by a monitored element (1 = each value,
        /// 2 = pairs, …).
        #[arg(long, default_value_t = 2)]
        max_layer: usize,
        /// Days that only teach the forecasters.
        #[arg(long, default_value_t = 7)]
        warmup_days: u32,
        /// Print each alarm change as a JSON line instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataDir,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// List alarms, newest first.
    List {
        /// Only alarms in this state: open, acknowledged or resolved.
        #[arg(long)]
        state: Option<AlarmState>,
        /// Only alarms opened at or after this time (RFC 3339).
        #[arg(long)]
        since: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Print JSON (the alarms without their chart points).
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Show one alarm: what moved, where it comes from, its series.
    Show {
        /// The alarm's id.
        id: i64,
        /// Also write its chart (series, expected band, anomaly window) as SVG.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Print the alarm with its chart data as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataDir,
    },
    /// Acknowledge an alarm: someone is on it.
    Ack {
        /// The alarm's id.
        id: i64,
        /// Who [default: $USER].
        #[arg(long)]
        by: Option<String>,
        /// A note for whoever looks next.
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        data: DataDir,
    },
}

/// Runs an alarms subcommand.
pub fn run(cmd: Command) -> Result<i32> {
    match cmd {
        Command::Detect { sim, telemetry, calendar, max_layer, warmup_days, json, data, config } => {
            let pipeline_config =
                PipelineConfig { max_layer, warmup_minutes: warmup_days * 1440, ..Default::default() };
            if !(1..=4).contains(&max_layer) {
                bail!("--max-layer {max_layer}: monitor between 1 and 4 dimensions per element");
            }
            std::fs::create_dir_all(&data.data_dir)
                .with_context(|| format!("cannot create data directory {}", data.data_dir.display()))?;
            let mut store = AlarmStore::open(&data.db())?;
            let mut run = Run::new(&mut store, json);
            match (sim, telemetry) {
                (Some(dir), _) => detect_sim(&dir, calendar.as_deref(), pipeline_config, &mut run)?,
                (None, Some(file)) => detect_file(&file, calendar.as_deref(), pipeline_config, &config, &mut run)?,
                (None, None) => bail!("give --sim DIR or --telemetry FILE"),
            }
            run.finish(&data.db());
            Ok(0)
        }
        Command::List { state, since, limit, json, data } => {
            let since_ms = since
                .map(|s| {
                    chrono::DateTime::parse_from_rfc3339(&s)
                        .map(|t| t.timestamp_millis())
                        .with_context(|| format!("--since `{s}`: expected RFC 3339, e.g. 2026-11-10T20:00:00Z"))
                })
                .transpose()?;
            let store = data.existing()?;
            let alarms = store.list(&AlarmFilter { state, since_ms, until_ms: None, limit: Some(limit) })?;
            if json {
                let lean: Vec<serde_json::Value> = alarms.iter().map(without_chart).collect::<Result<_>>()?;
                println!("{}", serde_json::to_string_pretty(&lean)?);
            } else {
                print_list(&alarms);
            }
            Ok(0)
        }
        Command::Show { id, svg, json, data } => {
            let alarm = data.existing()?.get(id)?;
            if let Some(path) = &svg {
                std::fs::write(path, chart_svg(&alarm)).with_context(|| format!("cannot write {}", path.display()))?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&alarm)?);
            } else {
                print_alarm(&alarm, svg.as_deref());
            }
            Ok(0)
        }
        Command::Ack { id, by, note, data } => {
            let by = by.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "operator".into());
            let alarm = data.existing()?.acknowledge(id, &by, &note, chrono::Utc::now().timestamp_millis())?;
            println!("alarm {} acknowledged by {by}: {}", alarm.id, alarm.summary);
            Ok(0)
        }
    }
}

/// The SVG chart of a stored alarm, its window from opening to resolution
/// (or the last anomalous minute while open).
pub fn chart_svg(alarm: &StoredAlarm) -> String {
    let end = alarm.resolved_ms.unwrap_or(alarm.last_ms);
    let title = format!("alarm {} ({}, {}): {}", alarm.id, alarm.level.name(), alarm.state.name(), alarm.summary);
    render_svg(&alarm.chart, alarm.opened_ms, end, &title)
}

/// One pipeline run writing into the store and telling the user.
struct Run<'s> {
    store: &'s mut AlarmStore,
    id: String,
    json: bool,
    bar: indicatif::ProgressBar,
    alarms: Vec<i64>,
    suppressed: std::collections::BTreeMap<&'static str, u64>,
    minutes: u32,
    series: usize,
}

impl<'s> Run<'s> {
    fn new(store: &'s mut AlarmStore, json: bool) -> Self {
        let id = format!("{}-{}", chrono::Utc::now().timestamp_millis(), std::process::id());
        let bar = super::eval::progress_bar();
        Run { store, id, json, bar, alarms: Vec::new(), suppressed: Default::default(), minutes: 0, series: 0 }
    }

    /// Steps the pipeline with one interval and stores what changed.
    fn step(&mut self, pipeline: &mut AlarmPipeline, leaves: Vec<showrunner_telemetry::Aggregate>) -> Result<()> {
        let step = pipeline.step(leaves)?;
        self.minutes = pipeline.minutes();
        self.series = pipeline.series();
        self.store.save_suppressed(&step.suppressed)?;
        for s in &step.suppressed {
            *self.suppressed.entry(class_name(&s.class)).or_default() += 1;
        }
        for (change, record) in &step.alarms {
            let id = self.store.save(&self.id, record)?;
            if !self.alarms.contains(&id) {
                self.alarms.push(id);
            }
            self.tell(id, *change, record)?;
        }
        if self.minutes.is_multiple_of(60) {
            self.bar.set_position(u64::from(self.minutes));
            self.bar.set_message(format!("day {}", self.minutes / 1440));
        }
        Ok(())
    }

    fn tell(&self, id: i64, change: Change, r: &AlarmRecord) -> Result<()> {
        let line = if self.json {
            serde_json::to_string(&serde_json::json!({"change": change, "id": id, "alarm": r}))?
        } else {
            let when = |ms: i64| utc(ms);
            match change {
                Change::Opened => format!("{}  OPENED    #{id} {}: {}", when(r.opened_ms), r.level.name(), r.summary),
                Change::Explained => match &r.explanation {
                    Some(e) => format!("{}  LOCALIZED #{id}: {}", when(r.last_ms.max(r.opened_ms)), e.text),
                    None => return Ok(()),
                },
                Change::Resolved => format!(
                    "{}  RESOLVED  #{id} after {} min",
                    when(r.resolved_ms.unwrap_or(r.last_ms)),
                    (r.resolved_ms.unwrap_or(r.last_ms) - r.opened_ms) / 60_000
                ),
                Change::Updated => return Ok(()),
            }
        };
        self.bar.suspend(|| println!("{line}"));
        Ok(())
    }

    fn finish(self, db: &Path) {
        self.bar.finish_and_clear();
        if self.json {
            return;
        }
        let suppressed: Vec<String> = self.suppressed.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!(
            "\n{} minutes, {} series monitored; {} alarms; {} anomalies suppressed ({}); stored in {}",
            self.minutes,
            self.series,
            self.alarms.len(),
            self.suppressed.values().sum::<u64>(),
            if suppressed.is_empty() { "none".to_string() } else { suppressed.join(", ") },
            db.display()
        );
    }
}

fn class_name(c: &Classification) -> &'static str {
    match c {
        Classification::Actionable => "actionable",
        Classification::Anticipated { .. } => "anticipated",
        Classification::External { .. } => "external",
        Classification::LowImpact { .. } => "low impact",
    }
}

fn detect_sim(dir: &Path, calendar: Option<&Path>, config: PipelineConfig, run: &mut Run) -> Result<()> {
    let (sim, sim_calendar) = super::simulate::load(dir)?;
    let calendar = match calendar {
        Some(path) => showrunner_anomaly::calendar::read_calendar(path, sim.spec.start_ms)?,
        None => sim_calendar,
    };
    let dims: Vec<String> = showrunner_telemetry::simulate::world::DIMENSIONS.iter().map(|d| d.to_string()).collect();
    let leaves = sim.leaves.iter().map(|l| l.values().iter().map(|v| v.to_string()).collect()).collect();
    let mut pipeline = AlarmPipeline::new(&dims, leaves, sim.spec.start_ms, &calendar, config)?;
    run.bar.set_length(u64::from(sim.minutes()));
    for m in 0..sim.minutes() {
        run.step(&mut pipeline, sim.minute(m))?;
    }
    Ok(())
}

fn detect_file(
    file: &Path,
    calendar: Option<&Path>,
    config: PipelineConfig,
    settings: &ConfigArgs,
    run: &mut Run,
) -> Result<()> {
    let telemetry = settings.telemetry()?;
    let mut validator =
        Validator::new(telemetry.schema(), i64::from(telemetry.max_skew_s) * 1000).map_err(anyhow::Error::msg)?;
    if telemetry.interval_s != 60 {
        bail!(
            "alarms are detected on one-minute intervals; the configuration sets interval_s = {}",
            telemetry.interval_s
        );
    }
    let report = super::telemetry::replay_file(file, &mut validator, 60_000, Speed::Max)?;
    let refused = report.records - report.accepted;
    if refused > 0 {
        eprintln!(
            "{}: {refused} of {} records refused (`showrunner telemetry replay` says which and why)",
            file.display(),
            report.records
        );
    }
    let codes = report.cube.leaves();
    if codes.is_empty() {
        bail!("{}: no valid records to detect alarms on", file.display());
    }
    let dims: Vec<String> = validator.schema().dimensions.iter().map(|d| d.name.clone()).collect();
    let leaves: Vec<Vec<String>> = codes.iter().map(|leaf| validator.decode(leaf)).collect();
    let mut rows = report.cube.dense(&codes).peekable();
    let start_ms = rows.peek().map_or(0, |(t, _)| *t);
    let calendar = match calendar {
        Some(path) => showrunner_anomaly::calendar::read_calendar(path, start_ms)?,
        None => Vec::new(),
    };
    let mut pipeline = AlarmPipeline::new(&dims, leaves, start_ms, &calendar, config)?;
    for (_, row) in rows {
        run.step(&mut pipeline, row)?;
    }
    if pipeline.minutes() <= config.warmup_minutes {
        eprintln!(
            "{}: {} minutes of telemetry, all within the {}-minute warm-up: nothing was scored (--warmup-days)",
            file.display(),
            pipeline.minutes(),
            config.warmup_minutes
        );
    }
    Ok(())
}

/// A stored alarm as JSON without its chart points (for listings).
fn without_chart(a: &StoredAlarm) -> Result<serde_json::Value> {
    let mut v = serde_json::to_value(a)?;
    if let Some(o) = v.as_object_mut() {
        o.remove("chart");
    }
    Ok(v)
}

fn utc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or(ms.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

fn print_list(alarms: &[StoredAlarm]) {
    if alarms.is_empty() {
        println!("no alarms");
        return;
    }
    let mut t = Table::new(&["ID", "STATE", "LEVEL", "OPENED (UTC)", "MIN", "METRIC", "ELEMENT", "LOCALIZED TO"]);
    for a in alarms {
        t.row(vec![
            a.id.to_string(),
            a.state.name().into(),
            a.level.name().into(),
            utc(a.opened_ms),
            ((a.resolved_ms.unwrap_or(a.last_ms) - a.opened_ms) / 60_000).to_string(),
            a.metrics.first().cloned().unwrap_or_default(),
            a.elements.first().cloned().unwrap_or_default(),
            a.explanation.as_ref().map_or("-".into(), |e| {
                if e.elements.is_empty() {
                    "(nothing stands out)".into()
                } else {
                    e.elements.join(" + ")
                }
            }),
        ]);
    }
    println!("{}", t.render());
}

fn print_alarm(a: &StoredAlarm, svg: Option<&Path>) {
    println!("alarm {}  {}  {}", a.id, a.state.name(), a.level.name());
    println!("  {}", a.summary);
    let end = a.resolved_ms.map_or("still open".to_string(), |r| format!("resolved {}", utc(r)));
    println!("  opened {} UTC, {end}; peak |z| {:.1}, {} sessions at stake", utc(a.opened_ms), a.peak_z, a.attempts);
    if a.elements.len() > 1 || a.metrics.len() > 1 {
        const SHOWN: usize = 6;
        let more = a.elements.len().saturating_sub(SHOWN);
        println!(
            "  related series: {} element(s) × {}: {}{}",
            a.elements.len(),
            a.metrics.join(", "),
            a.elements[..a.elements.len().min(SHOWN)].join(", "),
            if more > 0 { format!(" and {more} more (--json lists all)") } else { String::new() }
        );
    }
    match &a.explanation {
        Some(e) => println!(
            "  localized: {}{}",
            e.text,
            if e.well_explained { "" } else { " — weakly: no combination explains most of it" }
        ),
        None => println!("  localized: not yet (ten minutes after opening)"),
    }
    if let Some(k) = &a.acknowledged {
        println!(
            "  acknowledged by {} at {} UTC{}",
            k.by,
            utc(k.at_ms),
            if k.note.is_empty() { String::new() } else { format!(": {}", k.note) }
        );
    }
    println!("\n{}", sparkline(&a.chart, a.opened_ms, a.resolved_ms.unwrap_or(a.last_ms)));
    match svg {
        Some(p) => println!("chart written to {}", p.display()),
        None => println!("(--svg FILE draws the chart with its expected band; --json gives the data)"),
    }
}

/// The chart in two terminal lines: the observed series, and `^` under the
/// minutes outside the expected band, `-` over the anomaly window.
fn sparkline(chart: &Chart, window_start: i64, window_end: i64) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let values: Vec<f64> = chart.points.iter().filter_map(|p| p.observed).filter(|v| v.is_finite()).collect();
    let (lo, hi) = values.iter().fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
    let mut line = String::new();
    let mut marks = String::new();
    for p in &chart.points {
        line.push(match p.observed {
            Some(v) if v.is_finite() && hi > lo => BARS[(((v - lo) / (hi - lo)) * 7.0).round() as usize],
            Some(v) if v.is_finite() => BARS[0],
            _ => ' ',
        });
        let outside = p.observed.is_some_and(|v| (v - p.expected).abs() > 3.0 * p.sd);
        let inside_window = (window_start..=window_end).contains(&p.time_ms);
        marks.push(match (outside, inside_window) {
            (true, _) => '^',
            (false, true) => '-',
            _ => ' ',
        });
    }
    let first = chart.points.first().map_or(String::new(), |p| utc(p.time_ms));
    format!(
        "  {} {} from {first} UTC, one column a minute (min {lo:.4}, max {hi:.4})\n  {line}\n  {marks}",
        chart.metric, chart.element
    )
}
