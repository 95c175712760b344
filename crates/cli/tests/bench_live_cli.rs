//! `showrunner bench live` end to end on one stream for a few seconds: the
//! senders, `serve` as a child process and the measurements all work, and
//! bad settings are refused with the reason.

mod common;

use common::{showrunner, stderr, stdout};

#[test]
fn one_stream_is_measured_in_real_time() {
    let out = showrunner(&["bench", "live", "--streams", "1", "--seconds", "4", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let figures: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((figures["streams"].as_u64(), figures["realtime"].as_u64()), (Some(1), Some(1)), "{figures}");
    assert_eq!(figures["resolution"], "854x480");
    assert_eq!(figures["degraded"].as_u64(), Some(0), "one stream keeps up: {figures}");
    assert!(figures["max_lag_s"].as_f64().unwrap() < 2.0, "{figures}");
    assert!(figures["mean_fps"].as_f64().unwrap() > 27.0, "{figures}");
    assert!(figures["cpu_cores"].as_f64().unwrap() > 0.0 && figures["rss_mb"].as_f64().unwrap() > 10.0, "{figures}");
    assert!(figures["baseline"].is_null(), "no baseline unless asked");
}

#[test]
fn bad_settings_are_refused() {
    for (args, needle) in
        [(["--streams", "0"], "--streams 0: between 1 and 256"), (["--height", "1080"], "--height 1080: 480 or 720")]
    {
        let out = showrunner(&["bench", "live", args[0], args[1]]);
        assert!(!out.status.success());
        assert!(stderr(&out).contains(needle), "{}", stderr(&out));
    }
}
