// The VR glasses mode's last pass: the two eyes' images, side by side, drawn with a cardboard
// lens's barrel distortion. The same mapping as src/vr/lens.rs `Lens::source`: a screen pixel p
// takes its colour from c + (p - c) * (1 + k1 r^2 + k2 r^4), c the eye's lens centre, r the
// distance from it in half the screen's height.
#import bevy_ui::ui_vertex_output::UiVertexOutput

@group(1) @binding(0) var eyes: texture_2d<f32>;
@group(1) @binding(1) var eyes_sampler: sampler;
// x: k1, y: k2, z: 1 with distortion, 0 without.
@group(1) @binding(2) var<uniform> lens: vec4<f32>;
// xy: the screen's size in pixels; z, w: the left and right lens centres' x, pixels.
@group(1) @binding(3) var<uniform> screen: vec4<f32>;

@fragment
fn fragment(in: UiVertexOutput) -> @location(0) vec4<f32> {
    let size = screen.xy;
    let p = in.uv * size;
    let half = floor(size.x / 2.0);
    var c = vec2<f32>(screen.w, size.y / 2.0);
    var x0 = half;
    var x1 = size.x;
    if (p.x < half) {
        c = vec2<f32>(screen.z, size.y / 2.0);
        x0 = 0.0;
        x1 = half;
    }
    var q = p;
    if (lens.z > 0.5) {
        let unit = size.y / 2.0;
        let d = (p - c) / unit;
        let r2 = dot(d, d);
        q = c + d * (1.0 + lens.x * r2 + lens.y * r2 * r2) * unit;
    }
    if (q.x < x0 || q.x >= x1 || q.y < 0.0 || q.y >= size.y) {
        return vec4<f32>(0.0, 0.0, 0.0, 1.0);
    }
    return vec4<f32>(textureSampleLevel(eyes, eyes_sampler, q / size, 0.0).rgb, 1.0);
}
