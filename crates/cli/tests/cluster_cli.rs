//! Copies of `serve` sharing live streams over a real `nats-server` with
//! JetStream (`[nats] coordinate = true`): ten streams registered through
//! one copy's API are split between two copies with no stream monitored
//! twice; one removed through the other copy's API is gone from both; when
//! one copy is killed, the other monitors all that remain within 30 s.

mod common;

use std::collections::BTreeSet;
use std::net::UdpSocket;
use std::time::{Duration, Instant};

use common::{start, Server, TOKEN};
use showrunner_testkit::NatsServer;

/// The ids of the streams `server` lists and of those it monitors.
fn streams(server: &Server) -> (BTreeSet<String>, BTreeSet<String>) {
    let answer: serde_json::Value =
        reqwest::blocking::get(format!("{}/v1/streams", server.base)).unwrap().json().unwrap();
    let all = answer["streams"].as_array().unwrap();
    let ids = |keep: &dyn Fn(&serde_json::Value) -> bool| {
        all.iter().filter(|s| keep(s)).map(|s| s["id"].as_str().unwrap().to_string()).collect()
    };
    (ids(&|_| true), ids(&|s| s["monitored_here"] == true))
}

fn monitored(server: &Server) -> BTreeSet<String> {
    streams(server).1
}

/// Waits up to `limit` for `done`; returns how long it took.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(250));
    }
    started.elapsed()
}

#[test]
fn two_copies_split_ten_streams_and_the_survivor_takes_all_within_30_s() {
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::jetstream(&dir.path().join("js"));
    let url = &nats.url;
    let config = dir.path().join("showrunner.toml");
    std::fs::write(&config, format!("[nats]\nurl = \"{url}\"\ncoordinate = true\n")).unwrap();
    let a = start(&config, &dir.path().join("a"));
    let client = reqwest::blocking::Client::new();
    for i in 0..10 {
        // Silent UDP ports: the pipelines wait for media; ownership is
        // what is tested.
        let port = UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let body = serde_json::json!({"name": format!("Channel {i}"), "url": format!("udp://127.0.0.1:{port}")});
        let res = client.post(format!("{}/v1/streams", a.base)).bearer_auth(TOKEN).json(&body).send().unwrap();
        assert_eq!(res.status(), 201);
    }
    let all: BTreeSet<String> = (0..10).map(|i| format!("channel-{i}")).collect();
    wait_until(Duration::from_secs(30), "the first copy takes all ten", || monitored(&a) == all);

    let b = start(&config, &dir.path().join("b"));
    wait_until(Duration::from_secs(40), "two copies split the ten with no overlap", || {
        let (on_a, on_b) = (monitored(&a), monitored(&b));
        on_a.len() == 5 && on_b.len() == 5 && on_a.is_disjoint(&on_b)
    });
    // Steady: the split holds, and the second copy learnt the registry.
    std::thread::sleep(Duration::from_secs(4));
    let (on_a, on_b) = (monitored(&a), monitored(&b));
    assert!(on_a.is_disjoint(&on_b) && on_a.len() + on_b.len() == 10, "{on_a:?} {on_b:?}");

    // Removed through the second copy: gone from the first copy's registry.
    let res = client.delete(format!("{}/v1/streams/channel-9", b.base)).bearer_auth(TOKEN).send().unwrap();
    assert_eq!(res.status(), 204);
    let mut all = all;
    all.remove("channel-9");
    wait_until(Duration::from_secs(15), "the removal reaches the other copy", || streams(&a).0 == all);

    let mut a = a;
    a.child.kill().unwrap();
    let took = wait_until(Duration::from_secs(30), "the survivor monitors all nine", || monitored(&b) == all);
    eprintln!("taken over in {:.1} s", took.as_secs_f64());
}
