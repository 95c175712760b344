//! `showrunner serve`: the HTTP API in one process — live streams watched
//! for defects, live telemetry into the alarm pipeline, and what both
//! raise.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::settings::ConfigArgs;

/// `serve` flags; everything else comes from `[server]`, `[streams]`,
/// `[vqa]`, `[telemetry]`, `[alarms]`, `[notify]` and `[nats]` in the
/// configuration.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Monitor only the streams whose id hashes to shard K of N copies
    /// (`K/N`, 0-based); every copy still lists them all.
    #[arg(long, value_name = "K/N", value_parser = showrunner_live::Shard::parse)]
    shard: Option<showrunner_live::Shard>,
    /// Run only these detectors on this copy's streams, comma-separated
    /// (another copy can run the rest) [default: each stream's own list].
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    detectors: Option<Vec<showrunner_core::DefectType>>,
    /// Address to listen on [default: `[server] listen`, 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<String>,
    /// Data directory [default: `[server] data_dir`, ./data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Serves until interrupted (Ctrl-C or SIGTERM).
pub fn run(args: Args) -> Result<i32> {
    let mut server = args.config.server()?;
    if let Some(listen) = args.listen {
        server.listen = listen;
    }
    if let Some(dir) = args.data_dir {
        server.data_dir = dir;
    }
    let settings = showrunner_server::Settings {
        telemetry: args.config.telemetry()?,
        alarms: args.config.alarms()?,
        notify: args.config.notify()?,
        streams: args.config.streams()?,
        vqa: args.config.vqa()?,
        shard: args.shard.unwrap_or_default(),
        detectors: args.detectors,
        server: server.clone(),
        nats: args.config.nats()?,
        artwork: args.config.artwork()?,
    };
    let nats = settings.nats.clone();
    let token = match server.token.clone().or_else(|| std::env::var("SHOWRUNNER_TOKEN").ok()) {
        Some(t) if t.trim().is_empty() => anyhow::bail!("the API token is empty: set SHOWRUNNER_TOKEN to a secret"),
        Some(t) => t,
        None => {
            let t = showrunner_server::auth::generate_token().context("cannot generate an API token")?;
            eprintln!("no SHOWRUNNER_TOKEN set; this run's API token is {t}");
            t
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SHOWRUNNER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start tokio")?;
    runtime.block_on(async {
        let state = showrunner_server::state(&settings, token)?;
        let (qoe, live) = (state.qoe.clone(), state.live.clone());
        showrunner_server::nats::start(&nats, qoe.clone()).await.map_err(anyhow::Error::msg)?;
        if nats.coordinate {
            showrunner_server::cluster::start(&nats, live.clone()).await.map_err(anyhow::Error::msg)?;
        }
        let data_dir = server.data_dir.display().to_string();
        showrunner_server::serve(
            &server,
            state,
            |addr| {
                println!("showrunner serving on http://{addr} (data in {data_dir})");
                let _ = std::io::stdout().flush();
            },
            shutdown(),
        )
        .await?;
        // Close the streams' defects under way, let the alarm pipeline
        // score what it was given and write the telemetry it buffered
        // before the process ends.
        tokio::task::spawn_blocking(move || {
            live.shutdown();
            qoe.shutdown();
        })
        .await?;
        anyhow::Ok(())
    })?;
    Ok(0)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
