//! Precision, recall and F1 of the default search on freshly simulated
//! S-sized instances (10 × 12 × 10 × 8 × 5 leaves, one to three causes of
//! one layer between 1 and 3, relative noise 0–20%, drops and rises): a
//! check on data no parameter was tuned on.
//!
//! `cargo run --release -p showrunner-localize --example simulated_eval -- [SEED] [INSTANCES]`

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use showrunner_localize::simulate::Simulation;
use showrunner_localize::{localize, SearchConfig};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>().expect("SEED and INSTANCES are integers"));
    let seed = args.next().unwrap_or(777_001);
    let instances = args.next().unwrap_or(60);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let dims = vec![10, 12, 10, 8, 5];
    let (mut tp, mut fp, mut fn_) = (0usize, 0usize, 0usize);
    for k in 0..instances {
        let layer = rng.gen_range(1..=3);
        let wanted = rng.gen_range(1..=3);
        let mut causes: Vec<Vec<(usize, usize)>> = Vec::new();
        while causes.len() < wanted {
            let mut attrs: Vec<usize> = (0..dims.len()).collect();
            let mut cause: Vec<(usize, usize)> = (0..layer)
                .map(|_| {
                    let a = attrs.remove(rng.gen_range(0..attrs.len()));
                    (a, rng.gen_range(0..dims[a]))
                })
                .collect();
            cause.sort();
            if !causes.contains(&cause) {
                causes.push(cause);
            }
        }
        let sim = Simulation {
            dims: dims.clone(),
            noise: [0.0, 0.05, 0.1, 0.2][k as usize % 4],
            zero_rate: 0.1,
            density: 1.0,
            causes,
            severity: if k % 2 == 0 { -0.5 } else { 0.3 },
            seed: seed.wrapping_add(k),
        };
        let found = localize(&sim.cube(), &SearchConfig::default()).expect("simulated instances localize");
        let labels = sim.labels();
        let hits = found.root_causes.iter().filter(|r| labels.contains(&r.element)).count();
        tp += hits;
        fp += found.root_causes.len() - hits;
        fn_ += labels.len() - hits;
    }
    let precision = tp as f64 / (tp + fp).max(1) as f64;
    let recall = tp as f64 / (tp + fn_).max(1) as f64;
    let f1 = if tp > 0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    println!(
        "seed {seed}, {instances} instances: TP {tp} FP {fp} FN {fn_} precision {precision:.2} recall {recall:.2} F1 {f1:.3}"
    );
}
