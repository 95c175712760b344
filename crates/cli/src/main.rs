//! `showrunner`: the command-line front end. It parses arguments, calls the
//! library crates and prints; all the work lives in the crates.

mod commands;
mod settings;
mod table;

use clap::{Parser, Subcommand};

/// showrunner — streaming-video operations: defect detection, QoE alarms,
/// localization.
#[derive(Parser)]
#[command(name = "showrunner", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Analyse files or URLs for audio/video defects.
    Analyze(commands::analyze::Args),
    /// Build labelled corpora of clips with injected defects.
    #[command(subcommand)]
    Corpus(commands::corpus::Command),
    /// Find the dimension combinations that explain a deviating metric.
    Localize(commands::localize::Args),
    /// Generate labelled simulated data.
    #[command(subcommand)]
    Simulate(commands::simulate::Command),
    /// Replay player telemetry through validation and aggregation.
    #[command(subcommand)]
    Telemetry(commands::telemetry::Command),
    /// Detect QoE alarms into the alarm store; list, show, acknowledge them.
    #[command(subcommand)]
    Alarms(commands::alarms::Command),
    /// Read-only SQL over the telemetry store.
    Query(commands::query::Args),
    /// Serve the HTTP API: live telemetry in, alarms out.
    Serve(commands::serve::Args),
    /// Check partner artwork; generate, evaluate and compare labelled sets.
    #[command(subcommand)]
    Artwork(commands::artwork::Command),
    /// Measure speed on this machine.
    #[command(subcommand)]
    Bench(commands::bench::Command),
    /// Measure accuracy against labelled data.
    #[command(subcommand)]
    Eval(commands::eval::Command),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Corpus(cmd) => commands::corpus::run(cmd),
        Command::Localize(args) => commands::localize::run(args),
        Command::Simulate(cmd) => commands::simulate::run(cmd),
        Command::Telemetry(cmd) => commands::telemetry::run(cmd),
        Command::Alarms(cmd) => commands::alarms::run(cmd),
        Command::Query(args) => commands::query::run(args),
        Command::Serve(args) => commands::serve::run(args),
        Command::Eval(cmd) => commands::eval::run(cmd),
        Command::Bench(cmd) => commands::bench::run(cmd),
        Command::Artwork(cmd) => commands::artwork::run(cmd),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::exit(2);
        }
    }
}
