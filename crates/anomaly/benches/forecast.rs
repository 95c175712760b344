//! Scoring cost of the forecast scorer: one interval of one million
//! monitored series, each with a learned state (a series warmed on two
//! weeks of data, cloned), one core.

use criterion::{criterion_group, criterion_main, Criterion};
use showrunner_anomaly::Forecaster;

const SERIES: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let mut warm = Forecaster::new(1.0);
    for m in 0..2 * 10_080u32 {
        let phase = f64::from(m % 1440) / 1440.0 * std::f64::consts::TAU;
        warm.update(m % 10_080, 600.0 - 400.0 * phase.cos());
    }
    let mut states = vec![warm; SERIES];
    let values: Vec<f64> = (0..SERIES).map(|i| 500.0 + (i % 97) as f64).collect();
    let mut group = c.benchmark_group("forecast");
    group.sample_size(10);
    let mut minute = 0u32;
    group.bench_function("score_1M_series_one_interval", |b| {
        b.iter(|| {
            minute = (minute + 1) % 10_080;
            let mut alarms = 0usize;
            for (state, &v) in states.iter_mut().zip(&values) {
                alarms += usize::from(state.update(minute, v).z.abs() > 4.0);
            }
            alarms
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
