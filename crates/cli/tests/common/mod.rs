//! Running the built `showrunner` binary from integration tests.

#![allow(dead_code)] // each test file uses the helpers it needs

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

/// Runs `showrunner` with `args` and collects its output.
pub fn showrunner(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_showrunner")).args(args).output().expect("binary runs")
}

/// Standard output as text.
pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// Monday 2026-11-02 00:00 UTC.
pub const START_MS: i64 = 1_793_577_600_000;
/// Minutes of incident telemetry: a day of learning, four quiet hours,
/// then an hour in which every attempt on CDN B in DE fails to start.
pub const MINUTES: i64 = 1440 + 300;
/// The first minute of the incident.
pub const INCIDENT_MINUTE: i64 = 1440 + 240;
/// The dimensions of the incident telemetry.
pub const TELEMETRY_CONFIG: &str =
    "[telemetry]\ndimensions = [{ name = \"cdn\", cap = 10 }, { name = \"country\", cap = 10 }]\n";

/// Minute `m` of the incident telemetry as JSON lines: 30 attempts on each
/// of four leaves (CDN A/B × DE/FR), each starting — except on B × DE from
/// [`INCIDENT_MINUTE`], where each fails before the first frame.
pub fn incident_minute(m: i64) -> Vec<String> {
    let mut lines = Vec::new();
    for (cdn, country) in [("A", "DE"), ("A", "FR"), ("B", "DE"), ("B", "FR")] {
        let failing = cdn == "B" && country == "DE" && m >= INCIDENT_MINUTE;
        for s in 0..30 {
            let t = START_MS + m * 60_000 + s * 1000;
            let dims = format!(r#""dims":{{"cdn":"{cdn}","country":"{country}"}}"#);
            let session = format!("{m}-{cdn}{country}-{s}");
            lines.push(format!(r#"{{"time":{t},"session":"{session}",{dims},"type":"attempt"}}"#));
            lines.push(if failing {
                format!(
                    r#"{{"time":{},"session":"{session}",{dims},"type":"error","code":"MEDIA_ERR","fatal":true,"before_start":true}}"#,
                    t + 500
                )
            } else {
                format!(r#"{{"time":{},"session":"{session}",{dims},"type":"start","startup_ms":900}}"#, t + 500)
            });
        }
    }
    lines
}

/// The API token of the servers tests start.
pub const TOKEN: &str = "test-token";

/// A running `showrunner serve`, killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://ADDR`.
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `serve` with `config` and `data` on a free port, token [`TOKEN`].
pub fn start(config: &std::path::Path, data: &std::path::Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_showrunner"))
        .args(["serve", "--listen", "127.0.0.1:0", "--config", config.to_str().unwrap()])
        .args(["--data-dir", data.to_str().unwrap()])
        .env("SHOWRUNNER_TOKEN", TOKEN)
        .env("SHOWRUNNER_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let base = line.split_whitespace().find(|w| w.starts_with("http://")).expect("serving line").to_string();
    Server { child, base }
}
