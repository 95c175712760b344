//! The stream wall in a real browser: `serve` on a loopback port, a stream
//! added through the API whose source (the `ffmpeg` CLI pushing MPEG-TS
//! over UDP) freezes, and Debian's headless Chromium driven by Playwright
//! (`tests/wall/wall.mjs`) watching the tile turn to the defect state, the
//! freeze appear on its timeline, and its thumbnail open on a click.
//!
//! Needs `chromium`, Node.js and `npm ci` in `tests/wall` — `make deps`
//! installs them.

use std::net::UdpSocket;
use std::path::Path;
use std::process::{Command, Stdio};

use showrunner_server::{serve, state, ServerConfig, Settings};

const TOKEN: &str = "s3cret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wall_shows_a_freeze_as_it_happens_and_its_picture_on_a_click() {
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wall");
    assert!(
        driver.join("node_modules/playwright-core").is_dir() && Path::new("/usr/bin/chromium").exists(),
        "the browser test needs Debian's chromium and playwright-core in {}: run `make deps`",
        driver.display()
    );
    let dir = tempfile::tempdir().unwrap();
    let server =
        ServerConfig { listen: "127.0.0.1:0".into(), data_dir: dir.path().to_path_buf(), ..Default::default() };
    let app = state(&Settings { server: server.clone(), ..Settings::default() }, TOKEN.into()).unwrap();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        serve(
            &server,
            app,
            |addr| {
                let _ = addr_tx.send(addr);
            },
            async {
                let _ = stop_rx.await;
            },
        )
        .await
    });
    let base = format!("http://{}", addr_rx.await.unwrap());

    let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let added = reqwest::Client::new()
        .post(format!("{base}/v1/streams"))
        .bearer_auth(TOKEN)
        .json(&serde_json::json!({"name": "Wall test", "url": format!("udp://127.0.0.1:{port}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 201);

    // 18 s of moving pattern, frozen from 8 s to 13 s (the page sees the
    // stream live first).
    let mut source = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i"])
        .arg("testsrc2=size=320x240:rate=25:duration=18")
        .args(["-filter_complex", "[0:v]split[a][b];[a][b]freezeframes=first=200:last=324:replace=199[v]"])
        .args(["-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25"])
        .args(["-f", "mpegts", &format!("udp://127.0.0.1:{port}?pkt_size=1316")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ffmpeg runs");

    let screenshot = dir.path().join("wall.png");
    let script = driver.join("wall.mjs");
    let (url, shot) = (base.clone(), screenshot.display().to_string());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("node").arg(script).args([url.as_str(), "wall-test", shot.as_str()]).output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let _ = source.kill();
    let _ = source.wait();
    let _ = stop_tx.send(());
    serving.await.unwrap().unwrap();

    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(seen["shown"], "video_freeze", "the tile lists the freeze while it lasts: {seen}");
    assert_eq!(seen["title"], "video_freeze on Wall test", "{seen}");
    assert!(seen["picture"].as_u64().unwrap() > 0, "the tile shows the stream's picture: {seen}");
}
