//! Running the built `showrunner` binary from integration tests.

#![allow(dead_code)] // each test file uses the helpers it needs

use std::process::{Command, Output};

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
