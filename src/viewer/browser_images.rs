//! In the browser, PNG and JPEG assets (thumbnails, floor plans, board pictures) are decoded by
//! the browser, like the panoramas ([`super::io`]): off the page's thread, and with no image
//! decoder in the WebAssembly download. Natively Bevy's own loader does it.

use bevy::asset::io::Reader;
use bevy::asset::{AssetLoader, LoadContext, RenderAssetUsages};
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};

pub struct BrowserImagesPlugin;

impl Plugin for BrowserImagesPlugin {
    fn build(&self, app: &mut App) {
        app.register_asset_loader(BrowserImageLoader);
    }
}

#[derive(Default, TypePath)]
struct BrowserImageLoader;

impl AssetLoader for BrowserImageLoader {
    type Asset = Image;
    type Settings = ();
    type Error = std::io::Error;

    async fn load(&self, reader: &mut dyn Reader, _: &(), ctx: &mut LoadContext<'_>) -> Result<Image, Self::Error> {
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).await?;
        let what = ctx.path().to_string();
        let (width, height, rgba) =
            super::io::decode_bytes(&bytes).await.map_err(|e| std::io::Error::other(format!("{what}: {e}")))?;
        Ok(Image::new(
            Extent3d { width, height, depth_or_array_layers: 1 },
            TextureDimension::D2,
            rgba,
            TextureFormat::Rgba8UnormSrgb,
            RenderAssetUsages::default(),
        ))
    }

    fn extensions(&self) -> &[&str] {
        &["png", "jpg", "jpeg"]
    }
}
