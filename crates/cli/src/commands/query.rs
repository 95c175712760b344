//! `showrunner query "SQL"`: read-only SQL over the telemetry store.

use std::path::PathBuf;

use anyhow::{Context, Result};

/// `query` arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The SQL; the table is `leaves` (see the README for its columns).
    sql: String,
    /// Data directory holding the telemetry store.
    #[arg(long, env = "SHOWRUNNER_DATA_DIR", default_value = "data")]
    data_dir: PathBuf,
    /// Most rows printed.
    #[arg(long, default_value_t = 100)]
    max_rows: usize,
    /// Print `{"columns", "rows", "truncated"}` as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the query and prints its rows.
pub fn run(args: Args) -> Result<i32> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().context("cannot start tokio")?;
    let root = showrunner_telemetry_store::root(&args.data_dir);
    let result = runtime.block_on(showrunner_telemetry_store::query(&root, &args.sql, args.max_rows.max(1)))?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        println!("{}", result.table);
        if result.truncated {
            println!("… more rows than --max-rows {}", args.max_rows);
        }
    }
    Ok(0)
}
