//! A real live stream: the `ffmpeg` CLI pushes MPEG-TS over UDP on
//! loopback in real time (`-re`), with a freeze injected, then stops and
//! comes back. The monitor must announce the freeze while it lasts (with
//! its media time, wall-clock time and a thumbnail), close it, raise
//! `input_loss` within 6 s of the source stopping, and close that when
//! the source returns.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use showrunner_core::DefectType;
use showrunner_live::{DefectNotice, Monitor, MonitorSettings, StreamRequest, INPUT_LOSS};

type Seen = Arc<Mutex<Vec<(Instant, DefectNotice)>>>;

/// Sends `seconds` of a moving 320×240 pattern at 25 fps with a 440 Hz
/// tone to `port`, in real time; frames `freeze.0..=freeze.1` repeat the
/// one before.
fn sender(port: u16, seconds: u32, freeze: Option<(u32, u32)>) -> Child {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-hide_banner", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", &format!("testsrc2=size=320x240:rate=25:duration={seconds}")])
        .args(["-f", "lavfi", "-i", &format!("sine=frequency=440:sample_rate=48000:duration={seconds}")]);
    if let Some((first, last)) = freeze {
        let graph = format!("[0:v]split[a][b];[a][b]freezeframes=first={first}:last={last}:replace={}[v]", first - 1);
        cmd.args(["-filter_complex", &graph, "-map", "[v]", "-map", "1:a"]);
    }
    cmd.args(["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25"])
        .args(["-c:a", "aac", "-f", "mpegts", &format!("udp://127.0.0.1:{port}?pkt_size=1316")])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.spawn().expect("ffmpeg runs")
}

/// Waits up to `limit` for a notice matching `f`.
fn wait_for(seen: &Seen, limit: Duration, f: impl Fn(&DefectNotice) -> bool) -> (Instant, DefectNotice) {
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

#[test]
fn a_live_udp_stream_reports_a_freeze_while_it_lasts_and_input_loss_when_cut() {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let seen: Seen = Arc::default();
    let sink = seen.clone();
    let settings = MonitorSettings::default();
    let monitor = Monitor::start(
        &dir.path().join("live.db"),
        settings,
        Vec::new(),
        Arc::new(move |n| sink.lock().unwrap().push((Instant::now(), n))),
    )
    .unwrap();
    let request = StreamRequest {
        name: "Loopback 1".into(),
        url: format!("udp://127.0.0.1:{port}"),
        detectors: Some(vec![DefectType::VideoFreeze, DefectType::Black, DefectType::AudioSilence]),
        tags: Default::default(),
        thresholds: Default::default(),
    };
    let stream = monitor.add(request).unwrap();
    assert_eq!(stream.spec.id, "loopback-1");

    // 10 s with frames 100–174 (4.0–7.0 s) frozen.
    let mut first = sender(port, 10, Some((100, 174)));
    let (opened_at, opened) = wait_for(&seen, Duration::from_secs(20), |n| n.opened && n.defect.kind == "video_freeze");
    let start = opened.defect.start_pts_s.unwrap();
    assert!((3.8..=4.2).contains(&start), "the freeze starts at 4.0 s of media: {start}");
    // Announced about its one-second minimum after it began, long before
    // it ends (at 7 s).
    let confirmed_after = (opened.defect.confirmed_ms - opened.defect.start_ms) as f64 / 1000.0;
    assert!((0.9..=2.0).contains(&confirmed_after), "confirmed {confirmed_after} s after its start");
    assert!(opened.defect.has_thumbnail && opened.stream_name == "Loopback 1");
    let jpeg = monitor.thumbnail(opened.defect.id).unwrap();
    assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);

    let (closed_at, closed) =
        wait_for(&seen, Duration::from_secs(10), |n| !n.opened && n.defect.kind == "video_freeze");
    let end = closed.defect.end_pts_s.unwrap();
    assert!((6.8..=7.3).contains(&end), "ends at 7.0 s of media: {end}");
    assert!(closed_at.duration_since(opened_at) > Duration::from_millis(1500), "closed when it ended, not at once");
    let live = monitor.get("loopback-1").unwrap().status.unwrap();
    assert!(live.fps > 20.0 && live.bitrate_kbps > 50.0, "{live:?}");

    // The source stops: input loss within 6 s, closed when it returns.
    first.wait().unwrap();
    let stopped = Instant::now();
    let (lost_at, lost) = wait_for(&seen, Duration::from_secs(10), |n| n.opened && n.defect.kind == INPUT_LOSS);
    assert!(lost_at.duration_since(stopped) <= Duration::from_secs(6), "{:?}", lost_at.duration_since(stopped));
    assert_eq!(monitor.get("loopback-1").unwrap().status.unwrap().state.name(), "down");
    let mut second = sender(port, 4, None);
    let (_, back) = wait_for(&seen, Duration::from_secs(15), |n| !n.opened && n.defect.kind == INPUT_LOSS);
    assert_eq!(back.defect.id, lost.defect.id);
    assert!(back.defect.end_ms.unwrap() > lost.defect.start_ms);
    second.wait().unwrap();

    // All of it is in the history, and no other defect was raised.
    let history = monitor.defects(&showrunner_live::DefectFilter { limit: 10, ..Default::default() }).unwrap();
    let kinds: Vec<&str> = history.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, [INPUT_LOSS, "video_freeze"], "{history:?}");
}
