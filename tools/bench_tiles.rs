//! Writes the 16384x8192 test photo that `tools/bench-tiles.sh` tiles: smooth light, a
//! textured floor and walls, and fine detail, so the JPEG compresses like a real photo.
//!
//!     cargo run --release --no-default-features --example bench-tiles -- OUT.jpg

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "bench-16k.jpg".into());
    let (w, h) = (16384u32, 8192u32);
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut img = image::RgbImage::new(w, h);
    for (x, y, px) in img.enumerate_pixels_mut() {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let noise = (seed % 24) as f32 - 12.0;
        let (u, v) = (x as f32 / w as f32, y as f32 / h as f32);
        let light = 150.0 + 60.0 * (u * std::f32::consts::TAU * 3.0).sin() * (1.0 - v);
        let fine = if (x / 3 + y / 5) % 7 == 0 { -40.0 } else { 0.0 };
        let floor = if v > 0.6 { -50.0 * (v - 0.6) } else { 0.0 };
        let c = |k: f32| (light * k + noise + fine + floor).clamp(0.0, 255.0) as u8;
        *px = image::Rgb([c(1.0), c(0.9), c(0.75)]);
    }
    let file = std::fs::File::create(&out).expect("create");
    image::codecs::jpeg::JpegEncoder::new_with_quality(std::io::BufWriter::new(file), 90)
        .encode_image(&img)
        .expect("encode");
    println!("{out}");
}
