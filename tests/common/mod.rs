//! Helpers shared by the viewer's integration tests.
#![allow(dead_code)]

use bevy::input::ButtonState;
use bevy::input::keyboard::{Key, KeyboardInput, NativeKey};
use bevy::prelude::*;

/// Press and release a key, running `frame` after each.
pub fn tap_key(app: &mut App, key_code: KeyCode, frame: impl Fn(&mut App)) {
    for state in [ButtonState::Pressed, ButtonState::Released] {
        app.world_mut().write_message(KeyboardInput {
            key_code,
            logical_key: Key::Unidentified(NativeKey::Unidentified),
            state,
            text: None,
            repeat: false,
            window: Entity::PLACEHOLDER,
        });
        frame(app);
    }
}
