//! `showrunner bench live`: how many live streams one `serve` process
//! monitors in real time on this machine, its CPU and memory per stream,
//! and how long a defect takes to reach a webhook — against one `ffmpeg`
//! process per stream running the equivalent filter chain.
//!
//! The sources are the `ffmpeg` CLI pushing MPEG-TS over UDP on loopback
//! in real time (`-re`), each looping one pre-encoded clip (`-c copy`, so
//! the senders cost next to nothing and the machine's cores measure the
//! monitor): a moving test pattern with a 440 Hz tone and a 3 s freeze
//! every 30 s. `serve` runs as a child process with the streams in its
//! configuration and a webhook pointing back at this command.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use serde::Serialize;

use crate::table::Table;

/// `bench live` options.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Concurrent streams.
    #[arg(long, default_value_t = 16)]
    streams: usize,
    /// Picture height: 480 (854×480) or 720 (1280×720), 30 fps.
    #[arg(long, default_value_t = 480)]
    height: u32,
    /// Seconds measured (after a 10 s settling time).
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// Also measure one `ffmpeg` process per stream with the equivalent
    /// filter chain, on the same sources.
    #[arg(long)]
    baseline: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
}

/// What one run measured.
#[derive(Debug, Serialize)]
struct LiveFigures {
    streams: usize,
    resolution: String,
    seconds: f64,
    /// Streams decoding at ≥ 90% of the source frame rate, lag < 2 s.
    realtime: usize,
    /// Streams shedding load at the end (`degraded`: decoding fewer pictures).
    degraded: usize,
    /// The largest lag behind real time over the streams, seconds.
    max_lag_s: f64,
    /// Mean frames per second over the streams.
    mean_fps: f64,
    cpu_cores: f64,
    cpu_per_stream: f64,
    rss_mb: f64,
    rss_per_stream_mb: f64,
    /// Defects notified during the window, by type.
    notifications: std::collections::BTreeMap<String, usize>,
    /// Webhook arrival minus the defect's confirmation, ms.
    notify_from_confirmation_ms: Percentiles,
    /// Webhook arrival minus the defect's start (includes the 1 s a freeze
    /// must last to be confirmed), ms.
    notify_from_start_ms: Percentiles,
    baseline: Option<BaselineFigures>,
}

#[derive(Debug, Serialize, Default)]
struct Percentiles {
    p50: f64,
    p99: f64,
    max: f64,
}

#[derive(Debug, Serialize)]
struct BaselineFigures {
    /// The equivalent chain: FFmpeg's detector for each of showrunner's
    /// types that has one (`blockdetect` included).
    equivalent: BaselineRun,
    /// The same chain without `blockdetect`, FFmpeg's costliest detector.
    without_blockdetect: BaselineRun,
    /// The same ffmpeg processes decoding only (no filters): the floor
    /// any monitor that decodes every picture pays.
    decode_only: BaselineRun,
}

/// One set of ffmpeg processes, one per stream.
#[derive(Debug, Serialize)]
struct BaselineRun {
    cpu_cores: f64,
    cpu_per_stream: f64,
    rss_mb: f64,
    /// Processes that kept up: at least 90% of 30 fps over the window.
    realtime: usize,
    /// Mean frames per second over the processes.
    mean_fps: f64,
    /// showrunner's CPU per stream ÷ this run's.
    cpu_ratio: f64,
}

const FPS: u32 = 30;
const CLIP_S: u32 = 30;
const FREEZE: (u32, u32) = (10, 13);
const SETTLE: Duration = Duration::from_secs(10);
const TOKEN: &str = "bench-live";

/// Runs the benchmark.
pub fn run(args: Args) -> Result<i32> {
    if args.streams == 0 || args.streams > 256 {
        bail!("--streams {}: between 1 and 256", args.streams);
    }
    let width = match args.height {
        480 => 854,
        720 => 1280,
        h => bail!("--height {h}: 480 or 720"),
    };
    let dir = tempfile::tempdir().context("cannot make a work directory")?;
    eprintln!(
        "encoding the {CLIP_S} s source clip ({width}×{}, {FPS} fps, tone, freeze at {}–{} s)…",
        args.height, FREEZE.0, FREEZE.1
    );
    let clip = make_clip(dir.path(), width, args.height)?;
    let ports: Vec<u16> = (0..args.streams).map(|_| free_udp_port()).collect::<Result<_>>()?;

    let (hook_url, received) = webhook_receiver()?;
    let config = dir.path().join("showrunner.toml");
    let mut toml = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\n\n[[notify.webhook]]\nurl = \"{hook_url}\"\nevents = [\"defect.opened\"]\n",
        dir.path().join("data").display()
    );
    for (i, port) in ports.iter().enumerate() {
        toml.push_str(&format!("\n[[streams.stream]]\nname = \"bench {i}\"\nurl = \"udp://127.0.0.1:{port}\"\n"));
    }
    std::fs::write(&config, toml).context("cannot write the serve configuration")?;

    eprintln!(
        "starting {} senders and serve; settling for {} s, measuring {} s…",
        args.streams,
        SETTLE.as_secs(),
        args.seconds
    );
    let senders = Senders::start(&clip, &ports)?;
    let (mut serve, base) = start_serve(&config)?;
    std::thread::sleep(SETTLE);
    received.lock().unwrap_or_else(|p| p.into_inner()).clear();
    let window = Duration::from_secs(args.seconds);
    let (cpu_s, rss_mb) = measure(&[serve.id()], window);
    let streams = http_get(&base, "/v1/streams")?;
    let _ = serve.kill();
    let _ = serve.wait();
    let statuses: Vec<&serde_json::Value> =
        streams["streams"].as_array().map(|a| a.iter().map(|s| &s["status"]).collect()).unwrap_or_default();
    let fps: Vec<f64> = statuses.iter().map(|s| s["fps"].as_f64().unwrap_or(0.0)).collect();
    let lag = |s: &serde_json::Value| s["lag_s"].as_f64().unwrap_or(f64::MAX);
    let realtime = statuses.iter().zip(&fps).filter(|(s, &f)| keeps_up(f) && lag(s) < 2.0).count();
    let degraded = statuses.iter().filter(|s| s["state"] == "degraded").count();
    let max_lag_s = statuses.iter().map(|s| lag(s)).fold(0.0, f64::max);
    let notes = received.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let from_confirmation: Vec<f64> =
        notes.iter().map(|(at, n)| (at - n["confirmed_ms"].as_i64().unwrap_or(*at)) as f64).collect();
    let from_start: Vec<f64> = notes
        .iter()
        .filter_map(|(at, n)| {
            let summary = n["summary"].as_str()?;
            summary.starts_with("video_freeze").then(|| (at - n["at_ms"].as_i64().unwrap_or(*at)) as f64)
        })
        .collect();
    let seconds = window.as_secs_f64();
    let cpu_cores = cpu_s / seconds;
    let mut figures = LiveFigures {
        streams: args.streams,
        resolution: format!("{width}x{}", args.height),
        seconds,
        realtime,
        degraded,
        max_lag_s,
        mean_fps: mean(&fps),
        cpu_cores,
        cpu_per_stream: cpu_cores / args.streams as f64,
        rss_mb,
        rss_per_stream_mb: rss_mb / args.streams as f64,
        notifications: notes.iter().fold(Default::default(), |mut m, (_, n)| {
            *m.entry(n["defect_type"].as_str().unwrap_or("?").to_string()).or_default() += 1;
            m
        }),
        notify_from_confirmation_ms: percentiles(from_confirmation),
        notify_from_start_ms: percentiles(from_start),
        baseline: None,
    };
    if args.baseline {
        let run = |label: &str, filters: Option<(String, &str)>| -> Result<BaselineRun> {
            eprintln!("baseline: one ffmpeg per stream, {label}…");
            let (cpu_s, rss_mb, fps) = run_baseline(&ports, window, filters)?;
            let cpu_per_stream = cpu_s / seconds / args.streams as f64;
            Ok(BaselineRun {
                cpu_cores: cpu_s / seconds,
                cpu_per_stream,
                rss_mb,
                realtime: fps.iter().filter(|&&f| keeps_up(f)).count(),
                mean_fps: mean(&fps),
                cpu_ratio: figures.cpu_per_stream / cpu_per_stream.max(1e-9),
            })
        };
        let equivalent =
            run("the equivalent filter chain", Some((format!("{VIDEO_FILTERS},{BLOCK_FILTER}"), AUDIO_FILTERS)))?;
        let without_blockdetect = run("without blockdetect", Some((VIDEO_FILTERS.to_string(), AUDIO_FILTERS)))?;
        let decode_only = run("decoding only", None)?;
        figures.baseline = Some(BaselineFigures { equivalent, without_blockdetect, decode_only });
    }
    drop(senders);
    print(&figures, args.json);
    Ok(0)
}

/// Whether `fps` pictures a second keep up with the 30 fps sources (at
/// least 90% of them), for showrunner's streams and the baseline's alike.
fn keeps_up(fps: f64) -> bool {
    fps >= 0.9 * f64::from(FPS)
}

/// The mean of `v` (0 when empty).
fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn print(f: &LiveFigures, json: bool) {
    if json {
        println!("{}", serde_json::to_string_pretty(f).unwrap_or_default());
        return;
    }
    let mut t = Table::new(&[
        "STREAMS",
        "RESOLUTION",
        "REALTIME",
        "DEGRADED",
        "MAX_LAG_S",
        "MEAN_FPS",
        "CPU_CORES",
        "CPU/STREAM",
        "RSS_MB",
        "RSS/STREAM_MB",
    ]);
    t.row(vec![
        f.streams.to_string(),
        f.resolution.clone(),
        format!("{}/{}", f.realtime, f.streams),
        f.degraded.to_string(),
        format!("{:.1}", f.max_lag_s),
        format!("{:.1}", f.mean_fps),
        format!("{:.2}", f.cpu_cores),
        format!("{:.3}", f.cpu_per_stream),
        format!("{:.0}", f.rss_mb),
        format!("{:.1}", f.rss_per_stream_mb),
    ]);
    print!("{}", t.render());
    let (c, s) = (&f.notify_from_confirmation_ms, &f.notify_from_start_ms);
    let kinds: Vec<String> = f.notifications.iter().map(|(k, n)| format!("{n} {k}")).collect();
    println!(
        "\ndefects notified in {:.0} s: {}; webhook after confirmation p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms; after a freeze began p50 {:.0} ms, p99 {:.0} ms",
        f.seconds,
        if kinds.is_empty() { "none".to_string() } else { kinds.join(", ") },
        c.p50,
        c.p99,
        c.max,
        s.p50,
        s.p99
    );
    if let Some(b) = &f.baseline {
        println!("\none ffmpeg per stream on the same sources:");
        let mut t =
            Table::new(&["FFMPEG", "REALTIME", "MEAN_FPS", "CPU_CORES", "CPU/STREAM", "RSS_MB", "SHOWRUNNER/FFMPEG"]);
        for (label, run) in [
            ("equivalent chain", &b.equivalent),
            ("without blockdetect", &b.without_blockdetect),
            ("decoding only", &b.decode_only),
        ] {
            t.row(vec![
                label.to_string(),
                format!("{}/{}", run.realtime, f.streams),
                format!("{:.1}", run.mean_fps),
                format!("{:.2}", run.cpu_cores),
                format!("{:.3}", run.cpu_per_stream),
                format!("{:.0}", run.rss_mb),
                format!("{:.2}×", run.cpu_ratio),
            ]);
        }
        println!("{}", t.render());
        println!("equivalent chain: -vf {VIDEO_FILTERS},{BLOCK_FILTER} -af {AUDIO_FILTERS}");
    }
}

fn percentiles(mut v: Vec<f64>) -> Percentiles {
    if v.is_empty() {
        return Percentiles::default();
    }
    v.sort_by(f64::total_cmp);
    let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
    Percentiles { p50: at(0.5), p99: at(0.99), max: v[v.len() - 1] }
}

/// The looped source: a moving pattern and a tone, frozen FREEZE.0–FREEZE.1 s.
fn make_clip(dir: &Path, width: u32, height: u32) -> Result<std::path::PathBuf> {
    let out = dir.join("source.ts");
    let (first, last) = (FREEZE.0 * FPS, FREEZE.1 * FPS - 1);
    let graph = format!("[0:v]split[a][b];[a][b]freezeframes=first={first}:last={last}:replace={}[v]", first - 1);
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i"])
        .arg(format!("testsrc2=size={width}x{height}:rate={FPS}:duration={CLIP_S}"))
        .args(["-f", "lavfi", "-i", &format!("sine=frequency=440:sample_rate=48000:duration={CLIP_S}")])
        .args(["-filter_complex", &graph, "-map", "[v]", "-map", "1:a"])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-g", "60", "-b:v", "1500k", "-c:a", "aac", "-b:a", "128k"])
        .arg(&out)
        .status()
        .context("cannot run ffmpeg (make deps installs it)")?;
    if !status.success() {
        bail!("ffmpeg could not encode the source clip");
    }
    Ok(out)
}

fn free_udp_port() -> Result<u16> {
    Ok(UdpSocket::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The sender processes, killed when dropped.
struct Senders(Vec<Child>);

impl Senders {
    fn start(clip: &Path, ports: &[u16]) -> Result<Senders> {
        let mut children = Vec::new();
        for port in ports {
            let child = Command::new("ffmpeg")
                .args(["-hide_banner", "-loglevel", "error", "-re", "-stream_loop", "-1", "-i"])
                .arg(clip)
                .args(["-c", "copy", "-f", "mpegts", &format!("udp://127.0.0.1:{port}?pkt_size=1316")])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .context("cannot start an ffmpeg sender")?;
            children.push(child);
        }
        Ok(Senders(children))
    }
}

impl Drop for Senders {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn start_serve(config: &Path) -> Result<(Child, String)> {
    let exe = std::env::current_exe().context("cannot find this program")?;
    let mut child = Command::new(exe)
        .args(["serve", "--config"])
        .arg(config)
        .env("SHOWRUNNER_TOKEN", TOKEN)
        .env("SHOWRUNNER_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start serve")?;
    let mut line = String::new();
    let stdout = child.stdout.take().context("serve has no stdout")?;
    BufReader::new(stdout).read_line(&mut line)?;
    let base = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|w| w.trim_start_matches("http://").to_string())
        .with_context(|| format!("serve did not start: {line}"))?;
    Ok((child, base))
}

/// CPU seconds used by `pids` over `window`, and their peak resident MB
/// (sampled every second).
fn measure(pids: &[u32], window: Duration) -> (f64, f64) {
    let cpu = |pids: &[u32]| pids.iter().filter_map(|&p| cpu_seconds(p)).sum::<f64>();
    let start = cpu(pids);
    let began = Instant::now();
    let mut peak: f64 = 0.0;
    while began.elapsed() < window {
        std::thread::sleep(Duration::from_secs(1));
        peak = peak.max(pids.iter().filter_map(|&p| rss_mb(p)).sum());
    }
    (cpu(pids) - start, peak)
}

fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some((fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?) / 100.0)
}

fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The baseline's filters: FFmpeg's own detectors for what showrunner
/// detects. Video: freeze and black; blockiness (`BLOCK_FILTER`, FFmpeg's
/// counterpart of `block_corruption`, as in `eval vqa`) is kept apart
/// because it costs more than the rest together. Audio: silence, clipping
/// peaks (`astats`) and loudness (`ebur128`). A/V sync has no counterpart.
const VIDEO_FILTERS: &str = "freezedetect=d=1,blackdetect=d=0.5";
const BLOCK_FILTER: &str = "blockdetect";
const AUDIO_FILTERS: &str = "silencedetect=n=-60dB:d=0.5,astats=metadata=1:reset=48000,ebur128=metadata=1";

/// One ffmpeg per stream with `filters` (video, audio; none: decoding
/// only); returns their CPU seconds over `window`, peak resident MB and
/// each process's frames per second over the window (from `-progress`).
fn run_baseline(ports: &[u16], window: Duration, filters: Option<(String, &str)>) -> Result<(f64, f64, Vec<f64>)> {
    let mut children = Vec::new();
    let mut frames = Vec::new();
    for port in ports {
        let mut cmd = Command::new("ffmpeg");
        cmd.args(["-hide_banner", "-loglevel", "error", "-nostats", "-progress", "pipe:1", "-stats_period", "1", "-i"])
            .arg(format!("udp://127.0.0.1:{port}"));
        if let Some((video, audio)) = &filters {
            cmd.args(["-vf", video, "-af", audio]);
        }
        let mut child = cmd
            .args(["-f", "null", "-"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start a baseline ffmpeg")?;
        let progress = child.stdout.take().context("a baseline ffmpeg has no stdout")?;
        frames.push(follow_frames(progress));
        children.push(child);
    }
    std::thread::sleep(SETTLE);
    let pids: Vec<u32> = children.iter().map(Child::id).collect();
    let before: Vec<u64> = frames.iter().map(|f| f.load(Ordering::Relaxed)).collect();
    let (cpu_s, rss_mb) = measure(&pids, window);
    let fps = frames
        .iter()
        .zip(before)
        .map(|(f, b)| f.load(Ordering::Relaxed).saturating_sub(b) as f64 / window.as_secs_f64())
        .collect();
    for c in &mut children {
        let _ = c.kill();
        let _ = c.wait();
    }
    Ok((cpu_s, rss_mb, fps))
}

/// The latest `frame=N` of an ffmpeg `-progress` stream, kept up to date
/// by a thread reading it.
fn follow_frames(progress: impl Read + Send + 'static) -> Arc<AtomicU64> {
    let frames = Arc::new(AtomicU64::new(0));
    let latest = frames.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(progress).lines().map_while(Result::ok) {
            if let Some(n) = line.strip_prefix("frame=").and_then(|n| n.trim().parse().ok()) {
                latest.store(n, Ordering::Relaxed);
            }
        }
    });
    frames
}

type Received = Arc<Mutex<Vec<(i64, serde_json::Value)>>>;

/// A webhook receiver on a loopback port noting each body's arrival time.
fn webhook_receiver() -> Result<(String, Received)> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/hook", listener.local_addr()?);
    let received: Received = Arc::default();
    let sink = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            if let Some(body) = read_request(stream) {
                let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64);
                if let Ok(json) = serde_json::from_str(&body) {
                    sink.lock().unwrap_or_else(|p| p.into_inner()).push((now, json));
                }
            }
        }
    });
    Ok((url, received))
}

/// Reads one HTTP request, answers 200, returns its body.
fn read_request(mut stream: TcpStream) -> Option<String> {
    let mut request = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        request.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&request).into_owned();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text[..end]
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_string()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            if request.len() >= end + 4 + length {
                let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
                return Some(String::from_utf8_lossy(&request[end + 4..end + 4 + length]).into_owned());
            }
        }
    }
}

/// GET `path` on `host:port`, as JSON.
fn http_get(host: &str, path: &str) -> Result<serde_json::Value> {
    let mut stream = TcpStream::connect(host).with_context(|| format!("cannot reach serve at {host}"))?;
    write!(stream, "GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n")?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let body = answer.split_once("\r\n\r\n").map(|(_, b)| b).context("no HTTP answer")?;
    serde_json::from_str(body).with_context(|| format!("GET {path}: not JSON"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_latest_frame_count_is_read_from_ffmpeg_progress() {
        let progress = "frame=30\nfps=30.0\nprogress=continue\nframe=oops\nframe=61\nfps=30.5\nprogress=continue\n";
        let frames = follow_frames(std::io::Cursor::new(progress.as_bytes().to_vec()));
        let began = Instant::now();
        while frames.load(Ordering::Relaxed) != 61 && began.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(frames.load(Ordering::Relaxed), 61, "a bad line is passed over");
    }
}
