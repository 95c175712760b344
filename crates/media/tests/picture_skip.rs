//! Skipping pictures to catch up: an 8 s H.264 clip with B pictures (one key
//! picture a second) decodes fewer pictures when non-reference ones are
//! skipped, only its key pictures when non-key ones are, and every picture
//! again, undamaged, once skipping stops — never reported as dropped frames,
//! and each picture lasting until the next, so detectors measuring durations
//! (a freeze must last 1 s) see the whole time.

use std::path::Path;
use std::process::Command;

use showrunner_media::{MediaInput, MediaItem, OpenOptions, PictureSkip, SkipControl};

/// 240 pictures at 30 fps, a key picture every 30, three B pictures
/// between references (the middle one of each run a reference too).
fn clip(dir: &Path) -> String {
    let path = dir.join("bframes.mp4");
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=8"])
        .args(["-c:v", "libx264", "-g", "30", "-keyint_min", "30", "-sc_threshold", "0", "-bf", "3"])
        .arg(&path)
        .status()
        .expect("ffmpeg runs");
    assert!(status.success());
    path.display().to_string()
}

/// Pictures decoded (their times), damaged pictures and decoder signals,
/// with `change` applied to the control after each picture; checks that
/// every picture lasts until the next.
fn decode(path: &str, control: &SkipControl, mut change: impl FnMut(usize)) -> (Vec<f64>, usize, usize) {
    let options = OpenOptions { audio: false, threads: 1, skip: Some(control.clone()), ..OpenOptions::default() };
    let mut input = MediaInput::open(path, &options).unwrap();
    let (mut times, mut damaged, mut signals) = (Vec::new(), 0, 0);
    let mut last: Option<(f64, f64)> = None;
    while let Some(item) = input.next_item().unwrap() {
        match item {
            MediaItem::Video(f) => {
                if let Some(&(pts, duration)) = last.as_ref() {
                    let end: f64 = pts + duration;
                    assert!((end - f.pts_s).abs() < 0.002, "{pts} + {duration} does not reach {}", f.pts_s);
                }
                last = Some((f.pts_s, f.duration_s));
                damaged += usize::from(f.errors.any());
                times.push(f.pts_s);
                change(times.len());
            }
            MediaItem::Signal(_) => signals += 1,
            MediaItem::Audio(_) => {}
        }
    }
    (times, damaged, signals)
}

#[test]
fn skipped_pictures_are_not_decoded_and_decoding_resumes_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = clip(dir.path());
    let control = SkipControl::default();

    let (all, damaged, signals) = decode(&path, &control, |_| {});
    assert_eq!((all.len(), damaged, signals), (240, 0, 0));

    control.set(PictureSkip::NonReference);
    let (reference, damaged, signals) = decode(&path, &control, |_| {});
    assert!((90..=180).contains(&reference.len()), "{} reference pictures of 240", reference.len());
    assert_eq!((damaged, signals), (0, 0));

    control.set(PictureSkip::NonKey);
    let (key, damaged, signals) = decode(&path, &control, |_| {});
    let seconds: Vec<f64> = key.iter().map(|t| (t * 10.0).round() / 10.0).collect();
    assert_eq!((seconds, damaged, signals), ((0..8).map(f64::from).collect::<Vec<_>>(), 0, 0));

    // Back to every picture once the first picture is out: decoding
    // resumes at the next key picture the decoder is sent (which one depends
    // on its reordering delay) and is whole and undamaged from there.
    control.set(PictureSkip::NonKey);
    let (resumed, damaged, signals) = decode(&path, &control, |n| {
        if n == 1 {
            control.set(PictureSkip::Nothing);
        }
    });
    assert_eq!((damaged, signals), (0, 0));
    let whole = resumed.len() - resumed.windows(2).rposition(|w| w[1] - w[0] > 0.04).map_or(0, |i| i + 1);
    let from = resumed[resumed.len() - whole];
    assert!((1..=7).any(|k| (from - k as f64).abs() < 0.01), "resumed at {from}: {resumed:?}");
    assert_eq!(whole, ((8.0 - from.round()) * 30.0) as usize, "{resumed:?}");
}
