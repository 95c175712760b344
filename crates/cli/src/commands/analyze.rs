//! `showrunner analyze <input>...`: decode inputs and report their defects.
//!
//! Exit status: 0 when no defect was found, 1 when at least one was (so a
//! script can gate on it), 2 when an input could not be analysed or the
//! arguments are wrong.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use anyhow::Result;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::{MediaError, OpenOptions};
use showrunner_vqa::{analyze, AnalysisReport};

use crate::settings::ConfigArgs;
use crate::table::Table;

/// Arguments of `showrunner analyze`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Files or URLs (anything FFmpeg opens: .ts, .mp4, .mkv, http(s)://…m3u8, udp://, srt://, rtmp://).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// Print one JSON object per defect per line instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Detectors to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub detectors: Option<Vec<DefectType>>,
    /// Decoder threads per input (0 = one per core, 1 = single-threaded).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Inputs analysed at the same time (default: the number of cores).
    #[arg(long)]
    pub jobs: Option<usize>,
    /// Do not draw progress bars.
    #[arg(long)]
    pub no_progress: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// One line of `--json` output.
#[derive(Serialize)]
struct JsonEvent<'a> {
    input: &'a str,
    #[serde(flatten)]
    event: &'a DefectEvent,
}

/// Runs the command; returns the exit status.
pub fn run(args: Args) -> Result<i32> {
    let config = args.config.vqa()?;
    let enabled = args.detectors.clone().unwrap_or_else(|| DefectType::ALL.to_vec());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let jobs = args.jobs.unwrap_or(cores).clamp(1, args.inputs.len().max(1));
    let options = OpenOptions { threads: args.threads, ..OpenOptions::default() };

    let bars = MultiProgress::with_draw_target(if args.no_progress || args.json {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    let style = ProgressStyle::with_template("{prefix:30!} [{bar:30}] {pos:>5}/{len:5}s {msg}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");

    let results: Vec<Mutex<Option<Result<AnalysisReport, MediaError>>>> =
        args.inputs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                let Some(input) = args.inputs.get(i) else { break };
                let bar = bars.add(ProgressBar::new(0).with_style(style.clone()).with_prefix(input.clone()));
                // A bug in one input's analysis must not take the others down:
                // a panic is reported as that input's failure.
                let report = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    analyze(input, &config, &enabled, &options, |pos, duration| {
                        if let Some(d) = duration {
                            bar.set_length(d.ceil() as u64);
                        }
                        bar.set_position(pos as u64);
                    })
                }));
                bar.finish_and_clear();
                if let (Ok(mut slot), Ok(report)) = (results[i].lock(), report) {
                    *slot = Some(report);
                }
            });
        }
    });

    let mut stdout = String::new();
    let mut failed = false;
    let mut found = false;
    let mut defects = Table::new(&["INPUT", "TYPE", "START_S", "END_S", "DUR_S", "CONF", "EVIDENCE"]);
    let mut summaries = Vec::new();
    for (input, slot) in args.inputs.iter().zip(results) {
        let report = slot.into_inner().ok().flatten();
        match report {
            Some(Ok(report)) => {
                found |= !report.events.is_empty();
                if args.json {
                    for event in &report.events {
                        stdout.push_str(&serde_json::to_string(&JsonEvent { input, event })?);
                        stdout.push('\n');
                    }
                } else {
                    for e in &report.events {
                        defects.row(event_row(input, e));
                    }
                    summaries.push(summary_line(input, &report));
                }
            }
            Some(Err(err)) => {
                failed = true;
                eprintln!("error: {err}");
            }
            None => {
                failed = true;
                eprintln!("error: {input}: internal error during analysis (please report it with the input)");
            }
        }
    }
    if !args.json {
        for line in &summaries {
            stdout.push_str(line);
            stdout.push('\n');
        }
        stdout.push('\n');
        stdout.push_str(&if defects.is_empty() { "no defects found".to_string() } else { defects.render() });
        stdout.push('\n');
    }
    crate::table::write_stdout(&stdout)?;
    Ok(if failed {
        2
    } else if found {
        1
    } else {
        0
    })
}

fn event_row(input: &str, e: &DefectEvent) -> Vec<String> {
    let mut evidence: Vec<String> =
        e.evidence.iter().filter(|(k, _)| *k != "duration_s").map(|(k, v)| format!("{k}={v}")).collect();
    if let Some(off) = e.offset_ms {
        evidence.insert(0, format!("offset_ms={off:+}"));
    }
    vec![
        input.to_string(),
        e.kind.to_string(),
        format!("{:.2}", e.start_s),
        format!("{:.2}", e.end_s),
        format!("{:.2}", e.duration_s()),
        format!("{:.2}", e.confidence),
        evidence.join(" "),
    ]
}

fn summary_line(input: &str, report: &AnalysisReport) -> String {
    let s = &report.stats;
    let mut parts = vec![format!("{input}: {:.1}s, {} frames, {:.1}s audio", s.media_s, s.video_frames, s.audio_s)];
    if s.damaged_frames > 0 || s.signals > 0 {
        parts.push(format!("{} damaged frames, {} decoder signals", s.damaged_frames, s.signals));
    }
    if let Some(l) = report.summaries.get(&DefectType::Loudness) {
        let mut text = String::from("loudness");
        for (key, label, unit) in [
            ("integrated_lufs", "integrated", "LUFS"),
            ("true_peak_dbtp", "true peak", "dBTP"),
            ("max_short_term_lufs", "max short-term", "LUFS"),
        ] {
            if let Some(v) = l.get(key) {
                text.push_str(&format!(" {label} {v:.1} {unit}"));
            }
        }
        parts.push(text);
    }
    if let Some(d) = report.summaries.get(&DefectType::AvDesync) {
        parts.push(format!(
            "A/V offset {:+.0} ms (median of {} estimates, r={:.2})",
            d.get("median_offset_ms").copied().unwrap_or(0.0),
            d.get("estimates").copied().unwrap_or(0.0),
            d.get("mean_correlation").copied().unwrap_or(0.0)
        ));
    }
    parts.join("; ")
}
