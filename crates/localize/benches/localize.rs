//! Localization speed on simulated instances: the S-sized cube of the
//! public datasets (48,000 leaves) and the large instance —
//! dimensions 10 × 5 × 250 × 20 × 8 × 12 (24M combinations) of which 10%,
//! about 2.4M leaves, have rows — each with three root causes.

use criterion::{criterion_group, criterion_main, Criterion};
use showrunner_localize::simulate::Simulation;
use showrunner_localize::{localize, SearchConfig};

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("localize");
    group.sample_size(10);
    let cases = [("48k_leaves", vec![10, 12, 10, 8, 5], 1.0), ("2.4M_of_24M_leaves", vec![10, 5, 250, 20, 8, 12], 0.1)];
    for (name, dims, density) in cases {
        let sim = Simulation {
            dims,
            noise: 0.1,
            zero_rate: 0.1,
            density,
            causes: vec![vec![(0, 2)], vec![(1, 1), (3, 4)], vec![(0, 5), (2, 7), (4, 3)]],
            severity: -0.5,
            seed: 5,
        };
        let cube = sim.cube();
        let config = SearchConfig::default();
        let got: Vec<String> = localize(&cube, &config).unwrap().root_causes.into_iter().map(|r| r.element).collect();
        assert!(
            sim.labels().iter().all(|l| got.contains(l)),
            "{name}: the benchmarked search must find the injected causes, got {got:?}"
        );
        eprintln!("{name}: found {got:?}");
        group.bench_function(name, |b| b.iter(|| localize(&cube, &config).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
