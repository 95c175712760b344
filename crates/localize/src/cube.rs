//! A multi-dimensional snapshot: one row per leaf (a full combination of
//! attribute values) with the measure's observed and expected values.

use rustc_hash::FxHashMap;

use crate::error::LocalizeError;

/// Most attributes a cube may have: the search visits every subset of them
/// (2^n − 1 cuboids), so the limit keeps a malformed file with hundreds of
/// columns from turning into an endless search.
pub const MAX_ATTRIBUTES: usize = 16;

/// How the monitored measure is computed from leaves.
#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    /// A fundamental measure: the total is the plain sum over leaves
    /// (sessions, errors, play seconds).
    Additive {
        /// Observed value per leaf.
        real: Vec<f64>,
        /// Expected (forecast) value per leaf.
        predict: Vec<f64>,
    },
    /// A derived measure: the ratio of two additive measures, aggregated as
    /// sum(numerator) / sum(denominator) (rebuffering ratio, error rate).
    Ratio {
        /// Observed numerator per leaf.
        real_a: Vec<f64>,
        /// Observed denominator per leaf.
        real_b: Vec<f64>,
        /// Expected ratio per leaf; NaN where the leaf has no expectation of
        /// its own (no history, zero expected denominator).
        predict_ratio: Vec<f64>,
    },
}

impl Measure {
    fn len(&self) -> usize {
        match self {
            Measure::Additive { real, .. } => real.len(),
            Measure::Ratio { real_a, .. } => real_a.len(),
        }
    }

    /// Whether this is a ratio of two additive measures.
    pub fn is_ratio(&self) -> bool {
        matches!(self, Measure::Ratio { .. })
    }
}

/// The leaves of one instance, with attribute values dictionary-encoded.
#[derive(Debug, Clone)]
pub struct Cube {
    attributes: Vec<String>,
    values: Vec<Vec<String>>,
    codes: Vec<u32>,
    measure: Measure,
}

impl Cube {
    /// Attribute names in column order.
    pub fn attributes(&self) -> &[String] {
        &self.attributes
    }

    /// The distinct values of attribute `attr`, indexed by code.
    pub fn values(&self, attr: usize) -> &[String] {
        &self.values[attr]
    }

    /// Number of leaves (rows).
    pub fn len(&self) -> usize {
        self.measure.len()
    }

    /// Whether the cube has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value codes of leaf `leaf`, one per attribute.
    pub fn leaf(&self, leaf: usize) -> &[u32] {
        let d = self.attributes.len();
        &self.codes[leaf * d..(leaf + 1) * d]
    }

    /// The measure's per-leaf columns.
    pub fn measure(&self) -> &Measure {
        &self.measure
    }
}

/// Builds a [`Cube`] row by row, checking every value.
#[derive(Debug)]
pub struct CubeBuilder {
    attributes: Vec<String>,
    dictionaries: Vec<FxHashMap<String, u32>>,
    values: Vec<Vec<String>>,
    codes: Vec<u32>,
    measure: Measure,
}

impl CubeBuilder {
    /// A builder for a cube with these attributes and measure kind.
    pub fn new(attributes: Vec<String>, ratio: bool) -> Result<Self, String> {
        if attributes.is_empty() {
            return Err("no attribute columns".into());
        }
        if attributes.len() > MAX_ATTRIBUTES {
            return Err(format!("{} attribute columns; at most {MAX_ATTRIBUTES} are supported", attributes.len()));
        }
        for (i, a) in attributes.iter().enumerate() {
            if a.is_empty() {
                return Err(format!("attribute column {} has an empty name", i + 1));
            }
            if attributes[..i].contains(a) {
                return Err(format!("attribute column `{a}` appears twice"));
            }
        }
        let n = attributes.len();
        let measure = if ratio {
            Measure::Ratio { real_a: Vec::new(), real_b: Vec::new(), predict_ratio: Vec::new() }
        } else {
            Measure::Additive { real: Vec::new(), predict: Vec::new() }
        };
        Ok(CubeBuilder {
            attributes,
            dictionaries: vec![FxHashMap::default(); n],
            values: vec![Vec::new(); n],
            codes: Vec::new(),
            measure,
        })
    }

    fn push_values(&mut self, values: &[&str]) -> Result<(), String> {
        if values.len() != self.attributes.len() {
            return Err(format!("{} attribute values, expected {}", values.len(), self.attributes.len()));
        }
        for (attr, value) in values.iter().enumerate() {
            let dict = &mut self.dictionaries[attr];
            let code = match dict.get(*value) {
                Some(&c) => c,
                None => {
                    let c = self.values[attr].len() as u32;
                    dict.insert(value.to_string(), c);
                    self.values[attr].push(value.to_string());
                    c
                }
            };
            self.codes.push(code);
        }
        Ok(())
    }

    /// Adds a leaf of an additive measure.
    /// Values must be finite; they may be slightly negative (a forecast that
    /// undershoots zero), which the search treats as a leaf without size.
    pub fn push_additive(&mut self, values: &[&str], real: f64, predict: f64) -> Result<(), String> {
        check_finite("real", real)?;
        check_finite("predict", predict)?;
        let Measure::Additive { real: r, predict: p } = &mut self.measure else {
            return Err("this cube holds a ratio measure".into());
        };
        r.push(real);
        p.push(predict);
        self.push_values(values)
    }

    /// Adds a leaf of a ratio measure; `predict_ratio` may be NaN (unknown).
    pub fn push_ratio(&mut self, values: &[&str], real_a: f64, real_b: f64, predict_ratio: f64) -> Result<(), String> {
        check_amount("numerator", real_a)?;
        check_amount("denominator", real_b)?;
        if !predict_ratio.is_nan() {
            check_amount("predicted ratio", predict_ratio)?;
        }
        let Measure::Ratio { real_a: a, real_b: b, predict_ratio: p } = &mut self.measure else {
            return Err("this cube holds an additive measure".into());
        };
        a.push(real_a);
        b.push(real_b);
        p.push(predict_ratio);
        self.push_values(values)
    }

    /// The finished cube.
    pub fn build(self) -> Result<Cube, String> {
        if self.codes.is_empty() {
            return Err("no leaf rows".into());
        }
        Ok(Cube { attributes: self.attributes, values: self.values, codes: self.codes, measure: self.measure })
    }
}

fn check_finite(what: &str, v: f64) -> Result<(), String> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(format!("{what} is {v}, expected a finite number"))
    }
}

/// Numerators and denominators of ratios are amounts: finite, non-negative.
fn check_amount(what: &str, v: f64) -> Result<(), String> {
    check_finite(what, v)?;
    if v < 0.0 {
        return Err(format!("{what} is negative ({v})"));
    }
    Ok(())
}

impl From<String> for LocalizeError {
    fn from(message: String) -> Self {
        LocalizeError::Instance(message)
    }
}
