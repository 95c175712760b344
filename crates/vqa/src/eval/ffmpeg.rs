//! The baseline: FFmpeg's own detection filters on the same clips, run
//! through the `ffmpeg` CLI and turned into events of the same shape.
//!
//! Filters and settings (the thresholds of showrunner's defaults where
//! the filter has an equivalent, so the comparison is like for like):
//! `freezedetect=n=-60dB:d=1`, `blackdetect=d=0.5:pix_th=0.10:pic_th=0.98`,
//! `blockdetect` (per-frame value; a frame counts as blocky when it exceeds
//! the clip's median by 10%), `silencedetect=n=-60dB:d=0.5`, and a
//! peak-based clipping check from `astats` (per audio frame peak at or above
//! −0.1 dBFS, sustained 0.5 s with gaps up to 0.2 s merged).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use showrunner_core::{DefectEvent, DefectType, Evidence};

use crate::interval::IntervalTracker;

/// Types the FFmpeg filter chain covers.
pub const COVERED: [DefectType; 5] = [
    DefectType::VideoFreeze,
    DefectType::Black,
    DefectType::BlockCorruption,
    DefectType::AudioSilence,
    DefectType::AudioClipping,
];

/// Runs the filter chain on `clip` single-threaded; returns its events and
/// the wall time it took.
pub fn detect(clip: &Path, scratch: &Path) -> Result<(Vec<DefectEvent>, Duration), String> {
    let block_file = scratch.join("blockdetect.txt");
    let peak_file = scratch.join("astats.txt");
    let graph = format!(
        "[0:v]freezedetect=n=-60dB:d=1,blackdetect=d=0.5:pix_th=0.10:pic_th=0.98,blockdetect,\
         metadata=mode=print:key=lavfi.block:file='{}'[v];\
         [0:a]silencedetect=n=-60dB:d=0.5,astats=metadata=1:reset=1,\
         ametadata=mode=print:key=lavfi.astats.Overall.Peak_level:file='{}'[a]",
        block_file.display(),
        peak_file.display()
    );
    let started = Instant::now();
    let output = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-nostdin",
            "-nostats",
            "-threads",
            "1",
            "-filter_threads",
            "1",
            "-filter_complex_threads",
            "1",
        ])
        .arg("-i")
        .arg(clip)
        .args(["-filter_complex", &graph, "-map", "[v]", "-map", "[a]", "-f", "null", "-"])
        .output()
        .map_err(|e| format!("cannot run ffmpeg: {e}"))?;
    let elapsed = started.elapsed();
    if !output.status.success() {
        return Err(format!("ffmpeg failed on {}: {}", clip.display(), String::from_utf8_lossy(&output.stderr).trim()));
    }
    let log = String::from_utf8_lossy(&output.stderr);
    let mut events = parse_log(&log);
    let blocks = std::fs::read_to_string(&block_file).unwrap_or_default();
    events.extend(block_events(&parse_metadata(&blocks, "lavfi.block")));
    let peaks = std::fs::read_to_string(&peak_file).unwrap_or_default();
    events.extend(clipping_events(&parse_metadata(&peaks, "lavfi.astats.Overall.Peak_level")));
    Ok((events, elapsed))
}

/// Times FFmpeg decoding `clip` to nothing, single-threaded: the floor
/// any analysis of the same file stands on.
pub fn decode_only(clip: &Path) -> Result<Duration, String> {
    let started = Instant::now();
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-threads", "1"])
        .arg("-i")
        .arg(clip)
        .args(["-f", "null", "-"])
        .stderr(std::process::Stdio::null())
        .status()
        .map_err(|e| format!("cannot run ffmpeg: {e}"))?;
    if !status.success() {
        return Err(format!("ffmpeg could not decode {}", clip.display()));
    }
    Ok(started.elapsed())
}

fn baseline_event(kind: DefectType, start_s: f64, end_s: f64) -> DefectEvent {
    DefectEvent { kind, start_s, end_s, confidence: 1.0, evidence: Evidence::new(), offset_ms: None }
}

fn number_after(line: &str, key: &str) -> Option<f64> {
    let rest = &line[line.find(key)? + key.len()..];
    let token: String =
        rest.trim_start().chars().take_while(|c| c.is_ascii_digit() || matches!(c, '.' | '-' | 'e')).collect();
    token.parse().ok()
}

/// Events from the filters that log to stderr (freeze, black, silence).
fn parse_log(log: &str) -> Vec<DefectEvent> {
    let mut events = Vec::new();
    let (mut freeze, mut silence) = (None, None);
    for line in log.lines() {
        if let Some(s) = number_after(line, "freeze_start:") {
            freeze = Some(s);
        } else if let Some(e) = number_after(line, "freeze_end:") {
            events.push(baseline_event(DefectType::VideoFreeze, freeze.take().unwrap_or(e), e));
        } else if let (Some(s), Some(e)) = (number_after(line, "black_start:"), number_after(line, "black_end:")) {
            events.push(baseline_event(DefectType::Black, s, e));
        } else if let Some(s) = number_after(line, "silence_start:") {
            silence = Some(s);
        } else if let Some(e) = number_after(line, "silence_end:") {
            events.push(baseline_event(DefectType::AudioSilence, silence.take().unwrap_or(e), e));
        }
    }
    // Open at the end of the stream: FFmpeg 5.1 logs no end; close at the last time seen.
    if let Some(s) = freeze {
        events.push(baseline_event(DefectType::VideoFreeze, s, f64::MAX));
    }
    if let Some(s) = silence {
        events.push(baseline_event(DefectType::AudioSilence, s, f64::MAX));
    }
    events
}

/// `(pts_time, value)` pairs from a `metadata=mode=print` file.
fn parse_metadata(text: &str, key: &str) -> Vec<(f64, f64)> {
    let mut out = Vec::new();
    let mut time = None;
    for line in text.lines() {
        if let Some(t) = number_after(line, "pts_time:") {
            time = Some(t);
        } else if let Some(v) = line.strip_prefix(&format!("{key}=")) {
            if let (Some(t), Ok(v)) = (time, v.trim().parse::<f64>()) {
                out.push((t, v));
            }
        }
    }
    out
}

fn runs(
    samples: &[(f64, f64)],
    unit_s: f64,
    min_s: f64,
    gap_s: f64,
    active: impl Fn(f64) -> bool,
    kind: DefectType,
) -> Vec<DefectEvent> {
    let mut tracker = IntervalTracker::new(min_s, gap_s);
    let mut events = Vec::new();
    for &(t, v) in samples {
        if let Some((s, e)) = tracker.update(t, t + unit_s, active(v)).closed {
            events.push(baseline_event(kind, s, e));
        }
    }
    if let Some((s, e)) = tracker.finish() {
        events.push(baseline_event(kind, s, e));
    }
    events
}

fn block_events(values: &[(f64, f64)]) -> Vec<DefectEvent> {
    let mut sorted: Vec<f64> = values.iter().map(|(_, v)| *v).collect();
    sorted.sort_by(f64::total_cmp);
    let Some(&median) = sorted.get(sorted.len() / 2) else { return Vec::new() };
    runs(values, 0.04, 0.0, 0.5, |v| v > median * 1.1, DefectType::BlockCorruption)
}

fn clipping_events(peaks: &[(f64, f64)]) -> Vec<DefectEvent> {
    runs(peaks, 1024.0 / 48_000.0, 0.5, 0.2, |db| db >= -0.1, DefectType::AudioClipping)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filter_logs() {
        let log = "[freezedetect @ 0x1] lavfi.freezedetect.freeze_start: 3.04\n\
                   [freezedetect @ 0x1] lavfi.freezedetect.freeze_duration: 2\n\
                   [freezedetect @ 0x1] lavfi.freezedetect.freeze_end: 5.04\n\
                   [blackdetect @ 0x2] black_start:7 black_end:8.52 black_duration:1.52\n\
                   [silencedetect @ 0x3] silence_start: 10.02\n\
                   [silencedetect @ 0x3] silence_end: 11.5 | silence_duration: 1.48\n";
        let ev = parse_log(log);
        assert_eq!(ev.len(), 3);
        assert_eq!((ev[0].kind, ev[0].start_s, ev[0].end_s), (DefectType::VideoFreeze, 3.04, 5.04));
        assert_eq!((ev[1].kind, ev[1].start_s, ev[1].end_s), (DefectType::Black, 7.0, 8.52));
        assert_eq!((ev[2].kind, ev[2].start_s, ev[2].end_s), (DefectType::AudioSilence, 10.02, 11.5));
    }

    #[test]
    fn parses_metadata_files_into_clipping_runs() {
        let mut text = String::new();
        for i in 0..100 {
            let t = i as f64 * 1024.0 / 48_000.0;
            let peak = if (20..60).contains(&i) { "0.000000" } else { "-6.0" };
            text.push_str(&format!(
                "frame:{i}    pts:{}  pts_time:{t}\nlavfi.astats.Overall.Peak_level={peak}\n",
                i * 1024
            ));
        }
        let peaks = parse_metadata(&text, "lavfi.astats.Overall.Peak_level");
        assert_eq!(peaks.len(), 100);
        let ev = clipping_events(&peaks);
        assert_eq!(ev.len(), 1);
        assert!((ev[0].start_s - 20.0 * 1024.0 / 48_000.0).abs() < 1e-9);
    }
}
