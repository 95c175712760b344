//! `showrunner artwork check|synth|eval|runs|tune|queue|config`: artwork
//! moderation, its evaluation loop and its review queue.
//!
//! `check` exits 1 when some image has a defect (that is its point), 2 on
//! an input error.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use showrunner_artwork::eval::{self, Dataset, DefectScore};
use showrunner_artwork::html::{write_report, RunSummary};
use showrunner_artwork::llm::LlmConfig;
use showrunner_artwork::review::{reviewed_dir, Decision, ReviewStore};
use showrunner_artwork::runs::RunStore;
use showrunner_artwork::synth::{self, SynthOptions};
use showrunner_artwork::tune::{self, Objective, Sample};
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
    /// Loads the models and the configuration.
    pub fn checker(&self) -> Result<Checker> {
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
    /// Search one check's thresholds for the best F-beta on a labelled
    /// dataset and write them as a new configuration version.
    Tune {
        /// Directory with the images, labels.json and (optional) manifest.json.
        #[arg(long)]
        dataset: PathBuf,
        /// The check to tune: safe_zone, legibility, colour_blind, pixelation, localization.
        #[arg(long)]
        defect: String,
        /// What to maximise: f0.5 favours precision, f1, f2 favours recall.
        #[arg(long, default_value = "f0.5")]
        objective: Objective,
        #[command(flatten)]
        model: ModelArgs,
        /// Where the run store lives; new configurations go in its
        /// `artwork-configs/`.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// The review queue of disputed verdicts.
    #[command(subcommand)]
    Queue(QueueCommand),
    /// Print the default configuration (TOML) to start a custom one from.
    Config {
        /// Include the optional `[llm]` section with its default prompts.
        #[arg(long)]
        llm: bool,
    },
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

/// `artwork queue` subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum QueueCommand {
    /// Disputes waiting for a decision (with --all, decided ones too).
    List {
        /// Show decided disputes as well.
        #[arg(long)]
        all: bool,
        /// Where `serve` keeps its state.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
    /// Decide a dispute; the decision becomes a label of the reviewed
    /// dataset (`<data-dir>/artwork/reviewed`) that the next eval uses.
    Decide {
        /// The dispute's number (`queue list`).
        id: i64,
        /// What the reviewer saw: the defect is there, or the image is clean.
        #[arg(value_enum)]
        decision: Finding,
        /// Who decided.
        #[arg(long)]
        reviewer: String,
        /// Why.
        #[arg(long, default_value = "")]
        note: String,
        /// Where `serve` keeps its state.
        #[arg(long, default_value = "./data")]
        data_dir: PathBuf,
    },
}

/// A reviewer's finding.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Finding {
    /// The defect is present: the check was right to flag it (or wrong to pass it).
    Defect,
    /// The defect is absent.
    Clean,
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
            write_stdout(&format!("{}\n", table.render()))?;
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
            write_stdout(&format!("run {a} → run {b}\n{}\n", table.render()))?;
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
            write_stdout(&format!("{} verdict(s) flipped\n{}\n", c.flipped.len(), flips.render()))?;
            Ok(0)
        }
        Command::Tune { dataset, defect, objective, model, data_dir } => {
            tune_check(&dataset, &defect, objective, &model, &data_dir)
        }
        Command::Queue(QueueCommand::List { all, data_dir }) => {
            let store = ReviewStore::open(&data_dir)?;
            let mut table = Table::new(&["dispute", "check", "image", "defect", "flagged", "reason", "decision"]);
            for d in store.queue(all)? {
                let decision = d.decision.map_or("open".to_owned(), |d| {
                    format!("{} by {}", if d.present { "defect" } else { "clean" }, d.reviewer)
                });
                table.row(vec![
                    d.id.to_string(),
                    d.check.to_string(),
                    d.image,
                    d.defect,
                    d.flagged.to_string(),
                    d.reason,
                    decision,
                ]);
            }
            write_stdout(&format!("{}\n", table.render()))?;
            Ok(0)
        }
        Command::Queue(QueueCommand::Decide { id, decision, reviewer, note, data_dir }) => {
            let mut store = ReviewStore::open(&data_dir)?;
            let present = matches!(decision, Finding::Defect);
            let d = store.decide(id, &Decision { present, reviewer, note, at: now() })?;
            println!(
                "dispute {id}: {} {} — labelled in {} (showrunner artwork eval --dataset {})",
                d.image,
                if present { format!("has the {} defect", d.defect) } else { format!("is clean of {}", d.defect) },
                reviewed_dir(&data_dir).display(),
                reviewed_dir(&data_dir).display()
            );
            Ok(0)
        }
        Command::Config { llm } => {
            let config = ArtworkConfig { llm: llm.then(LlmConfig::default), ..ArtworkConfig::default() };
            print!("{}", config.to_toml());
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
    for notice in &report.notices {
        println!("  ({notice})");
    }
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
    let run = store.record(&now(), &dir.display().to_string(), &checker.config, &outcomes)?;
    let html = write_report(
        &data_dir.join("artwork-runs").join(run.to_string()),
        &RunSummary { run, dataset: dir, config: &checker.config },
        &results,
    )?;
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
    write_stdout(&format!(
        "run {run}: {} images, config {}, {mean_ms:.0} ms per image\n{}\nreport: {}\n",
        outcomes.len(),
        checker.config.version(),
        score_table(scores.iter()).render(),
        html.display()
    ))?;
    Ok(0)
}

/// Per-defect precision, recall, F1 and confusion counts.
fn score_table<'a>(scores: impl Iterator<Item = (&'a String, &'a DefectScore)>) -> Table {
    let mut table = Table::new(&["defect", "precision", "recall", "F1", "TP", "FP", "FN", "TN"]);
    for (defect, s) in scores {
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
    table
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn tune_check(dir: &Path, defect: &str, objective: Objective, model: &ModelArgs, data_dir: &Path) -> Result<i32> {
    tune::parameters(defect, &ArtworkConfig::default())?; // an unknown defect fails before the models run
    let dataset = Dataset::load(dir)?;
    let checker = model.checker()?;
    let bar = progress(dataset.labels.len(), "images through the models");
    let mut samples = Vec::new();
    eval::for_each_scene(&checker, dir, &dataset, |i, image, scene, _| {
        bar.set_position(i as u64);
        match scene {
            Ok(scene) => samples.push(Sample { image: image.to_owned(), scene }),
            Err(e) => bar.println(format!("skipped {image}: {e}")),
        }
    });
    bar.finish_and_clear();
    let tuned = tune::tune(&samples, &dataset, &checker.config, defect, objective)?;
    let path = tune::write_version(&data_dir.join("artwork-configs"), &tuned.config)?;
    let mut store = RunStore::open(&data_dir.join("artwork.db")).context("opening the run store")?;
    let dataset_name = dir.display().to_string();
    let before =
        store.record(&now(), &dataset_name, &checker.config, &tune::outcomes(&samples, &dataset, &checker.config))?;
    let after =
        store.record(&now(), &dataset_name, &tuned.config, &tune::outcomes(&samples, &dataset, &tuned.config))?;
    let mut changes = Table::new(&["parameter", "was", "now"]);
    for (name, was, now) in &tuned.changed {
        changes.row(vec![name.to_string(), format!("{was}"), format!("{now}")]);
    }
    let beta = objective.beta;
    write_stdout(&format!(
        "{defect}: {objective} {:.3} → {:.3} ({} settings tried on {} images in {:.1} s)\n{}\n{}\n\
         new configuration {} written to {}\n\
         runs {before} (old) and {after} (new) stored: showrunner artwork runs compare {before} {after}\n",
        tuned.before.f_beta(beta),
        tuned.after.f_beta(beta),
        tuned.tried,
        samples.len(),
        tuned.seconds,
        score_table(
            [(&format!("{defect} (old)"), &tuned.before), (&format!("{defect} (new)"), &tuned.after)].into_iter()
        )
        .render(),
        if tuned.changed.is_empty() {
            "no parameter moved: the current settings are already the best found".to_owned()
        } else {
            changes.render()
        },
        tuned.config.version(),
        path.display(),
    ))?;
    Ok(0)
}
