//! End-to-end: clips rendered by the `ffmpeg` CLI with defects at known
//! times, decoded in-process and analysed; each defect must be found with
//! the right type and times (±0.2 s), and nothing else.

use std::path::{Path, PathBuf};
use std::process::Command;

use rand::SeedableRng;
use showrunner_core::{DefectEvent, DefectType};
use showrunner_media::OpenOptions;
use showrunner_vqa::corpus::damage::DamageMode;
use showrunner_vqa::corpus::labels::Role;
use showrunner_vqa::corpus::plan::{ClipPlan, HardNegative, Injection, Source};
use showrunner_vqa::corpus::render_clip;
use showrunner_vqa::{analyze, VqaConfig};

fn render(
    dir: &Path,
    name: &str,
    source: Source,
    seconds: f64,
    injections: Vec<Injection>,
    hard_negatives: Vec<HardNegative>,
) -> PathBuf {
    let plan =
        ClipPlan { name: name.into(), source, duration_s: seconds, role: Role::Defects, injections, hard_negatives };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    render_clip(&plan, Path::new("/nonexistent-samples"), dir, &mut rng).expect("ffmpeg renders the clip");
    dir.join(name)
}

fn events(path: &Path) -> Vec<DefectEvent> {
    let report = analyze(
        &path.display().to_string(),
        &VqaConfig::default(),
        &DefectType::ALL,
        &OpenOptions::default(),
        |_, _| {},
    )
    .expect("analysis succeeds");
    report.events
}

fn only(events: &[DefectEvent], kind: DefectType) -> &DefectEvent {
    let matching: Vec<&DefectEvent> = events.iter().filter(|e| e.kind == kind).collect();
    assert_eq!(matching.len(), 1, "expected one {kind}, got {events:#?}");
    assert_eq!(events.len(), 1, "expected only {kind}, got {events:#?}");
    matching[0]
}

fn assert_times(e: &DefectEvent, start: f64, end: f64) {
    assert!((e.start_s - start).abs() <= 0.2 && (e.end_s - end).abs() <= 0.2, "expected {start}-{end}, got {e:#?}");
}

#[test]
fn freeze_in_moving_content() {
    let dir = tempfile::tempdir().unwrap();
    let clip = render(
        dir.path(),
        "freeze.mp4",
        Source::Testsrc2,
        9.0,
        vec![Injection::Freeze { start_s: 3.0, end_s: 5.0 }],
        vec![],
    );
    assert_times(only(&events(&clip), DefectType::VideoFreeze), 3.0, 5.0);
}

#[test]
fn black_segment_is_black_only() {
    let dir = tempfile::tempdir().unwrap();
    let clip = render(
        dir.path(),
        "black.ts",
        Source::Testsrc2,
        8.0,
        vec![Injection::Black { start_s: 2.0, end_s: 3.5 }],
        vec![],
    );
    assert_times(only(&events(&clip), DefectType::Black), 2.0, 3.5);
}

#[test]
fn audio_dropout() {
    let dir = tempfile::tempdir().unwrap();
    let clip = render(
        dir.path(),
        "silence.mp4",
        Source::Testsrc2,
        8.0,
        vec![Injection::Silence { start_s: 3.0, end_s: 4.5 }],
        vec![],
    );
    assert_times(only(&events(&clip), DefectType::AudioSilence), 3.0, 4.5);
}

#[test]
fn sustained_clipping() {
    let dir = tempfile::tempdir().unwrap();
    let clip = render(
        dir.path(),
        "clip.mp4",
        Source::Testsrc2,
        8.0,
        vec![Injection::Clipping { start_s: 2.0, end_s: 4.0, gain_db: 20.0 }],
        vec![],
    );
    assert_times(only(&events(&clip), DefectType::AudioClipping), 2.0, 4.0);
}

#[test]
fn bitstream_damage_is_block_corruption() {
    let dir = tempfile::tempdir().unwrap();
    let clip = render(
        dir.path(),
        "damage.ts",
        Source::Testsrc2,
        8.0,
        vec![Injection::BlockCorruption { start_s: 3.0, end_s: 4.0, mode: DamageMode::Bitflip, rate: 0.1 }],
        vec![],
    );
    assert_times(only(&events(&clip), DefectType::BlockCorruption), 3.0, 4.0);
}

#[test]
fn late_audio_is_measured() {
    let dir = tempfile::tempdir().unwrap();
    let flashes: Vec<f64> = (0..16).map(|i| ((0.7 + f64::from(i) * 1.53) * 25.0).round() / 25.0).collect();
    let clip = render(
        dir.path(),
        "lipsync.mp4",
        Source::SyncPattern(flashes),
        25.0,
        vec![Injection::Desync { start_s: 0.0, end_s: 25.0, offset_ms: 240.0, whole: true }],
        vec![],
    );
    let found = events(&clip);
    let e = only(&found, DefectType::AvDesync);
    let offset = e.offset_ms.expect("desync carries its offset");
    assert!((offset - 240.0).abs() <= 40.0, "{e:#?}");
}

#[test]
fn clean_clip_and_hard_negatives_give_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let clip = render(
        dir.path(),
        "hard.ts",
        Source::Testsrc2,
        20.0,
        vec![],
        vec![
            HardNegative::StillBars { start_s: 2.0, end_s: 6.0 },
            HardNegative::FadeThroughBlack { at_s: 8.0 },
            HardNegative::DarkScene { start_s: 10.0, end_s: 13.0 },
            HardNegative::QuietPassage { start_s: 14.0, end_s: 17.0 },
        ],
    );
    let found = events(&clip);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn plain_ffmpeg_freeze_without_the_corpus_generator() {
    // The same judgement on a clip made with a hand-written command: a
    // moving pattern whose frames 50–99 repeat frame 49 (2.0–4.0 s at 25 fps).
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("plain.mkv");
    let status = Command::new("ffmpeg")
        .args([
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=320x240:rate=25:duration=6",
        ])
        .args(["-filter_complex", "[0:v]split[a][b];[a][b]freezeframes=first=50:last=99:replace=49[v]", "-map", "[v]"])
        .args(["-c:v", "libx264", "-preset", "ultrafast"])
        .arg(&out)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    assert_times(only(&events(&out), DefectType::VideoFreeze), 2.0, 4.0);
}

#[test]
fn integrated_loudness_matches_ffmpegs_ebur128() {
    let dir = tempfile::tempdir().unwrap();
    let clip = render(dir.path(), "level.mp4", Source::Testsrc2, 12.0, vec![], vec![]);
    let report = analyze(
        &clip.display().to_string(),
        &VqaConfig::default(),
        &[DefectType::Loudness],
        &OpenOptions::default(),
        |_, _| {},
    )
    .expect("analysis succeeds");
    let ours = report.summaries[&DefectType::Loudness]["integrated_lufs"];
    let out = Command::new("ffmpeg")
        .args(["-nostats", "-i"])
        .arg(&clip)
        .args(["-af", "ebur128", "-f", "null", "-"])
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let summary = &log[log.rfind("Summary:").expect("ebur128 summary")..];
    let theirs: f64 = summary
        .lines()
        .find_map(|l| l.trim().strip_prefix("I:"))
        .and_then(|v| v.trim().trim_end_matches("LUFS").trim().parse().ok())
        .expect("integrated loudness in the summary");
    assert!((ours - theirs).abs() <= 0.3, "showrunner {ours} LUFS, ffmpeg ebur128 {theirs} LUFS");
}
