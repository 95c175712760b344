//! A real live stream: the `ffmpeg` CLI pushes MPEG-TS over UDP on
//! loopback in real time (`-re`), with a freeze injected, then stops and
//! comes back. The monitor must announce the freeze while it lasts (with
//! its media time, wall-clock time and a thumbnail), close it, raise
//! `input_loss` within 6 s of the source stopping, and close that when
//! the source returns.

mod common;

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::{monitor, sender, wait_for};
use showrunner_core::DefectType;
use showrunner_live::{StreamRequest, INPUT_LOSS};

#[test]
fn a_live_udp_stream_reports_a_freeze_while_it_lasts_and_input_loss_when_cut() {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let (monitor, seen) = monitor(dir.path());
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
    let udp = format!("udp://127.0.0.1:{port}?pkt_size=1316");
    let mut first = sender(&udp, 10, Some((100, 174)), &["-f", "mpegts"]);
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
    let mut second = sender(&udp, 4, None, &["-f", "mpegts"]);
    let (_, back) = wait_for(&seen, Duration::from_secs(15), |n| !n.opened && n.defect.kind == INPUT_LOSS);
    assert_eq!(back.defect.id, lost.defect.id);
    assert!(back.defect.end_ms.unwrap() > lost.defect.start_ms);
    second.wait().unwrap();

    // All of it is in the history, and no other defect was raised.
    let history = monitor.defects(&showrunner_live::DefectFilter { limit: 10, ..Default::default() }).unwrap();
    let kinds: Vec<&str> = history.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(kinds, [INPUT_LOSS, "video_freeze"], "{history:?}");
}
