//! End-to-end behaviour of the search on simulated and hand-built instances.

use showrunner_localize::simulate::Simulation;
use showrunner_localize::{localize, CubeBuilder, SearchConfig};

fn found(sim: &Simulation) -> Vec<String> {
    let result = localize(&sim.cube(), &SearchConfig::default()).unwrap();
    let mut got: Vec<String> = result.root_causes.iter().map(|r| r.element.clone()).collect();
    got.sort();
    got
}

#[test]
fn finds_root_causes_at_different_layers_at_once() {
    // One 1-attribute cause, one 2-attribute, one single leaf, in noise of 10%.
    let sim = Simulation {
        dims: vec![10, 12, 10, 8, 5],
        noise: 0.10,
        zero_rate: 0.1,
        density: 1.0,
        causes: vec![vec![(0, 3)], vec![(1, 5), (3, 2)], vec![(0, 7), (1, 1), (2, 4), (3, 0), (4, 2)]],
        severity: -0.6,
        seed: 11,
    };
    assert_eq!(found(&sim), sim.labels());
}

#[test]
fn a_rise_is_localized_like_a_drop() {
    let sim = Simulation {
        dims: vec![6, 8, 5],
        noise: 0.05,
        zero_rate: 0.0,
        density: 1.0,
        causes: vec![vec![(1, 2), (2, 4)]],
        severity: 0.8,
        seed: 3,
    };
    assert_eq!(found(&sim), vec!["b=b3&c=c5".to_string()]);
}

#[test]
fn pure_noise_is_never_called_well_explained() {
    // Forecast noise alone: at most an extreme single leaf is named (the
    // noise has heavier tails than Gaussian), never a broader element, and
    // the result says it does not explain the deviation.
    for seed in 0..8 {
        let sim = Simulation {
            dims: vec![10, 12, 10],
            noise: 0.15,
            zero_rate: 0.1,
            density: 1.0,
            causes: vec![],
            severity: 0.0,
            seed,
        };
        let result = localize(&sim.cube(), &SearchConfig::default()).unwrap();
        assert!(result.root_causes.iter().all(|r| r.leaves == 1), "seed {seed}: {:?}", result.root_causes);
        assert!(!result.well_explained, "seed {seed}: {result:?}");
    }
}

#[test]
fn explanatory_power_and_ratios_are_reported() {
    // Error rate: 2% everywhere, 30% on cdn=B & isp=ISP-3 in DE.
    let mut b = CubeBuilder::new(vec!["cdn".into(), "isp".into(), "country".into()], true).unwrap();
    for cdn in ["A", "B", "C"] {
        for isp in ["ISP-1", "ISP-2", "ISP-3"] {
            for country in ["DE", "FR"] {
                let sessions = 5000.0;
                let broken = cdn == "B" && isp == "ISP-3" && country == "DE";
                let errors = if broken { 0.30 * sessions } else { 0.02 * sessions };
                b.push_ratio(&[cdn, isp, country], errors, sessions, 0.02).unwrap();
            }
        }
    }
    let result = localize(&b.build().unwrap(), &SearchConfig::default()).unwrap();
    assert_eq!(result.root_causes.len(), 1, "{:?}", result.root_causes);
    let cause = &result.root_causes[0];
    assert_eq!(cause.element, "cdn=B&country=DE&isp=ISP-3");
    assert!((cause.observed - 0.30).abs() < 1e-9 && (cause.expected - 0.02).abs() < 1e-9);
    assert!(cause.explained > 0.99 && result.well_explained);
}

#[test]
fn siblings_covering_their_parent_are_named_as_the_parent() {
    // Every device under bitrate=2000 fails, each to a different degree:
    // the cause is bitrate=2000, not three device-level elements.
    let mut b = CubeBuilder::new(vec!["bitrate".into(), "device".into()], true).unwrap();
    for bitrate in ["500", "1200", "2000"] {
        for (device, fail) in [("C1", 0.40), ("C3", 0.15), ("C5", 0.70)] {
            let n = 4000.0;
            let bad = if bitrate == "2000" { fail } else { 0.03 };
            b.push_ratio(&[bitrate, device], n * (1.0 - bad), n, 0.97).unwrap();
        }
    }
    let result = localize(&b.build().unwrap(), &SearchConfig::default()).unwrap();
    let got: Vec<&str> = result.root_causes.iter().map(|r| r.element.as_str()).collect();
    assert_eq!(got, vec!["bitrate=2000"]);
}
