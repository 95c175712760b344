//! Per-cuboid summaries the search ranks elements from: the strongest
//! elements deviating with the anomaly, the strongest ones deviating
//! against it (the empirical null), and how many elements have data.
//!
//! A summary is computed by one pass over the cuboid and then patched after
//! each round from the elements whose sums changed. Each side keeps every
//! element whose gain exceeds a floor, and no element outside the list
//! scores above that floor; an element that changed is taken out of the
//! list and offered again with its new gain, so the list stays exact.
//! Only when a list runs short of what the search needs is the cuboid
//! scanned again. Later rounds usually remove a small element's leaves,
//! which makes them far cheaper than the first.

use crate::lattice::Agg;

/// Opposite-side gains kept per layer to estimate the tail.
pub(crate) const NULL_TOP: usize = 8;

/// Elements kept per side and cuboid after a full pass.
const KEEP: usize = 2 * NULL_TOP;

/// One ranked element of a cuboid.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ranked {
    /// Likelihood gain.
    pub gain: f64,
    /// Position in the cuboid's sums.
    pub slot: u32,
    /// Leaf count when ranked; it drops whenever the element changes.
    leaves: u32,
}

/// The elements of one side (with or against the anomaly) that score
/// above `floor`, best first.
#[derive(Debug, Clone, Default)]
pub(crate) struct SideList {
    /// No element of this side outside `ranked` has a higher gain; −1 when
    /// `ranked` holds every element of the side.
    floor: f64,
    /// Elements above the floor, by decreasing gain.
    pub ranked: Vec<Ranked>,
}

impl SideList {
    /// Whether the list still answers "which are the top `need` elements".
    fn answers(&self, need: usize) -> bool {
        self.floor < 0.0 || self.ranked.len() >= need
    }

    fn offer(&mut self, entry: Ranked) {
        if entry.gain > self.floor && !self.ranked.iter().any(|r| r.slot == entry.slot) {
            let at = self.ranked.partition_point(|r| r.gain >= entry.gain);
            self.ranked.insert(at, entry);
        }
    }

    /// Keeps the `KEEP` best once the list has grown to twice that, and
    /// returns the gain an element must now exceed to be worth offering.
    fn compact(&mut self) -> f64 {
        if self.ranked.len() >= 2 * KEEP {
            self.ranked.truncate(KEEP);
            self.floor = self.ranked[KEEP - 1].gain;
        }
        self.floor
    }
}

/// The summary of one cuboid.
#[derive(Debug, Clone, Default)]
pub(crate) struct CuboidScan {
    /// Elements with data (candidates for the multiple-testing count).
    pub candidates: u64,
    /// Elements deviating the same way as the total.
    pub with: SideList,
    /// Elements deviating against it: pure noise.
    pub against: SideList,
}

impl CuboidScan {
    /// Summarises every element of a cuboid; `direction` is the sign of the
    /// total deviation.
    pub fn full(sums: &[Agg], direction: f64) -> CuboidScan {
        let mut scan = CuboidScan {
            candidates: 0,
            with: SideList { floor: -1.0, ranked: Vec::new() },
            against: SideList { floor: -1.0, ranked: Vec::new() },
        };
        // Gains are compared as fit² > bar·info, so the division is paid
        // only by the few elements that make a list.
        let mut bars = [-1.0f64; 2];
        for (slot, agg) in sums.iter().enumerate() {
            if !has_data(agg) {
                continue;
            }
            scan.candidates += 1;
            let square = agg.fit * agg.fit;
            let side = usize::from(agg.fit * direction < 0.0);
            if square <= bars[side] * agg.info {
                continue;
            }
            let list = if side == 0 { &mut scan.with } else { &mut scan.against };
            list.offer(Ranked { gain: square / agg.info, slot: slot as u32, leaves: agg.leaves });
            bars[side] = list.compact();
        }
        for list in [&mut scan.with, &mut scan.against] {
            if list.ranked.len() > KEEP {
                list.ranked.truncate(KEEP);
                list.floor = list.ranked[KEEP - 1].gain;
            }
        }
        scan
    }

    /// Brings the summary up to date after the sums of the `changed` slots
    /// (repeats allowed) went down and `emptied` of them lost their last
    /// leaf; falls back to a full pass when a list runs short.
    pub fn patch(&mut self, sums: &[Agg], changed: &[u32], emptied: u64, direction: f64) {
        self.candidates -= emptied;
        for list in [&mut self.with, &mut self.against] {
            list.ranked.retain(|r| sums[r.slot as usize].leaves == r.leaves);
        }
        for &slot in changed {
            let agg = &sums[slot as usize];
            if !has_data(agg) {
                continue;
            }
            let entry = Ranked { gain: agg.fit * agg.fit / agg.info, slot, leaves: agg.leaves };
            let list = if agg.fit * direction >= 0.0 { &mut self.with } else { &mut self.against };
            list.offer(entry);
            if list.ranked.len() > 4 * KEEP {
                // So much changed that a fresh pass is cheaper.
                *self = CuboidScan::full(sums, direction);
                return;
            }
        }
        if !self.with.answers(1) || !self.against.answers(NULL_TOP) {
            *self = CuboidScan::full(sums, direction);
        }
    }
}

/// Whether an element still has leaves with information.
fn has_data(agg: &Agg) -> bool {
    agg.leaves > 0 && agg.info > 0.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn summary(scan: &CuboidScan) -> (u64, Option<(u32, f64)>, Vec<f64>) {
        let best = scan.with.ranked.first().map(|r| (r.slot, r.gain));
        let null = scan.against.ranked.iter().take(NULL_TOP).map(|r| r.gain).collect();
        (scan.candidates, best, null)
    }

    #[test]
    fn a_patched_summary_equals_a_fresh_pass() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut sums: Vec<Agg> = (0..5000)
            .map(|_| Agg {
                fit: rng.gen_range(-10.0..10.0),
                info: rng.gen_range(1.0..20.0),
                leaves: rng.gen_range(1..4),
            })
            .collect();
        let mut scan = CuboidScan::full(&sums, 1.0);
        for round in 0..40 {
            // Take one leaf out of a few elements, the strongest among them
            // every other round, as a search round does.
            let mut changed: Vec<u32> = (0..30).map(|_| rng.gen_range(0..sums.len() as u32)).collect();
            if round % 2 == 0 {
                changed.push(scan.with.ranked[0].slot);
            }
            let mut emptied = 0;
            for &s in &changed {
                let agg = &mut sums[s as usize];
                if agg.leaves > 0 {
                    agg.leaves -= 1;
                    agg.fit *= 0.5;
                    agg.info *= 0.7;
                    if agg.leaves == 0 {
                        *agg = Agg::default();
                        emptied += 1;
                    }
                }
            }
            scan.patch(&sums, &changed, emptied, 1.0);
            assert_eq!(summary(&scan), summary(&CuboidScan::full(&sums, 1.0)), "round {round}");
        }
    }
}
