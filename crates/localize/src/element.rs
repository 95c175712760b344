//! Elements: conjunctions of attribute=value pairs, and their canonical
//! string form `attr1=v1&attr2=v2` with attributes in sorted order.

use crate::cube::Cube;

/// One element: the leaves whose attributes take these values.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Element {
    /// `(attribute index, value code)` pairs, in attribute-index order.
    pub pairs: Vec<(usize, u32)>,
}

impl Element {
    /// Number of attributes the element fixes (its layer in the lattice).
    pub fn layer(&self) -> usize {
        self.pairs.len()
    }

    /// Whether every leaf of `other` belongs to this element too (this
    /// element fixes a subset of `other`'s pairs).
    pub fn covers(&self, other: &Element) -> bool {
        self.pairs.iter().all(|p| other.pairs.contains(p))
    }

    /// The element with attribute `attr` no longer fixed.
    pub fn without(&self, attr: usize) -> Element {
        Element { pairs: self.pairs.iter().copied().filter(|&(a, _)| a != attr).collect() }
    }

    /// Whether the leaf with these value codes belongs to the element.
    pub fn contains(&self, leaf: &[u32]) -> bool {
        self.pairs.iter().all(|&(a, v)| leaf[a] == v)
    }

    /// The canonical label: `attr=value` pairs, attributes sorted by name,
    /// values written exactly as in the input.
    pub fn label(&self, cube: &Cube) -> String {
        let pairs: Vec<(&str, &str)> = self
            .pairs
            .iter()
            .map(|&(a, v)| (cube.attributes()[a].as_str(), cube.values(a)[v as usize].as_str()))
            .collect();
        join_pairs(pairs)
    }
}

fn join_pairs(mut pairs: Vec<(&str, &str)>) -> String {
    pairs.sort_unstable();
    pairs.iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>().join("&")
}

/// Canonical form of a label element written by someone else (pairs in any
/// order, surrounding blanks ignored); `None` when a pair has no `=`.
pub fn canonical_label(element: &str) -> Option<String> {
    let mut pairs = Vec::new();
    for pair in element.split('&') {
        let (a, v) = pair.split_once('=')?;
        pairs.push((a.trim(), v.trim()));
    }
    Some(join_pairs(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_label_sorts_pairs_and_keeps_values_verbatim() {
        assert_eq!(canonical_label("isp=ISP-3&cdn=B").as_deref(), Some("cdn=B&isp=ISP-3"));
        assert_eq!(canonical_label(" p2p = 1 & bitrate=2000").as_deref(), Some("bitrate=2000&p2p=1"));
        assert_eq!(canonical_label("cdn"), None);
    }
}
