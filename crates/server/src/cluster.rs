//! Copies of `serve` sharing the live streams over NATS (`[nats]
//! coordinate = true`): each stream is monitored by exactly one copy in
//! steady state, and the streams of a copy that dies are taken over by the
//! others within about `lease_ttl_s` plus one round.
//!
//! Three JetStream key-value buckets:
//!
//! - `showrunner_registry`: every stream's description, so a stream
//!   registered, changed or removed through any copy's API reaches all;
//! - `showrunner_members`: one key per live copy, refreshed every round,
//!   expiring after `lease_ttl_s` — how many copies share the work;
//! - `showrunner_leases`: one key per stream, holding the copy that
//!   monitors it, refreshed every round (only by its holder: compare and
//!   set on the revision), expiring after `lease_ttl_s`.
//!
//! Each round (a fifth of `lease_ttl_s`) a copy syncs the registry,
//! refreshes what it holds, gives back what is beyond its fair share
//! (⌈streams ÷ copies⌉, so a copy joining gets streams), and claims free
//! streams up to it with an atomic create — two copies cannot both win.
//! Then the monitor runs exactly the streams held.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use async_nats::jetstream::kv::{Operation, Store};
use futures_util::TryStreamExt;
use showrunner_live::{Monitor, StreamSpec};

use crate::nats::NatsConfig;

/// The coordination state of this copy.
struct Cluster {
    me: String,
    registry: Store,
    members: Store,
    leases: Store,
    live: Arc<Monitor>,
    /// Each stream's description as last agreed with the bucket.
    synced: BTreeMap<String, String>,
}

/// Connects, opens the buckets and starts the rounds. Errors name the
/// server and what failed.
pub async fn start(config: &NatsConfig, live: Arc<Monitor>) -> Result<(), String> {
    let Some(url) = &config.url else { return Err("[nats] coordinate needs [nats] url".into()) };
    let client = tokio::time::timeout(Duration::from_secs(10), async_nats::connect(url.as_str()))
        .await
        .map_err(|_| format!("cannot reach NATS at {url}: no answer within 10 s"))?
        .map_err(|e| format!("cannot reach NATS at {url}: {e}"))?;
    let js = async_nats::jetstream::new(client);
    let ttl = Duration::from_secs_f64(config.lease_ttl_s);
    let open = |name: &'static str, max_age: Duration| {
        let js = js.clone();
        async move {
            let fail =
                |e: &dyn std::fmt::Display| format!("NATS {url}: cannot open bucket {name} (JetStream on?): {e}");
            js.get_or_create_stream(bucket_stream(name, max_age)).await.map_err(|e| fail(&e))?;
            js.get_key_value(name).await.map_err(|e| fail(&e))
        }
    };
    let registry = open("showrunner_registry", Duration::ZERO).await?;
    let members = open("showrunner_members", ttl).await?;
    let leases = open("showrunner_leases", ttl).await?;
    let me = format!("{}-{}", hostname(), std::process::id());
    tracing::info!(member = %me, "sharing the streams with the other copies over NATS {url}");
    let mut cluster = Cluster { me, registry, members, leases, live, synced: BTreeMap::new() };
    let round = ttl / 5;
    tokio::spawn(async move {
        loop {
            if let Err(e) = cluster.round().await {
                tracing::warn!("stream coordination round failed: {e}");
            }
            tokio::time::sleep(round).await;
        }
    });
    Ok(())
}

/// The stream behind key-value bucket `name`, as `create_key_value` would
/// make it (one value per key, deletes as markers, entries older than
/// `max_age` dropped; zero keeps them). Made directly because
/// `create_key_value` first asks for the account's details, which the
/// client cannot read from Debian's nats-server 2.9.
fn bucket_stream(name: &str, max_age: Duration) -> async_nats::jetstream::stream::Config {
    use async_nats::jetstream::stream::{Config, DiscardPolicy};
    Config {
        name: format!("KV_{name}"),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: DiscardPolicy::New,
        num_replicas: 1,
        ..Default::default()
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "host".into())
}

type Failure = Box<dyn std::error::Error + Send + Sync>;

impl Cluster {
    async fn round(&mut self) -> Result<(), Failure> {
        self.sync_registry().await?;
        self.members.put(&self.me, self.me.clone().into()).await?;
        let copies = self.members.keys().await?.try_collect::<Vec<String>>().await?.len().max(1);
        let ids: Vec<String> = self.local().await?.into_keys().collect();
        let fair = ids.len().div_ceil(copies);
        let mut held = BTreeSet::new();
        for id in &ids {
            if let Some(e) = self.leases.entry(id).await? {
                if e.operation == Operation::Put && e.value == self.me.as_bytes() {
                    // Only while it is still ours: a lease that lapsed and
                    // was taken is not taken back.
                    if self.leases.update(id, self.me.clone().into(), e.revision).await.is_ok() {
                        held.insert(id.clone());
                    }
                }
            }
        }
        let mut released = Vec::new();
        while held.len() > fair {
            let Some(id) = held.pop_last() else { break };
            released.push(id);
        }
        if !released.is_empty() {
            // Stop monitoring first, then give the lease back: no moment
            // where two copies run the stream.
            self.claim(held.clone()).await?;
            for id in &released {
                self.leases.delete(id).await?;
            }
        }
        for id in &ids {
            if held.len() >= fair {
                break;
            }
            if !held.contains(id) && self.leases.create(id, self.me.clone().into()).await.is_ok() {
                held.insert(id.clone());
            }
        }
        self.claim(held).await
    }

    /// Tells the monitor which streams to run.
    async fn claim(&self, held: BTreeSet<String>) -> Result<(), Failure> {
        let live = self.live.clone();
        tokio::task::spawn_blocking(move || live.claim(held)).await??;
        Ok(())
    }

    /// The local registry, as JSON by id.
    async fn local(&self) -> Result<BTreeMap<String, String>, Failure> {
        let live = self.live.clone();
        let specs = tokio::task::spawn_blocking(move || live.registry()).await??;
        Ok(specs.into_iter().map(|s| (s.id.clone(), serde_json::to_string(&s).unwrap_or_default())).collect())
    }

    /// Two-way sync of the registry with the bucket: what changed here
    /// since the last agreement goes up, what changed there comes down.
    async fn sync_registry(&mut self) -> Result<(), Failure> {
        let local = self.local().await?;
        let mut remote = BTreeMap::new();
        for key in self.registry.keys().await?.try_collect::<Vec<String>>().await? {
            if let Some(value) = self.registry.get(&key).await? {
                remote.insert(key, String::from_utf8_lossy(&value).into_owned());
            }
        }
        let ids: BTreeSet<String> = local.keys().chain(remote.keys()).chain(self.synced.keys()).cloned().collect();
        for id in ids {
            let (l, r, agreed) = (local.get(&id), remote.get(&id), self.synced.get(&id));
            let now = if l == r {
                l.cloned()
            } else if l != agreed {
                match l {
                    Some(spec) => self.registry.put(&id, spec.clone().into()).await.map(drop)?,
                    None => self.registry.delete(&id).await?,
                }
                l.cloned()
            } else {
                let live = self.live.clone();
                let (key, text) = (id.clone(), r.cloned());
                tokio::task::spawn_blocking(move || match text {
                    Some(text) => {
                        let spec: StreamSpec = serde_json::from_str(&text)
                            .map_err(|e| showrunner_live::LiveError::Invalid(format!("registry {key}: {e}")))?;
                        live.mirror(spec)
                    }
                    None => live.forget(&key),
                })
                .await??;
                r.cloned()
            };
            match now {
                Some(text) => self.synced.insert(id, text),
                None => self.synced.remove(&id),
            };
        }
        Ok(())
    }
}
