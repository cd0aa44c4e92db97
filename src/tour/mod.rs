//! The tour as data: the model, RON loading with source positions, and validation.
//!
//! No Bevy and no tokio here: the viewer, the server and the CLI all read the tour through
//! [`load`], and this module builds and tests in seconds.

pub mod assets;
pub mod diag;
pub mod json;
pub mod load;
pub mod model;
pub mod pyramid;
pub mod source;
pub mod spans;
pub mod validate;

pub use assets::AssetCheck;
pub use diag::{Diagnostic, Severity};
pub use load::{Loaded, Overlay, load, load_overlay, load_with};
pub use model::*;

#[cfg(test)]
mod tests;
