//! `showrunner simulate qoe`: a seeded QoE telemetry simulation with its
//! ground truth, its calendar of anticipated events, and a sample of the
//! player events behind it.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use showrunner_telemetry::simulate::scenario::{EventClass, ScenarioEvent};
use showrunner_telemetry::simulate::world::DIMENSIONS;
use showrunner_telemetry::simulate::{QoeSimulation, SimSpec};

/// Simulate subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Simulate QoE telemetry: 5 countries, 630 leaves, a labelled scenario.
    Qoe {
        /// Days to simulate.
        #[arg(long, default_value_t = 28)]
        days: u32,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output directory (created; files in it are replaced).
        #[arg(long)]
        out: PathBuf,
        /// Minute (from the start) of the first minute written as player
        /// events to `events.jsonl`.
        #[arg(long, default_value_t = 1200)]
        events_at: u32,
        /// Minutes written as player events (0 = none); a peak minute is
        /// about 110,000 events.
        #[arg(long, default_value_t = 1)]
        events_minutes: u32,
    },
}

/// Reads a simulation directory written by `simulate qoe`: the simulation
/// (regenerated from `spec.json`) and its calendar of anticipated events.
pub fn load(dir: &Path) -> Result<(QoeSimulation, Vec<showrunner_anomaly::calendar::CalendarEvent>)> {
    let spec_path = dir.join("spec.json");
    let spec_text =
        std::fs::read_to_string(&spec_path).with_context(|| format!("cannot read {}", spec_path.display()))?;
    let spec: SimSpec =
        serde_json::from_str(&spec_text).with_context(|| format!("{}: not a simulation spec", spec_path.display()))?;
    let calendar = showrunner_anomaly::calendar::read_calendar(&dir.join("calendar.toml"), spec.start_ms)?;
    Ok((QoeSimulation::new(spec), calendar))
}

/// Runs a simulate subcommand.
pub fn run(cmd: Command) -> Result<i32> {
    let Command::Qoe { days, seed, out, events_at, events_minutes } = cmd;
    if !(1..=366).contains(&days) {
        bail!("--days {days}: simulate between 1 and 366 days");
    }
    let sim = QoeSimulation::new(SimSpec::new(days, seed));
    if events_minutes > 0 && events_at + events_minutes > sim.minutes() {
        bail!(
            "--events-at {events_at} --events-minutes {events_minutes} runs past the {} simulated minutes",
            sim.minutes()
        );
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    write(&out.join("spec.json"), &serde_json::to_string_pretty(&sim.spec)?)?;
    write(&out.join("truth.json"), &serde_json::to_string_pretty(&truth(&sim))?)?;
    write(&out.join("calendar.toml"), &calendar(&sim))?;
    write(&out.join("showrunner.toml"), &settings())?;
    let mut written = 0usize;
    if events_minutes > 0 {
        let path = out.join("events.jsonl");
        let file = std::fs::File::create(&path).with_context(|| format!("cannot write {}", path.display()))?;
        let mut w = std::io::BufWriter::new(file);
        for m in events_at..events_at + events_minutes {
            for e in sim.player_events(m) {
                serde_json::to_writer(&mut w, &e)?;
                w.write_all(b"\n")?;
                written += 1;
            }
        }
        w.flush().with_context(|| format!("cannot write {}", path.display()))?;
    }
    print_summary(&sim, &out, written);
    Ok(0)
}

fn write(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map_or(ms.to_string(), |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string())
}

/// The ground truth as JSON: every event with its times as text too.
fn truth(sim: &QoeSimulation) -> serde_json::Value {
    let events: Vec<serde_json::Value> = sim
        .events
        .iter()
        .map(|e| {
            let scope: serde_json::Map<String, serde_json::Value> =
                e.scope.iter().map(|(d, v)| (d.clone(), serde_json::Value::String(v.clone()))).collect();
            serde_json::json!({
                "id": e.id, "class": e.class, "kind": e.kind, "scope": scope, "element": e.scope_label(),
                "start": rfc3339(sim.time_ms(e.start_minute)), "start_minute": e.start_minute,
                "minutes": e.minutes, "effects": e.effects,
            })
        })
        .collect();
    serde_json::json!({ "seed": sim.spec.seed, "days": sim.spec.days, "events": events })
}

/// Settings for reading the simulation's telemetry: its six dimensions.
fn settings() -> String {
    let dims: Vec<String> = DIMENSIONS.iter().map(|d| format!("  {{ name = \"{d}\", cap = 50 }},")).collect();
    format!(
        "# Use with --config to replay this simulation's events.jsonl.\n[telemetry]\ndimensions = [\n{}\n]\n",
        dims.join("\n")
    )
}

/// The anticipated events as a TOML calendar.
fn calendar(sim: &QoeSimulation) -> String {
    let mut out = format!(
        "# Scheduled events of QoE simulation seed {} ({} days). Scope keys are dimensions.\n",
        sim.spec.seed, sim.spec.days
    );
    for e in sim.events.iter().filter(|e| e.class == EventClass::Anticipated) {
        let scope: Vec<String> = e.scope.iter().map(|(d, v)| format!("{d} = \"{v}\"")).collect();
        out.push_str(&format!(
            "\n[[event]]\nid = \"{}\"\nkind = \"{}\"\nstart = \"{}\"\nminutes = {}\nscope = {{ {} }}\n",
            e.id,
            e.kind,
            rfc3339(sim.time_ms(e.start_minute)),
            e.minutes,
            scope.join(", ")
        ));
    }
    out
}

fn print_summary(sim: &QoeSimulation, out: &Path, events_written: usize) {
    let count = |c: EventClass| sim.events.iter().filter(|e| e.class == c).count();
    println!(
        "{}: {} days from {}, {} leaves; {} anticipated, {} low-impact, {} external high-impact events, {} incidents",
        out.display(),
        sim.spec.days,
        rfc3339(sim.spec.start_ms),
        sim.leaves.len(),
        count(EventClass::Anticipated),
        count(EventClass::LowImpact),
        count(EventClass::HighImpactExternal),
        count(EventClass::Incident),
    );
    println!(
        "  spec.json, truth.json, calendar.toml, showrunner.toml{}",
        if events_written > 0 { format!(", events.jsonl ({events_written} player events)") } else { String::new() }
    );
    let incidents: Vec<&ScenarioEvent> = sim.events.iter().filter(|e| e.class == EventClass::Incident).collect();
    for e in incidents.iter().take(5) {
        println!("  {} {:<20} {:>3} min  {}", rfc3339(sim.time_ms(e.start_minute)), e.kind, e.minutes, e.scope_label());
    }
    if incidents.len() > 5 {
        println!("  … {} more incidents in truth.json", incidents.len() - 5);
    }
}
