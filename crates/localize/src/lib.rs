//! Multi-dimensional root-cause localization.
//!
//! Given a metric broken down over categorical attributes (CDN, ISP,
//! country, device, …) with an observed and an expected value per leaf
//! (full combination of attribute values), find the smallest set of
//! elements — conjunctions such as `cdn=B&isp=ISP-3` — that explains why the
//! total deviates. Additive measures and ratios of two additive measures are
//! both supported; several root causes at different layers are found in one
//! search ([`search`]), judged against a per-instance noise model
//! ([`noise`]) so that forecast noise and small cohorts do not pass for
//! causes.

pub mod cube;
pub mod element;
pub mod error;
pub mod eval;
mod lattice;
mod leaves;
pub mod load;
pub mod noise;
mod scan;
pub mod search;
pub mod simulate;

pub use cube::{Cube, CubeBuilder, Measure};
pub use element::Element;
pub use error::LocalizeError;
pub use search::{localize, Localization, RootCause, SearchConfig};
