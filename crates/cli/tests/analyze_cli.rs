//! `showrunner analyze` as a user runs it: exit codes, JSON output, and a
//! clear error naming the input for every kind of bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{showrunner, stderr};

fn ffmpeg(args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success(), "ffmpeg {args:?}");
}

/// Renders `seconds` of a moving test pattern with a 440 Hz tone into
/// `dir/name`, with `audio_filter` applied to the tone (e.g. a dropout).
fn av_clip(dir: &Path, name: &str, seconds: u32, audio_filter: &str) -> PathBuf {
    let path = dir.join(name);
    let line = format!(
        "-f lavfi -i testsrc2=size=320x240:rate=25:duration={seconds} \
         -f lavfi -i sine=frequency=440:sample_rate=48000:duration={seconds} \
         -af {audio_filter} -c:v libx264 -preset ultrafast -c:a aac -shortest"
    );
    let mut args: Vec<&str> = line.split_whitespace().collect();
    args.push(path.to_str().unwrap());
    ffmpeg(&args);
    path
}

/// A 6 s clip with a 1.5 s audio dropout from 2.0 s.
fn clip_with_dropout(dir: &Path) -> PathBuf {
    av_clip(dir, "dropout.mp4", 6, "volume=0:enable='between(t,2,3.5)'")
}

#[test]
fn json_lines_carry_the_documented_fields_and_exit_1_on_findings() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_with_dropout(dir.path());
    let out = showrunner(&["analyze", "--json", clip.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<serde_json::Value> =
        stdout.lines().map(|l| serde_json::from_str(l).expect("valid JSON line")).collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    let e = &lines[0];
    assert_eq!(e["input"], clip.to_str().unwrap());
    assert_eq!(e["type"], "audio_silence");
    let (start, end) = (e["start_s"].as_f64().unwrap(), e["end_s"].as_f64().unwrap());
    assert!((start - 2.0).abs() <= 0.2 && (end - 3.5).abs() <= 0.2, "{e}");
    assert!(e["confidence"].as_f64().unwrap() > 0.5);
    assert!(e["evidence"]["max_rms_dbfs"].as_f64().unwrap() < -60.0);
}

#[test]
fn detectors_flag_selects_and_set_overrides_thresholds() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_with_dropout(dir.path());
    let only_video = showrunner(&["analyze", "--json", "--detectors", "black,video_freeze", clip.to_str().unwrap()]);
    assert_eq!(only_video.status.code(), Some(0), "{}", stderr(&only_video));
    assert!(only_video.stdout.is_empty());
    let longer = showrunner(&["analyze", "--json", "--set", "audio_silence.min_duration_s=2", clip.to_str().unwrap()]);
    assert_eq!(longer.status.code(), Some(0), "a 1.5 s dropout is below a 2 s minimum: {}", stderr(&longer));
}

#[test]
fn clean_input_exits_0_with_a_table() {
    let dir = tempfile::tempdir().unwrap();
    let path = av_clip(dir.path(), "clean.ts", 4, "anull");
    let out = showrunner(&["analyze", "--no-progress", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("no defects found") && stdout.contains("loudness integrated"), "{stdout}");
}

fn assert_input_error(args: &[&str], input: &str, what: &str) {
    let out = showrunner(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(input) && err.contains(what), "{args:?}: expected `{input}` and `{what}` in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_file() {
    assert_input_error(&["analyze", "/nonexistent/clip.ts"], "/nonexistent/clip.ts", "no such file");
}

#[test]
fn directory_instead_of_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    assert_input_error(&["analyze", path], path, "directory");
}

#[test]
fn file_that_is_not_media() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.mp4");
    std::fs::write(&path, "these are meeting notes, not a video\n".repeat(50)).unwrap();
    assert_input_error(&["analyze", path.to_str().unwrap()], path.to_str().unwrap(), "not a recognised media file");
}

#[test]
fn truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full.mp4");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25:duration=10",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-movflags",
        "+faststart",
        full.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&full).unwrap();
    let cut = dir.path().join("cut.mp4");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    assert_input_error(&["analyze", cut.to_str().unwrap()], cut.to_str().unwrap(), "truncated");
}

#[test]
fn unsupported_codec() {
    // A WAV whose format tag names a codec no FFmpeg build decodes.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("odd.wav");
    ffmpeg(&["-f", "lavfi", "-i", "sine=duration=1", path.to_str().unwrap()]);
    let mut bytes = std::fs::read(&path).unwrap();
    let fmt = bytes.windows(4).position(|w| w == b"fmt ").expect("fmt chunk");
    bytes[fmt + 8..fmt + 10].copy_from_slice(&0x7777u16.to_le_bytes());
    std::fs::write(&path, bytes).unwrap();
    assert_input_error(&["analyze", path.to_str().unwrap()], path.to_str().unwrap(), "unsupported codec");
}

#[test]
fn unreachable_url() {
    // Port 9 (discard) on loopback: nothing listens, the connection is refused.
    let url = "http://127.0.0.1:9/live/stream.m3u8";
    assert_input_error(&["analyze", url], url, "cannot open");
}

#[test]
fn one_bad_input_does_not_stop_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let clip = clip_with_dropout(dir.path());
    let out = showrunner(&["analyze", "--json", "/nonexistent.ts", clip.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("audio_silence"), "the good input is still reported");
    assert!(stderr(&out).contains("/nonexistent.ts"));
}

#[test]
fn bad_flags_are_usage_errors() {
    let unknown = showrunner(&["analyze", "--detectors", "blurry", "x.ts"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("blurry"));
    let bad_key = showrunner(&["analyze", "--set", "video_freeze.min_duration=2", "x.ts"]);
    assert_eq!(bad_key.status.code(), Some(2));
    assert!(stderr(&bad_key).contains("min_duration"), "{}", stderr(&bad_key));
    let bad_config = showrunner(&["analyze", "--config", "/nonexistent/showrunner.toml", "x.ts"]);
    assert_eq!(bad_config.status.code(), Some(2));
    assert!(stderr(&bad_config).contains("/nonexistent/showrunner.toml"));
}

#[test]
fn audio_only_input_is_analysed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("radio.m4a");
    ffmpeg(&[
        "-f",
        "lavfi",
        "-i",
        "sine=frequency=330:sample_rate=44100:duration=5",
        "-af",
        "volume=0:enable='between(t,1.5,3)'",
        "-c:a",
        "aac",
        path.to_str().unwrap(),
    ]);
    let out = showrunner(&["analyze", "--json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let e: serde_json::Value = serde_json::from_str(stdout.lines().next().expect("one event")).unwrap();
    assert_eq!(e["type"], "audio_silence");
    assert!(
        (e["start_s"].as_f64().unwrap() - 1.5).abs() <= 0.2 && (e["end_s"].as_f64().unwrap() - 3.0).abs() <= 0.2,
        "{e}"
    );
}
