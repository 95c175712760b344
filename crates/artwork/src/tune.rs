//! `artwork tune`: search one check's thresholds on a labelled dataset for
//! the best F-beta. The models run once per image; each candidate setting
//! only re-runs the checks on the kept scenes, so a search of a few hundred
//! settings costs seconds, not hours.
//!
//! The search is coordinate descent over a grid per parameter: each pass
//! tries every value of one parameter with the others held, keeps the best
//! (a tie keeps the current value, so an uninformative parameter does not
//! drift), and passes repeat until nothing changes.

use std::time::Instant;

use crate::eval::{outcome, Dataset, DefectScore, ImageOutcome};
use crate::{ArtworkConfig, ArtworkError, Scene};

/// What tuning maximises.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Objective {
    /// F-beta's beta: 0.5 favours precision, 1 is F1, 2 favours recall.
    pub beta: f64,
}

impl std::str::FromStr for Objective {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let beta = s
            .strip_prefix(['f', 'F'])
            .and_then(|b| b.parse::<f64>().ok())
            .filter(|b| b.is_finite() && *b > 0.0)
            .ok_or_else(|| format!("objective {s:?}: expected f<beta> with beta > 0, such as f0.5, f1 or f2"))?;
        Ok(Objective { beta })
    }
}

impl std::fmt::Display for Objective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "F{}", self.beta)
    }
}

/// Reads a parameter's value from a configuration.
type Getter = Box<dyn Fn(&ArtworkConfig) -> f32 + Sync>;
/// Writes a parameter's value into a configuration.
type Setter = Box<dyn Fn(&mut ArtworkConfig, f32) + Sync>;

/// One tunable parameter: its name in the configuration, the values tried,
/// and how to read and set it.
pub struct Parameter {
    /// Dotted TOML key (`safe_zone.min_inside`, `kinds.hero.title_required`).
    pub name: String,
    /// The grid searched.
    pub values: Vec<f32>,
    get: Getter,
    set: Setter,
}

impl std::fmt::Debug for Parameter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parameter").field("name", &self.name).field("values", &self.values).finish()
    }
}

fn grid(from: f32, to: f32, step: f32) -> Vec<f32> {
    let n = ((to - from) / step).round() as usize;
    (0..=n).map(|i| ((from + i as f32 * step) * 1000.0).round() / 1000.0).collect()
}

macro_rules! parameter {
    ($section:ident . $field:ident, $values:expr) => {
        Parameter {
            name: concat!(stringify!($section), ".", stringify!($field)).to_owned(),
            values: $values,
            get: Box::new(|c| c.$section.$field as f32),
            set: Box::new(|c, v| c.$section.$field = v as _),
        }
    };
}

/// Whether each of `base`'s kinds must carry a title (0 or 1): it decides
/// whether a missing or unreadable title fails `legibility` and `localization`.
fn title_required(base: &ArtworkConfig) -> impl Iterator<Item = Parameter> + '_ {
    base.kinds.keys().map(|kind| {
        let (read, write) = (kind.clone(), kind.clone());
        Parameter {
            name: format!("kinds.{kind}.title_required"),
            values: vec![0.0, 1.0],
            get: Box::new(move |c| c.kinds.get(&read).map_or(0.0, |k| f32::from(u8::from(k.title_required)))),
            set: Box::new(move |c, v| {
                if let Some(k) = c.kinds.get_mut(&write) {
                    k.title_required = v > 0.5;
                }
            }),
        }
    })
}

/// The parameters of `defect`'s check in `base`, or why it cannot be tuned.
pub fn parameters(defect: &str, base: &ArtworkConfig) -> Result<Vec<Parameter>, ArtworkError> {
    Ok(match defect {
        "safe_zone" => vec![
            parameter!(safe_zone.min_inside, grid(0.80, 1.0, 0.01)),
            parameter!(safe_zone.max_covered, grid(0.0, 0.5, 0.025)),
            parameter!(safe_zone.face_score, grid(0.25, 0.9, 0.05)),
            parameter!(safe_zone.text_score, grid(0.3, 0.9, 0.05)),
        ],
        "legibility" => vec![
            parameter!(legibility.small_text_ratio, grid(2.5, 7.0, 0.25)),
            parameter!(legibility.large_text_ratio, grid(1.5, 4.5, 0.25)),
            parameter!(legibility.large_text_px, grid(12.0, 48.0, 2.0)),
            parameter!(legibility.min_text_px, grid(4.0, 20.0, 1.0)),
            parameter!(legibility.glyph_share, grid(0.02, 0.3, 0.02)),
            parameter!(legibility.window, grid(1.0, 6.0, 0.5)),
        ]
        .into_iter()
        .chain(title_required(base))
        .collect(),
        "colour_blind" => vec![
            parameter!(colour_blind.small_text_ratio, grid(2.5, 7.0, 0.25)),
            parameter!(colour_blind.large_text_ratio, grid(1.5, 4.5, 0.25)),
            parameter!(colour_blind.large_text_px, grid(12.0, 48.0, 2.0)),
        ],
        "pixelation" => vec![
            parameter!(pixelation.max_blockiness, grid(1.1, 4.0, 0.1)),
            parameter!(pixelation.min_detail, grid(0.40, 0.65, 0.005)),
        ],
        "localization" => vec![
            parameter!(localization.min_confidence, grid(0.3, 0.95, 0.05)),
            parameter!(localization.min_letters, grid(2.0, 16.0, 1.0)),
            parameter!(localization.margin, grid(0.0, 1.0, 0.05)),
        ]
        .into_iter()
        .chain(title_required(base))
        .collect(),
        other => {
            return Err(ArtworkError::invalid(
                format!("--defect {other}"),
                "tunable checks: safe_zone, legibility, colour_blind, pixelation, localization",
            ))
        }
    })
}

/// A labelled image whose models have run.
pub struct Sample {
    /// File name in the dataset.
    pub image: String,
    /// What the models found.
    pub scene: Scene,
}

/// The outcome of a search.
pub struct Tuned {
    /// The best configuration found (the base one with the tuned parameters changed).
    pub config: ArtworkConfig,
    /// The tuned check's score with the base configuration.
    pub before: DefectScore,
    /// …and with the tuned one.
    pub after: DefectScore,
    /// (parameter, old value, new value) for each parameter that moved.
    pub changed: Vec<(String, f32, f32)>,
    /// Settings tried.
    pub tried: usize,
    /// Seconds spent searching.
    pub seconds: f64,
}

/// Every check's outcome on every sample with `config`.
pub fn outcomes(samples: &[Sample], dataset: &Dataset, config: &ArtworkConfig) -> Vec<ImageOutcome> {
    samples
        .iter()
        .map(|s| outcome(&s.image, &dataset.labels[&s.image], &crate::report(&s.scene, config, Instant::now())))
        .collect()
}

/// How `defect`'s check scores on the samples with `config`, the samples
/// split over the available cores.
fn defect_score(samples: &[Sample], dataset: &Dataset, config: &ArtworkConfig, defect: &str) -> DefectScore {
    let check = crate::checks::all().into_iter().find(|c| c.name() == defect).expect("a tunable check exists");
    let check = check.as_ref();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = samples.len().div_ceil(cores).max(1);
    let counts: Vec<Vec<(bool, bool)>> = std::thread::scope(|s| {
        let running: Vec<_> = samples
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .filter_map(|sample| {
                            let label = *dataset.labels[&sample.image].get(defect)?;
                            Some((label, !check.run(&sample.scene, config).pass))
                        })
                        .collect()
                })
            })
            .collect();
        running.into_iter().map(|h| h.join().expect("a tuning thread panicked")).collect()
    });
    let mut score = DefectScore::default();
    for (label, predicted) in counts.into_iter().flatten() {
        score.add(label, predicted);
    }
    score
}

/// Searches `defect`'s parameters from `base` for the best `objective`.
pub fn tune(
    samples: &[Sample],
    dataset: &Dataset,
    base: &ArtworkConfig,
    defect: &str,
    objective: Objective,
) -> Result<Tuned, ArtworkError> {
    let parameters = parameters(defect, base)?;
    let labelled = samples.iter().filter(|s| dataset.labels[&s.image].contains_key(defect)).count();
    if labelled == 0 {
        return Err(ArtworkError::invalid(format!("--defect {defect}"), "no image of the dataset is labelled for it"));
    }
    let started = Instant::now();
    let value = |config: &ArtworkConfig| defect_score(samples, dataset, config, defect).f_beta(objective.beta);
    let mut best = base.clone();
    let mut best_value = value(&best);
    let mut tried = 1;
    for _pass in 0..4 {
        let mut moved = false;
        for p in &parameters {
            for &v in &p.values {
                if (v - (p.get)(&best)).abs() < 1e-6 {
                    continue;
                }
                let mut candidate = best.clone();
                (p.set)(&mut candidate, v);
                let candidate_value = value(&candidate);
                tried += 1;
                if candidate_value > best_value + 1e-9 {
                    best = candidate;
                    best_value = candidate_value;
                    moved = true;
                }
            }
        }
        if !moved {
            break;
        }
    }
    let changed = parameters
        .iter()
        .filter(|p| ((p.get)(base) - (p.get)(&best)).abs() > 1e-6)
        .map(|p| (p.name.clone(), (p.get)(base), (p.get)(&best)))
        .collect();
    Ok(Tuned {
        before: defect_score(samples, dataset, base, defect),
        after: defect_score(samples, dataset, &best, defect),
        config: best,
        changed,
        tried,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Writes `config` as `<dir>/artwork-<version>.toml`; an existing file of
/// that name is the same configuration, so it is left as it is. Never
/// overwrites anything else.
pub fn write_version(dir: &std::path::Path, config: &ArtworkConfig) -> Result<std::path::PathBuf, ArtworkError> {
    std::fs::create_dir_all(dir).map_err(|e| ArtworkError::io(dir, e))?;
    let path = dir.join(format!("artwork-{}.toml", config.version()));
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut file) => {
            use std::io::Write;
            file.write_all(config.to_toml().as_bytes()).map_err(|e| ArtworkError::io(&path, e))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = ArtworkConfig::load(&path)?;
            if existing != *config {
                return Err(ArtworkError::invalid(path.display(), "exists with different content; not overwritten"));
            }
        }
        Err(e) => return Err(ArtworkError::io(&path, e)),
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objectives_parse_and_refuse_nonsense() {
        assert_eq!("f0.5".parse::<Objective>().unwrap().beta, 0.5);
        assert_eq!("F2".parse::<Objective>().unwrap().beta, 2.0);
        for bad in ["0.5", "f", "f-1", "fx", "f0"] {
            let message = bad.parse::<Objective>().unwrap_err();
            assert!(message.contains("expected f<beta>"), "{bad}: {message}");
        }
    }

    #[test]
    fn every_tunable_parameter_reads_and_writes_its_own_key() {
        for defect in ["safe_zone", "legibility", "colour_blind", "pixelation", "localization"] {
            for p in parameters(defect, &ArtworkConfig::default()).unwrap() {
                let mut config = ArtworkConfig::default();
                let v = *p.values.iter().find(|&&v| v != (p.get)(&config)).unwrap();
                (p.set)(&mut config, v);
                assert_eq!((p.get)(&config), v, "{}", p.name);
                let toml = config.to_toml();
                let (section, key) = p.name.rsplit_once('.').unwrap();
                assert!(toml.contains(&format!("[{section}]")) && toml.contains(key), "{}", p.name);
                assert_ne!(config.version(), ArtworkConfig::default().version(), "{}", p.name);
            }
        }
        let message = parameters("spec", &ArtworkConfig::default()).unwrap_err().to_string();
        assert!(message.contains("tunable checks"), "{message}");
    }

    #[test]
    fn versions_are_written_once_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let config = ArtworkConfig::default();
        let path = write_version(dir.path(), &config).unwrap();
        assert_eq!(ArtworkConfig::load(&path).unwrap(), config);
        assert_eq!(write_version(dir.path(), &config).unwrap(), path);
        std::fs::write(&path, "[pixelation]\nmin_detail = 0.1\n").unwrap();
        let message = write_version(dir.path(), &config).unwrap_err().to_string();
        assert!(message.contains("not overwritten"), "{message}");
        assert!(std::fs::read_to_string(&path).unwrap().contains("min_detail = 0.1"));
    }
}
