//! A stream that cannot keep up sheds decoding, not detection: with a lag
//! limit far below zero every live stream is "behind" (overloading the test
//! machine on purpose would be slow and flaky), so the pipeline goes to key
//! pictures only (the sender makes one a second and no B pictures). The
//! stream is `degraded` with that reason, decodes about one picture a
//! second, and a 3 s freeze is still announced with its start.

mod common;

use std::net::UdpSocket;
use std::time::Duration;

use common::{monitor_with, sender, wait_for};
use showrunner_core::DefectType;
use showrunner_live::{MonitorSettings, PipelineSettings, StreamRequest};

#[test]
fn a_stream_behind_real_time_decodes_key_pictures_and_still_finds_a_freeze() {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = tempfile::tempdir().unwrap();
    let settings = MonitorSettings {
        pipeline: PipelineSettings { max_lag_s: -1000.0, ..PipelineSettings::default() },
        ..MonitorSettings::default()
    };
    let (monitor, seen) = monitor_with(dir.path(), settings);
    let request = StreamRequest {
        name: "Behind".into(),
        url: format!("udp://127.0.0.1:{port}"),
        detectors: Some(vec![DefectType::VideoFreeze]),
        tags: Default::default(),
        thresholds: Default::default(),
    };
    monitor.add(request).unwrap();

    // 10 s with frames 100–174 (4.0–7.0 s) frozen.
    let mut source = sender(&format!("udp://127.0.0.1:{port}?pkt_size=1316"), 10, Some((100, 174)), &["-f", "mpegts"]);
    let (_, opened) = wait_for(&seen, Duration::from_secs(20), |n| n.opened && n.defect.kind == "video_freeze");
    let start = opened.defect.start_pts_s.unwrap();
    assert!(
        (3.8..=5.2).contains(&start),
        "the freeze starts at 4.0 s of media, seen a key picture late at most: {start}"
    );
    let status = monitor.get("behind").unwrap().status.unwrap();
    assert_eq!(status.state.name(), "degraded", "{status:?}");
    let reason = status.reason.unwrap_or_default();
    assert!(reason.contains("decoding key pictures only"), "{reason}");
    assert!(status.fps > 0.0 && status.fps < 3.0, "about one picture a second: {}", status.fps);
    let (_, closed) = wait_for(&seen, Duration::from_secs(10), |n| !n.opened && n.defect.kind == "video_freeze");
    let end = closed.defect.end_pts_s.unwrap();
    assert!((6.8..=8.2).contains(&end), "ends at 7.0 s of media, seen a key picture late at most: {end}");
    source.wait().unwrap();
}
