//! What the live-input tests share: a monitor recording its notices, and
//! the `ffmpeg` CLI as a real-time source.

#![allow(dead_code)] // each test file uses the helpers it needs

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use showrunner_live::{DefectNotice, Monitor, MonitorSettings};

/// Notices with the instant each came.
pub type Seen = Arc<Mutex<Vec<(Instant, DefectNotice)>>>;

/// A monitor on a fresh store in `dir`, and what it announces.
pub fn monitor(dir: &std::path::Path) -> (Monitor, Seen) {
    monitor_with(dir, MonitorSettings::default())
}

/// [`monitor`] with `settings`.
pub fn monitor_with(dir: &std::path::Path, settings: MonitorSettings) -> (Monitor, Seen) {
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let monitor = Monitor::start(
        &dir.join("live.db"),
        settings,
        Vec::new(),
        Arc::new(move |n| sink.lock().unwrap().push((Instant::now(), n))),
    )
    .unwrap();
    (monitor, seen)
}

/// `ffmpeg -re`: `seconds` of a moving 320×240 pattern at 25 fps with a
/// 440 Hz tone, frames `freeze.0..=freeze.1` repeating the one before, in
/// MPEG-TS (or what `format_args` say) to `output`.
pub fn sender(output: &str, seconds: u32, freeze: Option<(u32, u32)>, format_args: &[&str]) -> Child {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", &format!("testsrc2=size=320x240:rate=25:duration={seconds}")])
        .args(["-f", "lavfi", "-i", &format!("sine=frequency=440:sample_rate=48000:duration={seconds}")]);
    if let Some((first, last)) = freeze {
        let graph = format!("[0:v]split[a][b];[a][b]freezeframes=first={first}:last={last}:replace={}[v]", first - 1);
        cmd.args(["-filter_complex", &graph, "-map", "[v]", "-map", "1:a"]);
    }
    cmd.args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-c:a", "aac"])
        .args(format_args)
        .arg(output)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().expect("ffmpeg runs")
}

/// Waits up to `limit` for a notice matching `f`.
pub fn wait_for(seen: &Seen, limit: Duration, f: impl Fn(&DefectNotice) -> bool) -> (Instant, DefectNotice) {
    let deadline = Instant::now() + limit;
    loop {
        let now: Vec<(Instant, DefectNotice)> = seen.lock().unwrap().clone();
        if let Some(found) = now.iter().find(|(_, n)| f(n)) {
            return found.clone();
        }
        assert!(Instant::now() < deadline, "not seen within {limit:?}: {now:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}
