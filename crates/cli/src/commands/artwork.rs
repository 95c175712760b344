//! `showrunner artwork check|synth|eval|runs|config`: artwork moderation
//! and its evaluation loop.
//!
//! `check` exits 1 when some image has a defect (that is its point), 2 on
//! an input error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use showrunner_artwork::eval::{self, Dataset};
use showrunner_artwork::runs::RunStore;
use showrunner_artwork::synth::{self, SynthOptions};
use showrunner_artwork::{Artwork, ArtworkConfig, Checker, Models, Report, Target};

use crate::table::{write_stdout, Table};

/// Where the models and the configuration come from.
#[derive(clap::Args, Debug)]
pub struct ModelArgs {
    /// Thresholds and device profiles (TOML); the shipped defaults otherwise.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Directory with the PP-OCR and NudeNet ONNX files.
    #[arg(long, default_value = ".cache/models", env = "SHOWRUNNER_MODELS")]
    models: PathBuf,
}

impl ModelArgs {
    fn checker(&self) -> Result<Checker> {
        let config = match &self.config {
            Some(path) => ArtworkConfig::load(path)?,
            None => ArtworkConfig::default(),
        };
        Ok(Checker::new(Models::load(&self.models)?, config))
    }
}

/// Artwork subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Check images: one verdict per defect type, with evidence.
    Check {
        /// Image files (PNG, JPEG, WebP).
        #[arg(required = true)]
        images: Vec<PathBuf>,
        /// Artwork kind: hero, poster, tile, logo (or one from --config).
        #[arg(long, default_value = "hero")]
        kind: String,
        /// The market's locale; text should be in its language.
        #[arg(long, default_value = "en-US")]
        locale: String,
        /// Audience rating for mature content: kids, general, adult.
        #[arg(long, default_value = "")]
        rating: String,
        #[command(flatten)]
        model: ModelArgs,
        /// One JSON report per line.
        #[arg(long)]
        json: bool,
    },
    /// Generate a labelled dataset of posters from sample photographs.
    Synth {
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Seed; the same seed gives the same dataset.
        #[arg(long)]
        seed: u64,
        /// Number of posters.
        #[arg(long, default_value_t = 320)]
        count: usize,
        /// The sample photographs (scripts/fetch-models.sh).
        #[arg(long, default_value = ".cache/photos")]
        photos: PathBuf,
        /// The DejaVu fonts.
        #[arg(long, default_value = synth::FONT_DIR)]
        fonts: PathBuf,
    },
    /// Check every image of a labelled dataset; per-defect precision, recall
    /// and F1; the run is stored for `runs compare`.
    Eval {
        /// Directory with the images, labels.json and (optional) manifest.json.
        #[arg(long)]
        dataset: PathBuf,
        #[command(flatten)]
        model: ModelArgs,
        /// Where the run store (artwork.db) lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
        /// Print the scores as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Stored evaluation runs.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Print the default configuration (TOML) to start a custom one from.
    Config,
}

/// `artwork runs` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum RunsCommand {
    /// List stored runs.
    List {
        /// Where the run store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Per-defect deltas between two runs and the images whose verdict flipped.
    Compare {
        /// The earlier run.
        a: i64,
        /// The later run.
        b: i64,
        /// Where the run store lives.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
}

/// Runs an artwork subcommand.
pub fn run(cmd: Command) -> Result<i32> {
    match cmd {
        Command::Check { images, kind, locale, rating, model, json } => {
            let checker = model.checker()?;
            let mut defects = 0;
            for path in &images {
                let artwork = Artwork::open(path)?;
                let report = checker
                    .check(artwork, Target { kind: kind.clone(), locale: locale.clone(), rating: rating.clone() })?;
                defects += report.failed().len();
                if json {
                    println!("{}", serde_json::to_string(&report)?);
                } else {
                    print_report(&report);
                }
            }
            Ok(if defects > 0 { 1 } else { 0 })
        }
        Command::Synth { out, seed, count, photos, fonts } => {
            let bar = progress(count, "posters");
            synth::synthesize(&SynthOptions { photos, fonts, count, seed }, &out, |i| bar.set_position(i as u64))?;
            bar.finish_and_clear();
            println!("wrote {count} labelled posters to {} (seed {seed}): labels.json, manifest.json", out.display());
            Ok(0)
        }
        Command::Eval { dataset, model, data_dir, json } => evaluate(&dataset, &model, &data_dir, json),
        Command::Runs(RunsCommand::List { data_dir }) => {
            let store = RunStore::open(&data_dir.join("artwork.db"))?;
            let mut table = Table::new(&["run", "at", "config", "dataset"]);
            for r in store.list()? {
                table.row(vec![r.id.to_string(), r.at, r.config_version, r.dataset]);
            }
            write_stdout(&table.render())?;
            Ok(0)
        }
        Command::Runs(RunsCommand::Compare { a, b, data_dir }) => {
            let store = RunStore::open(&data_dir.join("artwork.db"))?;
            let c = store.compare(a, b)?;
            let mut table = Table::new(&["defect", "precision", "Δ", "recall", "Δ", "F1", "Δ"]);
            for (defect, (sa, sb)) in &c.scores {
                let delta = |x: f64, y: f64| format!("{:+.3}", y - x);
                table.row(vec![
                    defect.clone(),
                    format!("{:.3}", sb.precision()),
                    delta(sa.precision(), sb.precision()),
                    format!("{:.3}", sb.recall()),
                    delta(sa.recall(), sb.recall()),
                    format!("{:.3}", sb.f_beta(1.0)),
                    delta(sa.f_beta(1.0), sb.f_beta(1.0)),
                ]);
            }
            write_stdout(&format!("run {a} → run {b}\n{}", table.render()))?;
            let mut flips = Table::new(&["image", "defect", "label", &format!("run {a}"), &format!("run {b}"), ""]);
            for (image, defect, label, pa, pb) in &c.flipped {
                let better = if pb == label { "fixed" } else { "broken" };
                flips.row(vec![
                    image.clone(),
                    defect.clone(),
                    label.to_string(),
                    pa.to_string(),
                    pb.to_string(),
                    better.into(),
                ]);
            }
            write_stdout(&format!("{} verdict(s) flipped\n{}", c.flipped.len(), flips.render()))?;
            Ok(0)
        }
        Command::Config => {
            print!("{}", ArtworkConfig::default().to_toml());
            Ok(0)
        }
    }
}

fn progress(len: usize, what: &str) -> ProgressBar {
    ProgressBar::new(len as u64).with_style(
        ProgressStyle::with_template(&format!("{{bar:30}} {{pos}}/{{len}} {what}  {{msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    )
}

fn print_report(report: &Report) {
    println!(
        "{} ({}×{}, {}, {}): {:.0} ms",
        report.name, report.width, report.height, report.kind, report.locale, report.elapsed_ms
    );
    for v in &report.verdicts {
        println!("  {:<15} {}  score {:.3}", v.check, if v.pass { "pass" } else { "FAIL" }, v.score);
        for e in v.evidence.iter().filter(|e| e.failing || v.pass) {
            println!("      {}{}", if e.failing { "✗ " } else { "" }, e.message);
        }
    }
}

fn evaluate(dir: &Path, model: &ModelArgs, data_dir: &Path, json: bool) -> Result<i32> {
    let dataset = Dataset::load(dir)?;
    let checker = model.checker()?;
    let bar = progress(dataset.labels.len(), "images");
    let results = eval::evaluate(&checker, dir, &dataset, |i, o| {
        bar.set_position(i as u64);
        bar.set_message(o.image.clone());
    });
    bar.finish_and_clear();
    let outcomes: Vec<_> = results.iter().map(|(o, _)| o.clone()).collect();
    for o in outcomes.iter().filter(|o| o.error.is_some()) {
        eprintln!("skipped {}: {}", o.image, o.error.as_deref().unwrap_or(""));
    }
    let scores = eval::score(&outcomes);
    let mut store = RunStore::open(&data_dir.join("artwork.db")).context("opening the run store")?;
    let at = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    let run = store.record(&at, &dir.display().to_string(), &checker.config, &outcomes)?;
    let times: Vec<f64> = results.iter().filter_map(|(_, r)| r.as_ref().map(|r| r.elapsed_ms)).collect();
    let mean_ms = times.iter().sum::<f64>() / times.len().max(1) as f64;
    if json {
        let by_defect: serde_json::Map<String, serde_json::Value> = scores
            .iter()
            .map(|(d, s)| {
                let v = serde_json::json!({"precision": s.precision(), "recall": s.recall(), "f1": s.f_beta(1.0), "counts": s});
                (d.clone(), v)
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"run": run, "config_version": checker.config.version(), "images": outcomes.len(), "mean_ms": mean_ms, "defects": by_defect})
        );
        return Ok(0);
    }
    let mut table = Table::new(&["defect", "precision", "recall", "F1", "TP", "FP", "FN", "TN"]);
    for (defect, s) in &scores {
        table.row(vec![
            defect.clone(),
            format!("{:.3}", s.precision()),
            format!("{:.3}", s.recall()),
            format!("{:.3}", s.f_beta(1.0)),
            s.true_positives.to_string(),
            s.false_positives.to_string(),
            s.false_negatives.to_string(),
            s.true_negatives.to_string(),
        ]);
    }
    write_stdout(&format!(
        "run {run}: {} images, config {}, {mean_ms:.0} ms per image\n{}",
        outcomes.len(),
        checker.config.version(),
        table.render()
    ))?;
    Ok(0)
}
