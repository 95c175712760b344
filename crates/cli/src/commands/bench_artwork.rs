//! `showrunner bench artwork`: time to check one 1920×1080 artwork with
//! every check — decode, text detection and recognition, NudeNet, and the
//! checks — on the cores this process may use (run it under
//! `taskset -c 0` for the one-core figure).
//!
//! The images are generated heroes (the synthesizer's, scaled to
//! 1920×1080 and JPEG-encoded), checked twice: the first pass pays for
//! compiling the models' plans for new input shapes, the second is the
//! steady state of a long-running server.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use image::imageops::FilterType;
use showrunner_artwork::synth::{self, SynthOptions};
use showrunner_artwork::{Artwork, Target};

use crate::table::Table;

/// `bench artwork` options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Images checked per pass.
    #[arg(long, default_value_t = 20)]
    images: usize,
    /// Width of the images.
    #[arg(long, default_value_t = 1920)]
    width: u32,
    /// Height of the images.
    #[arg(long, default_value_t = 1080)]
    height: u32,
    /// The sample photographs (scripts/fetch-models.sh).
    #[arg(long, default_value = ".cache/photos")]
    photos: PathBuf,
    /// The DejaVu fonts.
    #[arg(long, default_value = synth::FONT_DIR)]
    fonts: PathBuf,
    #[command(flatten)]
    model: super::artwork::ModelArgs,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// Milliseconds per stage of one image.
#[derive(Debug, Default, Clone, Copy)]
struct Timing {
    decode: f64,
    models: f64,
    checks: f64,
}

impl Timing {
    fn total(&self) -> f64 {
        self.decode + self.models + self.checks
    }
}

/// Runs the benchmark.
pub fn run(args: Args) -> Result<i32> {
    if args.images == 0 || args.width < 64 || args.height < 64 {
        bail!("--images must be at least 1 and the size at least 64×64");
    }
    let images = heroes(&args)?;
    let checker = args.model.checker()?;
    let target = Target { kind: "hero".into(), locale: "en-US".into(), rating: String::new() };
    let mut passes = Vec::new();
    for _ in 0..2 {
        let mut timings = Vec::new();
        for (name, bytes) in &images {
            let t0 = Instant::now();
            let artwork = Artwork::decode(name, bytes)?;
            let t1 = Instant::now();
            let scene = checker.scene(artwork, target.clone())?;
            let t2 = Instant::now();
            let report = showrunner_artwork::report(&scene, &checker.config, t2);
            let t3 = Instant::now();
            std::hint::black_box(report);
            let ms = |a: Instant, b: Instant| (b - a).as_secs_f64() * 1000.0;
            timings.push(Timing { decode: ms(t0, t1), models: ms(t1, t2), checks: ms(t2, t3) });
        }
        passes.push(timings);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let summary = |t: &[Timing]| {
        let mut totals: Vec<f64> = t.iter().map(Timing::total).collect();
        totals.sort_by(f64::total_cmp);
        let mean = |f: fn(&Timing) -> f64| t.iter().map(f).sum::<f64>() / t.len() as f64;
        serde_json::json!({
            "mean_ms": mean(Timing::total),
            "p50_ms": totals[totals.len() / 2],
            "max_ms": totals[totals.len() - 1],
            "decode_ms": mean(|t| t.decode),
            "models_ms": mean(|t| t.models),
            "checks_ms": mean(|t| t.checks),
        })
    };
    let (cold, warm) = (summary(&passes[0]), summary(&passes[1]));
    if args.json {
        println!(
            "{}",
            serde_json::json!({"images": images.len(), "width": args.width, "height": args.height, "config_version": checker.config.version(), "cores": cores, "first_pass": cold, "steady": warm})
        );
        return Ok(0);
    }
    let mut t = Table::new(&["PASS", "MEAN_MS", "P50_MS", "MAX_MS", "DECODE_MS", "MODELS_MS", "CHECKS_MS"]);
    for (name, s) in [("first (plans compiled)", &cold), ("steady state", &warm)] {
        let f = |k: &str| format!("{:.0}", s[k].as_f64().unwrap_or(0.0));
        t.row(vec![
            name.into(),
            f("mean_ms"),
            f("p50_ms"),
            f("max_ms"),
            f("decode_ms"),
            f("models_ms"),
            f("checks_ms"),
        ]);
    }
    println!(
        "{} JPEG heroes of {}×{}, all checks, config {}, {cores} core(s) available\n{}",
        images.len(),
        args.width,
        args.height,
        checker.config.version(),
        t.render()
    );
    Ok(0)
}

/// Generated heroes scaled to the benchmark's size, as JPEG files in memory.
fn heroes(args: &Args) -> Result<Vec<(String, Vec<u8>)>> {
    let dir = tempfile::tempdir().context("cannot create a temporary directory")?;
    let options =
        SynthOptions { photos: args.photos.clone(), fonts: args.fonts.clone(), count: args.images * 3, seed: 7 };
    synth::synthesize(&options, dir.path(), |_| {})?;
    let manifest: std::collections::BTreeMap<String, synth::ImageInfo> =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("manifest.json"))?)?;
    let mut out = Vec::new();
    for name in manifest.iter().filter(|(_, i)| i.kind == "hero").map(|(n, _)| n).take(args.images) {
        let picture = image::open(dir.path().join(name)).with_context(|| format!("reading {name}"))?;
        let picture = picture.resize_exact(args.width, args.height, FilterType::Lanczos3).to_rgb8();
        let mut bytes = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 90).encode_image(&picture)?;
        out.push((name.replace(".png", ".jpg"), bytes));
    }
    if out.is_empty() {
        bail!("the synthesizer made no hero images");
    }
    Ok(out)
}
