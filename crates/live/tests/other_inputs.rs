//! Live inputs besides UDP, each from the `ffmpeg` CLI in real time with a
//! freeze at 6–9 s: HLS over HTTP (segments written by ffmpeg, served by
//! Python's http.server on loopback), SRT (ffmpeg as listener, the monitor
//! as caller), RTMP (ffmpeg as the server the monitor plays from) and
//! MPEG-TS over RTP. The freeze must be announced with its media time.

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{monitor, sender, wait_for};
use showrunner_core::DefectType;
use showrunner_live::StreamRequest;

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn watch(url: String) -> StreamRequest {
    StreamRequest {
        name: "Input".into(),
        url,
        detectors: Some(vec![DefectType::VideoFreeze]),
        tags: Default::default(),
        thresholds: Default::default(),
    }
}

/// Waits for the freeze and checks its media time: it began 6 s into the
/// source, less whatever of the source's start the input skipped (an HLS
/// player joins at the live edge), so between 0 and 6 s.
fn assert_freeze_announced(seen: &common::Seen, limit: Duration) {
    let (_, opened) = wait_for(seen, limit, |n| n.opened && n.defect.kind == "video_freeze");
    let start = opened.defect.start_pts_s.unwrap();
    assert!((0.0..=6.2).contains(&start), "{start}");
    let (_, closed) = wait_for(seen, Duration::from_secs(10), |n| !n.opened && n.defect.kind == "video_freeze");
    let lasted = closed.defect.end_pts_s.unwrap() - start;
    assert!((2.8..=3.3).contains(&lasted), "the freeze lasts 3 s of media: {lasted}");
}

#[test]
fn an_hls_stream_over_http() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    std::fs::create_dir(&site).unwrap();
    let port = free_port();
    let _server = Running(
        Command::new("python3")
            .args(["-m", "http.server", &port.to_string(), "--bind", "127.0.0.1", "--directory"])
            .arg(&site)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs"),
    );
    let playlist = site.join("live.m3u8");
    let hls = ["-f", "hls", "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments"];
    let _source = Running(sender(playlist.to_str().unwrap(), 16, Some((150, 224)), &hls));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !playlist.exists() {
        assert!(Instant::now() < deadline, "ffmpeg wrote no playlist");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (monitor, seen) = monitor(dir.path());
    monitor.add(watch(format!("http://127.0.0.1:{port}/live.m3u8"))).unwrap();
    assert_freeze_announced(&seen, Duration::from_secs(20));
}

#[test]
fn an_srt_stream() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let listener = format!("srt://127.0.0.1:{port}?mode=listener");
    let _source = Running(sender(&listener, 14, Some((150, 224)), &["-f", "mpegts"]));
    let (monitor, seen) = monitor(dir.path());
    monitor.add(watch(format!("srt://127.0.0.1:{port}?mode=caller"))).unwrap();
    assert_freeze_announced(&seen, Duration::from_secs(20));
}

#[test]
fn an_rtmp_stream() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // ffmpeg as the RTMP server the monitor plays from.
    let url = format!("rtmp://127.0.0.1:{port}/live/channel");
    let _source = Running(sender(&url, 14, Some((150, 224)), &["-f", "flv", "-listen", "1"]));
    std::thread::sleep(Duration::from_millis(500));
    let (monitor, seen) = monitor(dir.path());
    monitor.add(watch(url)).unwrap();
    assert_freeze_announced(&seen, Duration::from_secs(20));
}

#[test]
fn an_rtp_stream_of_mpeg_ts() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port() & !1;
    let (monitor, seen) = monitor(dir.path());
    monitor.add(watch(format!("rtp://127.0.0.1:{port}"))).unwrap();
    let _source = Running(sender(&format!("rtp://127.0.0.1:{port}"), 14, Some((150, 224)), &["-f", "rtp_mpegts"]));
    assert_freeze_announced(&seen, Duration::from_secs(20));
}
