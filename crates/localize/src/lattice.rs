//! The cuboid lattice: for every subset of attributes (a cuboid), the
//! elements that have data, which leaf falls into which element, and the
//! per-element sums of the search statistics.
//!
//! Each cuboid is derived from its smallest parent (one attribute more), as
//! in data-cube computation, and its sums are added up in the same pass, so
//! building costs a few scatter-adds per parent element rather than one hash
//! lookup per leaf and cuboid. Between search rounds only the leaves that
//! were just explained are subtracted, along the stored parent-to-child
//! maps. Element keys are the attribute codes packed into bit fields of one
//! `u64`, so projecting a key onto a cuboid is a mask, not a division.
//! Memory is proportional to the elements that carry data, never to the
//! product of the attribute sizes.

use rustc_hash::FxHashMap;

use crate::cube::Cube;
use crate::element::Element;

/// Per-element sums of the per-leaf search statistics. Double precision:
/// explained leaves are subtracted between rounds, and what remains of an
/// element can be small next to what was taken out.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Agg {
    /// Σ deviation·scale/variance: the numerator of the fitted shift.
    pub fit: f64,
    /// Σ scale²/variance: the information the element carries.
    pub info: f64,
    /// Leaves with data still counted in the sums.
    pub leaves: u32,
}

impl Agg {
    fn add(&mut self, o: &Agg) {
        self.fit += o.fit;
        self.info += o.info;
        self.leaves += o.leaves;
    }

    /// Takes `o` out of the sums; true when that emptied the element.
    fn subtract(&mut self, o: &Agg) -> bool {
        self.fit -= o.fit;
        self.info -= o.info;
        self.leaves -= o.leaves;
        if self.leaves == 0 {
            // No rounding residue survives on an emptied element.
            *self = Agg::default();
        }
        self.leaves == 0 && o.leaves > 0
    }
}

/// One cuboid: its elements' keys and sums, and where its parent's elements
/// (or, for the leaf cuboid, the leaves) go.
struct Cuboid {
    /// Bit set of the attributes this cuboid fixes.
    mask: u32,
    /// Index of the cuboid it is aggregated from (`None` for the leaf cuboid).
    parent: Option<usize>,
    /// For each parent element, this cuboid's element (empty for the leaf
    /// cuboid, whose elements are the leaves in order).
    map: Vec<u32>,
    /// Packed key of each element.
    keys: Vec<u64>,
    /// Sums of each element.
    sums: Vec<Agg>,
}

/// Every cuboid of a cube with its current sums, finest cuboid first.
pub(crate) struct Lattice {
    /// Bit offset of each attribute's code in a packed key.
    shifts: Vec<u32>,
    /// Bit mask of each attribute's code (after shifting).
    field_masks: Vec<u64>,
    cardinalities: Vec<u64>,
    /// Cuboids in order of decreasing number of attributes.
    cuboids: Vec<Cuboid>,
}

/// A reusable lookup table from a cuboid's dense element index to its
/// compact slot, for cuboids whose full product is small.
struct DenseTable(Vec<u32>);

const EMPTY: u32 = u32::MAX;

impl Lattice {
    /// Builds the lattice of `cube` and sums `leaves` (one statistic per
    /// leaf) into every element; fails when the attribute codes do not fit
    /// a 64-bit key.
    pub fn build(cube: &Cube, leaves: &[Agg]) -> Result<Lattice, String> {
        let d = cube.attributes().len();
        let cardinalities: Vec<u64> = (0..d).map(|a| cube.values(a).len() as u64).collect();
        let mut shifts = Vec::with_capacity(d);
        let mut field_masks = Vec::with_capacity(d);
        let mut bits = 0u32;
        for &c in &cardinalities {
            let width = 64 - c.saturating_sub(1).leading_zeros();
            shifts.push(bits);
            field_masks.push((1u64 << width) - 1);
            bits += width;
            if bits > 64 {
                return Err("the attribute sizes need more than 64 bits of key; drop or merge attributes".into());
            }
        }
        let mut lattice = Lattice { shifts, field_masks, cardinalities, cuboids: Vec::new() };
        let mut table = DenseTable(Vec::new());
        let full = (1u32 << d) - 1;
        let leaf_keys: Vec<u64> = (0..cube.len())
            .map(|i| cube.leaf(i).iter().zip(&lattice.shifts).map(|(&c, &s)| (c as u64) << s).sum())
            .collect();
        // Rows are the finest elements as they come: a combination repeated
        // in the input stays two leaves there and merges in every coarser
        // element.
        lattice.cuboids.push(Cuboid {
            mask: full,
            parent: None,
            map: Vec::new(),
            keys: leaf_keys,
            sums: leaves.to_vec(),
        });
        let mut index: FxHashMap<u32, usize> = FxHashMap::default();
        index.insert(full, 0);
        for layer in (1..d).rev() {
            for mask in masks_with(d, layer) {
                let parent = (0..d)
                    .filter(|j| mask & (1 << j) == 0)
                    .map(|j| index[&(mask | (1 << j))])
                    .min_by_key(|&p| lattice.cuboids[p].keys.len())
                    .expect("a cuboid below the top has a parent");
                let dropped = (lattice.cuboids[parent].mask & !mask).trailing_zeros() as usize;
                let clear = !(lattice.field_masks[dropped] << lattice.shifts[dropped]);
                let projected: Vec<u64> = lattice.cuboids[parent].keys.iter().map(|&k| k & clear).collect();
                let cuboid = lattice.derive(mask, parent, &projected, &lattice.cuboids[parent].sums, &mut table);
                index.insert(mask, lattice.cuboids.len());
                lattice.cuboids.push(cuboid);
            }
        }
        Ok(lattice)
    }

    /// Groups `keys` (one per source element) into this cuboid's elements
    /// and sums the sources' statistics into them. A dense lookup table is
    /// used when the cuboid's full product is small next to the number of
    /// sources, a hash map otherwise.
    fn derive(&self, mask: u32, parent: usize, keys: &[u64], from: &[Agg], table: &mut DenseTable) -> Cuboid {
        let attrs: Vec<usize> = (0..self.shifts.len()).filter(|j| mask & (1 << j) != 0).collect();
        let product = attrs.iter().try_fold(1u64, |p, &j| p.checked_mul(self.cardinalities[j]));
        let most = product.map_or(keys.len(), |p| keys.len().min(p as usize));
        let mut cuboid = Cuboid {
            mask,
            parent: Some(parent),
            map: Vec::with_capacity(keys.len()),
            keys: Vec::with_capacity(most),
            sums: Vec::with_capacity(most),
        };
        let place = |cuboid: &mut Cuboid, slot: &mut u32, key: u64, stat: &Agg| {
            if *slot == EMPTY {
                *slot = cuboid.keys.len() as u32;
                cuboid.keys.push(key);
                cuboid.sums.push(Agg::default());
            }
            cuboid.map.push(*slot);
            cuboid.sums[*slot as usize].add(stat);
        };
        match product {
            Some(p) if p <= 2 * keys.len() as u64 + 64 => {
                let fields: Vec<(u32, u64, u64)> = attrs
                    .iter()
                    .scan(1u64, |step, &j| {
                        let field = (self.shifts[j], self.field_masks[j], *step);
                        *step *= self.cardinalities[j];
                        Some(field)
                    })
                    .collect();
                table.0.clear();
                table.0.resize(p as usize, EMPTY);
                for (&key, stat) in keys.iter().zip(from) {
                    let dense = fields.iter().map(|&(shift, m, step)| ((key >> shift) & m) * step).sum::<u64>();
                    place(&mut cuboid, &mut table.0[dense as usize], key, stat);
                }
            }
            _ => {
                let mut slots: FxHashMap<u64, u32> = FxHashMap::default();
                slots.reserve(most);
                for (&key, stat) in keys.iter().zip(from) {
                    place(&mut cuboid, slots.entry(key).or_insert(EMPTY), key, stat);
                }
            }
        }
        cuboid
    }

    /// Subtracts the statistics of `removed` leaves (leaf index and the
    /// statistic that was summed for it) from every element containing them,
    /// and hands each cuboid's updated sums, changed slots (one per removed
    /// leaf, so with repeats) and the number of elements it emptied to
    /// `changed(cuboid, sums, slots, emptied)`.
    pub fn subtract(&mut self, removed: &[(usize, Agg)], mut changed: impl FnMut(usize, &[Agg], &[u32], u64)) {
        let mut slots_of: Vec<Option<Vec<u32>>> = Vec::with_capacity(self.cuboids.len());
        for c in 0..self.cuboids.len() {
            let layer = self.cuboids[c].mask.count_ones();
            if c > 0 && layer != self.cuboids[c - 1].mask.count_ones() {
                // Layers two or more above this one are no longer parents.
                for (s, other) in slots_of.iter_mut().zip(&self.cuboids) {
                    if other.mask.count_ones() >= layer + 2 {
                        *s = None;
                    }
                }
            }
            let cuboid = &mut self.cuboids[c];
            let slots: Vec<u32> = match cuboid.parent {
                None => removed.iter().map(|&(leaf, _)| leaf as u32).collect(),
                Some(p) => slots_of[p]
                    .as_deref()
                    .expect("parent slots kept until children are done")
                    .iter()
                    .map(|&s| cuboid.map[s as usize])
                    .collect(),
            };
            let mut emptied = 0;
            for (&slot, (_, stat)) in slots.iter().zip(removed) {
                emptied += u64::from(cuboid.sums[slot as usize].subtract(stat));
            }
            changed(c, &cuboid.sums, &slots, emptied);
            slots_of.push(Some(slots));
        }
    }

    /// Every cuboid's attribute mask and element sums, finest first; the
    /// position of an element in its sums is its slot for
    /// [`Lattice::element`].
    pub fn cuboids(&self) -> impl Iterator<Item = (u32, &[Agg])> {
        self.cuboids.iter().map(|c| (c.mask, c.sums.as_slice()))
    }

    /// The element in `slot` of cuboid `cuboid`.
    pub fn element(&self, cuboid: usize, slot: usize) -> Element {
        let c = &self.cuboids[cuboid];
        let key = c.keys[slot];
        let pairs = (0..self.shifts.len())
            .filter(|j| c.mask & (1 << j) != 0)
            .map(|j| (j, ((key >> self.shifts[j]) & self.field_masks[j]) as u32))
            .collect();
        Element { pairs }
    }
}

/// All bit sets over `d` attributes with exactly `layer` bits.
fn masks_with(d: usize, layer: usize) -> impl Iterator<Item = u32> {
    (1u32..(1 << d)).filter(move |m| m.count_ones() as usize == layer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::Simulation;

    /// Every element's sums by label, for comparing two lattices.
    fn by_label(lattice: &Lattice, cube: &Cube) -> Vec<(String, f64, f64, u32)> {
        let mut out: Vec<(String, f64, f64, u32)> = Vec::new();
        for (c, (_, sums)) in lattice.cuboids().enumerate() {
            for (slot, agg) in sums.iter().enumerate().filter(|(_, a)| a.leaves > 0) {
                out.push((lattice.element(c, slot).label(cube), agg.fit, agg.info, agg.leaves));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn subtracting_leaves_equals_building_without_them() {
        let sim = Simulation {
            dims: vec![4, 3, 5, 2],
            noise: 0.1,
            zero_rate: 0.0,
            density: 0.7,
            causes: vec![],
            severity: 0.0,
            seed: 11,
        };
        let cube = sim.cube();
        let stats: Vec<Agg> =
            (0..cube.len()).map(|i| Agg { fit: i as f64 - 40.0, info: 1.0 + (i % 7) as f64, leaves: 1 }).collect();
        let mut lattice = Lattice::build(&cube, &stats).unwrap();
        let removed: Vec<(usize, Agg)> = (0..cube.len()).filter(|i| i % 3 == 0).map(|i| (i, stats[i])).collect();
        let mut emptied_total = 0;
        lattice.subtract(&removed, |_, _, changed, emptied| {
            assert_eq!(changed.len(), removed.len());
            emptied_total += emptied;
        });
        let kept: Vec<Agg> =
            stats.iter().enumerate().map(|(i, s)| if i % 3 == 0 { Agg::default() } else { *s }).collect();
        let fresh = Lattice::build(&cube, &kept).unwrap();
        let (got, want) = (by_label(&lattice, &cube), by_label(&fresh, &cube));
        assert_eq!(got.len(), want.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.0, g.3), (&w.0, w.3));
            assert!((g.1 - w.1).abs() < 1e-9 && (g.2 - w.2).abs() < 1e-9, "{g:?} vs {w:?}");
        }
        // Every removed leaf empties its own finest element at least.
        assert!(emptied_total >= removed.len() as u64);
    }
}
