//! Writing a pyramid from face rows, whatever supplies them (the streaming decoder, or an image
//! in memory): each level of a face keeps one row of tiles, writes it when it is complete, and
//! feeds the level below by area-averaging its rows; the preview is averaged from the source
//! rows as they pass.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::encode;
use super::faces::FaceSampler;
use crate::tour::Multires;

/// Face rows sampled together.
const RUN: u32 = 64;

/// One level of one face being written: the current row of tiles, and the next level down fed
/// from it.
pub(super) struct LevelWriter {
    level: u32,
    size: u32,
    /// Rows of the current row of tiles.
    rows: Vec<u8>,
    rows_in: u32,
    /// Face row of `rows`' first row.
    row_base: u32,
    down: Option<Box<Shrinker>>,
}

/// Makes the next level's rows by area-averaging this level's.
struct Shrinker {
    /// Source rows per output row (2 where the size halves exactly).
    ratio: f64,
    /// Recent source rows: (row index, pixels).
    window: VecDeque<(u32, Vec<u8>)>,
    next_out: u32,
    /// Per output column: (first source column, weights of the source columns).
    columns: Vec<(usize, Vec<f32>)>,
    out: LevelWriter,
}

/// Where a face's tiles go, and the count of tiles written (for the progress bar).
pub(super) struct Sink<'a> {
    pub dir: &'a Path,
    pub m: &'a Multires,
    pub face: char,
    pub quality: u8,
    pub tiles: &'a AtomicU64,
    pub progress: &'a (dyn Fn(u64) + Sync),
}

impl LevelWriter {
    pub fn new(m: &Multires, level: u32) -> Self {
        let size = m.level_size(level);
        let down = (level > 1).then(|| {
            let lower = m.level_size(level - 1);
            let ratio = size as f64 / lower as f64;
            let columns = (0..lower as usize)
                .map(|x| {
                    let (x0, x1) = (x as f64 * ratio, (x + 1) as f64 * ratio);
                    let first = x0.floor() as usize;
                    let last = (x1.ceil() as usize).min(size as usize);
                    let w = (first..last)
                        .map(|k| ((x1.min(k as f64 + 1.0) - x0.max(k as f64)).max(0.0) / ratio) as f32)
                        .collect();
                    (first, w)
                })
                .collect();
            Box::new(Shrinker {
                ratio,
                window: VecDeque::new(),
                next_out: 0,
                columns,
                out: LevelWriter::new(m, level - 1),
            })
        });
        LevelWriter { level, size, rows: Vec::new(), rows_in: 0, row_base: 0, down }
    }

    /// Take face row `index` of this level.
    pub fn push(&mut self, index: u32, row: Vec<u8>, sink: &mut Sink) -> Result<(), String> {
        self.rows.extend_from_slice(&row);
        self.rows_in += 1;
        let tile = sink.m.tile_size;
        if self.rows_in == tile || self.row_base + self.rows_in == self.size {
            self.flush(sink)?;
        }
        if let Some(down) = self.down.as_mut() {
            down.window.push_back((index, row));
            down.produce(sink)?;
        }
        Ok(())
    }

    /// Write the current row of tiles, on two threads (up and down arrive all at once, and their
    /// rows of tiles would otherwise be encoded one after another).
    fn flush(&mut self, sink: &mut Sink) -> Result<(), String> {
        let m = sink.m;
        let tile_row = self.row_base / m.tile_size;
        let width = self.size as usize * 3;
        let cols: Vec<u32> = (0..m.tiles_per_side(self.level)).collect();
        let (rows, level, face, quality) = (&self.rows, self.level, sink.face, sink.quality);
        let (dir, tiles, progress) = (sink.dir, sink.tiles, sink.progress);
        let encode_one = |col: u32| -> Result<(), String> {
            let (w, h) = m.tile_dims(level, tile_row, col);
            let x = (col * m.tile_size) as usize * 3;
            let mut px = Vec::with_capacity(w as usize * h as usize * 3);
            for r in 0..h as usize {
                px.extend_from_slice(&rows[r * width + x..r * width + x + w as usize * 3]);
            }
            encode(&px, w, h, &dir.join(format!("{level}/{face}{tile_row}_{col}.jpg")), quality)?;
            progress(tiles.fetch_add(1, Ordering::Relaxed) + 1);
            Ok(())
        };
        let half = cols.len().div_ceil(2).max(1);
        std::thread::scope(|s| {
            let handles: Vec<_> =
                cols.chunks(half).map(|part| s.spawn(|| part.iter().try_for_each(|&c| encode_one(c)))).collect();
            handles.into_iter().try_for_each(|h| h.join().unwrap_or_else(|_| Err("a tile worker panicked".into())))
        })?;
        self.row_base += self.rows_in;
        self.rows_in = 0;
        self.rows.clear();
        Ok(())
    }
}

impl Shrinker {
    /// Make every output row whose source rows have all arrived.
    fn produce(&mut self, sink: &mut Sink) -> Result<(), String> {
        let have = self.window.back().map_or(0, |(i, _)| i + 1);
        let src_size = self.out.size as f64 * self.ratio;
        while self.next_out < self.out.size {
            let (y0, y1) = (self.next_out as f64 * self.ratio, (self.next_out + 1) as f64 * self.ratio);
            let last = (y1.ceil() as u32).min(src_size.round() as u32);
            if have < last {
                break;
            }
            let out_w = self.out.size as usize;
            // Exact halves (most levels): the plain 2x2 average of two whole rows.
            if self.ratio == 2.0 && self.window.len() == 2 && self.window[0].0 == 2 * self.next_out {
                let (a, b) = (&self.window[0].1, &self.window[1].1);
                let mut out = vec![0u8; out_w * 3];
                for (x, px) in out.chunks_exact_mut(3).enumerate() {
                    for c in 0..3 {
                        let i = 6 * x + c;
                        let sum = a[i] as u32 + a[i + 3] as u32 + b[i] as u32 + b[i + 3] as u32;
                        px[c] = ((sum + 2) / 4) as u8;
                    }
                }
                let index = self.next_out;
                self.next_out += 1;
                self.window.clear();
                self.out.push(index, out, sink)?;
                continue;
            }
            let mut acc = vec![0f32; out_w * 3];
            for (i, row) in &self.window {
                let wy = ((y1.min(*i as f64 + 1.0) - y0.max(*i as f64)).max(0.0) / self.ratio) as f32;
                if wy <= 0.0 {
                    continue;
                }
                for (x, (first, weights)) in self.columns.iter().enumerate() {
                    for (k, wx) in weights.iter().enumerate() {
                        let s = (first + k) * 3;
                        let w = wx * wy;
                        acc[x * 3] += row[s] as f32 * w;
                        acc[x * 3 + 1] += row[s + 1] as f32 * w;
                        acc[x * 3 + 2] += row[s + 2] as f32 * w;
                    }
                }
            }
            let out: Vec<u8> = acc.iter().map(|v| (v + 0.5).min(255.0) as u8).collect();
            let index = self.next_out;
            self.next_out += 1;
            // Rows wholly above the next output row are no longer needed.
            let keep_from = (self.next_out as f64 * self.ratio).floor() as u32;
            while self.window.front().is_some_and(|(i, _)| *i < keep_from) {
                self.window.pop_front();
            }
            self.out.push(index, out, sink)?;
        }
        Ok(())
    }
}

/// Sample and write the rows of one face while `ready` says their source rows are there: in runs
/// of rows sampled on two threads (up and down come all at once), handed to the writer in order.
pub(super) fn run_face<'a>(
    sampler: &FaceSampler,
    writer: &mut LevelWriter,
    next: &mut u32,
    ready: &dyn Fn(u32) -> bool,
    src: &(dyn Fn(usize) -> &'a [u8] + Sync),
    sink: &mut Sink,
    face_size: u32,
) -> Result<(), String> {
    while ready(*next) {
        let mut end = *next;
        while end < *next + RUN && ready(end) {
            end += 1;
        }
        let rows: Vec<u32> = (*next..end).collect();
        let mut outs = vec![vec![0u8; face_size as usize * 3]; rows.len()];
        let half = rows.len().div_ceil(2);
        std::thread::scope(|inner| {
            for (part, idx) in outs.chunks_mut(half).zip(rows.chunks(half)) {
                inner.spawn(move || {
                    for (out, &r) in part.iter_mut().zip(idx) {
                        sampler.row(r, &src, out);
                    }
                });
            }
        });
        for (out, &r) in outs.into_iter().zip(&rows) {
            writer.push(r, out, sink)?;
        }
        *next = end;
    }
    Ok(())
}

/// Create the pyramid's level folders.
pub(super) fn make_dirs(dir: &Path, levels: u32) -> Result<(), String> {
    for level in 1..=levels {
        let d = dir.join(level.to_string());
        std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }
    Ok(())
}

/// The equirectangular preview, averaged from the source rows as they pass: each preview pixel
/// is the mean of a `bx` x `by` block; rows left over at the bottom are dropped, so it is
/// exactly 2:1.
pub(super) struct Preview {
    width: usize,
    bx: usize,
    by: usize,
    acc: Vec<u64>,
    rows_in: usize,
    data: Vec<u8>,
}

impl Preview {
    pub fn new(source_width: usize, source_height: usize) -> Self {
        let width = (super::PREVIEW_WIDTH as usize).min(source_width);
        let (bx, by) = (source_width / width, source_height / (width / 2));
        Preview { width, bx, by, acc: vec![0; width * 3], rows_in: 0, data: Vec::with_capacity(width * width / 2 * 3) }
    }

    /// Take the next source row.
    pub fn push(&mut self, row: &[u8]) {
        let bx = self.bx;
        for (x, acc) in self.acc.chunks_exact_mut(3).enumerate() {
            for px in row[x * bx * 3..(x + 1) * bx * 3].chunks_exact(3) {
                acc[0] += px[0] as u64;
                acc[1] += px[1] as u64;
                acc[2] += px[2] as u64;
            }
        }
        self.rows_in += 1;
        if self.rows_in == self.by {
            let n = (self.bx * self.by) as u64;
            if self.data.len() < self.width * (self.width / 2) * 3 {
                self.data.extend(self.acc.iter().map(|v| ((v + n / 2) / n) as u8));
            }
            self.acc.iter_mut().for_each(|v| *v = 0);
            self.rows_in = 0;
        }
    }

    /// Write it as `preview.jpg` in `dir`.
    pub fn write(&self, dir: &Path, quality: u8) -> Result<(), String> {
        let (w, h) = (self.width as u32, (self.data.len() / 3 / self.width) as u32);
        encode(&self.data, w, h, &dir.join(super::PREVIEW), quality)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pyramid(face: u32, tile: u32, levels: u32) -> Multires {
        super::super::multires("", face, levels, tile)
    }

    /// Every tile of one face of a uniformly grey face, written and read back.
    fn write_grey(face_size: u32, levels: u32, tile: u32) -> Vec<(String, image::RgbImage)> {
        let dir = std::env::temp_dir().join(format!("cloudhall-levels-{face_size}-{}", std::process::id()));
        let m = pyramid(face_size, tile, levels);
        make_dirs(&dir, levels).expect("dirs");
        let tiles = AtomicU64::new(0);
        let mut sink = Sink { dir: &dir, m: &m, face: 'f', quality: 95, tiles: &tiles, progress: &|_| {} };
        let mut writer = LevelWriter::new(&m, levels);
        for r in 0..face_size {
            writer.push(r, vec![90; face_size as usize * 3], &mut sink).expect("push");
        }
        let mut out = Vec::new();
        for level in 1..=levels {
            for row in 0..m.tiles_per_side(level) {
                for col in 0..m.tiles_per_side(level) {
                    let name = format!("{level}/f{row}_{col}.jpg");
                    out.push((name.clone(), image::open(dir.join(&name)).expect("tile").to_rgb8()));
                }
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
        out
    }

    #[test]
    fn levels_are_averaged_and_cut_into_cropped_tiles() {
        // 651 does not halve exactly (651 -> 325): area weights keep a uniform grey grey.
        for (face, levels) in [(648, 3), (651, 2)] {
            for (name, img) in write_grey(face, levels, 256) {
                assert!(img.pixels().all(|p| p.0.iter().all(|&v| (88..=92).contains(&v))), "{name} is not grey");
            }
        }
        let tiles = write_grey(648, 3, 256);
        let last = tiles.iter().find(|(n, _)| n == "3/f2_2.jpg").expect("edge tile");
        assert_eq!(last.1.dimensions(), (648 - 512, 648 - 512), "edge tiles are cropped");
        let top = tiles.iter().find(|(n, _)| n == "1/f0_0.jpg").expect("level 1");
        assert_eq!(top.1.dimensions(), (162, 162));
    }

    #[test]
    fn the_preview_averages_blocks() {
        let mut p = Preview::new(2048, 1024);
        let row: Vec<u8> = (0..2048).flat_map(|x| if x % 2 == 0 { [0, 0, 0] } else { [200, 100, 50] }).collect();
        for _ in 0..1024 {
            p.push(&row);
        }
        assert_eq!(p.data.len(), 512 * 256 * 3);
        assert_eq!(&p.data[..3], &[100, 50, 25]);
    }
}
