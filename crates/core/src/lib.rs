//! Domain types shared by every showrunner crate: defect events and their
//! types, and the configuration loading every component uses. No I/O beyond
//! reading a config file the user named.

pub mod config;
pub mod defect;
pub mod input;

pub use config::ConfigError;
pub use defect::{DefectEvent, DefectType, Evidence, UnknownDefectType};
pub use input::InputError;
