//! Seeded synthetic instances for tests and benchmarks: a full cube of
//! leaves with heavy-tailed sizes, relative forecast noise, some empty
//! leaves, and root causes injected as a common relative drop (or rise)
//! of every leaf under chosen elements — the model of the Squeeze/RiskLoc
//! synthetic datasets.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::cube::{Cube, CubeBuilder};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct Simulation {
    /// Number of values of each attribute (attributes are named `a`, `b`, …
    /// and values `a1`, `a2`, …).
    pub dims: Vec<usize>,
    /// Relative standard deviation of the forecast error of normal leaves.
    pub noise: f64,
    /// Share of leaves with no traffic at all.
    pub zero_rate: f64,
    /// Share of all attribute combinations that appear as rows (real
    /// telemetry is sparse: most combinations never occur).
    pub density: f64,
    /// Root-cause elements as `(attribute index, value index from 0)` pairs.
    pub causes: Vec<Vec<(usize, usize)>>,
    /// Relative change of every leaf under a cause (−0.5 = halved).
    pub severity: f64,
    /// Random seed.
    pub seed: u64,
}

impl Simulation {
    /// Builds the instance.
    pub fn cube(&self) -> Cube {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let names: Vec<String> = (0..self.dims.len()).map(|i| ((b'a' + i as u8) as char).to_string()).collect();
        let values: Vec<Vec<String>> =
            names.iter().zip(&self.dims).map(|(n, &k)| (1..=k).map(|v| format!("{n}{v}")).collect()).collect();
        let mut builder = CubeBuilder::new(names, false).expect("simulated attributes are valid");
        let total: usize = self.dims.iter().product();
        let mut index = vec![0usize; self.dims.len()];
        for _ in 0..total {
            let present = self.density >= 1.0 || rng.gen_bool(self.density);
            let u: f64 = rng.gen_range(f64::EPSILON..1.0);
            let size = if rng.gen_bool(self.zero_rate) { 0.0 } else { 100.0 * (-u.ln()).powf(1.0 / 0.75) };
            let noise = 1.0 + self.noise * normal(&mut rng);
            let (mut real, predict) = if rng.gen_bool(0.5) { (size * noise, size) } else { (size, size * noise) };
            if self.causes.iter().any(|c| c.iter().all(|&(a, v)| index[a] == v)) {
                real = predict * (1.0 + self.severity);
            }
            if present {
                let leaf: Vec<&str> = index.iter().enumerate().map(|(a, &v)| values[a][v].as_str()).collect();
                builder.push_additive(&leaf, real.max(0.0), predict.max(0.0)).expect("simulated amounts are finite");
            }
            for (a, i) in index.iter_mut().enumerate() {
                *i += 1;
                if *i < self.dims[a] {
                    break;
                }
                *i = 0;
            }
        }
        builder.build().expect("a simulation has leaves")
    }

    /// The canonical labels of the injected causes.
    pub fn labels(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .causes
            .iter()
            .map(|c| {
                let mut pairs: Vec<(usize, usize)> = c.clone();
                pairs.sort();
                pairs
                    .iter()
                    .map(|&(a, v)| {
                        let n = (b'a' + a as u8) as char;
                        format!("{n}={n}{}", v + 1)
                    })
                    .collect::<Vec<_>>()
                    .join("&")
            })
            .collect();
        out.sort();
        out
    }
}

/// A standard normal draw (Box–Muller).
fn normal(rng: &mut impl Rng) -> f64 {
    let u1: f64 = rng.gen_range(f64::EPSILON..1.0);
    let u2: f64 = rng.gen();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
