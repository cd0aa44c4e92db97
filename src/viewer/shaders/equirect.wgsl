// An equirectangular panorama sampled by view direction, on a cube around the camera.
// The image may come in two halves (left: u < split, right: u >= split) where the device cannot
// hold its full width in one texture. Level 0 only: the derivative of u jumps at the yaw seam,
// and mip selection there would draw a line.
#import bevy_pbr::forward_io::VertexOutput
#import bevy_pbr::mesh_view_bindings::view

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var left_tex: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var left_smp: sampler;
@group(#{MATERIAL_BIND_GROUP}) @binding(2) var right_tex: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(3) var right_smp: sampler;
// x: where the left half ends, as a fraction of the width (1 for one texture).
@group(#{MATERIAL_BIND_GROUP}) @binding(4) var<uniform> params: vec4<f32>;

const PI: f32 = 3.141592653589793;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let d = normalize(in.world_position.xyz - view.world_position);
    // Scene yaw grows to the right (+x) from straight ahead (-z); u = 0.5 is straight ahead.
    let u = fract(0.5 + atan2(d.x, -d.z) / (2.0 * PI));
    let v = 0.5 - asin(clamp(d.y, -1.0, 1.0)) / PI;
    let s = params.x;
    let l = textureSampleLevel(left_tex, left_smp, vec2(u / s, v), 0.0);
    let r = textureSampleLevel(right_tex, right_smp, vec2((u - s) / max(1.0 - s, 1e-6), v), 0.0);
    return vec4(select(r.rgb, l.rgb, u < s), 1.0);
}
