//! `showrunner localize FILE...`: the root causes of a deviating metric.

use std::path::PathBuf;

use anyhow::Result;
use showrunner_localize::load::Source;
use showrunner_localize::{localize, Localization};

use crate::settings::ConfigArgs;
use crate::table::{write_stdout, Table};

/// Arguments of `showrunner localize`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Instance files: a leaf CSV with attribute columns, `real` and
    /// `predict`; a ratio pair `<id>.a.csv`/`<id>.b.csv` (either name); or a
    /// raw per-minute CSV with `min`, `value`, `cnt`.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// For per-minute files: the anomaly minute (Unix seconds). Default: the
    /// file's entry in an `anomaly.yaml` beside it, else its last minute.
    #[arg(long, value_name = "UNIX_SECONDS")]
    pub at: Option<i64>,
    /// One JSON object per file instead of a table.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Runs the command: 0 when every file was localized, 2 on the first input error.
pub fn run(args: Args) -> Result<i32> {
    let config = args.config.localize()?;
    for file in &args.files {
        let source = Source::detect(file, args.at)?;
        let cube = source.load()?;
        let result = localize(&cube, &config)?;
        let out = if args.json {
            json_line(file, &result)?
        } else {
            let ratio = cube.measure().is_ratio();
            human(file, &result, ratio)
        };
        write_stdout(&out)?;
    }
    Ok(0)
}

fn json_line(file: &std::path::Path, r: &Localization) -> Result<String> {
    let value = serde_json::json!({
        "file": file.display().to_string(),
        "root_causes": r.root_causes.iter().map(|c| c.element.as_str()).collect::<Vec<_>>(),
        "details": r.root_causes,
        "observed": r.observed,
        "expected": r.expected,
        "explained": r.explained,
        "well_explained": r.well_explained,
        "noise": r.noise,
    });
    Ok(format!("{}\n", serde_json::to_string(&value)?))
}

fn human(file: &std::path::Path, r: &Localization, ratio: bool) -> String {
    let fmt = |v: f64| if ratio { format!("{v:.4}") } else { format!("{v:.1}") };
    let change =
        if r.expected != 0.0 { format!(" ({:+.1}%)", 100.0 * (r.observed / r.expected - 1.0)) } else { String::new() };
    let mut out = format!(
        "{}: {} {} observed vs {} expected{change}\n",
        file.display(),
        if ratio { "ratio" } else { "total" },
        fmt(r.observed),
        fmt(r.expected)
    );
    if r.root_causes.is_empty() {
        out.push_str("  no element explains the deviation beyond forecast noise\n");
        return out;
    }
    let mut t = Table::new(&["#", "ELEMENT", "LEAVES", "OBSERVED", "EXPECTED", "EXPLAINED", "CONFIDENCE"]);
    for (i, c) in r.root_causes.iter().enumerate() {
        t.row(vec![
            (i + 1).to_string(),
            c.element.clone(),
            c.leaves.to_string(),
            fmt(c.observed),
            fmt(c.expected),
            format!("{:.0}%", 100.0 * c.explained),
            format!("{:.2}", c.confidence),
        ]);
    }
    for line in t.render().lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&format!(
        "  together they explain {:.0}% of the deviation{}\n",
        100.0 * r.explained,
        if r.well_explained { "" } else { " — not a good explanation; look beyond these attributes" }
    ));
    out
}
