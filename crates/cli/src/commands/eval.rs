//! `showrunner eval vqa`: accuracy and throughput on a labelled corpus,
//! side by side with FFmpeg's filters; `showrunner eval localize`:
//! root-cause localization scored on labelled datasets; `showrunner eval
//! nab`: the streaming anomaly detector on the Numenta Anomaly Benchmark.

use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use showrunner_core::DefectType;
use showrunner_vqa::eval::{self, score::Counts, EvalReport, SCORED};

use crate::settings::ConfigArgs;
use crate::table::Table;

/// Eval subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Score the defect detectors on a corpus made by `corpus make`.
    Vqa {
        /// The corpus directory (clips, labels.json, corpus.json).
        #[arg(long)]
        corpus: PathBuf,
        /// Skip the FFmpeg filter baseline and the decode-only pass.
        #[arg(long)]
        no_baseline: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Score root-cause localization on labelled datasets.
    Localize {
        /// A dataset directory (`injection_info.csv` or `anomaly.yaml` with
        /// its instance files) or a directory of such directories.
        #[arg(long)]
        data: PathBuf,
        /// Also write every instance's prediction as JSONL
        /// (`{"dataset","file","root_causes"}`), the scorer's input format.
        #[arg(long, value_name = "FILE")]
        predictions: Option<PathBuf>,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Run the QoE alarm pipeline over a simulation made by `simulate qoe`
    /// and score it against the simulation's ground truth, with the
    /// forecasting-only baseline side by side.
    Alarms {
        /// The simulation directory (`spec.json`, `calendar.toml`).
        #[arg(long)]
        sim: PathBuf,
        /// Most dimensions fixed by a monitored element (1 = each value,
        /// 2 = pairs, …).
        #[arg(long, default_value_t = showrunner_anomaly::alarm_eval::MAX_LAYER)]
        max_layer: usize,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the streaming anomaly detector over NAB data, write NAB-format
    /// results and score them with NAB's rules.
    Nab {
        /// NAB's data directory (`<category>/<file>.csv`), or a directory
        /// holding it as `data/` beside `labels/`.
        #[arg(long)]
        data: PathBuf,
        /// NAB's `combined_windows.json` [default: `labels/combined_windows.json`
        /// beside the data directory].
        #[arg(long)]
        labels: Option<PathBuf>,
        /// Where to write the results (`<out>/showrunner/<category>/showrunner_<file>.csv`).
        #[arg(long, value_name = "RESULTS_DIR")]
        out: PathBuf,
        /// Print the scores as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

/// Runs an eval subcommand.
pub fn run(cmd: Command) -> Result<i32> {
    match cmd {
        Command::Vqa { corpus, no_baseline, config } => {
            let config = config.vqa()?;
            let bar = progress_bar();
            let report = eval::evaluate(&corpus, &config, !no_baseline, |step, total, clip| {
                bar.set_length(total as u64);
                bar.set_position(step as u64);
                bar.set_message(clip.to_string());
            })?;
            bar.finish_and_clear();
            print_report(&corpus, &report);
            Ok(0)
        }
        Command::Localize { data, predictions, config } => {
            let config = config.localize()?;
            let bar = progress_bar();
            let report = showrunner_localize::eval::evaluate(&data, &config, |done, total, file| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(file.to_string());
            })?;
            bar.finish_and_clear();
            if let Some(path) = predictions {
                write_predictions(&path, &report)?;
            }
            print_localize_report(&data, &report);
            Ok(0)
        }
        Command::Alarms { sim, max_layer, json } => {
            let (simulation, calendar) = super::simulate::load(&sim)?;
            let bar = progress_bar();
            let report = showrunner_anomaly::alarm_eval::evaluate(&simulation, &calendar, max_layer, |m, total| {
                bar.set_length(u64::from(total));
                bar.set_position(u64::from(m));
                bar.set_message(format!("day {}", m / 1440));
            });
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_alarm_report(&sim, &report);
            }
            Ok(0)
        }
        Command::Nab { data, labels, out, json, config } => {
            let config = config.anomaly()?;
            let (data, labels) = nab_paths(data, labels);
            let series = showrunner_anomaly::nab::data::read_benchmark(&data, &labels)?;
            let bar = progress_bar();
            bar.set_length(series.len() as u64);
            let scores = showrunner_anomaly::nab::detect(&series, &config, |done, file| {
                bar.set_position(done as u64);
                bar.set_message(file.to_string());
            })?;
            bar.finish_and_clear();
            showrunner_anomaly::nab::write_results(&out, &series, &scores)?;
            let report = showrunner_anomaly::nab::report(&series, &scores);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print_nab_report(&data, &out, &report);
            }
            Ok(0)
        }
    }
}

fn print_alarm_report(sim: &std::path::Path, r: &showrunner_anomaly::alarm_eval::AlarmEvalReport) {
    println!(
        "simulation {}: {} days scored after a {}-day warm-up, {} monitored series, {} incidents\n",
        sim.display(),
        r.days_scored,
        showrunner_anomaly::alarm_eval::WARMUP_DAYS,
        r.series,
        r.incidents
    );
    let mut t = Table::new(&[
        "METHOD",
        "ALARMS",
        "TRUE",
        "RECALL",
        "PRECISION",
        "FALSE/DAY",
        "TTD_MEDIAN",
        "TTD_P95",
        "MISSED_BY_SUPPRESSION",
    ]);
    let fmt = |v: f64, digits: usize| if v.is_nan() { "-".to_string() } else { format!("{v:.digits$}") };
    for m in &r.methods {
        t.row(vec![
            m.method.to_string(),
            m.alarms.to_string(),
            m.true_alarms.to_string(),
            fmt(m.recall, 2),
            fmt(m.precision, 2),
            fmt(m.false_per_day, 2),
            format!("{} min", fmt(m.ttd_median_min, 0)),
            format!("{} min", fmt(m.ttd_p95_min, 0)),
            m.missed_by_suppression.to_string(),
        ]);
    }
    println!("{}", t.render());
    if let [full, base] = r.methods.as_slice() {
        let (a, b) = (full.false_per_day, base.false_per_day);
        if b > 0.0 {
            println!(
                "\nfalse alarms: {:.0}% fewer with special-event handling ({a:.2} vs {b:.2} per day)",
                100.0 * (1.0 - a / b)
            );
        }
        let s: Vec<String> = full.suppressed.iter().map(|(k, v)| format!("{k} {v}")).collect();
        println!("suppressed anomalies (series-minutes): {}", s.join(", "));
        println!(
            "localized exactly to the incident's scope: {} of {} detected incidents\n",
            full.localized_exactly, full.detected
        );
        for i in &full.incidents {
            let start = i.start_minute;
            let when = format!("day {:>2} {:02}:{:02}", start / 1440, start % 1440 / 60, start % 60);
            match i.alarm_after_min {
                Some(a) => {
                    println!(
                        "  {when}  {:<34} alarm after {a} min: {}",
                        i.element,
                        i.explanation.as_deref().unwrap_or("-")
                    )
                }
                None => println!("  {when}  {:<34} MISSED", i.element),
            }
        }
    }
}

/// Accepts either NAB's data directory or its parent (with `data/` and
/// `labels/`); the labels default to `labels/combined_windows.json` beside
/// the data directory.
fn nab_paths(data: PathBuf, labels: Option<PathBuf>) -> (PathBuf, PathBuf) {
    let data = if data.join("data").is_dir() { data.join("data") } else { data };
    let labels = labels.unwrap_or_else(|| {
        data.parent().unwrap_or(std::path::Path::new(".")).join("labels").join("combined_windows.json")
    });
    (data, labels)
}

fn print_nab_report(data: &std::path::Path, out: &std::path::Path, r: &showrunner_anomaly::nab::NabReport) {
    println!("data {}: {} files, {} windows; results in {}\n", data.display(), r.files, r.windows, out.display());
    let mut t = Table::new(&["PROFILE", "SCORE", "THRESHOLD", "TP", "FP", "FN"]);
    for p in &r.profiles {
        t.row(vec![
            p.profile.name.to_string(),
            format!("{:.1}", p.score),
            format!("{:.4}", p.threshold),
            p.tp.to_string(),
            p.fp.to_string(),
            p.fn_.to_string(),
        ]);
    }
    println!("{}", t.render());
    println!("\nSCORE: NAB-normalised (0 = never detect, 100 = every window at its first row); one threshold per profile over all files.");
}

/// A progress bar for a run over many inputs.
pub(crate) fn progress_bar() -> ProgressBar {
    ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len}  {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

fn write_predictions(path: &std::path::Path, report: &showrunner_localize::eval::EvalReport) -> Result<()> {
    let mut out = String::new();
    for i in &report.instances {
        let line = serde_json::json!({"dataset": i.dataset, "file": i.file, "root_causes": i.root_causes});
        out.push_str(&line.to_string());
        out.push('\n');
    }
    std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
}

fn print_localize_report(data: &std::path::Path, r: &showrunner_localize::eval::EvalReport) {
    println!("data {}: {} instances\n", data.display(), r.instances.len());
    let mut t = Table::new(&[
        "DATASET",
        "INSTANCES",
        "TP",
        "FP",
        "FN",
        "PRECISION",
        "RECALL",
        "F1",
        "MEAN_MS",
        "P95_MS",
        "LOAD_MS",
    ]);
    for d in &r.datasets {
        let c = d.counts;
        t.row(vec![
            d.dataset.clone(),
            d.instances.to_string(),
            c.tp.to_string(),
            c.fp.to_string(),
            c.fn_.to_string(),
            format!("{:.2}", c.precision()),
            format!("{:.2}", c.recall()),
            format!("{:.2}", c.f1()),
            format!("{:.1}", d.mean_ms),
            format!("{:.1}", d.p95_ms),
            format!("{:.1}", d.mean_load_ms),
        ]);
    }
    println!("{}", t.render());
    println!("\nMEAN_MS/P95_MS: localization of a loaded instance, one core; LOAD_MS: reading its files.");
}

fn rates(c: Option<&Counts>) -> [String; 3] {
    match c {
        Some(c) => [format!("{:.2}", c.precision()), format!("{:.2}", c.recall()), format!("{:.2}", c.f1())],
        None => ["-".into(), "-".into(), "-".into()],
    }
}

fn print_report(corpus: &std::path::Path, r: &EvalReport) {
    let all = r.throughput(|_| true);
    println!("corpus {}: {} clips, {:.0} s of media\n", corpus.display(), all.clips, all.media_s);
    let mut t = Table::new(&[
        "TYPE",
        "LABELS",
        "TP",
        "FP",
        "FN",
        "PRECISION",
        "RECALL",
        "F1",
        "FFMPEG_P",
        "FFMPEG_R",
        "FFMPEG_F1",
    ]);
    let ff = r.ffmpeg.as_ref();
    let covered = eval::ffmpeg::COVERED;
    let mut row = |name: String, sr: Counts, ff: Option<Counts>| {
        let [p, rc, f] = rates(Some(&sr));
        let [fp, frc, ff1] = rates(ff.as_ref());
        t.row(vec![
            name,
            (sr.tp + sr.fn_).to_string(),
            sr.tp.to_string(),
            sr.fp.to_string(),
            sr.fn_.to_string(),
            p,
            rc,
            f,
            fp,
            frc,
            ff1,
        ]);
    };
    for kind in SCORED {
        let sr = r.showrunner.counts.get(&kind).copied().unwrap_or_default();
        let base = ff.filter(|_| covered.contains(&kind)).map(|f| f.counts.get(&kind).copied().unwrap_or_default());
        row(kind.to_string(), sr, base);
    }
    row("micro (ffmpeg's types)".into(), r.showrunner.micro(&covered), ff.map(|f| f.micro(&covered)));
    row("micro (all)".into(), r.showrunner.micro(&SCORED), None);
    println!("{}\n", t.render());

    if let Some(recall) = r.desync_recall(120.0) {
        let n = r.desync.iter().filter(|(t, _)| t.abs() >= 120.0).count();
        println!(
            "av_desync: recall {:.2} on |offset| >= 120 ms ({n} labels), {:.2} on all; median |offset error| {} ms",
            recall,
            r.desync_recall(0.0).unwrap_or(0.0),
            r.desync_median_error_ms().map_or("-".to_string(), |e| format!("{e:.0}"))
        );
        for (truth, est) in &r.desync {
            println!(
                "  label {truth:+5.0} ms -> {}",
                est.map_or("not detected".to_string(), |e| format!("{e:+.0} ms"))
            );
        }
    }
    println!(
        "false events on clean clips: showrunner {}{}",
        r.showrunner.clean_false_events.len(),
        ff.map_or(String::new(), |f| format!(", ffmpeg {}", f.clean_false_events.len()))
    );
    for (clip, e) in &r.showrunner.clean_false_events {
        println!("  {clip}: {} {:.2}-{:.2}s", e.kind, e.start_s, e.end_s);
    }
    let loud = r.unlabelled_events.iter().filter(|(_, e)| e.kind == DefectType::Loudness).count();
    println!("unlabelled events (loudness): {loud}");
    println!("\nthroughput, single-threaded, media s per wall s:");
    let mut t = Table::new(&[
        "CLIPS",
        "COUNT",
        "MEDIA_S",
        "SHOWRUNNER",
        "FFMPEG_FILTERS",
        "DECODE_ONLY",
        "SR/DECODE",
        "SR/FILTERS",
    ]);
    for (name, tp) in [("all", all), ("720p", r.throughput(|h| h == 720))] {
        let ratio = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{:.2}", tp.showrunner / x));
        let speed = |x: Option<f64>| x.map_or("-".to_string(), |x| format!("{x:.1}"));
        t.row(vec![
            name.to_string(),
            tp.clips.to_string(),
            format!("{:.0}", tp.media_s),
            format!("{:.1}", tp.showrunner),
            speed(tp.ffmpeg_filters),
            speed(tp.decode),
            ratio(tp.decode),
            ratio(tp.ffmpeg_filters),
        ]);
    }
    println!("{}", t.render());
}
