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
use std::sync::atomic::AtomicU64;
use std::sync::mpsc::sync_channel;

use super::faces::FaceSampler;
use super::levels::{LevelWriter, Preview, Sink, make_dirs, run_face};
use super::{Options, Summary, multires, plan};

/// Source rows per block handed from the decoder.
const BLOCK: usize = 32;

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
    make_dirs(dir, levels)?;

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
    let mut preview = Preview::new(width, height);

    for block in rx {
        let block = block.map_err(&fail)?;
        for row in block.chunks_exact(row_len) {
            preview.push(row);
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
                        run_face(sampler, writer, next, &|r| ready(k, r), src, &mut sink, face_size)
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
    preview.write(dir, opts.quality)?;
    Ok(Summary { face_size, levels, tile_size: m.tile_size, tiles: tiles.into_inner() })
}
