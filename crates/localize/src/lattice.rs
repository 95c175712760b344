//! The cuboid lattice: for every subset of attributes (a cuboid), the
//! elements that have data and which leaf falls into which element.
//!
//! Built once per instance; each search round then aggregates per-leaf sums
//! into every element by scatter-adds along precomputed maps, finest cuboid
//! first, so a round costs a few array passes instead of hash lookups. Each
//! cuboid is derived from its smallest already-built parent (one attribute
//! more), as in data-cube computation, which keeps the total work close to
//! `attributes × leaves`. Memory is proportional to the leaves that carry
//! data, never to the product of the attribute sizes.

use rustc_hash::FxHashMap;

use crate::cube::Cube;
use crate::element::Element;

/// Per-element sums of the per-leaf search statistics.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Agg {
    /// Σ deviation·scale/variance: the numerator of the fitted shift.
    pub fit: f64,
    /// Σ scale²/variance: the information the element carries.
    pub info: f64,
    /// Σ (observed − expected).
    pub dev: f64,
    /// Leaves with data.
    pub leaves: u32,
}

impl Agg {
    fn add(&mut self, o: &Agg) {
        self.fit += o.fit;
        self.info += o.info;
        self.dev += o.dev;
        self.leaves += o.leaves;
    }
}

/// One cuboid: its slots (elements), their keys, and where its parent's
/// slots go.
struct Cuboid {
    /// Bit set of the attributes this cuboid fixes.
    mask: u32,
    /// The cuboid it is aggregated from (`None` for the leaf cuboid).
    parent: Option<u32>,
    /// For each parent slot (or each leaf), this cuboid's slot.
    map: Vec<u32>,
    /// Global key of each slot (see [`Lattice::strides`]).
    keys: Vec<u64>,
}

/// Every cuboid of a cube, finest first.
pub(crate) struct Lattice {
    cardinalities: Vec<u64>,
    /// `strides[j]` = product of the cardinalities of attributes `< j`; a
    /// global key is Σ code_j · stride_j over the attributes a cuboid fixes.
    strides: Vec<u64>,
    /// Cuboids in order of decreasing number of attributes.
    cuboids: Vec<Cuboid>,
    /// Index into `cuboids` by mask.
    by_mask: FxHashMap<u32, usize>,
}

impl Lattice {
    /// Builds the lattice of `cube`; fails when the attribute sizes multiply
    /// past what a 64-bit key can address.
    pub fn build(cube: &Cube) -> Result<Lattice, String> {
        let d = cube.attributes().len();
        let cardinalities: Vec<u64> = (0..d).map(|a| cube.values(a).len() as u64).collect();
        let mut strides = Vec::with_capacity(d);
        let mut product: u64 = 1;
        for &c in &cardinalities {
            strides.push(product);
            product = product.checked_mul(c).ok_or_else(|| {
                "the attribute sizes multiply past 2^64 combinations; drop or merge attributes".to_string()
            })?;
        }
        let mut lattice = Lattice { cardinalities, strides, cuboids: Vec::new(), by_mask: FxHashMap::default() };
        let full = (1u32 << d) - 1;
        let leaf_keys = (0..cube.len())
            .map(|i| cube.leaf(i).iter().zip(&lattice.strides).map(|(&c, &s)| c as u64 * s).sum::<u64>());
        let (map, keys) = lattice.group(full, leaf_keys, cube.len());
        lattice.push(Cuboid { mask: full, parent: None, map, keys });
        for layer in (1..d).rev() {
            for mask in masks_with(d, layer) {
                let parent = (0..d)
                    .filter(|j| mask & (1 << j) == 0)
                    .map(|j| mask | (1 << j))
                    .min_by_key(|p| lattice.cuboids[lattice.by_mask[p]].keys.len())
                    .expect("a cuboid below the top has a parent");
                let keys_of_parent = &lattice.cuboids[lattice.by_mask[&parent]].keys;
                let dropped = (parent & !mask).trailing_zeros() as usize;
                let (stride, card) = (lattice.strides[dropped], lattice.cardinalities[dropped]);
                let projected: Vec<u64> = keys_of_parent.iter().map(|&k| k - (k / stride % card) * stride).collect();
                let n = projected.len();
                let (map, keys) = lattice.group(mask, projected.into_iter(), n);
                lattice.push(Cuboid { mask, parent: Some(parent), map, keys });
            }
        }
        Ok(lattice)
    }

    fn push(&mut self, c: Cuboid) {
        self.by_mask.insert(c.mask, self.cuboids.len());
        self.cuboids.push(c);
    }

    /// Assigns each key a slot: dense when the cuboid's full product is small
    /// next to the number of keys, hashed otherwise.
    fn group(&self, mask: u32, keys: impl Iterator<Item = u64>, n: usize) -> (Vec<u32>, Vec<u64>) {
        let attrs: Vec<usize> = (0..self.strides.len()).filter(|j| mask & (1 << j) != 0).collect();
        let product = attrs.iter().try_fold(1u64, |p, &j| p.checked_mul(self.cardinalities[j]));
        let mut map = Vec::with_capacity(n);
        match product {
            Some(p) if p <= 2 * n as u64 + 64 => {
                let local = |k: u64| {
                    let mut idx = 0u64;
                    let mut step = 1u64;
                    for &j in &attrs {
                        idx += (k / self.strides[j] % self.cardinalities[j]) * step;
                        step *= self.cardinalities[j];
                    }
                    idx as u32
                };
                map.extend(keys.map(local));
                let slot_keys = (0..p)
                    .map(|mut idx| {
                        let mut k = 0;
                        for &j in &attrs {
                            k += (idx % self.cardinalities[j]) * self.strides[j];
                            idx /= self.cardinalities[j];
                        }
                        k
                    })
                    .collect();
                (map, slot_keys)
            }
            _ => {
                let mut slots: FxHashMap<u64, u32> = FxHashMap::default();
                let mut slot_keys = Vec::new();
                for k in keys {
                    let next = slot_keys.len() as u32;
                    let s = *slots.entry(k).or_insert_with(|| {
                        slot_keys.push(k);
                        next
                    });
                    map.push(s);
                }
                (map, slot_keys)
            }
        }
    }

    /// Sums per-leaf statistics into every element and hands each cuboid's
    /// sums to `visit(mask, keys, sums)`, finest cuboid first. Sums of a
    /// layer are dropped once the next coarser layer no longer needs them.
    pub fn aggregate(&self, leaves: &[Agg], mut visit: impl FnMut(u32, &[u64], &[Agg])) {
        let mut sums: Vec<Option<Vec<Agg>>> = Vec::with_capacity(self.cuboids.len());
        let mut current_layer = u32::MAX;
        for c in &self.cuboids {
            let layer = c.mask.count_ones();
            if layer != current_layer {
                // Layers two or more above this one are no longer parents.
                for (s, other) in sums.iter_mut().zip(&self.cuboids) {
                    if other.mask.count_ones() >= layer + 2 {
                        *s = None;
                    }
                }
                current_layer = layer;
            }
            let mut own = vec![Agg::default(); c.keys.len()];
            let source: &[Agg] = match c.parent {
                None => leaves,
                Some(p) => sums[self.by_mask[&p]].as_deref().expect("parent sums kept until children are done"),
            };
            for (from, &to) in source.iter().zip(&c.map) {
                if from.leaves > 0 {
                    own[to as usize].add(from);
                }
            }
            visit(c.mask, &c.keys, &own);
            sums.push(Some(own));
        }
    }

    /// The element a cuboid's key stands for.
    pub fn element(&self, mask: u32, key: u64) -> Element {
        let pairs = (0..self.strides.len())
            .filter(|j| mask & (1 << j) != 0)
            .map(|j| (j, (key / self.strides[j] % self.cardinalities[j]) as u32))
            .collect();
        Element { pairs }
    }
}

/// All bit sets over `d` attributes with exactly `layer` bits.
fn masks_with(d: usize, layer: usize) -> impl Iterator<Item = u32> {
    (1u32..(1 << d)).filter(move |m| m.count_ones() as usize == layer)
}
