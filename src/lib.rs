//! cloudhall: a virtual museum tour.
//!
//! - [`a11y`]: the hall in words and controls, for screen readers and the keyboard.
//! - [`tour`]: the tour as data (model, RON loading with source positions, validation).
//! - [`pano`]: panorama geometry and images (angles, projection, cube faces, view limits).
//! - [`vr`]: the gyroscope look, the cardboard lens and gaze selection.
//! - `import` (native): tours from Pannellum, Marzipano and krpano, and out to Pannellum.
//! - `viewer` (feature `viewer`): the Bevy viewer, one plugin per capability.
//! - `studio` (feature `server`): curators' drafts, publishing and versions for `/studio`.

pub mod a11y;
pub mod api;
#[cfg(not(target_arch = "wasm32"))]
pub mod import;
pub mod live;
pub mod map;
pub mod narration;
pub mod pano;
#[cfg(not(target_arch = "wasm32"))]
pub mod tiles;
pub mod tour;
pub mod vr;

#[cfg(feature = "viewer")]
pub mod viewer;

#[cfg(feature = "server")]
pub mod server;

/// The studio's logic (drafts, publishing, versions), used by the server's `/studio`.
#[cfg(feature = "server")]
pub mod studio;
