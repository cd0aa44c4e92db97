//! Tiling a JPEG without holding it: libjpeg-turbo (the `mozjpeg` crate) decodes scanlines on
//! one thread while this one samples the cube faces from the rows that have arrived, shrinks
//! each face row by row into the lower levels, and writes every row of tiles as soon as it is
//! complete.
//!
//! A 16384x8192 photo is 400 MB decoded; here memory holds the source rows still needed: a
//! band of about ten degrees for the four side faces, and the polar caps (above 35.3° and below
//! -35.3°) while the up and down faces are made from them, plus one row of tiles per level and
//! face.

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;

use super::faces::FaceSampler;
use super::{Options, Summary, encode, multires, plan};
use crate::tour::Multires;

/// Source rows per block handed from the decoder.
const BLOCK: usize = 32;
/// Face rows sampled together.
const RUN: u32 = 64;

/// One level of one face being written: the current row of tiles, and the next level down fed
/// from it.
struct LevelWriter {
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

struct Sink<'a> {
    dir: &'a Path,
    m: &'a Multires,
    face: char,
    quality: u8,
    tiles: &'a AtomicU64,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl LevelWriter {
    fn new(m: &Multires, level: u32) -> Self {
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
    fn push(&mut self, index: u32, row: Vec<u8>, sink: &mut Sink) -> Result<(), String> {
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

/// Tile the JPEG at `input` into `dir` by streaming its rows (see the module's text).
pub fn write_pyramid(
    input: &Path,
    dir: &Path,
    opts: Options,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<Summary, String> {
    let fail = |e: String| format!("{} is corrupt: {e}", input.display());
    // The decoder, on a thread of its own (libjpeg's state stays there): first the size, then
    // blocks of rows through a short queue, so it runs at most a few blocks ahead. libjpeg
    // reports errors by unwinding; every call that may fail is caught.
    let (size_tx, size_rx) = sync_channel::<Result<(usize, usize), String>>(1);
    let (tx, rx) = sync_channel::<Result<Vec<u8>, String>>(4);
    let path = input.to_path_buf();
    let decoder = std::thread::spawn(move || {
        let opened = std::panic::catch_unwind(|| mozjpeg::Decompress::new_path(&path).and_then(|d| d.rgb()));
        let mut started = match opened {
            Ok(Ok(s)) => s,
            Ok(Err(e)) => return drop(size_tx.send(Err(e.to_string()))),
            Err(_) => return drop(size_tx.send(Err("its header does not decode".into()))),
        };
        let (width, height) = (started.width(), started.height());
        if size_tx.send(Ok((width, height))).is_err() {
            return;
        }
        let row_len = width * 3;
        let mut done = 0;
        while done < height {
            let n = BLOCK.min(height - done);
            let mut block = vec![0u8; n * row_len];
            let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                started.read_scanlines_into(&mut block).map(|r| r.len())
            }));
            let sent = match read {
                Ok(Ok(len)) if len == block.len() => tx.send(Ok(block)),
                Ok(Ok(_)) => tx.send(Err("it ends early".into())),
                Ok(Err(e)) => tx.send(Err(e.to_string())),
                Err(_) => tx.send(Err("its data does not decode".into())),
            };
            if sent.is_err() {
                return;
            }
            done += n;
        }
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || started.finish()));
    });
    let (width, height) = size_rx.recv().map_err(|_| fail("the decoder stopped".into()))?.map_err(&fail)?;
    let row_len = width * 3;
    let (face_size, levels) = plan(width as u32, opts.tile);
    let m = multires("", face_size, levels, opts.tile);
    for level in 1..=levels {
        let d = dir.join(level.to_string());
        std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    }

    let faces = ['f', 'b', 'l', 'r', 'u', 'd'];
    let samplers: Vec<FaceSampler> =
        faces.iter().map(|&f| FaceSampler::new(f, face_size, width as u32, height as u32)).collect();
    let mut writers: Vec<LevelWriter> = faces.iter().map(|_| LevelWriter::new(&m, levels)).collect();
    let mut next_row = [0u32; 6];
    // The rows each face needs, for every face row, once.
    let needs: Vec<Vec<(usize, usize)>> =
        samplers.iter().map(|s| (0..face_size).map(|r| s.rows_needed(r)).collect()).collect();
    let cap = |k: usize| {
        let lo = needs[k].iter().map(|n| n.0).min().unwrap_or(0);
        let hi = needs[k].iter().map(|n| n.1).max().unwrap_or(height - 1);
        (lo, hi)
    };
    let (up, down) = (cap(4), cap(5));

    // Source rows kept: blocks from `first` on.
    let mut window: VecDeque<Vec<u8>> = VecDeque::new();
    let mut first = 0usize;
    let mut avail = 0usize;
    let tiles = AtomicU64::new(0);
    let preview_w = super::PREVIEW_WIDTH.min(width as u32) as usize;
    let (bx, by) = (width / preview_w, height / (preview_w / 2));
    let mut preview_acc = vec![0u64; preview_w * 3];
    let mut preview = Vec::with_capacity(preview_w * preview_w / 2 * 3);
    let mut preview_row_at = 0;

    for block in rx {
        let block = block.map_err(&fail)?;
        // The preview: averages of bx x by source pixels, accumulated as rows pass.
        for row in block.chunks_exact(row_len) {
            for (x, acc) in preview_acc.chunks_exact_mut(3).enumerate() {
                for px in row[x * bx * 3..(x + 1) * bx * 3].chunks_exact(3) {
                    acc[0] += px[0] as u64;
                    acc[1] += px[1] as u64;
                    acc[2] += px[2] as u64;
                }
            }
            preview_row_at += 1;
            if preview_row_at == by {
                let n = (bx * by) as u64;
                // The preview is exactly 2:1: rows left over at the bottom are dropped.
                if preview.len() < preview_w * (preview_w / 2) * 3 {
                    preview.extend(preview_acc.iter().map(|v| ((v + n / 2) / n) as u8));
                }
                preview_acc.iter_mut().for_each(|v| *v = 0);
                preview_row_at = 0;
            }
        }
        avail += block.len() / row_len;
        window.push_back(block);
        // Every face with rows ready works on its own thread. Up and down wait for their whole
        // cap; the side faces go row by row.
        let ready = |k: usize, r: u32| {
            r < face_size
                && needs[k][r as usize].1 < avail
                && !(k == 4 && up.1 >= avail)
                && !(k == 5 && down.1 >= avail)
        };
        let window_ref = &window;
        let src = |y: usize| -> &[u8] {
            let b = &window_ref[(y - first) / BLOCK];
            let o = (y - first) % BLOCK * row_len;
            &b[o..o + row_len]
        };
        let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = writers
                .iter_mut()
                .zip(next_row.iter_mut())
                .enumerate()
                .filter(|(k, (_, next))| ready(*k, **next))
                .map(|(k, (writer, next))| {
                    let (sampler, src, ready, tiles, m) = (&samplers[k], &src, &ready, &tiles, &m);
                    scope.spawn(move || -> Result<(), String> {
                        let mut sink = Sink { dir, m, face: faces[k], quality: opts.quality, tiles, progress };
                        // Rows are sampled in runs, on two threads (up and down come all at
                        // once), and go to the writer in order.
                        while ready(k, *next) {
                            let mut end = *next;
                            while end < *next + RUN && ready(k, end) {
                                end += 1;
                            }
                            let rows: Vec<u32> = (*next..end).collect();
                            let mut outs = vec![vec![0u8; face_size as usize * 3]; rows.len()];
                            let half = rows.len().div_ceil(2);
                            std::thread::scope(|inner| {
                                for (part, idx) in outs.chunks_mut(half).zip(rows.chunks(half)) {
                                    inner.spawn(move || {
                                        for (out, &r) in part.iter_mut().zip(idx) {
                                            sampler.row(r, src, out);
                                        }
                                    });
                                }
                            });
                            for (out, &r) in outs.into_iter().zip(&rows) {
                                writer.push(r, out, &mut sink)?;
                            }
                            *next = end;
                        }
                        Ok(())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a tile worker panicked".into()))).collect()
        });
        results.into_iter().collect::<Result<Vec<()>, String>>()?;
        // Let go of the blocks no face needs any more.
        let mut keep = down.0.min(avail);
        for k in 0..4 {
            if next_row[k] < face_size {
                keep = keep.min(needs[k][next_row[k] as usize].0);
            }
        }
        if next_row[4] < face_size {
            keep = keep.min(up.0);
        }
        while first + BLOCK <= keep && !window.is_empty() {
            window.pop_front();
            first += BLOCK;
        }
    }
    let _ = decoder.join();
    if avail < height || next_row.iter().any(|&r| r < face_size) {
        return Err(fail("it ends early".into()));
    }
    let (pw, ph) = (preview_w as u32, (preview.len() / 3 / preview_w) as u32);
    encode(&preview, pw, ph, &dir.join(super::PREVIEW), opts.quality)?;
    Ok(Summary { face_size, levels, tile_size: m.tile_size, tiles: tiles.into_inner() })
}
