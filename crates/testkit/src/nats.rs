//! A real `nats-server` (Debian's package) on a loopback port that the
//! server chose itself.
//!
//! Picking a free port in the test and handing it to the server leaves a
//! gap in which a test running beside it can take the same port; the two
//! servers then race for it and one test talks to the other's server. With
//! `-p -1` the server binds a port of its own choosing and writes it to a
//! ports file, which is read here.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Where `nats-server` may be: Debian puts it in `/usr/sbin`, which is not
/// on every user's `PATH`.
const BINARIES: [&str; 3] = ["nats-server", "/usr/sbin/nats-server", "/usr/bin/nats-server"];

/// How long a server may take to come up.
const START_LIMIT: Duration = Duration::from_secs(10);

/// A running `nats-server`, stopped when dropped.
pub struct NatsServer {
    child: Child,
    /// `nats://127.0.0.1:PORT`.
    pub url: String,
    /// Holds the ports file while the server runs.
    _ports_dir: tempfile::TempDir,
}

impl NatsServer {
    /// A server on 127.0.0.1 with core NATS only.
    pub fn core() -> NatsServer {
        NatsServer::start("-1", &[])
    }

    /// A server with JetStream, keeping its store under `store`.
    pub fn jetstream(store: &Path) -> NatsServer {
        NatsServer::start("-1", &jetstream_args(store))
    }

    /// Stops this server and starts one with JetStream on the same port, as
    /// an operator turning JetStream on would: clients connected to the old
    /// server reconnect to the new one by themselves.
    pub fn restart_with_jetstream(self, store: &Path) -> NatsServer {
        let port = self.url.rsplit(':').next().expect("a URL with a port").to_owned();
        drop(self);
        NatsServer::start(&port, &jetstream_args(store))
    }

    /// A server on `port` (`-1`: one it chooses) with extra `args`; panics
    /// with the reason if it does not come up within ten seconds.
    fn start(port: &str, args: &[&str]) -> NatsServer {
        let binary = BINARIES
            .into_iter()
            .find(|b| Command::new(b).arg("--version").output().is_ok())
            .expect("nats-server is installed (make deps)");
        let ports_dir = tempfile::tempdir().expect("a temporary directory for the ports file");
        let mut child = Command::new(binary)
            .args(["-a", "127.0.0.1", "-p", port, "--ports_file_dir"])
            .arg(ports_dir.path())
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nats-server starts");
        let ports_file = ports_dir.path().join(format!("nats-server_{}.ports", child.id()));
        let deadline = Instant::now() + START_LIMIT;
        let url = loop {
            if let Some(url) = client_url(&ports_file) {
                break url;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("nats-server {args:?} exited before listening: {status}");
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("nats-server {args:?} did not write {} within {START_LIMIT:?}", ports_file.display());
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        NatsServer { child, url, _ports_dir: ports_dir }
    }
}

/// The arguments that turn JetStream on, with its store under `store`.
fn jetstream_args(store: &Path) -> [&str; 3] {
    ["-js", "-sd", store.to_str().expect("a UTF-8 store path")]
}

/// The client URL in a ports file (`{"nats":["nats://HOST:PORT"], …}`),
/// once it is there and whole.
fn client_url(ports_file: &Path) -> Option<String> {
    let text = std::fs::read_to_string(ports_file).ok()?;
    let ports: serde_json::Value = serde_json::from_str(&text).ok()?;
    ports["nats"][0].as_str().map(str::to_owned)
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_servers_started_together_listen_on_ports_of_their_own() {
        let (a, b) = (NatsServer::core(), NatsServer::core());
        assert_ne!(a.url, b.url);
        for server in [&a, &b] {
            let address = server.url.trim_start_matches("nats://");
            let mut stream = std::net::TcpStream::connect(address).expect("the server listens where it said");
            let mut greeting = [0u8; 4];
            std::io::Read::read_exact(&mut stream, &mut greeting).unwrap();
            assert_eq!(&greeting, b"INFO", "{address} speaks NATS");
        }
    }

    #[test]
    fn a_server_that_cannot_start_is_reported() {
        let outcome = std::panic::catch_unwind(|| NatsServer::start("-1", &["--no-such-flag"]));
        let message = outcome.err().and_then(|e| e.downcast::<String>().ok()).expect("a panic with a message");
        assert!(message.contains("exited before listening"), "{message}");
    }
}
