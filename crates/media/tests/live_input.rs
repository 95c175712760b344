//! A live input that sends nothing gives up instead of blocking forever:
//! after its network timeout, or at once when cancelled.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use showrunner_media::{MediaError, MediaInput, OpenOptions};

/// A UDP port nothing sends to.
fn silent_udp_url() -> String {
    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    format!("udp://127.0.0.1:{port}")
}

#[test]
fn a_silent_udp_input_gives_up_after_its_timeout() {
    let url = silent_udp_url();
    let started = Instant::now();
    let options = OpenOptions { network_timeout_s: 1.0, ..OpenOptions::default() };
    let Err(MediaError::Open { input, reason }) = MediaInput::open(&url, &options) else {
        panic!("opened a silent input")
    };
    assert_eq!((input, reason.as_str()), (url, "no data for 1.0 s"));
    // Given up on the watchdog's second, not on FFmpeg's own probing or
    // never (a generous bound: this is about not hanging).
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}

#[test]
fn cancelling_a_blocked_open_stops_it() {
    let url = silent_udp_url();
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        flag.store(true, Ordering::Relaxed);
    });
    let options = OpenOptions { network_timeout_s: 60.0, cancel: Some(cancel), ..OpenOptions::default() };
    let started = Instant::now();
    match MediaInput::open(&url, &options) {
        Err(MediaError::Open { reason, .. }) => assert_eq!(reason, "cancelled"),
        other => panic!("{:?}", other.err()),
    }
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
}
