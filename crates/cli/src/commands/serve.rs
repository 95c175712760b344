//! `showrunner serve`: the HTTP API in one process — live telemetry into
//! the alarm pipeline, and the alarms it raises.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};

use crate::settings::ConfigArgs;

/// `serve` flags; everything else comes from `[server]`, `[telemetry]` and
/// `[alarms]` in the configuration.
#[derive(clap::Args, Debug)]
pub struct Args {
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
    let telemetry = args.config.telemetry()?;
    let alarms = args.config.alarms()?;
    let notify = args.config.notify()?;
    let nats = args.config.nats()?;
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
        let state = showrunner_server::state(&server, token, &telemetry, &alarms, &notify)?;
        let qoe = state.qoe.clone();
        showrunner_server::nats::start(&nats, qoe.clone()).await.map_err(anyhow::Error::msg)?;
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
        // Let the pipeline score what it was given and write the telemetry
        // it buffered before the process ends.
        tokio::task::spawn_blocking(move || qoe.shutdown()).await?;
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
