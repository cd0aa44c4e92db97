//! Drawing panoramas on the GPU, without the Skybox and without converting anything on the CPU:
//! an equirectangular image is sampled by view direction in a shader on a cube around the
//! camera, and cube faces and multires tiles are textured quads on that cube's faces.
//!
//! The camera sits at the origin, so a quad's distance does not change the picture: finer
//! levels sit slightly nearer ([`tile_radius`]) and win the depth test over their parents,
//! which keep showing wherever a finer tile has not arrived yet.

use bevy::asset::{RenderAssetUsages, load_internal_asset, uuid_handle};
use bevy::image::{ImageAddressMode, ImageFilterMode, ImageSampler, ImageSamplerDescriptor};
use bevy::mesh::{Indices, MeshVertexBufferLayoutRef, PrimitiveTopology};
use bevy::pbr::{MaterialPipeline, MaterialPipelineKey};
use bevy::prelude::*;
use bevy::render::render_resource::{
    AsBindGroup, Extent3d, RenderPipelineDescriptor, SpecializedMeshPipelineError, TextureDimension, TextureFormat,
};
use bevy::shader::{Shader, ShaderRef};

use crate::pano::multires::face_point;

const EQUIRECT_SHADER: Handle<Shader> = uuid_handle!("7f4b1c2e-5a63-4d8e-9b0a-1c2d3e4f5a61");
const TILE_SHADER: Handle<Shader> = uuid_handle!("7f4b1c2e-5a63-4d8e-9b0a-1c2d3e4f5a62");

/// Half the edge of the cube the panorama is drawn on (inside the camera's near..far range).
pub const CUBE_RADIUS: f32 = 10.0;

pub struct PanoMaterialPlugin;

impl Plugin for PanoMaterialPlugin {
    fn build(&self, app: &mut App) {
        load_internal_asset!(app, EQUIRECT_SHADER, "shaders/equirect.wgsl", Shader::from_wgsl);
        load_internal_asset!(app, TILE_SHADER, "shaders/tile.wgsl", Shader::from_wgsl);
        app.add_plugins((MaterialPlugin::<EquirectMaterial>::default(), MaterialPlugin::<TileMaterial>::default()));
    }
}

/// A material drawn on the inside of the cube around the camera, by its own fragment shader: no
/// culling (the camera is inside), no prepass, no shadows.
macro_rules! panorama_material {
    ($material:ty, $shader:expr) => {
        impl Material for $material {
            fn fragment_shader() -> ShaderRef {
                $shader.into()
            }

            fn enable_prepass() -> bool {
                false
            }

            fn enable_shadows() -> bool {
                false
            }

            fn specialize(
                _: &MaterialPipeline,
                descriptor: &mut RenderPipelineDescriptor,
                _: &MeshVertexBufferLayoutRef,
                _: MaterialPipelineKey<Self>,
            ) -> Result<(), SpecializedMeshPipelineError> {
                descriptor.primitive.cull_mode = None;
                Ok(())
            }
        }
    };
}

/// An equirectangular image in one or two textures (see the shader).
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct EquirectMaterial {
    #[texture(0)]
    #[sampler(1)]
    pub left: Handle<Image>,
    #[texture(2)]
    #[sampler(3)]
    pub right: Handle<Image>,
    /// x: the fraction of the width in `left`.
    #[uniform(4)]
    pub params: Vec4,
}

panorama_material!(EquirectMaterial, EQUIRECT_SHADER);

/// One face image or tile, drawn as it is.
#[derive(Asset, TypePath, AsBindGroup, Debug, Clone)]
pub struct TileMaterial {
    #[texture(0)]
    #[sampler(1)]
    pub image: Handle<Image>,
}

panorama_material!(TileMaterial, TILE_SHADER);

/// An sRGB RGBA8 image for the GPU only, sampled linearly and clamped at its edges (tiles must
/// not bleed into their neighbours' opposite edges).
pub fn gpu_image(width: u32, height: u32, rgba: Vec<u8>) -> Image {
    let mut image = Image::new(
        Extent3d { width, height, depth_or_array_layers: 1 },
        TextureDimension::D2,
        rgba,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::RENDER_WORLD,
    );
    image.sampler = ImageSampler::Descriptor(ImageSamplerDescriptor {
        address_mode_u: ImageAddressMode::ClampToEdge,
        address_mode_v: ImageAddressMode::ClampToEdge,
        mag_filter: ImageFilterMode::Linear,
        min_filter: ImageFilterMode::Linear,
        ..default()
    });
    image
}

/// Distance of a level's quads: finer levels nearer, so they cover their parents.
pub fn tile_radius(level: u32) -> f32 {
    CUBE_RADIUS / (1.0 + 0.01 * level as f32)
}

/// A quad covering face coordinates `rect` (left, top, right, bottom; -1..1) of `face` at
/// `radius`, its uv (0,0) at the rect's top-left, as a face image is laid out.
pub fn face_quad(face: char, rect: [f32; 4], radius: f32) -> Mesh {
    let [x0, y0, x1, y1] = rect;
    let corner = |a: f32, b: f32| {
        let p = face_point(face, a, b);
        [p[0] * radius, p[1] * radius, p[2] * radius]
    };
    let (n, _, _) = crate::pano::multires::face_basis(face);
    let inward = [-n[0], -n[1], -n[2]];
    Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::RENDER_WORLD)
        .with_inserted_attribute(
            Mesh::ATTRIBUTE_POSITION,
            vec![corner(x0, y0), corner(x1, y0), corner(x1, y1), corner(x0, y1)],
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_NORMAL, vec![inward; 4])
        .with_inserted_attribute(Mesh::ATTRIBUTE_UV_0, vec![[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        .with_inserted_indices(Indices::U32(vec![0, 1, 2, 0, 2, 3]))
}
