// One cube face or multires tile: its image drawn as it is on a quad of the cube around the
// camera (level 0: tiles are already at the resolution the view needs).
#import bevy_pbr::forward_io::VertexOutput

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var tile_tex: texture_2d<f32>;
@group(#{MATERIAL_BIND_GROUP}) @binding(1) var tile_smp: sampler;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    return vec4(textureSampleLevel(tile_tex, tile_smp, in.uv, 0.0).rgb, 1.0);
}
