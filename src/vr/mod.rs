//! Looking around by turning the phone, and the VR glasses mode (VR眼镜模式) for cardboard
//! viewers: pure logic, free of Bevy and of the browser.
//!
//! - [`orientation`]: `deviceorientation` angles as the panorama's yaw, pitch and roll, and the
//!   gyroscope look that keeps the visitor's view and drags.
//! - [`lens`]: the cardboard lens's barrel distortion and the two eyes' layout.
//! - [`gaze`]: the reticle's dwell timer, and what the centre of the view rests on.

pub mod gaze;
pub mod lens;
pub mod orientation;
