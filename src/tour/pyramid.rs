//! Checking a multires pyramid on disk: every tile of every level present, of the size its
//! position implies, and (for a full check) decoding.
//!
//! A pyramid has hundreds of tiles, so problems are gathered by kind and reported with a count
//! and the first few paths, not one line per tile.

use std::path::Path;

use super::assets::{self, AssetCheck};
use super::model::{CUBE_FACES, Multires};

/// How many example paths a problem names.
const EXAMPLES: usize = 3;

/// Mistakes in the numbers of a `Multires(...)`, before any file is read.
pub fn shape_problems(m: &Multires) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    for key in ["%l", "%s", "%y", "%x"] {
        if !m.path.contains(key) {
            out.push((
                "path",
                format!("tile path `{}` lacks `{key}`", m.path),
                "write it as Pannellum does: `pano/SITE/SCENE/%l/%s%y_%x.jpg`".to_string(),
            ));
        }
    }
    if m.tile_size == 0 || m.face_size == 0 || m.levels == 0 || m.levels > 12 {
        out.push((
            "levels",
            format!(
                "tile_size {}, face_size {} and levels {} must all be positive (levels at most 12)",
                m.tile_size, m.face_size, m.levels
            ),
            "`cloudhall tiles` writes these numbers; copy them from its config.json".to_string(),
        ));
    } else if m.level_size(1) > m.tile_size {
        out.push((
            "levels",
            format!("level 1 is {} pixels a side, more than one {}-pixel tile per face", m.level_size(1), m.tile_size),
            format!("with face_size {} and tile_size {} the pyramid needs more levels", m.face_size, m.tile_size),
        ));
    } else if m.levels > 1 && m.level_size(2) <= m.tile_size / 2 {
        out.push((
            "levels",
            format!(
                "level 2 is only {} pixels a side: the pyramid has more levels than its face size needs",
                m.level_size(2)
            ),
            "copy `maxLevel` from the pyramid's config.json".to_string(),
        ));
    }
    out
}

/// Every tile of the pyramid: (level, face, row, col).
pub fn tiles(m: &Multires) -> Vec<(u32, char, u32, u32)> {
    let mut out = Vec::new();
    for level in 1..=m.levels {
        let n = m.tiles_per_side(level);
        for face in CUBE_FACES {
            for row in 0..n {
                for col in 0..n {
                    out.push((level, face, row, col));
                }
            }
        }
    }
    out
}

/// What is wrong with the pyramid's tiles under `assets_dir`, one line per kind of problem.
/// Tiles are probed on every core: a full check decodes them all.
pub fn tile_problems(m: &Multires, assets_dir: &Path, check: AssetCheck) -> Vec<String> {
    if !shape_problems(m).is_empty() {
        return Vec::new();
    }
    let all = tiles(m);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(all.len().max(1));
    let chunk = all.len().div_ceil(threads).max(1);
    let found: Vec<(String, Result<(), TileProblem>)> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    part.iter()
                        .map(|&(level, face, row, col)| {
                            let rel = m.tile_path(level, face, row, col);
                            let want = m.tile_dims(level, row, col);
                            let r = probe_tile(&assets_dir.join(&rel), want, check);
                            (rel, r)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    });
    let mut missing = Vec::new();
    let mut wrong = Vec::new();
    let mut broken = Vec::new();
    for (rel, r) in found {
        match r {
            Ok(()) => {}
            Err(TileProblem::Missing) => missing.push(rel),
            Err(TileProblem::Size(got, want)) => {
                wrong.push(format!("{rel} is {}x{}, not {}x{}", got.0, got.1, want.0, want.1))
            }
            Err(TileProblem::Unreadable(e)) => broken.push(format!("{rel}: {e}")),
        }
    }
    let mut out = Vec::new();
    let list = |v: &[String]| {
        let mut s = v.iter().take(EXAMPLES).cloned().collect::<Vec<_>>().join("; ");
        if v.len() > EXAMPLES {
            s.push_str("; …");
        }
        s
    };
    if !missing.is_empty() {
        out.push(format!("{} of {} tiles not found: {}", missing.len(), tiles(m).len(), list(&missing)));
    }
    if !wrong.is_empty() {
        out.push(format!("{} tiles of the wrong size: {}", wrong.len(), list(&wrong)));
    }
    if !broken.is_empty() {
        out.push(format!("{} tiles unreadable: {}", broken.len(), list(&broken)));
    }
    out
}

enum TileProblem {
    Missing,
    Size((u32, u32), (u32, u32)),
    Unreadable(String),
}

fn probe_tile(path: &Path, want: (u32, u32), check: AssetCheck) -> Result<(), TileProblem> {
    if !path.is_file() {
        return Err(TileProblem::Missing);
    }
    match assets::probe_image(path, check) {
        Ok(got) if got == want => Ok(()),
        Ok(got) => Err(TileProblem::Size(got, want)),
        Err(e) => Err(TileProblem::Unreadable(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pyramid(face: u32, tile: u32, levels: u32) -> Multires {
        Multires {
            path: "p/%l/%s%y_%x.jpg".into(),
            tile_size: tile,
            levels,
            face_size: face,
            preview: "p/preview.jpg".into(),
        }
    }

    #[test]
    fn levels_halve_and_edge_tiles_are_cropped() {
        let m = pyramid(5208, 512, 5);
        let sizes: Vec<u32> = (1..=5).map(|l| m.level_size(l)).collect();
        assert_eq!(sizes, vec![325, 651, 1302, 2604, 5208]);
        assert_eq!(m.tiles_per_side(5), 11);
        assert_eq!(m.tile_dims(5, 10, 10), (5208 - 5120, 5208 - 5120));
        assert_eq!(m.tile_dims(5, 0, 10), (88, 512));
        assert_eq!(m.tile_dims(1, 0, 0), (325, 325));
        assert_eq!(m.tile_path(3, 'u', 1, 2), "p/3/u1_2.jpg");
        assert!(shape_problems(&m).is_empty());
    }

    #[test]
    fn wrong_numbers_are_reported() {
        assert!(!shape_problems(&pyramid(5208, 512, 4)).is_empty(), "level 1 wider than a tile");
        assert!(!shape_problems(&pyramid(5208, 512, 7)).is_empty(), "levels too many");
        assert!(!shape_problems(&pyramid(5208, 0, 5)).is_empty());
        let mut m = pyramid(1024, 512, 2);
        m.path = "p/%l/%s.jpg".into();
        assert_eq!(shape_problems(&m).len(), 2);
    }

    #[test]
    fn tiles_are_counted_per_level() {
        let m = pyramid(1302, 512, 3);
        // levels 325 (1), 651 (2x2), 1302 (3x3) per face
        assert_eq!(tiles(&m).len(), 6 * (1 + 4 + 9));
    }
}
